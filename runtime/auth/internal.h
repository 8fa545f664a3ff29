// Defines what the files of crmx_auth share and nothing outside uses: the per-method
// factories (bearer.cpp, oauth1.cpp), random nonces and the clock.
#pragma once

#include <cstdint>
#include <memory>
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
// NetSuite token-based authentication (OAuth 1.0a, HMAC-SHA256): no token requests.
std::unique_ptr<Authenticator> MakeTba(const profile::SystemProfile& system, std::string& error);

// `length` characters from [A-Za-z0-9], from OpenSSL's CSPRNG.
std::string RandomAlnum(size_t length);
// Seconds since the Unix epoch.
int64_t NowSeconds();
// The value of auth key `name`: a parameter or a resolved secret; "" when absent.
std::string AuthValue(const profile::Auth& auth, const std::string& name);

}  // namespace crmx::auth::internal
