// Defines the status book (status_book.h).
#include "runtime/state/status_book.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "runtime/state/statement.h"

namespace crmx::state {

namespace {

using Stmt = Statement;

std::string Fail(StateStore& store, const std::string& message) { return "state " + store.path() + ": " + message; }

}  // namespace

bool LoadStatus(StateStore& store, int64_t now_ms, int64_t window_ms, StatusFigures& out, std::string& error) {
  out.syncs = store.LoadSyncs();
  out.open_items = store.OpenItemCounts();
  for (const auto& [k, n] : store.LedgerCounts()) out.ledger[k] = n;
  if (!store.ok()) {
    error = store.error();
    return false;
  }
  db::Connection& db = store.db();
  // The latest finished run of each map, from the runs' summaries (newest first).
  Stmt runs(db, "SELECT run, finished, summary FROM runs WHERE finished IS NOT NULL ORDER BY run DESC");
  std::map<std::string, bool> seen;
  while (runs.Row()) {
    ++out.runs;
    if (out.last_run_finished.empty()) out.last_run_finished = runs.Text(1);
    nlohmann::json j = nlohmann::json::parse(runs.Text(2), nullptr, false);
    if (!j.is_object()) continue;
    if (out.budgets.empty() && j.contains("budgets") && j["budgets"].is_object())
      for (auto& [sys, text] : j["budgets"].items())
        if (text.is_string()) out.budgets[sys] = text.get<std::string>();
    if (!j.contains("maps") || !j["maps"].is_object()) continue;
    for (auto& [name, m] : j["maps"].items()) {
      if (seen[name] || !m.is_object()) continue;
      seen[name] = true;
      auto count = [&m](const char* bucket) -> int64_t {
        if (!m.contains(bucket)) return 0;
        const auto& b = m[bucket];
        if (b.is_number_integer()) return b.get<int64_t>();
        if (b.is_object() && b.contains("count") && b["count"].is_number_integer()) return b["count"].get<int64_t>();
        return 0;
      };
      MapFigures f;
      f.map = name;
      f.run = runs.Int(0);
      f.finished = runs.Text(1);
      f.read = m.value("input_lines", int64_t{0});
      f.written = m.value("written", int64_t{0});
      f.skipped = count("skipped");
      f.queued = count("data_quality") + count("held") + count("waiting") + count("error");
      f.failure_rate = m.value("failure_rate", 0.0);
      out.maps.push_back(f);
    }
  }
  if (!runs.ok()) {
    error = Fail(store, runs.Error());
    return false;
  }
  // Error resolution: failed then done deliveries, and items people resolved, in the window.
  // Times in the tables are RFC 3339 texts; compared as Unix seconds.
  const std::string since = std::to_string((now_ms - window_ms) / 1000);
  auto secs = [&db](const std::string& e) { return db.EpochSeconds(e); };
  std::vector<double> seconds;
  Stmt d(db,
         "SELECT " + secs("d.updated") + " - " + secs("min(a.at)") + " FROM deliveries d JOIN attempts a ON "
         "a.delivery = d.id WHERE d.state = 'done' AND " + secs("d.updated") + " >= " + since + " GROUP BY d.id, d.updated");
  while (d.Row()) seconds.push_back(d.Double(0));
  Stmt r(db,
         "SELECT " + secs("a.at") + " - " + secs("r.started") + " FROM actions a JOIN queue_items i ON i.id = a.item "
         "JOIN runs r ON r.run = i.first_run WHERE a.action = 'resolve' AND " + secs("a.at") + " >= " + since);
  while (r.Row()) seconds.push_back(r.Double(0));
  if (!d.ok() || !r.ok()) {
    error = Fail(store, d.ok() ? r.Error() : d.Error());
    return false;
  }
  Stmt alerts(db, "SELECT alert, count(*) FROM alert_timers WHERE fired IS NOT NULL AND fired > 0 GROUP BY alert");
  while (alerts.Row()) out.open_alerts[alerts.Text(0)] = alerts.Int(1);
  Stmt rec(db,
           "SELECT r.name, r.finished, r.matched, r.discrepancies FROM reconciliations r WHERE r.id = "
           "(SELECT max(id) FROM reconciliations WHERE name = r.name) ORDER BY r.name");
  while (rec.Row()) out.reconciliations.push_back({rec.Text(0), rec.Text(1), rec.Int(2), rec.Int(3)});
  if (!alerts.ok() || !rec.ok()) {
    error = Fail(store, alerts.ok() ? rec.Error() : alerts.Error());
    return false;
  }
  // Change to delivery: Unix ms of `updated` (to the second) less the source's change time.
  std::map<std::string, std::vector<double>> took;
  Stmt c(db,
         "SELECT map, " + std::string(db.Greatest()) + "(0.0, (" + secs("updated") + " * 1000.0 - source_changed) / 1000.0) "
         "FROM deliveries WHERE state = 'done' AND source_changed IS NOT NULL AND " + secs("updated") + " >= " + since +
             " AND source_changed >= (SELECT " + secs("min(started)") + " * 1000.0 FROM runs)");
  while (c.Row()) took[c.Text(0)].push_back(c.Double(1));
  if (!c.ok()) {
    error = Fail(store, c.Error());
    return false;
  }
  for (auto& [map, v] : took) {
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    StatusFigures::ChangeToDone& f = out.change_to_done[map];
    f.n = static_cast<int64_t>(n);
    f.median_s = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    f.p95_s = v[std::min(n - 1, static_cast<size_t>(0.95 * static_cast<double>(n)))];
  }
  out.resolutions = static_cast<int64_t>(seconds.size());
  if (!seconds.empty()) {
    std::sort(seconds.begin(), seconds.end());
    size_t n = seconds.size();
    out.resolution_median_s = n % 2 ? seconds[n / 2] : (seconds[n / 2 - 1] + seconds[n / 2]) / 2;
  }
  return true;
}

}  // namespace crmx::state
