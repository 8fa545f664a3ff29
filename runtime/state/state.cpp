// Defines the state store (state.h).
#include "runtime/state/state.h"

#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <initializer_list>
#include <nlohmann/json.hpp>

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

std::string Now() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void BindText(sqlite3_stmt* s, int i, const std::string& t) {
  sqlite3_bind_text(s, i, t.c_str(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
}

// A one-off statement with its text parameters bound; finalized when it goes.
class Query {
 public:
  Query(sqlite3* db, const char* sql, std::initializer_list<std::string> texts) {
    sqlite3_prepare_v2(db, sql, -1, &s_, nullptr);
    int i = 0;
    for (const std::string& t : texts) BindText(s_, ++i, t);
  }
  ~Query() { sqlite3_finalize(s_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  // Steps to the next row: false when there is none (or the statement was not a query).
  bool Row() { return sqlite3_step(s_) == SQLITE_ROW; }
  std::string Text(int col) const { return reinterpret_cast<const char*>(sqlite3_column_text(s_, col)); }
  sqlite3_stmt* get() { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

bool HasColumn(sqlite3* db, const std::string& table, const std::string& column) {
  Query q(db, ("PRAGMA table_info(" + table + ")").c_str(), {});
  while (q.Row())
    if (q.Text(1) == column) return true;
  return false;
}

}  // namespace

std::unique_ptr<StateStore> StateStore::Open(const std::string& path, std::string& error) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    error = "cannot open the state file `" + path + "`: " + (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return nullptr;
  }
  char* msg = nullptr;
  if (sqlite3_exec(db, kSchema, nullptr, nullptr, &msg) != SQLITE_OK) {
    error = "`" + path + "` is not a crmx state file: " + (msg ? msg : "");
    sqlite3_free(msg);
    sqlite3_close(db);
    return nullptr;
  }
  // Migrations of files an earlier crmx-run wrote: columns added since.
  if (!HasColumn(db, "xref", "external_id") &&
      sqlite3_exec(db, "ALTER TABLE xref ADD COLUMN external_id TEXT", nullptr, nullptr, &msg) != SQLITE_OK) {
    error = "cannot migrate the state file `" + path + "`: " + (msg ? msg : "");
    sqlite3_free(msg);
    sqlite3_close(db);
    return nullptr;
  }
  return std::unique_ptr<StateStore>(new StateStore(db, path));
}

std::string StateStore::XrefExternalId(const std::string& map, const std::string& source_key) {
  Query q(db_, "SELECT external_id FROM xref WHERE map = ? AND source_key = ?", {map, source_key});
  if (!q.Row() || sqlite3_column_type(q.get(), 0) == SQLITE_NULL) return {};
  return q.Text(0);
}

std::unordered_map<std::string, std::string> StateStore::LoadWritten(const std::string& map) {
  std::unordered_map<std::string, std::string> out;
  Query q(db_, "SELECT source_key, hash FROM written WHERE map = ?", {map});
  while (q.Row()) out[q.Text(0)] = q.Text(1);
  return out;
}

void StateStore::PutWritten(const std::string& map, const std::string& source_key, const std::string& hash) {
  sqlite3_stmt* s = Cached(put_written_,
                           "INSERT INTO written (map, source_key, hash, updated) VALUES (?, ?, ?, ?) "
                           "ON CONFLICT(map, source_key) DO UPDATE SET hash = excluded.hash, updated = excluded.updated");
  BindText(s, 1, map);
  BindText(s, 2, source_key);
  BindText(s, 3, hash);
  BindText(s, 4, Now());
  sqlite3_step(s);
  sqlite3_reset(s);
}

StateStore::~StateStore() {
  sqlite3_finalize(put_written_);
  sqlite3_finalize(put_xref_);
  sqlite3_finalize(add_queue_);
  sqlite3_close(db_);
}

int64_t StateStore::BeginRun(const std::string& plan_hash) {
  Query(db_, "INSERT INTO runs (started, plan_hash) VALUES (?, ?)", {Now(), plan_hash}).Row();
  return sqlite3_last_insert_rowid(db_);
}

void StateStore::FinishRun(int64_t run, const std::string& summary_json) {
  Query q(db_, "UPDATE runs SET finished = ?, summary = ? WHERE run = ?", {Now(), summary_json});
  sqlite3_bind_int64(q.get(), 3, run);
  q.Row();
}

std::unordered_map<std::string, std::string> StateStore::LoadXref(const std::string& map) {
  std::unordered_map<std::string, std::string> out;
  Query q(db_, "SELECT source_key, target_id FROM xref WHERE map = ?", {map});
  while (q.Row()) out[q.Text(0)] = q.Text(1);
  return out;
}

std::string StateStore::LoadCursor(const std::string& map) {
  Query q(db_, "SELECT value FROM cursors WHERE map = ?", {map});
  return q.Row() ? q.Text(0) : std::string();
}

void StateStore::SaveCursor(const std::string& map, const std::string& value) {
  Query(db_,
        "INSERT INTO cursors (map, value, updated) VALUES (?, ?, ?) "
        "ON CONFLICT(map) DO UPDATE SET value = excluded.value, updated = excluded.updated",
        {map, value, Now()})
      .Row();
}

std::unordered_set<std::string> StateStore::LastRunKeys(const std::string& map, const std::string& queue) {
  std::unordered_set<std::string> out;
  Query q(db_,
          "SELECT record_id FROM queue WHERE map = ? AND queue = ? AND run = "
          "(SELECT max(run) FROM queue WHERE map = ?)",
          {map, queue, map});
  while (q.Row()) out.insert(q.Text(0));
  return out;
}

sqlite3_stmt* StateStore::Cached(sqlite3_stmt*& slot, const char* sql) {
  if (slot == nullptr) sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &slot, nullptr);
  return slot;
}

void StateStore::PutXref(const std::string& map, const std::string& source_key, const std::string& target_id,
                         const std::string& external_id) {
  sqlite3_stmt* s = Cached(put_xref_,
                           "INSERT INTO xref (map, source_key, target_id, updated, external_id) VALUES (?, ?, ?, ?, ?) "
                           "ON CONFLICT(map, source_key) DO UPDATE SET target_id = excluded.target_id, "
                           "updated = excluded.updated, external_id = excluded.external_id");
  BindText(s, 1, map);
  BindText(s, 2, source_key);
  BindText(s, 3, target_id);
  BindText(s, 4, Now());
  if (external_id.empty()) sqlite3_bind_null(s, 5);
  else BindText(s, 5, external_id);
  sqlite3_step(s);
  sqlite3_reset(s);
}

void StateStore::AddQueueEntry(int64_t run, const QueueEntry& e) {
  sqlite3_stmt* s = Cached(add_queue_,
                           "INSERT INTO queue (run, map, queue, record_id, file, line, reasons, fields) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  sqlite3_bind_int64(s, 1, run);
  BindText(s, 2, e.map);
  BindText(s, 3, e.queue);
  BindText(s, 4, e.record_id);
  BindText(s, 5, e.file);
  sqlite3_bind_int64(s, 6, e.line);
  BindText(s, 7, nlohmann::json(e.reasons).dump());
  BindText(s, 8, nlohmann::json(e.fields).dump());
  sqlite3_step(s);
  sqlite3_reset(s);
}

void StateStore::Begin() { sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr); }
void StateStore::Commit() { sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr); }

}  // namespace crmx::state
