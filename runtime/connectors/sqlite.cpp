// Defines the SQLite connector: one table per object, named as the object; column `id`
// (INTEGER PRIMARY KEY) is the record's id in this system, the other columns are fields.
// Writing creates the table and any missing column, and upserts on the key column (a unique
// index). Values: int/bool INTEGER, double REAL, text TEXT, decimal TEXT (exact digits),
// lists and maps TEXT holding JSON.
#include <sqlite3.h>

#include <map>
#include <set>

#include "runtime/connectors/internal.h"

namespace crmx::connectors {

namespace {

using value::Kind;
using value::Value;

std::string Quote(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

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

void Bind(sqlite3_stmt* s, int i, const Value& v) {
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
      std::string t = v.AsDecimal().ToString();
      sqlite3_bind_text(s, i, t.c_str(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
      break;
    }
    default: {
      std::string t = ToJson(v).dump();
      sqlite3_bind_text(s, i, t.c_str(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
    }
  }
}

Value Column(sqlite3_stmt* s, int i) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER: return Value::Int(sqlite3_column_int64(s, i));
    case SQLITE_FLOAT: return Value::Double(sqlite3_column_double(s, i));
    case SQLITE_TEXT:
      return Value::String(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, i)),
                                       static_cast<size_t>(sqlite3_column_bytes(s, i))));
    case SQLITE_BLOB:
      return Value::Bytes(std::string(static_cast<const char*>(sqlite3_column_blob(s, i)),
                                      static_cast<size_t>(sqlite3_column_bytes(s, i))));
    default: return Value::Null();
  }
}

class SqliteConnector : public Connector {
 public:
  SqliteConnector(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteConnector() override { sqlite3_close(db_); }

  std::string Describe() const override { return "sqlite " + path_; }

  bool Read(const std::string& object, const std::vector<std::string>& fields, ReadResult& out,
            std::string& error) override {
    std::set<std::string> cols = Columns(object);
    // No table yet: nothing was ever written to this object (an ERP before its first sync).
    if (cols.empty()) return true;
    std::vector<std::string> want = fields;
    if (want.empty()) want.assign(cols.begin(), cols.end());
    std::string sql = "SELECT rowid";
    for (const std::string& f : want) sql += ", " + (cols.count(f) ? Quote(f) : std::string("NULL"));
    sql += " FROM " + Quote(object) + " ORDER BY rowid";
    Stmt st(db_, sql);
    if (!st.ok()) {
      error = std::string("cannot read ") + object + ": " + sqlite3_errmsg(db_);
      return false;
    }
    while (sqlite3_step(st.get()) == SQLITE_ROW) {
      Record r;
      r.file = "sqlite:" + object;
      r.line = sqlite3_column_int64(st.get(), 0);
      for (size_t i = 0; i < want.size(); ++i) r.fields.emplace(want[i], Column(st.get(), static_cast<int>(i + 1)));
      out.records.push_back(std::move(r));
      ++out.lines;
    }
    return true;
  }

  bool Upsert(const std::string& object, const std::string& key_field,
              const std::vector<std::pair<std::string, Value>>& record, std::string& id, std::string& error) override {
    if (!Ensure(object, key_field, record, error)) return false;
    const Value* key = nullptr;
    for (const auto& [k, v] : record) if (k == key_field) key = &v;
    if (key == nullptr || key->IsNull()) {
      error = "no value for the key `" + key_field + "`";
      return false;
    }
    std::string cols, params, updates;
    for (size_t i = 0; i < record.size(); ++i) {
      cols += (i ? ", " : "") + Quote(record[i].first);
      params += i ? ", ?" : "?";
      if (record[i].first != key_field)
        updates += (updates.empty() ? "" : ", ") + Quote(record[i].first) + " = excluded." + Quote(record[i].first);
    }
    std::string sql = "INSERT INTO " + Quote(object) + " (" + cols + ") VALUES (" + params + ") ON CONFLICT(" +
                      Quote(key_field) + ") DO " + (updates.empty() ? "NOTHING" : "UPDATE SET " + updates);
    Stmt st(db_, sql);
    if (!st.ok()) {
      error = std::string("cannot write ") + object + ": " + sqlite3_errmsg(db_);
      return false;
    }
    for (size_t i = 0; i < record.size(); ++i) Bind(st.get(), static_cast<int>(i + 1), record[i].second);
    if (sqlite3_step(st.get()) != SQLITE_DONE) {
      error = std::string("cannot write ") + object + ": " + sqlite3_errmsg(db_);
      return false;
    }
    Stmt q(db_, "SELECT id FROM " + Quote(object) + " WHERE " + Quote(key_field) + " = ?");
    Bind(q.get(), 1, *key);
    if (sqlite3_step(q.get()) != SQLITE_ROW) {
      error = "the record just written to " + object + " cannot be found again";
      return false;
    }
    id = std::to_string(sqlite3_column_int64(q.get(), 0));
    return true;
  }

  void Begin() override {
    if (!in_tx_) in_tx_ = sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK;
  }

  bool Commit(std::string& error) override {
    if (!in_tx_) return true;
    in_tx_ = false;
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      error = std::string("commit failed: ") + sqlite3_errmsg(db_);
      return false;
    }
    return true;
  }

 private:
  std::set<std::string> Columns(const std::string& object) {
    std::set<std::string> cols;
    Stmt st(db_, "PRAGMA table_info(" + Quote(object) + ")");
    while (st.ok() && sqlite3_step(st.get()) == SQLITE_ROW)
      cols.insert(reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 1)));
    return cols;
  }

  bool Exec(const std::string& sql, std::string& error) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      error = std::string(msg ? msg : "sqlite error") + " (" + sql + ")";
      sqlite3_free(msg);
      return false;
    }
    return true;
  }

  // The table, its columns and the unique index on the key.
  bool Ensure(const std::string& object, const std::string& key_field,
              const std::vector<std::pair<std::string, Value>>& record, std::string& error) {
    std::set<std::string>& known = columns_[object];
    bool missing = known.empty();
    for (const auto& [k, v] : record) missing = missing || !known.count(k);
    if (!missing) return true;
    if (!Exec("CREATE TABLE IF NOT EXISTS " + Quote(object) + " (id INTEGER PRIMARY KEY AUTOINCREMENT)", error))
      return false;
    known = Columns(object);
    for (const auto& [k, v] : record) {
      if (known.count(k)) continue;
      if (!Exec("ALTER TABLE " + Quote(object) + " ADD COLUMN " + Quote(k), error)) return false;
      known.insert(k);
    }
    return Exec("CREATE UNIQUE INDEX IF NOT EXISTS " + Quote(object + "__" + key_field) + " ON " + Quote(object) +
                    " (" + Quote(key_field) + ")",
                error);
  }

  sqlite3* db_;
  std::string path_;
  bool in_tx_ = false;
  std::map<std::string, std::set<std::string>> columns_;
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
