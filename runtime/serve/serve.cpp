// Defines `crmx-run serve` (serve.h): the loop that runs the syncs on their triggers, and the
// HTTP server beside it (health, metrics, webhooks).
#include "runtime/serve/serve.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <ctime>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "runtime/serve/metrics.h"

namespace crmx::serve {

namespace {

using json = nlohmann::json;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Rfc3339(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

// One line per event on stderr: text (`2026-12-06T10:00:00.000Z sync won_to_order ok ...`) or
// JSON ({"ts":...,"event":"sync","sync":"won_to_order",...}).
class Log {
 public:
  explicit Log(bool as_json) : json_(as_json) {}
  void Event(const std::string& event, json fields) {
    std::lock_guard<std::mutex> lock(mu_);
    std::string ts = Rfc3339(WallMs());
    if (json_) {
      json line = {{"ts", ts}, {"event", event}};
      for (auto& [k, v] : fields.items()) line[k] = v;
      std::cerr << line.dump() << "\n";
    } else {
      std::cerr << ts << " " << event;
      for (auto& [k, v] : fields.items()) std::cerr << " " << k << "=" << (v.is_string() ? v.get<std::string>() : v.dump());
      std::cerr << "\n";
    }
    std::cerr.flush();
  }

 private:
  bool json_;
  std::mutex mu_;
};

// A sync as the loop keeps it.
struct SyncSlot {
  const plan::Sync* sync = nullptr;
  const plan::Map* map = nullptr;
  schedule::Schedule when;
  std::optional<int64_t> last_due;  // the due instant the last run stood for
  int64_t next_ms = 0;              // when the schedule is due next
  int64_t retry_ms = 0;             // when its earliest failed delivery is due again (0: none)
  int64_t woken_ms = 0;             // a webhook said its source changed (0: none)
};

// What the HTTP threads and the loop share.
struct Shared {
  std::mutex mu;
  std::condition_variable wake;
  std::set<std::string> changed_systems;  // webhooks since the loop last looked
  std::map<std::string, int64_t> changed_at;
  std::atomic<int64_t> last_turn_ms{0};  // steady clock
  std::atomic<int64_t> running_since{0};  // steady clock; 0: no run in progress
  std::string running;                    // the sync in progress (under mu)
  std::atomic<bool> state_failed{false};
  std::deque<LoopTask> tasks;  // posted by the HTTP threads (Options::mount), run by the loop (under mu)
  bool closed = false;         // the loop ended: a task posted now is told at once that it did not run (under mu)
  LoopTask NextTask() {
    std::lock_guard<std::mutex> lock(mu);
    LoopTask t;
    if (!tasks.empty()) {
      t = std::move(tasks.front());
      tasks.pop_front();
    }
    return t;
  }
};

}  // namespace

int Serve(const plan::Plan& plan, const engine::Systems& systems, state::StateStore& state, const Options& options,
          std::string& error) {
  Log log(options.json_logs);
  Metrics metrics;
  Shared shared;
  // The syncs and their schedules; a trigger the schedule refuses stops serve before it starts.
  std::vector<SyncSlot> slots;
  for (const plan::Sync& s : plan.syncs) {
    SyncSlot slot;
    slot.sync = &s;
    for (const plan::Map& m : plan.maps)
      if (m.name == s.map) slot.map = &m;
    if (slot.map == nullptr) {
      error = "sync `" + s.map + "` has no map of that name in the plan";
      return 1;
    }
    std::optional<schedule::Schedule> when = schedule::Parse(s.trigger, s.every_ms, s.daily_at, options.schedule, error);
    if (!when) {
      error = "sync `" + s.map + "`: " + error;
      return 1;
    }
    slot.when = *when;
    slots.push_back(slot);
  }
  if (slots.empty()) {
    error = "the plan has no sync: nothing to serve (a `sync MAP every 1h` or `on change` says when a map runs)";
    return 1;
  }

  httplib::Server server;
  server.Get("/healthz", [&](const httplib::Request&, httplib::Response& res) {
    int64_t now_steady = SteadyMs();
    int64_t idle = now_steady - shared.last_turn_ms.load();
    int64_t since = shared.running_since.load();
    // A run in progress is the loop at work, however long; between runs it turns every tick.
    bool stalled = since == 0 && idle > std::max<int64_t>(3 * options.tick_ms, 1000) && shared.last_turn_ms.load() != 0;
    bool failed = shared.state_failed.load();
    json body = {{"status", failed ? "state failed" : stalled ? "stalled" : "ok"}, {"last_turn_ms_ago", idle}};
    if (since != 0) {
      std::lock_guard<std::mutex> lock(shared.mu);
      body["running"] = shared.running;
      body["running_ms"] = now_steady - since;
    }
    res.status = failed || stalled ? 503 : 200;
    res.set_content(body.dump() + "\n", "application/json");
  });
  server.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.Text(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server.Post(R"(/webhooks/([A-Za-z0-9_]+))", [&](const httplib::Request& req, httplib::Response& res) {
    std::string system = req.matches[1];
    auto v = options.webhooks.find(system);
    if (v == options.webhooks.end()) {
      metrics.Webhook(system, "no_webhook_configured");
      res.status = 404;
      res.set_content("no webhook is configured for system `" + system + "`\n", "text/plain");
      return;
    }
    WebhookRequest w;
    w.method = req.method;
    w.uri = req.target;
    for (const auto& [k, val] : req.headers) {
      std::string name = k;
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      w.headers[name] = val;
    }
    w.body = req.body;
    WebhookVerdict verdict = v->second(w, WallMs());
    metrics.Webhook(system, verdict.result);
    log.Event("webhook", {{"system", system}, {"result", verdict.result}, {"status", verdict.status}});
    res.status = verdict.status;
    if (!verdict.empty_body)
      res.set_content(verdict.body.empty() ? verdict.result + "\n" : verdict.body, "text/plain");
    if (verdict.status < 300 && verdict.changed) {
      std::lock_guard<std::mutex> lock(shared.mu);
      shared.changed_systems.insert(system);
      shared.changed_at.emplace(system, WallMs());
      shared.wake.notify_one();
    }
  });
  if (options.mount) {
    options.mount(server, [&shared](LoopTask task) {
      std::unique_lock<std::mutex> lock(shared.mu);
      if (shared.closed) {
        lock.unlock();
        task(nullptr);
        return;
      }
      shared.tasks.push_back(std::move(task));
      shared.wake.notify_one();
    });
  }
  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host);
    if (port < 0) {
      error = "cannot listen on " + options.host;
      return 1;
    }
  } else if (!server.bind_to_port(options.host, port)) {
    error = "cannot listen on " + options.host + ":" + std::to_string(port) + " (in use? --listen HOST:PORT)";
    return 1;
  }
  std::thread http([&server] { server.listen_after_bind(); });
  if (options.listening) options.listening(port);
  log.Event("listening", {{"url", "http://" + options.host + ":" + std::to_string(port)},
                          {"syncs", static_cast<int64_t>(slots.size())}});

  auto refresh_gauges = [&] {
    std::map<std::string, int64_t> ledger;
    for (const auto& [k, n] : state.LedgerCounts()) ledger[k] = n;
    metrics.Ledger(ledger);
    metrics.QueueSizes(state.OpenItemCounts());
  };
  refresh_gauges();
  metrics.Up(true);
  int64_t now = WallMs();
  // Where each sync stood when serve last stopped (table `syncs`). A sync serve never ran runs
  // at once (its first run stands for the schedule's latest due instant): a new deployment
  // syncs now, not at the next top of the hour.
  std::map<std::string, state::SyncRecord> kept = state.LoadSyncs();
  for (SyncSlot& s : slots) {
    auto k = kept.find(s.map->name);
    if (k != kept.end() && k->second.last_due != 0) s.last_due = k->second.last_due;
    else if (s.when.kind != schedule::TriggerKind::kOnChange) s.last_due = schedule::LatestDue(s.when, now) - 1;
    s.retry_ms = state.NextRetryDue(s.map->name, now);
  }
  state::Leases* leases = options.leases;
  std::string cluster_error;
  if (leases) {
    std::vector<std::string> names;
    for (const SyncSlot& s : slots) names.push_back(s.map->name);
    if (!leases->Ensure(names, cluster_error)) {
      error = "state: cannot make the syncs' leases: " + cluster_error;
      server.stop();
      http.join();
      return 1;
    }
  }
  // In a cluster, where the other workers left the syncs: their last due instants, the retries
  // they left, and the webhooks any worker took.
  auto refresh_from_cluster = [&](int64_t at) {
    std::map<std::string, state::SyncRecord> now_kept = state.LoadSyncs();
    std::map<std::string, int64_t> woken = leases->Woken(cluster_error);
    for (SyncSlot& s : slots) {
      auto k = now_kept.find(s.map->name);
      if (k != now_kept.end() && k->second.last_due != 0 &&
          (!s.last_due || *s.last_due < k->second.last_due))
        s.last_due = k->second.last_due;
      s.retry_ms = state.NextRetryDue(s.map->name, at);
      auto w = woken.find(s.map->name);
      s.woken_ms = w == woken.end() ? 0 : w->second;
    }
  };

  int rc = 0;
  while (!options.stop->load()) {
    shared.last_turn_ms.store(SteadyMs());
    now = WallMs();
    {
      std::lock_guard<std::mutex> lock(shared.mu);
      for (const std::string& sys : shared.changed_systems) {
        std::vector<std::string> names;
        for (SyncSlot& s : slots) {
          if (s.map->source.system != sys) continue;
          if (s.woken_ms == 0) s.woken_ms = shared.changed_at[sys];
          names.push_back(s.map->name);
        }
        // Any worker may run them: the mark is in the state.
        if (leases && !leases->Wake(names, shared.changed_at[sys], cluster_error))
          log.Event("cluster", {{"error", cluster_error}});
      }
      shared.changed_systems.clear();
      shared.changed_at.clear();
    }
    if (leases) refresh_from_cluster(now);
    // In plan order, every sync that is due: by its schedule, a retry, or a webhook.
    for (SyncSlot& s : slots) {
      if (options.stop->load()) break;
      schedule::Decision d = schedule::Decide(s.when, s.last_due, now);
      bool retry_due = s.retry_ms != 0 && s.retry_ms <= now;
      if (!d.run && !retry_due && s.woken_ms == 0) {
        s.next_ms = d.next_ms;
        continue;
      }
      std::optional<state::Lease> lease;
      if (leases) {
        // Another worker may hold it, or have run it since this one looked: claimed, then
        // decided again on what the state says now.
        lease = leases->Claim(s.map->name, cluster_error);
        if (!lease) {
          if (!cluster_error.empty()) log.Event("cluster", {{"sync", s.map->name}, {"error", cluster_error}});
          cluster_error.clear();
          s.next_ms = std::min(d.next_ms, now + options.tick_ms);
          continue;
        }
        refresh_from_cluster(now);
        d = schedule::Decide(s.when, s.last_due, now);
        retry_due = s.retry_ms != 0 && s.retry_ms <= now;
        if (!d.run && !retry_due && s.woken_ms == 0) {
          leases->Release(*lease);
          s.next_ms = d.next_ms;
          continue;
        }
        state.Fence(leases->owner(), {*lease}, leases->ttl_ms());
        log.Event("claimed", {{"sync", s.map->name}, {"token", lease->token}});
      }
      state::SyncRecord rec{s.map->name, 0, WallMs(), 0, "", "", 0, 0};
      const char* why = s.woken_ms ? "webhook" : d.run ? "schedule" : "retry";
      int64_t due_ms = s.woken_ms ? s.woken_ms : d.run ? d.due_ms : s.retry_ms;
      if (d.run) s.last_due = d.due_ms;
      int64_t woken_ms = s.woken_ms;
      s.woken_ms = 0;
      engine::RunOptions run_options;
      run_options.maps = {s.map->name};
      run_options.retry_wait_ms = options.retry_wait_ms;
      engine::RunReport report;
      std::string run_error;
      int64_t started = WallMs();
      {
        std::lock_guard<std::mutex> lock(shared.mu);
        shared.running = s.map->name;
      }
      shared.running_since.store(SteadyMs());
      bool ok = engine::Run(plan, systems, &state, run_options, report, run_error);
      shared.running_since.store(0);
      shared.last_turn_ms.store(SteadyMs());
      int64_t ended = WallMs();
      double seconds = static_cast<double>(ended - started) / 1000.0;
      double since_due = static_cast<double>(std::max<int64_t>(0, ended - due_ms)) / 1000.0;
      metrics.SyncRun(s.map->name, ok ? &report : nullptr, seconds, since_due);
      json fields = {{"sync", s.map->name}, {"why", why}, {"ok", ok}, {"seconds", seconds}};
      if (ok) {
        for (const engine::MapReport& m : report.maps) {
          fields["written"] = m.written;
          fields["queued"] = m.data_quality.count + m.held.count + m.waiting.count + m.error.count;
          fields["retrying"] = m.retrying.count;
          fields["dead_letter"] = m.dead_letter.count;
        }
        fields["run"] = report.run;
      } else {
        fields["error"] = run_error;
      }
      if (d.skipped) fields["skipped_due"] = d.skipped;
      log.Event("sync", fields);
      if (lease && state.fence_lost()) {
        // Stalled past its lease: another worker runs the sync now; nothing of this run's last
        // transaction was written. This worker goes on with the others.
        log.Event("lease_lost", {{"sync", s.map->name}, {"token", lease->token}, {"error", state.error()}});
        state.RecoverFromLostLease();
        state::Unclaim(*leases, state, {*lease});
        continue;
      }
      if (!state.ok()) {
        // The state cannot be written (a full disk, a lock lost): stopping is the only safe move.
        shared.state_failed.store(true);
        error = state.error();
        rc = 1;
        break;
      }
      now = WallMs();
      s.retry_ms = state.NextRetryDue(s.map->name, now);
      s.next_ms = schedule::Decide(s.when, s.last_due, now).next_ms;
      rec.last_due = s.last_due.value_or(0);
      rec.last_finished = ended;
      rec.last_result = ok ? "ok" : run_error;
      rec.last_why = why;
      rec.last_run = report.run;
      rec.next_due = s.retry_ms ? std::min(s.retry_ms, s.next_ms) : s.next_ms;
      if (lease) {
        // Under the fence: a worker that lost the sync does not move its schedule.
        bool saved = state.Begin() && state.SaveSync(rec) && state.Commit();
        if (saved && woken_ms) leases->ClearWoken(s.map->name, woken_ms, cluster_error);
        bool lost = state.fence_lost();
        if (lost) {
          log.Event("lease_lost", {{"sync", s.map->name}, {"token", lease->token}, {"error", state.error()}});
          state.RecoverFromLostLease();
        }
        state::Unclaim(*leases, state, {*lease});
        if (!lost && !state.ok()) {
          shared.state_failed.store(true);
          error = state.error();
          rc = 1;
          break;
        }
      } else {
        state.SaveSync(rec);
      }
      refresh_gauges();
    }
    if (rc) break;
    // What the HTTP threads posted (the console's actions), each on this thread, which owns the state.
    while (LoopTask task = shared.NextTask()) {
      // A replay runs the engine: /healthz shows it as work in progress, like a sync's run.
      {
        std::lock_guard<std::mutex> lock(shared.mu);
        shared.running = "(a console action)";
      }
      shared.running_since.store(SteadyMs());
      task(&state);
      shared.running_since.store(0);
      shared.last_turn_ms.store(SteadyMs());
      refresh_gauges();
    }
    if (!state.ok()) {
      shared.state_failed.store(true);
      error = state.error();
      rc = 1;
      break;
    }
    if (options.watch) {
      for (const std::string& said : options.watch(state, WallMs())) {
        json e = json::parse(said, nullptr, false);
        if (!e.is_object() || !e.contains("event") || !e["event"].is_string()) {
          log.Event("watch", {{"text", said}});
          continue;
        }
        std::string event = e["event"].get<std::string>();
        e.erase("event");
        if (event == "alerts")
          for (const char* result : {"sent", "retrying", "failed"})
            if (e.contains(result) && e[result].is_number_unsigned())
              metrics.Notifications(result, e[result].get<uint64_t>());
        log.Event(event, std::move(e));
      }
      if (!state.ok()) {
        shared.state_failed.store(true);
        error = state.error();
        rc = 1;
        break;
      }
    }
    // Sleep until the next due instant, a webhook, or the tick (to see a stop).
    int64_t next = now + options.tick_ms;
    for (const SyncSlot& s : slots) {
      next = std::min(next, s.next_ms);
      if (s.retry_ms) next = std::min(next, s.retry_ms);
    }
    int64_t wait = std::max<int64_t>(1, next - WallMs());
    std::unique_lock<std::mutex> lock(shared.mu);
    shared.wake.wait_for(lock, std::chrono::milliseconds(wait),
                         [&] { return !shared.changed_systems.empty() || !shared.tasks.empty() || options.stop->load(); });
  }
  metrics.Up(false);
  // Tasks still queued never run: their HTTP threads are told so before the server stops.
  {
    std::lock_guard<std::mutex> lock(shared.mu);
    shared.closed = true;
  }
  while (LoopTask task = shared.NextTask()) task(nullptr);
  log.Event("stopping", {{"reason", rc ? "state failed" : "signal"}});
  server.stop();
  http.join();
  return rc;
}

}  // namespace crmx::serve
