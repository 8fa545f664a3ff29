// Defines `crmx-run serve`: the long-running process that runs every sync of a plan on its
// trigger (runtime/schedule: `every`, `daily_at` with its zone, `on_change` polled), runs a
// sync's due retries when they fall due (the ledger's `due`), runs a sync at once when a
// verified webhook says its source changed, and shows its health over HTTP:
//
//   GET  /healthz             200 {"status":"ok",...} while the loop turns; 503 when it stalled
//                             (no turn for 3 x the tick) or the state failed
//   GET  /metrics             the Prometheus text format (metrics.h)
//   POST /webhooks/SYSTEM     a vendor's webhook: verified (Options::webhooks), then every sync
//                             reading from SYSTEM falls due now. The body is never mapped: the
//                             sync reads the changes through the API (a forged or stale body
//                             changes nothing). 202 accepted; 401 refused (counted by reason);
//                             404 no such system
//
// One thread runs the syncs (the state store and the connectors are used by it alone); the
// HTTP server's threads only verify webhooks, wake the loop and read the metrics. SIGTERM or
// SIGINT: the run in progress finishes (its deliveries settled, or left in flight in the
// ledger for the next run to send), no new one starts, the server stops, exit 0. A restart
// picks up from the state (cursors, ledger, queues).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "runtime/engine/engine.h"
#include "runtime/plan/plan.h"
#include "runtime/schedule/schedule.h"
#include "runtime/state/state.h"

namespace httplib {
class Server;
}

namespace crmx::serve {

struct WebhookRequest {
  std::string method;
  std::string uri;  // as received: path and query
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

struct WebhookVerdict {
  int status = 401;    // what to answer: 202 (or 200 for a handshake), 401 refused
  std::string result;  // "accepted", or the refusal: "unsigned", "bad_signature", "too_old", "replayed", ...
  std::string body;    // answer body, when the scheme needs one
  bool empty_body = false;  // answer with no body at all (Xero wants none)
  bool changed = true;  // accepted and says something changed (false: a handshake)
};

using WebhookVerifier = std::function<WebhookVerdict(const WebhookRequest&, int64_t now_ms)>;

// Work an HTTP thread hands to the loop, which alone may use the state and the connectors (the
// console's actions, runtime/console). Called on the loop's thread between syncs with the state;
// with null when serve stops before it ran (the task must then answer that it did not run).
using LoopTask = std::function<void(state::StateStore* state)>;
// Queues a task for the loop and wakes it; safe from any thread.
using PostTask = std::function<void(LoopTask)>;

struct Options {
  std::string host = "127.0.0.1";
  int port = 9464;  // 0: any free port (printed)
  schedule::Options schedule;
  // How long a run waits in itself for failed writes falling due again; the loop runs a sync
  // again when its next retry is due, so 0 (the default) is right for serve.
  int64_t retry_wait_ms = 0;
  // Per system (the plan's name): how its webhooks are verified. A system without one
  // refuses every webhook (404).
  std::map<std::string, WebhookVerifier> webhooks;
  // One JSON object a line on stderr (else text lines).
  bool json_logs = false;
  // How often the loop looks at its clock at most (and the /healthz stall measure).
  int64_t tick_ms = 250;
  // Set (by the signal handler, or a test) to stop.
  std::atomic<bool>* stop = nullptr;
  // Called once the HTTP server listens, with its port.
  std::function<void(int port)> listening;
  // Called on every turn of the loop, after the syncs due ran, on the loop's thread (the one
  // that may use the state): the reconciliations due and the alerts and their notifications
  // (runtime/serve/reconciles.h, runtime/watch/alerts.h). Returns the events worth a line, each
  // a JSON object with its `event` ("reconcile", "alerts", "notification"); an "alerts" event's
  // `sent`/`retrying`/`failed` counts are added to crmx_notifications_total.
  std::function<std::vector<std::string>(state::StateStore&, int64_t now_ms)> watch;
  // A worker of a cluster on a PostgreSQL state (runtime/state/leases.h): a sync runs only under
  // its lease (claimed, fenced in every commit, given back after), its schedule is read from the
  // state before and after the claim (so that it fires once across the workers), and a webhook
  // marks its syncs in the state for whichever worker claims them. Null: the only worker.
  state::Leases* leases = nullptr;
  // Called once before the server listens, to add routes to it (the console: runtime/console),
  // with the way to run work on the loop's thread.
  std::function<void(httplib::Server& server, const PostTask& post)> mount;
};

// Runs until *options.stop. 0 on a clean stop; 1 with `error` when it cannot start (a port in
// use, a trigger the schedule refuses) or the state failed.
int Serve(const plan::Plan& plan, const engine::Systems& systems, state::StateStore& state, const Options& options,
          std::string& error);

}  // namespace crmx::serve
