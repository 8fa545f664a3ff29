// Defines the in-memory connector the spec tests run on: one system's objects held as lists of
// records, the test's `given` records to start with. It behaves as a connector of crmx-run
// does (runtime/connectors/connector.h), so the engine runs a plan on it unchanged:
// - a read returns the requested fields only, converted by their types as the JSON Lines
//   reader converts a line's values (a number in a decimal field becomes an exact decimal,
//   text in an int field is parsed), in batches of the requested size; an object with no
//   records reads as empty (like a SQLite table not created yet); the pushdown conditions are
//   not applied (the file connectors do not apply them either), so a record a `when` skips is
//   skipped by the engine with that conjunct's reason, which a failing test then shows;
// - a write upserts by the key field: a record written again gets the new values of the
//   written fields and keeps its others; fields nest by their path (`BillAddr.City`); a
//   target with an id field the map does not write gets ids "1", "2", ... per object (as
//   the JSON Lines writer numbers them), what a `ref` to the record resolves to; the writes
//   become readable at Commit, as a
//   directory's file is renamed into place then. Every upsert is also kept, in order, for the
//   tests' expectations.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/connectors/connector.h"
#include "runtime/connectors/nesting.h"

namespace crmx::spectest {

// A record: field name -> value (owned), in the order the fields were given or written.
using Fields = std::vector<std::pair<std::string, value::Value>>;

// One upsert a map made.
struct Write {
  std::string object;
  std::string key;  // the key value's text
  Fields fields;    // every field the map writes, in the target's order
};

class MemoryConnector : public connectors::Connector {
 public:
  explicit MemoryConnector(std::string system) : system_(std::move(system)) {}

  // Adds a record of `object` (a test's `given`).
  void Add(const std::string& object, Fields record);

  std::string Describe() const override { return "memory system " + system_; }
  std::unique_ptr<connectors::RecordReader> OpenReader(const connectors::ReadRequest& req,
                                                       std::string& error) override;
  std::unique_ptr<connectors::RecordWriter> OpenWriter(const connectors::WriteRequest& req,
                                                       std::string& error) override;

  const std::string& system() const { return system_; }
  // Every upsert made through this connector's writers, in the order they were made.
  const std::vector<Write>& writes() const { return writes_; }
  // The records of `object` now (given, and written and committed).
  const std::vector<Fields>& Records(const std::string& object) { return objects_[object]; }

 private:
  friend class MemoryWriter;
  // Upserts `record` into `object` by `key_field` (the writers' Commit). `nodes` (may be null):
  // how the writer nested the fields; a nested object is merged member by member.
  void Upsert(const std::string& object, const std::string& key_field, const Fields& record,
              const std::vector<connectors::FieldNode>* nodes = nullptr);
  // The id (`id_field`) of `object`'s record whose key is `key`: the one it has, else the next
  // of "1", "2", ... (after the largest numeric id of the object's records).
  std::string IdOf(const std::string& object, const std::string& key_field, const std::string& id_field,
                   const std::string& key);

  std::string system_;
  std::map<std::string, std::vector<Fields>> objects_;
  std::vector<Write> writes_;
  std::map<std::string, std::map<std::string, std::string>> ids_;  // object -> key -> id assigned
  std::map<std::string, uint64_t> next_id_;                        // object -> the last number used
};

// `v` as a field of type `type` reads from a JSON Lines file: what the connectors make of
// the value written as JSON (`field` names it in error values).
value::Value ConvertAsRead(const value::Value& v, plan::FieldType type, const std::string& field);

}  // namespace crmx::spectest
