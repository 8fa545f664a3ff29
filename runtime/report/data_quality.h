// Defines the weekly data-quality report (`crmx-run report data-quality`, docs/operations.md,
// "Weekly data-quality report"): from the history of the data-quality queue (each record's stays
// in it, runtime/state/report_book.h), the records open in it at the end of each week, those that
// entered and left during the week and how, the change against the week before, and whether the
// seed's target (the queue shrinks 20% a week) was met; the open records by reason and by missing
// field. Compute is a pure function of the stays and the runs' start times; Text and Json render
// its result.
//
// The rules, in one place:
// - A stay occupies [entered, left): a record is in the queue at instant T when it entered at or
//   before T and has not left by T (left > T, or never). A stay that left when it entered (the same
//   run queued it and cleared it) was never in the queue and is not counted.
// - The weeks end at `now` and go back 7 days each: week i is (end - 7 d, end]. A stay that entered
//   at exactly a week's end entered during that week and is open at its end; one that left at
//   exactly a week's end left during that week and is not open at its end. So open at the end =
//   open at the start + entered - left, for every week.
// - The target is met in a week when open at its end <= 80% of open at its start (5 x end <= 4 x
//   start, in integers: exactly 20% less meets it). A queue empty at both ends meets it (nothing to
//   shrink); an empty queue that fills misses it. The change in % is (end - start) / start, none
//   when the start is 0.
// - A week is judged only when the file had a run at or before its start: the week of the first
//   run is the baseline (the queue it starts from was never measured), weeks before it have no runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/state/state.h"

namespace crmx::report {

// How a stay left the queue.
enum class Left {
  kNot,        // still in the queue
  kFixed,      // a run wrote the record, or skipped it (`when`): fixed at the source
  kMoved,      // a run put it in another queue (waiting for a parent, held, error, deleted)
  kReplayed,   // a person replayed it (`crmx-run queue replay`) and it was written
  kResolved,   // a person resolved it (`crmx-run queue resolve`: fixed elsewhere)
  kDiscarded,  // a person discarded it (will not be fixed)
};

// One record's stay in the queue. Times are Unix seconds.
struct Stay {
  std::string map, record_id;
  std::vector<std::string> reasons;
  std::vector<std::string> fields;  // the fields its failing requires read
  int64_t entered = 0;
  int64_t left = 0;  // when it left; unused while how is kNot
  Left how = Left::kNot;
  std::string moved_to;  // kMoved: the queue it went to
};

struct Options {
  int64_t now = 0;  // the end of the last week (Unix seconds)
  int weeks = 4;    // how many weeks back from `now`
  size_t top = 10;  // reasons and fields listed
};

enum class Verdict {
  kMet,
  kMissed,
  kBaseline,  // the file's first run started during this week: not judged
  kNoRuns,    // no run had started by the end of this week: not judged
};

struct Week {
  int64_t start = 0, end = 0;  // (start, end]
  int64_t runs = 0;            // runs started in the week
  int64_t open_start = 0, open_end = 0;
  int64_t entered = 0, left = 0;
  // How those that left did: at the source, by a person (replayed, resolved, discarded), moved.
  int64_t fixed = 0, replayed = 0, resolved = 0, discarded = 0, moved = 0;
  std::optional<double> change_pct;  // (open_end - open_start) / open_start x 100; none when open_start is 0
  Verdict verdict = Verdict::kNoRuns;
};

// A reason, a field or a map: the records open with it at each week's end (oldest week first), and
// those that entered and left during the period.
struct Tally {
  std::string name;
  std::vector<int64_t> open;
  int64_t entered = 0, left = 0;
};

struct DataQualityReport {
  int64_t now = 0, from = 0;  // the period (from, now]
  std::vector<Week> weeks;    // oldest first
  // Ranked by records open at `now`, then entered during the period, then name; at most
  // Options::top of reasons and fields (how many there were in all: *_total). A record with two
  // reasons counts under both.
  std::vector<Tally> reasons, fields, maps;
  size_t reasons_total = 0, fields_total = 0;
  int64_t judged = 0, met = 0;  // weeks judged, weeks the target was met
  int64_t runs = 0;             // runs of the file
  int64_t runs_in_period = 0;
  int64_t first_run = 0;  // when the file's first run started (0: no run)
};

// The report of `stays` over the `options.weeks` weeks ending at `options.now`. `run_starts`: when
// the runs started (those outside the period are ignored); `first_run`: the file's first run's
// start (0: none); `runs`: how many runs the file has.
DataQualityReport Compute(const std::vector<Stay>& stays, const std::vector<int64_t>& run_starts, int64_t first_run,
                          int64_t runs, const Options& options);

// What the rendering says about where the report came from.
struct Heading {
  std::string state;              // the state file
  std::string since;              // as given: "4w", "10d"
  std::vector<std::string> maps;  // --map filters ("" none)
};

// For people: the weekly table, the verdict, the reasons and fields with their weekly counts, the maps.
std::string Text(const DataQualityReport& r, const Heading& h);
// The same as one JSON object (docs/cli.md).
std::string Json(const DataQualityReport& r, const Heading& h);

// The report of the data-quality queue's history in `store` (state::LoadQueueHistory) over the
// `options.weeks` weeks ending at `options.now`, for `maps` (empty: all). False with `error`
// when SQLite failed or a time in the file is not RFC 3339 (`crmx-run report data-quality`, the
// console's report page).
bool FromState(state::StateStore& store, const std::vector<std::string>& maps, const Options& options,
               DataQualityReport& out, std::string& error);

// An RFC 3339 time as Unix seconds; false when the text is not one.
bool ParseTime(const std::string& text, int64_t& seconds);

// "2026-12-06T12:00:00Z" for Unix seconds.
std::string TimeText(int64_t seconds);
// --since: "4w" or "30d" as a number of weeks (days rounded up to whole weeks); 0 when the text is
// neither (or is 0, or more than 520 weeks).
int ParseWeeks(const std::string& text);

}  // namespace crmx::report
