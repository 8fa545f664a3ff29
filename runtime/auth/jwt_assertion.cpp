// Defines the `oauth2_jwt_assertion` authenticator (Oracle Fusion Cloud applications through
// Oracle Identity Cloud Service / OCI IAM identity domains): the JWT user assertion grant with a
// JWT client assertion, both RS256 JWTs signed by the confidential application's private key
// (whose certificate was uploaded to the application under `certificate_alias`, the JWT `kid`).
//
//   POST {token_url}   (https://idcs-<tenant>.identity.oraclecloud.com/oauth2/v1/token)
//   grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer
//   &assertion=<user assertion: sub = the Fusion user, iss = client id, aud, iat, exp, jti>
//   &client_id=<client id>
//   &client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer
//   &client_assertion=<client assertion: sub = iss = client id, aud, iat, exp, jti>
//   &scope=<the Fusion resource scope, "urn:opc:resource:fa:instanceid=...urn:opc:resource:consumer::all">
//
// Oracle's pages: "Client/User JWT Assertion" (OCI IAM identity domains) and "Obtaining an
// Access Token by Using a Self-Signed User Assertion and a Client Assertion" (docs/connectors/
// oracle.md cites them). The token is kept until Invalidate or a minute before `expires_in`.
// No message from here contains the key, an assertion or the token.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <optional>

#include "runtime/auth/internal.h"

namespace crmx::auth {
namespace {

constexpr const char* kIdentityAudience = "https://identity.oraclecloud.com/";


class JwtAssertion : public internal::CachedToken {
 public:
  JwtAssertion(const profile::SystemProfile& system, http::Client& client)
      : system_(system), client_(client), token_url_(system.auth.Param("token_url")) {
    audience_ = system.auth.Param("audience");
    if (audience_.empty()) audience_ = kIdentityAudience;
  }

 private:
  // One RS256 JWT; `subject` the user (user assertion) or the client (client assertion).
  bool Assertion(const std::string& subject, std::string& jwt, std::string& error) const {
    nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
    std::string kid = internal::AuthValue(system_.auth, "certificate_alias");
    if (!kid.empty()) header["kid"] = kid;
    int64_t now = internal::NowSeconds();
    std::string client_id = internal::AuthValue(system_.auth, "client_id");
    nlohmann::json claims = {{"sub", subject},    {"iss", client_id},
                             {"aud", audience_},  {"iat", now},
                             {"exp", now + 300},  {"jti", RandomAlnum(24)}};
    return SignJwt("RS256", header.dump(), claims.dump(), internal::AuthValue(system_.auth, "private_key"), jwt, error);
  }

  bool Login(std::string& error) override {
    std::string client_id = internal::AuthValue(system_.auth, "client_id");
    std::string user_jwt, client_jwt;
    if (!Assertion(internal::AuthValue(system_.auth, "username"), user_jwt, error) ||
        !Assertion(client_id, client_jwt, error)) {
      error = system_.name + ": cannot build the token request: " + error;
      return false;
    }
    std::vector<std::pair<std::string, std::string>> form = {
        {"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"},
        {"assertion", user_jwt},
        {"client_id", client_id},
        {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
        {"client_assertion", client_jwt}};
    std::string scope = system_.auth.Param("scope");
    if (!scope.empty()) form.emplace_back("scope", scope);
    http::Request req;
    req.method = "POST";
    req.url = token_url_;
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded;charset=UTF-8"}, {"Accept", "application/json"}};
    req.body = http::FormEncode(form);
    http::Response resp = client_.Send(req);
    if (resp.status == 0) {
      error = Scrub(system_.name + ": token request to " + token_url_ + " failed: " + resp.transport_error,
                    {user_jwt, client_jwt});
      return false;
    }
    nlohmann::json body = nlohmann::json::parse(resp.body, nullptr, false);
    if (!resp.Ok()) {
      // IDCS answers {"error": "invalid_grant", "error_description": "..."}.
      std::string what;
      if (body.is_object()) {
        std::string code = internal::JsonText(body, "error"), text = internal::JsonText(body, "error_description");
        what = " " + code + (text.empty() ? "" : (code.empty() ? "" : ": ") + text);
      } else if (!resp.body.empty()) {
        what = ": " + resp.body.substr(0, 200);
      }
      error = Scrub(system_.name + ": login refused by " + token_url_ + ": HTTP " + std::to_string(resp.status) + what,
                    {user_jwt, client_jwt});
      return false;
    }
    std::string token = body.is_object() ? internal::JsonText(body, "access_token") : "";
    if (token.empty()) {
      error = system_.name + ": the answer of " + token_url_ + " (HTTP " + std::to_string(resp.status) +
              ") has no `access_token`";
      return false;
    }
    Keep(token, internal::JsonText(body, "expires_in"));
    return true;
  }

  // No secret or assertion in a message, even one a server echoed.
  std::string Scrub(std::string text, const std::vector<std::string>& assertions) const {
    std::vector<std::string> values = assertions;
    for (const auto& [name, secret] : system_.auth.secrets) values.push_back(secret.Reveal());
    for (const std::string& v : std::vector<std::string>(values)) values.push_back(http::UrlEncode(v));
    for (const std::string& value : values) {
      if (value.size() < 4) continue;
      for (size_t at = text.find(value); at != std::string::npos; at = text.find(value, at)) text.replace(at, value.size(), "[redacted]");
    }
    return text;
  }

  const profile::SystemProfile system_;
  http::Client& client_;
  std::string token_url_;
  std::string audience_;
};

}  // namespace

namespace internal {

std::unique_ptr<Authenticator> MakeJwtAssertion(const profile::SystemProfile& system, http::Client& client,
                                                std::string& error) {
  for (const char* key : {"client_id", "username", "private_key", "token_url"}) {
    if (AuthValue(system.auth, key).empty()) {
      error = system.name + ": auth method oauth2_jwt_assertion needs `" + key + "`";
      return nullptr;
    }
  }
  return std::make_unique<JwtAssertion>(system, client);
}

}  // namespace internal
}  // namespace crmx::auth
