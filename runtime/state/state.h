// Defines the state store of crmx-run: a SQLite file holding the id cross-reference of every
// map (source key -> id in the target system, with the external id written), the queues a run leaves (data-quality, held,
// waiting, error) and their history (each record's stays in them, kept by triggers: state.cpp's kSchema8), each map's
// change cursor, and the run history. The tables are described in docs/operations.md.
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
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "runtime/state/db/db.h"
#include "runtime/state/flag_sets.h"
#include "runtime/state/item_sets.h"
#include "runtime/state/leases.h"

namespace crmx::state {

// A write a map decided (docs/operations.md, "The delivery ledger"): one row per map and
// record key, its state one of "pending" (decided, not yet handed to the sender: a budget
// paused it), "in_flight" (handed to the sender, no result recorded), "done", "failed" (a
// retriable failure; sent again at `due`) or "dead" (retries exhausted or not retriable: the
// dead-letter queue).
struct Delivery {
  int64_t id = 0;
  std::string map;
  std::string source_key;  // the record's key (what the target's key field is written with)
  std::string source_id;   // the source record's own id (what a replay reads it by)
  std::string idem_key;    // hex: deterministic over (map, source_key, hash)
  std::string hash;        // the target record's output hash
  std::string state;
  int64_t attempts = 0;  // sends whose result was recorded
  int64_t due_ms = 0;    // failed: when the next send is due (Unix ms)
  std::string payload;   // the target record as JSON (runtime/engine/payload.h); empty once done
  std::string external_id;
  std::string file;
  int64_t line = 0;
  int64_t run = 0;  // the run that decided it
  int64_t source_changed_ms = 0;  // when the source record changed (its cursor), Unix ms; 0: unknown
  // The last failure: what the system said (and the request, without secrets).
  int last_status = 0;
  std::string last_code, last_message, last_fields, last_request;
};

// One send's result, as recorded in the ledger (table `attempts`).
struct Attempt {
  bool ok = false;
  int http_status = 0;
  std::string code, message;
  std::vector<std::string> fields;
  std::string request;  // failed: what was sent (a summary without secrets)
  bool retriable = false;
  int64_t wait_ms = 0;  // failed and retriable: the wait before the next send
};

// The idempotency key of a decided write: hex SHA-256 over map, key and output hash, the
// first 32 digits. The same decision always gets the same key.
std::string IdempotencyKey(const std::string& map, const std::string& source_key, const std::string& hash);

// A settled conflict (table `audit`, `crmx-run audit`): a field two maps copy into each other,
// changed on both sides since the last sync; values as the plan's typed JSON.
struct AuditEntry {
  std::string at;
  int64_t run = 0;
  std::string map, record_id, field;
  std::string base;          // what the map last wrote ("" when it never did)
  std::string source_value;  // what the source says now
  std::string target_value;  // what the target has now
  std::string written;       // what the run wrote (or kept)
  std::string winner;        // the system whose value stands
  std::string rule;          // "latest_wins: ...", "within grace 60s: ..."
};

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
inline constexpr int kVersion = 10;

struct OpenOptions {
  // When another run holds the state file: wait for it to end (`crmx-run run --wait`) instead
  // of failing. `waiting`, when set, is told who holds it before the wait.
  bool wait = false;
  std::function<void(const std::string& holder)> waiting;
  // Reads only (`crmx-run status` beside a running serve): no run lock taken, SQLite opened
  // read-only, an older file not migrated but refused (a run migrates it).
  bool read_only = false;
  // How long a statement waits for another connection's lock (a `sqlite3` shell reading the
  // queues) before failing with "database is locked".
  int busy_timeout_ms = 5000;
  // Fault injection for tests: PRAGMA max_page_count after opening (SQLite keeps at least the
  // file's current size, so 1 means "the file cannot grow": a full disk). 0: no limit.
  int64_t max_page_count = 0;
  // A PostgreSQL state (a `postgresql://` location): the password, from the profile's `state:`
  // section (a secret reference); "" lets libpq find it (PGPASSWORD, ~/.pgpass).
  std::string password;
};

// The tables of a state at the current version (what a copy of the state holds).
const std::vector<const char*>& StateTables();

// A sync as `crmx-run serve` left it (table `syncs`): what its last run stood for, and when
// it is due next. Times are Unix ms; 0 when unknown.
struct SyncRecord {
  std::string name;      // the sync's map
  int64_t last_due = 0;  // the due instant of the schedule its last scheduled run stood for
  int64_t last_started = 0;
  int64_t last_finished = 0;
  std::string last_result;  // "ok", or the error
  std::string last_why;     // "schedule", "retry", "webhook"
  int64_t last_run = 0;     // the run's id (table `runs`)
  int64_t next_due = 0;
};

class StateStore {
 public:
  // Opens (creating when missing) the state file at `path`, locked for this store, migrated to
  // kVersion. Null with `error` on failure: another run holds it, a newer version, not a state
  // file, SQLite failed. A `postgresql://` URL opens a state database on PostgreSQL instead
  // (postgres_schema.h), shared by several workers: no lock is taken, path() is the URL without
  // its password.
  static std::unique_ptr<StateStore> Open(const std::string& path, std::string& error,
                                          const OpenOptions& options = {});
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  const std::string& path() const { return path_; }
  // The open connection, for the tools that work the queues between runs
  // (runtime/state/queue_book.h, `crmx-run queue`): they hold this store, and so the lock.
  db::Connection& db() {
    FlushItems();
    return *db_;
  }
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
  // What was last written for each of `map`'s records (the output hash of its done
  // delivery), for maps into an API: a record whose output did not change is not sent again.
  std::unordered_map<std::string, std::string> LoadWritten(const std::string& map);
  // Keys of `map`'s done deliveries, the latest first, at most `limit`.
  std::vector<std::string> DoneKeys(const std::string& map, int64_t limit);
  // The output hash of each of `map`'s dead-lettered deliveries: a record that evaluates to the
  // same output is not sent again by a run (only by a replay, or once it changes).
  std::unordered_map<std::string, std::string> LoadDead(const std::string& map);
  // The ledger (docs/operations.md, "The delivery ledger").
  // Records `d` as `map`'s decided write for d.source_key, replacing an earlier decision of
  // the same key (its attempts carry over when the output hash is the same); d.state is
  // "in_flight", "pending" or "done". The delivery's id, 0 on a failure (see ok()).
  int64_t Decide(const Delivery& d);
  // A write a local target (files, SQLite) took at once: a done delivery, in the map's one
  // transaction (no payload, no idempotency key: nothing is sent again).
  bool PutDone(const std::string& map, const std::string& source_key, const std::string& source_id,
               const std::string& hash, int64_t run);
  // Calls `row` with the record id of every record of `map` with a row in a queue (`items`: the
  // queues, and flags an older file keeps as rows) and `flag` with that of every record with a
  // flag in the flag sets, to clear only those (streamed: the engine keeps their hashes, not the
  // ids). A record may be given to both.
  void ItemKeys(const std::string& map, const std::function<void(std::string_view)>& row,
                const std::function<void(std::string_view)>& flag);
  // Records a send's result: done (payload dropped), failed (due at `due_ms`) or dead, with
  // the attempt's details.
  bool Settle(int64_t id, const std::string& state, int64_t due_ms, const Attempt& a, int64_t run,
              const std::string& notify_json = {});
  // The open deliveries (pending, in_flight, failed) of `map`, payload included, oldest first.
  std::vector<Delivery> OpenDeliveries(const std::string& map);
  // When `map`'s earliest failed delivery is due again (Unix ms); 0 when none is waiting.
  // Pending and in-flight ones (a run that died) are due now: the current time is returned.
  int64_t NextRetryDue(const std::string& map, int64_t now_ms);
  // The syncs serve ran (table `syncs`), by name.
  std::map<std::string, SyncRecord> LoadSyncs();
  bool SaveSync(const SyncRecord& s);
  // Open items per queue, over every map: {"held": n, ...} (flags included).
  std::map<std::string, int64_t> OpenItemCounts();
  // Deliveries in each state, over every map: {"done": n, ...}.
  std::unordered_map<std::string, int64_t> LedgerCounts();
  // The queues as they stand (the rows of `items` and the entries of the item sets, item_sets.h:
  // the view `queued_items`; `queue_items` adds the flags): a queued record is put (or moved)
  // into `queue`; a record that left every queue (written, skipped by `when`) is cleared, flags
  // apart. `fresh`: the caller knows the record is in no queue yet (flags apart), so nothing has
  // to leave one: it becomes an entry of an item set. A record queued again in the queue its
  // entry is in stays an entry (its id, its first run); any other change goes through a row of
  // `items` (rows of a statement each, kItemBatch rows a statement, written before any other
  // statement on `items` and before Commit). Rollback drops what was not written. A QueueEntry
  // of queue "flag" is PutFlag's.
  bool PutItem(int64_t run, const QueueEntry& e, const std::string& source_id = {}, bool fresh = false);
  // A flag raised on a written record: kept in the flag sets (flag_sets.h), written with the
  // items' batch.
  bool PutFlag(int64_t run, const std::string& map, const std::string& record_id, const std::string& flag);
  // `map`'s record `record_id` leaves every queue; `flags_too`: its flags go too.
  bool ClearItems(const std::string& map, const std::string& record_id, bool flags_too);
  // `map`'s record `record_id` loses the flags the flag sets hold for it (not rows of `items`:
  // for a record ItemKeys gave only as a flag, ClearItems without its DELETE).
  bool ClearFlags(const std::string& map, const std::string& record_id);
  // An event for the always-on runtime (issue 10) to deliver: a notify, a budget warning.
  bool AddEvent(int64_t run, const std::string& kind, const std::string& map, const std::string& record_id,
                const std::string& target, const std::string& message);
  // API usage per system and metric in the window starting at `window_start` (Unix ms).
  int64_t Usage(const std::string& system, const std::string& metric, int64_t window_start);
  bool AddUsage(const std::string& system, const std::string& metric, int64_t window_start, int64_t amount);
  // Records deleted at the source (table `tombstones`): never written again by a run.
  std::unordered_set<std::string> LoadTombstones(const std::string& map);
  bool AddTombstone(int64_t run, const std::string& map, const std::string& source_key, const std::string& source_id);
  // Conflicts: the value each map last wrote into a field two maps copy into each other
  // (source_key -> field -> typed JSON), and the audit of the conflicts settled.
  std::unordered_map<std::string, std::unordered_map<std::string, std::string>> LoadFieldValues(const std::string& map);
  bool PutFieldValue(const std::string& map, const std::string& source_key, const std::string& field,
                     const std::string& value);
  bool AddAudit(int64_t run, const AuditEntry& e);
  // Every entry of `map` ("": of every map), oldest first.
  std::vector<AuditEntry> Audit(const std::string& map);
  // The keys read at the cursor's stamp (table cursor_keys): a later read at the same stamp
  // skips those and takes the others (records that arrived with the same stamp).
  std::unordered_set<std::string> LoadCursorKeys(const std::string& map);
  bool SaveCursorKeys(const std::string& map, const std::unordered_set<std::string>& keys);
  // The change cursor of `map`: the latest value of its source's cursor field (RFC 3339) a run
  // read; "" before the first run.
  std::string LoadCursor(const std::string& map);
  bool SaveCursor(const std::string& map, const std::string& value);
  // The keys of `map`'s records open in `queue` ("waiting") as the queues stand (table items).
  std::unordered_set<std::string> OpenItemKeys(const std::string& map, const std::string& queue);
  // Item `id`, when an item set holds it, becomes a row of `items` (same id, same columns) in the
  // caller's transaction: what a person does on an item (queue_book.h) changes a row.
  bool PromoteItem(int64_t id);
  // A local target's fingerprint after `map` last wrote it (Connector::Fingerprint).
  std::string LoadTargetMark(const std::string& map);
  bool SaveTargetMark(const std::string& map, const std::string& mark);
  // The plan hash of the latest run before `run` that finished; "" when there is none.
  std::string PreviousPlanHash(int64_t run);
  // Batches the writes of a map in one transaction. Commit fails (and rolls back) when any
  // write since Begin failed; Rollback drops the writes since Begin (a map that failed).
  bool Begin();
  bool Commit();
  void Rollback();
  // A worker of a cluster (PostgreSQL, leases.h): every transaction Commit ends first checks
  // that `owner` still holds each of `leases` (their tokens) and extends them; when one is lost
  // (another worker took the sync over) nothing of the transaction is written, the store fails
  // with fence_lost() true. An empty list: no check (SQLite's run lock is the fence there).
  void Fence(const std::string& owner, std::vector<Lease> leases, int64_t ttl_ms);
  bool fence_lost() const { return fence_lost_; }
  // After a lost lease only: forgets the failure (the writes since the last commit were rolled
  // back), so that the worker goes on with other syncs.
  void RecoverFromLostLease();
  // A cluster: each call to a system with a budget is counted in `usage` when it is admitted
  // (Leases::Admit), so a run's budget book reads the usage there and adds none of its own.
  void SetCallsCountedOnSend(bool on) { calls_counted_on_send_ = on; }
  bool calls_counted_on_send() const { return calls_counted_on_send_; }

 private:
  StateStore(std::unique_ptr<db::Connection> db, std::string path, int lock_fd)
      : flags_(std::make_unique<FlagSets>(*db)),
        sets_(std::make_unique<ItemSets>(*db)),
        db_(std::move(db)),
        lock_fd_(lock_fd),
        path_(std::move(path)) {}
  // A statement prepared once and kept (the per-record inserts); null (and failed) when the
  // database refused to prepare it.
  db::Query* Cached(std::unique_ptr<db::Query>& slot, const char* sql);
  // Steps a write statement to its end and resets it; false (and failed) on an error.
  bool Step(db::Query* s);
  // source_key -> output hash of `map`'s deliveries in `state`.
  std::unordered_map<std::string, std::string> Hashes(const std::string& map, const char* state);
  // Records the connection's current error (or `message`) as the store's first failure;
  // returns false.
  bool Fail();
  bool Fail(const std::string& message);
  // Writes the batched item rows (PutItem); false (and failed) on an error.
  bool FlushItems();
  // A table keyed by map with one value column and `updated` (cursors, target_marks).
  std::string LoadMapValue(const char* table, const char* column, const std::string& map);
  bool SaveMapValue(const char* table, const char* column, const std::string& map, const std::string& value);
  // A batched item row: its strings are views of its batch's text, which is emptied when the
  // batch is written.
  struct ItemRow {
    std::string_view map, queue, file, flag, record_id, source_id, reasons, fields;
    int64_t line = 0, run = 0;
  };
  // The texts of the batched rows, copied into chunks that never move (a view stays valid
  // until Clear): no allocation per row once the first chunk is there.
  class TextArena {
   public:
    std::string_view Copy(std::string_view s);
    void Clear();

   private:
    static constexpr size_t kChunk = 16 * 1024;
    std::vector<std::unique_ptr<char[]>> chunks_;  // chunks_[0] is kept by Clear
    size_t used_ = 0;                              // bytes used in chunks_.back()
    size_t room_ = 0;                              // its size
  };
  // Queue items waiting for one multi-row statement (10 values a row), written when full and
  // before anything else reads or changes the items.
  struct Batch {
    std::vector<ItemRow> rows;
    TextArena text;
    std::unique_ptr<db::Query> full, one;  // the statements for kItemBatch rows and for one
  };
  bool PutRow(ItemRow row);
  // An entry taken out of an item set becomes a row of `items` (its id kept; a pending entry's
  // given by the table).
  bool Promote(const std::string& map, const std::string& record_id, const ItemSets::Taken& t);
  bool FlushBatch();
  Batch items_;
  // The flags raised on written records: sets of keys, not a row each (flag_sets.h).
  std::unique_ptr<FlagSets> flags_;
  // The records queued for the first time: entries of sets, not a row each (item_sets.h).
  std::unique_ptr<ItemSets> sets_;
  std::string item_json_[2];  // PutItem's reasons and fields, as JSON
  std::unique_ptr<db::Connection> db_;
  int lock_fd_;  // PATH.lock, flock'ed exclusively while the store lives
  std::string error_;
  std::unique_ptr<db::Query> put_xref_, decide_, settle_, attempt_, clear_items_, clear_items_flags_,
      leave_queues_, put_done_;
  std::string path_;
  std::string fence_owner_;
  std::vector<Lease> fence_;
  int64_t fence_ttl_ms_ = 0;
  bool fence_lost_ = false;
  bool calls_counted_on_send_ = false;
};

}  // namespace crmx::state
