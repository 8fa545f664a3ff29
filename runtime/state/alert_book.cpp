// Defines the alert book (alert_book.h).
#include "runtime/state/alert_book.h"


#include "runtime/state/queue_book.h"
#include "runtime/state/statement.h"

namespace crmx::state {

namespace {

// "state PATH: MESSAGE", false: what every failure here says.
bool Failed(StateStore& store, const Statement& q, std::string& error) {
  error = "state " + store.path() + ": " + q.Error();
  return false;
}

// One transaction on the store's connection: Run() begins it, Commit() ends it; a guard that
// was not committed rolls back.
class Transaction {
 public:
  explicit Transaction(StateStore& store) : db_(store.db()) {}
  ~Transaction() {
    if (open_) db_.Rollback();
  }
  bool Begin() { return open_ = db_.Begin(error_); }
  bool Commit() {
    if (!db_.Commit(error_)) return false;
    open_ = false;
    return true;
  }
  const std::string& Error() const { return error_; }

 private:
  db::Connection& db_;
  bool open_ = false;
  std::string error_;
};

constexpr const char* kNotificationColumns =
    "id, dedup, alert, record_key, target, channel, coalesce(link, ''), subject, body, status, attempts, "
    "coalesce(last_error, ''), created, updated, due, coalesce(sent, 0), coalesce(event, 0)";

NotificationRow NotificationOf(const Statement& q) {
  NotificationRow n;
  n.id = q.Int(0);
  n.dedup = q.Text(1);
  n.alert = q.Text(2);
  n.record_key = q.Text(3);
  n.target = q.Text(4);
  n.channel = q.Text(5);
  n.link = q.Text(6);
  n.subject = q.Text(7);
  n.body = q.Text(8);
  n.status = q.Text(9);
  n.attempts = q.Int(10);
  n.last_error = q.Text(11);
  n.created = q.Int(12);
  n.updated = q.Int(13);
  n.due = q.Int(14);
  n.sent = q.Int(15);
  n.event = q.Int(16);
  return n;
}

// RFC 3339 to the second, as the other tables' times ("2026-12-06T04:00:00Z").
std::string Rfc3339(int64_t ms) { return MsText(ms - ms % 1000); }

}  // namespace

bool LoadTimers(StateStore& store, const std::string& alert, std::map<std::string, AlertTimer>& out, std::string& error) {
  out.clear();
  Statement q(store.db(),
              "SELECT alert, record_key, since, last_seen, coalesce(fired, 0), coalesce(notified, 0), rounds, "
              "coalesce(link, ''), coalesce(summary, '') FROM alert_timers WHERE alert = ?",
              {alert});
  while (q.Row()) {
    AlertTimer t{q.Text(0), q.Text(1), q.Int(2), q.Int(3), q.Int(4), q.Int(5), q.Int(6), q.Text(7), q.Text(8)};
    out[t.record_key] = std::move(t);
  }
  return q.ok() || Failed(store, q, error);
}

bool RecordAlert(StateStore& store, const std::vector<AlertTimer>& put, const std::vector<AlertTimer>& cleared,
                 const std::vector<NotificationRow>& decided, int64_t now, std::string& error) {
  if (put.empty() && cleared.empty() && decided.empty()) return true;
  Transaction tx(store);
  if (!tx.Begin()) {
    error = "state " + store.path() + ": " + tx.Error();
    return false;
  }
  db::Connection& db = store.db();
  {
    Statement q(db,
                "INSERT INTO alert_timers (alert, record_key, since, last_seen, fired, notified, rounds, link, summary) "
                "VALUES (?1, ?2, ?3, ?4, nullif(CAST(?5 AS BIGINT), 0), nullif(CAST(?6 AS BIGINT), 0), ?7, ?8, ?9) ON CONFLICT(alert, record_key) DO "
                "UPDATE SET since = excluded.since, last_seen = excluded.last_seen, fired = excluded.fired, "
                "notified = excluded.notified, rounds = excluded.rounds, link = excluded.link, summary = excluded.summary");
    for (const AlertTimer& t : put) {
      q.Bind(1, t.alert).Bind(2, t.record_key).Bind(3, t.since).Bind(4, t.last_seen).Bind(5, t.fired);
      q.Bind(6, t.notified).Bind(7, t.rounds).Bind(8, t.link).Bind(9, t.summary);
      if (!q.Done()) return Failed(store, q, error);
      q.Reset();
    }
  }
  for (const AlertTimer& t : cleared) {
    Statement add(db,
                  "INSERT INTO alert_clears (alert, record_key, since, fired, rounds, cleared) "
                  "VALUES (?1, ?2, ?3, nullif(CAST(?4 AS BIGINT), 0), ?5, ?6)",
                  {t.alert, t.record_key});
    add.Bind(3, t.since).Bind(4, t.fired).Bind(5, t.rounds).Bind(6, now);
    if (!add.Done()) return Failed(store, add, error);
    Statement drop(db, "DELETE FROM alert_timers WHERE alert = ? AND record_key = ?", {t.alert, t.record_key});
    if (!drop.Done()) return Failed(store, drop, error);
  }
  {
    Statement q(db,
                "INSERT INTO notifications (dedup, alert, record_key, target, channel, link, subject, body, "
                "status, attempts, last_error, created, updated, due, sent, event) VALUES (?1, ?2, ?3, ?4, ?5, "
                "nullif(?6, ''), ?7, ?8, ?9, ?10, nullif(?11, ''), ?12, ?13, ?14, nullif(CAST(?15 AS BIGINT), 0), nullif(CAST(?16 AS BIGINT), 0)) ON CONFLICT DO NOTHING");
    for (const NotificationRow& n : decided) {
      q.Bind(1, n.dedup).Bind(2, n.alert).Bind(3, n.record_key).Bind(4, n.target).Bind(5, n.channel);
      q.Bind(6, n.link).Bind(7, n.subject).Bind(8, n.body).Bind(9, n.status).Bind(10, n.attempts);
      q.Bind(11, n.last_error).Bind(12, n.created).Bind(13, n.updated).Bind(14, n.due).Bind(15, n.sent);
      q.Bind(16, n.event);
      if (!q.Done()) return Failed(store, q, error);
      q.Reset();
    }
  }
  if (!tx.Commit()) {
    error = "state " + store.path() + ": " + tx.Error();
    return false;
  }
  return true;
}

bool DueNotifications(StateStore& store, int64_t now, size_t limit, std::vector<NotificationRow>& out,
                      std::string& error) {
  out.clear();
  Statement q(store.db(), std::string("SELECT ") + kNotificationColumns +
                              " FROM notifications WHERE status IN ('pending', 'retrying') AND due <= ? "
                              "ORDER BY due, id LIMIT ?");
  q.Bind(1, now).Bind(2, static_cast<int64_t>(limit));
  while (q.Row()) out.push_back(NotificationOf(q));
  return q.ok() || Failed(store, q, error);
}

bool SettleNotification(StateStore& store, const NotificationRow& n, std::string& error) {
  Statement q(store.db(),
              "UPDATE notifications SET channel = ?1, status = ?2, attempts = ?3, last_error = nullif(?4, ''), "
              "updated = ?5, due = ?6, sent = nullif(CAST(?7 AS BIGINT), 0) WHERE id = ?8",
              {n.channel, n.status});
  q.Bind(3, n.attempts).Bind(4, n.last_error).Bind(5, n.updated).Bind(6, n.due).Bind(7, n.sent).Bind(8, n.id);
  return q.Done() || Failed(store, q, error);
}

bool ListNotifications(StateStore& store, const std::string& status, size_t limit, std::vector<NotificationRow>& out,
                       std::string& error) {
  out.clear();
  Statement q(store.db(), std::string("SELECT ") + kNotificationColumns +
                              " FROM notifications WHERE (?1 = '' OR status = ?1) ORDER BY id DESC LIMIT ?2",
              {status});
  q.Bind(2, limit == 0 ? int64_t{-1} : static_cast<int64_t>(limit));
  while (q.Row()) out.push_back(NotificationOf(q));
  return q.ok() || Failed(store, q, error);
}

bool UndeliveredEvents(StateStore& store, const std::vector<std::string>& kinds, std::vector<EventRow>& out,
                       std::string& error) {
  out.clear();
  Statement q(store.db(),
              "SELECT id, at, coalesce(run, 0), kind, coalesce(map, ''), coalesce(record_id, ''), coalesce(target, ''), "
              "message FROM events WHERE delivered IS NULL ORDER BY id");
  while (q.Row()) {
    EventRow e{q.Int(0), q.Text(1), q.Int(2), q.Text(3), q.Text(4), q.Text(5), q.Text(6), q.Text(7)};
    for (const std::string& k : kinds)
      if (e.kind == k) out.push_back(e);
  }
  return q.ok() || Failed(store, q, error);
}

bool MarkEventsDelivered(StateStore& store, int64_t now, std::string& error) {
  Statement q(store.db(),
              "UPDATE events SET delivered = ?1 WHERE delivered IS NULL AND id IN (SELECT event FROM notifications "
              "WHERE event IS NOT NULL GROUP BY event HAVING sum(CASE WHEN status IN ('pending', 'retrying') THEN 1 ELSE 0 END) = 0)",
              {Rfc3339(now)});
  return q.Done() || Failed(store, q, error);
}

bool MarkEventDelivered(StateStore& store, int64_t id, int64_t now, std::string& error) {
  Statement q(store.db(), "UPDATE events SET delivered = ?1 WHERE id = ?2", {Rfc3339(now)});
  q.Bind(2, id);
  return q.Done() || Failed(store, q, error);
}

bool LatestRunSummaries(StateStore& store, size_t limit, std::vector<std::pair<int64_t, std::string>>& out,
                        std::string& error) {
  out.clear();
  Statement q(store.db(),
              "SELECT run, summary FROM runs WHERE finished IS NOT NULL AND summary IS NOT NULL ORDER BY run DESC LIMIT ?");
  q.Bind(1, static_cast<int64_t>(limit));
  while (q.Row()) out.emplace_back(q.Int(0), q.Text(1));
  return q.ok() || Failed(store, q, error);
}

bool OpenItemsByMap(StateStore& store, const std::string& queue, std::map<std::string, int64_t>& out,
                    std::string& error) {
  out.clear();
  // Counted where the items are (not through queue_items, which reads every entry of the item sets).
  Statement q(store.db(),
              "SELECT map, count(*) FROM items WHERE status = 'open' AND queue = ?1 GROUP BY map "
              "UNION ALL SELECT map, sum(n) FROM item_sets WHERE queue = ?1 GROUP BY map "
              "UNION ALL SELECT map, count(*) FROM flag_items WHERE status = 'open' AND ?1 = 'flag' GROUP BY map",
              {queue});
  while (q.Row()) out[q.Text(0)] += q.Int(1);
  return q.ok() || Failed(store, q, error);
}

bool XrefSourceKey(StateStore& store, const std::string& map, const std::string& target_id, std::string& out,
                   std::string& error) {
  out.clear();
  Statement q(store.db(), "SELECT source_key FROM xref WHERE map = ? AND target_id = ? LIMIT 1", {map, target_id});
  if (q.Row()) out = q.Text(0);
  return q.ok() || Failed(store, q, error);
}

bool OverdueDeliveries(StateStore& store, const std::string& before, std::vector<OpenDelivery>& out,
                       std::string& error) {
  out.clear();
  Statement q(store.db(),
              "SELECT map, source_key, state, decided, attempts FROM deliveries WHERE state IN ('pending', 'in_flight', "
              "'failed') AND decided < ? ORDER BY decided, id",
              {before});
  while (q.Row()) out.push_back(OpenDelivery{q.Text(0), q.Text(1), q.Text(2), q.Text(3), q.Int(4)});
  return q.ok() || Failed(store, q, error);
}

}  // namespace crmx::state
