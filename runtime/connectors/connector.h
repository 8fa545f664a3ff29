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
#include "runtime/value/json_string.h"
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
  // The projection. A dotted name reads a nested value: "MetaData.LastUpdatedTime" is the
  // `LastUpdatedTime` key of the record's `MetaData` object.
  std::vector<std::string> fields;
  std::vector<plan::FieldType> types;  // per field: what its values are converted to
  size_t batch = 1024;                 // records per batch, at most
  // Conditions of the sync's `when` the read may apply (runtime/plan/pushdown.h): a record
  // one of them is false for may be left out. The SQLite connector and the API connectors put
  // them in their query; the file connectors read every line and leave them to the engine.
  std::vector<plan::SourceCondition> pushdown;
  // Change cursor: when `cursor` (one of `fields`) is set and `since` is not empty (RFC 3339),
  // the read may leave out records whose cursor is before `since` (API connectors ask the
  // system for `cursor >= since`, ordered by the cursor). The engine still compares.
  std::string cursor;
  std::string since;
  // The object's own id field per the schema ("Id", "id"), for connectors that key reads by it.
  std::string id_field;
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
  // Calls made to the system so far (requests sent, pages and logins included).
  virtual uint64_t Calls() const { return 0; }
  const std::string& error() const { return error_; }

 protected:
  std::string error_;
};

struct WriteRequest {
  std::string object;
  // The match key: the target field the map's `key` assigns (an external id: upserts by it).
  std::string key_field;
  // The fields every record supplies, in this order (the target schema's order); the key
  // field is one of them. A TargetField says how it nests (path), whether it holds another
  // record's id (reference) and the vendor's own name for it (wire).
  std::vector<plan::TargetField> fields;
  // The target object's own id field per the schema ("id" for NetSuite, "Id" for Salesforce);
  // empty when the schema names none.
  std::string id_field;
  // Records per call the plan asks for (plan::Map::write_batch); 0: the connector's default.
  size_t batch = 0;
  // At most this many requests in flight (the system's `budget concurrency K`); 0: the
  // connector's own limit.
  size_t concurrency = 0;
};

// What the target system said about one record's write.
struct WriteResult {
  uint64_t tag = 0;  // the tag the record was added with
  bool ok = false;
  // ok: the record's own id in the target system (Salesforce Id, NetSuite internal id,
  // SQLite row id, a JSONL record's id field), what a `ref` to it resolves to.
  std::string id;
  bool created = false;  // ok: created (true) or updated
  // Not ok: the system's answer, for the error queue (and for issue 9's classification).
  int http_status = 0;              // 0 when no HTTP response arrived (or not an API)
  std::string code;                 // vendor code: "REQUIRED_FIELD_MISSING", "USER_ERROR", "timeout"
  std::string message;              // the vendor's message, never a secret
  std::vector<std::string> fields;  // fields the system named
  bool retriable = false;           // the failure may succeed when sent again
  int64_t retry_after_ms = -1;      // the wait the system asked for (Retry-After), -1: none
  // "Customer: REQUIRED_FIELD_MISSING: Required fields are missing: [companyName] (companyName)".
  std::string Describe() const;
};

// Writes records in batches: Add buffers a record and, when a batch is full, sends it;
// Flush sends the rest. Every added record gets exactly one WriteResult, appended to `done`
// by the Add or Flush call that sent it. False (with `error`) only when the writer cannot go
// on at all (a local I/O failure); a failed request is a failed result per record.
class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  // Upserts the record whose key field equals this record's (`values` in the request's field
  // order; the writer copies what it keeps: `values` may borrow from the source batch).
  virtual bool Add(const value::Value* values, uint64_t tag, std::vector<WriteResult>& done, std::string& error) = 0;
  virtual bool Flush(std::vector<WriteResult>& done, std::string& error) = 0;
  // Makes the writes durable (files: renamed into place; SQLite: committed). API writes are
  // durable when their result says ok: Commit only flushes.
  virtual bool Commit(std::vector<WriteResult>& done, std::string& error) = 0;
  // Calls made to the system so far (requests sent, logins included), for the run's figures.
  virtual uint64_t Calls() const { return 0; }
  // The delivery ledger's idempotency key (state::IdempotencyKey) of the record Add is about to
  // get with `tag`: a writer whose system takes one (QuickBooks `requestid`) keeps it; the same
  // decision sent again carries the same key.
  virtual void SetIdempotencyKey(uint64_t tag, const std::string& key) {
    (void)tag;
    (void)key;
  }
};

// A writer that writes one record at a time, with its result at once (files, SQLite, the
// spec tests' memory): implements Add/Flush/Commit through WriteOne and Finish.
class RowWriter : public RecordWriter {
 public:
  bool Add(const value::Value* values, uint64_t tag, std::vector<WriteResult>& done, std::string& error) final {
    // The result is written in place (a WriteResult is large: no move per record).
    WriteResult& r = done.emplace_back();
    r.tag = tag;
    if (WriteOne(values, r, error)) return true;
    done.pop_back();
    return false;
  }
  bool Flush(std::vector<WriteResult>&, std::string&) final { return true; }
  bool Commit(std::vector<WriteResult>&, std::string& error) final { return Finish(error); }

 protected:
  // Writes one record: `r.ok` and `r.id`, or `r.ok` false with the reason in `r.message`.
  // False only when the writer cannot go on (then `error` says why).
  virtual bool WriteOne(const value::Value* values, WriteResult& r, std::string& error) = 0;
  // Makes the writes durable.
  virtual bool Finish(std::string& error) = 0;
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
  // An API: every write costs a call and stamps the record as changed in the system. The engine
  // then keeps what it last wrote per record and does not send an unchanged record again.
  virtual bool Remote() const { return false; }
  // The system's usage and limits as its last response reported them ("api-usage=25/15000"
  // from Salesforce's Sforce-Limit-Info), for the run's figures; empty when it reports none.
  virtual std::string Limits() const { return {}; }
  // What `object` looks like from outside, for a local store (files, SQLite): a text that
  // changes when anyone writes it ("ino:size:mtime" of its file; "missing"). The engine keeps it
  // after its own writes; a different one at the next run means someone else wrote or restored
  // the target. "" for an API (the engine asks it for the records instead).
  virtual std::string Fingerprint(const std::string& object) const { return {}; }
};

// "INODE:SIZE:MTIME_NS" of the file at `path`, "missing" when there is none.
std::string FileFingerprint(const std::string& path);

// Opens `where`: "sqlite:PATH", "dir:PATH", a path ending in .db/.sqlite/.sqlite3 (SQLite,
// created when missing), or an existing directory (files). Null with `error` otherwise.
std::unique_ptr<Connector> Open(const std::string& where, std::string& error);

// The value of `text` (a CSV cell, a SQLite TEXT, a JSON string) as a field of type `type`: a
// decimal field gives an exact decimal, an int field an int, a date field ("YYYY-MM-DD") a
// timestamp at midnight UTC, a datetime field (RFC 3339; also "+0000" offsets and a space for
// the "T") a timestamp; text that is not of the type gives an error value naming the field.
// Borrows `text` for string fields (inline: most fields of most records are text).
value::Value FromTypedText(std::string_view text, plan::FieldType type, std::string_view field);
inline value::Value FromText(std::string_view text, plan::FieldType type, std::string_view field) {
  if (type == plan::FieldType::kString || type == plan::FieldType::kAny) return value::Value::StringView(text);
  return FromTypedText(text, type, field);
}

// Appends `v` as JSON to `out`: no white space, strings escaped only where JSON requires it
// (`"`, `\`, control characters), decimals as numbers with their digits (`scale`, when given,
// pads to that many fraction digits, or rounds half-even when the value has more: the maps
// round explicitly, with `round`, before that could matter).
void AppendJson(std::string& out, const value::Value& v, int scale = -1);
// Appends the value of a target field: as AppendJson at the field's scale; a date field's
// value (a timestamp at midnight UTC) as "YYYY-MM-DD".
void AppendField(std::string& out, const value::Value& v, const plan::TargetField& field);
// Appends `s` as a JSON string (runtime/value/json_string.h, the one writer of JSON strings).
using value::AppendJsonString;

}  // namespace crmx::connectors
