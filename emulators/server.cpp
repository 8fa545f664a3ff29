// Defines Serve: the HTTP server both vendors run in, its dispatch and the inspection
// endpoints under /_emulator/.
#include "emulators/server.h"

#include <cctype>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include <httplib.h>

namespace crmx::emulate {
namespace {

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Figures for /_emulator/stats, guarded by their own lock (they are bumped outside the state lock).
struct Stats {
  std::mutex mu;
  std::map<std::string, uint64_t> requests;  // by endpoint
  std::map<std::string, uint64_t> faults;    // by fault kind, plus "concurrency"
  void Count(std::map<std::string, uint64_t>& m, const std::string& key) {
    std::lock_guard<std::mutex> lock(mu);
    ++m[key];
  }
};

void Lines(httplib::Response& res, const std::vector<std::string>& lines) {
  std::string body;
  for (const auto& l : lines) body += l + "\n";
  res.status = 200;
  res.set_content(body, "application/x-ndjson");
}

}  // namespace

void SetJson(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(DumpExact(body), "application/json;charset=UTF-8");
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string UrlEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

int Serve(const Options& options, Vendor& vendor) {
  Store store;
  std::vector<std::string> notes;
  std::string error;
  bool loaded = false;
  try {
    loaded = vendor.Load(store, notes, error);
  } catch (const std::exception& e) {
    // A schema file with an unexpected shape (nlohmann throws on a wrong type).
    error = std::string("cannot read the schemas: ") + e.what();
  }
  if (!loaded) {
    std::cerr << "crmx-emulate: " << error << "\n";
    return 2;
  }
  for (const auto& note : notes) std::cerr << "crmx-emulate: note: " << note << "\n";

  // Signals are taken by one thread with sigwait; every other thread (the server's pool
  // included, created later) inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  httplib::Server server;
  // Enough workers that calls beyond --concurrency reach the limit instead of queueing.
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port("127.0.0.1");
  } else if (!server.bind_to_port("127.0.0.1", port)) {
    port = -1;
  }
  if (port <= 0) {
    std::cerr << "crmx-emulate: cannot listen on 127.0.0.1:" << options.port << "\n";
    return 2;
  }
  const std::string base_url = "http://127.0.0.1:" + std::to_string(port);

  std::mutex state_mu;  // the store and the vendor's state: one call at a time
  std::atomic<uint64_t> seq{0};
  std::atomic<int> in_flight{0};
  Stats stats;
  FaultPlan plan(options.fault_rate, options.fault_seed);

  auto inspect = [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(state_mu);
    const std::string what = req.path.substr(std::string("/_emulator/").size());
    if (req.method == "GET" && what.rfind("records/", 0) == 0) {
      std::vector<std::string> lines;
      auto it = store.Tables().find(what.substr(8));
      if (it != store.Tables().end()) {
        for (const auto& r : it->second) lines.push_back(DumpExact(r));
      }
      Lines(res, lines);
    } else if (req.method == "GET" && what == "journal") {
      std::vector<std::string> lines;
      for (const auto& e : store.Journal()) {
        Json j = {{"time", e.time}, {"object", e.object}, {"key", e.key},
                  {"id", e.id},     {"op", e.op},         {"request_id", e.request_id}};
        lines.push_back(DumpExact(j));
      }
      Lines(res, lines);
    } else if (req.method == "POST" && what == "reset") {
      // Back to the seed, and to call number 0: the same calls after a reset meet the same faults.
      store.Reset();
      vendor.Reset();
      seq = 0;
      SetJson(res, 200, Json{{"reset", true}});
    } else if (req.method == "POST" && what == "expire-tokens") {
      vendor.ExpireTokens();
      SetJson(res, 200, Json{{"expired", true}});
    } else if (req.method == "GET" && what == "stats") {
      std::lock_guard<std::mutex> stats_lock(stats.mu);
      Json body = vendor.Stats();
      body["api_calls"] = seq.load();
      body["requests"] = stats.requests;
      body["faults"] = stats.faults;
      SetJson(res, 200, body);
    } else {
      SetJson(res, 404, Json{{"error", "no such emulator endpoint: " + req.method + " " + req.path}});
    }
  };

  auto serve = [&](const httplib::Request& req, httplib::Response& res) {
    if (req.path.rfind("/_emulator/", 0) == 0) return inspect(req, res);
    stats.Count(stats.requests, vendor.Endpoint(req));
    if (vendor.IsTokenEndpoint(req)) {
      std::lock_guard<std::mutex> lock(state_mu);
      CallContext ctx{store, options, base_url, 0, "token"};
      vendor.Handle(req, res, ctx);
      return;
    }
    const uint64_t n = ++seq;
    struct InFlight {
      std::atomic<int>& count;
      ~InFlight() { --count; }
    } guard{in_flight};
    if (++in_flight > options.concurrency && vendor.LimitsConcurrency()) {
      stats.Count(stats.faults, "concurrency");
      vendor.Refuse(429, true, res);
      return;
    }
    if (options.latency_ms > 0) Sleep(options.latency_ms);
    const Fault fault = plan.Decide(n);
    if (fault != Fault::kNone) stats.Count(stats.faults, FaultName(fault));
    switch (fault) {
      case Fault::kTooManyRequests:
        vendor.Refuse(429, false, res);
        res.set_header("Retry-After", "1");
        return;
      case Fault::kUnavailable:
        vendor.Refuse(503, false, res);
        return;
      case Fault::kTimeout:
        Sleep(options.fault_delay_ms);
        ResetConnection(req);
        return;
      case Fault::kResetBeforeApply:
        ResetConnection(req);
        return;
      case Fault::kSlow:
        Sleep(options.fault_delay_ms);
        break;
      case Fault::kNone:
      case Fault::kResetAfterApply:
        break;
    }
    {
      std::lock_guard<std::mutex> lock(state_mu);
      CallContext ctx{store, options, base_url, n, "req-" + std::to_string(n)};
      vendor.Handle(req, res, ctx);
    }
    if (fault == Fault::kResetAfterApply) ResetConnection(req);
  };
  // cpp-httplib 0.11 does not catch what a handler throws (the process would terminate), so
  // the boundary is here: nlohmann throws on a JSON shape the vendor code did not expect, and
  // that is the emulator's bug, reported as a 500 and on stderr, never a crash.
  auto dispatch = [&](const httplib::Request& req, httplib::Response& res) {
    try {
      serve(req, res);
    } catch (const std::exception& e) {
      std::cerr << "crmx-emulate: internal error on " << req.method << " " << req.path << ": " << e.what() << "\n";
      SetJson(res, 500, Json{{"error", "emulator internal error"}, {"detail", e.what()}});
    }
  };
  server.Get(".*", dispatch);
  server.Post(".*", dispatch);
  server.Put(".*", dispatch);
  server.Patch(".*", dispatch);
  server.Delete(".*", dispatch);

  std::atomic<bool> signaled{false};
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    signaled = true;
    server.stop();
  });
  std::printf("listening on %s\n", base_url.c_str());
  std::fflush(stdout);
  bool ok = server.listen_after_bind();
  // Wakes the waiter when the server stopped by itself.
  if (!signaled) pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return ok ? 0 : 1;
}

}  // namespace crmx::emulate
