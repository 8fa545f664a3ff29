// Defines the state's database on SQLite (db.h).
#include <sqlite3.h>

#include "runtime/state/db/db.h"

namespace crmx::state::db {

namespace {

class SqliteQuery final : public Query {
 public:
  SqliteQuery(sqlite3* db, const std::string& sql, bool keep) : db_(db) {
    ok_ = sqlite3_prepare_v3(db, sql.c_str(), -1, keep ? SQLITE_PREPARE_PERSISTENT : 0, &s_, nullptr) == SQLITE_OK;
    if (!ok_) error_ = sqlite3_errmsg(db);
  }
  ~SqliteQuery() override { sqlite3_finalize(s_); }
  bool ok() const override { return ok_; }
  std::string Error() const override { return error_.empty() ? sqlite3_errmsg(db_) : error_; }
  void BindText(int i, std::string_view t) override {
    if (ok_) sqlite3_bind_text(s_, i, t.empty() ? "" : t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
  }
  void BindView(int i, std::string_view t) override {
    // (A null pointer would bind NULL: an empty view may have one.)
    if (ok_) sqlite3_bind_text(s_, i, t.empty() ? "" : t.data(), static_cast<int>(t.size()), SQLITE_STATIC);
  }
  void BindInt(int i, int64_t v) override {
    if (ok_) sqlite3_bind_int64(s_, i, v);
  }
  void BindNull(int i) override {
    if (ok_) sqlite3_bind_null(s_, i);
  }
  bool Row() override {
    if (!ok_ || done_) return false;
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    done_ = true;
    if (rc != SQLITE_DONE) {
      ok_ = false;
      error_ = sqlite3_errmsg(db_);
      return false;
    }
    changes_ = sqlite3_changes64(db_);
    return false;
  }
  std::string_view Text(int col) const override {
    const unsigned char* t = sqlite3_column_text(s_, col);
    if (t == nullptr) return {};
    return {reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s_, col))};
  }
  int64_t Int(int col) const override { return sqlite3_column_int64(s_, col); }
  double Double(int col) const override { return sqlite3_column_double(s_, col); }
  bool Null(int col) const override { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  int Columns() const override { return sqlite3_column_count(s_); }
  std::string ColumnName(int col) const override {
    const char* n = sqlite3_column_name(s_, col);
    return n ? n : "";
  }
  int64_t Changes() const override { return changes_; }
  void Reset() override {
    if (s_ == nullptr) return;
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    ok_ = true;
    done_ = false;
    error_.clear();
    changes_ = 0;
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  bool ok_ = false;
  bool done_ = false;
  int64_t changes_ = 0;
  std::string error_;
};

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  // An open transaction (a map that failed) is rolled back by the close.
  ~SqliteConnection() override { sqlite3_close_v2(db_); }
  Engine engine() const override { return Engine::kSqlite; }
  std::unique_ptr<Query> Prepare(const std::string& sql, bool keep) override {
    return std::make_unique<SqliteQuery>(db_, sql, keep);
  }
  bool Exec(const std::string& sql, std::string& error) override {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) == SQLITE_OK) return true;
    error = msg ? msg : sqlite3_errmsg(db_);
    sqlite3_free(msg);
    return false;
  }
  bool InTransaction() const override { return sqlite3_get_autocommit(db_) == 0; }
  std::string Error() const override { return sqlite3_errmsg(db_); }
  sqlite3* handle() { return db_; }

 private:
  sqlite3* db_;
};

}  // namespace

std::unique_ptr<Connection> WrapSqlite(sqlite3* db) { return std::make_unique<SqliteConnection>(db); }

sqlite3* SqliteHandle(Connection& c) {
  auto* s = dynamic_cast<SqliteConnection*>(&c);
  return s ? s->handle() : nullptr;
}

}  // namespace crmx::state::db
