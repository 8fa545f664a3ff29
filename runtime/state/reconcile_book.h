// Defines the reconciliation book: the history `crmx-run reconcile` (runtime/watch/reconcile.h)
// keeps in the state file, over an open StateStore (which holds the state file's lock): one row
// per reconciliation (table `reconciliations`) and the discrepancies it found (table
// `discrepancies`), state version 5. docs/operations.md, "Reconciliation", says how a
// discrepancy is told new from persistent and when it is resolved.
//
// Every function is one statement or one transaction: a failure leaves the file as it was and
// says SQLite's message in `error`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/state/state.h"

namespace crmx::state {

// A discrepancy as kept: what identifies it (kind, record key, field) and what was seen.
struct DiscrepancyRow {
  std::string kind;        // "missing_left", "missing_right", "field", "duplicate_left", "duplicate_right"
  std::string record_key;  // the key as the report shows it
  std::string field;       // kind "field": the rule ("Amount ~ total"); "" otherwise
  std::string left_value, right_value, difference, tolerance;  // kind "field": as the report shows them
  // The reconciliation that first found it and when it started: an earlier one for a
  // discrepancy seen by every reconciliation of the name since; 0 and "" for a new one (set to
  // the reconciliation being added).
  int64_t first_reconciliation = 0;
  std::string first_seen;
};

struct ReconciliationRow {
  int64_t id = 0;
  std::string name;  // plan::Reconcile::name
  std::string started, finished;  // RFC 3339, UTC
  std::string plan_hash;
  int64_t matched = 0;
  int64_t discrepancies = 0;
  std::string summary;  // the reconciliation's report, as JSON
};

// The latest reconciliation named `name` (out.id 0 when there is none) and its discrepancies.
bool LastReconciliation(StateStore& store, const std::string& name, ReconciliationRow& out,
                        std::vector<DiscrepancyRow>& discrepancies, std::string& error);

// Records `r` (its id set here) and its discrepancies, in one transaction; a discrepancy whose
// first_reconciliation is 0 gets r's id and started time.
bool AddReconciliation(StateStore& store, ReconciliationRow& r, std::vector<DiscrepancyRow>& discrepancies,
                       std::string& error);

}  // namespace crmx::state
