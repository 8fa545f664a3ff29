// Defines the OAuth 2.0 refresh-token authenticator (RFC 6749 section 6), auth method
// `oauth2_refresh_token`: the access token comes from `grant_type=refresh_token` at the token
// URL, the client authenticated by HTTP Basic (`client_auth: basic`, the default; Intuit's
// form) or in the form (`client_auth: body`, HubSpot's form).
//
// Rotation: an answer may carry a new `refresh_token` (QuickBooks Online rotates them; the
// old one stops working after a while). Losing the new one locks the integration out, so when
// the profile names `refresh_token_file`, the new token is written there before the access
// token is used: to a temporary file in the same directory (mode 0600), fsync'ed, renamed
// over the file, and the directory fsync'ed. The file, when present and not empty, is read
// first at start, and again before every refresh (another authenticator of the system may have
// rotated it): a restart uses the rotated token, not the profile's original one. A token
// that cannot be kept fails the login (the run stops rather than go on with a token it would
// lose). No message contains a token or a secret.
#pragma once

#include <memory>
#include <string>

#include "runtime/auth/auth.h"

namespace crmx::auth {

// The authenticator for `system` (auth method `oauth2_refresh_token`). Needs client_id,
// client_secret and refresh_token; the token URL is `token_url`, else the kind's documented
// one (quickbooks: Intuit's, hubspot: HubSpot's). Null with `error` naming what is missing.
std::unique_ptr<Authenticator> MakeRefreshToken(const profile::SystemProfile& system, http::Client& client,
                                                std::string& error);

// Writes `text` to `path` so that a crash leaves either the old or the new content: a
// temporary file beside it (0600), fsync, rename, fsync of the directory. False with `error`.
bool WriteFileDurably(const std::string& path, const std::string& text, std::string& error);

// The refresh token kept in `path`: its content without surrounding white space; "" when the
// file is absent or empty. False with `error` when it exists but cannot be read.
bool ReadTokenFile(const std::string& path, std::string& token, std::string& error);

}  // namespace crmx::auth
