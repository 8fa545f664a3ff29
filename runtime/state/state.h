// Defines the state store of crmx-run: a SQLite file holding the id cross-reference of every
// map (source key -> id in the target system, with the external id written), the queues a run leaves (data-quality, held,
// waiting, error), each map's change cursor, and the run history. The tables are described in docs/operations.md.
//
// Reliability (docs/operations.md, "The state file"):
// - Every SQLite call is checked. The first failure is kept (ok(), error(): "state PATH: SQLite's
//   message") and every later write is refused, so a run stops instead of losing rows; the
//   writes of a map are one transaction (Begin/Commit), rolled back when anything failed.
// - One store per state file at a time: Open takes an exclusive advisory lock (flock) on
//   `PATH.lock`, holding the holder's pid and start time, for the store's whole life.
// - The file is versioned (PRAGMA user_version, kVersion); Open migrates older files, refuses
//   newer ones and refuses a SQLite file with tables that are not the state's.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace crmx::state {

struct QueueEntry {
  std::string map;
  std::string queue;      // "data_quality", "held", "waiting", "error"
  std::string record_id;  // the record's key (or "" when it has none)
  std::string file;
  int64_t line = 0;
  std::vector<std::string> reasons;
  std::vector<std::string> fields;  // data-quality: the fields the failing requires read
};

// The version of the state file's tables this crmx-run writes (PRAGMA user_version); files of
// an older version are migrated when opened, files of a newer one are refused.
inline constexpr int kVersion = 1;

struct OpenOptions {
  // When another run holds the state file: wait for it to end (`crmx-run run --wait`) instead
  // of failing. `waiting`, when set, is told who holds it before the wait.
  bool wait = false;
  std::function<void(const std::string& holder)> waiting;
  // How long a statement waits for another connection's lock (a `sqlite3` shell reading the
  // queues) before failing with "database is locked".
  int busy_timeout_ms = 5000;
  // Fault injection for tests: PRAGMA max_page_count after opening (SQLite keeps at least the
  // file's current size, so 1 means "the file cannot grow": a full disk). 0: no limit.
  int64_t max_page_count = 0;
};

class StateStore {
 public:
  // Opens (creating when missing) the state file at `path`, locked for this store, migrated to
  // kVersion. Null with `error` on failure: another run holds it, a newer version, not a state
  // file, SQLite failed.
  static std::unique_ptr<StateStore> Open(const std::string& path, std::string& error,
                                          const OpenOptions& options = {});
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  const std::string& path() const { return path_; }
  // False once a SQLite call failed; error() is "state PATH: MESSAGE" of the first failure.
  // Every write after it is refused (returns false), reads return nothing.
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // Starts a run; returns its id (0 when it could not be recorded: see ok()). Queues of earlier
  // runs stay (history), the latest run's queues are what `crmx-run` reports.
  int64_t BeginRun(const std::string& plan_hash);
  bool FinishRun(int64_t run, const std::string& summary_json);
  // The id cross-reference of `map`, as persisted by earlier runs and this one.
  std::unordered_map<std::string, std::string> LoadXref(const std::string& map);
  // `target_id`: the record's own id in the target system (what a `ref` resolves to);
  // `external_id`: the value of the map's key field written with it (the external id).
  bool PutXref(const std::string& map, const std::string& source_key, const std::string& target_id,
               const std::string& external_id = {});
  // The external id kept with `map`'s record `source_key`; "" when none is known.
  std::string XrefExternalId(const std::string& map, const std::string& source_key);
  bool AddQueueEntry(int64_t run, const QueueEntry& e);
  // What was last written for each of `map`'s records (a hash of the target record's fields),
  // for maps into an API: a record whose output did not change is not sent again.
  std::unordered_map<std::string, std::string> LoadWritten(const std::string& map);
  bool PutWritten(const std::string& map, const std::string& source_key, const std::string& hash);
  // The change cursor of `map`: the latest value of its source's cursor field (RFC 3339) a run
  // read; "" before the first run.
  std::string LoadCursor(const std::string& map);
  bool SaveCursor(const std::string& map, const std::string& value);
  // The keys of `map`'s records in `queue` ("waiting") after the latest run that queued any.
  std::unordered_set<std::string> LastRunKeys(const std::string& map, const std::string& queue);
  // Batches the writes of a map in one transaction. Commit fails (and rolls back) when any
  // write since Begin failed; Rollback drops the writes since Begin (a map that failed).
  bool Begin();
  bool Commit();
  void Rollback();

 private:
  StateStore(sqlite3* db, std::string path, int lock_fd) : db_(db), lock_fd_(lock_fd), path_(std::move(path)) {}
  // A statement prepared once and kept (the per-record inserts); null (and failed) when SQLite
  // refused to prepare it.
  sqlite3_stmt* Cached(sqlite3_stmt*& slot, const char* sql);
  // Steps a write statement to its end and resets it; false (and failed) on an error.
  bool Step(sqlite3_stmt* s);
  // Records SQLite's current error as the store's first failure; returns false.
  bool Fail();
  sqlite3* db_;
  int lock_fd_;  // PATH.lock, flock'ed exclusively while the store lives
  std::string error_;
  sqlite3_stmt* put_xref_ = nullptr;
  sqlite3_stmt* put_written_ = nullptr;
  sqlite3_stmt* add_queue_ = nullptr;
  std::string path_;
};

}  // namespace crmx::state
