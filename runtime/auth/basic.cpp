// Defines HTTP Basic authentication (internal.h MakeBasic: a user name and password sent on
// every request, RFC 7617; SAP S/4HANA Cloud communication users, Oracle Fusion) and OAuth 2.0
// client credentials whose client authenticates with HTTP Basic (MakeClientCredentialsBasic,
// RFC 6749 section 2.3.1: SAP S/4HANA Cloud's /sap/bc/sec/oauth2/token and BTP XSUAA's
// /oauth/token take the client id and secret as `Authorization: Basic`, `grant_type` and an
// optional `scope` in the form; `client_auth: body` sends the client in the form instead; Xero's
// custom connections the same against https://identity.xero.com/connect/token, its "Custom
// Connections" guide).
// The token is kept until a minute before `expires_in` or until Invalidate (a 401). No message
// from here contains a secret or a token.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>

#include "runtime/auth/internal.h"

namespace crmx::auth {
namespace {

using internal::JsonText;
using internal::SetAuthorization;


class Basic : public Authenticator {
 public:
  Basic(std::string username, std::string password)
      : header_("Basic " + Base64(username + ":" + password)) {}
  bool Authorize(http::Request& req, std::string&) override {
    SetAuthorization(req, header_);
    return true;
  }

 private:
  std::string header_;
};

class ClientCredentialsBasic : public internal::CachedToken {
 public:
  ClientCredentialsBasic(const profile::SystemProfile& system, http::Client& client, std::string token_url,
                         bool in_body)
      : system_(system), client_(client), token_url_(std::move(token_url)), in_body_(in_body) {}

 private:
  bool Login(std::string& error) override {
    const std::string id = internal::AuthValue(system_.auth, "client_id");
    const std::string secret = internal::AuthValue(system_.auth, "client_secret");
    std::vector<std::pair<std::string, std::string>> form = {{"grant_type", "client_credentials"}};
    // Space-separated, as OAuth writes scopes (a profile may list them with commas).
    std::string scope = system_.auth.Param("scope");
    std::replace(scope.begin(), scope.end(), ',', ' ');
    if (!scope.empty()) form.emplace_back("scope", scope);
    http::Request req;
    req.method = "POST";
    req.url = token_url_;
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    if (in_body_) {
      form.emplace_back("client_id", id);
      form.emplace_back("client_secret", secret);
    } else {
      req.headers.emplace_back("Authorization", "Basic " + Base64(id + ":" + secret));
    }
    req.body = http::FormEncode(form);
    http::Response resp = client_.Send(req);
    if (resp.status == 0) {
      error = system_.name + ": token request to " + token_url_ + " failed: " + resp.transport_error;
      return false;
    }
    nlohmann::json body = nlohmann::json::parse(resp.body, nullptr, false);
    if (!resp.Ok()) {
      // OAuth's `error` / `error_description` only: a server may echo what it was sent.
      std::string code = body.is_object() ? JsonText(body, "error") : "";
      std::string text = body.is_object() ? JsonText(body, "error_description") : "";
      if (!secret.empty() && text.find(secret) != std::string::npos) text.clear();
      error = system_.name + ": login refused by " + token_url_ + ": HTTP " + std::to_string(resp.status) +
              (code.empty() ? "" : " " + code) + (text.empty() ? "" : ": " + text);
      return false;
    }
    std::string token = body.is_object() ? JsonText(body, "access_token") : "";
    if (token.empty()) {
      error = system_.name + ": the answer of " + token_url_ + " (HTTP " + std::to_string(resp.status) +
              ") has no `access_token`";
      return false;
    }
    Keep(token, JsonText(body, "expires_in"));
    return true;
  }

  const profile::SystemProfile system_;
  http::Client& client_;
  std::string token_url_;
  bool in_body_;
};

}  // namespace

namespace internal {

std::unique_ptr<Authenticator> MakeBasic(const profile::SystemProfile& system, std::string& error) {
  std::string user = AuthValue(system.auth, "username");
  std::string password = AuthValue(system.auth, "password");
  if (user.empty() || password.empty()) {
    error = system.name + ": auth method basic needs `" + std::string(user.empty() ? "username" : "password") + "`";
    return nullptr;
  }
  if (user.find(':') != std::string::npos) {
    error = system.name + ": a basic auth user name cannot contain `:` (RFC 7617)";
    return nullptr;
  }
  return std::make_unique<Basic>(user, password);
}

std::unique_ptr<Authenticator> MakeClientCredentialsBasic(const profile::SystemProfile& system, http::Client& client,
                                                          std::string& error, const std::string& default_token_url) {
  for (const char* key : {"client_id", "client_secret", "token_url"}) {
    if (AuthValue(system.auth, key).empty() && !(key == std::string("token_url") && !default_token_url.empty())) {
      error = system.name + ": auth method " + system.auth.method + " needs `" + key + "`";
      return nullptr;
    }
  }
  std::string how = system.auth.Param("client_auth");
  if (!how.empty() && how != "basic" && how != "body") {
    error = system.name + ": `client_auth` is `" + how + "`, not `basic` or `body`";
    return nullptr;
  }
  std::string url = system.auth.Param("token_url");
  return std::make_unique<ClientCredentialsBasic>(system, client, url.empty() ? default_token_url : url, how == "body");
}

}  // namespace internal
}  // namespace crmx::auth
