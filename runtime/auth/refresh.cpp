// Defines the OAuth 2.0 refresh-token authenticator (refresh.h) and the durable token file.
#include "runtime/auth/refresh.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "runtime/auth/internal.h"

namespace crmx::auth {
namespace {


// The token endpoints the vendors document, for profiles that name none.
std::string DefaultTokenUrl(const std::string& kind) {
  // developer.intuit.com, "OAuth 2.0" (discovery document: token_endpoint).
  if (kind == "quickbooks") return "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer";
  // developers.hubspot.com, "OAuth": POST /oauth/v1/token.
  if (kind == "hubspot") return "https://api.hubapi.com/oauth/v1/token";
  return {};
}

class RefreshToken : public internal::CachedToken {
 public:
  RefreshToken(const profile::SystemProfile& system, http::Client& client, std::string token_url, bool basic,
               std::string refresh_token, std::string token_file)
      : system_(system), client_(client), token_url_(std::move(token_url)), basic_(basic),
        refresh_(std::move(refresh_token)), token_file_(std::move(token_file)) {}

 private:
  bool Login(std::string& error) override {
    if (!token_file_.empty()) {
      // Another authenticator of this system (a second connector, another command) may have
      // rotated the token since this one read it: the file has the latest.
      std::string kept, read_error;
      if (ReadTokenFile(token_file_, kept, read_error) && !kept.empty() && kept != refresh_) {
        old_.push_back(refresh_);
        refresh_ = kept;
      }
    }
    std::string id = internal::AuthValue(system_.auth, "client_id");
    std::string secret = internal::AuthValue(system_.auth, "client_secret");
    std::vector<std::pair<std::string, std::string>> form = {{"grant_type", "refresh_token"},
                                                             {"refresh_token", refresh_}};
    http::Request req;
    req.method = "POST";
    req.url = token_url_;
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    if (basic_) {
      req.headers.emplace_back("Authorization", "Basic " + Base64(id + ":" + secret));
    } else {
      form.emplace_back("client_id", id);
      form.emplace_back("client_secret", secret);
    }
    req.body = http::FormEncode(form);
    http::Response resp = client_.Send(req);
    if (resp.status == 0) {
      error = Scrub(system_.name + ": token request to " + token_url_ + " failed: " + resp.transport_error);
      return false;
    }
    nlohmann::json body = nlohmann::json::parse(resp.body, nullptr, false);
    if (!resp.Ok()) {
      std::string code = body.is_object() ? internal::JsonText(body, "error") : "";
      std::string text = body.is_object() ? internal::JsonText(body, "error_description") : "";
      if (code.empty() && text.empty()) text = resp.body.substr(0, 200);
      error = Scrub(system_.name + ": login refused by " + token_url_ + ": HTTP " + std::to_string(resp.status) +
                    (code.empty() ? "" : " " + code) + (text.empty() ? "" : ": " + text));
      return false;
    }
    std::string access = body.is_object() ? internal::JsonText(body, "access_token") : "";
    if (access.empty()) {
      error = system_.name + ": the answer of " + token_url_ + " (HTTP " + std::to_string(resp.status) +
              ") has no `access_token`";
      return false;
    }
    std::string rotated = internal::JsonText(body, "refresh_token");
    if (!rotated.empty() && rotated != refresh_) {
      // Kept before use: once the old token stops working, this is the only way back in.
      if (!token_file_.empty()) {
        std::string write_error;
        if (!WriteFileDurably(token_file_, rotated + "\n", write_error)) {
          error = Scrub(system_.name + ": the token endpoint rotated the refresh token, and it cannot be kept in `" +
                        token_file_ + "`: " + write_error);
          old_.push_back(rotated);
          return false;
        }
      }
      old_.push_back(refresh_);
      refresh_ = rotated;
      ++rotations_;
    }
    Keep(access, internal::JsonText(body, "expires_in"));
    return true;
  }

  // No token or secret in a message, even one a server echoed.
  std::string Scrub(std::string text) const {
    std::vector<std::string> values = old_;
    values.push_back(refresh_);
    values.push_back(token());
    for (const auto& [name, secret] : system_.auth.secrets) values.push_back(secret.Reveal());
    for (const std::string& v : values) {
      if (v.size() < 4) continue;
      for (const std::string& form : {v, http::UrlEncode(v)}) {
        for (size_t at = text.find(form); at != std::string::npos; at = text.find(form, at + 7))
          text.replace(at, form.size(), "[token]");
      }
    }
    return text;
  }

  const profile::SystemProfile system_;
  http::Client& client_;
  std::string token_url_;
  bool basic_;
  std::string refresh_;
  std::string token_file_;
  std::vector<std::string> old_;  // refresh tokens seen before, for Scrub
  uint64_t rotations_ = 0;
};

}  // namespace

bool WriteFileDurably(const std::string& path, const std::string& text, std::string& error) {
  namespace fs = std::filesystem;
  fs::path target(path);
  fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::string tmp = (dir / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()))).string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot create `" + tmp + "`: " + std::strerror(errno);
    return false;
  }
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = "cannot write `" + tmp + "`: " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    error = "cannot fsync `" + tmp + "`: " + std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot rename `" + tmp + "` to `" + path + "`: " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

bool ReadTokenFile(const std::string& path, std::string& token, std::string& error) {
  token.clear();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return true;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read the refresh token file `" + path + "`";
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  token = ss.str();
  size_t b = token.find_first_not_of(" \t\r\n");
  size_t e = token.find_last_not_of(" \t\r\n");
  token = b == std::string::npos ? std::string() : token.substr(b, e - b + 1);
  return true;
}

std::unique_ptr<Authenticator> MakeRefreshToken(const profile::SystemProfile& system, http::Client& client,
                                                std::string& error) {
  for (const char* key : {"client_id", "client_secret", "refresh_token"}) {
    if (internal::AuthValue(system.auth, key).empty()) {
      error = system.name + ": auth method " + system.auth.method + " needs `" + key + "`";
      return nullptr;
    }
  }
  std::string token_url = system.auth.Param("token_url");
  if (token_url.empty()) token_url = DefaultTokenUrl(system.kind);
  if (token_url.empty()) {
    error = system.name + ": auth method " + system.auth.method + " needs `token_url`";
    return nullptr;
  }
  // The vendor's documented form by default: Intuit takes the client by HTTP Basic, HubSpot in
  // the form.
  std::string client_auth = system.auth.Param("client_auth");
  if (client_auth.empty()) client_auth = system.kind == "hubspot" ? "body" : "basic";
  if (client_auth != "basic" && client_auth != "body") {
    error = system.name + ": `client_auth` is `" + client_auth + "`, not basic or body";
    return nullptr;
  }
  std::string file = system.auth.Param("refresh_token_file");
  std::string refresh = internal::AuthValue(system.auth, "refresh_token");
  if (!file.empty()) {
    std::string kept;
    if (!ReadTokenFile(file, kept, error)) {
      error = system.name + ": " + error;
      return nullptr;
    }
    if (!kept.empty()) refresh = kept;
  }
  return std::make_unique<RefreshToken>(system, client, token_url, client_auth != "body", refresh, file);
}

}  // namespace crmx::auth
