// Defines the credential checks both vendors' token endpoints and API calls use: JWT shape
// and claims (signatures are not verified), OAuth 1.0a HMAC-SHA256 signatures (RFC 5849,
// verified), and the opaque access tokens the emulators issue.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "emulators/exact_json.h"

namespace httplib {
struct Request;
}

namespace crmx::emulate {

// A JWT's header and claims when `jwt` has three base64url parts whose first two are JSON
// objects; false with `error` otherwise. The signature part is not checked.
bool DecodeJwt(const std::string& jwt, Json& header, Json& claims, std::string& error);
// Names of the `required` claims `claims` lacks.
std::vector<std::string> MissingClaims(const Json& claims, const std::vector<std::string>& required);

std::string Base64(const std::string& bytes);
std::string HmacSha256(const std::string& key, const std::string& data);

struct OAuth1Secrets {
  std::string consumer_key, consumer_secret, token_id, token_secret;
};

// Verifies an `Authorization: OAuth ...` header per RFC 5849 section 3.4 with HMAC-SHA256:
// the signature base string is METHOD&enc(base URL)&enc(sorted params), params being the
// oauth_* values (not oauth_signature, not realm) and the URL's query parameters, and the
// key enc(consumer secret)&enc(token secret). `base_url` is "http://127.0.0.1:PORT".
// Refuses unknown keys, other methods, and a nonce seen before (kept in `nonces`).
bool VerifyOAuth1(const httplib::Request& req, const std::string& base_url, const OAuth1Secrets& secrets,
                  std::set<std::string>& nonces, std::string& error);

// What a NetSuite SOAP request's `tokenPassport` says (token-based authentication).
struct TokenPassport {
  std::string account, consumer_key, token, nonce, timestamp, signature, algorithm;
};

// Verifies a token passport as the SuiteTalk SOAP guide documents it: the known consumer key
// and token, HMAC-SHA256 over account&consumerKey&token&nonce&timestamp with the key
// consumerSecret&tokenSecret (base64), a timestamp within 5 minutes of now, and a nonce not
// seen before (kept in `nonces`, shared with VerifyOAuth1). False with `error` otherwise.
bool VerifyTokenPassport(const TokenPassport& passport, const OAuth1Secrets& secrets, std::set<std::string>& nonces,
                         std::string& error);

// A fresh opaque token: `prefix` and 32 hex digits.
std::string NewToken(const std::string& prefix);

}  // namespace crmx::emulate
