// Defines webhooks.h: the four signing schemes on OpenSSL's HMAC-SHA256, Base64 and
// constant-time comparison, and the replay cache.
#include "runtime/serve/webhooks.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace crmx::serve {
namespace {

// HMAC-SHA256 of `data` under `key`, raw bytes. runtime/auth keeps its HMAC inside the
// OAuth 1.0a signer, so this is the one-call form of OpenSSL's.
std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

// runtime/auth has a Base64 too, but its object file needs crmx_profile and crmx_http (libcurl,
// yaml-cpp): linking it would make this pure library depend on them for one OpenSSL call.
std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string HexLower(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// Constant time in the contents; the length of a signature is public.
bool SameBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool AllDigits(std::string_view s, size_t max_size) {
  if (s.empty() || s.size() > max_size) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Verdict Refuse(Outcome outcome, std::string detail) {
  Verdict v;
  v.outcome = outcome;
  v.http_status = outcome == Outcome::kMalformed ? 400 : 401;
  v.detail = std::move(detail);
  return v;
}

Verdict Accept(std::string replay_key) {
  Verdict v;
  v.outcome = Outcome::kAccepted;
  v.http_status = 200;
  v.replay_key = std::move(replay_key);
  return v;
}

// A header's value: found (trimmed), or why not (a refusal: absent or empty is unsigned, two of
// them is malformed: a proxy or a client added one, and which one the vendor signed is unknown).
struct Found {
  std::string_view value;
  std::optional<Verdict> refusal;
};

Found FindHeader(const Request& request, std::string_view name) {
  Found found;
  int count = 0;
  for (const Header& h : request.headers) {
    if (!SameName(h.first, name)) continue;
    if (++count == 1) found.value = Trim(h.second);
  }
  if (count > 1) {
    found.refusal = Refuse(Outcome::kMalformed, std::to_string(count) + " " + std::string(name) + " headers");
  } else if (found.value.empty()) {
    found.refusal = Refuse(Outcome::kUnsigned, "no " + std::string(name) + " header");
  }
  return found;
}

// Refuses a signed instant further than the tolerance from now, in either direction.
std::optional<Verdict> OutsideWindow(int64_t signed_ms, int64_t now_ms) {
  int64_t age = now_ms - signed_ms;
  std::string limit = " (limit " + std::to_string(kToleranceMs / 1000) + " s)";
  if (age > kToleranceMs) return Refuse(Outcome::kTooOld, "signed " + std::to_string(age / 1000) + " s ago" + limit);
  if (-age > kToleranceMs) {
    return Refuse(Outcome::kTooOld, "signed " + std::to_string(-age / 1000) + " s in the future" + limit);
  }
  return std::nullopt;
}

// HubSpot decodes these escapes of the URI before signing it (developers.hubspot.com,
// "Validating requests", signature v3); hex digits in either case.
std::string HubSpotSignedUri(std::string_view uri) {
  static constexpr struct {
    const char* hex;
    char c;
  } kDecoded[] = {{"3A", ':'}, {"2F", '/'}, {"3F", '?'},  {"40", '@'}, {"21", '!'}, {"24", '$'},
                  {"27", '\''}, {"28", '('}, {"29", ')'}, {"2A", '*'}, {"2C", ','}, {"3B", ';'}};
  std::string out;
  out.reserve(uri.size());
  for (size_t i = 0; i < uri.size(); ++i) {
    if (uri[i] == '%' && i + 2 < uri.size()) {
      char hi = Upper(uri[i + 1]);
      char lo = Upper(uri[i + 2]);
      bool done = false;
      for (const auto& d : kDecoded) {
        if (hi == d.hex[0] && lo == d.hex[1]) {
          out += d.c;
          i += 2;
          done = true;
          break;
        }
      }
      if (done) continue;
    }
    out += uri[i];
  }
  return out;
}

// A body signature (QuickBooks, Xero): base64(HMAC-SHA256(key, body)) in header `name`.
Verdict VerifyBodySignature(const Request& request, std::string_view key, std::string_view name,
                            std::string_view vendor) {
  Found sig = FindHeader(request, name);
  if (sig.refusal) return *sig.refusal;
  if (!SameBytes(sig.value, Base64(HmacSha256(key, request.body)))) {
    return Refuse(Outcome::kBadSignature, std::string(name) + " does not match the body");
  }
  return Accept(std::string(vendor) + ":" + std::string(sig.value));
}

}  // namespace

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAccepted: return "accepted";
    case Outcome::kUnsigned: return "unsigned";
    case Outcome::kBadSignature: return "bad_signature";
    case Outcome::kTooOld: return "too_old";
    case Outcome::kReplayed: return "replayed";
    case Outcome::kMalformed: return "malformed";
  }
  return "unknown";
}

std::string_view SchemeName(Scheme scheme) {
  switch (scheme) {
    case Scheme::kHubSpotV3: return "hubspot";
    case Scheme::kQuickBooks: return "quickbooks";
    case Scheme::kXero: return "xero";
    case Scheme::kCrmx: return "crmx";
  }
  return "unknown";
}

Verdict VerifyHubSpotV3(const Request& request, std::string_view client_secret, int64_t now_ms) {
  Found sig = FindHeader(request, "X-HubSpot-Signature-v3");
  if (sig.refusal) return *sig.refusal;
  Found stamp = FindHeader(request, "X-HubSpot-Request-Timestamp");
  if (stamp.refusal) return *stamp.refusal;
  if (!AllDigits(stamp.value, 15)) {
    return Refuse(Outcome::kMalformed, "X-HubSpot-Request-Timestamp is not Unix milliseconds");
  }
  std::string source = std::string(request.method) + HubSpotSignedUri(request.uri) + std::string(request.body) +
                       std::string(stamp.value);
  if (!SameBytes(sig.value, Base64(HmacSha256(client_secret, source)))) {
    return Refuse(Outcome::kBadSignature, "X-HubSpot-Signature-v3 does not match the request");
  }
  if (auto refusal = OutsideWindow(std::stoll(std::string(stamp.value)), now_ms)) return *refusal;
  return Accept("hubspot:" + std::string(sig.value));
}

Verdict VerifyQuickBooks(const Request& request, std::string_view verifier_token) {
  return VerifyBodySignature(request, verifier_token, "intuit-signature", "quickbooks");
}

Verdict VerifyXero(const Request& request, std::string_view webhook_key) {
  Verdict v = VerifyBodySignature(request, webhook_key, "x-xero-signature", "xero");
  if (!v.accepted()) {
    // Xero knows 200 and 401 only: anything not correctly signed is 401.
    v.http_status = 401;
    return v;
  }
  auto body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("events") && body["events"].is_array() && body["events"].empty()) {
    v.intent_to_receive = true;
    v.detail = "intent to receive";
    // Xero may send the same probe more than once; each must be answered 200.
    v.replay_key.clear();
  }
  return v;
}

std::string SignCrmx(std::string_view secret, int64_t unix_seconds, std::string_view body) {
  std::string t = std::to_string(unix_seconds);
  return "t=" + t + ",v1=" + HexLower(HmacSha256(secret, t + "." + std::string(body)));
}

Verdict VerifyCrmx(const Request& request, std::string_view secret, int64_t now_ms) {
  Found header = FindHeader(request, "X-Crmx-Signature");
  if (header.refusal) return *header.refusal;
  std::string_view t;
  std::vector<std::string> v1s;
  std::string_view rest = header.value;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view part = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) return Refuse(Outcome::kMalformed, "X-Crmx-Signature has a part without `=`");
    std::string_view key = part.substr(0, eq);
    std::string_view value = part.substr(eq + 1);
    if (key == "t") {
      if (!t.empty()) return Refuse(Outcome::kMalformed, "X-Crmx-Signature has two `t`");
      t = value;
    } else if (key == "v1") {
      std::string lower(value);
      for (char& c : lower) c = Lower(c);
      v1s.push_back(std::move(lower));
    }
  }
  if (!AllDigits(t, 12)) return Refuse(Outcome::kMalformed, "X-Crmx-Signature has no `t=<unix seconds>`");
  if (v1s.empty() || v1s.size() > 8) return Refuse(Outcome::kMalformed, "X-Crmx-Signature needs 1 to 8 `v1=<hex>`");
  std::string expected = HexLower(HmacSha256(secret, std::string(t) + "." + std::string(request.body)));
  bool match = false;
  for (const std::string& v1 : v1s) match = SameBytes(v1, expected) || match;
  if (!match) return Refuse(Outcome::kBadSignature, "no v1 of X-Crmx-Signature matches the body");
  if (auto refusal = OutsideWindow(std::stoll(std::string(t)) * 1000, now_ms)) return *refusal;
  return Accept("crmx:" + expected);
}

Verdict Verify(Scheme scheme, const Request& request, std::string_view secret, int64_t now_ms) {
  switch (scheme) {
    case Scheme::kHubSpotV3: return VerifyHubSpotV3(request, secret, now_ms);
    case Scheme::kQuickBooks: return VerifyQuickBooks(request, secret);
    case Scheme::kXero: return VerifyXero(request, secret);
    case Scheme::kCrmx: return VerifyCrmx(request, secret, now_ms);
  }
  return Refuse(Outcome::kMalformed, "unknown scheme");
}

ReplayCache::ReplayCache(size_t capacity, int64_t window_ms) : capacity_(capacity), window_ms_(window_ms) {}

void ReplayCache::Expire(int64_t now_ms) {
  while (!order_.empty() && order_.front().first <= now_ms - window_ms_) {
    auto it = seen_.find(order_.front().second);
    if (it != seen_.end() && it->second == order_.front().first) seen_.erase(it);
    order_.pop_front();
  }
}

Verdict ReplayCache::Admit(Verdict verdict, int64_t now_ms) {
  if (!verdict.accepted() || verdict.replay_key.empty()) return verdict;
  std::lock_guard<std::mutex> lock(mu_);
  Expire(now_ms);
  if (auto it = seen_.find(verdict.replay_key); it != seen_.end()) {
    Verdict replayed;
    replayed.outcome = Outcome::kReplayed;
    replayed.http_status = 200;
    replayed.detail = "accepted " + std::to_string((now_ms - it->second) / 1000) + " s ago";
    return replayed;
  }
  seen_[verdict.replay_key] = now_ms;
  order_.emplace_back(now_ms, verdict.replay_key);
  while (seen_.size() > capacity_ && !order_.empty()) {
    auto it = seen_.find(order_.front().second);
    if (it != seen_.end() && it->second == order_.front().first) {
      seen_.erase(it);
      ++evicted_early_;
    }
    order_.pop_front();
  }
  return verdict;
}

void ReplayCache::Forget(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  seen_.erase(std::string(key));
}

size_t ReplayCache::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_.size();
}

uint64_t ReplayCache::EvictedEarly() const {
  std::lock_guard<std::mutex> lock(mu_);
  return evicted_early_;
}

}  // namespace crmx::serve
