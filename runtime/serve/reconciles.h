// Defines the reconciliations `crmx-run serve` runs on their schedules (docs/serve.md,
// "Reconciliations on their schedule"): each plan reconcile (`reconcile daily ...`, `hourly`,
// `every 6h`) is a schedule (runtime/schedule; `daily` without a time at 00:00 of serve's
// default zone); when it falls due, both sides are read and matched, the result classified
// and kept in the state's history (runtime/watch/reconcile.h), exactly as
// `crmx-run reconcile` does. Where each stands is kept in the state's `syncs` table under
// the name "reconcile:NAME", so a restart continues the schedule; one serve never ran runs at
// once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/engine/engine.h"
#include "runtime/plan/plan.h"
#include "runtime/schedule/schedule.h"
#include "runtime/state/state.h"

namespace crmx::serve {

class ScheduledReconciles {
 public:
  // False (with `error`) when a reconcile's schedule cannot be read (an unknown zone).
  bool Init(const plan::Plan& plan, const engine::Systems& systems, const schedule::Options& options,
            state::StateStore& state, int64_t now_ms, std::string& error);
  // Runs the reconciliations due at `now_ms`; one JSON event text per reconciliation run.
  std::vector<std::string> Tick(state::StateStore& state, int64_t now_ms);

 private:
  struct Slot {
    const plan::Reconcile* r = nullptr;
    schedule::Schedule when;
    std::optional<int64_t> last_due;
  };
  const plan::Plan* plan_ = nullptr;
  const engine::Systems* systems_ = nullptr;
  std::vector<Slot> slots_;
};

}  // namespace crmx::serve
