// Defines Statement, the one-off prepared SQLite statement of the state store and the queue
// book: binds texts and integers by position (1-based), steps through rows, is finalized when it
// goes. A failure to prepare or to step is kept (ok()); the caller records SQLite's message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <initializer_list>
#include <string>

namespace crmx::state {

class Statement {
 public:
  // `texts`: bound to the first parameters, in order.
  Statement(sqlite3* db, const std::string& sql, std::initializer_list<std::string> texts = {}) : db_(db) {
    ok_ = sqlite3_prepare_v2(db, sql.c_str(), -1, &s_, nullptr) == SQLITE_OK;
    int i = 0;
    for (const std::string& t : texts) Bind(++i, t);
  }
  ~Statement() { sqlite3_finalize(s_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& Bind(int i, const std::string& t) {
    if (ok_) sqlite3_bind_text(s_, i, t.c_str(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int i, int64_t v) {
    if (ok_) sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  // Steps to the next row: false when there is none, or on an error (then ok() is false).
  bool Row() {
    if (!ok_) return false;
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    ok_ = rc == SQLITE_DONE;
    return false;
  }
  // Runs a statement that returns no rows: false on an error.
  bool Done() {
    while (Row()) {
    }
    return ok_;
  }
  bool ok() const { return ok_; }
  std::string Text(int col) const {
    const unsigned char* t = sqlite3_column_text(s_, col);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  bool Null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string Error() const { return sqlite3_errmsg(db_); }
  sqlite3_stmt* get() { return s_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  bool ok_ = false;
};

}  // namespace crmx::state
