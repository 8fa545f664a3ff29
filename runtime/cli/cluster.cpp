// Defines how a crmx-run process joins the cluster of its PostgreSQL state (cluster.h).
#include "runtime/cli/cluster.h"

#include <unistd.h>

#include <chrono>
#include <map>

namespace crmx::cli {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The concurrency slot each thread holds per system, between its request and the answer.
thread_local std::map<std::string, int> t_held;

}  // namespace

void SetBudgetAdmission(SystemArgs& args, LeasesSlot slot, const plan::Plan& plan) {
  args.admit = [slot, &plan](const std::string& system) -> std::string {
    state::Leases* leases = slot->load();
    const plan::System* s = leases ? plan.FindSystem(system) : nullptr;
    if (s == nullptr) return "";
    for (const plan::Budget& b : s->budgets) {
      if (b.metric != "concurrency" || b.amount <= 0) continue;
      std::string error;
      int got = leases->AcquireSlot(system, static_cast<int>(b.amount), 60000, error);
      if (got < 0)
        return error.empty() ? "no concurrency slot of " + system + " (budget concurrency " +
                                   std::to_string(b.amount) + ", shared by the workers) came free in 60 s"
                             : error;
      t_held[system] = got;
    }
    for (const plan::Budget& b : s->budgets) {
      if (b.metric != "api_calls" && b.metric != "requests") continue;
      int64_t period = b.period_ms.value_or(0);
      int64_t now = NowMs();
      if (std::string why = leases->Admit(system, period > 0 ? now - now % period : 0, b.amount); !why.empty()) {
        if (auto h = t_held.find(system); h != t_held.end()) {
          leases->ReleaseSlot(system, h->second);
          t_held.erase(h);
        }
        return why;
      }
    }
    return "";
  };
  args.admitted_done = [slot](const std::string& system) {
    state::Leases* leases = slot->load();
    auto h = t_held.find(system);
    if (leases == nullptr || h == t_held.end()) return;
    leases->ReleaseSlot(system, h->second);
    t_held.erase(h);
  };
}

std::string DefaultWorkerName() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid());
}

std::unique_ptr<state::Leases> JoinCluster(const StateAt& at, state::StateStore& st, const std::string& worker,
                                           int64_t ttl_ms, const LeasesSlot& slot, std::string& error) {
  std::unique_ptr<state::Leases> leases = state::Leases::Open(at.location, at.password, worker, ttl_ms, error);
  if (!leases) return nullptr;
  slot->store(leases.get());
  st.SetCallsCountedOnSend(true);
  return leases;
}

}  // namespace crmx::cli
