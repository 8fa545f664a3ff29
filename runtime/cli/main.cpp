// Defines `crmx-run`, the runtime: executes a plan built by `crmxc build`.
//
//   crmx-run run PLAN [--profiles FILE] [--target T] [--system crm=DIR_OR_DB ...] [--state FILE]
//                     [--queues DIR] [--report text|json] [--progress auto|always|never] [--full]
//                     [--wait] [--retry-wait DURATION] [--engine vm|jit]
//   crmx-run diff OLD_PLAN NEW_PLAN [--system NAME=WHERE ...] [--format text|json] [--exit-code]
//   crmx-run assess PLAN [--system NAME=WHERE ...] [--format text|json]
//   crmx-run check-connection PLAN [--profiles FILE] [--target T] [--system NAME=WHERE ...]
//
// Systems come from the profile's target (crmx.profiles.yaml: where each system is and how to
// log in; docs/profiles.md); `--system NAME=WHERE` overrides one with a local directory or
// SQLite database.
//
// Exit status: 0 the run completed (records in queues are not a failure of the run; the
// summary judges them), 1 the run could not be completed (plan refused, system unreadable,
// the state file in use by another run, not writable or full), 2 usage error. docs/operations.md describes the queues and the state file.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "runtime/cli/alerts_command.h"
#include "runtime/cli/assess_command.h"  // crmx-run assess (issue 13)
#include "runtime/cli/cluster.h"  // a run on a PostgreSQL state (issue 15)
#include "runtime/cli/diff_command.h"  // crmx-run diff (issue 12 section 5)
#include "runtime/cli/queue_command.h"
#include "runtime/cli/reconcile_command.h"
#include "runtime/cli/report_command.h"  // crmx-run report data-quality (issue 13 section 3)
#include "runtime/cli/serve_command.h"
#include "runtime/cli/status_command.h"
#include "runtime/cli/state_commands.h"  // crmx-run queue (issue 9 section 3)
#include "runtime/cli/systems.h"
#include "runtime/connectors/api/open_api.h"
#include "runtime/connectors/connector.h"
#include "runtime/engine/crash_points.h"
#include "runtime/engine/engine.h"
#include "runtime/engine/queue_files.h"
#include "runtime/jit/engine.h"  // --engine vm|jit (the optional JIT, runtime/jit)
#include "runtime/plan/plan.h"
#include "runtime/profile/profile.h"
#include "runtime/state/state.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx;

struct RunOptions {
  std::string plan;
  std::vector<std::string> systems;
  std::string profiles;
  std::string target;
  std::string state;
  std::string report = "text";
  std::string queues;
  std::string progress = "auto";
  bool full = false;
  bool wait = false;  // for the state file, when another run holds it
  std::string retry_wait = "60s";
  bool no_state = false;
  std::string engine = "vm";
};

// A one-line progress bar on stderr, redrawn at most ten times a second: the map, the share of
// its input read (when the size is known), records so far and the rate.
class ProgressBar {
 public:
  void Update(const engine::Progress& p) {
    auto now = std::chrono::steady_clock::now();
    if (p.map != map_) {
      map_ = p.map;
      start_ = now;
    }
    if (!p.finished && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    double rate = secs > 0 ? static_cast<double>(p.records) / secs : 0;
    char buf[200];
    std::string bar;
    if (p.total > 0) {
      double share = std::min(1.0, static_cast<double>(p.done) / static_cast<double>(p.total));
      int filled = static_cast<int>(share * 30);
      bar = "[" + std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(30 - filled), ' ') + "] ";
      std::snprintf(buf, sizeof buf, "%3.0f%% ", share * 100);
      bar += buf;
    }
    std::snprintf(buf, sizeof buf, "%lld records, %.0f/s", static_cast<long long>(p.records), rate);
    std::fprintf(stderr, "\r\033[K%-22s %s%s%s", p.map->c_str(), bar.c_str(), buf, p.finished ? "\n" : "");
    std::fflush(stderr);
  }

 private:
  const std::string* map_ = nullptr;
  std::chrono::steady_clock::time_point start_, last_;
};

// The systems of the plan, as every command that runs one opens them (systems.h).
cli::SystemArgs SystemArgsOf(const RunOptions& opt) {
  cli::SystemArgs a;
  a.plan = opt.plan;
  a.systems = opt.systems;
  a.profiles = opt.profiles;
  a.target = opt.target;
  return a;
}

int Open(const RunOptions& opt, plan::Plan& p, cli::OpenSystems& out, cli::LeasesSlot leases = nullptr) {
  cli::SystemArgs args = SystemArgsOf(opt);
  if (leases) cli::SetBudgetAdmission(args, std::move(leases), p);
  return cli::OpenPlanAndSystems(args, p, out);
}

int RunCommand(const RunOptions& opt) {
  plan::Plan p;
  std::string error;
  std::unique_ptr<jit::Jit> jit;  // --engine jit: owns the native code of the plan's programs
  if (int rc = jit::OpenEngine(opt.engine, jit)) return rc;
  cli::OpenSystems open;
  auto leases_slot = std::make_shared<std::atomic<state::Leases*>>(nullptr);
  if (int rc = Open(opt, p, open, leases_slot)) return rc;
  if (jit) {
    if (!jit->CompilePlan(p, error)) {
      std::cerr << "error: " << error << "\n";
      return 1;
    }
    std::cerr << jit->stats().Summary() << "\n";
  }
  auto& systems = open.systems;
  // The state file: --state, else next to the ERP's local store (systems.h); none with
  // --no-state (a one-off run: no cursors, no ledger, no cross-reference kept).
  std::unique_ptr<state::StateStore> st;
  if (opt.no_state && !opt.state.empty()) {
    std::cerr << "error: --state and --no-state contradict each other\n";
    return 2;
  }
  if (!opt.no_state) {
    if (int rc = cli::OpenRunState(open, opt.state, opt.wait, st)) return rc;
  }
  // On PostgreSQL, a run is one more worker of the cluster: it holds the lease of every map it
  // runs (a serve worker running one makes it fail), and counts its calls in the shared budgets.
  std::unique_ptr<state::Leases> leases;
  if (cli::StateAt at = cli::FindState(open, opt.state); st && state::db::IsPostgresUrl(at.location)) {
    std::vector<std::string> maps;
    for (const plan::Map& m : p.maps) maps.push_back(m.name);
    leases = cli::JoinCluster(at, *st, cli::DefaultWorkerName() + ":run", 30000, leases_slot, error);
    std::vector<state::Lease> held;  // given back when `leases` goes
    if (!leases || !state::ClaimMaps(*leases, *st, maps, held, error)) {
      std::cerr << "error: " << profile::Redact(open.target, error) << "\n";
      return 1;
    }
  }
  engine::RunReport report;
  engine::RunOptions options;
  std::unique_ptr<engine::QueueFiles> queues;
  if (!opt.queues.empty()) {
    queues = engine::QueueFiles::Open(opt.queues, error);
    if (!queues) {
      std::cerr << "error: " << error << "\n";
      return 1;
    }
    options.sinks.push_back(queues.get());
    report.queues_dir = opt.queues;
  }
  options.full = opt.full;
  options.retry_wait_ms = cli::DurationMs(opt.retry_wait);
  if (options.retry_wait_ms < 0) {
    std::cerr << "error: --retry-wait takes a duration (0, 500ms, 30s, 5m, 1h), got `" << opt.retry_wait << "`\n";
    return 2;
  }
  ProgressBar bar;
  if (opt.progress == "always" || (opt.progress == "auto" && isatty(STDERR_FILENO))) {
    options.progress = [&bar](const engine::Progress& pr) { bar.Update(pr); };
  }
  if (!engine::Run(p, systems, st.get(), options, report, error)) {
    std::cerr << "error: " << profile::Redact(open.target, error) << "\n";
    return 1;
  }
  for (const auto& [name, c] : open.owned) {
    std::string limits = c->Limits();
    if (!limits.empty()) report.limits[name] = limits;
  }
  if (opt.report == "json") {
    std::cout << engine::ReportJson(report);
  } else {
    std::cout << engine::ReportText(report);
  }
  return 0;
}

// Logs in to each system of the plan and reads one page of one object it reads or writes
// (like `dbt debug`); says what works. Exit 1 when any system fails.
int CheckConnection(const RunOptions& opt) {
  plan::Plan p;
  std::string error;
  cli::OpenSystems open;
  if (int rc = Open(opt, p, open)) return rc;
  if (!open.target.name.empty()) std::cout << "profile " << open.target.file << ", target " << open.target.name << "\n";
  int failed = 0;
  for (const plan::System& x : p.systems) {
    auto c = open.systems.by_name.find(x.name);
    if (c == open.systems.by_name.end()) {
      std::cout << "  " << x.name << ": not configured (no --system and no entry in the profile's target)\n";
      ++failed;
      continue;
    }
    // The first object a map reads from this system, else one it writes.
    const plan::Map* use = nullptr;
    bool as_source = true;
    for (const plan::Map& m : p.maps)
      if (!use && m.source.system == x.name) use = &m;
    if (!use) {
      for (const plan::Map& m : p.maps)
        if (!use && m.target.system == x.name) use = &m;
      as_source = false;
    }
    if (!use) {
      std::cout << "  " << x.name << ": " << open.where[x.name] << ": no map uses it\n";
      continue;
    }
    connectors::ReadRequest req;
    req.object = as_source ? use->source.object : use->target.object;
    std::string id = as_source ? use->source_id : use->target_id;
    if (id.empty()) id = as_source ? "Id" : "id";
    req.fields = {id};
    req.types = {plan::FieldType::kString};
    req.id_field = id;
    req.batch = 200;
    auto start = std::chrono::steady_clock::now();
    std::unique_ptr<connectors::RecordReader> r = c->second->OpenReader(req, error);
    connectors::RecordBatch batch;
    bool ok = r != nullptr;
    if (ok) {
      r->Next(batch);
      ok = r->error().empty();
      if (!ok) error = r->error();
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!ok) {
      std::cout << "  " << x.name << ": " << open.where[x.name] << ": FAILED reading " << req.object << ": "
                << profile::Redact(open.target, error) << "\n";
      ++failed;
      continue;
    }
    std::cout << "  " << x.name << ": " << open.where[x.name] << ": ok, read " << batch.size() << " record"
              << (batch.size() == 1 ? "" : "s") << " of " << req.object << " in " << static_cast<long>(ms) << " ms";
    if (uint64_t calls = r->Calls()) std::cout << ", " << calls << " call" << (calls == 1 ? "" : "s");
    std::string limits = c->second->Limits();
    if (!limits.empty()) std::cout << ", limits " << limits;
    std::cout << "\n";
  }
  std::cout << (failed ? "check-connection: " + std::to_string(failed) + " system(s) failed\n" : "check-connection: all systems ok\n");
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"crmx-run: runs a crmx plan (built by `crmxc build SPEC -o PLAN`)."};
  app.name("crmx-run");
  app.set_version_flag("--version", "crmx-run 0.1.0 (plan format " + std::to_string(crmx::plan::kPlanVersion) + ")");
  app.require_subcommand(1);
  int exit_code = 0;
  auto opt = std::make_shared<RunOptions>();
  CLI::App* run = app.add_subcommand("run", "Runs every map of a plan once, in dependency order, and prints the summary");
  run->add_option("plan", opt->plan, "The plan file (crmxc build SPEC -o PLAN)")->required();
  auto add_systems = [](CLI::App* cmd, RunOptions& o) {
    cmd->add_option("--system", o.systems,
                    "NAME=WHERE: runs system NAME on a local directory of Object.jsonl / Object.csv files or a "
                    "SQLite database (.db/.sqlite, or sqlite:PATH) instead of its profile entry")
        ->allow_extra_args(false);  // one value per --system: the plan may follow
    cmd->add_option("--profiles", o.profiles,
                    "The profile file (default: crmx.profiles.yaml here, else beside the plan; docs/profiles.md)");
    cmd->add_option("--target", o.target, "The profile's target (default: the file's default_target)");
  };
  add_systems(run, *opt);
  run->add_option("--state", opt->state, "The state file (SQLite; default: next to the ERP's database)");
  run->add_option("--report", opt->report, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
  run->add_option("--queues", opt->queues,
                  "Also write the queues as JSON Lines into DIR: quality, held, waiting, errors, flags "
                  "(docs/operations.md)");
  run->add_option("--progress", opt->progress, "auto (default: a progress bar when stderr is a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  run->add_flag("--full", opt->full,
                "Look at every source record, not only those changed since the last run (docs/operations.md)");
  run->add_flag("--wait", opt->wait,
                "When another run holds the state file, wait for it to end (default: exit 1 naming its pid)");
  run->add_flag("--no-state", opt->no_state,
                "Keep no state file: every record is looked at, failed writes are retried only within this run, "
                "nothing is remembered for the next one (docs/operations.md)");
  run->add_option("--retry-wait", opt->retry_wait,
                  "How long the run waits for failed writes that fall due again (default 60s; 0: none); later ones "
                  "stay in the state's ledger for the next run (docs/operations.md)");
  run->add_option("--engine", opt->engine, jit::kEngineHelp)->check(CLI::IsMember({"vm", "jit"}));
  run->callback([opt, &exit_code] { exit_code = RunCommand(*opt); });
  CLI::App* crash = app.add_subcommand("crash-points", "Lists the named crash points of the delivery code "
                                                       "(CRMX_CRASH_AT=NAME:N, for crash-safety tests)");
  crash->group("");  // for tests: not in the help
  crash->callback([] {
    for (const std::string& n : engine::CrashPointNames()) std::cout << n << "\n";
  });
  auto copt = std::make_shared<RunOptions>();
  CLI::App* check = app.add_subcommand(
      "check-connection", "Logs in to each system of a plan and reads one page: says what works (docs/profiles.md)");
  check->add_option("plan", copt->plan, "The plan file (crmxc build SPEC -o PLAN)")->required();
  add_systems(check, *copt);
  check->callback([copt, &exit_code] { exit_code = CheckConnection(*copt); });
  // ---- crmx-run queue: list, show, resolve, discard, replay (runtime/cli/queue_command.h) ----
  crmx::cli::AddQueueCommand(app, exit_code);
  crmx::cli::AddAuditCommand(app, exit_code);
  crmx::cli::AddReconcileCommand(app, exit_code);  // runtime/cli/reconcile_command.h
  crmx::cli::AddAlertsCommand(app, exit_code);  // runtime/cli/alerts_command.h
  crmx::cli::AddServeCommand(app, exit_code);
  crmx::cli::AddStatusCommand(app, exit_code);
  crmx::cli::AddDiffCommand(app, exit_code);  // runtime/cli/diff_command.h
  crmx::cli::AddAssessCommand(app, exit_code);  // runtime/cli/assess_command.h
  crmx::cli::AddReportCommand(app, exit_code);  // runtime/cli/report_command.h
  // ---- end crmx-run queue ----
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return exit_code;
}
