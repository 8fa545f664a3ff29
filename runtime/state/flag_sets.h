// Defines FlagSets: how the state store (state.h) keeps the flags raised on written records
// (docs/operations.md, "Flags in the state").
//
// A run flags a good share of what it writes (W1: 92,279 of 184,204 records). A row of `items`
// each cost SQLite ~1.1 us (a row, a unique-index entry, an upsert's probe): a fifth of a
// 200,000-record run. So flags are kept in sets: up to kSetSize record keys of one map, flag and
// run as a JSON array in one row of `flag_sets`. The view `queue_items` lists them as items
// beside the rows of `items`, each with an id of its own: kItemBase + set id * 10,000 + its
// position in the set.
//
// - A raised flag waits in the pending set of its map and flag; a full set is written at once,
//   the others by Flush (before anything reads the items, and before the store commits).
// - A flag goes when its record is written again or skipped (Clear): from the pending set at
//   once; from the written sets by Flush, which writes each set of the map holding a cleared key
//   again without it, as a new set (so an item id once shown never names another flag), with
//   what people did on the flags it keeps carried over. Until Flush a cleared key is kept with
//   the map's latest set id when it was cleared (sets written later are not touched): in memory
//   for the first 65,536, beyond in the temporary table `flag_clears` (map, key, upto).
// - People's resolve or discard of a flag is a row of `flag_acts` (the item id, status, note,
//   actor, when).
// - A flag raised on a record that still carries it (a key twice in one run, no clear between)
//   stays one item: queue_items groups a map's key and flag (first run, last run, the newest
//   entry's id and what was done on it).
//
// Everything is in the store's transaction: a rollback drops the pending sets (Drop) and the
// database drops the rest.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/state/db/db.h"

namespace crmx::state {

// The SQL that makes the views `flag_items` (the flags in sets, one item per map, key and flag, with
// the columns of `items`) and `queue_items` (state version 10; PostgreSQL version 3) on `db`'s
// engine: the view `queued_items` (item_sets.h) and `flag_items`.
std::string QueueItemsView(const db::Connection& db);

class FlagSets {
 public:
  static constexpr int64_t kItemBase = 1000000000000;  // the item ids of flags in sets start here
  static constexpr int64_t kIdsPerSet = 10000;
  static constexpr size_t kSetSize = 4096;  // keys a set holds at most (< kIdsPerSet)
  static bool IsFlagItem(int64_t id) { return id >= kItemBase; }
  static int64_t SetOf(int64_t item) { return (item - kItemBase) / kIdsPerSet; }
  static int64_t PositionOf(int64_t item) { return (item - kItemBase) % kIdsPerSet; }

  explicit FlagSets(db::Connection& db);
  ~FlagSets();
  // Raises `flag` on `map`'s record `key` in `run`. False with `error` when the database failed.
  bool Raise(int64_t run, std::string_view map, std::string_view key, std::string_view flag, std::string& error);
  // `map`'s record `key` carries no flag from now on (until raised again).
  bool Clear(std::string_view map, std::string_view key, std::string& error);
  // Writes the pending sets and applies the clears.
  bool Flush(std::string& error);
  // Forgets the pending sets and what was cached (the transaction rolled back).
  void Drop();

 private:
  // The flags of one map and kind waiting to be written: their keys as JSON strings in `text`.
  // A clear finds a key through an open-addressing table of their hashes, built at the first
  // clear that looks into the set (a run that clears nothing, the first over a source, hashes
  // nothing) and kept from then on; a key raised again while the table is there is kept once.
  struct Pending {
    std::string map, flag;
    int64_t run = 0;
    std::string text;  // `[` and the keys' JSON strings, commas between: the set's JSON array but its `]`
    struct Entry {
      uint32_t at, size;  // in text; size 0: cleared
    };
    std::vector<Entry> entries;
    std::vector<uint32_t> slots;  // entry index + 1; 0 empty; none before the first clear
    size_t live = 0;
    // The entry of the JSON string `json` (its HashText `hash`), or -1; builds the table.
    int64_t Find(std::string_view json, uint64_t hash);
    // Adds the key text[at, at + size) (the table kept when there is one).
    void Add(uint32_t at, uint32_t size);
    // Enters entry `entry` (its key's hash `hash`) in the table.
    void Index(size_t entry, uint64_t hash);
    void Reset();
  };
  bool Write(Pending& p, std::string& error);
  bool Compact(std::string& error);
  // The latest set id a clear of `map`'s key `json` (its JSON string) reaches; 0: not cleared.
  bool ClearedUpto(const std::string& map, std::string_view json, int64_t& upto, std::string& error);
  // The id of `map`'s latest set (0: none), from the database at its first use in a transaction.
  bool LatestSet(std::string_view map, int64_t& id, std::string& error);

  db::Connection& db_;
  std::vector<std::unique_ptr<Pending>> pending_;
  Pending* last_ = nullptr;  // the set the latest flag went to: a map raises a few flags over and over
  std::unordered_map<std::string, int64_t> latest_;  // map -> its latest set id
  // The keys cleared since the last Flush, by map: JSON string -> the latest set id the clear
  // reaches; up to kMemoryClears of them, the others in the temporary table flag_clears.
  static constexpr size_t kMemoryClears = 1 << 16;
  std::unordered_map<std::string, std::unordered_map<std::string, int64_t>> cleared_;
  size_t cleared_count_ = 0;
  bool table_clears_ = false;  // flag_clears has keys cleared since the last Flush
  std::string scratch_;
  std::unique_ptr<db::Query> insert_, clear_, lookup_;
};

}  // namespace crmx::state
