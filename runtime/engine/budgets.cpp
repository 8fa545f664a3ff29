// Defines the budgets of a run (budgets.h).
#include "runtime/engine/budgets.h"

#include <charconv>

#include "runtime/value/value.h"

namespace crmx::engine {

namespace {

std::string Period(int64_t ms) {
  if (ms <= 0) return "";
  if (ms % 3600000 == 0) return " per " + std::to_string(ms / 3600000) + "h";
  if (ms % 60000 == 0) return " per " + std::to_string(ms / 60000) + "m";
  return " per " + std::to_string(ms / 1000) + "s";
}

std::string Stamp(int64_t ms) {
  value::Time t;
  t.seconds = ms / 1000;
  return value::FormatTimestamp(t);
}

}  // namespace

BudgetBook::BudgetBook(const plan::Plan& plan, state::StateStore* state, int64_t run, int64_t now_ms)
    : state_(state), run_(run) {
  for (const plan::System& s : plan.systems) {
    for (const plan::Budget& b : s.budgets) {
      if (b.metric != "api_calls" && b.metric != "requests") continue;
      Budget x;
      x.amount = b.amount;
      x.period_ms = b.period_ms.value_or(0);
      x.warn_percent = b.warn_at_percent.value_or(0);
      x.window_start = x.period_ms > 0 ? now_ms - now_ms % x.period_ms : 0;
      if (state_) x.used_before = state_->Usage(s.name, "api_calls", x.window_start);
      x.warned = x.warn_percent > 0 && (x.used_before * 100.0 >= x.warn_percent * static_cast<double>(x.amount));
      budgets_[s.name] = x;
    }
  }
}

void BudgetBook::Event(const std::string& kind, const std::string& system, const std::string& message) {
  if (state_) state_->AddEvent(run_, kind, "", "", system, message);
}

void BudgetBook::Add(const std::string& system, int64_t calls) {
  auto it = budgets_.find(system);
  if (it == budgets_.end() || calls <= 0) return;
  Budget& b = it->second;
  b.used += calls;
  // A cluster's calls are counted as they are sent, by every worker: the state has the total.
  if (state_ && state_->calls_counted_on_send())
    b.used_before = state_->Usage(system, "api_calls", b.window_start) - b.used;
  int64_t total = b.used_before + b.used;
  if (!b.warned && b.warn_percent > 0 && total * 100.0 >= b.warn_percent * static_cast<double>(b.amount)) {
    b.warned = true;
    Event("budget_warn", system,
          system + ": " + std::to_string(total) + " of " + std::to_string(b.amount) + " api_calls" + Period(b.period_ms) +
              " used (warn at " + std::to_string(static_cast<int>(b.warn_percent)) + "%), window from " +
              Stamp(b.window_start));
  }
}

void BudgetBook::Observe(const std::string& system, const std::string& limits) {
  size_t at = limits.find("api-usage=");
  if (at == std::string::npos) return;
  const char* p = limits.data() + at + 10;
  const char* end = limits.data() + limits.size();
  Vendor v;
  auto r1 = std::from_chars(p, end, v.used);
  if (r1.ec != std::errc() || r1.ptr == end || *r1.ptr != '/') return;
  auto r2 = std::from_chars(r1.ptr + 1, end, v.max);
  if (r2.ec != std::errc() || v.max <= 0) return;
  Vendor& old = vendors_[system];
  v.warned = old.warned;
  if (!v.warned && v.used * 100 >= v.max * 80) {
    v.warned = true;
    Event("limit_warn", system, system + " reports api-usage=" + std::to_string(v.used) + "/" + std::to_string(v.max) +
                                    " (80% of what it allows)");
  }
  old = v;
}

std::string BudgetBook::Paused(const std::string& system) const {
  if (auto it = budgets_.find(system); it != budgets_.end()) {
    const Budget& b = it->second;
    if (b.used_before + b.used >= b.amount)
      return "paused: " + system + " budget api_calls " + std::to_string(b.amount) + Period(b.period_ms) +
             " reached (" + std::to_string(b.used_before + b.used) + " used)" +
             (b.period_ms > 0 ? "; resumes in the window from " + Stamp(b.window_start + b.period_ms) : "");
  }
  if (auto it = vendors_.find(system); it != vendors_.end() && it->second.used * 100 >= it->second.max * 95)
    return "paused: " + system + " reports api-usage=" + std::to_string(it->second.used) + "/" +
           std::to_string(it->second.max) + " (95% of what it allows)";
  return "";
}

void BudgetBook::Record() {
  if (!state_ || state_->calls_counted_on_send()) return;
  for (auto& [system, b] : budgets_) {
    if (b.used == b.recorded) continue;
    state_->AddUsage(system, "api_calls", b.window_start, b.used - b.recorded);
    b.recorded = b.used;
  }
}

std::map<std::string, std::string> BudgetBook::Summary() const {
  std::map<std::string, std::string> out;
  for (const auto& [system, b] : budgets_)
    out[system] = "api_calls " + std::to_string(b.used_before + b.used) + " of " + std::to_string(b.amount) +
                  Period(b.period_ms) + (b.period_ms > 0 ? " (window from " + Stamp(b.window_start) + ")" : "");
  return out;
}

}  // namespace crmx::engine
