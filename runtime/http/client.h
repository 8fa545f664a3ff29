// Defines the HTTP client every API connector uses (libcurl underneath; docs/dependencies.md
// says why): TLS, connection reuse across requests of one Client, timeouts, gzip, the proxy
// from the environment (http_proxy / https_proxy / no_proxy, as curl reads them).
//
// A Send never throws. A request that got no HTTP answer (refused, reset, timed out) comes
// back with status 0 and `transport_error` saying what happened; an HTTP error status is a
// response like any other: the caller reads the vendor's error body.
//
// A Client is used by one thread at a time; make one per concurrent lane.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crmx::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";  // GET, POST, PUT, PATCH, DELETE
  std::string url;             // absolute: "https://x.my.salesforce.com/services/data/v61.0/query?q=..."
  Headers headers;
  std::string body;
  // 0: the client's default (Options::timeout).
  std::chrono::milliseconds timeout{0};
};

struct Response {
  long status = 0;  // 0: no HTTP answer (see transport_error)
  Headers headers;  // in arrival order; names as the server sent them
  std::string body;  // decoded (gzip undone)
  // No answer: "timeout", "connection reset", "connection refused", ... plus curl's text.
  std::string transport_error;
  // The value of header `name` (case-insensitive), "" when absent.
  std::string Header(std::string_view name) const;
  bool Ok() const { return status >= 200 && status < 300; }
};

struct Options {
  std::chrono::milliseconds timeout{60000};          // whole request
  std::chrono::milliseconds connect_timeout{10000};
  std::string user_agent = "crmx-run/0.1";
  // Verify TLS peers (never turned off by a profile without saying so in the log).
  bool verify_tls = true;
  std::string ca_file;  // extra CA bundle; "" for the system's
};

class Client {
 public:
  explicit Client(Options options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  Response Send(const Request& request);
  // Requests sent (each attempt counts), for the run's figures.
  uint64_t Sent() const { return sent_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t sent_ = 0;
};

// Percent-encodes `s` for a URL query value or path segment (RFC 3986 unreserved kept).
std::string UrlEncode(std::string_view s);
// "a=1&b=x%20y" from pairs, each part encoded.
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& pairs);

}  // namespace crmx::http
