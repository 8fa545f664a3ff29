// Defines the SQLite connector: one table per object, named as the object; an INTEGER
// PRIMARY KEY column is the record's id in this system (what a write returns and a `ref`
// resolves to), the other columns are fields. The id column of a table a writer creates is
// named after the target's id field when the map does not write that field (`id` for
// NetSuite, `Id` for Salesforce), else `crmx_id`; a table created by an older crmx-run keeps
// its `id`. SQLite names are case-insensitive: a written field named as the id column in
// another case (`Id` and `id`) is refused with an explanation rather than written into it.
// A nested target field (`BillAddr.City`, plan::TargetField::path) is stored in the column
// of its first segment, holding the object as JSON text; fields sharing a first segment
// share the object; a read of a dotted projection field takes the value out with
// json_extract.
// Reads step one prepared SELECT of the projected columns, a batch at a time. A writer creates
// the table and any missing column, and upserts on the key column (a unique index) with one
// prepared statement, in one transaction committed by Commit. Values: int/bool INTEGER,
// double REAL, text TEXT, decimal TEXT (exact digits, at the target field's scale), lists and
// maps TEXT holding JSON.
#include <sqlite3.h>

#include <cctype>
#include <map>
#include <set>

#include "runtime/connectors/internal.h"
#include "runtime/connectors/nesting.h"
#include "runtime/plan/pushdown.h"

namespace crmx::connectors {

namespace {

using value::Kind;
using value::Value;

std::string Quote(const std::string& name) { return plan::QuoteSqlIdentifier(name); }

class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql) { rc_ = sqlite3_prepare_v2(db, sql.c_str(), -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_ = SQLITE_OK;
};

void Bind(sqlite3_stmt* s, int i, const Value& v, const plan::TargetField& field) {
  switch (v.kind()) {
    case Kind::kNull: sqlite3_bind_null(s, i); break;
    case Kind::kBool: sqlite3_bind_int64(s, i, v.AsBool() ? 1 : 0); break;
    case Kind::kInt: sqlite3_bind_int64(s, i, v.AsInt()); break;
    case Kind::kDouble: sqlite3_bind_double(s, i, v.AsDouble()); break;
    case Kind::kString: {
      std::string_view t = v.AsText();
      sqlite3_bind_text(s, i, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
      break;
    }
    case Kind::kDecimal: {
      std::string t;
      AppendField(t, v, field);  // exact digits, at the target's scale
      sqlite3_bind_text(s, i, t.c_str(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
      break;
    }
    case Kind::kTimestamp: {
      std::string t;
      AppendField(t, v, field);  // RFC 3339, or the day of a date field
      std::string_view text = std::string_view(t).substr(1, t.size() - 2);  // without the quotes
      sqlite3_bind_text(s, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
      break;
    }
    default: {
      std::string t;
      AppendField(t, v, field);
      sqlite3_bind_text(s, i, t.c_str(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
    }
  }
}


// A column's value as a field of `type` (a decimal stored as TEXT is read exactly). TEXT is
// copied into the batch's arena: SQLite's buffer only lives until the next step.
Value Column(sqlite3_stmt* s, int i, plan::FieldType type, const std::string& field, RecordBatch& out) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER: {
      int64_t n = sqlite3_column_int64(s, i);
      if (type == plan::FieldType::kDecimal) return Value::Dec(decimal::Decimal::FromInt(n));
      if (type == plan::FieldType::kBool) return Value::Bool(n != 0);
      if (type == plan::FieldType::kDouble) return Value::Double(static_cast<double>(n));
      return Value::Int(n);
    }
    case SQLITE_FLOAT: {
      double d = sqlite3_column_double(s, i);
      if (type == plan::FieldType::kDecimal) {
        auto r = decimal::Decimal::FromDouble(d);
        return r ? Value::Dec(*r) : Value::Error(field + ": not a finite number");
      }
      return Value::Double(d);
    }
    case SQLITE_TEXT: {
      const std::string& text = out.arena.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, i)),
                                                       static_cast<size_t>(sqlite3_column_bytes(s, i)));
      return FromText(text, type, field);
    }
    case SQLITE_BLOB:
      return Value::Bytes(std::string(static_cast<const char*>(sqlite3_column_blob(s, i)),
                                      static_cast<size_t>(sqlite3_column_bytes(s, i))));
    default: return Value::Null();
  }
}

// How a query parameter (not a target field) is bound.
const plan::TargetField kParam{};

// The number `sql` (a SELECT count(*)) counts, with `params` bound; 0 on failure.
uint64_t Count(sqlite3* db, const std::string& sql, const std::vector<Value>& params) {
  Stmt st(db, sql);
  if (!st.ok()) return 0;
  for (size_t i = 0; i < params.size(); ++i) Bind(st.get(), static_cast<int>(i + 1), params[i], kParam);
  return sqlite3_step(st.get()) == SQLITE_ROW ? static_cast<uint64_t>(sqlite3_column_int64(st.get(), 0)) : 0;
}

// What a read selects for the projected field `f`: its column, or for a dotted name whose
// first segment is a column holding JSON (`BillAddr.City`), the nested value (a decimal's
// JSON text, so its digits stay exact); NULL otherwise.
std::string ColumnExpr(const std::string& f, plan::FieldType type, const std::set<std::string>& cols) {
  if (cols.count(f)) return Quote(f);
  size_t dot = f.find('.');
  if (dot == std::string::npos || !cols.count(f.substr(0, dot))) return "NULL";
  std::string path = "$";
  for (size_t start = dot + 1;;) {
    size_t next = f.find('.', start);
    std::string part = f.substr(start, next == std::string::npos ? std::string::npos : next - start);
    path += ".\"";
    for (char c : part) {
      if (c == '"' || c == '\\') path.push_back('\\');
      if (c == '\'') path.push_back('\'');
      path.push_back(c);
    }
    path += "\"";
    if (next == std::string::npos) break;
    start = next + 1;
  }
  std::string col = Quote(f.substr(0, dot));
  std::string value = type == plan::FieldType::kDecimal ? "(" + col + " -> '" + path + "')"
                                                        : "json_extract(" + col + ", '" + path + "')";
  return "CASE WHEN json_valid(" + col + ") THEN " + value + " END";
}

class SqliteReader : public RecordReader {
 public:
  SqliteReader(sqlite3* db, const ReadRequest& req) : db_(db), req_(req) {}
  ~SqliteReader() override { sqlite3_finalize(st_); }

  // The projected columns of the rows the pushdown conditions do not rule out, in rowid order.
  bool Prepare(const std::set<std::string>& cols, std::string& error) {
    plan::SqlFilter filter = plan::BuildSqlFilter(req_.pushdown, req_.fields, req_.types, cols);
    std::string from = " FROM " + Quote(req_.object);
    std::string where = filter.where.empty() ? "" : " WHERE " + filter.where;
    uint64_t all = Count(db_, "SELECT count(*)" + from, {});
    total_ = where.empty() ? all : Count(db_, "SELECT count(*)" + from + where, filter.params);
    filtered_ = all - total_;
    query_ = "SELECT rowid";
    for (size_t i = 0; i < req_.fields.size(); ++i)
      query_ += ", " + ColumnExpr(req_.fields[i], i < req_.types.size() ? req_.types[i] : plan::FieldType::kAny, cols);
    query_ += from + where + " ORDER BY rowid";
    if (sqlite3_prepare_v2(db_, query_.c_str(), -1, &st_, nullptr) != SQLITE_OK) {
      error = std::string("cannot read ") + req_.object + ": " + sqlite3_errmsg(db_);
      return false;
    }
    for (size_t i = 0; i < filter.params.size(); ++i) Bind(st_, static_cast<int>(i + 1), filter.params[i], kParam);
    return true;
  }
  uint64_t Filtered() const override { return filtered_; }
  std::string Query() const override { return query_; }

  bool Next(RecordBatch& out) override {
    out.Clear();
    out.width = req_.fields.size();
    out.file = "sqlite:" + req_.object;
    if (st_ == nullptr || finished_) return false;  // no table: nothing written yet
    while (out.size() < req_.batch) {
      int rc = sqlite3_step(st_);
      if (rc == SQLITE_DONE) {
        finished_ = true;  // stepping again would start the query over
        break;
      }
      if (rc != SQLITE_ROW) {
        error_ = std::string("cannot read ") + req_.object + ": " + sqlite3_errmsg(db_);
        return false;
      }
      out.lines.push_back(sqlite3_column_int64(st_, 0));
      for (size_t i = 0; i < req_.fields.size(); ++i)
        out.values.push_back(Column(st_, static_cast<int>(i + 1), req_.types[i], req_.fields[i], out));
      ++done_;
    }
    return out.size() > 0;
  }
  uint64_t Done() const override { return done_; }
  uint64_t Total() const override { return total_; }

 private:
  sqlite3* db_;
  ReadRequest req_;
  sqlite3_stmt* st_ = nullptr;
  bool finished_ = false;
  uint64_t done_ = 0, total_ = 0, filtered_ = 0;
  std::string query_;
};

class SqliteWriter : public RowWriter {
 public:
  SqliteWriter(sqlite3* db, const WriteRequest& req) : db_(db), req_(req) {}
  ~SqliteWriter() override {
    sqlite3_finalize(st_);
    if (in_tx_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  // The table, its columns, the unique index on the key, the upsert statement, a transaction.
  // `known`: the table's columns (empty: no table yet); `pk`: its INTEGER PRIMARY KEY column.
  bool Prepare(std::set<std::string> known, std::string pk, std::string& error) {
    const std::string& object = req_.object;
    nodes_ = NestFields(req_.fields);
    if (known.empty()) pk = RowIdColumn();
    if (pk.empty()) pk = "rowid";
    for (const FieldNode& n : nodes_) {
      if (Lower(n.name) == Lower(pk)) {
        error = "cannot write " + object + "." + n.name + ": the table's row id column is `" + pk +
                "` and SQLite column names ignore case (write into a new database: its id column is then `crmx_id`)";
        return false;
      }
    }
    if (!Exec("CREATE TABLE IF NOT EXISTS " + Quote(object) + " (" + Quote(pk) + " INTEGER PRIMARY KEY AUTOINCREMENT)", error))
      return false;
    for (const FieldNode& n : nodes_) {
      if (known.count(n.name)) continue;
      if (!Exec("ALTER TABLE " + Quote(object) + " ADD COLUMN " + Quote(n.name), error)) return false;
      known.insert(n.name);
    }
    if (!Exec("CREATE UNIQUE INDEX IF NOT EXISTS " + Quote(object + "__" + req_.key_field) + " ON " + Quote(object) +
                  " (" + Quote(req_.key_field) + ")",
              error))
      return false;
    // One parameter per column: a nested object is bound as its JSON text; when the row is
    // there already, its JSON is patched (json_patch), so members not written stay.
    std::string cols, params, updates;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      const std::string& n = nodes_[i].name;
      cols += (i ? ", " : "") + Quote(n);
      params += i ? ", ?" : "?";
      if (n == req_.key_field) continue;
      std::string value = nodes_[i].leaf() ? "excluded." + Quote(n)
                                           : "CASE WHEN json_valid(" + Quote(n) + ") THEN json_patch(" + Quote(n) +
                                                 ", excluded." + Quote(n) + ") ELSE excluded." + Quote(n) + " END";
      updates += (updates.empty() ? "" : ", ") + Quote(n) + " = " + value;
    }
    // With nothing to update, a no-op update still returns the row's id.
    if (updates.empty()) updates = Quote(req_.key_field) + " = excluded." + Quote(req_.key_field);
    std::string sql = "INSERT INTO " + Quote(object) + " (" + cols + ") VALUES (" + params + ") ON CONFLICT(" +
                      Quote(req_.key_field) + ") DO UPDATE SET " + updates + " RETURNING " + Quote(pk);
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st_, nullptr) != SQLITE_OK) {
      error = std::string("cannot write ") + object + ": " + sqlite3_errmsg(db_);
      return false;
    }
    in_tx_ = Exec("BEGIN", error);
    return in_tx_;
  }

  bool WriteOne(const Value* values, WriteResult& r, std::string& error) override {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      const FieldNode& n = nodes_[i];
      if (!n.leaf()) {
        json_.clear();
        AppendNested(json_, n.children, req_.fields, values);
        sqlite3_bind_text(st_, static_cast<int>(i + 1), json_.data(), static_cast<int>(json_.size()), SQLITE_TRANSIENT);
        continue;
      }
      if (req_.fields[n.field].name == req_.key_field && values[n.field].IsNull()) {
        sqlite3_reset(st_);
        sqlite3_clear_bindings(st_);
        r.message = "no value for the key `" + req_.key_field + "`";
        return true;
      }
      Bind(st_, static_cast<int>(i + 1), values[n.field], req_.fields[n.field]);
    }
    int rc = sqlite3_step(st_);
    bool ok = rc == SQLITE_ROW;
    if (ok) r.id = std::to_string(sqlite3_column_int64(st_, 0));
    while (rc == SQLITE_ROW) rc = sqlite3_step(st_);
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
    if (!ok || rc != SQLITE_DONE) {
      error = std::string("cannot write ") + req_.object + ": " + sqlite3_errmsg(db_);
      return false;
    }
    r.ok = true;
    return true;
  }

  bool Finish(std::string& error) override {
    if (!in_tx_) return true;
    in_tx_ = false;
    return Exec("COMMIT", error);
  }

 private:
  bool Exec(const std::string& sql, std::string& error) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      error = std::string(msg ? msg : "sqlite error") + " (" + sql + ")";
      sqlite3_free(msg);
      return false;
    }
    return true;
  }

  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  // The id column of a table this writer creates: the target's id field when the map does not
  // write it, else `crmx_id` (also when the map writes a field named `id` in any case).
  std::string RowIdColumn() const {
    bool writes_id = false, writes_plain_id = false;
    for (const FieldNode& n : nodes_) {
      writes_id = writes_id || (!req_.id_field.empty() && Lower(n.name) == Lower(req_.id_field));
      writes_plain_id = writes_plain_id || Lower(n.name) == "id";
    }
    if (!req_.id_field.empty() && !writes_id) return req_.id_field;
    return writes_plain_id || writes_id ? "crmx_id" : "id";
  }

  sqlite3* db_;
  WriteRequest req_;
  std::vector<FieldNode> nodes_;
  std::string json_;
  sqlite3_stmt* st_ = nullptr;
  bool in_tx_ = false;
};

class SqliteConnector : public Connector {
 public:
  SqliteConnector(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteConnector() override { sqlite3_close(db_); }

  std::string Describe() const override { return "sqlite " + path_; }
  // The database file as a whole (a write to any table changes it).
  std::string Fingerprint(const std::string&) const override { return FileFingerprint(path_); }

  std::unique_ptr<RecordReader> OpenReader(const ReadRequest& req, std::string& error) override {
    std::set<std::string> cols = Columns(req.object);
    auto r = std::make_unique<SqliteReader>(db_, req);
    // No table yet: nothing was ever written to this object (an ERP before its first sync).
    if (!cols.empty() && !r->Prepare(cols, error)) return nullptr;
    return r;
  }

  std::unique_ptr<RecordWriter> OpenWriter(const WriteRequest& req, std::string& error) override {
    auto w = std::make_unique<SqliteWriter>(db_, req);
    std::string pk;
    std::set<std::string> cols = Columns(req.object, &pk);
    if (!w->Prepare(std::move(cols), pk, error)) return nullptr;
    return w;
  }

 private:
  // The table's columns; `pk`, when given, receives its INTEGER PRIMARY KEY column ("" when none).
  std::set<std::string> Columns(const std::string& object, std::string* pk = nullptr) {
    std::set<std::string> cols;
    Stmt st(db_, "PRAGMA table_info(" + Quote(object) + ")");
    while (st.ok() && sqlite3_step(st.get()) == SQLITE_ROW) {
      std::string name = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 1));
      const unsigned char* type = sqlite3_column_text(st.get(), 2);
      if (pk && sqlite3_column_int(st.get(), 5) == 1 && type && std::string(reinterpret_cast<const char*>(type)) == "INTEGER")
        *pk = name;
      cols.insert(std::move(name));
    }
    return cols;
  }

  sqlite3* db_;
  std::string path_;
};

}  // namespace

std::unique_ptr<Connector> OpenSqlite(const std::string& path, std::string& error) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    error = "cannot open SQLite database `" + path + "`: " + (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return nullptr;
  }
  return std::make_unique<SqliteConnector>(db, path);
}

}  // namespace crmx::connectors
