// Defines Statement, the one-off prepared statement of the state store and its books, on either
// database (runtime/state/db/db.h): binds texts and integers by position (1-based), steps
// through rows, is dropped when it goes. A failure to prepare or to run is kept (ok()); the caller
// records the database's message (Error()).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

#include "runtime/state/db/db.h"

namespace crmx::state {

// The statement kept in `slot` (prepared with Connection::Prepare's keep at its first use), or null
// with the database's message in `error` (the slot emptied: the next call prepares again).
inline db::Query* Kept(db::Connection& db, std::unique_ptr<db::Query>& slot, const std::string& sql,
                       std::string& error) {
  if (!slot) slot = db.Prepare(sql, true);
  if (slot->ok()) return slot.get();
  error = slot->Error();
  slot.reset();
  return nullptr;
}

// Steps the kept statement `q` (Connection::Prepare's keep) to its end and resets it for its next
// use; `first`: the first column of its first row (a RETURNING id). False with the database's
// message in `error`.
inline bool RunKept(db::Query* q, std::string& error, int64_t* first = nullptr) {
  bool row = q->Row();
  if (row && first != nullptr) *first = q->Int(0);
  while (row) row = q->Row();
  bool ok = q->ok();
  if (!ok) error = q->Error();
  q->Reset();
  return ok;
}

class Statement {
 public:
  // `texts`: bound to the first parameters, in order.
  Statement(db::Connection& db, const std::string& sql, std::initializer_list<std::string> texts = {})
      : q_(db.Prepare(sql)) {
    int i = 0;
    for (const std::string& t : texts) Bind(++i, t);
  }
  Statement& Bind(int i, const std::string& t) {
    q_->BindText(i, t);
    return *this;
  }
  Statement& Bind(int i, const char* t) { return Bind(i, std::string(t)); }
  Statement& Bind(int i, int64_t v) {
    q_->BindInt(i, v);
    return *this;
  }
  Statement& BindNull(int i) {
    q_->BindNull(i);
    return *this;
  }
  // Steps to the next row: false when there is none, or on an error (then ok() is false).
  bool Row() { return q_->Row(); }
  // Runs a statement that returns no rows: false on an error.
  bool Done() {
    while (Row()) {
    }
    return ok();
  }
  // Ready to run again with new parameters.
  void Reset() { q_->Reset(); }
  bool ok() const { return q_->ok(); }
  std::string Text(int col) const { return std::string(q_->Text(col)); }
  int64_t Int(int col) const { return q_->Int(col); }
  double Double(int col) const { return q_->Double(col); }
  bool Null(int col) const { return q_->Null(col); }
  int64_t Changes() const { return q_->Changes(); }
  int Columns() const { return q_->Columns(); }
  std::string ColumnName(int col) const { return q_->ColumnName(col); }
  std::string Error() const { return q_->Error(); }

 private:
  std::unique_ptr<db::Query> q_;
};

}  // namespace crmx::state
