// Defines `crmx-run reconcile` (reconcile_command.h): the systems opened as `run` opens them
// (systems.h), each reconcile of the plan read and matched (runtime/watch/reconcile.h), then
// the state file opened (so its lock is held only while the history is read and written), the
// results classified and kept, and the report written (runtime/watch/report.h).
#include "runtime/cli/reconcile_command.h"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>

#include "runtime/cli/systems.h"
#include "runtime/watch/reconcile.h"
#include "runtime/watch/report.h"

namespace crmx::cli {

namespace {

struct ReconcileOptions {
  SystemArgs systems;
  std::string name;
  std::string state;
  bool no_state = false;
  bool wait = false;
  std::string format = "text";
  std::string out;
};

// Every failure of this command exits 2: 1 means "discrepancies found".
constexpr int kError = 2;

int Reconcile(const ReconcileOptions& o) {
  if (o.no_state && !o.state.empty()) {
    std::cerr << "error: --state and --no-state contradict each other\n";
    return kError;
  }
  plan::Plan p;
  OpenSystems open;
  if (OpenPlanAndSystems(o.systems, p, open) != 0) return kError;
  std::vector<const plan::Reconcile*> chosen;
  for (const plan::Reconcile& r : p.reconciles)
    if (o.name.empty() || r.name == o.name) chosen.push_back(&r);
  if (chosen.empty()) {
    if (p.reconciles.empty()) {
      std::cerr << "error: " << o.systems.plan << " has no reconcile (`reconcile daily crm.A ~ erp.B by ... { ... }`)\n";
    } else {
      std::cerr << "error: the plan has no reconcile named `" << o.name << "`; its reconciles are:";
      for (const plan::Reconcile& r : p.reconciles) std::cerr << " " << r.name;
      std::cerr << "\n";
    }
    return kError;
  }
  std::vector<watch::Result> results;
  for (const plan::Reconcile* r : chosen) {
    watch::Result res;
    std::string error;
    if (!watch::Reconcile(p, *r, open.systems.by_name, res, error)) {
      std::cerr << "error: reconcile " << r->name << ": " << profile::Redact(open.target, error) << "\n";
      return kError;
    }
    results.push_back(std::move(res));
  }
  if (!o.no_state) {
    std::unique_ptr<state::StateStore> st;
    if (OpenRunState(open, o.state, o.wait, st) != 0) return kError;
    std::string hash = plan::ContentHash(p);
    for (watch::Result& res : results) {
      std::string error;
      if (!watch::Keep(*st, hash, res, error)) {
        std::cerr << "error: reconcile " << res.spec->name << ": " << error << "\n";
        return kError;
      }
    }
  }
  std::string report = o.format == "json"       ? watch::JsonReport(results)
                       : o.format == "markdown" ? watch::MarkdownReport(results)
                       : o.format == "html"     ? watch::HtmlReport(results)
                                                : watch::TextReport(results);
  size_t discrepancies = 0;
  for (const watch::Result& r : results) discrepancies += r.Discrepancies();
  if (o.out.empty()) {
    std::cout << report;
  } else {
    std::ofstream f(o.out, std::ios::binary | std::ios::trunc);
    f << report;
    f.close();
    if (!f) {
      std::cerr << "error: cannot write the report to `" << o.out << "`\n";
      return kError;
    }
    std::cout << "reconcile: " << results.size() << " reconciliation" << (results.size() == 1 ? "" : "s") << ", "
              << discrepancies << (discrepancies == 1 ? " discrepancy" : " discrepancies") << "; report in " << o.out
              << "\n";
  }
  return discrepancies == 0 ? 0 : 1;
}

}  // namespace

void AddReconcileCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ReconcileOptions>();
  CLI::App* c = app.add_subcommand(
      "reconcile",
      "Compares the two systems of the plan's reconciles and reports the discrepancies, new or persistent, and those "
      "resolved; exit 0 none, 1 discrepancies, 2 an error (docs/operations.md)");
  c->add_option("plan", o->systems.plan, "The plan file (crmxc build SPEC -o PLAN)")->required();
  c->add_option("--name", o->name, "Only this reconcile (default: every one): crm.Opportunity~erp.SalesOrder");
  AddSystemOptions(c, o->systems, "reads");
  c->add_option("--state", o->state,
                "The state file keeping the history and the queues (default: the one `run` uses, next to the ERP's "
                "database)");
  c->add_flag("--no-state", o->no_state, "Keep no history: every discrepancy is new, none is known from the queues");
  c->add_flag("--wait", o->wait, "When a run holds the state file, wait for it to end");
  c->add_option("--format", o->format, "text (default), json, markdown or html")
      ->check(CLI::IsMember({"text", "json", "markdown", "html"}));
  c->add_option("--out", o->out, "Write the report into FILE instead of stdout (a summary line still goes to stdout)");
  c->callback([o, &exit_code] { exit_code = Reconcile(*o); });
}

}  // namespace crmx::cli
