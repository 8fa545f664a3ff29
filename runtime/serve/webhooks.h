// Defines how `crmx-run serve` checks that a webhook comes from the vendor that claims to send
// it: one pure function per signing scheme (HubSpot signature v3, QuickBooks Online, Xero, and
// crmx's own `X-Crmx-Signature` for systems that post outbound messages), each answering
// accepted or refused with a reason the caller counts, and a bounded replay cache. The schemes,
// their headers and tolerances are documented in docs/serve.md ("Webhooks"), with the vendors'
// pages they follow.
//
// Every function here is given the request exactly as it arrived: the raw body bytes (never a
// re-serialized JSON), the headers (names compared case-insensitively) and, for HubSpot, the
// full URI the vendor called. Signatures are compared in constant time. No Verdict carries the
// secret or the signature the request should have had.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace crmx::serve {

// Why a request was refused; a refusal is counted by this (metric label: OutcomeName).
enum class Outcome {
  kAccepted,
  kUnsigned,      // the signature header (or its timestamp header) is missing or empty
  kBadSignature,  // the signature does not match the request and the secret
  kTooOld,        // the signed timestamp is outside the tolerance (older, or that far ahead)
  kReplayed,      // a signature already accepted within the replay window (ReplayCache)
  kMalformed,     // a header is there but cannot be read (a timestamp that is not a number, two signature headers)
};
// "accepted", "unsigned", "bad_signature", "too_old", "replayed", "malformed".
std::string_view OutcomeName(Outcome outcome);

enum class Scheme { kHubSpotV3, kQuickBooks, kXero, kCrmx };
// "hubspot", "quickbooks", "xero", "crmx" (the profile's names for them).
std::string_view SchemeName(Scheme scheme);

using Header = std::pair<std::string, std::string>;

struct Request {
  std::string_view method;  // "POST", as received
  // The URI the vendor called, as it signs it: scheme, host, path and query
  // ("https://crmx.example.com/hooks/hubspot?portal=62515"). Only HubSpot signs it. Rebuild it
  // from the public URL the vendor was given, not from a Host header a client chooses.
  std::string_view uri;
  std::span<const Header> headers;
  std::string_view body;  // the raw bytes received
};

struct Verdict {
  Outcome outcome = Outcome::kBadSignature;
  // The HTTP status to answer: 200 accepted or replayed (the vendor's retry of a delivery
  // already taken must stop), 401 unsigned / bad signature / too old (Xero requires exactly
  // 401 for a wrong signature), 400 malformed. Xero also wants no body and no cookies.
  int http_status = 401;
  // For the log: which header, how old. Never a secret or an expected signature.
  std::string detail;
  // Accepted: what identifies this delivery for ReplayCache ("hubspot:<signature>"); empty
  // when it must not be remembered (Xero's intent-to-receive probes).
  std::string replay_key;
  // Xero: a correctly signed intent-to-receive probe (`"events": []`): answer 200, nothing to do.
  bool intent_to_receive = false;

  bool accepted() const { return outcome == Outcome::kAccepted; }
};

// Signed timestamps older than this (or this far in the future) are refused as too old.
inline constexpr int64_t kToleranceMs = 5 * 60 * 1000;

// HubSpot signature v3: `X-HubSpot-Signature-v3` = base64(HMAC-SHA256(client secret,
// method + URI + body + timestamp)), `X-HubSpot-Request-Timestamp` in Unix milliseconds. The
// URI is signed with %3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B decoded (HubSpot's list;
// every other escape, %20 included, stays as sent).
Verdict VerifyHubSpotV3(const Request& request, std::string_view client_secret, int64_t now_ms);

// QuickBooks Online: `intuit-signature` = base64(HMAC-SHA256(verifier token, body)). No
// timestamp is signed: only ReplayCache limits a replay.
Verdict VerifyQuickBooks(const Request& request, std::string_view verifier_token);

// Xero: `x-xero-signature` = base64(HMAC-SHA256(webhook key, body)). Xero's intent-to-receive
// probes (a body with `"events": []`) must be answered 200 when correctly signed and 401
// otherwise; http_status says which, and intent_to_receive marks them. No timestamp is signed.
Verdict VerifyXero(const Request& request, std::string_view webhook_key);

// crmx's scheme for systems that post outbound messages (Salesforce flows, NetSuite
// SuiteScript, anything that can compute an HMAC): `X-Crmx-Signature: t=<unix seconds>,v1=<hex
// HMAC-SHA256(secret, t + "." + body)>`, Stripe's layout. Several v1 entries may be given
// (during a secret rotation); one matching is enough. Unknown keys are ignored.
Verdict VerifyCrmx(const Request& request, std::string_view secret, int64_t now_ms);
// The header value a sender puts in X-Crmx-Signature for `body` at `unix_seconds`.
std::string SignCrmx(std::string_view secret, int64_t unix_seconds, std::string_view body);

// The scheme's function; `now_ms` is ignored by the schemes without a timestamp.
Verdict Verify(Scheme scheme, const Request& request, std::string_view secret, int64_t now_ms);

// Deliveries accepted within the last `window_ms`, at most `capacity` of them, keyed by
// Verdict::replay_key. Thread-safe. The default window is twice the tolerance: a request signed
// up to 5 minutes ahead of our clock stays acceptable for 10 minutes, and must stay remembered
// as long. Only accepted verdicts are remembered, so forged requests
// cannot fill it. When it is full of entries still inside the window, the oldest is dropped
// early (counted by EvictedEarly: size the capacity above the deliveries of one window).
class ReplayCache {
 public:
  explicit ReplayCache(size_t capacity = 100000, int64_t window_ms = 2 * kToleranceMs);
  // `verdict`, or a `replayed` verdict (answer 200, do not process) when it was accepted and
  // its key was admitted within the window. Remembers the key of an accepted verdict.
  Verdict Admit(Verdict verdict, int64_t now_ms);
  // Forgets `key`: call it when a delivery Admit accepted could not be taken (the answer is
  // an error), so that the vendor's retry is not refused as a replay.
  void Forget(std::string_view key);
  size_t Size() const;
  uint64_t EvictedEarly() const;

 private:
  void Expire(int64_t now_ms);
  mutable std::mutex mu_;
  size_t capacity_;
  int64_t window_ms_;
  std::unordered_map<std::string, int64_t> seen_;  // key -> when admitted
  std::deque<std::pair<int64_t, std::string>> order_;  // admission order; may hold forgotten keys
  uint64_t evicted_early_ = 0;
};

}  // namespace crmx::serve
