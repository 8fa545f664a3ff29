// Defines the policy check (see policies.h).
#include "compiler/check/policies.h"

#include <algorithm>

#include "compiler/check/structure.h"
#include "runtime/schedule/schedule.h"

namespace crmx::check {
namespace {

using namespace crmx::ast;

std::string Quote(const std::string& s) { return "`" + s + "`"; }

std::string List(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + Quote(names[i]);
  return out;
}

std::string DurationText(int64_t ms) {
  if (ms % 3600000 == 0 && ms != 0) return std::to_string(ms / 3600000) + "h";
  if (ms % 60000 == 0 && ms != 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

// The names the runtime knows (runtime/engine/retry_policy.h, runtime/engine/engine.cpp).
const std::vector<std::string>& BackoffKinds() {
  static const std::vector<std::string> kinds{"exponential", "linear", "fixed"};
  return kinds;
}
const std::vector<std::string>& ConflictStrategies() {
  static const std::vector<std::string> strategies{"latest_wins"};
  return strategies;
}

class Policies {
 public:
  explicit Policies(diag::DiagnosticSink& sink) : sink_(sink) {}

  void Module(const ast::Module& m) {
    for (const DeclPtr& d : m.items) {
      if (const auto* s = d->As<SyncDecl>()) {
        if (s->trigger == TriggerKind::DailyAt) Zone(s->daily_at);
        if (s->retry) Retry(*s->retry);
      } else if (const auto* r = d->As<ReconcileDecl>()) {
        if (r->at) Zone(*r->at);
      } else if (const auto* c = d->As<ConflictsDecl>()) {
        KnownName(c->strategy, ConflictStrategies(), "`conflicts` strategy", "the strategies are");
      }
    }
  }

 private:
  void KnownName(const ast::Name& name, const std::vector<std::string>& known, const std::string& what,
            const std::string& listed) {
    if (name.text.empty() || std::find(known.begin(), known.end(), name.text) != known.end()) return;
    diag::Diagnostic d = diag::Make(diag::Kind::UnknownPolicyName, name.span,
                                    "unknown " + what + " " + Quote(name.text), "not a " + what);
    d.notes.push_back(listed + " " + List(known));
    std::string near = ClosestName(name.text, known);
    if (!near.empty()) {
      d.help = "did you mean " + Quote(near) + "?";
      d.fix = diag::Fix{name.span, near, false};
    } else {
      d.help = "use " + (known.size() == 1 ? Quote(known.front()) : "one of " + List(known));
    }
    sink_.Report(std::move(d));
  }

  void Zone(const TimeOfDay& t) {
    if (!t.zone || schedule::KnownZone(*t.zone)) return;
    diag::Diagnostic d = diag::Make(diag::Kind::UnknownTimeZone, t.span,
                                    Quote(*t.zone) + " is not a time zone of the tz database", "unknown zone");
    d.notes.push_back("zones are IANA names such as `Europe/Berlin`, `America/New_York` or `UTC`, looked up as the "
                      "runtime does, in the system's tz database (/usr/share/zoneinfo)");
    d.help = "use the zone's IANA name, AREA/CITY";
    sink_.Report(std::move(d));
  }

  void Retry(const RetryPolicy& r) {
    if (r.attempts == 0) {
      diag::Diagnostic d = diag::Make(diag::Kind::RetryCannotWork, r.span, "`retry 0` retries nothing",
                                      "no retry");
      if (r.backoff) d.notes.push_back("its backoff and jitter are never used");
      d.help = "retry at least once (`retry 3`), or remove `retry` to keep the default policy (3 retries, "
               "exponential(1s, 1m))";
      sink_.Report(std::move(d));
      return;
    }
    if (!r.backoff) return;
    const std::string& kind = r.backoff->text;
    if (std::find(BackoffKinds().begin(), BackoffKinds().end(), kind) == BackoffKinds().end()) {
      KnownName(*r.backoff, BackoffKinds(), "backoff kind", "the kinds are");
      return;
    }
    const std::vector<int64_t>& a = r.backoff_args_ms;
    size_t most = kind == "fixed" ? 1 : 2;
    if (a.size() > most) {
      diag::Diagnostic d = diag::Make(diag::Kind::RetryCannotWork, r.span,
                                      "`" + kind + "` takes " + (most == 1 ? "one duration" : "at most two durations") +
                                          ", but this backoff has " + std::to_string(a.size()),
                                      "too many durations");
      d.help = most == 1 ? "`fixed(DURATION)` waits DURATION before each retry"
                         : "`" + kind + "(MIN, MAX)` starts at MIN and never waits longer than MAX";
      sink_.Report(std::move(d));
      return;
    }
    if (a.size() == 2 && a[0] > a[1]) {
      diag::Diagnostic d = diag::Make(diag::Kind::RetryCannotWork, r.span,
                                      "the backoff starts at " + DurationText(a[0]) + " but never waits longer than " +
                                          DurationText(a[1]),
                                      "minimum above maximum");
      d.notes.push_back("`" + kind + "(MIN, MAX)`: the first duration is the first wait, the second caps every wait");
      d.help = "swap them: `" + kind + "(" + DurationText(a[1]) + ", " + DurationText(a[0]) + ")`";
      sink_.Report(std::move(d));
    }
  }

  diag::DiagnosticSink& sink_;
};

}  // namespace

void CheckPolicies(const ast::Module& root, const std::vector<const ast::Module*>& imports,
                   diag::DiagnosticSink& sink) {
  Policies p(sink);
  for (const ast::Module* m : imports) p.Module(*m);
  p.Module(root);
}

}  // namespace crmx::check
