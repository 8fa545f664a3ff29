// Defines auth::Make: which authenticator an auth method of a profile gets, and what the
// methods' files share (internal.h). The methods themselves live in bearer.cpp (Salesforce and
// NetSuite OAuth 2.0), oauth1.cpp (NetSuite TBA), basic.cpp (Basic; client credentials with a
// Basic client: SAP, Xero), refresh.cpp (refresh tokens: QuickBooks, HubSpot), private_app.cpp
// (HubSpot) and jwt_assertion.cpp (Oracle Fusion).
#include "runtime/auth/auth.h"

#include <cctype>

#include "runtime/auth/internal.h"
#include "runtime/auth/refresh.h"

namespace crmx::auth {

bool Authenticator::Passport(TokenPassport&, std::string& error) {
  error = "only token-based authentication (`tba`) signs NetSuite SOAP requests: SOAP web services take no OAuth 2.0 "
          "token";
  return false;
}

std::unique_ptr<Authenticator> Make(const profile::SystemProfile& system, http::Client& client, std::string& error) {
  const std::string& method = system.auth.method;
  if (method == "oauth2_client_credentials" && system.kind == "xero")
    return internal::MakeClientCredentialsBasic(system, client, error, "https://identity.xero.com/connect/token");
  if (method == "oauth2_client_credentials" && system.kind == "sap")
    return internal::MakeClientCredentialsBasic(system, client, error);
  if (method == "basic") return internal::MakeBasic(system, error);
  if (method == "oauth2_client_credentials") return internal::MakeClientCredentials(system, client, error);
  if (method == "jwt_bearer") return internal::MakeJwtBearer(system, client, error);
  if (method == "oauth2_m2m") return internal::MakeM2M(system, client, error);
  if (method == "tba") return internal::MakeTba(system, error);
  if (method == "oauth2_jwt_assertion") return internal::MakeJwtAssertion(system, client, error);
  if (method == "oauth2_refresh_token") return MakeRefreshToken(system, client, error);
  if (method == "private_app") return internal::MakePrivateApp(system, error);
  error = system.name + ": `" + method +
          "` is not an auth method (oauth2_client_credentials, jwt_bearer, oauth2_m2m, tba, oauth2_refresh_token)";
  return nullptr;
}

namespace internal {

void SetAuthorization(http::Request& req, const std::string& value) {
  std::erase_if(req.headers, [](const auto& h) {
    std::string n = h.first;
    for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return n == "authorization";
  });
  req.headers.emplace_back("Authorization", value);
}

std::string JsonText(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return {};
}

}  // namespace internal
}  // namespace crmx::auth
