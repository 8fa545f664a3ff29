// Defines how a crmx-run process on a PostgreSQL state joins the cluster of its workers
// (runtime/state/leases.h; docs/operations.md, "Several workers on PostgreSQL"): `serve` and
// `run` both take the syncs' leases there, fence their state with them, and count every call to
// a system with a budget in the shared `usage` before it is sent.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/cli/systems.h"
#include "runtime/plan/plan.h"
#include "runtime/state/leases.h"
#include "runtime/state/state.h"

namespace crmx::cli {

// Where the process's leases will be once it joined (the systems open before the state does).
using LeasesSlot = std::shared_ptr<std::atomic<state::Leases*>>;

// Sets SystemArgs::admit and admitted_done: once `slot` holds the leases, each request to a system
// with a `budget concurrency N` in `plan` first takes one of its N slots across the cluster
// (state::Leases::AcquireSlot, waiting up to a minute; given back when the answer came), and each
// request to a system with an api_calls budget is counted in its window first (Leases::Admit),
// and not sent when that would exceed the budget. `plan` must outlive the systems.
void SetBudgetAdmission(SystemArgs& args, LeasesSlot slot, const plan::Plan& plan);

// "HOST:PID": a worker's default name.
std::string DefaultWorkerName();

// On a PostgreSQL state (`at`): this process's leases (heartbeats running), put in `slot`, and `st`
// counting calls as they are admitted. Null with `error` when the database refuses.
std::unique_ptr<state::Leases> JoinCluster(const StateAt& at, state::StateStore& st, const std::string& worker,
                                           int64_t ttl_ms, const LeasesSlot& slot, std::string& error);

}  // namespace crmx::cli
