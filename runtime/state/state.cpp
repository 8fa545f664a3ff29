// Defines the state store (state.h).
#include "runtime/state/state.h"

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
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

// A one-off statement with its text parameters bound; finalized when it goes. A failure to
// prepare or to step is kept (ok()): the caller records SQLite's message.
class Query {
 public:
  Query(sqlite3* db, const char* sql, std::initializer_list<std::string> texts) {
    ok_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) == SQLITE_OK;
    int i = 0;
    if (ok_)
      for (const std::string& t : texts) BindText(s_, ++i, t);
  }
  ~Query() { sqlite3_finalize(s_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  // Steps to the next row: false when there is none, or on an error (then ok() is false).
  bool Row() {
    if (!ok_) return false;
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    ok_ = rc == SQLITE_DONE;
    return false;
  }
  // Runs a statement that returns no rows: false on an error.
  bool Done() {
    while (Row()) {
    }
    return ok_;
  }
  bool ok() const { return ok_; }
  std::string Text(int col) const {
    const unsigned char* t = sqlite3_column_text(s_, col);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  sqlite3_stmt* get() { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
  bool ok_ = false;
};

bool Exec(sqlite3* db, const char* sql, std::string& error) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
  error = msg ? msg : sqlite3_errmsg(db);
  sqlite3_free(msg);
  return false;
}

// The tables of a state file (any version); a file with others is some other database.
bool IsStateTable(const std::string& name) {
  return name == "runs" || name == "xref" || name == "queue" || name == "cursors" || name == "written" ||
         name.rfind("sqlite_", 0) == 0;
}

// `PRAGMA application_id` of a state file: "crmx".
constexpr int64_t kApplicationId = 0x63726d78;

// Migrations, each from the version before it. Version 0 is a file without a version: a new
// one, or one crmx-run wrote before versions (its tables as kSchema has them, xref perhaps
// without `external_id`).
bool MigrateTo1(sqlite3* db, std::string& error) {
  if (!Exec(db, kSchema, error)) return false;
  bool has_external_id = false;
  Query q(db, "PRAGMA table_info(xref)", {});
  while (q.Row()) has_external_id = has_external_id || q.Text(1) == "external_id";
  if (!q.ok()) {
    error = sqlite3_errmsg(db);
    return false;
  }
  return has_external_id || Exec(db, "ALTER TABLE xref ADD COLUMN external_id TEXT", error);
}

using Migration = bool (*)(sqlite3*, std::string&);
constexpr Migration kMigrations[kVersion] = {MigrateTo1};  // [v]: from version v to v + 1

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
bool Prepare(sqlite3* db, const std::string& path, std::string& error) {
  std::string msg;
  int64_t version = 0, app = 0;
  std::string foreign;
  {
    // Finalized before a migration writes.
    Query v(db, "PRAGMA user_version", {});
    if (!v.Row()) {
      error = "state " + path + ": " + sqlite3_errmsg(db);
      return false;
    }
    version = sqlite3_column_int64(v.get(), 0);
    Query a(db, "PRAGMA application_id", {});
    if (a.Row()) app = sqlite3_column_int64(a.get(), 0);
    Query t(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", {});
    while (t.Row())
      if (!IsStateTable(t.Text(0))) foreign += (foreign.empty() ? "" : ", ") + t.Text(0);
    if (!t.ok() || !a.ok()) {
      error = "`" + path + "` is not a crmx state file: " + sqlite3_errmsg(db);
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
  // All migrations in one transaction: a file is at its old version or at kVersion, never between.
  if (!Exec(db, "BEGIN IMMEDIATE", msg)) {
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
    if (!sqlite3_get_autocommit(db)) Exec(db, "ROLLBACK", ignored);
    error = "cannot migrate the state file " + path + ": " + msg;
    return false;
  }
  return true;
}

}  // namespace

std::unique_ptr<StateStore> StateStore::Open(const std::string& path, std::string& error,
                                             const OpenOptions& options) {
  int lock = Lock(path, options, error);
  if (lock < 0) return nullptr;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    error = "cannot open the state file `" + path + "`: " + (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    Unlock(lock);
    return nullptr;
  }
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  bool ready = Prepare(db, path, error);
  std::string msg;
  if (ready && options.max_page_count > 0 &&
      !Exec(db, ("PRAGMA max_page_count = " + std::to_string(options.max_page_count)).c_str(), msg)) {
    error = "state " + path + ": " + msg;
    ready = false;
  }
  if (!ready) {
    sqlite3_close(db);
    Unlock(lock);
    return nullptr;
  }
  return std::unique_ptr<StateStore>(new StateStore(db, path, lock));
}

bool StateStore::Fail() {
  if (error_.empty()) error_ = "state " + path_ + ": " + sqlite3_errmsg(db_);
  return false;
}

bool StateStore::Step(sqlite3_stmt* s) {
  int rc = sqlite3_step(s);
  bool ok = rc == SQLITE_DONE || rc == SQLITE_ROW || Fail();
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  return ok;
}

std::string StateStore::XrefExternalId(const std::string& map, const std::string& source_key) {
  if (!ok()) return {};
  Query q(db_, "SELECT external_id FROM xref WHERE map = ? AND source_key = ?", {map, source_key});
  bool row = q.Row();
  if (!q.ok()) Fail();
  if (!row || sqlite3_column_type(q.get(), 0) == SQLITE_NULL) return {};
  return q.Text(0);
}

std::unordered_map<std::string, std::string> StateStore::LoadWritten(const std::string& map) {
  if (!ok()) return {};
  std::unordered_map<std::string, std::string> out;
  Query q(db_, "SELECT source_key, hash FROM written WHERE map = ?", {map});
  while (q.Row()) out[q.Text(0)] = q.Text(1);
  if (!q.ok()) Fail();
  return out;
}

bool StateStore::PutWritten(const std::string& map, const std::string& source_key, const std::string& hash) {
  if (!ok()) return false;
  sqlite3_stmt* s = Cached(put_written_,
                           "INSERT INTO written (map, source_key, hash, updated) VALUES (?, ?, ?, ?) "
                           "ON CONFLICT(map, source_key) DO UPDATE SET hash = excluded.hash, updated = excluded.updated");
  if (s == nullptr) return false;
  BindText(s, 1, map);
  BindText(s, 2, source_key);
  BindText(s, 3, hash);
  BindText(s, 4, Now());
  return Step(s);
}

StateStore::~StateStore() {
  sqlite3_finalize(put_written_);
  sqlite3_finalize(put_xref_);
  sqlite3_finalize(add_queue_);
  // An open transaction (a map that failed) is rolled back by the close.
  sqlite3_close(db_);
  Unlock(lock_fd_);
}

int64_t StateStore::BeginRun(const std::string& plan_hash) {
  if (!ok()) return 0;
  Query q(db_, "INSERT INTO runs (started, plan_hash) VALUES (?, ?)", {Now(), plan_hash});
  if (!q.Done()) {
    Fail();
    return 0;
  }
  return sqlite3_last_insert_rowid(db_);
}

bool StateStore::FinishRun(int64_t run, const std::string& summary_json) {
  if (!ok()) return false;
  Query q(db_, "UPDATE runs SET finished = ?, summary = ? WHERE run = ?", {Now(), summary_json});
  if (q.ok()) sqlite3_bind_int64(q.get(), 3, run);
  return q.Done() || Fail();
}

std::unordered_map<std::string, std::string> StateStore::LoadXref(const std::string& map) {
  if (!ok()) return {};
  std::unordered_map<std::string, std::string> out;
  Query q(db_, "SELECT source_key, target_id FROM xref WHERE map = ?", {map});
  while (q.Row()) out[q.Text(0)] = q.Text(1);
  if (!q.ok()) Fail();
  return out;
}

std::string StateStore::LoadCursor(const std::string& map) {
  if (!ok()) return {};
  Query q(db_, "SELECT value FROM cursors WHERE map = ?", {map});
  if (q.Row()) return q.Text(0);
  if (!q.ok()) Fail();
  return {};
}

bool StateStore::SaveCursor(const std::string& map, const std::string& value) {
  if (!ok()) return false;
  Query q(db_,
          "INSERT INTO cursors (map, value, updated) VALUES (?, ?, ?) "
          "ON CONFLICT(map) DO UPDATE SET value = excluded.value, updated = excluded.updated",
          {map, value, Now()});
  return q.Done() || Fail();
}

std::unordered_set<std::string> StateStore::LastRunKeys(const std::string& map, const std::string& queue) {
  if (!ok()) return {};
  std::unordered_set<std::string> out;
  Query q(db_,
          "SELECT record_id FROM queue WHERE map = ? AND queue = ? AND run = "
          "(SELECT max(run) FROM queue WHERE map = ?)",
          {map, queue, map});
  while (q.Row()) out.insert(q.Text(0));
  if (!q.ok()) Fail();
  return out;
}

sqlite3_stmt* StateStore::Cached(sqlite3_stmt*& slot, const char* sql) {
  if (slot == nullptr && sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &slot, nullptr) != SQLITE_OK) {
    Fail();
    sqlite3_finalize(slot);
    slot = nullptr;
  }
  return slot;
}

bool StateStore::PutXref(const std::string& map, const std::string& source_key, const std::string& target_id,
                         const std::string& external_id) {
  if (!ok()) return false;
  sqlite3_stmt* s = Cached(put_xref_,
                           "INSERT INTO xref (map, source_key, target_id, updated, external_id) VALUES (?, ?, ?, ?, ?) "
                           "ON CONFLICT(map, source_key) DO UPDATE SET target_id = excluded.target_id, "
                           "updated = excluded.updated, external_id = excluded.external_id");
  if (s == nullptr) return false;
  BindText(s, 1, map);
  BindText(s, 2, source_key);
  BindText(s, 3, target_id);
  BindText(s, 4, Now());
  if (external_id.empty()) sqlite3_bind_null(s, 5);
  else BindText(s, 5, external_id);
  return Step(s);
}

bool StateStore::AddQueueEntry(int64_t run, const QueueEntry& e) {
  if (!ok()) return false;
  sqlite3_stmt* s = Cached(add_queue_,
                           "INSERT INTO queue (run, map, queue, record_id, file, line, reasons, fields) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (s == nullptr) return false;
  sqlite3_bind_int64(s, 1, run);
  BindText(s, 2, e.map);
  BindText(s, 3, e.queue);
  BindText(s, 4, e.record_id);
  BindText(s, 5, e.file);
  sqlite3_bind_int64(s, 6, e.line);
  BindText(s, 7, nlohmann::json(e.reasons).dump());
  BindText(s, 8, nlohmann::json(e.fields).dump());
  return Step(s);
}

bool StateStore::Begin() {
  if (!ok()) return false;
  return sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK || Fail();
}

bool StateStore::Commit() {
  if (ok() && sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK) return true;
  Fail();
  Rollback();
  return false;
}

void StateStore::Rollback() {
  // SQLite may have rolled back already (a full disk, an I/O error).
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace crmx::state
