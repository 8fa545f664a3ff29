// Defines the reconciliation book (reconcile_book.h).
#include "runtime/state/reconcile_book.h"

#include <sqlite3.h>

#include "runtime/state/statement.h"

namespace crmx::state {

namespace {

std::string Fail(StateStore& store, const std::string& message) { return "state " + store.path() + ": " + message; }

bool Exec(StateStore& store, const char* sql, std::string& error) {
  char* msg = nullptr;
  if (sqlite3_exec(store.db(), sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
  error = Fail(store, msg ? msg : sqlite3_errmsg(store.db()));
  sqlite3_free(msg);
  return false;
}

}  // namespace

bool LastReconciliation(StateStore& store, const std::string& name, ReconciliationRow& out,
                        std::vector<DiscrepancyRow>& discrepancies, std::string& error) {
  out = ReconciliationRow{};
  discrepancies.clear();
  sqlite3* db = store.db();
  {
    Statement q(db,
                "SELECT id, name, started, finished, plan_hash, matched, discrepancies, summary FROM reconciliations "
                "WHERE name = ? ORDER BY id DESC LIMIT 1",
                {name});
    if (q.Row()) {
      out = ReconciliationRow{q.Int(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Int(5), q.Int(6), q.Text(7)};
    } else if (!q.ok()) {
      error = Fail(store, q.Error());
      return false;
    }
  }
  if (out.id == 0) return true;
  Statement q(db,
              "SELECT kind, record_key, field, left_value, right_value, difference, tolerance, first_reconciliation, "
              "first_seen FROM discrepancies WHERE reconciliation = ? ORDER BY kind, record_key, field");
  q.Bind(1, out.id);
  while (q.Row())
    discrepancies.push_back(DiscrepancyRow{q.Text(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5),
                                           q.Text(6), q.Int(7), q.Text(8)});
  if (!q.ok()) {
    error = Fail(store, q.Error());
    return false;
  }
  return true;
}

bool AddReconciliation(StateStore& store, ReconciliationRow& r, std::vector<DiscrepancyRow>& discrepancies,
                       std::string& error) {
  sqlite3* db = store.db();
  if (!Exec(store, "BEGIN IMMEDIATE", error)) return false;
  auto rollback = [&] {
    std::string ignored;
    if (!sqlite3_get_autocommit(db)) Exec(store, "ROLLBACK", ignored);
    return false;
  };
  {
    Statement q(db,
                "INSERT INTO reconciliations (name, started, finished, plan_hash, matched, discrepancies, summary) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                {r.name, r.started, r.finished, r.plan_hash});
    q.Bind(5, r.matched).Bind(6, r.discrepancies).Bind(7, r.summary);
    if (!q.Done()) {
      error = Fail(store, q.Error());
      return rollback();
    }
  }
  r.id = sqlite3_last_insert_rowid(db);
  Statement q(db,
              "INSERT OR REPLACE INTO discrepancies (reconciliation, kind, record_key, field, left_value, right_value, difference, "
              "tolerance, first_reconciliation, first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (DiscrepancyRow& d : discrepancies) {
    if (d.first_reconciliation == 0) {
      d.first_reconciliation = r.id;
      d.first_seen = r.started;
    }
    q.Bind(1, r.id).Bind(2, d.kind).Bind(3, d.record_key).Bind(4, d.field).Bind(5, d.left_value);
    q.Bind(6, d.right_value).Bind(7, d.difference).Bind(8, d.tolerance).Bind(9, d.first_reconciliation);
    q.Bind(10, d.first_seen);
    if (!q.Done()) {
      error = Fail(store, q.Error());
      return rollback();
    }
    sqlite3_reset(q.get());
  }
  if (!Exec(store, "COMMIT", error)) return rollback();
  return true;
}

}  // namespace crmx::state
