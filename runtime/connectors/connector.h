// Defines the connectors crmx-run reads source records from and writes target records to:
// - a directory of files, one per object: `Object.jsonl` (one JSON object a line) or
//   `Object.csv` (a header line, then one record a line; empty cells are null);
// - a SQLite database, one table per object (targets written by upsert on the map's key).
//
// Reads stream: a reader hands out batches of records, so a run holds one batch at a time,
// whatever the size of the input. A read returns only the requested fields (the plan's
// projection), converted by their schema type (plan::FieldType): a SQLite read selects only
// those columns; a file read keeps only those keys of each line.
//
// Writes go through a writer per (object, key): one record at a time, made durable by Commit.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/plan/plan.h"
#include "runtime/value/value.h"

namespace crmx::connectors {

// A line that is not a record: reported with its file and line, the read goes on.
struct BadLine {
  std::string file;
  int64_t line = 0;
  std::string reason;  // "malformed JSON", "not a JSON object", "CSV line has 3 cells, the header 4"
  std::string detail;  // what the parser said, when it said more ("A string is opened, but never closed.")
};

struct ReadRequest {
  std::string object;
  std::vector<std::string> fields;     // the projection
  std::vector<plan::FieldType> types;  // per field: what its values are converted to
  size_t batch = 1024;                 // records per batch, at most
  // Conditions of the sync's `when` the read may apply (runtime/plan/pushdown.h): a record
  // one of them is false for may be left out. The SQLite connector puts them in its query;
  // the file connectors read every line anyway and leave them to the engine.
  std::vector<plan::SourceCondition> pushdown;
};

// Up to ReadRequest::batch records: field values row by row in the request's field order.
// Values may borrow text from the reader's buffers: they are valid until the reader's next
// Next() call (Value::Owned() copies one out).
struct RecordBatch {
  size_t width = 0;                   // fields per record
  std::vector<value::Value> values;   // size() * width values
  std::vector<int64_t> lines;         // per record: 1-based line (files) or rowid (SQLite)
  std::vector<BadLine> bad;           // lines of this stretch of input that are not records
  std::string file;                   // where the records come from ("Account.jsonl", "sqlite:Account")
  // Text of values that could not be borrowed (JSON strings with escapes).
  std::deque<std::string> arena;

  size_t size() const { return lines.size(); }
  const value::Value* Row(size_t i) const { return values.data() + i * width; }
  void Clear() {
    values.clear();
    lines.clear();
    bad.clear();
    arena.clear();
  }
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // Replaces `out` with the next records and bad lines. False at the end of the input (then
  // `out` is empty) or on an I/O error (then error() says what).
  virtual bool Next(RecordBatch& out) = 0;
  // Progress: input consumed so far and in all, in bytes (SQLite: rows); total 0 when unknown.
  virtual uint64_t Done() const { return 0; }
  virtual uint64_t Total() const { return 0; }
  // Records the read left out by applying ReadRequest::pushdown (known once Next returned
  // false).
  virtual uint64_t Filtered() const { return 0; }
  // What the read asks its source, for tests and `--verbose` messages ("SELECT ... FROM ...").
  virtual std::string Query() const { return {}; }
  const std::string& error() const { return error_; }

 protected:
  std::string error_;
};

struct WriteRequest {
  std::string object;
  std::string key_field;
  // The fields every record supplies, in this order (the target schema's order); the key
  // field is one of them.
  std::vector<plan::TargetField> fields;
};

class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  // Inserts or updates the record whose key field equals this record's (`values` in the
  // request's field order). `id`, when not null, receives the record's id in this system
  // (SQLite: its integer id; files: the key value).
  virtual bool Upsert(const value::Value* values, std::string* id, std::string& error) = 0;
  // Makes the writes durable (files: renamed into place; SQLite: committed).
  virtual bool Commit(std::string& error) = 0;
};

class Connector {
 public:
  virtual ~Connector() = default;
  // What this connector is, for messages: "directory data/crm", "sqlite /tmp/erp.db".
  virtual std::string Describe() const = 0;
  // Opens a read of every record of `req.object`. An object with no file is an error; a
  // database with no table for it has no records yet (a reader with nothing to read).
  virtual std::unique_ptr<RecordReader> OpenReader(const ReadRequest& req, std::string& error) = 0;
  virtual std::unique_ptr<RecordWriter> OpenWriter(const WriteRequest& req, std::string& error) = 0;
};

// Opens `where`: "sqlite:PATH", "dir:PATH", a path ending in .db/.sqlite/.sqlite3 (SQLite,
// created when missing), or an existing directory (files). Null with `error` otherwise.
std::unique_ptr<Connector> Open(const std::string& where, std::string& error);

// The value of `text` (a CSV cell, a SQLite TEXT, a JSON string) as a field of type `type`: a
// decimal field gives an exact decimal, an int field an int, a date field ("YYYY-MM-DD") a
// timestamp at midnight UTC, a datetime field (RFC 3339; also "+0000" offsets and a space for
// the "T") a timestamp; text that is not of the type gives an error value naming the field.
// Borrows `text` for string fields.
value::Value FromText(std::string_view text, plan::FieldType type, std::string_view field);

// Appends `v` as JSON to `out`: no white space, strings escaped only where JSON requires it
// (`"`, `\`, control characters), decimals as numbers with their digits (`scale`, when given,
// pads to that many fraction digits, or rounds half-even when the value has more: the maps
// round explicitly, with `round`, before that could matter).
void AppendJson(std::string& out, const value::Value& v, int scale = -1);
// Appends the value of a target field: as AppendJson at the field's scale; a date field's
// value (a timestamp at midnight UTC) as "YYYY-MM-DD".
void AppendField(std::string& out, const value::Value& v, const plan::TargetField& field);
// Appends `s` as a JSON string.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace crmx::connectors
