// Defines the reconciliations serve runs on their schedules (reconciles.h).
#include "runtime/serve/reconciles.h"

#include <nlohmann/json.hpp>

#include "runtime/watch/reconcile.h"

namespace crmx::serve {

bool ScheduledReconciles::Init(const plan::Plan& plan, const engine::Systems& systems,
                               const schedule::Options& options, state::StateStore& state, int64_t now_ms,
                               std::string& error) {
  plan_ = &plan;
  systems_ = &systems;
  std::map<std::string, state::SyncRecord> kept = state.LoadSyncs();
  for (const plan::Reconcile& r : plan.reconciles) {
    std::string trigger = r.schedule == "daily" ? "daily_at" : "every";
    int64_t every_ms = r.schedule == "hourly" ? 3600000 : r.every_ms;
    std::string at = r.schedule == "daily" ? (r.at.empty() ? std::string("00:00") : r.at) : std::string();
    std::optional<schedule::Schedule> when = schedule::Parse(trigger, every_ms, at, options, error);
    if (!when) {
      error = "reconcile `" + r.name + "`: " + error;
      return false;
    }
    Slot s{&r, *when, std::nullopt};
    auto k = kept.find("reconcile:" + r.name);
    if (k != kept.end() && k->second.last_due != 0) s.last_due = k->second.last_due;
    else s.last_due = schedule::LatestDue(s.when, now_ms) - 1;  // never ran under serve: at once
    slots_.push_back(s);
  }
  return true;
}

std::vector<std::string> ScheduledReconciles::Tick(state::StateStore& state, int64_t now_ms) {
  std::vector<std::string> events;
  for (Slot& s : slots_) {
    schedule::Decision d = schedule::Decide(s.when, s.last_due, now_ms);
    if (!d.run) continue;
    s.last_due = d.due_ms;
    state::SyncRecord rec{"reconcile:" + s.r->name, d.due_ms, now_ms, 0, "", "schedule", 0, 0};
    watch::Result result;
    std::string error;
    bool ok = watch::Reconcile(*plan_, *s.r, systems_->by_name, result, error) &&
              watch::Keep(state, plan::ContentHash(*plan_), result, error);
    nlohmann::json e = {{"event", "reconcile"}, {"name", s.r->name}, {"ok", ok}};
    if (ok) {
      e["matched"] = result.matched;
      e["discrepancies"] = result.Discrepancies();
      e["persistent"] = result.Persistent();
      e["resolved"] = result.resolved.size();
      e["id"] = result.id;
    } else {
      e["error"] = error;
    }
    rec.last_finished = now_ms;
    rec.last_result = ok ? "ok" : error;
    rec.last_run = result.id;
    rec.next_due = schedule::Decide(s.when, s.last_due, now_ms).next_ms;
    state.SaveSync(rec);
    events.push_back(e.dump());
  }
  return events;
}

}  // namespace crmx::serve
