// Defines the state store of crmx-run: a SQLite file holding the id cross-reference of every
// map (source key -> id in the target system, with the external id written), the queues a run leaves (data-quality, held,
// waiting, error), each map's change cursor, and the run history. The tables are described in docs/operations.md.
#pragma once

#include <cstdint>
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

class StateStore {
 public:
  // Opens (creating when missing) the state file at `path`. Null with `error` on failure.
  static std::unique_ptr<StateStore> Open(const std::string& path, std::string& error);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  const std::string& path() const { return path_; }
  // Starts a run; returns its id. Queues of earlier runs stay (history), the latest run's
  // queues are what `crmx-run` reports.
  int64_t BeginRun(const std::string& plan_hash);
  void FinishRun(int64_t run, const std::string& summary_json);
  // The id cross-reference of `map`, as persisted by earlier runs and this one.
  std::unordered_map<std::string, std::string> LoadXref(const std::string& map);
  // `target_id`: the record's own id in the target system (what a `ref` resolves to);
  // `external_id`: the value of the map's key field written with it (the external id).
  void PutXref(const std::string& map, const std::string& source_key, const std::string& target_id,
               const std::string& external_id = {});
  // The external id kept with `map`'s record `source_key`; "" when none is known.
  std::string XrefExternalId(const std::string& map, const std::string& source_key);
  void AddQueueEntry(int64_t run, const QueueEntry& e);
  // What was last written for each of `map`'s records (a hash of the target record's fields),
  // for maps into an API: a record whose output did not change is not sent again.
  std::unordered_map<std::string, std::string> LoadWritten(const std::string& map);
  void PutWritten(const std::string& map, const std::string& source_key, const std::string& hash);
  // The change cursor of `map`: the latest value of its source's cursor field (RFC 3339) a run
  // read; "" before the first run.
  std::string LoadCursor(const std::string& map);
  void SaveCursor(const std::string& map, const std::string& value);
  // The keys of `map`'s records in `queue` ("waiting") after the latest run that queued any.
  std::unordered_set<std::string> LastRunKeys(const std::string& map, const std::string& queue);
  // Batches the writes of a map in one transaction.
  void Begin();
  void Commit();

 private:
  StateStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  // A statement prepared once and kept (the per-record inserts).
  sqlite3_stmt* Cached(sqlite3_stmt*& slot, const char* sql);
  sqlite3* db_;
  sqlite3_stmt* put_xref_ = nullptr;
  sqlite3_stmt* put_written_ = nullptr;
  sqlite3_stmt* add_queue_ = nullptr;
  std::string path_;
};

}  // namespace crmx::state
