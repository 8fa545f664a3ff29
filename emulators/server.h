// Defines the part of `crmx-emulate` both vendors share: the command-line options, the
// interface a vendor implements (Vendor), and Serve, which runs the HTTP server: it binds
// 127.0.0.1, prints `listening on http://127.0.0.1:PORT`, routes every call through one
// dispatch (inspection endpoints, concurrency limit, faults, then the vendor), and stops on
// SIGTERM/SIGINT.
//
// A call's path through Dispatch (server.cpp), in order:
//   /_emulator/*      -> inspection, never faulted, no auth
//   token endpoint    -> the vendor, never faulted, not counted against limits
//   API call          -> sequence number; concurrency limit (429); --latency-ms; fault plan;
//                        then the vendor under the state lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "emulators/exact_json.h"
#include "emulators/faults.h"
#include "emulators/store.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace crmx::emulate {

struct Options {
  std::string vendor;        // "salesforce" or "netsuite"
  int port = 0;              // 0: a free port
  std::string data_dir;      // seed records, one Object.jsonl per object (optional)
  std::string schemas_dir;   // *.describe.json (salesforce) or crmx schema JSON (netsuite)
  double fault_rate = 0;     // share of API calls that fail (0..1)
  uint64_t fault_seed = 1;
  int fault_delay_ms = 3000; // how long a timeout or slow fault holds the call
  int64_t api_limit = 15000; // Salesforce: API calls allowed (Sforce-Limit-Info)
  int concurrency = 5;       // NetSuite: calls in flight allowed
  std::string limit_style = "429";  // NetSuite: "429" (REST) or "sss" (400 SSS_REQUEST_LIMIT_EXCEEDED)
  std::string idempotency = "conflict";  // NetSuite: a repeated idempotency key: "conflict" or "replay"
  int latency_ms = 0;        // added to every API call (lets tests hold calls in flight)
  int page_size = 2000;      // Salesforce: default query batch
  std::string date_format = "M/D/YYYY";  // NetSuite: how SuiteQL writes date and datetime columns
  int deleted_page_size = 1000;  // NetSuite: records per page of SOAP getDeleted (1000 as documented)
  bool deleted_records_permission = true;  // NetSuite: false answers getDeleted as a role without it
  std::string client_id = "crmx-test-client";
  std::string client_secret = "crmx-test-secret";
  std::string consumer_key = "crmx-test-consumer-key";
  std::string consumer_secret = "crmx-test-consumer-secret";
  std::string token_id = "crmx-test-token-id";
  std::string token_secret = "crmx-test-token-secret";
  // HubSpot: calls allowed per rolling --burst-interval-ms (TEN_SECONDLY_ROLLING), per day
  // (DAILY), search calls a second; the private app token and the OAuth refresh token.
  int64_t burst_limit = 100;
  int burst_interval_ms = 10000;
  int64_t daily_limit = 250000;
  int search_per_second = 4;
  std::string access_token = "crmx-test-hubspot-token";
  std::string refresh_token = "crmx-test-refresh-token";
  // QuickBooks: calls a minute and batch requests a minute per realm (500 and 40 documented),
  // and how long a rotated-out refresh token is still accepted (0: refused at once).
  int qbo_rate_limit = 500;
  int qbo_batch_limit = 40;
  int64_t refresh_grace_ms = 0;
  // SAP: the communication user basic auth accepts, and how many modifying calls a CSRF token
  // lives (0: until /_emulator/expire-tokens); the OAuth client is client_id/client_secret.
  std::string sap_user = "CRMX_COMM_USER";
  std::string sap_password = "crmx-test-password";
  int csrf_lifetime = 0;
  // Oracle Fusion: the basic-auth user (also the JWT user assertion's `sub`), its password, and
  // the calls a minute before 429 (0: no throttling).
  std::string oracle_username = "crmx-test-user";
  std::string oracle_password = "crmx-test-password";
  int oracle_rate_limit = 0;
  // Xero: calls a minute and a day per tenant (60 and 5,000 documented) and the tenant id calls
  // must name in `xero-tenant-id`; the client is client_id/client_secret (Basic auth).
  int xero_minute_limit = 60;
  int64_t xero_day_limit = 5000;
  std::string xero_tenant_id = "crmx-test-tenant";
};

// What a vendor handler gets besides the request: the state and the call's identity.
struct CallContext {
  Store& store;
  const Options& options;
  std::string base_url;    // "http://127.0.0.1:PORT"
  uint64_t seq = 0;        // the API call's sequence number
  std::string request_id;  // "req-<seq>" (a vendor may replace it with an idempotency key)
};

class Vendor {
 public:
  virtual ~Vendor() = default;
  // Reads the schemas and seeds the store; notes are printed on stderr.
  virtual bool Load(Store& store, std::vector<std::string>& notes, std::string& error) = 0;
  virtual bool IsTokenEndpoint(const httplib::Request& req) const = 0;
  // A short name of the endpoint for /_emulator/stats ("query", "upsert", "token").
  virtual std::string Endpoint(const httplib::Request& req) const = 0;
  // Whether this vendor limits calls in flight (NetSuite does; Salesforce's limit on
  // long-running calls is not emulated).
  virtual bool LimitsConcurrency() const = 0;
  // Answers one call; runs under the state lock.
  virtual void Handle(const httplib::Request& req, httplib::Response& res, CallContext& ctx) = 0;
  // The vendor's answer when a call is refused before it runs: `status` 429 or 503 from the
  // fault plan, or `concurrency` true when too many calls are in flight.
  virtual void Refuse(int status, bool concurrency, httplib::Response& res) = 0;
  virtual void ExpireTokens() = 0;
  // Forgets per-run state on POST /_emulator/reset (query cursors, idempotency keys); issued
  // tokens, used nonces and id counters stay (new ids are never reused).
  virtual void Reset() = 0;
  // Vendor figures for /_emulator/stats ({"api_usage": 12}).
  virtual Json Stats() const = 0;
};

std::unique_ptr<Vendor> MakeSalesforce(const Options& options);
std::unique_ptr<Vendor> MakeNetSuite(const Options& options);
std::unique_ptr<Vendor> MakeHubSpot(const Options& options);
std::unique_ptr<Vendor> MakeQuickBooks(const Options& options);
std::unique_ptr<Vendor> MakeSap(const Options& options);
std::unique_ptr<Vendor> MakeOracle(const Options& options);
std::unique_ptr<Vendor> MakeXero(const Options& options);

// Runs the server until SIGTERM or SIGINT; the process's exit code.
int Serve(const Options& options, Vendor& vendor);

// Helpers the vendors share.
void SetJson(httplib::Response& res, int status, const Json& body);
std::string UrlEncode(std::string_view s);  // RFC 3986 unreserved kept, everything else %XX
std::string Lower(std::string_view s);      // ASCII lowercase (names match in any case)

}  // namespace crmx::emulate
