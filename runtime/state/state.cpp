// Defines the state store (state.h).
#include "runtime/state/state.h"

#include "runtime/state/flag_sets.h"
#include "runtime/value/json_string.h"
#include "runtime/state/postgres_schema.h"
#include "runtime/state/statement.h"

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <ctime>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

namespace crmx::state {

namespace {

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  run INTEGER PRIMARY KEY AUTOINCREMENT,
  started TEXT NOT NULL,
  finished TEXT,
  plan_hash TEXT NOT NULL,
  summary TEXT
);
CREATE TABLE IF NOT EXISTS xref (
  map TEXT NOT NULL,
  source_key TEXT NOT NULL,
  target_id TEXT NOT NULL,
  external_id TEXT,
  updated TEXT NOT NULL,
  PRIMARY KEY (map, source_key)
);
CREATE TABLE IF NOT EXISTS queue (
  run INTEGER NOT NULL,
  map TEXT NOT NULL,
  queue TEXT NOT NULL,
  record_id TEXT NOT NULL,
  file TEXT,
  line INTEGER,
  reasons TEXT NOT NULL,
  fields TEXT,
  status TEXT NOT NULL DEFAULT 'open'
);
CREATE INDEX IF NOT EXISTS queue_by_run ON queue (run, map, queue);
CREATE TABLE IF NOT EXISTS cursors (
  map TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS written (
  map TEXT NOT NULL,
  source_key TEXT NOT NULL,
  hash TEXT NOT NULL,
  updated TEXT NOT NULL,
  PRIMARY KEY (map, source_key)
);
)sql";

// Version 2: the delivery ledger, the queues as they stand, flags, events, API usage, the
// keys read at the cursor's stamp, and what people did to queued records. `written` folds
// into `deliveries` (state done).
const char* kSchema2 = R"sql(
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  map TEXT NOT NULL,
  source_key TEXT NOT NULL,
  source_id TEXT,
  idem_key TEXT NOT NULL,
  hash TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  due INTEGER,
  payload TEXT,
  external_id TEXT,
  target_id TEXT,
  file TEXT,
  line INTEGER,
  run INTEGER NOT NULL,
  decided TEXT NOT NULL,
  updated TEXT NOT NULL,
  last_status INTEGER,
  last_code TEXT,
  last_message TEXT,
  last_fields TEXT,
  last_request TEXT,
  notify TEXT,
  UNIQUE (map, source_key)
);
CREATE INDEX deliveries_open ON deliveries (map) WHERE state IN ('pending', 'in_flight', 'failed');
CREATE TABLE attempts (
  delivery INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  run INTEGER NOT NULL,
  at TEXT NOT NULL,
  ok INTEGER NOT NULL,
  http_status INTEGER,
  code TEXT,
  message TEXT,
  retriable INTEGER,
  wait_ms INTEGER
);
CREATE INDEX attempts_by_delivery ON attempts (delivery);
CREATE TABLE items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  map TEXT NOT NULL,
  record_id TEXT NOT NULL,
  queue TEXT NOT NULL,
  source_id TEXT,
  reasons TEXT NOT NULL,
  fields TEXT,
  file TEXT,
  line INTEGER,
  first_run INTEGER NOT NULL,
  last_run INTEGER NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open',
  note TEXT,
  actor TEXT,
  acted TEXT,
  flag TEXT NOT NULL DEFAULT '',
  UNIQUE (map, record_id, queue, flag)
);
CREATE TABLE actions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  item INTEGER,
  map TEXT NOT NULL,
  record_id TEXT NOT NULL,
  queue TEXT NOT NULL,
  action TEXT NOT NULL,
  note TEXT,
  actor TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  run INTEGER,
  kind TEXT NOT NULL,
  map TEXT,
  record_id TEXT,
  target TEXT,
  message TEXT NOT NULL,
  delivered TEXT
);
CREATE TABLE usage (
  system TEXT NOT NULL,
  metric TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  amount INTEGER NOT NULL,
  PRIMARY KEY (system, metric, window_start)
);
CREATE TABLE field_values (
  map TEXT NOT NULL,
  source_key TEXT NOT NULL,
  field TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (map, source_key, field)
);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  run INTEGER NOT NULL,
  map TEXT NOT NULL,
  record_id TEXT NOT NULL,
  field TEXT NOT NULL,
  base TEXT,
  source_value TEXT,
  target_value TEXT,
  written TEXT,
  winner TEXT NOT NULL,
  rule TEXT NOT NULL
);
CREATE TABLE target_marks (
  map TEXT PRIMARY KEY,
  mark TEXT NOT NULL,
  updated TEXT NOT NULL
);
CREATE TABLE tombstones (
  map TEXT NOT NULL,
  source_key TEXT NOT NULL,
  source_id TEXT,
  run INTEGER NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (map, source_key)
);
CREATE TABLE cursor_keys (
  map TEXT NOT NULL,
  source_key TEXT NOT NULL,
  PRIMARY KEY (map, source_key)
);
INSERT INTO deliveries (map, source_key, idem_key, hash, state, attempts, run, decided, updated)
  SELECT map, source_key, '', hash, 'done', 1, 0, updated, updated FROM written;
DROP TABLE written;
)sql";

std::string Now() {
  // Formatted once per second (a run stamps every row it writes).
  thread_local std::time_t last = -1;
  thread_local std::string text;
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  if (t == last) return text;
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  last = t;
  text = buf;
  return text;
}

// A JSON array of strings, as nlohmann's dump() writes it (the reasons and fields columns).
// The JSON array of `items` into `out` (emptied first).
void StringsJson(const std::vector<std::string>& items, std::string& out) {
  out.assign(1, '[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    value::AppendJsonString(out, items[i]);
  }
  out += ']';
}

std::string StringsJson(const std::vector<std::string>& items) {
  std::string out;
  StringsJson(items, out);
  return out;
}

using Query = Statement;
using db::Connection;

bool Exec(Connection& db, const char* sql, std::string& error) { return db.Exec(sql, error); }

// The tables of a state file (any version); a file with others is some other database.
bool IsStateTable(const std::string& name) {
  for (const char* t : {"runs", "xref", "queue", "cursors", "written", "deliveries", "attempts", "items", "actions",
                        "events", "usage", "cursor_keys", "tombstones", "field_values", "audit", "target_marks",
                        "syncs", "reconciliations", "discrepancies", "alert_timers", "alert_clears",
                        "notifications", "item_stays", "flag_sets", "flag_acts", "item_sets"})
    if (name == t) return true;
  return name.rfind("sqlite_", 0) == 0;
}

// `PRAGMA application_id` of a state file: "crmx".
constexpr int64_t kApplicationId = 0x63726d78;

// Migrations, each from the version before it. Version 0 is a file without a version: a new
// one, or one crmx-run wrote before versions (its tables as kSchema has them, xref perhaps
// without `external_id`).
bool MigrateTo1(Connection& db, std::string& error) {
  if (!Exec(db, kSchema, error)) return false;
  bool has_external_id = false;
  Query q(db, "PRAGMA table_info(xref)", {});
  while (q.Row()) has_external_id = has_external_id || q.Text(1) == "external_id";
  if (!q.ok()) {
    error = q.Error();
    return false;
  }
  return has_external_id || Exec(db, "ALTER TABLE xref ADD COLUMN external_id TEXT", error);
}

bool MigrateTo2(Connection& db, std::string& error) { return Exec(db, kSchema2, error); }

// Version 3: the per-run log of queue entries (`queue`) goes (`items` is the queues as they
// stand), and an item row gets slimmer: when it was first and last seen is its runs' start
// (first_run, last_run), a flag's reasons are its flag (NULL), no fields are NULL. A flag is
// raised on every written record some rule flags (half of W1's 200,000): its row is most of
// what a run adds to the state.
const char* kSchema3 = R"sql(
DROP TABLE IF EXISTS queue;
CREATE TABLE items3 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  map TEXT NOT NULL,
  record_id TEXT NOT NULL,
  queue TEXT NOT NULL,
  source_id TEXT,
  reasons TEXT,
  fields TEXT,
  file TEXT,
  line INTEGER,
  first_run INTEGER NOT NULL,
  last_run INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'open',
  note TEXT,
  actor TEXT,
  acted TEXT,
  flag TEXT NOT NULL DEFAULT '',
  UNIQUE (map, record_id, queue, flag)
);
INSERT INTO items3 (id, map, record_id, queue, source_id, reasons, fields, file, line, first_run, last_run, status,
                    note, actor, acted, flag)
  SELECT id, map, record_id, queue, source_id, CASE WHEN queue = 'flag' THEN NULL ELSE reasons END,
         CASE WHEN fields = '[]' THEN NULL ELSE fields END, file, line, first_run, last_run, status, note, actor,
         acted, flag FROM items;
DROP TABLE items;
ALTER TABLE items3 RENAME TO items;
)sql";

bool MigrateTo3(Connection& db, std::string& error) { return Exec(db, kSchema3, error); }

// Version 4: the syncs `crmx-run serve` runs, where each stands (last due, last run, next due).
bool MigrateTo4(Connection& db, std::string& error) {
  return Exec(db,
              "CREATE TABLE syncs (name TEXT PRIMARY KEY, last_due INTEGER, last_started INTEGER, "
              "last_finished INTEGER, last_result TEXT, last_why TEXT, last_run INTEGER, next_due INTEGER)",
              error);
}

// Version 5: reconciliation history (`crmx-run reconcile`, runtime/state/reconcile_book.h):
// one row per reconciliation, and the discrepancies each found, so the next one of the same
// name tells new from persistent and says which are resolved.
const char* kSchema5 = R"sql(
CREATE TABLE reconciliations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  started TEXT NOT NULL,
  finished TEXT NOT NULL,
  plan_hash TEXT NOT NULL,
  matched INTEGER NOT NULL,
  discrepancies INTEGER NOT NULL,
  summary TEXT
);
CREATE INDEX reconciliations_by_name ON reconciliations (name, id);
CREATE TABLE discrepancies (
  reconciliation INTEGER NOT NULL,
  kind TEXT NOT NULL,
  record_key TEXT NOT NULL,
  field TEXT NOT NULL DEFAULT '',
  left_value TEXT,
  right_value TEXT,
  difference TEXT,
  tolerance TEXT,
  first_reconciliation INTEGER NOT NULL,
  first_seen TEXT NOT NULL,
  PRIMARY KEY (reconciliation, kind, record_key, field)
);
)sql";

bool MigrateTo5(Connection& db, std::string& error) { return Exec(db, kSchema5, error); }

// Version 6: alerts (runtime/watch/alerts.h, runtime/state/alert_book.h): a timer per alert and
// record that matches (since when, fired, notified), the clears, and every notification decided
// with where it stands (sent, retrying, failed), so that nothing is told twice across restarts.
// Times are Unix milliseconds.
const char* kSchema6 = R"sql(
CREATE TABLE alert_timers (
  alert TEXT NOT NULL,
  record_key TEXT NOT NULL,
  since INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  fired INTEGER,
  notified INTEGER,
  rounds INTEGER NOT NULL DEFAULT 0,
  link TEXT,
  summary TEXT,
  PRIMARY KEY (alert, record_key)
);
CREATE TABLE alert_clears (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  alert TEXT NOT NULL,
  record_key TEXT NOT NULL,
  since INTEGER NOT NULL,
  fired INTEGER,
  rounds INTEGER NOT NULL,
  cleared INTEGER NOT NULL
);
CREATE TABLE notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  dedup TEXT NOT NULL UNIQUE,
  alert TEXT NOT NULL,
  record_key TEXT NOT NULL,
  target TEXT NOT NULL,
  channel TEXT NOT NULL,
  link TEXT,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  due INTEGER NOT NULL,
  sent INTEGER,
  event INTEGER
);
CREATE INDEX notifications_due ON notifications (status, due);
)sql";

bool MigrateTo6(Connection& db, std::string& error) { return Exec(db, kSchema6, error); }

// Version 7: a delivery keeps when its source record changed (the record's cursor, Unix ms), so
// `crmx-run status` measures the time from a change at the source (a deal closed won) to its
// write being done in the target (the sales order), runtime/state/status_book.h.
bool MigrateTo7(Connection& db, std::string& error) {
  // A file made by a newer crmx-run and set back to an older version has the column already.
  bool has = false;
  Query q(db, "PRAGMA table_info(deliveries)", {});
  while (q.Row()) has = has || q.Text(1) == "source_changed";
  if (!q.ok()) {
    error = q.Error();
    return false;
  }
  return has || Exec(db, "ALTER TABLE deliveries ADD COLUMN source_changed INTEGER", error);
}

// Version 8: the history of the queues (runtime/state/report_book.h). A stay is one record in one
// queue (flags apart) from the run that put it there to the run in which it left (written, skipped
// by `when`, moved to another queue: `how` 'run') or to a person's resolve or discard (`how` the
// status, `left` the time acted). `items` is the queues as they stand and forgets a record that
// leaves them; the weekly data-quality report needs when it left. So the stays that ended are
// rows of `item_stays`, written by triggers on `items` when an item leaves or is closed, and the
// stays still open are the open items themselves: `items.stay_run` is the run the current stay
// began in when that is not `first_run` (an item re-opened). A run that only queues records
// (the common case, W1) writes no history at all; every path that changes the queues (the
// engine, `crmx-run queue`) records it without code of its own. A stay is entered and left at
// its runs' start, as `items` says first_seen; the run a record left in is the latest run (one
// run at a time holds the file). Items an older file has resolved or discarded become ended
// stays from their first run; what left the queues before version 8 is not known. `id` is a
// plain rowid (no AUTOINCREMENT and its write to sqlite_sequence for every row).
const char* kSchema8 = R"sql(
CREATE TABLE IF NOT EXISTS item_stays (
  id INTEGER PRIMARY KEY,
  item INTEGER NOT NULL,
  map TEXT NOT NULL,
  record_id TEXT NOT NULL,
  queue TEXT NOT NULL,
  reasons TEXT,
  fields TEXT,
  entered_run INTEGER NOT NULL,
  left_run INTEGER,
  left TEXT,
  how TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS item_stays_by_queue ON item_stays (queue, entered_run);
CREATE INDEX IF NOT EXISTS item_stays_by_record ON item_stays (map, record_id);
DROP TRIGGER IF EXISTS items_stay_enter;
DROP TRIGGER IF EXISTS items_stay_reopen;
DROP TRIGGER IF EXISTS items_stay_close;
DROP TRIGGER IF EXISTS items_stay_reasons;
DROP TRIGGER IF EXISTS items_stay_leave;
CREATE TRIGGER items_stay_reopen AFTER UPDATE OF status ON items
  WHEN new.queue <> 'flag' AND old.status <> 'open' AND new.status = 'open'
BEGIN
  UPDATE items SET stay_run = new.last_run WHERE id = new.id;
END;
CREATE TRIGGER items_stay_close AFTER UPDATE OF status ON items
  WHEN new.queue <> 'flag' AND old.status = 'open' AND new.status <> 'open'
BEGIN
  INSERT INTO item_stays (item, map, record_id, queue, reasons, fields, entered_run, left, how)
    VALUES (new.id, new.map, new.record_id, new.queue, new.reasons, new.fields,
            coalesce(old.stay_run, old.first_run), new.acted, new.status);
END;
CREATE TRIGGER items_stay_leave AFTER DELETE ON items WHEN old.queue <> 'flag' AND old.status = 'open'
BEGIN
  INSERT INTO item_stays (item, map, record_id, queue, reasons, fields, entered_run, left_run, how)
    VALUES (old.id, old.map, old.record_id, old.queue, old.reasons, old.fields,
            coalesce(old.stay_run, old.first_run), (SELECT max(run) FROM runs), 'run');
END;
INSERT INTO item_stays (item, map, record_id, queue, reasons, fields, entered_run, left, how)
  SELECT i.id, i.map, i.record_id, i.queue, i.reasons, i.fields, i.first_run,
         coalesce(i.acted, (SELECT started FROM runs WHERE run = i.last_run)), i.status
  FROM items i WHERE i.queue <> 'flag' AND i.status <> 'open'
    AND NOT EXISTS (SELECT 1 FROM item_stays s WHERE s.map = i.map AND s.record_id = i.record_id AND s.item = i.id);
)sql";

// (A file set back to version 7 after it was 8 migrates again without a second copy of anything.)
bool MigrateTo8(Connection& db, std::string& error) {
  bool has_stay_run = false;
  Query q(db, "PRAGMA table_info(items)", {});
  while (q.Row()) has_stay_run = has_stay_run || q.Text(1) == "stay_run";
  if (!q.ok()) {
    error = q.Error();
    return false;
  }
  return (has_stay_run || Exec(db, "ALTER TABLE items ADD COLUMN stay_run INTEGER", error)) && Exec(db, kSchema8, error);
}

// Version 9: flags in sets (runtime/state/flag_sets.h): up to 4,096 keys of a map, flag and run
// as a JSON array in a row of `flag_sets`, not a row of `items` each; what people did on them in
// `flag_acts`; the view `queue_items`, the items and the flags in sets (their ids from
// 1,000,000,000,000: FlagSets::kItemBase + set id * 10,000 + position), each map's key and flag
// once. Flags an older file holds as rows of `items` stay there (the view shows them; the next
// write of their record clears them).
const char* kSchema9 = R"sql(
CREATE TABLE IF NOT EXISTS flag_sets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  map TEXT NOT NULL,
  flag TEXT NOT NULL,
  run INTEGER NOT NULL,
  n INTEGER NOT NULL,
  keys TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS flag_sets_by_map ON flag_sets (map, id);
CREATE TABLE IF NOT EXISTS flag_acts (
  item INTEGER PRIMARY KEY,
  status TEXT NOT NULL,
  note TEXT,
  actor TEXT,
  acted TEXT
);
DROP VIEW IF EXISTS queue_items;
)sql";

bool MigrateTo9(Connection& db, std::string& error) { return Exec(db, kSchema9, error); }

// Version 10: the records queued for the first time as entries of sets (runtime/state/item_sets.h),
// up to 4,096 of a map, queue and run in a row of `item_sets`: each entry [id, record_id,
// source_id, reasons, fields, file, line, first_run], its id from the counter of `items`
// (`lo`..`hi`: the ids it holds). The view `queued_items` is the rows of `items` and the entries;
// `queue_items` adds the flags to it.
const char* kSchema10 = R"sql(
CREATE TABLE IF NOT EXISTS item_sets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  map TEXT NOT NULL,
  queue TEXT NOT NULL,
  run INTEGER NOT NULL,
  n INTEGER NOT NULL,
  lo INTEGER NOT NULL,
  hi INTEGER NOT NULL,
  entries TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS item_sets_by_map ON item_sets (map, id);
CREATE INDEX IF NOT EXISTS item_sets_by_id ON item_sets (lo, hi);
DROP VIEW IF EXISTS queue_items;
DROP VIEW IF EXISTS queued_items;
DROP VIEW IF EXISTS flag_items;
)sql";

bool MigrateTo10(Connection& db, std::string& error) {
  return Exec(db, kSchema10, error) && db.Exec(QueuedItemsView(db), error) && db.Exec(QueueItemsView(db), error);
}

using Migration = bool (*)(Connection&, std::string&);
constexpr Migration kMigrations[kVersion] = {MigrateTo1, MigrateTo2, MigrateTo3, MigrateTo4,
                                             MigrateTo5, MigrateTo6, MigrateTo7, MigrateTo8,
                                             MigrateTo9, MigrateTo10};  // [v]: from version v to v + 1

// Takes the run lock of the state file at `path`: an exclusive flock on PATH.lock, which then
// says who holds it. The descriptor, or -1 with `error`.
int Lock(const std::string& path, const OpenOptions& options, std::string& error) {
  std::string lock_path = path + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot create the lock file " + lock_path + ": " + std::strerror(errno);
    return -1;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      error = "cannot lock " + lock_path + ": " + std::strerror(errno);
      ::close(fd);
      return -1;
    }
    char buf[256] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
    while (!holder.empty() && holder.back() == '\n') holder.pop_back();
    if (holder.empty()) holder = "pid unknown";
    if (!options.wait) {
      error = "state file " + path + " is in use by another run (" + holder + ", lock " + lock_path +
              "): one run at a time per state file; wait for it, or pass --wait";
      ::close(fd);
      return -1;
    }
    if (options.waiting) options.waiting(holder);
    int rc;
    while ((rc = ::flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
    }
    if (rc != 0) {
      error = "cannot lock " + lock_path + ": " + std::strerror(errno);
      ::close(fd);
      return -1;
    }
  }
  std::string me = "pid " + std::to_string(::getpid()) + ", started " + Now() + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size())) {
    error = "cannot write the lock file " + lock_path + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

void Unlock(int fd) {
  if (fd < 0) return;
  // Emptied while still held: a later reader of a stale file sees no holder. The file stays
  // (removing a lock file races with a run that has it open).
  if (::ftruncate(fd, 0) != 0) {
  }
  ::close(fd);
}

// Checks the version and the tables of an opened state file and migrates it to kVersion.
bool Prepare(Connection& db, const std::string& path, bool read_only, std::string& error) {
  std::string msg;
  int64_t version = 0, app = 0;
  std::string foreign;
  {
    // Finalized before a migration writes.
    Query v(db, "PRAGMA user_version", {});
    if (!v.Row()) {
      error = "state " + path + ": " + v.Error();
      return false;
    }
    version = v.Int(0);
    Query a(db, "PRAGMA application_id", {});
    if (a.Row()) app = a.Int(0);
    Query t(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", {});
    while (t.Row())
      if (!IsStateTable(t.Text(0))) foreign += (foreign.empty() ? "" : ", ") + t.Text(0);
    if (!t.ok() || !a.ok()) {
      error = "`" + path + "` is not a crmx state file: " + (t.ok() ? a.Error() : t.Error());
      return false;
    }
  }
  if (!foreign.empty() || (app != 0 && app != kApplicationId)) {
    error = "`" + path + "` is not a crmx state file (" +
            (foreign.empty() ? std::string("another application's SQLite file") : "it has the tables " + foreign) +
            "); give the state its own file";
    return false;
  }
  if (version > kVersion) {
    error = "state file " + path + " was written by a newer crmx-run (state version " + std::to_string(version) +
            "; this one reads up to " + std::to_string(kVersion) + ")";
    return false;
  }
  if (version == kVersion) return true;
  if (read_only) {
    error = "state file " + path + " is at state version " + std::to_string(version) + ", this crmx-run reads " +
            std::to_string(kVersion) + ": a run (crmx-run run, serve) migrates it first";
    return false;
  }
  // All migrations in one transaction: a file is at its old version or at kVersion, never between.
  if (!db.Begin(msg)) {
    error = "cannot migrate the state file " + path + ": " + msg;
    return false;
  }
  // The views over `items` go while the migrations change that table (a file set back from
  // version 10 has them); version 10 makes them again.
  if (!Exec(db, "DROP VIEW IF EXISTS queue_items; DROP VIEW IF EXISTS queued_items; DROP VIEW IF EXISTS flag_items",
            msg)) {
    std::string ignored;
    Exec(db, "ROLLBACK", ignored);
    error = "cannot migrate the state file " + path + ": " + msg;
    return false;
  }
  for (int64_t from = version; from < kVersion; ++from) {
    if (!kMigrations[from](db, msg)) {
      std::string ignored;
      Exec(db, "ROLLBACK", ignored);
      error = "cannot migrate the state file " + path + " from version " + std::to_string(from) + ": " + msg;
      return false;
    }
  }
  std::string set = "PRAGMA user_version = " + std::to_string(kVersion) +
                    "; PRAGMA application_id = " + std::to_string(kApplicationId) + "; COMMIT";
  if (!Exec(db, set.c_str(), msg)) {
    std::string ignored;
    if (db.InTransaction()) Exec(db, "ROLLBACK", ignored);
    error = "cannot migrate the state file " + path + ": " + msg;
    return false;
  }
  return true;
}

}  // namespace

const std::vector<const char*>& StateTables() {
  static const std::vector<const char*> tables = {
      "runs",   "xref",         "cursors",     "deliveries",  "attempts",        "items",         "actions",
      "events", "usage",        "field_values", "audit",      "target_marks",    "tombstones",    "cursor_keys",
      "syncs",  "reconciliations", "discrepancies", "alert_timers", "alert_clears", "notifications", "item_stays",
      "flag_sets", "flag_acts", "item_sets"};
  return tables;
}

std::unique_ptr<StateStore> StateStore::Open(const std::string& path, std::string& error,
                                             const OpenOptions& options) {
  if (db::IsPostgresUrl(path)) {
    // Several workers share the database: no run lock (the syncs' leases say who runs what).
    std::string where = db::RedactUrl(path);
    std::unique_ptr<Connection> db = db::ConnectPostgres(path, options.password, error);
    if (!db || !PreparePostgres(*db, where, options.read_only, error)) return nullptr;
    std::string msg;
    if (options.read_only && !db->Exec("SET default_transaction_read_only = on", msg)) {
      error = "state " + where + ": " + msg;
      return nullptr;
    }
    return std::unique_ptr<StateStore>(new StateStore(std::move(db), where, -1));
  }
  int lock = options.read_only ? -1 : Lock(path, options, error);
  if (lock < 0 && !options.read_only) return nullptr;
  // A store is used by one thread at a time: its connection needs no mutex of its own. SQLite's
  // memory statistics (a global mutex on every allocation) are not used either; the setting
  // only takes before SQLite's first use in the process, and is harmless after it.
  static const bool configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  (void)configured;
  sqlite3* handle = nullptr;
  int flags = options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &handle, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    error = "cannot open the state file `" + path + "`: " + (handle ? sqlite3_errmsg(handle) : "out of memory");
    sqlite3_close(handle);
    Unlock(lock);
    return nullptr;
  }
  sqlite3_busy_timeout(handle, options.busy_timeout_ms);
  std::unique_ptr<Connection> db = db::WrapSqlite(handle);
  bool ready = Prepare(*db, path, options.read_only, error);
  std::string msg;
  if (ready && options.max_page_count > 0 &&
      !Exec(*db, ("PRAGMA max_page_count = " + std::to_string(options.max_page_count)).c_str(), msg)) {
    error = "state " + path + ": " + msg;
    ready = false;
  }
  if (!ready) {
    db.reset();
    Unlock(lock);
    return nullptr;
  }
  return std::unique_ptr<StateStore>(new StateStore(std::move(db), path, lock));
}

bool StateStore::Fail() {
  return Fail(db_->Error());
}

bool StateStore::Fail(const std::string& message) {
  if (error_.empty()) error_ = "state " + path_ + ": " + message;
  return false;
}

bool StateStore::Step(db::Query* s) {
  while (s->Row()) {
  }
  bool ok = s->ok() || Fail(s->Error());
  s->Reset();
  return ok;
}

std::string StateStore::XrefExternalId(const std::string& map, const std::string& source_key) {
  if (!ok()) return {};
  Query q(*db_, "SELECT external_id FROM xref WHERE map = ? AND source_key = ?", {map, source_key});
  bool row = q.Row();
  if (!q.ok()) Fail(q.Error());
  if (!row || q.Null(0)) return {};
  return q.Text(0);
}

std::unordered_map<std::string, std::string> StateStore::Hashes(const std::string& map, const char* state) {
  if (!ok()) return {};
  std::unordered_map<std::string, std::string> out;
  Query q(*db_, "SELECT source_key, hash FROM deliveries WHERE map = ? AND state = ?", {map, state});
  while (q.Row()) out[q.Text(0)] = q.Text(1);
  if (!q.ok()) Fail(q.Error());
  return out;
}

std::unordered_map<std::string, std::string> StateStore::LoadWritten(const std::string& map) { return Hashes(map, "done"); }

std::vector<std::string> StateStore::DoneKeys(const std::string& map, int64_t limit) {
  std::vector<std::string> out;
  if (!ok()) return out;
  Query q(*db_, "SELECT source_key FROM deliveries WHERE map = ? AND state = 'done' ORDER BY updated DESC, id DESC LIMIT ?",
          {map});
  q.Bind(2, limit);
  while (q.Row()) out.push_back(q.Text(0));
  if (!q.ok()) Fail(q.Error());
  return out;
}

std::unordered_map<std::string, std::string> StateStore::LoadDead(const std::string& map) { return Hashes(map, "dead"); }

std::string IdempotencyKey(const std::string& map, const std::string& source_key, const std::string& hash) {
  std::string text = map + '\x1f' + source_key + '\x1f' + hash;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < 16 && i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

namespace {
void BindOptional(db::Query* s, int i, const std::string& t) {
  if (t.empty()) s->BindNull(i);
  else s->BindText(i, t);
}
}  // namespace

bool StateStore::PutDone(const std::string& map, const std::string& source_key, const std::string& source_id,
                         const std::string& hash, int64_t run) {
  if (!ok()) return false;
  db::Query* s = Cached(put_done_,
                           "INSERT INTO deliveries (map, source_key, source_id, idem_key, hash, state, attempts, run, decided, "
                           "updated) VALUES (?1, ?2, ?3, '', ?4, 'done', 1, ?5, ?6, ?6) "
                           "ON CONFLICT(map, source_key) DO UPDATE SET source_id = excluded.source_id, idem_key = '', "
                           "hash = excluded.hash, state = 'done', attempts = 1, due = NULL, payload = NULL, "
                           "run = excluded.run, decided = excluded.decided, updated = excluded.updated, notify = NULL");
  if (s == nullptr) return false;
  s->BindText(1, map);
  s->BindText(2, source_key);
  BindOptional(s, 3, source_id);
  s->BindText(4, hash);
  s->BindInt(5, run);
  s->BindText(6, Now());
  return Step(s);
}

void StateStore::ItemKeys(const std::string& map, const std::function<void(std::string_view)>& row,
                          const std::function<void(std::string_view)>& flag) {
  if (!FlushItems()) return;
  // The flag sets' keys as they are (a key twice is harmless here): queue_items would group them.
  Query q(*db_,
          "SELECT record_id, 0 FROM items WHERE map = ?1 UNION ALL SELECT j.value, 1 FROM flag_sets s, " +
              db_->JsonElements("s.keys") + " WHERE s.map = ?1",
          {map});
  while (q.Row()) (q.Int(1) == 0 ? row : flag)(q.Text(0));
  if (!q.ok()) {
    Fail(q.Error());
    return;
  }
  // The item sets' keys, read in C++ (not through SQL's JSON functions), their index kept.
  std::string msg;
  if (!sets_->Keys(map, row, msg)) Fail(msg);
}

int64_t StateStore::Decide(const Delivery& d) {
  if (!ok()) return 0;
  db::Query* s = Cached(decide_,
                           "INSERT INTO deliveries (map, source_key, source_id, idem_key, hash, state, attempts, payload, "
                           "external_id, file, line, run, decided, updated, source_changed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                           "0, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13) "
                           "ON CONFLICT(map, source_key) DO UPDATE SET source_id = excluded.source_id, "
                           "attempts = CASE WHEN deliveries.hash = excluded.hash AND deliveries.state <> 'done' "
                           "THEN deliveries.attempts ELSE 0 END, "
                           "idem_key = excluded.idem_key, hash = excluded.hash, state = excluded.state, due = NULL, "
                           "payload = excluded.payload, external_id = excluded.external_id, file = excluded.file, "
                           "line = excluded.line, run = excluded.run, decided = excluded.decided, "
                           "updated = excluded.updated, notify = NULL, source_changed = excluded.source_changed RETURNING id");
  if (s == nullptr) return 0;
  s->BindText(1, d.map);
  s->BindText(2, d.source_key);
  BindOptional(s, 3, d.source_id);
  s->BindText(4, d.idem_key.empty() ? IdempotencyKey(d.map, d.source_key, d.hash) : d.idem_key);
  s->BindText(5, d.hash);
  s->BindText(6, d.state);
  BindOptional(s, 7, d.payload);
  BindOptional(s, 8, d.external_id);
  BindOptional(s, 9, d.file);
  s->BindInt(10, d.line);
  s->BindInt(11, d.run);
  s->BindText(12, Now());
  if (d.source_changed_ms != 0) s->BindInt(13, d.source_changed_ms);
  else s->BindNull(13);
  int64_t id = s->Row() ? s->Int(0) : 0;
  if (!Step(s)) id = 0;
  return id;
}

bool StateStore::Settle(int64_t id, const std::string& state, int64_t due_ms, const Attempt& a, int64_t run,
                        const std::string& notify_json) {
  if (!ok()) return false;
  db::Query* s = Cached(settle_,
                           "UPDATE deliveries SET state = ?2, attempts = attempts + 1, due = ?3, updated = ?4, "
                           "payload = CASE WHEN ?2 = 'done' THEN NULL ELSE payload END, "
                           "last_status = ?5, last_code = ?6, last_message = ?7, last_fields = ?8, last_request = ?9, "
                           "notify = ?10 WHERE id = ?1");
  if (s == nullptr) return false;
  s->BindInt(1, id);
  s->BindText(2, state);
  if (state == "failed") s->BindInt(3, due_ms);
  else s->BindNull(3);
  std::string now = Now();
  s->BindText(4, now);
  if (a.ok) {
    for (int i = 5; i <= 9; ++i) s->BindNull(i);
  } else {
    s->BindInt(5, a.http_status);
    BindOptional(s, 6, a.code);
    BindOptional(s, 7, a.message);
    s->BindText(8, StringsJson(a.fields));
    BindOptional(s, 9, a.request);
  }
  BindOptional(s, 10, notify_json);
  if (!Step(s)) return false;
  // The attempts of done deliveries are not kept one by one (a ledger of every success would
  // grow with every record written); failures are, for `crmx-run queue show`.
  if (a.ok) return true;
  db::Query* t = Cached(attempt_,
                           "INSERT INTO attempts (delivery, attempt, run, at, ok, http_status, code, message, retriable, "
                           "wait_ms) VALUES (?1, (SELECT attempts FROM deliveries WHERE id = ?1), ?2, ?3, 0, ?4, ?5, ?6, ?7, ?8)");
  if (t == nullptr) return false;
  t->BindInt(1, id);
  t->BindInt(2, run);
  t->BindText(3, now);
  t->BindInt(4, a.http_status);
  BindOptional(t, 5, a.code);
  BindOptional(t, 6, a.message);
  t->BindInt(7, a.retriable ? 1 : 0);
  t->BindInt(8, a.wait_ms);
  return Step(t);
}

std::vector<Delivery> StateStore::OpenDeliveries(const std::string& map) {
  std::vector<Delivery> out;
  if (!ok()) return out;
  Query q(*db_,
          "SELECT id, source_key, source_id, idem_key, hash, state, attempts, due, payload, external_id, file, line, run, "
          "last_status, last_code, last_message, last_fields, last_request, source_changed FROM deliveries "
          "WHERE map = ? AND state IN ('pending', 'in_flight', 'failed') ORDER BY id",
          {map});
  while (q.Row()) {
    Delivery d;
    d.map = map;
    d.id = q.Int(0);
    d.source_key = q.Text(1);
    d.source_id = q.Text(2);
    d.idem_key = q.Text(3);
    d.hash = q.Text(4);
    d.state = q.Text(5);
    d.attempts = q.Int(6);
    d.due_ms = q.Int(7);
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
    d.source_changed_ms = q.Int(18);
    out.push_back(std::move(d));
  }
  if (!q.ok()) Fail(q.Error());
  return out;
}

int64_t StateStore::NextRetryDue(const std::string& map, int64_t now_ms) {
  if (!FlushItems()) return 0;
  Query q(*db_,
          "SELECT min(CASE WHEN state = 'failed' THEN due ELSE ? END) FROM deliveries "
          "WHERE map = ? AND state IN ('pending', 'in_flight', 'failed')",
          {});
  q.Bind(1, now_ms);
  q.Bind(2, map);
  int64_t due = 0;
  if (q.Row() && !q.Null(0)) due = q.Int(0);
  if (!q.ok()) Fail(q.Error());
  return due;
}

std::map<std::string, SyncRecord> StateStore::LoadSyncs() {
  std::map<std::string, SyncRecord> out;
  if (!FlushItems()) return out;
  Query q(*db_,
          "SELECT name, last_due, last_started, last_finished, last_result, last_why, last_run, next_due FROM syncs",
          {});
  while (q.Row()) {
    SyncRecord r{q.Text(0), q.Int(1), q.Int(2), q.Int(3), q.Text(4), q.Text(5), q.Int(6), q.Int(7)};
    out[r.name] = r;
  }
  if (!q.ok()) Fail(q.Error());
  return out;
}

bool StateStore::SaveSync(const SyncRecord& r) {
  if (!FlushItems()) return false;
  Query q(*db_,
          "INSERT INTO syncs (name, last_due, last_started, last_finished, last_result, last_why, last_run, next_due) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(name) DO UPDATE SET last_due = excluded.last_due, "
          "last_started = excluded.last_started, last_finished = excluded.last_finished, "
          "last_result = excluded.last_result, last_why = excluded.last_why, last_run = excluded.last_run, "
          "next_due = excluded.next_due",
          {r.name});
  q.Bind(2, r.last_due).Bind(3, r.last_started).Bind(4, r.last_finished).Bind(5, r.last_result);
  q.Bind(6, r.last_why).Bind(7, r.last_run).Bind(8, r.next_due);
  return q.Done() || Fail(q.Error());
}

std::map<std::string, int64_t> StateStore::OpenItemCounts() {
  std::map<std::string, int64_t> out;
  if (!FlushItems()) return out;
  // Counted where the items are (not through queue_items, which reads every entry of the item sets).
  Query q(*db_,
          "SELECT queue, count(*) FROM items WHERE status = 'open' GROUP BY queue "
          "UNION ALL SELECT queue, sum(n) FROM item_sets GROUP BY queue "
          "UNION ALL SELECT 'flag', count(*) FROM flag_items WHERE status = 'open' HAVING count(*) > 0",
          {});
  while (q.Row()) out[q.Text(0)] += q.Int(1);
  if (!q.ok()) Fail(q.Error());
  return out;
}

std::unordered_map<std::string, int64_t> StateStore::LedgerCounts() {
  std::unordered_map<std::string, int64_t> out;
  for (const char* st : {"pending", "in_flight", "done", "failed", "dead"}) out[st] = 0;
  if (!ok()) return out;
  Query q(*db_, "SELECT state, count(*) FROM deliveries GROUP BY state", {});
  while (q.Row()) out[q.Text(0)] = q.Int(1);
  if (!q.ok()) Fail(q.Error());
  return out;
}

namespace {

constexpr size_t kItemBatch = 32;

// INSERT ... VALUES (...) x rows ... ON CONFLICT: 10 parameters a row.
std::string ItemInsert(size_t rows) {
  std::string sql = "INSERT INTO items (map, record_id, queue, source_id, reasons, fields, file, line, first_run, last_run, flag) VALUES ";
  for (size_t r = 0; r < rows; ++r) {
    int o = static_cast<int>(r) * 10;
    sql += (r ? ",(" : "(");
    for (int c : {1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 10})
      sql += "?" + std::to_string(o + c) + (c == 10 ? ")" : ",");
  }
  return sql +
         " ON CONFLICT(map, record_id, queue, flag) DO UPDATE SET source_id = excluded.source_id, "
         "reasons = excluded.reasons, fields = excluded.fields, file = excluded.file, line = excluded.line, "
         "last_run = excluded.last_run, status = 'open'";
}

}  // namespace

std::string_view StateStore::TextArena::Copy(std::string_view s) {
  if (s.empty()) return {};
  if (chunks_.empty() || room_ - used_ < s.size()) {
    // A text longer than a chunk gets a chunk of its own size.
    size_t size = std::max(kChunk, s.size());
    chunks_.push_back(std::make_unique<char[]>(size));
    used_ = 0;
    room_ = size;
  }
  char* at = chunks_.back().get() + used_;
  std::memcpy(at, s.data(), s.size());
  used_ += s.size();
  return {at, s.size()};
}

void StateStore::TextArena::Clear() {
  if (chunks_.size() > 1 || (!chunks_.empty() && room_ != kChunk)) {
    chunks_.clear();
    room_ = 0;
  }
  used_ = 0;
}

bool StateStore::PutItem(int64_t run, const QueueEntry& e, const std::string& source_id, bool fresh) {
  if (!ok()) return false;
  if (e.queue == "flag") return PutFlag(run, e.map, e.record_id, e.reasons.empty() ? std::string() : e.reasons.front());
  std::string msg;
  int64_t id = 0, first_run = run;
  if (!fresh) {
    if (!FlushBatch()) return false;
    ItemSets::Taken t;
    bool found = false;
    if (!sets_->Take(e.map, e.record_id, t, found, msg)) return Fail(msg);
    if (found && t.queue == e.queue) {
      // Queued again where its entry was: an entry again, its id and stay kept.
      id = t.id;
      first_run = t.first_run;
    } else {
      // Out of its set, the record is a row; a record is in one queue at a time (flags apart): it
      // leaves the others when it is put; its row in this queue stays (its id, when it was first
      // seen, what people noted).
      if (found && !Promote(e.map, e.record_id, t)) return false;
      db::Query* c = Cached(leave_queues_, "DELETE FROM items WHERE map = ? AND record_id = ? AND queue NOT IN ('flag', ?)");
      if (c == nullptr) return false;
      c->BindText(1, e.map);
      c->BindText(2, e.record_id);
      c->BindText(3, e.queue);
      if (!Step(c)) return false;
      TextArena& text = items_.text;
      return PutRow(ItemRow{text.Copy(e.map), text.Copy(e.queue), text.Copy(e.file), {}, text.Copy(e.record_id),
                            text.Copy(source_id), text.Copy(StringsJson(e.reasons)),
                            e.fields.empty() ? "" : text.Copy(StringsJson(e.fields)), e.line, run});
    }
  }
  std::string& reasons = item_json_[0];
  std::string& fields = item_json_[1];
  StringsJson(e.reasons, reasons);
  fields.clear();
  if (!e.fields.empty()) StringsJson(e.fields, fields);
  if (!sets_->Add(run, e.map, e.queue, e.record_id, source_id, reasons, fields, e.file, e.line, id, first_run, msg))
    return Fail(msg);
  // Outside a transaction an entry is written at once: nothing waits for a Commit that may not come.
  return db_->InTransaction() || FlushItems();
}

bool StateStore::Promote(const std::string& map, const std::string& record_id, const ItemSets::Taken& t) {
  nlohmann::json j = nlohmann::json::parse(t.json, nullptr, false);
  if (!j.is_array() || j.size() != 8)
    return Fail("an entry of an item set of map " + map + " is not [id, record_id, source_id, reasons, fields, file, "
                "line, first_run]: " + t.json);
  auto text = [&j](size_t i) { return j[i].is_string() ? j[i].get<std::string>() : std::string(); };
  // A pending entry's id is the table's (PostgreSQL's sequence fills a column left out, not a NULL).
  Query q(*db_,
          std::string("INSERT INTO items (map, record_id, queue, source_id, reasons, fields, file, line, first_run, "
                      "last_run, flag") +
              (t.id != 0 ? ", id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?)" : ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')"),
          {map, record_id, t.queue});
  if (j[2].is_string()) q.Bind(4, text(2));
  else q.BindNull(4);
  q.Bind(5, j[3].is_array() ? j[3].dump() : std::string("[]"));
  if (j[4].is_array()) q.Bind(6, j[4].dump());
  else q.BindNull(6);
  if (j[5].is_string()) q.Bind(7, text(5));
  else q.BindNull(7);
  q.Bind(8, j[6].is_number_integer() ? j[6].get<int64_t>() : int64_t{0});
  q.Bind(9, t.first_run).Bind(10, t.last_run);
  if (t.id != 0) q.Bind(11, t.id);
  return q.Done() || Fail(q.Error());
}

bool StateStore::PromoteItem(int64_t id) {
  if (!ok()) return false;
  std::string msg, map, key;
  ItemSets::Taken t;
  bool found = false;
  if (!sets_->Flush(msg) || !sets_->TakeId(id, t, map, key, found, msg)) return Fail(msg);
  bool done = !found || (Promote(map, key, t) && (sets_->Flush(msg) || Fail(msg)));
  // The caller's transaction is its own: nothing read here is kept past it.
  sets_->EndTransaction();
  return done;
}

bool StateStore::PutFlag(int64_t run, const std::string& map, const std::string& record_id, const std::string& flag) {
  if (!ok()) return false;
  std::string msg;
  if (!flags_->Raise(run, map, record_id, flag, msg)) return Fail(msg);
  // Outside a transaction a flag is written at once: nothing waits for a Commit that may not come.
  return db_->InTransaction() || FlushItems();
}

bool StateStore::PutRow(ItemRow row) {
  items_.rows.push_back(row);
  // Outside a transaction a row is written at once: nothing waits for a Commit that may not come.
  return (items_.rows.size() < kItemBatch && db_->InTransaction()) || FlushBatch();
}

bool StateStore::FlushItems() {
  if (!FlushBatch()) return false;
  std::string msg;
  return (flags_->Flush(msg) && sets_->Flush(msg)) || Fail(msg);
}

bool StateStore::FlushBatch() {
  Batch& b = items_;
  if (b.rows.empty()) return ok();
  if (!ok()) return false;
  // The rows outlive the statement's step: bound without a copy.
  auto text = [](db::Query* s, int i, std::string_view t) { s->BindView(i, t); };
  auto optional = [&text](db::Query* s, int i, std::string_view t) {
    if (t.empty()) s->BindNull(i);
    else text(s, i, t);
  };
  auto bind = [&](db::Query* s, int o, const ItemRow& r) {
    text(s, o + 1, r.map);
    text(s, o + 2, r.record_id);
    text(s, o + 3, r.queue);
    optional(s, o + 4, r.source_id);
    optional(s, o + 5, r.reasons);
    optional(s, o + 6, r.fields);
    optional(s, o + 7, r.file);
    s->BindInt(o + 8, r.line);
    s->BindInt(o + 9, r.run);
    text(s, o + 10, r.flag);
  };
  static const std::string items = ItemInsert(kItemBatch), item = ItemInsert(1);
  const int width = 10;
  // A full batch through one statement; a shorter one row by row.
  bool done = true;
  if (b.rows.size() == kItemBatch) {
    db::Query* s = Cached(b.full, items.c_str());
    if (s == nullptr) done = false;
    for (size_t i = 0; done && i < b.rows.size(); ++i) bind(s, static_cast<int>(i) * width, b.rows[i]);
    done = done && Step(s);
  } else {
    db::Query* s = Cached(b.one, item.c_str());
    if (s == nullptr) done = false;
    for (size_t i = 0; done && i < b.rows.size(); ++i) {
      bind(s, 0, b.rows[i]);
      done = Step(s);
    }
  }
  b.rows.clear();
  b.text.Clear();
  return done;
}

bool StateStore::ClearItems(const std::string& map, const std::string& record_id, bool flags_too) {
  // The batched rows may hold this record; the pending flags are the flag sets' to clear.
  if (!FlushBatch()) return false;
  if (flags_too) {
    std::string msg;
    if (!flags_->Clear(map, record_id, msg)) return Fail(msg);
  }
  // An entry of an item set becomes a row, deleted with the others (the triggers keep its stay).
  {
    std::string msg;
    ItemSets::Taken t;
    bool found = false;
    if (!sets_->Take(map, record_id, t, found, msg)) return Fail(msg);
    if (found && !Promote(map, record_id, t)) return false;
  }
  // Flags an older state file keeps as rows of `items` go with the others.
  db::Query* s = flags_too ? Cached(clear_items_flags_, "DELETE FROM items WHERE map = ? AND record_id = ?")
                              : Cached(clear_items_, "DELETE FROM items WHERE map = ? AND record_id = ? AND queue <> 'flag'");
  if (s == nullptr) return false;
  s->BindText(1, map);
  s->BindText(2, record_id);
  return Step(s);
}

bool StateStore::ClearFlags(const std::string& map, const std::string& record_id) {
  if (!ok()) return false;
  std::string msg;
  return flags_->Clear(map, record_id, msg) || Fail(msg);
}

bool StateStore::AddEvent(int64_t run, const std::string& kind, const std::string& map, const std::string& record_id,
                          const std::string& target, const std::string& message) {
  if (!ok()) return false;
  Query q(*db_, "INSERT INTO events (at, kind, map, record_id, target, message, run) VALUES (?, ?, ?, ?, ?, ?, ?)",
          {Now(), kind, map, record_id, target, message});
  if (q.ok()) q.Bind(7, static_cast<int64_t>(run));
  return q.Done() || Fail(q.Error());
}

int64_t StateStore::Usage(const std::string& system, const std::string& metric, int64_t window_start) {
  if (!ok()) return 0;
  Query q(*db_, "SELECT amount FROM usage WHERE system = ? AND metric = ? AND window_start = ?", {system, metric});
  if (q.ok()) q.Bind(3, static_cast<int64_t>(window_start));
  if (q.Row()) return q.Int(0);
  if (!q.ok()) Fail(q.Error());
  return 0;
}

bool StateStore::AddUsage(const std::string& system, const std::string& metric, int64_t window_start, int64_t amount) {
  if (!ok()) return false;
  Query q(*db_,
          "INSERT INTO usage (system, metric, window_start, amount) VALUES (?, ?, ?, ?) "
          "ON CONFLICT(system, metric, window_start) DO UPDATE SET amount = amount + excluded.amount",
          {system, metric});
  if (q.ok()) {
    q.Bind(3, static_cast<int64_t>(window_start));
    q.Bind(4, static_cast<int64_t>(amount));
  }
  return q.Done() || Fail(q.Error());
}

std::unordered_set<std::string> StateStore::LoadTombstones(const std::string& map) {
  std::unordered_set<std::string> out;
  if (!ok()) return out;
  Query q(*db_, "SELECT source_key FROM tombstones WHERE map = ?", {map});
  while (q.Row()) out.insert(q.Text(0));
  if (!q.ok()) Fail(q.Error());
  return out;
}

bool StateStore::AddTombstone(int64_t run, const std::string& map, const std::string& source_key,
                              const std::string& source_id) {
  if (!ok()) return false;
  Query q(*db_, "INSERT INTO tombstones (map, source_key, source_id, run, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
          {map, source_key, source_id});
  if (q.ok()) {
    q.Bind(4, static_cast<int64_t>(run));
    q.Bind(5, Now());
  }
  return q.Done() || Fail(q.Error());
}

std::unordered_map<std::string, std::unordered_map<std::string, std::string>> StateStore::LoadFieldValues(
    const std::string& map) {
  std::unordered_map<std::string, std::unordered_map<std::string, std::string>> out;
  if (!ok()) return out;
  Query q(*db_, "SELECT source_key, field, value FROM field_values WHERE map = ?", {map});
  while (q.Row()) out[q.Text(0)][q.Text(1)] = q.Text(2);
  if (!q.ok()) Fail(q.Error());
  return out;
}

bool StateStore::PutFieldValue(const std::string& map, const std::string& source_key, const std::string& field,
                               const std::string& value) {
  if (!ok()) return false;
  Query q(*db_,
          "INSERT INTO field_values (map, source_key, field, value) VALUES (?, ?, ?, ?) "
          "ON CONFLICT(map, source_key, field) DO UPDATE SET value = excluded.value",
          {map, source_key, field, value});
  return q.Done() || Fail(q.Error());
}

bool StateStore::AddAudit(int64_t run, const AuditEntry& e) {
  if (!ok()) return false;
  Query q(*db_,
          "INSERT INTO audit (at, map, record_id, field, base, source_value, target_value, written, winner, rule, run) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {Now(), e.map, e.record_id, e.field, e.base, e.source_value, e.target_value, e.written, e.winner, e.rule});
  q.Bind(11, run);
  return q.Done() || Fail(q.Error());
}

std::vector<AuditEntry> StateStore::Audit(const std::string& map) {
  std::vector<AuditEntry> out;
  if (!ok()) return out;
  Query q(*db_,
          "SELECT at, run, map, record_id, field, base, source_value, target_value, written, winner, rule FROM audit "
          "WHERE ? = '' OR map = ? ORDER BY id",
          {map, map});
  while (q.Row()) {
    AuditEntry e;
    e.at = q.Text(0);
    e.run = q.Int(1);
    e.map = q.Text(2);
    e.record_id = q.Text(3);
    e.field = q.Text(4);
    e.base = q.Text(5);
    e.source_value = q.Text(6);
    e.target_value = q.Text(7);
    e.written = q.Text(8);
    e.winner = q.Text(9);
    e.rule = q.Text(10);
    out.push_back(std::move(e));
  }
  if (!q.ok()) Fail(q.Error());
  return out;
}

std::unordered_set<std::string> StateStore::LoadCursorKeys(const std::string& map) {
  std::unordered_set<std::string> out;
  if (!ok()) return out;
  Query q(*db_, "SELECT source_key FROM cursor_keys WHERE map = ?", {map});
  while (q.Row()) out.insert(q.Text(0));
  if (!q.ok()) Fail(q.Error());
  return out;
}

bool StateStore::SaveCursorKeys(const std::string& map, const std::unordered_set<std::string>& keys) {
  if (!ok()) return false;
  Query del(*db_, "DELETE FROM cursor_keys WHERE map = ?", {map});
  if (!del.Done()) return Fail(del.Error());
  for (const std::string& k : keys) {
    Query q(*db_, "INSERT INTO cursor_keys (map, source_key) VALUES (?, ?)", {map, k});
    if (!q.Done()) return Fail(q.Error());
  }
  return true;
}

StateStore::~StateStore() {
  // The prepared queries go before their connection; an open transaction (a map that failed)
  // is rolled back by the close.
  for (auto* slot : {&items_.full, &items_.one, &decide_, &settle_, &attempt_, &clear_items_, &clear_items_flags_,
                     &leave_queues_, &put_done_, &put_xref_})
    slot->reset();
  flags_.reset();
  db_.reset();
  Unlock(lock_fd_);
}

int64_t StateStore::BeginRun(const std::string& plan_hash) {
  if (!ok()) return 0;
  Query q(*db_, "INSERT INTO runs (started, plan_hash) VALUES (?, ?) RETURNING run", {Now(), plan_hash});
  int64_t run = q.Row() ? q.Int(0) : 0;
  if (!q.Done()) {
    Fail(q.Error());
    return 0;
  }
  return run;
}

bool StateStore::FinishRun(int64_t run, const std::string& summary_json) {
  if (!FlushItems()) return false;
  Query q(*db_, "UPDATE runs SET finished = ?, summary = ? WHERE run = ?", {Now(), summary_json});
  if (q.ok()) q.Bind(3, static_cast<int64_t>(run));
  return q.Done() || Fail(q.Error());
}

std::unordered_map<std::string, std::string> StateStore::LoadXref(const std::string& map) {
  if (!ok()) return {};
  std::unordered_map<std::string, std::string> out;
  Query q(*db_, "SELECT source_key, target_id FROM xref WHERE map = ?", {map});
  while (q.Row()) out[q.Text(0)] = q.Text(1);
  if (!q.ok()) Fail(q.Error());
  return out;
}

std::string StateStore::LoadMapValue(const char* table, const char* column, const std::string& map) {
  if (!ok()) return {};
  Query q(*db_, std::string("SELECT ") + column + " FROM " + table + " WHERE map = ?", {map});
  if (q.Row()) return q.Text(0);
  if (!q.ok()) Fail(q.Error());
  return {};
}

bool StateStore::SaveMapValue(const char* table, const char* column, const std::string& map, const std::string& value) {
  if (!ok()) return false;
  Query q(*db_,
          std::string("INSERT INTO ") + table + " (map, " + column + ", updated) VALUES (?, ?, ?) " +
              "ON CONFLICT(map) DO UPDATE SET " + column + " = excluded." + column + ", updated = excluded.updated",
          {map, value, Now()});
  return q.Done() || Fail(q.Error());
}

std::string StateStore::LoadCursor(const std::string& map) { return LoadMapValue("cursors", "value", map); }

bool StateStore::SaveCursor(const std::string& map, const std::string& value) {
  return SaveMapValue("cursors", "value", map, value);
}

std::string StateStore::LoadTargetMark(const std::string& map) { return LoadMapValue("target_marks", "mark", map); }

bool StateStore::SaveTargetMark(const std::string& map, const std::string& mark) {
  return SaveMapValue("target_marks", "mark", map, mark);
}

std::string StateStore::PreviousPlanHash(int64_t run) {
  if (!ok()) return {};
  Query q(*db_, "SELECT plan_hash FROM runs WHERE run < ? AND finished IS NOT NULL ORDER BY run DESC LIMIT 1", {});
  q.Bind(1, run);
  if (q.Row()) return q.Text(0);
  if (!q.ok()) Fail(q.Error());
  return {};
}

std::unordered_set<std::string> StateStore::OpenItemKeys(const std::string& map, const std::string& queue) {
  if (!FlushItems()) return {};
  std::unordered_set<std::string> out;
  // The queues as they stand: a replay of one record does not make the others forgotten.
  Query q(*db_, "SELECT record_id FROM queued_items WHERE map = ? AND queue = ? AND status = 'open'", {map, queue});
  while (q.Row()) out.insert(q.Text(0));
  if (!q.ok()) Fail(q.Error());
  return out;
}

db::Query* StateStore::Cached(std::unique_ptr<db::Query>& slot, const char* sql) {
  if (slot == nullptr) slot = db_->Prepare(sql, /*keep=*/true);
  if (slot->ok()) return slot.get();
  Fail(slot->Error());
  slot.reset();
  return nullptr;
}

bool StateStore::PutXref(const std::string& map, const std::string& source_key, const std::string& target_id,
                         const std::string& external_id) {
  if (!ok()) return false;
  db::Query* s = Cached(put_xref_,
                           "INSERT INTO xref (map, source_key, target_id, updated, external_id) VALUES (?, ?, ?, ?, ?) "
                           "ON CONFLICT(map, source_key) DO UPDATE SET target_id = excluded.target_id, "
                           "updated = excluded.updated, external_id = excluded.external_id");
  if (s == nullptr) return false;
  s->BindText(1, map);
  s->BindText(2, source_key);
  s->BindText(3, target_id);
  s->BindText(4, Now());
  if (external_id.empty()) s->BindNull(5);
  else s->BindText(5, external_id);
  return Step(s);
}

bool StateStore::Begin() {
  if (!ok()) return false;
  std::string msg;
  return db_->Begin(msg) || Fail(msg);
}

void StateStore::Fence(const std::string& owner, std::vector<Lease> leases, int64_t ttl_ms) {
  fence_owner_ = owner;
  fence_ = std::move(leases);
  fence_ttl_ms_ = ttl_ms;
}

void StateStore::RecoverFromLostLease() {
  if (!fence_lost_) return;
  Rollback();
  fence_lost_ = false;
  error_.clear();
}

bool StateStore::Commit() {
  std::string msg;
  if (FlushItems() && !fence_.empty() && db_->InTransaction()) {
    for (const Lease& l : fence_) {
      // Extended while checked; an expired lease is lost even before another worker claims it.
      Query q(*db_,
              "UPDATE leases SET expires = clock_timestamp() + CAST(? AS DOUBLE PRECISION) * interval '1 millisecond' "
              "WHERE name = ? AND owner = ? AND token = ? AND expires > clock_timestamp()",
              {});
      q.Bind(1, fence_ttl_ms_).Bind(2, l.name).Bind(3, fence_owner_).Bind(4, l.token);
      if (!q.Done()) {
        Fail(q.Error());
        break;
      }
      if (q.Changes() != 1) {
        fence_lost_ = true;
        Fail("the lease of sync `" + l.name + "` (token " + std::to_string(l.token) +
             ") was lost: another worker runs it now; this worker's writes since its last commit are rolled back");
        break;
      }
    }
  }
  if (ok() && db_->Commit(msg)) {
    sets_->EndTransaction();
    return true;
  }
  if (!msg.empty()) Fail(msg);
  Rollback();
  return false;
}

void StateStore::Rollback() {
  items_.rows.clear();
  items_.text.Clear();
  flags_->Drop();
  sets_->Drop();
  // SQLite may have rolled back already (a full disk, an I/O error).
  db_->Rollback();
}

}  // namespace crmx::state
