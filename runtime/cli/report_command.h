// Defines `crmx-run report`: reports over a state file's history (issue 13 section 3).
//
//   crmx-run report data-quality --state FILE [--since 4w|Nd] [--now RFC3339] [--map MAP ...]
//                                [--top N] [--format text|json] [--wait]
//
// The weekly data-quality report (runtime/report/data_quality.h, docs/operations.md "Weekly
// data-quality report"): the records open in the data-quality queue at each week's end, those that
// entered and left during the week, the change and the seed's 20%-a-week target, by reason and by
// missing field. Reads the state read-only (beside a running serve); an older state file is
// migrated first (then the run lock is taken, waiting for a run with --wait).
// Exit status: 0 reported (also when there is nothing to report: said so), 2 on an error (the
// state file missing or unreadable, a bad option; said on stderr).
#pragma once

namespace CLI {
class App;
}

namespace crmx::cli {

// Adds the `report` command (and its `data-quality` report) to `app`; its exit status goes to
// `exit_code`.
void AddReportCommand(CLI::App& app, int& exit_code);

}  // namespace crmx::cli
