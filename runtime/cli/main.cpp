// Defines `crmx-run`, the runtime: executes a plan built by `crmxc build`.
//
//   crmx-run run PLAN --system crm=DIR_OR_DB --system erp=DIR_OR_DB [--state FILE] [--report json]
//
// Exit status: 0 the run completed (records in queues are not a failure of the run; the
// summary judges them), 1 the run could not be completed (plan refused, system unreadable),
// 2 usage error. docs/operations.md describes the queues and the state file.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "runtime/connectors/connector.h"
#include "runtime/engine/engine.h"
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
  if (!engine::Run(p, systems, st.get(), report, error)) {
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
  app.set_version_flag("--version", "crmx-run 0.1.0 (plan format 1)");
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
