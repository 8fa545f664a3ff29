// Defines the bearer-token authenticators: a token request to the system's token endpoint,
// the token kept until Invalidate or its `expires_in`, and three ways to ask for it:
// Salesforce client credentials, Salesforce JWT bearer (RFC 7523 grant) and NetSuite M2M
// (client credentials with a JWT client assertion, RFC 7523 section 2.2).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <optional>

#include "runtime/auth/internal.h"

namespace crmx::auth {
namespace {

using Form = std::vector<std::pair<std::string, std::string>>;
using SteadyClock = std::chrono::steady_clock;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string JsonText(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return {};
}

class BearerAuthenticator : public Authenticator {
 public:
  BearerAuthenticator(const profile::SystemProfile& system, http::Client& client, std::string token_url)
      : system_(system), client_(client), token_url_(std::move(token_url)) {}

  bool Authorize(http::Request& req, std::string& error) override {
    bool expired = expires_at_.has_value() && SteadyClock::now() >= *expires_at_;
    if ((token_.empty() || expired) && !Login(error)) return false;
    std::erase_if(req.headers, [](const auto& h) { return Lower(h.first) == "authorization"; });
    req.headers.emplace_back("Authorization", "Bearer " + token_);
    return true;
  }
  void Invalidate() override {
    token_.clear();
    expires_at_.reset();
  }
  std::string InstanceUrl() const override { return instance_url_; }
  uint64_t Logins() const override { return logins_; }

 protected:
  // The form of one token request (a fresh assertion each time), or false with `error`.
  virtual bool TokenForm(Form& form, std::string& error) = 0;

  const profile::SystemProfile system_;

 private:
  bool Login(std::string& error) {
    ++logins_;
    token_.clear();
    Form form;
    if (!TokenForm(form, error)) {
      error = system_.name + ": cannot build the token request: " + error;
      return false;
    }
    http::Request req;
    req.method = "POST";
    req.url = token_url_;
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    req.body = http::FormEncode(form);
    http::Response resp = client_.Send(req);
    if (resp.status == 0) {
      error = Scrub(system_.name + ": token request to " + token_url_ + " failed: " + resp.transport_error, form);
      return false;
    }
    nlohmann::json body = nlohmann::json::parse(resp.body, nullptr, false);
    if (!resp.Ok()) {
      error = Scrub(system_.name + ": login refused by " + token_url_ + ": HTTP " + std::to_string(resp.status) +
                        Describe(body, resp.body),
                    form);
      return false;
    }
    std::string token = body.is_object() ? JsonText(body, "access_token") : "";
    if (token.empty()) {
      error = system_.name + ": the answer of " + token_url_ + " (HTTP " + std::to_string(resp.status) +
              ") has no `access_token`";
      return false;
    }
    token_ = token;
    std::string instance = JsonText(body, "instance_url");
    while (instance.ends_with("/")) instance.pop_back();
    if (!instance.empty()) instance_url_ = instance;
    // Log in again a minute before the token runs out, when the server says when that is.
    expires_at_.reset();
    std::string expires_in = JsonText(body, "expires_in");
    if (!expires_in.empty() && std::all_of(expires_in.begin(), expires_in.end(), ::isdigit) && expires_in.size() < 9) {
      long seconds = std::stol(expires_in);
      expires_at_ = SteadyClock::now() + std::chrono::seconds(std::max(0L, seconds - 60));
    }
    return true;
  }

  // " invalid_client: invalid client credentials", from OAuth's `error` / `error_description`
  // or NetSuite's REST error (`o:errorDetails`); a short excerpt of anything else.
  static std::string Describe(const nlohmann::json& body, const std::string& raw) {
    if (body.is_object()) {
      std::string code = JsonText(body, "error");
      std::string text = JsonText(body, "error_description");
      auto details = body.find("o:errorDetails");
      if (details != body.end() && details->is_array() && !details->empty() && (*details)[0].is_object()) {
        if (code.empty()) code = JsonText((*details)[0], "o:errorCode");
        if (text.empty()) text = JsonText((*details)[0], "detail");
      }
      if (code.empty()) code = JsonText(body, "title");
      if (!code.empty() || !text.empty()) {
        return " " + code + (text.empty() ? "" : (code.empty() ? "" : ": ") + text);
      }
    }
    if (raw.empty()) return "";
    std::string excerpt = raw.substr(0, 200);
    for (char& c : excerpt) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return ": " + excerpt + (raw.size() > 200 ? "..." : "");
  }

  // The last guard: no secret, assertion or token in a message, even one a server echoed.
  std::string Scrub(std::string text, const Form& form) const {
    std::vector<std::pair<std::string, std::string>> values;
    for (const auto& [name, secret] : system_.auth.secrets) {
      values.emplace_back(secret.Reveal(), "[secret " + secret.Describe() + "]");
    }
    for (const auto& [name, value] : form) {
      if (name == "client_secret" || name == "assertion" || name == "client_assertion") {
        values.emplace_back(value, "[" + name + "]");
        values.emplace_back(http::UrlEncode(value), "[" + name + "]");
      }
    }
    for (const auto& [value, replacement] : values) {
      if (value.size() < 4) continue;
      for (size_t at = text.find(value); at != std::string::npos; at = text.find(value, at + replacement.size())) {
        text.replace(at, value.size(), replacement);
      }
    }
    return text;
  }

  http::Client& client_;
  std::string token_url_;
  std::string token_;
  std::string instance_url_;
  std::optional<SteadyClock::time_point> expires_at_;
  uint64_t logins_ = 0;
};

// Salesforce: grant_type=client_credentials with the connected app's id and secret.
class ClientCredentials : public BearerAuthenticator {
 public:
  using BearerAuthenticator::BearerAuthenticator;

 protected:
  bool TokenForm(Form& form, std::string& error) override {
    form = {{"grant_type", "client_credentials"},
            {"client_id", internal::AuthValue(system_.auth, "client_id")},
            {"client_secret", internal::AuthValue(system_.auth, "client_secret")}};
    return true;
  }
};

// Salesforce: an RS256 JWT (iss client id, sub user name, aud login URL, exp in 3 minutes).
class JwtBearer : public BearerAuthenticator {
 public:
  JwtBearer(const profile::SystemProfile& system, http::Client& client, std::string token_url, std::string audience)
      : BearerAuthenticator(system, client, std::move(token_url)), audience_(std::move(audience)) {}

 protected:
  bool TokenForm(Form& form, std::string& error) override {
    nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
    nlohmann::json claims = {{"iss", internal::AuthValue(system_.auth, "client_id")},
                             {"sub", internal::AuthValue(system_.auth, "username")},
                             {"aud", audience_},
                             {"exp", internal::NowSeconds() + 180}};
    std::string jwt;
    if (!SignJwt("RS256", header.dump(), claims.dump(), internal::AuthValue(system_.auth, "private_key"), jwt, error)) {
      return false;
    }
    form = {{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", jwt}};
    return true;
  }

 private:
  std::string audience_;
};

// NetSuite: client credentials with a JWT client assertion (PS256 by default; kid the
// certificate id of the mapping; aud the token endpoint; scope a list; at most an hour).
class M2M : public BearerAuthenticator {
 public:
  M2M(const profile::SystemProfile& system, http::Client& client, std::string token_url, std::string alg,
      std::vector<std::string> scopes)
      : BearerAuthenticator(system, client, token_url),
        aud_(std::move(token_url)),
        alg_(std::move(alg)),
        scopes_(std::move(scopes)) {}

 protected:
  bool TokenForm(Form& form, std::string& error) override {
    nlohmann::json header = {
        {"alg", alg_}, {"typ", "JWT"}, {"kid", internal::AuthValue(system_.auth, "certificate_id")}};
    int64_t now = internal::NowSeconds();
    nlohmann::json claims = {{"iss", internal::AuthValue(system_.auth, "client_id")},
                             {"scope", scopes_},
                             {"aud", aud_},
                             {"iat", now},
                             {"exp", now + 300}};
    std::string jwt;
    if (!SignJwt(alg_, header.dump(), claims.dump(), internal::AuthValue(system_.auth, "private_key"), jwt, error)) {
      return false;
    }
    form = {{"grant_type", "client_credentials"},
            {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
            {"client_assertion", jwt}};
    return true;
  }

 private:
  std::string aud_;
  std::string alg_;
  std::vector<std::string> scopes_;
};

bool Require(const profile::SystemProfile& system, std::initializer_list<const char*> keys, std::string& error) {
  for (const char* key : keys) {
    if (internal::AuthValue(system.auth, key).empty()) {
      error = system.name + ": auth method " + system.auth.method + " needs `" + key + "`";
      return false;
    }
  }
  if (system.base_url.empty() && system.auth.Param("token_url").empty()) {
    error = system.name + ": auth method " + system.auth.method + " needs the system's `base_url`";
    return false;
  }
  return true;
}

std::string TokenUrl(const profile::SystemProfile& system, const std::string& path) {
  std::string url = system.auth.Param("token_url");
  return url.empty() ? system.base_url + path : url;
}

}  // namespace

namespace internal {

std::unique_ptr<Authenticator> MakeClientCredentials(const profile::SystemProfile& system, http::Client& client,
                                                     std::string& error) {
  if (!Require(system, {"client_id", "client_secret"}, error)) return nullptr;
  return std::make_unique<ClientCredentials>(system, client, TokenUrl(system, "/services/oauth2/token"));
}

std::unique_ptr<Authenticator> MakeJwtBearer(const profile::SystemProfile& system, http::Client& client,
                                             std::string& error) {
  if (!Require(system, {"client_id", "username", "private_key"}, error)) return nullptr;
  std::string audience = system.auth.Param("audience");
  if (audience.empty()) audience = system.base_url;
  return std::make_unique<JwtBearer>(system, client, TokenUrl(system, "/services/oauth2/token"), audience);
}

std::unique_ptr<Authenticator> MakeM2M(const profile::SystemProfile& system, http::Client& client, std::string& error) {
  if (!Require(system, {"client_id", "certificate_id", "private_key"}, error)) return nullptr;
  std::string alg = system.auth.Param("alg");
  if (alg.empty()) alg = "PS256";
  static const std::vector<std::string> kNetSuiteAlgs = {"PS256", "PS384", "PS512", "ES256", "ES384", "ES512"};
  if (std::find(kNetSuiteAlgs.begin(), kNetSuiteAlgs.end(), alg) == kNetSuiteAlgs.end()) {
    error = system.name + ": NetSuite accepts JWT algorithms PS256, PS384, PS512, ES256, ES384, ES512, not `" + alg + "`";
    return nullptr;
  }
  std::vector<std::string> scopes;
  std::string scope = system.auth.Param("scope");
  if (scope.empty()) scope = "restlets,rest_webservices";
  for (size_t start = 0; start <= scope.size();) {
    size_t comma = scope.find(',', start);
    std::string item = scope.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) scopes.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return std::make_unique<M2M>(system, client, TokenUrl(system, "/services/rest/auth/oauth2/v1/token"), alg, scopes);
}

}  // namespace internal
}  // namespace crmx::auth
