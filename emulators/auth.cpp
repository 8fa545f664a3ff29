// Defines the JWT, OAuth 1.0a, token passport and token helpers.
#include "emulators/auth.h"

#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>

#include <httplib.h>

#include "emulators/server.h"

namespace crmx::emulate {
namespace {

bool Base64UrlDecode(const std::string& in, std::string& out) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  out.clear();
  int bits = 0;
  uint32_t buffer = 0;
  for (char c : in) {
    if (c == '=') break;
    size_t v = kAlphabet.find(c);
    if (v == std::string::npos) return false;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return true;
}

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

bool DecodeJwt(const std::string& jwt, Json& header, Json& claims, std::string& error) {
  size_t a = jwt.find('.');
  size_t b = a == std::string::npos ? a : jwt.find('.', a + 1);
  if (a == std::string::npos || b == std::string::npos || jwt.find('.', b + 1) != std::string::npos) {
    error = "the JWT does not have three parts";
    return false;
  }
  std::string h, c;
  if (!Base64UrlDecode(jwt.substr(0, a), h) || !Base64UrlDecode(jwt.substr(a + 1, b - a - 1), c) ||
      b + 1 >= jwt.size()) {
    error = "the JWT is not base64url";
    return false;
  }
  header = Json::parse(h, nullptr, false);
  claims = Json::parse(c, nullptr, false);
  if (!header.is_object() || !claims.is_object()) {
    error = "the JWT header or claims are not JSON objects";
    return false;
  }
  return true;
}

std::vector<std::string> MissingClaims(const Json& claims, const std::vector<std::string>& required) {
  std::vector<std::string> missing;
  for (const auto& name : required) {
    if (!claims.contains(name)) missing.push_back(name);
  }
  return missing;
}

std::string Base64(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                 static_cast<uint8_t>(bytes[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += kAlphabet[(n >> k) & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string HmacSha256(const std::string& key, const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), digest, &len);
  return std::string(reinterpret_cast<char*>(digest), len);
}

bool VerifyOAuth1(const httplib::Request& req, const std::string& base_url, const OAuth1Secrets& secrets,
                  std::set<std::string>& nonces, std::string& error) {
  std::string header = req.get_header_value("Authorization");
  if (header.rfind("OAuth ", 0) != 0) {
    error = "no OAuth authorization header";
    return false;
  }
  // Parameters: name="value" pairs separated by commas, values percent-encoded.
  std::map<std::string, std::string> oauth;
  size_t pos = 6;
  while (pos < header.size()) {
    while (pos < header.size() && (header[pos] == ' ' || header[pos] == ',')) ++pos;
    size_t eq = header.find('=', pos);
    if (eq == std::string::npos) break;
    std::string name = header.substr(pos, eq - pos);
    std::string value;
    if (eq + 1 < header.size() && header[eq + 1] == '"') {
      size_t close = header.find('"', eq + 2);
      if (close == std::string::npos) break;
      value = header.substr(eq + 2, close - eq - 2);
      pos = close + 1;
    } else {
      size_t comma = header.find(',', eq);
      value = header.substr(eq + 1, comma == std::string::npos ? std::string::npos : comma - eq - 1);
      pos = comma == std::string::npos ? header.size() : comma;
    }
    oauth[name] = PercentDecode(value);
  }
  for (const char* required : {"oauth_consumer_key", "oauth_token", "oauth_signature_method", "oauth_timestamp",
                               "oauth_nonce", "oauth_signature"}) {
    if (!oauth.count(required)) {
      error = std::string("missing ") + required;
      return false;
    }
  }
  if (oauth["oauth_signature_method"] != "HMAC-SHA256") {
    error = "unsupported signature method " + oauth["oauth_signature_method"];
    return false;
  }
  if (oauth["oauth_consumer_key"] != secrets.consumer_key || oauth["oauth_token"] != secrets.token_id) {
    error = "unknown consumer key or token";
    return false;
  }
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& [name, value] : oauth) {
    if (name == "oauth_signature" || name == "realm") continue;
    params.emplace_back(UrlEncode(name), UrlEncode(value));
  }
  for (const auto& [name, value] : req.params) params.emplace_back(UrlEncode(name), UrlEncode(value));
  std::sort(params.begin(), params.end());
  std::string normalized;
  for (const auto& [name, value] : params) {
    if (!normalized.empty()) normalized += '&';
    normalized += name + "=" + value;
  }
  std::string base = req.method + "&" + UrlEncode(base_url + req.path) + "&" + UrlEncode(normalized);
  std::string key = UrlEncode(secrets.consumer_secret) + "&" + UrlEncode(secrets.token_secret);
  if (Base64(HmacSha256(key, base)) != oauth["oauth_signature"]) {
    error = "signature mismatch";
    return false;
  }
  if (!nonces.insert(oauth["oauth_nonce"]).second) {
    error = "nonce already used";
    return false;
  }
  return true;
}

bool VerifyTokenPassport(const TokenPassport& p, const OAuth1Secrets& secrets, std::set<std::string>& nonces,
                         std::string& error) {
  if (p.account.empty() || p.nonce.empty() || p.timestamp.empty() || p.signature.empty()) {
    error = "a token passport field is missing";
    return false;
  }
  if (p.algorithm != "HMAC-SHA256") {
    error = "unsupported signature algorithm " + p.algorithm;
    return false;
  }
  if (p.consumer_key != secrets.consumer_key || p.token != secrets.token_id) {
    error = "unknown consumer key or token";
    return false;
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const int64_t at = std::atoll(p.timestamp.c_str());
  if (at < now - 300 || at > now + 300) {
    error = "timestamp too far from now";
    return false;
  }
  const std::string base = p.account + "&" + p.consumer_key + "&" + p.token + "&" + p.nonce + "&" + p.timestamp;
  if (Base64(HmacSha256(secrets.consumer_secret + "&" + secrets.token_secret, base)) != p.signature) {
    error = "signature mismatch";
    return false;
  }
  if (!nonces.insert(p.nonce).second) {
    error = "nonce already used";
    return false;
  }
  return true;
}

std::string NewToken(const std::string& prefix) {
  unsigned char bytes[16];
  RAND_bytes(bytes, sizeof bytes);
  static const char* kHex = "0123456789abcdef";
  std::string out = prefix;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace crmx::emulate
