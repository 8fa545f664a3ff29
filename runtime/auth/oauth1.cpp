// Defines OAuth 1.0a request signing (RFC 5849 section 3.4) and NetSuite's token-based
// authentication on top of it: every request carries an Authorization header signed with
// HMAC-SHA256 over its method, URL and query; there is no token request. SOAP requests carry
// a TokenPassport in their SOAP header instead (MakePassport).
#include <algorithm>
#include <cctype>

#include "runtime/auth/internal.h"

namespace crmx::auth {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding: "%XX" and '+' for a space.
std::string FormDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

void AddFormPairs(std::string_view text, std::vector<std::pair<std::string, std::string>>& out) {
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view part = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(FormDecode(part), "");
    } else {
      out.emplace_back(FormDecode(part.substr(0, eq)), FormDecode(part.substr(eq + 1)));
    }
  }
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class TbaAuthenticator : public Authenticator {
 public:
  TbaAuthenticator(std::string realm, std::string consumer_key, std::string consumer_secret, std::string token_id,
                   std::string token_secret)
      : realm_(std::move(realm)),
        consumer_key_(std::move(consumer_key)),
        consumer_secret_(std::move(consumer_secret)),
        token_id_(std::move(token_id)),
        token_secret_(std::move(token_secret)) {}

  bool Authorize(http::Request& req, std::string& error) override {
    std::vector<std::pair<std::string, std::string>> oauth = {
        {"oauth_consumer_key", consumer_key_},
        {"oauth_token", token_id_},
        {"oauth_signature_method", "HMAC-SHA256"},
        {"oauth_timestamp", std::to_string(internal::NowSeconds())},
        {"oauth_nonce", RandomAlnum(20)},
        {"oauth_version", "1.0"},
    };
    auto params = oauth;
    // A form body is signed too (RFC 5849 3.4.1.3.1); NetSuite's JSON bodies are not.
    for (const auto& [name, value] : req.headers) {
      if (Lower(name) == "content-type" && Lower(value).starts_with("application/x-www-form-urlencoded")) {
        AddFormPairs(req.body, params);
      }
    }
    std::string signature =
        OAuth1Sign(OAuth1BaseString(req.method, req.url, params), consumer_secret_, token_secret_);
    std::string header = "OAuth realm=\"" + realm_ + "\"";
    oauth.emplace_back("oauth_signature", signature);
    for (const auto& [name, value] : oauth) header += ", " + name + "=\"" + http::UrlEncode(value) + "\"";
    std::erase_if(req.headers, [](const auto& h) { return Lower(h.first) == "authorization"; });
    req.headers.emplace_back("Authorization", header);
    return true;
  }

  bool Passport(TokenPassport& out, std::string&) override {
    out = MakePassport(realm_, consumer_key_, consumer_secret_, token_id_, token_secret_, RandomAlnum(20),
                       internal::NowSeconds());
    return true;
  }

 private:
  std::string realm_;
  std::string consumer_key_;
  std::string consumer_secret_;
  std::string token_id_;
  std::string token_secret_;
};

}  // namespace

std::string OAuth1BaseString(const std::string& method, const std::string& url,
                             const std::vector<std::pair<std::string, std::string>>& params) {
  // Base string URI (3.4.1.2): scheme and host lowercase, default port dropped, no query or fragment.
  std::string_view rest = url;
  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  std::string_view query;
  size_t question = rest.find('?');
  if (question != std::string_view::npos) {
    query = rest.substr(question + 1);
    rest = rest.substr(0, question);
  }
  std::string scheme;
  size_t colon = rest.find("://");
  if (colon != std::string_view::npos) {
    scheme = Lower(std::string(rest.substr(0, colon)));
    rest = rest.substr(colon + 3);
  }
  size_t slash = rest.find('/');
  std::string authority = Lower(std::string(rest.substr(0, slash)));
  std::string path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  size_t at = authority.rfind('@');
  if (at != std::string::npos) authority = authority.substr(at + 1);
  if ((scheme == "http" && authority.ends_with(":80")) || (scheme == "https" && authority.ends_with(":443"))) {
    authority = authority.substr(0, authority.rfind(':'));
  }
  std::string base_uri = scheme + "://" + authority + path;

  // Normalized parameters (3.4.1.3.2): query and given parameters, encoded, sorted by name then value.
  std::vector<std::pair<std::string, std::string>> all;
  AddFormPairs(query, all);
  for (const auto& [name, value] : params) {
    if (name == "realm" || name == "oauth_signature") continue;
    all.emplace_back(name, value);
  }
  for (auto& [name, value] : all) {
    name = http::UrlEncode(name);
    value = http::UrlEncode(value);
  }
  std::sort(all.begin(), all.end());
  std::string normalized;
  for (const auto& [name, value] : all) {
    if (!normalized.empty()) normalized += '&';
    normalized += name + "=" + value;
  }
  std::string upper = method;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper + "&" + http::UrlEncode(base_uri) + "&" + http::UrlEncode(normalized);
}

TokenPassport MakePassport(const std::string& account, const std::string& consumer_key, const std::string& consumer_secret,
                           const std::string& token_id, const std::string& token_secret, const std::string& nonce,
                           int64_t timestamp) {
  TokenPassport p;
  p.account = account;
  p.consumer_key = consumer_key;
  p.token = token_id;
  p.nonce = nonce;
  p.timestamp = std::to_string(timestamp);
  // TokenPassportSignature: the secrets joined as they are (not percent-encoded as OAuth 1.0a's key is).
  p.signature = HmacBase64(consumer_secret + "&" + token_secret,
                           account + "&" + consumer_key + "&" + token_id + "&" + nonce + "&" + p.timestamp);
  return p;
}

namespace internal {

std::unique_ptr<Authenticator> MakeTba(const profile::SystemProfile& system, std::string& error) {
  const profile::Auth& auth = system.auth;
  for (const char* key : {"consumer_key", "consumer_secret", "token_id", "token_secret"}) {
    if (AuthValue(auth, key).empty()) {
      error = system.name + ": auth method tba needs `" + key + "`";
      return nullptr;
    }
  }
  // The realm is the account id as NetSuite writes it: uppercase, "_SB1" for a sandbox
  // (the host name has "-sb1" instead).
  std::string realm = auth.Param("realm");
  if (realm.empty()) {
    realm = system.account_id;
    for (char& c : realm) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (realm.empty()) {
    error = system.name + ": auth method tba needs the system's `account_id` (the OAuth realm)";
    return nullptr;
  }
  return std::make_unique<TbaAuthenticator>(realm, AuthValue(auth, "consumer_key"), AuthValue(auth, "consumer_secret"),
                                            AuthValue(auth, "token_id"), AuthValue(auth, "token_secret"));
}

}  // namespace internal
}  // namespace crmx::auth
