// Defines `crmx-run status` (status_command.h): where an integration stands, read from its
// state file (runtime/state/status_book.h), with the seed's benchmarks and their bands.
#include "runtime/cli/status_command.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "runtime/cli/state_commands.h"
#include "runtime/cli/systems.h"
#include "runtime/plan/plan.h"
#include "runtime/report/standing.h"
#include "runtime/state/status_book.h"

namespace crmx::cli {

namespace {

using json = nlohmann::json;

struct StatusArgs {
  std::string plan;
  std::string state;
  std::string format = "text";
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int StatusCommand(const StatusArgs& a) {
  plan::Plan p;
  std::string error;
  if (!plan::ReadPlanFile(a.plan, p, error)) {
    std::cerr << "error: " << error << "\n";
    return 1;
  }
  // Read-only and without the run lock: status is read beside a running serve.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(a.state, ec)) {
    std::cerr << "error: state file " << a.state << " does not exist\n";
    return 1;
  }
  state::OpenOptions read_only;
  read_only.read_only = true;
  std::unique_ptr<state::StateStore> st = state::StateStore::Open(a.state, error, read_only);
  if (!st) {
    std::cerr << "error: " << error << "\n";
    return 1;
  }
  state::StatusFigures f;
  int64_t now = NowMs();
  if (!state::LoadStatus(*st, now, 7 * 24 * 3600 * 1000LL, f, error)) {
    std::cerr << "error: " << error << "\n";
    return 1;
  }
  json out = {{"state", a.state}, {"runs", f.runs}, {"last_run_finished", f.last_run_finished}};
  report::Standing standing = report::Measure(p, f);
  json syncs = json::array();
  for (const report::SyncStanding& s : standing.syncs) {
    json e = {{"sync", s.sync}, {"trigger", s.trigger}};
    if (s.ran) {
      const state::SyncRecord& x = s.last;
      e["last_started"] = report::MsTime(x.last_started);
      e["last_finished"] = report::MsTime(x.last_finished);
      e["last_result"] = x.last_result;
      e["last_why"] = x.last_why;
      e["next_due"] = report::MsTime(x.next_due);
      e["last_run"] = x.last_run;
      e["latency_s"] = s.latency_s;
    } else {
      e["last_started"] = "-";
      e["next_due"] = "-";
    }
    syncs.push_back(e);
  }
  out["syncs"] = syncs;
  out["queues"] = f.open_items;
  out["ledger"] = f.ledger;
  out["budgets"] = f.budgets;
  int64_t dead = f.open_items.count("dead_letter") ? f.open_items["dead_letter"] : 0;
  out["dead_letters"] = dead;
  out["open_alerts"] = f.open_alerts;
  json recs = json::array();
  for (const auto& r : f.reconciliations)
    recs.push_back({{"name", r.name}, {"finished", r.finished}, {"matched", r.matched}, {"discrepancies", r.discrepancies}});
  out["reconciliations"] = recs;
  json changes = json::object();
  for (const auto& [m, c] : f.change_to_done) changes[m] = {{"done", c.n}, {"median_s", c.median_s}, {"p95_s", c.p95_s}};
  out["change_to_delivery"] = changes;
  json benchmarks = json::array();
  for (const report::Benchmark& b : standing.benchmarks) {
    json e = {{"benchmark", b.name}, {"bands", b.bands}};
    if (b.value) e["value"] = *b.value;
    e["band"] = b.band;
    e["shown"] = b.shown;
    if (!b.of.empty()) e["of"] = b.of;
    benchmarks.push_back(e);
  }
  out["benchmarks"] = benchmarks;
  if (a.format == "json") {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << "crmx-run status: state " << a.state << ", " << f.runs << " runs";
  if (!f.last_run_finished.empty()) std::cout << ", the last ended " << f.last_run_finished;
  std::cout << "\n\n";
  std::vector<std::vector<std::string>> rows{{"sync", "trigger", "last run", "why", "result", "took", "next due"}};
  for (const json& s : syncs) {
    std::string took = "-";
    if (s.contains("last_finished") && s["last_finished"] != "-" && s.contains("latency_s"))
      took = report::Seconds(s["latency_s"].get<double>());
    rows.push_back({s["sync"], s["trigger"], s.value("last_started", "-"), s.value("last_why", ""),
                    s.value("last_result", ""), took, s.value("next_due", "-")});
  }
  std::cout << Table(rows) << "\n";
  std::cout << "queues (open):";
  if (f.open_items.empty()) std::cout << " none";
  for (const auto& [q, n] : f.open_items) std::cout << " " << q << " " << n;
  std::cout << "\ndead letters: " << dead << (dead ? " (crmx-run queue list --queue dead_letter)" : "") << "\n";
  std::cout << "ledger:";
  for (const auto& [s, n] : f.ledger) std::cout << " " << s << " " << n;
  std::cout << "\nopen alerts:";
  if (f.open_alerts.empty()) std::cout << " none";
  for (const auto& [name, n] : f.open_alerts) std::cout << " " << name << " " << n;
  std::cout << "\nlast reconciliation:";
  if (f.reconciliations.empty()) std::cout << " none";
  for (const auto& r : f.reconciliations)
    std::cout << " " << r.name << " at " << r.finished << ": " << r.matched << " matched, " << r.discrepancies
              << " discrepanc" << (r.discrepancies == 1 ? "y" : "ies") << ";";
  std::cout << "\nbudgets:";
  if (f.budgets.empty()) std::cout << " none in the plan";
  for (const auto& [sys, text] : f.budgets) std::cout << " " << sys << ": " << text << ";";
  std::cout << "\n\nbenchmarks (the seed's bands: good / typical / red)\n";
  std::vector<std::vector<std::string>> brows{{"benchmark", "now", "band", "bands"}};
  for (const json& b : benchmarks) {
    std::string now_text = b["shown"].get<std::string>();
    if (b.contains("of")) now_text += " (" + b["of"].get<std::string>() + ")";
    brows.push_back({b["benchmark"], now_text, b["band"], b["bands"]});
  }
  std::cout << Table(brows);
  return 0;
}

}  // namespace

void AddStatusCommand(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<StatusArgs>();
  CLI::App* cmd = app.add_subcommand(
      "status", "Where an integration stands, from its state file: syncs, queues, budgets and the seed's benchmarks "
                "with their bands (docs/serve.md)");
  cmd->add_option("plan", a->plan, "The plan file (its syncs)")->required();
  cmd->add_option("--state", a->state, "The state file")->required();
  cmd->add_option("--format", a->format, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
  cmd->callback([a, &exit_code] { exit_code = StatusCommand(*a); });
}

}  // namespace crmx::cli
