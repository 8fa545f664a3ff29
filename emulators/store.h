// Defines the emulators' state: records per object, held in memory with exact numbers
// (exact_json.h), seeded from a directory of `Object.jsonl` files, and the journal of every
// write applied since the start (or the last reset). Not thread-safe: the server holds one
// lock around every call that reads or writes it (server.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "emulators/exact_json.h"

namespace crmx::emulate {

struct JournalEntry {
  std::string time;        // RFC 3339, UTC
  std::string object;      // "Account", "Customer"
  std::string key;         // the external id the write was keyed by ("" when none)
  std::string id;          // the record's own id (Salesforce Id, NetSuite internal id)
  std::string op;          // "created", "updated", "deleted"
  std::string request_id;  // "req-17" (the call's sequence number) or the idempotency key
};

// The `*.jsonl` files of `dir` (path and stem), sorted by name.
bool ListJsonl(const std::string& dir, std::vector<std::pair<std::string, std::string>>& out, std::string& error);

// Reads every crmx schema file (`*.json`, `crmxc schema import`/`export`'s form) in `dir` and calls
// `fn` with each object's name and definition. False with `error` for an unreadable directory
// or a file that is not a crmx schema (no `objects`).
bool ForEachSchemaObject(const std::string& dir, const std::function<void(const std::string&, const Json&)>& fn,
                         std::string& error);

class Store {
 public:
  // Reads every `*.jsonl` in `dir`: the file's stem names the object, after `canonical`
  // maps it to the schema's spelling (an empty result: the file is skipped with a note).
  // A line that is not a JSON object is skipped with a note ("Account.jsonl:7: malformed JSON").
  // False with `error` only when the directory cannot be read.
  template <typename Canonical>
  bool Seed(const std::string& dir, Canonical canonical, std::vector<std::string>& notes, std::string& error);

  std::vector<Json>& Records(const std::string& object) { return tables_[object]; }
  // Adds a record to the seed (and the records): a vendor's built-in records, kept by Reset.
  void AddSeed(const std::string& object, Json record) {
    seed_[object].push_back(record);
    tables_[object].push_back(std::move(record));
  }
  const std::map<std::string, std::vector<Json>>& Tables() const { return tables_; }
  // Back to the seed: records as loaded, journal empty.
  void Reset();

  void Log(JournalEntry entry) { journal_.push_back(std::move(entry)); }
  const std::vector<JournalEntry>& Journal() const { return journal_; }

 private:
  bool SeedFile(const std::string& path, const std::string& object, std::vector<std::string>& notes);

  std::map<std::string, std::vector<Json>> tables_;
  std::map<std::string, std::vector<Json>> seed_;
  std::vector<JournalEntry> journal_;
};

// Now as the vendors write it: "2024-09-02T19:40:10.000+0000" (Salesforce) and
// "2024-09-02T19:40:10Z" (NetSuite REST, journal).
std::string NowSalesforce();
std::string NowRfc3339();

template <typename Canonical>
bool Store::Seed(const std::string& dir, Canonical canonical, std::vector<std::string>& notes, std::string& error) {
  std::vector<std::pair<std::string, std::string>> files;  // path, stem
  if (!ListJsonl(dir, files, error)) return false;
  for (const auto& [path, stem] : files) {
    std::string object = canonical(stem);
    if (object.empty()) {
      notes.push_back(path + ": no schema for object `" + stem + "`, skipped");
      continue;
    }
    SeedFile(path, object, notes);
  }
  seed_ = tables_;
  return true;
}


}  // namespace crmx::emulate
