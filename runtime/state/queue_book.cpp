// Defines the queue book (queue_book.h).
#include "runtime/state/queue_book.h"

#include "runtime/state/statement.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "runtime/value/value.h"

namespace crmx::state {

namespace {

using Stmt = Statement;


std::string Fail(StateStore& store, const std::string& message) { return "state " + store.path() + ": " + message; }

std::vector<std::string> JsonList(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return {text};
  for (const auto& e : j) out.push_back(e.is_string() ? e.get<std::string>() : e.dump());
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A flag's reasons are its flag; an item was first and last seen when its runs started.
constexpr const char* kItemColumns =
    "i.id, i.map, i.record_id, i.queue, i.source_id, i.reasons, i.fields, i.file, "
    "i.line, i.first_run, i.last_run, (SELECT started FROM runs WHERE run = i.first_run), "
    "(SELECT started FROM runs WHERE run = i.last_run), i.status, i.note, i.actor, i.acted, d.attempts, d.state, i.flag";

// The delivery of an item: the record's row of `deliveries` (one per map and key). The items
// are the view `queue_items`: the rows of `items` and the flags in sets (flag_sets.h).
constexpr const char* kItemFrom =
    " FROM queue_items i LEFT JOIN deliveries d ON d.map = i.map AND d.source_key = i.record_id"
    " AND i.queue IN ('retrying', 'dead_letter')";

Item ItemOf(const Stmt& q) {
  Item it;
  it.id = q.Int(0);
  it.map = q.Text(1);
  it.record_id = q.Text(2);
  it.queue = q.Text(3);
  it.source_id = q.Text(4);
  it.reasons = q.Null(5) ? std::vector<std::string>{q.Text(19)} : JsonList(q.Text(5));
  it.fields = JsonList(q.Text(6));
  it.file = q.Text(7);
  it.line = q.Int(8);
  it.first_run = q.Int(9);
  it.last_run = q.Int(10);
  it.first_seen = q.Text(11);
  it.last_seen = q.Text(12);
  it.status = q.Text(13);
  it.note = q.Text(14);
  it.actor = q.Text(15);
  it.acted = q.Text(16);
  it.attempts = q.Null(17) ? -1 : q.Int(17);
  it.delivery_state = q.Text(18);
  return it;
}

// A row of `actions` selected as id, item, map, record_id, queue, action, note, actor, at.
ActionRow ActionOf(const Stmt& q) {
  ActionRow a;
  a.id = q.Int(0);
  a.item = q.Int(1);
  a.map = q.Text(2);
  a.record_id = q.Text(3);
  a.queue = q.Text(4);
  a.action = q.Text(5);
  a.note = q.Text(6);
  a.actor = q.Text(7);
  a.at = q.Text(8);
  return a;
}

// A copy of a PostgreSQL state into a new SQLite state file at `path` (what a dry run works on):
// every table of the state, row by row, in one transaction.
bool CopyToSqlite(StateStore& store, const std::string& path, std::string& error) {
  std::unique_ptr<StateStore> copy = StateStore::Open(path, error);
  if (!copy) return false;
  db::Connection& to = copy->db();
  std::string msg;
  if (!to.Begin(msg)) {
    error = "cannot copy the state to `" + path + "`: " + msg;
    return false;
  }
  for (const char* table : StateTables()) {
    Stmt from(store.db(), std::string("SELECT * FROM ") + table);
    std::unique_ptr<db::Query> insert;
    while (from.Row()) {
      if (!insert) {
        std::string cols, marks;
        for (int c = 0; c < from.Columns(); ++c) {
          cols += (c ? ", \"" : "\"") + from.ColumnName(c) + "\"";
          marks += c ? ", ?" : "?";
        }
        insert = to.Prepare(std::string("INSERT INTO ") + table + " (" + cols + ") VALUES (" + marks + ")", true);
      }
      for (int c = 0; c < from.Columns(); ++c) {
        if (from.Null(c)) insert->BindNull(c + 1);
        else insert->BindText(c + 1, from.Text(c));
      }
      while (insert->Row()) {
      }
      if (!insert->ok()) {
        error = "cannot copy the state's table " + std::string(table) + " to `" + path + "`: " + insert->Error();
        to.Rollback();
        return false;
      }
      insert->Reset();
    }
    if (!from.ok()) {
      error = Fail(store, from.Error());
      to.Rollback();
      return false;
    }
  }
  if (!to.Commit(msg)) {
    error = "cannot copy the state to `" + path + "`: " + msg;
    return false;
  }
  return true;
}

}  // namespace

std::string NowText() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string MsText(int64_t ms) {
  if (ms == 0) return {};
  value::Time t;
  t.seconds = ms / 1000;
  t.nanos = static_cast<int32_t>((ms % 1000) * 1000000);
  return value::FormatTimestamp(t);
}

bool ListItems(StateStore& store, const ItemFilter& f, std::vector<Item>& out, std::string& error) {
  std::string sql = std::string("SELECT ") + kItemColumns + kItemFrom + " WHERE 1 = 1";
  std::vector<std::string> args;
  if (f.queue.empty()) {
    sql += " AND i.queue <> 'flag'";
  } else {
    sql += " AND i.queue = ?";
    args.push_back(f.queue);
  }
  if (!f.map.empty()) {
    sql += " AND i.map = ?";
    args.push_back(f.map);
  }
  if (f.status != "all") {
    sql += " AND i.status = ?";
    args.push_back(f.status);
  }
  if (!f.since.empty()) {
    sql += " AND i.last_run IN (SELECT run FROM runs WHERE started >= ?)";
    args.push_back(f.since);
  }
  sql += " ORDER BY i.last_run DESC, i.id DESC";
  Stmt q(store.db(), sql);
  for (size_t i = 0; i < args.size(); ++i) q.Bind(static_cast<int>(i + 1), args[i]);
  std::string want = Lower(f.reason);
  while (q.Row()) {
    Item it = ItemOf(q);
    if (!want.empty() && std::none_of(it.reasons.begin(), it.reasons.end(), [&](const std::string& r) {
          return Lower(r).find(want) != std::string::npos;
        }))
      continue;
    out.push_back(std::move(it));
  }
  if (!q.ok()) {
    error = Fail(store, q.Error());
    return false;
  }
  return true;
}

std::optional<Item> GetItem(StateStore& store, int64_t id, std::string& error) {
  db::Connection& db = store.db();
  // A flag in a set is read from its set, not by grouping every flag of the view.
  std::string sql =
      FlagSets::IsFlagItem(id)
          ? "SELECT ?1, s.map, j.value, 'flag', NULL, NULL, NULL, NULL, 0, s.run, s.run, "
            "(SELECT started FROM runs WHERE run = s.run), (SELECT started FROM runs WHERE run = s.run), "
            "coalesce(a.status, 'open'), a.note, a.actor, a.acted, NULL, NULL, s.flag FROM flag_sets s CROSS JOIN " +
                db.JsonElements("s.keys") + " LEFT JOIN flag_acts a ON a.item = ?1 WHERE s.id = ?2 AND " +
                db.JsonPosition() + " = ?3"
          : std::string("SELECT ") + kItemColumns + kItemFrom + " WHERE i.id = ?1";
  Stmt q(db, sql);
  q.Bind(1, id);
  if (FlagSets::IsFlagItem(id)) q.Bind(2, FlagSets::SetOf(id)).Bind(3, FlagSets::PositionOf(id));
  if (q.Row()) return ItemOf(q);
  if (!q.ok()) error = Fail(store, q.Error());
  return std::nullopt;
}

bool GetItemDetail(StateStore& store, int64_t id, ItemDetail& out, std::string& error) {
  std::optional<Item> it = GetItem(store, id, error);
  if (!it) return false;
  out.item = *it;
  {
    Stmt q(store.db(),
           "SELECT id, source_key, source_id, idem_key, hash, state, attempts, due, payload, external_id, file, line, run, "
           "last_status, last_code, last_message, last_fields, last_request, decided, updated, target_id, notify "
           "FROM deliveries WHERE map = ? AND source_key = ?");
    q.Bind(1, out.item.map).Bind(2, out.item.record_id);
    if (q.Row()) {
      DeliveryRow r;
      Delivery& d = r.d;
      d.map = out.item.map;
      d.id = q.Int(0);
      d.source_key = q.Text(1);
      d.source_id = q.Text(2);
      d.idem_key = q.Text(3);
      d.hash = q.Text(4);
      d.state = q.Text(5);
      d.attempts = q.Int(6);
      d.due_ms = q.Null(7) ? 0 : q.Int(7);
      d.payload = q.Text(8);
      d.external_id = q.Text(9);
      d.file = q.Text(10);
      d.line = q.Int(11);
      d.run = q.Int(12);
      d.last_status = static_cast<int>(q.Int(13));
      d.last_code = q.Text(14);
      d.last_message = q.Text(15);
      d.last_fields = q.Text(16);
      d.last_request = q.Text(17);
      r.decided = q.Text(18);
      r.updated = q.Text(19);
      r.target_id = q.Text(20);
      r.notify = q.Text(21);
      out.delivery = std::move(r);
    }
    if (!q.ok()) {
      error = Fail(store, q.Error());
      return false;
    }
  }
  if (out.delivery) {
    Stmt q(store.db(),
           "SELECT attempt, run, at, ok, http_status, code, message, retriable, wait_ms FROM attempts "
           "WHERE delivery = ? ORDER BY attempt, rowid");
    q.Bind(1, out.delivery->d.id);
    while (q.Row()) {
      AttemptRow a;
      a.attempt = q.Int(0);
      a.run = q.Int(1);
      a.at = q.Text(2);
      a.ok = q.Int(3) != 0;
      a.http_status = static_cast<int>(q.Int(4));
      a.code = q.Text(5);
      a.message = q.Text(6);
      a.retriable = q.Int(7) != 0;
      a.wait_ms = q.Int(8);
      out.delivery->attempts.push_back(std::move(a));
    }
    if (!q.ok()) {
      error = Fail(store, q.Error());
      return false;
    }
  }
  // The actions on this item, and those on the same record before it got this id (a record
  // that moved between queues, or was replayed, has a new item each time).
  Stmt q(store.db(),
         "SELECT id, item, map, record_id, queue, action, note, actor, at FROM actions "
         "WHERE item = ? OR (map = ? AND record_id = ?) ORDER BY id");
  q.Bind(1, id).Bind(2, out.item.map).Bind(3, out.item.record_id);
  while (q.Row()) out.actions.push_back(ActionOf(q));
  if (!q.ok()) {
    error = Fail(store, q.Error());
    return false;
  }
  return true;
}

bool ItemActions(StateStore& store, int64_t id, std::vector<ActionRow>& out, std::string& error) {
  Stmt q(store.db(), "SELECT id, item, map, record_id, queue, action, note, actor, at FROM actions WHERE item = ? ORDER BY id");
  q.Bind(1, id);
  while (q.Row()) out.push_back(ActionOf(q));
  if (q.ok()) return true;
  error = Fail(store, q.Error());
  return false;
}

int64_t FindItem(StateStore& store, const std::string& map, const std::string& record_id, const std::string& queue,
                 std::string& error) {
  Stmt q(store.db(), "SELECT id FROM queue_items WHERE map = ? AND record_id = ? AND queue = ?");
  q.Bind(1, map).Bind(2, record_id).Bind(3, queue);
  if (q.Row()) return q.Int(0);
  if (!q.ok()) error = Fail(store, q.Error());
  return 0;
}

bool Act(StateStore& store, int64_t id, const std::string& status, const std::string& note, const std::string& actor,
         bool force, ActResult& result, bool& refused, std::string& error) {
  refused = false;
  std::string msg;
  db::Connection& db = store.db();
  if (!db.Begin(msg)) {
    error = Fail(store, msg);
    return false;
  }
  auto rollback = [&](bool ret) {
    db.Rollback();
    return ret;
  };
  std::optional<Item> it = GetItem(store, id, error);
  if (!it) {
    if (error.empty()) {
      refused = true;
      error = "there is no item " + std::to_string(id) + " in " + store.path() + " (crmx-run queue list shows them)";
    }
    return rollback(false);
  }
  result.before = *it;
  if (it->status != "open" && !force) {
    refused = true;
    error = "item " + std::to_string(id) + " (" + it->map + " " + it->record_id + ") is already " + it->status + " by " +
            (it->actor.empty() ? std::string("someone") : it->actor) + " at " + it->acted +
            (it->note.empty() ? std::string() : " (`" + it->note + "`)") + "; --force to act on it again";
    return rollback(false);
  }
  std::string now = NowText();
  // An entry of an item set is a row of `items` first.
  if (!FlagSets::IsFlagItem(id) && !store.PromoteItem(id)) {
    error = store.error();
    return rollback(false);
  }
  {
    // A flag in a set: what was done on it is a row of flag_acts.
    Stmt u(db, FlagSets::IsFlagItem(id)
                   ? "INSERT INTO flag_acts (status, note, actor, acted, item) VALUES (?, ?, ?, ?, ?) ON CONFLICT (item) "
                     "DO UPDATE SET status = excluded.status, note = excluded.note, actor = excluded.actor, "
                     "acted = excluded.acted"
                   : "UPDATE items SET status = ?, note = ?, actor = ?, acted = ? WHERE id = ?");
    u.Bind(1, status).Bind(2, note).Bind(3, actor).Bind(4, now).Bind(5, id);
    if (!u.Done()) {
      error = Fail(store, u.Error());
      return rollback(false);
    }
  }
  {
    Stmt a(db, "INSERT INTO actions (item, map, record_id, queue, action, note, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    a.Bind(1, id).Bind(2, it->map).Bind(3, it->record_id).Bind(4, it->queue);
    a.Bind(5, status == "resolved" ? std::string("resolve") : std::string("discard")).Bind(6, note).Bind(7, actor).Bind(8, now);
    if (!a.Done()) {
      error = Fail(store, a.Error());
      return rollback(false);
    }
  }
  if (status == "discarded" && (it->queue == "retrying" || it->queue == "dead_letter")) {
    {
      Stmt q(db, "SELECT state FROM deliveries WHERE map = ? AND source_key = ?");
      q.Bind(1, it->map).Bind(2, it->record_id);
      if (q.Row()) result.delivery_before = q.Text(0);
      if (!q.ok()) {
        error = Fail(store, q.Error());
        return rollback(false);
      }
    }
    // Not `done`: a record written since (by a later run) keeps its delivery.
    Stmt u(db,
           "UPDATE deliveries SET state = 'dead', due = NULL, updated = ? WHERE map = ? AND source_key = ? "
           "AND state <> 'done'");
    u.Bind(1, now).Bind(2, it->map).Bind(3, it->record_id);
    if (!u.Done()) {
      error = Fail(store, u.Error());
      return rollback(false);
    }
    result.delivery_killed = u.Changes() > 0;
  }
  if (!db.Commit(msg)) {
    error = Fail(store, msg);
    return rollback(false);
  }
  return true;
}

bool AddAction(StateStore& store, const Item& item, const std::string& action, const std::string& note,
               const std::string& actor, std::string& error) {
  Stmt a(store.db(),
         "INSERT INTO actions (item, map, record_id, queue, action, note, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  a.Bind(1, item.id).Bind(2, item.map).Bind(3, item.record_id).Bind(4, item.queue);
  a.Bind(5, action).Bind(6, note).Bind(7, actor).Bind(8, NowText());
  if (a.Done()) return true;
  error = Fail(store, a.Error());
  return false;
}

bool DueNow(StateStore& store, const std::string& map, const std::string& source_key, int64_t now_ms,
            std::string& error) {
  Stmt u(store.db(), "UPDATE deliveries SET due = ? WHERE map = ? AND source_key = ? AND state = 'failed'");
  u.Bind(1, now_ms).Bind(2, map).Bind(3, source_key);
  if (u.Done()) return true;
  error = Fail(store, u.Error());
  return false;
}

bool DeliveryState(StateStore& store, const std::string& map, const std::string& source_key, std::string& state,
                   int64_t& run, int64_t& attempts, std::string& error) {
  state.clear();
  run = attempts = 0;
  Stmt q(store.db(), "SELECT state, run, attempts FROM deliveries WHERE map = ? AND source_key = ?");
  q.Bind(1, map).Bind(2, source_key);
  if (q.Row()) {
    state = q.Text(0);
    run = q.Int(1);
    attempts = q.Int(2);
  }
  if (q.ok()) return true;
  error = Fail(store, q.Error());
  return false;
}

std::string TargetId(StateStore& store, const std::string& map, const std::string& source_key) {
  Stmt q(store.db(), "SELECT target_id FROM xref WHERE map = ? AND source_key = ?");
  q.Bind(1, map).Bind(2, source_key);
  return q.Row() ? q.Text(0) : std::string();
}

std::string TargetIdByKey(StateStore& store, const std::vector<std::string>& maps, const std::string& key) {
  for (const std::string& m : maps) {
    Stmt q(store.db(), "SELECT target_id FROM xref WHERE map = ? AND (external_id = ? OR source_key = ?)");
    q.Bind(1, m).Bind(2, key).Bind(3, key);
    if (q.Row()) return q.Text(0);
  }
  return {};
}

bool BackupTo(StateStore& store, const std::string& path, std::string& error) {
  sqlite3* from = db::SqliteHandle(store.db());
  if (from == nullptr) return CopyToSqlite(store, path, error);
  sqlite3* to = nullptr;
  if (sqlite3_open_v2(path.c_str(), &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    error = "cannot create the copy of the state file `" + path + "`: " + (to ? sqlite3_errmsg(to) : "out of memory");
    sqlite3_close(to);
    return false;
  }
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  bool ok = b != nullptr;
  if (ok) {
    int rc = sqlite3_backup_step(b, -1);
    ok = rc == SQLITE_DONE;
    sqlite3_backup_finish(b);
  }
  if (!ok) error = "cannot copy the state file " + store.path() + " to `" + path + "`: " + sqlite3_errmsg(to);
  sqlite3_close(to);
  return ok;
}

}  // namespace crmx::state
