// Defines Measure: where an integration stands, from its state's figures (state::LoadStatus)
// and its plan: each sync's last run and how long it took from its due instant, and the seed's
// benchmarks judged against their bands (good / typical / red; between typical and red:
// warning). `crmx-run status` prints it (runtime/cli/status_command.cpp), the console's
// overview shows it (runtime/console): one computation, the same figures. docs/serve.md,
// "Status", lists the benchmarks and how each is measured.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/plan/plan.h"
#include "runtime/state/state.h"
#include "runtime/state/status_book.h"

namespace crmx::report {

// A sync of the plan and its last run under serve (`ran` false: none yet).
struct SyncStanding {
  std::string sync, trigger;
  bool ran = false;
  state::SyncRecord last;
  // From the instant the run was due (a schedule's instant) to its end; the run's own length for
  // a retry or a webhook.
  double latency_s = 0;
};

// A seed benchmark, measured.
struct Benchmark {
  std::string name;   // "sync latency, event-driven"
  std::string bands;  // "<1 min / 1-5 min / >15 min"
  std::optional<double> value;  // none: not measured
  std::string shown;  // the value for people ("42.0 s", "0.50%"), or why it is not measured
  std::string band;   // good, typical, warning, red, or "not measured"
  std::string of;     // the sync, map or system it was measured on ("" when the whole state)
};

// A system's API budget in the latest run ("api_calls 120 of 15000 per 24h").
struct Budget {
  std::string system;
  std::string text;  // as the run's summary says it
  // The api_calls used and allowed in the window, when the text says them (limit 0: not said).
  double used = 0, limit = 0;
};

struct Standing {
  std::vector<SyncStanding> syncs;  // in plan order
  std::vector<Benchmark> benchmarks;
  std::vector<Budget> budgets;  // by system
};

Standing Measure(const plan::Plan& plan, const state::StatusFigures& figures);

// Unix ms as "2026-12-06T04:00:00Z"; "-" for 0.
std::string MsTime(int64_t ms);
// A duration for people: "42.0 s", "3.5 min", "2.1 h".
std::string Seconds(double s);

}  // namespace crmx::report
