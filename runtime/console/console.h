// Defines the operations console: the web pages `crmx-run serve` serves beside /metrics, where
// the people who look after an integration read where it stands and work its queues
// (docs/console.md):
//
//   GET  /login, POST /login, POST /logout       a token from the profile opens a session
//   GET  /                                       the overview: syncs, outcomes, the seed's benchmarks,
//                                                queues, alerts, budgets, reports
//   GET  /queues?queue=&map=&reason=&since=&status=   the queues, filtered
//   GET  /queues/ID                              an item: reasons, fields, delivery, attempts, actions
//   GET  /queues/ID/source                       its source record's values now (read on the loop)
//   POST /queues/ID/replay (step=preview|confirm)    a dry run shown, then the replay
//   POST /queues/ID/resolve, /queues/ID/discard  with a note
//   GET  /runs, /runs/N                          the run history and a run
//   GET  /reports/data-quality, /reports/reconcile/NAME
//   GET  /graph                                  systems, objects, owners and maps
//   GET  /static/console.css, /static/console.js
//
// Without a session every page and action answers 401 (with the login form); a read-only login
// acting answers 403, and so does a POST without its session's CSRF token. Pages are rendered
// on the server with everything escaped, and work without JavaScript.
//
// Threads: pages are read on the HTTP threads, each request through its own read-only
// connection to the state file (see console.cpp); actions run on serve's loop thread, which
// owns the state store and the connectors, through serve's task queue.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "runtime/engine/engine.h"
#include "runtime/plan/plan.h"
#include "runtime/profile/profile.h"
#include "runtime/serve/serve.h"

namespace crmx::console {

struct Options {
  const plan::Plan* plan = nullptr;          // outlives the console
  const engine::Systems* systems = nullptr;  // the loop's connectors (used on the loop's thread only)
  std::string state_path;                    // opened read-only by the pages
  std::string state_password;                // a PostgreSQL state's (cli::StateAt), never shown
  state::Leases* leases = nullptr;           // a cluster's worker: replays hold their maps' leases
  profile::Target target;                    // its `console` section: logins, sessions; what Redact hides
  // `crmxc graph SPEC --format json` output for /graph ("": the maps as the plan has them).
  std::string graph_path;
  // How long an action waits for the loop (busy with a run) before answering 503 without acting.
  int64_t action_timeout_ms = 120000;
};

class Console {
 public:
  // False with `error` when the graph file cannot be read.
  static std::unique_ptr<Console> Make(Options options, std::string& error);
  ~Console();
  // Whether the profile gives any login (without one, the console's pages answer 404).
  bool enabled() const;
  // Adds the console's routes to `server`; actions are posted with `post`.
  void Mount(httplib::Server& server, const serve::PostTask& post);

 private:
  struct Impl;
  explicit Console(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace crmx::console
