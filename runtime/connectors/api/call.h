// Defines how the API connectors talk to a vendor: a Session per connector (the system's
// profile, its Authenticator shared by every thread under a lock, the limits its answers
// report), Call (authorize, send, log in again once on 401, retry what may be retried), and
// the one table that says which failures are worth sending again (Retriable).
//
// What Call retries: reads (idempotent) on no answer, 429, 502, 503 and 504; writes only
// when the caller says the answer means "not applied" (NetSuite's concurrency limit), never
// on a lost answer: whether a write whose answer was lost took effect is for the durable
// retry (the delivery ledger) to decide, with the write's idempotency key.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/auth/auth.h"
#include "runtime/connectors/connector.h"
#include "runtime/http/client.h"
#include "runtime/profile/profile.h"

namespace crmx::connectors::api {

// True when a failure with this HTTP status (0: no answer) or vendor code may succeed when
// sent again: no answer, 401 (after the one re-login: log in again later), 429, 502/503/504,
// and the vendors' limit, lock and session codes (FailureTable). Validation failures are not,
// nor is a code the table does not know.
bool Retriable(long status, std::string_view code);

// One row of the failure table: an HTTP status (code empty) or a vendor code (status 0).
struct FailureClass {
  long status = 0;
  std::string_view code;
  bool retriable = false;
};
// Every failure the connectors classify, retriable or not, as documented in
// docs/operations.md ("Which failures are retried"); tests check the two agree.
const std::vector<FailureClass>& FailureTable();

// The wait an answer asks for (Retry-After in seconds; an HTTP date is not read), -1 when
// it asks for none.
std::chrono::milliseconds RetryAfter(const http::Response& response);

// Salesforce's `Sforce-Limit-Info: api-usage=25/15000`: the calls used and allowed. False
// when `header` holds no api-usage.
bool ParseLimitInfo(std::string_view header, int64_t& used, int64_t& max);

// The latest usage a system reported, shared by the readers and writers of one connector.
class LimitsTracker {
 public:
  // Keeps the answer's Sforce-Limit-Info, when it has one.
  void Observe(const http::Response& response);
  // "api-usage=25/15000", "" before any answer reported one.
  std::string Latest() const;
  int64_t Used() const;
  int64_t Max() const;

 private:
  mutable std::mutex mu_;
  std::string latest_;
  int64_t used_ = 0, max_ = 0;
};

struct CallPolicy {
  int attempts = 4;                            // sends of one request at most (the re-login not counted)
  std::chrono::milliseconds backoff{250};      // first wait when the answer names none; doubles
  std::chrono::milliseconds max_wait{30000};   // cap on any one wait (Retry-After included)
};

// One connector's link to its system. Thread-safe: writers call it from several threads.
class Session {
 public:
  // `auth_client` carries the token requests of `authenticator` (which was made with it).
  // `use_instance_url`: calls go to the Authenticator's InstanceUrl() once logged in
  // (Salesforce); otherwise to `system.base_url`.
  Session(profile::SystemProfile system, std::unique_ptr<http::Client> auth_client,
          std::unique_ptr<auth::Authenticator> authenticator, bool use_instance_url);

  const profile::SystemProfile& system() const { return system_; }
  // Where the API is: the instance URL (logging in first when needed) or the profile's
  // base URL, without a trailing slash. False with `error` when the login fails.
  bool Base(std::string& base, std::string& error);
  bool Authorize(http::Request& req, std::string& error);
  // A fresh NetSuite SOAP token passport (auth::Authenticator::Passport).
  bool Passport(auth::TokenPassport& out, std::string& error);
  void Invalidate();
  uint64_t Logins() const;
  http::Options ClientOptions() const;

  LimitsTracker limits;
  CallPolicy policy;
  // How the session waits before a retry (tests replace it to run without sleeping).
  std::function<void(std::chrono::milliseconds)> sleep;
  // Asked before every request is sent (each attempt): "" to send it, else why not (a budget
  // shared by a cluster's workers, runtime/state/leases.h). A request not sent comes back with
  // no answer (status 0) and `transport_error` "not sent: WHY", and is not retried here.
  std::function<std::string()> admit;
  // Called after a request `admit` let through came back (a concurrency slot given back).
  std::function<void()> admitted_done;

 private:
  profile::SystemProfile system_;
  std::unique_ptr<http::Client> auth_client_;
  std::unique_ptr<auth::Authenticator> auth_;
  bool use_instance_url_;
  mutable std::mutex mu_;
};

enum class RetryMode {
  kRead,   // no answer, 429, 502, 503, 504
  kWrite,  // only what `not_applied` says was not applied (and the one re-login on 401)
};

struct CallResult {
  http::Response response;
  // Not empty when the request could not be sent because the login failed (response.status
  // is then 0).
  std::string login_error;
  int attempts = 0;
};

// How an attempt is signed when Session::Authorize is not the way: it gets the attempt's
// request, its URL final, and may change its headers and body (a NetSuite SOAP request puts a
// fresh token passport in its SOAP header). False with `error` when it cannot.
using Sign = std::function<bool(http::Request&, std::string&)>;

// Sends `req` through `client`: a `url` starting with "/" is resolved against the session's
// Base(); Authorize (or `sign`, when given) runs on every attempt after the URL is final
// (OAuth 1.0a signs it). A 401 invalidates the token and sends once more. `not_applied` says
// an answer means the system did not apply the request (a concurrency limit): retried in both
// modes. `calls` counts every request sent, token requests included.
CallResult Call(Session& session, http::Client& client, const http::Request& req, RetryMode mode,
                std::atomic<uint64_t>& calls,
                const std::function<bool(const http::Response&)>& not_applied = nullptr, const Sign& sign = nullptr);

// A failed WriteResult for a whole request's failure: no answer (code from the transport
// error: "timeout", "connection refused"), a login failure, or an HTTP error whose vendor code
// and message `code`/`message` the caller read from the body.
WriteResult FailedWrite(uint64_t tag, const CallResult& call, std::string code, std::string message,
                        std::vector<std::string> fields = {});

}  // namespace crmx::connectors::api
