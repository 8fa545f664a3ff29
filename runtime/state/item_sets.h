// Defines ItemSets: how the state store (state.h) keeps the records a run puts in a queue for the
// first time (docs/operations.md, "Items in sets").
//
// A run that queues many records (W1: 15,796 of 200,000, quality and held) paid SQLite ~10,000
// instructions a row of `items` (the upsert's probe of its unique index, the row, the index
// entry): 35 ms of a 540 ms run. So a record the engine knows is in no queue yet (`fresh`) is kept
// as an entry of a set: up to kSetSize entries of one map, queue and run as a JSON array in one
// row of `item_sets`. An entry is [id, record_id, source_id, reasons, fields, file, line,
// first_run]; its id comes from the counter of the rows of `items` (SQLite's sqlite_sequence,
// PostgreSQL's sequence), so an entry that becomes a row keeps its id. The view `queued_items`
// lists the rows of `items` and the entries of the sets as one table: an entry is open, last seen
// in its set's run.
//
// - A new entry waits in the pending set of its map and queue; a full set is written at once, the
//   others by Flush (before anything reads the items, and before the store commits).
// - Take: a record queued again, written or skipped leaves its set (a pending set at once; a
//   written set is read into memory and written again without it by Flush). The store puts a
//   record queued again in the same queue back into a pending set with its id and first run (its
//   stay goes on); anything else makes the entry a row of `items` first (StateStore::Promote),
//   which then changes as any row does: the triggers keep the queues' history.
// - A person's resolve or discard of an entry makes it a row first (TakeId).
// - The written set holding a record is found through an index of the map's keys (their hashes
//   and set ids), read when a run of the map starts (Keys) or at its first Take, and kept while
//   the store lives: one run of a map at a time (the run lock, the syncs' leases), and the others
//   only take entries out (a key the index still names is looked for in its set and not found
//   there). The sets written since are read into it at the next Take, not when written: a run
//   that takes nothing keeps none of its keys (memory flat at 10M records). The sets read are kept
//   until the transaction ends, at most kMaxLoaded entries (beyond, those changed are written and
//   all forgotten).
//
// Everything is in the store's transaction: a rollback drops the pending sets, the sets read and
// the index (Drop), and the database drops the rest.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/state/db/db.h"

namespace crmx::state {

// The SQL that makes the view `queued_items` (SQLite state version 10, PostgreSQL version 3) on
// `db`'s engine: the rows of `items` and the entries of `item_sets`, the columns of `items`.
std::string QueuedItemsView(const db::Connection& db);

class ItemSets {
 public:
  static constexpr size_t kSetSize = 4096;      // entries a set holds at most
  static constexpr size_t kMaxLoaded = 1 << 16;  // entries of written sets kept in memory at most

  // An entry taken out of a set.
  struct Taken {
    int64_t id = 0;  // 0: a pending entry without an id yet
    int64_t first_run = 0, last_run = 0;
    std::string queue;
    std::string json;  // the entry, [id, record_id, source_id, reasons, fields, file, line, first_run]
  };

  explicit ItemSets(db::Connection& db);
  ~ItemSets();
  // Puts `map`'s record `key` in `queue` in `run`. `reasons_json`: a JSON array of strings;
  // `fields_json` one or "" (none); `id` 0 for a new item (its id given when the set is
  // written), else the item `id` moved here with its `first_run`.
  bool Add(int64_t run, std::string_view map, std::string_view queue, std::string_view key, std::string_view source_id,
           std::string_view reasons_json, std::string_view fields_json, std::string_view file, int64_t line,
           int64_t id, int64_t first_run, std::string& error);
  // Takes `map`'s record `key` out of its set: `found` and `out` when it was in one.
  bool Take(std::string_view map, std::string_view key, Taken& out, bool& found, std::string& error);
  // Takes item `id` (with its map and record id) out of its set, when a set holds it.
  bool TakeId(int64_t id, Taken& out, std::string& map, std::string& key, bool& found, std::string& error);
  // Calls `each` with the key of every entry of `map`'s sets (a key twice is possible), and keeps
  // the index of the map read on the way (a run of the map starts).
  bool Keys(const std::string& map, const std::function<void(std::string_view)>& each, std::string& error);
  // Writes the pending sets and the sets entries were taken from.
  bool Flush(std::string& error);
  // The transaction committed: the sets read are forgotten (another process may take entries
  // out before the next one).
  void EndTransaction() {
    loaded_.clear();
    loaded_entries_ = 0;
  }
  // The transaction rolled back: forgets everything.
  void Drop();

 private:
  // New entries of one map and queue waiting to be written: each the text of an entry but its
  // `[id,` (the id is known when the set is written), one after another in `text`.
  struct Pending {
    std::string map, queue;
    int64_t run = 0;
    std::string text;
    struct Entry {
      uint32_t at, size, key_size;  // in text; key_size: the key's JSON string at its start
      int64_t id, first_run;
      uint64_t hash;  // HashText(key)
      bool live;
    };
    std::vector<Entry> entries;
    size_t live = 0;
    // The live entries by their keys' hashes, from the first Take that looks into the set on
    // (a run that takes nothing, the first over a source, hashes nothing); `collided`: two live
    // keys with one hash, looked for one by one.
    bool indexed = false, collided = false;
    std::unordered_map<uint64_t, uint32_t> by_hash;
    void Index(size_t entry);
    void Reset();
  };
  // A written set read into memory: its entries, those taken out no longer live.
  struct Loaded {
    int64_t id = 0, run = 0;
    std::string map, queue;
    struct Row {
      int64_t id, first_run;
      std::string key, json;
      bool live;
    };
    std::vector<Row> rows;
    std::unordered_map<std::string_view, uint32_t> by_key;  // views of rows' keys
    size_t live = 0;
    bool dirty = false;
  };
  // A map's keys in the written sets: (HashText(key), set id), sorted; `unread`: the sets written
  // since, read into it at the next Take that looks (a run that takes nothing, the first over a
  // source, keeps no key of the sets it writes).
  struct Index {
    std::vector<std::pair<uint64_t, int64_t>> sorted;
    std::vector<int64_t> unread;
  };
  // Reads the entries of a set (its `entries`, as Write wrote them or PostgreSQL gives them back),
  // calling `each` with an entry's id, key, first run and, when `json`, its JSON text. False when
  // the text is not such an array.
  bool Entries(std::string_view text, bool json,
               const std::function<void(int64_t, std::string_view, int64_t, std::string&&)>& each);
  // Reads `map`'s index from its sets, calling `each` (when there is one) with every key.
  bool ReadIndex(const std::string& map, const std::function<void(std::string_view)>* each, std::string& error);
  // Adds the keys of set `set` (its `entries`) to `out`, calling `each` (when there is one) with each.
  bool IndexSet(int64_t set, std::string_view entries, std::vector<std::pair<uint64_t, int64_t>>& out,
                std::string& error, const std::function<void(std::string_view)>* each = nullptr);
  bool Write(Pending& p, std::string& error);
  bool Rewrite(Loaded& s, std::string& error);
  bool Load(int64_t set, Loaded*& out, std::string& error);
  bool IndexOf(const std::string& map, Index*& out, std::string& error);
  // `count` new item ids (from the counter of `items`).
  bool Reserve(size_t count, std::vector<int64_t>& ids, std::string& error);
  bool WriteLoaded(std::string& error);
  static void Taking(Loaded& s, Loaded::Row& r, Taken& out);

  db::Connection& db_;
  std::vector<std::unique_ptr<Pending>> pending_;
  Pending* last_ = nullptr;  // the set the latest entry went to
  std::unordered_map<int64_t, std::unique_ptr<Loaded>> loaded_;
  size_t loaded_entries_ = 0;
  std::unordered_map<std::string, Index> index_;
  std::string scratch_, json_;
  struct Parser;
  std::unique_ptr<Parser> parser_;  // simdjson's, kept (its buffers grow to the largest set)
  std::unique_ptr<db::Query> insert_, reserve_, load_;
};

}  // namespace crmx::state
