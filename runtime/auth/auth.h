// Defines how API connectors log in: an Authenticator adds credentials to each request of a
// system, from its profile (runtime/profile): OAuth 2.0 client credentials and JWT bearer
// (Salesforce), OAuth 2.0 machine-to-machine with a signed JWT client assertion and token-based
// authentication (OAuth 1.0a, HMAC-SHA256) (NetSuite). Tokens are fetched on first use, kept,
// and fetched again after Invalidate (the connector calls it on a 401 / INVALID_SESSION_ID).
// No message from here contains a secret or a token.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/http/client.h"
#include "runtime/profile/profile.h"

namespace crmx::auth {

// NetSuite SOAP web services' token-based authentication: what a request's `tokenPassport`
// header element carries (SuiteTalk SOAP guide, "TokenPassport Complex Type"). `signature` is
// HMAC-SHA256 of account&consumerKey&token&nonce&timestamp with the key
// consumerSecret&tokenSecret, base64. Single-use: a passport is made for every request sent.
struct TokenPassport {
  std::string account;  // the account id as NetSuite writes it ("123456_SB1")
  std::string consumer_key;
  std::string token;
  std::string nonce;      // 20 characters of [A-Za-z0-9]
  std::string timestamp;  // Unix seconds
  std::string signature;
  std::string algorithm = "HMAC-SHA256";
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Adds the credentials to `req` (a bearer header; for OAuth 1.0a, the signed Authorization
  // header over `req`'s method, URL and query). Logs in first when it has no token. False with
  // `error` (the token endpoint's status and error code, never a secret) when it cannot.
  virtual bool Authorize(http::Request& req, std::string& error) = 0;
  // The token was refused: the next Authorize logs in again.
  virtual void Invalidate() {}
  // Where the API is, when the login says so (Salesforce's `instance_url`); "" otherwise.
  virtual std::string InstanceUrl() const { return {}; }
  // Token requests made so far.
  virtual uint64_t Logins() const { return 0; }
  // A fresh TokenPassport for a NetSuite SOAP request. Only token-based authentication (`tba`)
  // has one: SOAP web services take no OAuth 2.0 token. False with `error` otherwise.
  virtual bool Passport(TokenPassport& out, std::string& error);
};

// The authenticator for `system`'s auth method, sending its token requests through `client`
// (which must outlive it). Null with `error` for an unknown method or missing parameter.
std::unique_ptr<Authenticator> Make(const profile::SystemProfile& system, http::Client& client, std::string& error);

// `length` random letters and digits from OpenSSL's RAND_bytes, without bias (nonces, the
// console's session ids: 43 of them carry 256 bits).
std::string RandomAlnum(size_t length);

// Building blocks, exposed for tests.
std::string Base64(std::string_view bytes);
std::string Base64Url(std::string_view bytes);  // no padding
// A JWT signed with RS256 (or PS256 when `alg` says so) by the PEM private key.
bool SignJwt(const std::string& alg, const std::string& header_json, const std::string& claims_json,
             const std::string& private_key_pem, std::string& jwt, std::string& error);
// OAuth 1.0a (RFC 5849) signature base string: METHOD&enc(base URL)&enc(sorted params).
std::string OAuth1BaseString(const std::string& method, const std::string& url,
                             const std::vector<std::pair<std::string, std::string>>& params);
// HMAC-SHA256 (or HMAC-SHA1 when `sha1`) of the base string with key enc(consumer)&enc(token), base64.
std::string OAuth1Sign(const std::string& base_string, const std::string& consumer_secret,
                       const std::string& token_secret, bool sha1 = false);
// HMAC-SHA256 (or HMAC-SHA1 when `sha1`) of `data` with `key` as given, base64.
std::string HmacBase64(std::string_view key, std::string_view data, bool sha1 = false);
// The TokenPassport of these credentials with this nonce and timestamp (the signature computed).
TokenPassport MakePassport(const std::string& account, const std::string& consumer_key, const std::string& consumer_secret,
                           const std::string& token_id, const std::string& token_secret, const std::string& nonce,
                           int64_t timestamp);

}  // namespace crmx::auth
