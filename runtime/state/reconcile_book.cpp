// Defines the reconciliation book (reconcile_book.h).
#include "runtime/state/reconcile_book.h"

#include "runtime/state/statement.h"

namespace crmx::state {

namespace {

std::string Fail(StateStore& store, const std::string& message) { return "state " + store.path() + ": " + message; }

bool Exec(StateStore& store, const char* sql, std::string& error) {
  std::string msg;
  if (store.db().Exec(sql, msg)) return true;
  error = Fail(store, msg);
  return false;
}

}  // namespace

bool LastReconciliation(StateStore& store, const std::string& name, ReconciliationRow& out,
                        std::vector<DiscrepancyRow>& discrepancies, std::string& error) {
  out = ReconciliationRow{};
  discrepancies.clear();
  db::Connection& db = store.db();
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
  db::Connection& db = store.db();
  std::string msg;
  if (!db.Begin(msg)) {
    error = Fail(store, msg);
    return false;
  }
  auto rollback = [&] {
    db.Rollback();
    return false;
  };
  {
    Statement q(db,
                "INSERT INTO reconciliations (name, started, finished, plan_hash, matched, discrepancies, summary) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                {r.name, r.started, r.finished, r.plan_hash});
    q.Bind(5, r.matched).Bind(6, r.discrepancies).Bind(7, r.summary);
    if (q.Row()) r.id = q.Int(0);
    if (!q.Done()) {
      error = Fail(store, q.Error());
      return rollback();
    }
  }
  Statement q(db,
              "INSERT INTO discrepancies (reconciliation, kind, record_key, field, left_value, right_value, difference, "
              "tolerance, first_reconciliation, first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
              "ON CONFLICT (reconciliation, kind, record_key, field) DO UPDATE SET left_value = excluded.left_value, "
              "right_value = excluded.right_value, difference = excluded.difference, tolerance = excluded.tolerance, "
              "first_reconciliation = excluded.first_reconciliation, first_seen = excluded.first_seen");
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
    q.Reset();
  }
  if (!Exec(store, "COMMIT", error)) return rollback();
  return true;
}

}  // namespace crmx::state
