// Defines the status book: what `crmx-run status` reads from a state file to say where an
// integration stands (docs/serve.md, "Status"): each sync's last and next run (table `syncs`),
// the queues, the ledger, the budgets and failure rates of the latest runs (`runs.summary`),
// and the figures behind the seed's benchmarks, each measured from the state:
//
// - error resolution time: for each delivery that failed and was then done, from its first
//   failed attempt to when it was done; for each queue item a person resolved, from the start
//   of the run that first queued it to the action (the median, over the last `window_ms`);
// - failure rate: (data-quality + held + waiting + error) / (read - skipped) of each map's
//   latest run;
// - data-quality backlog: open data-quality items;
// - sync latency: for each sync, from its last due instant (schedule, retry or webhook) to the
//   end of the run that served it;
// - change to delivery (closed-won to sales order): for each delivery done in the window, from
//   when its source record changed (its cursor, deliveries.source_changed) to when its write was
//   done, to the second; changes from before the state's first run (the backfill) not counted.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/state/state.h"

namespace crmx::state {

struct MapFigures {
  std::string map;
  int64_t run = 0;       // the latest run of the map
  std::string finished;  // when it ended (RFC 3339)
  int64_t read = 0, skipped = 0, written = 0, queued = 0;  // queued: data-quality + held + waiting + error
  double failure_rate = 0;
};

struct StatusFigures {
  std::map<std::string, SyncRecord> syncs;
  std::map<std::string, int64_t> open_items;  // by queue
  std::map<std::string, int64_t> ledger;      // by state
  std::map<std::string, std::string> budgets;  // system -> "api_calls 120/15000 per 24h" (the latest run's)
  std::vector<MapFigures> maps;                // the latest run of each map
  std::optional<double> resolution_median_s;   // none when nothing was resolved in the window
  int64_t resolutions = 0;
  int64_t runs = 0;
  std::string last_run_finished;
  // Alerts that fired and still hold (table alert_timers), by alert; records matching that have
  // not held long enough yet are not counted.
  std::map<std::string, int64_t> open_alerts;
  // The latest reconciliation of each name (table reconciliations).
  struct Reconciliation {
    std::string name, finished;
    int64_t matched = 0, discrepancies = 0;
  };
  std::vector<Reconciliation> reconciliations;
  // Change to delivery, by map: the deliveries done in the window and the median and 95th
  // percentile of their times, in seconds.
  struct ChangeToDone {
    int64_t n = 0;
    double median_s = 0, p95_s = 0;
  };
  std::map<std::string, ChangeToDone> change_to_done;
};

// Reads the figures; false with `error` when SQLite failed.
bool LoadStatus(StateStore& store, int64_t now_ms, int64_t window_ms, StatusFigures& out, std::string& error);

}  // namespace crmx::state
