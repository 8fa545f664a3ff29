// Defines `crmx-run report` (report_command.h).
#include "runtime/cli/report_command.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "runtime/report/data_quality.h"
#include "runtime/state/state.h"
#include "runtime/value/value.h"

namespace crmx::cli {

namespace {

struct DataQualityArgs {
  std::string state;
  std::string since = "4w";
  std::string now;
  std::vector<std::string> maps;
  int top = 10;
  std::string format = "text";
  bool wait = false;
};

// Opens the state file to read it: read-only without the run lock (a serve may be running); a
// file of an older version is migrated first, as a run would (that takes the lock).
std::unique_ptr<state::StateStore> OpenToRead(const DataQualityArgs& a, std::string& error) {
  state::OpenOptions read_only;
  read_only.read_only = true;
  std::unique_ptr<state::StateStore> st = state::StateStore::Open(a.state, error, read_only);
  // Only a file of an older version (StateStore::Open's refusal of it read-only) is opened again
  // to be migrated: anything else unreadable is left as it is, without a lock file beside it.
  if (st || error.find(" is at state version ") == std::string::npos) return st;
  state::OpenOptions migrate;
  migrate.wait = a.wait;
  migrate.waiting = [&a](const std::string& holder) {
    std::cerr << "waiting for the run holding " << a.state << " (" << holder << ")\n";
  };
  std::string ignored;
  return state::StateStore::Open(a.state, ignored, migrate);
}

int DataQualityCommand(const DataQualityArgs& a) {
  int weeks = report::ParseWeeks(a.since);
  if (weeks == 0) {
    std::cerr << "error: --since takes a number of weeks or days (4w, 30d; 1w to 520w), got `" << a.since << "`\n";
    return 2;
  }
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                    .count();
  if (!a.now.empty() && !report::ParseTime(a.now, now)) {
    std::cerr << "error: --now takes an RFC 3339 time (2026-12-06T12:00:00Z), got `" << a.now << "`\n";
    return 2;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(a.state, ec)) {
    std::cerr << "error: state file " << a.state << " does not exist (a run with --state " << a.state
              << " creates it)\n";
    return 2;
  }
  std::string error;
  std::unique_ptr<state::StateStore> st = OpenToRead(a, error);
  if (!st) {
    std::cerr << "error: " << error << "\n";
    return 2;
  }
  report::Options o;
  o.now = now;
  o.weeks = weeks;
  o.top = static_cast<size_t>(a.top);
  report::DataQualityReport r;
  if (!report::FromState(*st, a.maps, o, r, error)) {
    std::cerr << "error: " << error << "\n";
    return 2;
  }
  report::Heading heading{a.state, a.since, a.maps};
  std::cout << (a.format == "json" ? report::Json(r, heading) : report::Text(r, heading));
  return 0;
}

}  // namespace

void AddReportCommand(CLI::App& app, int& exit_code) {
  CLI::App* report = app.add_subcommand("report", "Reports over a state file's history (docs/operations.md)");
  report->require_subcommand(1);
  auto a = std::make_shared<DataQualityArgs>();
  CLI::App* dq = report->add_subcommand(
      "data-quality",
      "The weekly data-quality report: records blocked in the data-quality queue week over week, by reason and "
      "missing field, against the target of a 20% shrink a week (docs/operations.md)");
  dq->add_option("--state", a->state, "The state file")->required();
  dq->add_option("--since", a->since, "How far back, in whole weeks ending at --now: 4w (default), 8w, 30d");
  dq->add_option("--now", a->now, "The end of the last week, RFC 3339 (default: now)");
  dq->add_option("--map", a->maps, "Only this map's records (repeatable)")->allow_extra_args(false);
  dq->add_option("--top", a->top, "How many reasons and fields to list (default 10; 0: all)")
      ->check(CLI::Range(0, 100000));
  dq->add_option("--format", a->format, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
  dq->add_flag("--wait", a->wait,
               "When the state file must be migrated and a run holds it, wait for the run (default: exit 2)");
  dq->callback([a, &exit_code] { exit_code = DataQualityCommand(*a); });
}

}  // namespace crmx::cli
