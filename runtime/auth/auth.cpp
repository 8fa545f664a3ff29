// Defines auth::Make: which authenticator an auth method of a profile gets. The methods
// themselves live in bearer.cpp (OAuth 2.0) and oauth1.cpp (NetSuite TBA).
#include "runtime/auth/auth.h"

#include "runtime/auth/internal.h"

namespace crmx::auth {

bool Authenticator::Passport(TokenPassport&, std::string& error) {
  error = "only token-based authentication (`tba`) signs NetSuite SOAP requests: SOAP web services take no OAuth 2.0 "
          "token";
  return false;
}

std::unique_ptr<Authenticator> Make(const profile::SystemProfile& system, http::Client& client, std::string& error) {
  const std::string& method = system.auth.method;
  if (method == "oauth2_client_credentials") return internal::MakeClientCredentials(system, client, error);
  if (method == "jwt_bearer") return internal::MakeJwtBearer(system, client, error);
  if (method == "oauth2_m2m") return internal::MakeM2M(system, client, error);
  if (method == "tba") return internal::MakeTba(system, error);
  error = system.name + ": `" + method +
          "` is not an auth method (oauth2_client_credentials, jwt_bearer, oauth2_m2m, tba)";
  return nullptr;
}

}  // namespace crmx::auth
