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
#include <regex>

#include "runtime/cli/state_commands.h"
#include "runtime/cli/systems.h"
#include "runtime/plan/plan.h"
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

std::string Time(int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Seconds(double s) {
  char buf[32];
  if (s < 120) std::snprintf(buf, sizeof buf, "%.1f s", s);
  else if (s < 7200) std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
  else std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  return buf;
}

// A seed benchmark: its bands (good at or under `good`, typical at or under `typical`, red above
// `red`; between typical and red: warning).
struct Band {
  const char* name;
  double good, typical, red;
  const char* text;  // "<1 min / 1-5 min / >15 min"
};

const char* Judge(const Band& b, double v) {
  return v <= b.good ? "good" : v <= b.typical ? "typical" : v > b.red ? "red" : "warning";
}

const Band kEventLatency{"sync latency, event-driven", 60, 300, 900, "<1 min / 1-5 min / >15 min"};
const Band kBatchLatency{"sync latency, batch", 1800, 7200, 14400, "<30 min / 1-2 h / >4 h"};
const Band kFailureRate{"failure rate", 0.01, 0.03, 0.05, "<1% / 1-3% / >5%"};
const Band kResolution{"error resolution time", 4 * 3600, 24 * 3600, 48 * 3600, "<4 h / 4-24 h / >48 h"};
const Band kApiUse{"API use against limits", 0.5, 0.8, 0.9, "<50% / 50-80% / >90%"};
const Band kBacklog{"data-quality backlog", 9, 50, 50, "<10 / 10-50 / >50 records"};
const Band kWonToOrder{"closed-won to sales order", 900, 3600, 3600, "<15 min / 15-60 min / >1 h"};

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
  json syncs = json::array();
  json benchmarks = json::array();
  auto bench = [&](const Band& b, std::optional<double> v, const std::string& shown, const std::string& of) {
    json e = {{"benchmark", b.name}, {"bands", b.text}};
    if (v) {
      e["value"] = *v;
      e["shown"] = shown;
      e["band"] = Judge(b, *v);
    } else {
      e["band"] = "not measured";
      e["shown"] = shown;
    }
    if (!of.empty()) e["of"] = of;
    benchmarks.push_back(e);
  };
  std::optional<double> event_worst, batch_worst;
  std::string event_of, batch_of;
  for (const plan::Sync& s : p.syncs) {
    json e = {{"sync", s.map}, {"trigger", s.trigger}};
    auto r = f.syncs.find(s.map);
    if (r != f.syncs.end()) {
      const state::SyncRecord& x = r->second;
      e["last_started"] = Time(x.last_started);
      e["last_finished"] = Time(x.last_finished);
      e["last_result"] = x.last_result;
      e["last_why"] = x.last_why;
      e["next_due"] = Time(x.next_due);
      e["last_run"] = x.last_run;
      // From the instant the run was due to its end (the webhook's arrival, the schedule's
      // instant, the retry's due time are all kept as last_due only for schedule runs: the
      // run's own length otherwise).
      double latency = static_cast<double>(x.last_finished - (x.last_why == "schedule" && x.last_due > 0
                                                                    ? std::min(x.last_due, x.last_started)
                                                                    : x.last_started)) / 1000.0;
      e["latency_s"] = latency;
      bool event = s.trigger == "on_change";
      auto& worst = event ? event_worst : batch_worst;
      if (x.last_result == "ok" && (!worst || latency > *worst)) {
        worst = latency;
        (event ? event_of : batch_of) = s.map;
      }
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
  bench(kEventLatency, event_worst, event_worst ? Seconds(*event_worst) : "no run under serve yet", event_of);
  bench(kBatchLatency, batch_worst, batch_worst ? Seconds(*batch_worst) : "no run under serve yet", batch_of);
  std::optional<double> worst_rate;
  std::string rate_of;
  for (const state::MapFigures& m : f.maps)
    if (!worst_rate || m.failure_rate > *worst_rate) {
      worst_rate = m.failure_rate;
      rate_of = m.map;
    }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f%%", worst_rate.value_or(0) * 100);
  bench(kFailureRate, worst_rate, worst_rate ? buf : "no run yet", rate_of);
  bench(kResolution, f.resolution_median_s,
        f.resolution_median_s ? Seconds(*f.resolution_median_s) + " (median of " + std::to_string(f.resolutions) + ")"
                              : "nothing resolved in 7 days",
        "");
  std::optional<double> api;
  std::string api_of;
  std::regex used(R"(api_calls (\d+) of (\d+))");
  for (const auto& [sys, text] : f.budgets) {
    std::smatch m;
    if (std::regex_search(text, m, used) && std::stod(m[2]) > 0) {
      double share = std::stod(m[1]) / std::stod(m[2]);
      if (!api || share > *api) {
        api = share;
        api_of = sys;
      }
    }
  }
  std::snprintf(buf, sizeof buf, "%.1f%%", api.value_or(0) * 100);
  bench(kApiUse, api, api ? buf : "no api_calls budget in the plan", api_of);
  int64_t backlog = f.open_items.count("data_quality") ? f.open_items["data_quality"] : 0;
  bench(kBacklog, static_cast<double>(backlog), std::to_string(backlog) + " records", "");
  // Closed-won to sales order: the on-change syncs with a `when` (a deal reaching a stage),
  // else every on-change sync; the slowest median among them.
  std::vector<std::string> won;
  for (const plan::Sync& s : p.syncs)
    if (s.trigger == "on_change" && !s.when.empty()) won.push_back(s.map);
  if (won.empty())
    for (const plan::Sync& s : p.syncs)
      if (s.trigger == "on_change") won.push_back(s.map);
  std::optional<double> won_median;
  std::string won_shown = won.empty() ? "no on-change sync in the plan" : "no delivery done in 7 days", won_of;
  for (const std::string& m : won) {
    auto c = f.change_to_done.find(m);
    if (c == f.change_to_done.end() || (won_median && c->second.median_s <= *won_median)) continue;
    won_median = c->second.median_s;
    won_of = m;
    won_shown = Seconds(c->second.median_s) + " median, " + Seconds(c->second.p95_s) + " p95 (of " +
                std::to_string(c->second.n) + ")";
  }
  bench(kWonToOrder, won_median, won_shown, won_of);
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
      took = Seconds(s["latency_s"].get<double>());
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
