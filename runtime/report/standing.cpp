// Defines Measure (standing.h): the seed's benchmarks over a state's figures.
#include "runtime/report/standing.h"

#include <cstdio>
#include <ctime>
#include <regex>

namespace crmx::report {

namespace {

// A seed benchmark's bands: good at or under `good`, typical at or under `typical`, red above
// `red`; between typical and red: warning.
struct Band {
  const char* name;
  double good, typical, red;
  const char* text;
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

Benchmark Judged(const Band& b, std::optional<double> v, const std::string& shown, const std::string& of) {
  Benchmark e;
  e.name = b.name;
  e.bands = b.text;
  e.value = v;
  e.shown = shown;
  e.band = v ? Judge(b, *v) : "not measured";
  e.of = of;
  return e;
}

}  // namespace

std::string MsTime(int64_t ms) {
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

Standing Measure(const plan::Plan& p, const state::StatusFigures& f) {
  Standing out;
  std::optional<double> event_worst, batch_worst;
  std::string event_of, batch_of;
  for (const plan::Sync& s : p.syncs) {
    SyncStanding e;
    e.sync = s.map;
    e.trigger = s.trigger;
    auto r = f.syncs.find(s.map);
    if (r != f.syncs.end()) {
      const state::SyncRecord& x = r->second;
      e.ran = true;
      e.last = x;
      // From the instant the run was due to its end (the webhook's arrival, the schedule's
      // instant, the retry's due time are all kept as last_due only for schedule runs: the
      // run's own length otherwise).
      e.latency_s = static_cast<double>(x.last_finished - (x.last_why == "schedule" && x.last_due > 0
                                                               ? std::min(x.last_due, x.last_started)
                                                               : x.last_started)) /
                    1000.0;
      bool event = s.trigger == "on_change";
      auto& worst = event ? event_worst : batch_worst;
      if (x.last_result == "ok" && (!worst || e.latency_s > *worst)) {
        worst = e.latency_s;
        (event ? event_of : batch_of) = s.map;
      }
    }
    out.syncs.push_back(std::move(e));
  }
  std::vector<Benchmark>& b = out.benchmarks;
  b.push_back(Judged(kEventLatency, event_worst, event_worst ? Seconds(*event_worst) : "no run under serve yet", event_of));
  b.push_back(Judged(kBatchLatency, batch_worst, batch_worst ? Seconds(*batch_worst) : "no run under serve yet", batch_of));
  std::optional<double> worst_rate;
  std::string rate_of;
  for (const state::MapFigures& m : f.maps)
    if (!worst_rate || m.failure_rate > *worst_rate) {
      worst_rate = m.failure_rate;
      rate_of = m.map;
    }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f%%", worst_rate.value_or(0) * 100);
  b.push_back(Judged(kFailureRate, worst_rate, worst_rate ? buf : "no run yet", rate_of));
  b.push_back(Judged(kResolution, f.resolution_median_s,
                     f.resolution_median_s
                         ? Seconds(*f.resolution_median_s) + " (median of " + std::to_string(f.resolutions) + ")"
                         : "nothing resolved in 7 days",
                     ""));
  std::optional<double> api;
  std::string api_of;
  std::regex used(R"(api_calls (\d+) of (\d+))");
  for (const auto& [sys, text] : f.budgets) {
    Budget g{sys, text, 0, 0};
    std::smatch m;
    if (std::regex_search(text, m, used) && std::stod(m[2]) > 0) {
      g.used = std::stod(m[1]);
      g.limit = std::stod(m[2]);
      double share = g.used / g.limit;
      if (!api || share > *api) {
        api = share;
        api_of = sys;
      }
    }
    out.budgets.push_back(std::move(g));
  }
  std::snprintf(buf, sizeof buf, "%.1f%%", api.value_or(0) * 100);
  b.push_back(Judged(kApiUse, api, api ? buf : "no api_calls budget in the plan", api_of));
  auto dq = f.open_items.find("data_quality");
  int64_t backlog = dq == f.open_items.end() ? 0 : dq->second;
  b.push_back(Judged(kBacklog, static_cast<double>(backlog), std::to_string(backlog) + " records", ""));
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
  b.push_back(Judged(kWonToOrder, won_median, won_shown, won_of));
  return out;
}

}  // namespace crmx::report
