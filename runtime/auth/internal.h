// Defines what the files of crmx_auth share and nothing outside uses: the per-method
// factories (bearer.cpp, oauth1.cpp), random nonces and the clock.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "runtime/auth/auth.h"

namespace crmx::auth::internal {

// Salesforce OAuth 2.0 client credentials, Salesforce JWT bearer, NetSuite OAuth 2.0 M2M.
// Each checks its parameters; null with `error` naming the missing one.
std::unique_ptr<Authenticator> MakeClientCredentials(const profile::SystemProfile& system, http::Client& client,
                                                     std::string& error);
std::unique_ptr<Authenticator> MakeJwtBearer(const profile::SystemProfile& system, http::Client& client,
                                             std::string& error);
std::unique_ptr<Authenticator> MakeM2M(const profile::SystemProfile& system, http::Client& client,
                                       std::string& error);
// HubSpot private app: the app's static access token as a bearer token (private_app.cpp).
std::unique_ptr<Authenticator> MakePrivateApp(const profile::SystemProfile& system, std::string& error);
// Oracle Fusion through IDCS / identity domains: JWT user assertion grant with a JWT client
// assertion (jwt_assertion.cpp).
std::unique_ptr<Authenticator> MakeJwtAssertion(const profile::SystemProfile& system, http::Client& client,
                                                std::string& error);
// HTTP Basic authentication (basic.cpp): SAP communication users, Oracle Fusion.
std::unique_ptr<Authenticator> MakeBasic(const profile::SystemProfile& system, std::string& error);
// OAuth 2.0 client credentials, the client as HTTP Basic auth unless `client_auth: body` (basic.cpp):
// SAP, and Xero's custom connections (`default_token_url` https://identity.xero.com/connect/token
// when the profile names none).
std::unique_ptr<Authenticator> MakeClientCredentialsBasic(const profile::SystemProfile& system, http::Client& client,
                                                          std::string& error, const std::string& default_token_url = "");
// NetSuite token-based authentication (OAuth 1.0a, HMAC-SHA256): no token requests.
std::unique_ptr<Authenticator> MakeTba(const profile::SystemProfile& system, std::string& error);

// Replaces any Authorization header of `req` (any case) by `value`.
void SetAuthorization(http::Request& req, const std::string& value);
// The string (or number, as written) at `key` of a JSON object; "" when absent or not one.
std::string JsonText(const nlohmann::json& j, const char* key);

// An authenticator that fetches a bearer token (Login), keeps it until a minute before the
// `expires_in` its answer gave, or until Invalidate (a 401), and fetches it again then: the
// token endpoints' shared half (OAuth 2.0 client credentials, refresh tokens, JWT assertions).
class CachedToken : public Authenticator {
 public:
  bool Authorize(http::Request& req, std::string& error) override {
    bool expired = expires_at_.has_value() && std::chrono::steady_clock::now() >= *expires_at_;
    if (token_.empty() || expired) {
      ++logins_;
      token_.clear();
      expires_at_.reset();
      if (!Login(error)) return false;
    }
    SetAuthorization(req, "Bearer " + token_);
    return true;
  }
  void Invalidate() override {
    token_.clear();
    expires_at_.reset();
  }
  uint64_t Logins() const override { return logins_; }

 protected:
  // Fetches a token and Keeps it; false with `error` (never a secret) when it cannot.
  virtual bool Login(std::string& error) = 0;
  // The token a login answered, and its `expires_in` (seconds as text; "" or not a number:
  // kept until Invalidate).
  void Keep(std::string token, const std::string& expires_in) {
    token_ = std::move(token);
    expires_at_.reset();
    if (!expires_in.empty() && expires_in.size() < 9 &&
        expires_in.find_first_not_of("0123456789") == std::string::npos) {
      long seconds = std::stol(expires_in);
      expires_at_ = std::chrono::steady_clock::now() + std::chrono::seconds(std::max(0L, seconds - 60));
    }
  }
  const std::string& token() const { return token_; }

 private:
  std::string token_;
  std::optional<std::chrono::steady_clock::time_point> expires_at_;
  uint64_t logins_ = 0;
};

// Seconds since the Unix epoch.
int64_t NowSeconds();
// The value of auth key `name`: a parameter or a resolved secret; "" when absent.
std::string AuthValue(const profile::Auth& auth, const std::string& name);

}  // namespace crmx::auth::internal
