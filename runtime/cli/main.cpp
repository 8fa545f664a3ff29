// Defines `crmx-run`, the runtime: executes a plan built by `crmxc build`.
//
//   crmx-run run PLAN --system crm=DIR_OR_DB --system erp=DIR_OR_DB [--state FILE] [--queues DIR]
//                     [--report text|json] [--progress auto|always|never] [--full]
//
// Exit status: 0 the run completed (records in queues are not a failure of the run; the
// summary judges them), 1 the run could not be completed (plan refused, system unreadable),
// 2 usage error. docs/operations.md describes the queues and the state file.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "runtime/connectors/connector.h"
#include "runtime/engine/engine.h"
#include "runtime/engine/queue_files.h"
#include "runtime/plan/plan.h"
#include "runtime/state/state.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx;

struct RunOptions {
  std::string plan;
  std::vector<std::string> systems;
  std::string state;
  std::string report = "text";
  std::string queues;
  std::string progress = "auto";
  bool full = false;
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

int RunCommand(const RunOptions& opt) {
  plan::Plan p;
  std::string error;
  if (!plan::ReadPlanFile(opt.plan, p, error)) {
    std::cerr << "error: " << error << "\n";
    return 1;
  }
  std::map<std::string, std::unique_ptr<connectors::Connector>> owned;
  std::map<std::string, std::string> where;
  engine::Systems systems;
  for (const std::string& s : opt.systems) {
    size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "error: --system takes NAME=DIR_OR_DB, got `" << s << "`\n";
      return 2;
    }
    std::string name = s.substr(0, eq);
    if (p.FindSystem(name) == nullptr) {
      std::cerr << "error: the plan has no system `" << name << "`; its systems are";
      for (const plan::System& x : p.systems) std::cerr << " " << x.name;
      std::cerr << "\n";
      return 2;
    }
    std::unique_ptr<connectors::Connector> c = connectors::Open(s.substr(eq + 1), error);
    if (!c) {
      std::cerr << "error: system " << name << ": " << error << "\n";
      return 1;
    }
    systems.by_name[name] = c.get();
    where[name] = s.substr(eq + 1);
    owned[name] = std::move(c);
  }
  // The state file: --state, else next to the ERP (the last system given that is not the CRM).
  std::string state_path = opt.state;
  if (state_path.empty()) {
    std::string anchor = where.count("erp") ? where["erp"] : where.empty() ? "." : where.rbegin()->second;
    if (anchor.rfind("sqlite:", 0) == 0) anchor = anchor.substr(7);
    if (anchor.rfind("dir:", 0) == 0) anchor = anchor.substr(4);
    std::error_code ec;
    fs::path base = fs::is_directory(anchor, ec) ? fs::path(anchor) : fs::path(anchor).parent_path();
    std::string stem = fs::is_directory(anchor, ec) ? "crmx" : fs::path(anchor).stem().string();
    state_path = (base.empty() ? fs::path(".") : base) / (stem + ".crmx-state.db");
  }
  std::unique_ptr<state::StateStore> st = state::StateStore::Open(state_path, error);
  if (!st) {
    std::cerr << "error: " << error << "\n";
    return 1;
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
  ProgressBar bar;
  if (opt.progress == "always" || (opt.progress == "auto" && isatty(STDERR_FILENO))) {
    options.progress = [&bar](const engine::Progress& pr) { bar.Update(pr); };
  }
  if (!engine::Run(p, systems, st.get(), options, report, error)) {
    std::cerr << "error: " << error << "\n";
    return 1;
  }
  if (opt.report == "json") {
    std::cout << engine::ReportJson(report);
  } else {
    std::cout << engine::ReportText(report);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"crmx-run: runs a crmx plan (built by `crmxc build SPEC -o PLAN`)."};
  app.name("crmx-run");
  app.set_version_flag("--version", "crmx-run 0.1.0 (plan format 2)");
  app.require_subcommand(1);
  int exit_code = 0;
  auto opt = std::make_shared<RunOptions>();
  CLI::App* run = app.add_subcommand("run", "Runs every map of a plan once, in dependency order, and prints the summary");
  run->add_option("plan", opt->plan, "The plan file (crmxc build SPEC -o PLAN)")->required();
  run->add_option("--system", opt->systems,
                  "NAME=WHERE for each system: a directory of Object.jsonl / Object.csv files, or a SQLite "
                  "database (.db/.sqlite, or sqlite:PATH)")
      ->required();
  run->add_option("--state", opt->state, "The state file (SQLite; default: next to the ERP's database)");
  run->add_option("--report", opt->report, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
  run->add_option("--queues", opt->queues,
                  "Also write the queues as JSON Lines into DIR: quality, held, waiting, errors, flags "
                  "(docs/operations.md)");
  run->add_option("--progress", opt->progress, "auto (default: a progress bar when stderr is a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  run->add_flag("--full", opt->full,
                "Look at every source record, not only those changed since the last run (docs/operations.md)");
  run->callback([opt, &exit_code] { exit_code = RunCommand(*opt); });
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
