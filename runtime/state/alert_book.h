// Defines the alert book: what the alerts (runtime/watch/alerts.h) keep in the state file, over
// an open StateStore (which holds the state file's lock), state version 6:
// - `alert_timers`: per alert and record that matches, since when (first seen matching), when
//   it fired and was last notified, how many notifications rounds it had;
// - `alert_clears`: a timer that stopped matching (kept for the record; a later match starts a
//   new timer);
// - `notifications`: every notification decided, one row per target and channel, with where it
//   stands: `pending` (decided, not tried), `sent`, `retrying` (failed, tried again at `due`),
//   `failed` (given up). A row's `dedup` key is unique: deciding the same notification twice (a
//   restart, a second `crmx-run alerts`) adds nothing.
// Also the engine's `events` (`notify`, `budget_warn`, `limit_warn`) that wait to be delivered.
//
// Times are Unix milliseconds. Every function is one statement or one transaction: a failure
// leaves the file as it was and says SQLite's message in `error`. No row holds a secret: a
// webhook channel is named by its channel ("webhook:finance-ops"), never by its URL.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "runtime/state/state.h"

namespace crmx::state {

struct AlertTimer {
  std::string alert;
  std::string record_key;
  int64_t since = 0;      // first seen matching
  int64_t last_seen = 0;  // the latest evaluation that saw it matching
  int64_t fired = 0;      // when it fired; 0: not yet
  int64_t notified = 0;   // when its latest notifications round was decided; 0: none
  int64_t rounds = 0;     // notification rounds so far (1 when fired, +1 per reminder)
  std::string link;       // the owner's record key (owner_of), "" when none
  std::string summary;    // what the record said when last seen ("status = Pending Approval")
};

struct NotificationRow {
  int64_t id = 0;
  std::string dedup;       // unique: alert, record, timer start, round, target and channel
  std::string alert;       // the alert's name, "builtin:dead_letters", or "event:notify" for an engine event
  std::string record_key;
  std::string target;      // as the spec (or the event) says: "finance-ops", "owner_of(crm.Opportunity)"
  std::string channel;     // "webhook:finance-ops", "email:ann@acme.example", "log", "owner:email" (not resolved yet)
  std::string link;        // owner_of: the owner's record key
  std::string subject;
  std::string body;
  std::string status;      // "pending", "sent", "retrying", "failed"
  int64_t attempts = 0;
  std::string last_error;  // without secrets
  int64_t created = 0, updated = 0;
  int64_t due = 0;   // pending, retrying: when to try (again)
  int64_t sent = 0;  // sent: when
  int64_t event = 0; // the `events` row it delivers; 0 for an alert
};

// An `events` row not delivered yet.
struct EventRow {
  int64_t id = 0;
  std::string at;  // RFC 3339
  int64_t run = 0;
  std::string kind;  // "notify", "budget_warn", "limit_warn"
  std::string map, record_id, target, message;
};

// The timers of `alert`, by record key.
bool LoadTimers(StateStore& store, const std::string& alert, std::map<std::string, AlertTimer>& out, std::string& error);

// What one evaluation of one alert decided, written in one transaction: timers started or
// updated (`put`), timers cleared at `now` (`cleared`: recorded in alert_clears, then deleted),
// and notifications decided (inserted unless a row with the same dedup key exists).
bool RecordAlert(StateStore& store, const std::vector<AlertTimer>& put, const std::vector<AlertTimer>& cleared,
                 const std::vector<NotificationRow>& decided, int64_t now, std::string& error);

// Notifications decided and not settled (pending, retrying) whose `due` is at or before `now`,
// oldest first, at most `limit`.
bool DueNotifications(StateStore& store, int64_t now, size_t limit, std::vector<NotificationRow>& out,
                      std::string& error);

// Writes a notification's outcome: channel (resolved), status, attempts, last_error, updated,
// due and sent.
bool SettleNotification(StateStore& store, const NotificationRow& n, std::string& error);

// Every notification, newest first, at most `limit` (0: all); `status` "" for any.
bool ListNotifications(StateStore& store, const std::string& status, size_t limit, std::vector<NotificationRow>& out,
                       std::string& error);

// The `events` rows of these kinds not delivered yet, oldest first.
bool UndeliveredEvents(StateStore& store, const std::vector<std::string>& kinds, std::vector<EventRow>& out,
                       std::string& error);

// Marks `delivered` (RFC 3339 of `now`) on every undelivered event whose notifications are all
// settled (sent or failed) and that has at least one.
bool MarkEventsDelivered(StateStore& store, int64_t now, std::string& error);

// Marks one event delivered without notifications (its kind is turned off in the profile).
bool MarkEventDelivered(StateStore& store, int64_t id, int64_t now, std::string& error);

// What the built-in alerts look at (docs/serve.md, "Built-in alerts").
// The summaries (`runs.summary`, the run's JSON report) of the latest `limit` finished runs,
// newest first: (run, summary).
bool LatestRunSummaries(StateStore& store, size_t limit, std::vector<std::pair<int64_t, std::string>>& out,
                        std::string& error);
// Open items of `queue` per map (table `items`).
bool OpenItemsByMap(StateStore& store, const std::string& queue, std::map<std::string, int64_t>& out,
                    std::string& error);

// The source key `map` wrote as the target record `target_id` (table `xref`: kept for the maps
// other maps `ref`); "" when the cross-reference does not know it.
bool XrefSourceKey(StateStore& store, const std::string& map, const std::string& target_id, std::string& out,
                   std::string& error);

// A write decided and not done (pending, in flight or failed) since `decided`.
struct OpenDelivery {
  std::string map, source_key, state, decided;
  int64_t attempts = 0;
};
// The deliveries still open that were decided before `before` (RFC 3339), oldest first.
bool OverdueDeliveries(StateStore& store, const std::string& before, std::vector<OpenDelivery>& out,
                       std::string& error);

}  // namespace crmx::state
