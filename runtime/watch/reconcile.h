// Defines reconciliation, what `crmx-run reconcile` runs (docs/operations.md,
// "Reconciliation"): a plan's `reconcile` read from both systems, records matched by the key
// pairs, each rule's two values compared with the exact decimals of runtime/decimal (never a
// double), and the discrepancies told new, persistent or resolved against the previous
// reconciliation of the same name kept in the state file. Rendering is report.h.
//
// The phases, one entry point each, in order:
//   ReadSide  one side's records through its connector, projected, each evaluated on the VM:
//             its key, its value of every rule, and whether the other side should have it;
//   Match     the two sides matched: matched, missing on either side, fields out of
//             tolerance, keys found more than once;
//   Classify  against what the state knows: records in a queue of a carrying map (known, not
//             discrepancies), and the previous reconciliation (new, persistent, resolved);
//   Keep      reads the state for Classify and records the reconciliation in it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "runtime/connectors/connector.h"
#include "runtime/plan/plan.h"
#include "runtime/state/reconcile_book.h"
#include "runtime/state/state.h"
#include "runtime/value/value.h"

namespace crmx::watch {

// One record of a side, evaluated.
struct SideRecord {
  std::string key;                   // the key values joined (what records match on); "" without one
  std::string shown_key;             // the same for people: the values ", "-separated
  std::vector<value::Value> values;  // per rule of the reconcile: this side's value (owned)
  // The other side should have it: the carrying map's `when` holds for it (or cannot say), or
  // the side has no carrying map (plan::ReconcileSide::carried_by).
  bool expected = true;
};

struct SideData {
  std::vector<SideRecord> records;
  size_t without_key = 0;          // records whose key is null or failed: not matched
  std::vector<std::string> notes;  // unreadable lines, keys that failed (the first few)
  uint64_t calls = 0;              // API calls the read made
};

// Reads side `left` (else the right side) of `r` through `connector`. False with `error` when
// the system cannot be read.
bool ReadSide(const plan::Plan& p, const plan::Reconcile& r, bool left, connectors::Connector& connector, SideData& out,
              std::string& error);

// How one rule's two values compare.
struct Comparison {
  bool within = true;
  // right - left with its sign, and relative to the left value when that is not 0:
  // "+1840.00 (+2.00%)"; "" when the two are not both numbers.
  std::string difference;
  // The rule's tolerance: "exact", "100", "2% (1840.00)" (a percentage with the amount it
  // allows for this left value).
  std::string tolerance;
};

// Compares `left` and `right` under `rule`. Numbers (int, uint, double, decimal) compare as
// exact decimals: `within P%` holds when |right - left| * 100 <= |left| * P (so at a left
// value of 0 only a right value of 0 is within), `within N` when |right - left| <= N, no
// `within` when they are equal by value (1.5 == 1.50). Other values are equal or not (a
// tolerance does not apply to them); null equals only null; an error value is never within.
Comparison Compare(const value::Value& left, const value::Value& right, const plan::ReconcileRule& rule);

// A value as a report shows it: decimals with their digits ("92000.00"), text as it is, null
// as "null", an error as "error: REASON".
std::string ValueText(const value::Value& v);

// Where a discrepancy stands against the previous reconciliation of the same name.
struct Seen {
  bool persistent = false;           // the previous reconciliation found it too
  int64_t since_reconciliation = 0;  // the reconciliation that first found it (0: this one, not recorded yet)
  std::string since;                 // when that one started (RFC 3339); "" for a new one
};

struct Missing {
  std::string key;
  Seen seen;
};

struct FieldDiscrepancy {
  std::string key;
  size_t rule = 0;  // index in plan::Reconcile::rules
  std::string left, right;  // ValueText of each side's value
  std::string difference, tolerance;  // Comparison's
  bool left_null = false, right_null = false;  // the value was null (JSON says null, not "null")
  Seen seen;
};

struct Duplicate {
  bool left = true;  // the side holding the key more than once
  std::string key;
  size_t count = 0;
  Seen seen;
};

// A discrepancy crmx already tracks: its key is open in a queue of a map carrying the records
// between the two objects (a held order, a dead letter). Listed, not counted.
struct Known {
  std::string kind;  // as DiscrepancyKind: "missing_right", "field", ...
  std::string key;
  std::string field;  // kind "field": the rule's text
  std::string map, queue, reason;
};

// A discrepancy of the previous reconciliation that this one no longer finds.
struct Resolved {
  std::string kind, key, field;
  int64_t since_reconciliation = 0;
  std::string since;
};

struct Result {
  const plan::Reconcile* spec = nullptr;  // borrowed from the plan, which outlives the result
  std::string started;                    // RFC 3339, UTC
  int64_t id = 0;                         // in the state file; 0 when not recorded
  int64_t previous_id = 0;                // the previous reconciliation of the name; 0 when none
  std::string previous_started;
  size_t left_read = 0, right_read = 0;
  size_t left_without_key = 0, right_without_key = 0;
  uint64_t left_calls = 0, right_calls = 0;
  size_t matched = 0;
  // Unmatched records the carrying map's `when` leaves out: the other side is not expected to
  // have them (an open opportunity has no sales order).
  size_t left_not_expected = 0, right_not_expected = 0;
  std::vector<Missing> missing_left;   // keys the right side has and the left does not
  std::vector<Missing> missing_right;  // keys the left side has and the right does not
  std::vector<FieldDiscrepancy> fields;
  std::vector<Duplicate> duplicates;
  std::vector<Known> known;
  std::vector<Resolved> resolved;
  std::vector<std::string> notes;

  size_t Discrepancies() const { return missing_left.size() + missing_right.size() + fields.size() + duplicates.size(); }
  size_t Persistent() const;
};

// Matches the two sides' records (the first record of a key that a side has more than once).
// Lists are sorted by key.
Result Match(const plan::Reconcile& r, const SideData& left, const SideData& right);

// The open queue items of the carrying maps: map -> record key -> (queue, first reason).
using OpenItems = std::map<std::string, std::map<std::string, std::pair<std::string, std::string>>>;

// Moves the discrepancies whose key is open in a carrying map's queue to `known`, then marks
// the others new or persistent against `previous` (the previous reconciliation's rows) and
// lists as resolved what `previous` had and this one does not find at all.
void Classify(Result& result, const OpenItems& open, const state::ReconciliationRow& previous_row,
              const std::vector<state::DiscrepancyRow>& previous);

// The result's discrepancies as the state keeps them (kind, key, field, values, since).
std::vector<state::DiscrepancyRow> Rows(const Result& result);

// Reads what Classify needs from `store` (the carrying maps' open items, the previous
// reconciliation), classifies, and records the reconciliation (reconcile_book.h). False with
// `error` when the state cannot be read or written.
bool Keep(state::StateStore& store, const std::string& plan_hash, Result& result, std::string& error);

// Reads both sides of `r` from `systems` and matches them (not classified, not kept). False with
// `error` when a system is missing or cannot be read.
bool Reconcile(const plan::Plan& p, const plan::Reconcile& r, const std::map<std::string, connectors::Connector*>& systems,
               Result& out, std::string& error);

}  // namespace crmx::watch
