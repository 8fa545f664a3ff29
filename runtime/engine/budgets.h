// Defines the budgets of a run (docs/operations.md, "Budgets"): a system's `budget api_calls N
// per 24h warn at 80%` counts the calls every run makes to that system in the current window
// (the state's `usage` table), records an alert event when the warn level is crossed, and says
// when the budget is reached: then sending pauses (decided writes wait in the ledger as
// pending) and reading stops, until the next window. A system's own report of its usage
// (Salesforce `Sforce-Limit-Info: api-usage=U/M`) is a second ceiling: sending pauses at 95% of
// what the vendor allows.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "runtime/plan/plan.h"
#include "runtime/state/state.h"

namespace crmx::engine {

class BudgetBook {
 public:
  // Reads each api_calls budget's usage in its current window from `state` (none without one:
  // then a budget bounds this run alone).
  BudgetBook(const plan::Plan& plan, state::StateStore* state, int64_t run, int64_t now_ms);

  // `calls` more calls to `system`; records the warn event when its level is crossed.
  void Add(const std::string& system, int64_t calls);
  // The vendor's latest report of its usage ("api-usage=25/15000", "" when none).
  void Observe(const std::string& system, const std::string& limits);
  // Why sending to (or reading from) `system` must pause now; "" when it need not.
  std::string Paused(const std::string& system) const;
  // Writes the calls counted since the last Record into the state's usage table.
  void Record();
  // Per system with a budget: "api_calls 1,234 of 100,000 per 24h (window from T)".
  std::map<std::string, std::string> Summary() const;

 private:
  struct Budget {
    int64_t amount = 0;
    int64_t period_ms = 0;  // 0: no period (the whole life of the state file)
    double warn_percent = 0;
    int64_t window_start = 0;
    int64_t used_before = 0;  // by earlier runs in this window
    int64_t used = 0;         // by this run
    int64_t recorded = 0;     // of `used`, written to the state
    bool warned = false;
  };
  struct Vendor {
    int64_t used = 0, max = 0;
    bool warned = false;
  };
  void Event(const std::string& kind, const std::string& system, const std::string& message);
  state::StateStore* state_;
  int64_t run_;
  std::map<std::string, Budget> budgets_;  // by system
  std::map<std::string, Vendor> vendors_;
};

}  // namespace crmx::engine
