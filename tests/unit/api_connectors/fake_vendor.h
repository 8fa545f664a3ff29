// Defines FakeVendor: a local HTTP server (cpp-httplib, 127.0.0.1 only) for the API connector
// tests. It records every request and answers with what the test's handler returns. Header-only.
#pragma once

#include <httplib.h>

#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace crmx::testing {

struct Seen {
  std::string method;
  std::string path;    // without the query
  std::string target;  // path and query as sent
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string Header(const std::string& name) const {
    for (const auto& [k, v] : headers)
      if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
          }))
        return v;
    return {};
  }
  std::string Param(const std::string& name) const {
    for (const auto& [k, v] : params)
      if (k == name) return v;
    return {};
  }
};

struct Answer {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class FakeVendor {
 public:
  using Handler = std::function<Answer(const Seen&)>;

  explicit FakeVendor(Handler handler) : handler_(std::move(handler)) {
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    auto serve = [this](const httplib::Request& req, httplib::Response& res) {
      Seen s;
      s.method = req.method;
      s.path = req.path;
      s.target = req.target;
      for (const auto& [k, v] : req.params) s.params.emplace_back(k, v);
      for (const auto& [k, v] : req.headers) s.headers.emplace_back(k, v);
      s.body = req.body;
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.push_back(s);
      }
      Answer a = handler_(s);
      res.status = a.status;
      for (const auto& [k, v] : a.headers) res.set_header(k, v);
      if (!a.body.empty()) res.set_content(a.body, "application/json");
    };
    server_.Get(".*", serve);
    server_.Post(".*", serve);
    server_.Put(".*", serve);
    server_.Patch(".*", serve);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeVendor() {
    server_.stop();
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<Seen> Requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  // The requests whose path starts with `prefix`.
  std::vector<Seen> Requests(const std::string& prefix) const {
    std::vector<Seen> out;
    for (const Seen& s : Requests())
      if (s.path.rfind(prefix, 0) == 0) out.push_back(s);
    return out;
  }

 private:
  Handler handler_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Seen> seen_;
};

}  // namespace crmx::testing
