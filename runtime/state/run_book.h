// Defines the run book: the run history of a state file (table `runs`) as the console lists it
// (runtime/console): each run's start, end, plan hash and summary (the run's JSON report,
// runtime/engine's ReportJson).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/state/state.h"

namespace crmx::state {

struct RunRow {
  int64_t run = 0;
  std::string started, finished;  // RFC 3339 UTC; finished "" while it runs (or when it died)
  std::string plan_hash;
  std::string summary;  // JSON; "" before the run finished
};

// The latest `limit` runs with an id below `before` (0: the latest), newest first. False with `error`.
bool ListRuns(StateStore& store, int64_t before, int64_t limit, std::vector<RunRow>& out, std::string& error);
// Run `run`; false with `error` empty when there is none.
bool GetRun(StateStore& store, int64_t run, RunRow& out, std::string& error);

}  // namespace crmx::state
