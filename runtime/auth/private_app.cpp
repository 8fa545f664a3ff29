// Defines the HubSpot private app authenticator (auth method `private_app`): the app's static
// access token, sent as `Authorization: Bearer <token>` on every request. There is no token
// request and nothing to refresh: a 401 means the token was revoked or rotated in HubSpot, and
// logging in again sends the same token (the call then fails with the 401's message).
#include "runtime/auth/internal.h"

namespace crmx::auth::internal {
namespace {

class PrivateApp : public Authenticator {
 public:
  explicit PrivateApp(std::string token) : token_(std::move(token)) {}
  bool Authorize(http::Request& req, std::string&) override {
    for (auto& [name, value] : req.headers) {
      if (name == "Authorization") {
        value = "Bearer " + token_;
        return true;
      }
    }
    req.headers.emplace_back("Authorization", "Bearer " + token_);
    return true;
  }

 private:
  std::string token_;
};

}  // namespace

std::unique_ptr<Authenticator> MakePrivateApp(const profile::SystemProfile& system, std::string& error) {
  std::string token = AuthValue(system.auth, "access_token");
  if (token.empty()) {
    error = system.name + ": auth method private_app needs `access_token` (a reference: env:NAME or file:PATH)";
    return nullptr;
  }
  return std::make_unique<PrivateApp>(std::move(token));
}

}  // namespace crmx::auth::internal
