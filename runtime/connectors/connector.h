// Defines the connectors crmx-run reads source records from and writes target records to:
// - a directory of files, one per object: `Object.jsonl` (one JSON object a line) or
//   `Object.csv` (a header line, then one record a line; empty cells are null);
// - a SQLite database, one table per object (targets written by upsert on the map's key).
// A read returns only the requested fields (the plan's projection): a SQLite read selects
// only those columns; a file read keeps only those keys of each line.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/value/value.h"

namespace crmx::connectors {

struct Record {
  std::unordered_map<std::string, value::Value> fields;  // owned values
  std::string file;  // where it was read ("Account.jsonl", "db:Account")
  int64_t line = 0;  // 1-based line (files) or rowid (SQLite)
};

// A line that is not a record: reported with its file and line, the read goes on.
struct BadLine {
  std::string file;
  int64_t line = 0;
  std::string reason;  // "malformed JSON: ..."
};

struct ReadResult {
  std::vector<Record> records;
  std::vector<BadLine> bad;
  int64_t lines = 0;  // records + bad lines
};

class Connector {
 public:
  virtual ~Connector() = default;
  // What this connector is, for messages: "jsonl dir data/crm", "sqlite /tmp/erp.db".
  virtual std::string Describe() const = 0;
  // Reads every record of `object`, keeping only `fields` (all fields when empty). An
  // object with no file is an error; a database with no table for it has no records yet.
  virtual bool Read(const std::string& object, const std::vector<std::string>& fields, ReadResult& out,
                    std::string& error) = 0;
  // Inserts or updates the record of `object` whose `key_field` equals the record's value
  // for it. `id` receives the record's id in this system (SQLite: its integer id; files: the
  // key value).
  virtual bool Upsert(const std::string& object, const std::string& key_field,
                      const std::vector<std::pair<std::string, value::Value>>& record, std::string& id,
                      std::string& error) = 0;
  // Groups writes (one transaction per map for SQLite).
  virtual void Begin() {}
  // Makes the writes durable (rewrites files, commits).
  virtual bool Commit(std::string& error) = 0;
};

// Opens `where`: "sqlite:PATH", "dir:PATH", a path ending in .db/.sqlite/.sqlite3 (SQLite,
// created when missing), or an existing directory (files). Null with `error` otherwise.
std::unique_ptr<Connector> Open(const std::string& where, std::string& error);

// JSON text <-> values, as the connectors store them.
value::Value ValueFromJson(const std::string& json_text, bool& ok);
std::string ValueToJson(const value::Value& v);

}  // namespace crmx::connectors
