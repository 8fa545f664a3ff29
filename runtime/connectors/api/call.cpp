// Defines the API connectors' calls (call.h): the session, the retry loop and the one table of
// retriable failures.
#include "runtime/connectors/api/call.h"

#include <algorithm>
#include <charconv>
#include <thread>

namespace crmx::connectors::api {

namespace {

// THE table of failures (docs/operations.md, "Which failures are retried"): what a failed
// write's HTTP status or vendor code means for the delivery ledger. Retriable: sent again per
// the sync's retry policy, then dead-lettered. Not retriable: dead-lettered at once, for a
// person to fix the data or the spec. A code in neither list is not retriable (a failure we do
// not know is not sent again blindly); its status decides when the status is retriable.
constexpr std::string_view kRetriableCodes[] = {
    "REQUEST_LIMIT_EXCEEDED",      // Salesforce: API request limit, or too many concurrent requests
    "UNABLE_TO_LOCK_ROW",          // Salesforce: a record locked by another transaction
    "SERVER_UNAVAILABLE",          // Salesforce
    "INVALID_SESSION_ID",          // Salesforce: the token expired (after the one re-login)
    "SSS_REQUEST_LIMIT_EXCEEDED",  // NetSuite: request rate
    "CONCURRENCY_LIMIT_EXCEEDED",  // NetSuite: the account's concurrency governance
    "INVALID_LOGIN",               // NetSuite: token expired or a replayed nonce (after the one re-login)
    "XERO_MINUTE_LIMIT",           // Xero: 429 X-Rate-Limit-Problem minute (60 calls a minute)
    "XERO_CONCURRENT_LIMIT",       // Xero: 429 X-Rate-Limit-Problem concurrent (5 calls at once)
    "XERO_BATCH_REJECTED",         // Xero: not saved because another element of its request failed
    "3001",                        // QuickBooks: ThrottleExceeded (500 a minute, 10 at once, 40 batches a minute)
    "3200",                        // QuickBooks: AuthenticationFailed, token expired (after the one re-login)
    "5010",                        // QuickBooks: Stale Object Error, still stale after the SyncToken was read again
    "TEN_SECONDLY_ROLLING",        // HubSpot: 429 of the rolling 10-second limit (waited out in the call)
    "SECONDLY",                    // HubSpot: 429 of search's 4 calls a second
    "PRECONDITION_FAILED",         // SAP: 412, the ETag still stale after the record was read again
    "CSRF_TOKEN_REQUIRED",         // SAP: 403 X-CSRF-Token Required, still after the token was fetched again
    "BATCH_ANSWER_UNREADABLE",     // SAP: a $batch answered 2xx with a body that is not its multipart answer
    "timeout", "connection reset", "connection refused", "connection failed", "dns",
};

}  // namespace

const std::vector<FailureClass>& FailureTable() {
  static const std::vector<FailureClass> table = [] {
    std::vector<FailureClass> t;
    for (long s : {0L, 401L, 429L, 502L, 503L, 504L}) t.push_back({s, "", true});
    for (std::string_view c : kRetriableCodes) t.push_back({0, c, true});
    for (std::string_view c : {"REQUIRED_FIELD_MISSING", "INVALID_FIELD", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                               "DUPLICATE_VALUE", "STRING_TOO_LONG", "FIELD_INTEGRITY_EXCEPTION",
                               "INVALID_FIELD_FOR_INSERT_UPDATE", "MALFORMED_ID", "INVALID_TYPE", "INVALID_CONTENT",
                               "USER_ERROR", "INVALID_KEY_OR_REF", "NONEXISTENT_ID", "INVALID_PARAMETER"})
      t.push_back({0, c, false});
    // Oracle Fusion (ADF Business Components messages in o:errorDetails): JBO-27014 attribute required,
    // JBO-27008 attribute set failed (a value not in the list of values, not updatable), JBO-27024 row
    // validation failed, JBO-25013 too many rows match the key.
    for (std::string_view c : {"JBO-27014", "JBO-27008", "JBO-27024", "JBO-25013"}) t.push_back({0, c, false});
    // SAP: 428 (an update without an ETag to send) and two records with the key the map upserts by.
    for (std::string_view c : {"PRECONDITION_REQUIRED", "DUPLICATE_KEY"}) t.push_back({0, c, false});
    // Xero: a record's ValidationErrors; the day limit (5,000 calls), answered until tomorrow.
    for (std::string_view c : {"ValidationException", "XERO_DAY_LIMIT"}) t.push_back({0, c, false});
    // QuickBooks Fault codes: 6240 duplicate name, 2020 required parameter missing, 2050 string too
    // long, 610 object not found (a reference to an inactive or deleted record), 6000 business validation.
    for (std::string_view c : {"6240", "2020", "2050", "610", "6000"}) t.push_back({0, c, false});
    // HubSpot: the day's calls spent (429 DAILY: not until HubSpot's midnight), a batch input's
    // validation (category and detail codes), a missing record, a unique value taken.
    for (std::string_view c : {"DAILY", "VALIDATION_ERROR", "OBJECT_NOT_FOUND", "CONFLICT", "INVALID_OPTION",
                               "READ_ONLY_VALUE", "PROPERTY_DOESNT_EXIST", "OBJECT_ALREADY_EXISTS", "INVALID_DECIMAL",
                               "INVALID_BOOLEAN", "INVALID_DATE"})
      t.push_back({0, c, false});
    return t;
  }();
  return table;
}

namespace {

std::string TrimCopy(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

bool ReadRetriable(const http::Response& r) {
  return r.status == 0 || r.status == 429 || r.status == 502 || r.status == 503 || r.status == 504;
}

}  // namespace

bool Retriable(long status, std::string_view code) {
  if (status == 0 || status == 401 || status == 429 || status == 502 || status == 503 || status == 504) return true;
  return std::find(std::begin(kRetriableCodes), std::end(kRetriableCodes), code) != std::end(kRetriableCodes);
}

std::chrono::milliseconds RetryAfter(const http::Response& response) {
  std::string v = TrimCopy(response.Header("Retry-After"));
  int64_t seconds = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size() || seconds < 0)
    return std::chrono::milliseconds(-1);
  return std::chrono::milliseconds(std::min<int64_t>(seconds, 86400) * 1000);
}

bool ParseLimitInfo(std::string_view header, int64_t& used, int64_t& max) {
  // "api-usage=25/15000" possibly beside other entries ("per-app-api-usage=...").
  size_t at = 0;
  while ((at = header.find("api-usage=", at)) != std::string_view::npos) {
    bool own = at == 0 || header[at - 1] == ' ' || header[at - 1] == ',' || header[at - 1] == ';';
    at += 10;
    if (!own) continue;
    std::string_view rest = header.substr(at);
    auto r1 = std::from_chars(rest.data(), rest.data() + rest.size(), used);
    if (r1.ec != std::errc() || r1.ptr == rest.data() + rest.size() || *r1.ptr != '/') return false;
    auto r2 = std::from_chars(r1.ptr + 1, rest.data() + rest.size(), max);
    return r2.ec == std::errc();
  }
  return false;
}

void LimitsTracker::Observe(const http::Response& response) {
  std::string h = response.Header("Sforce-Limit-Info");
  if (h.empty()) return;
  int64_t used = 0, max = 0;
  bool parsed = ParseLimitInfo(h, used, max);
  std::lock_guard<std::mutex> lock(mu_);
  latest_ = TrimCopy(h);
  if (parsed) {
    used_ = used;
    max_ = max;
  }
}

std::string LimitsTracker::Latest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_;
}
int64_t LimitsTracker::Used() const {
  std::lock_guard<std::mutex> lock(mu_);
  return used_;
}
int64_t LimitsTracker::Max() const {
  std::lock_guard<std::mutex> lock(mu_);
  return max_;
}

Session::Session(profile::SystemProfile system, std::unique_ptr<http::Client> auth_client,
                 std::unique_ptr<auth::Authenticator> authenticator, bool use_instance_url)
    : sleep([](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }),
      system_(std::move(system)),
      auth_client_(std::move(auth_client)),
      auth_(std::move(authenticator)),
      use_instance_url_(use_instance_url) {}

bool Session::Base(std::string& base, std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  if (use_instance_url_ && auth_ && auth_->InstanceUrl().empty()) {
    // Not logged in yet: the login says where the API is.
    http::Request probe;
    probe.url = system_.base_url;
    if (!auth_->Authorize(probe, error)) return false;
  }
  base = use_instance_url_ && auth_ && !auth_->InstanceUrl().empty() ? auth_->InstanceUrl() : system_.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return true;
}

bool Session::Authorize(http::Request& req, std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!auth_) return true;
  return auth_->Authorize(req, error);
}

bool Session::Passport(auth::TokenPassport& out, std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!auth_) {
    error = "no credentials";
    return false;
  }
  return auth_->Passport(out, error);
}

void Session::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  if (auth_) auth_->Invalidate();
}

uint64_t Session::Logins() const {
  std::lock_guard<std::mutex> lock(mu_);
  return auth_ ? auth_->Logins() : 0;
}

http::Options Session::ClientOptions() const {
  http::Options o;
  if (system_.timeout_ms > 0) o.timeout = std::chrono::milliseconds(system_.timeout_ms);
  return o;
}

CallResult Call(Session& session, http::Client& client, const http::Request& req, RetryMode mode,
                std::atomic<uint64_t>& calls, const std::function<bool(const http::Response&)>& not_applied,
                const Sign& sign) {
  CallResult out;
  bool relogged = false;
  std::chrono::milliseconds backoff = session.policy.backoff;
  for (;;) {
    uint64_t logins_before = session.Logins();
    http::Request r = req;
    std::string error;
    if (!r.url.empty() && r.url.front() == '/') {
      std::string base;
      if (!session.Base(base, error)) {
        calls += session.Logins() - logins_before;
        out.response = http::Response{};
        out.login_error = error;
        return out;
      }
      r.url = base + r.url;
    }
    if (!(sign ? sign(r, error) : session.Authorize(r, error))) {
      calls += session.Logins() - logins_before;
      out.response = http::Response{};
      out.login_error = error;
      return out;
    }
    calls += session.Logins() - logins_before;
    if (session.admit) {
      if (std::string why = session.admit(); !why.empty()) {
        out.response = http::Response{};
        out.response.transport_error = "not sent: " + why;
        return out;
      }
    }
    out.response = client.Send(r);
    if (session.admit && session.admitted_done) session.admitted_done();
    ++calls;
    ++out.attempts;
    session.limits.Observe(out.response);
    if (out.response.status == 401 && !relogged) {
      // The token expired or was revoked (Salesforce INVALID_SESSION_ID): log in once more.
      relogged = true;
      session.Invalidate();
      continue;
    }
    bool again = (mode == RetryMode::kRead && ReadRetriable(out.response)) || (not_applied && not_applied(out.response));
    if (!again || out.attempts >= session.policy.attempts) return out;
    std::chrono::milliseconds wait = RetryAfter(out.response);
    if (wait.count() < 0) {
      wait = backoff;
      backoff *= 2;
    }
    session.sleep(std::min(wait, session.policy.max_wait));
  }
}

WriteResult FailedWrite(uint64_t tag, const CallResult& call, std::string code, std::string message,
                        std::vector<std::string> fields) {
  WriteResult r;
  r.tag = tag;
  r.ok = false;
  r.http_status = static_cast<int>(call.response.status);
  if (!call.login_error.empty()) {
    r.code = "LOGIN_FAILED";
    r.message = call.login_error;
    // A refused credential stays refused; a token endpoint that did not answer, or answered
    // 429/5xx, may answer later (the auth library's messages say which: auth/bearer.cpp).
    bool refused = call.login_error.find("login refused") != std::string::npos ||
                   call.login_error.find("cannot build") != std::string::npos;
    bool busy = call.login_error.find("HTTP 429") != std::string::npos ||
                call.login_error.find("HTTP 5") != std::string::npos;
    r.retriable = !refused || busy;
    return r;
  }
  if (call.response.status == 0) {
    const std::string& t = call.response.transport_error;
    size_t colon = t.find(": ");
    r.code = colon == std::string::npos ? t : t.substr(0, colon);
    r.message = t.empty() ? std::string("no answer") : t;
    r.retriable = true;
    return r;
  }
  r.code = std::move(code);
  r.message = std::move(message);
  r.fields = std::move(fields);
  r.retriable = Retriable(call.response.status, r.code);
  r.retry_after_ms = RetryAfter(call.response).count();
  return r;
}

}  // namespace crmx::connectors::api
