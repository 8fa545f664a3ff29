// Defines alerts, what `crmx-run alerts` and `crmx-run serve` evaluate (docs/serve.md, "Alerts
// and notifications"): the plan's `alert NAME on SYS.OBJ when PRED for DURATION notify ...`,
// the built-in alerts of the profile's `alerts:` section, and the engine's events waiting to be
// delivered (`notify` from `on exhausted ... notify`, `budget_warn`, `limit_warn`).
//
// A spec alert reads its object's records through the connector (projected, `when` pushed
// down) and evaluates `when` on the VM. Its timers live in the state (alert_book.h), one per
// record that matches; this file's StepTimers is the one place that says how they move:
//
//   no timer, matches                                   -> started (since = now)
//   timer, matches, not fired, now - since >= for       -> fired: notification round 1
//   timer, matches, fired, now - notified >= renotify   -> reminded: round 2, 3, ...
//   timer, does not match (or is no longer read)        -> cleared (recorded; a later match
//                                                          starts a new timer)
//
// Each round is decided as one notification row per target and channel, with a unique key
// (alert, record, timer start, round, target, channel), before anything is sent: a restart or a
// second `crmx-run alerts` decides nothing new and sends nothing twice. Then every notification
// due is sent; a failed one is tried again after 1, 2, 4 ... minutes (at most an hour between
// tries) and given up after kNotificationAttempts tries, or at once when the failure is final.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "runtime/engine/engine.h"
#include "runtime/plan/plan.h"
#include "runtime/profile/profile.h"
#include "runtime/state/alert_book.h"
#include "runtime/state/state.h"
#include "runtime/watch/notify.h"

namespace crmx::watch {

// A record an alert's condition holds for, at one evaluation.
struct MatchingRecord {
  std::string key;      // the record's own id (built-in alerts: the map, or map and record)
  // owner_of: per link field of the alert's owner targets, the record's value (the owner
  // record's key: `externalId` -> "006..."); "" when the record has none.
  std::map<std::string, std::string> links;
  std::string summary;  // what the record says ("id = 17, status = Pending Approval, externalId = 006...")
};

struct TimerStep {
  std::vector<state::AlertTimer> put;      // timers started or moved on (fired, reminded, seen again)
  std::vector<state::AlertTimer> cleared;  // timers whose record no longer matches
  // The timers to notify now, each with the round it is at (`rounds`: 1 fired, 2+ reminders).
  std::vector<state::AlertTimer> notify;
  size_t started = 0, fired = 0, reminded = 0;
};

// Moves the timers of `alert` (`timers`, by record key) at `now` given the records that match
// (see the table above). `for_ms` is the alert's duration; `renotify_ms` 0 never reminds.
TimerStep StepTimers(const std::string& alert, const std::map<std::string, state::AlertTimer>& timers,
                     const std::vector<MatchingRecord>& matches, int64_t now, int64_t for_ms, int64_t renotify_ms);

// A failed notification is tried at most this many times.
inline constexpr int64_t kNotificationAttempts = 8;
// The wait after the `attempts`-th failed try: 1 minute, doubling, at most 1 hour.
int64_t NotificationBackoffMs(int64_t attempts);

// Reads `alert`'s object through `connector` (projected, pushed down) and evaluates `when` on
// each record: the records it holds for. A record whose `when` fails (an error value) does not
// match; `notes` says the first few such. False with `error` when the object cannot be read.
bool Observe(const plan::Plan& p, const plan::Alert& alert, connectors::Connector& connector, std::vector<MatchingRecord>& out,
             std::vector<std::string>& notes, uint64_t& calls, std::string& error);

// What one evaluation did.
struct Evaluation {
  bool evaluated = false;  // the alerts were evaluated (AlertLoop::Tick may only deliver)
  // An alert that could not be evaluated this time (its system unreadable): why. Its timers
  // stay as they were.
  std::vector<std::string> errors;
  std::vector<std::string> notes;
  size_t matching = 0, started = 0, fired = 0, reminded = 0, cleared = 0;
  size_t decided = 0;  // notification rows decided
  size_t sent = 0, retrying = 0, failed = 0;
  // Every notification tried by this call, as it stands after the try.
  std::vector<state::NotificationRow> tried;
  // What happened, one line each ("fired pending_approval erp.SalesOrder 17 (since ...)").
  std::vector<std::string> lines;
  uint64_t calls = 0;  // API calls the reads made
  // The owners' lookups' calls by system, not yet counted against the plan's budgets (state
  // `usage`; the alerts' own reads are counted as they are made): counted before returning.
  std::map<std::string, uint64_t> uncounted_calls;
};

struct AlertSettings {
  profile::Alerts builtins;  // the built-in alerts and where they go
  bool deliver = true;       // false: decide only (nothing is sent; `crmx-run alerts --dry-run` on a copy)
};

// Evaluates every alert of `plan`, the built-in alerts and the engine's undelivered events at
// `now_ms`, records the timers and the notifications decided, then sends every notification
// due through `sinks` (the owners' emails looked up through `systems`). False with `error` only
// when the state cannot be read or written; a system that cannot be read is an entry of
// out.errors and its alerts are left as they were.
bool EvaluateAlerts(const plan::Plan& plan, const engine::Systems& systems, state::StateStore& state, int64_t now_ms,
                    Notifier& sinks, const AlertSettings& settings, Evaluation& out, std::string& error);

// Sends the notifications due at `now_ms` (pending, and retrying ones whose time came).
bool DeliverDue(const plan::Plan& plan, const engine::Systems& systems, state::StateStore& state, int64_t now_ms,
                Notifier& sinks, Evaluation& out, std::string& error);

// What `crmx-run serve` calls on every turn of its loop (docs/serve.md): evaluates the alerts
// when the profile's `alerts.every` (default 1 minute) has passed since the last evaluation (at
// once on the first call), and otherwise only sends what is due (retries). Holds the notifier
// the profile's target describes. The plan, systems and target must outlive it.
class AlertLoop {
 public:
  AlertLoop(const plan::Plan& plan, const engine::Systems& systems, const profile::Target& target, LogLine log);
  // Never throws; a state failure is in the returned errors (and state.ok() says it).
  Evaluation Tick(state::StateStore& state, int64_t now_ms);
  // Milliseconds until the next evaluation is due, from `now_ms` (for the loop's sleep).
  int64_t NextDueMs(int64_t now_ms) const;

 private:
  const plan::Plan& plan_;
  const engine::Systems& systems_;
  AlertSettings settings_;
  std::unique_ptr<Notifier> notifier_;
  int64_t last_evaluated_ = 0;
};

}  // namespace crmx::watch
