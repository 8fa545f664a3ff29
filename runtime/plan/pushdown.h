// Defines what connectors do with a sync's pushdown conditions (plan::SourceCondition, the
// `when` conjuncts `FIELD OP CONSTANT` on the source object's own fields): evaluate them over
// a record's field values (the file connectors), or turn them into a SQL WHERE clause with
// bound parameters (the SQLite connector).
//
// The rule both keep: a record is left out only when a condition is certainly false for it,
// that is when the `when` conjunct it came from evaluates to `false` on the VM. A condition
// that would be an error (a field that failed to convert, a comparison with no overload) keeps
// the record: the engine, which evaluates the full `when` anyway, decides what happens to it.
// So pushdown narrows what is read and never changes which records are written.
//
// Pure functions and a value type; no I/O.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runtime/plan/plan.h"

namespace crmx::plan {

// "==", "!=", "<", "<=", ">", ">=", "in": the plan file's spelling.
const char* FilterOpName(FilterOp op);
// "=", "<>", "<", "<=", ">", ">=", "IN": SQL's spelling (SQLite, SuiteQL; SOQL takes them too).
const char* SqlOperator(FilterOp op);
bool ParseFilterOp(const std::string& name, FilterOp& out);

// The condition applied to one field value, exactly as the VM's `==`, `<`, `in`, ...
// compute it: true, false, or nullopt when the VM's result is an error.
std::optional<bool> Evaluate(const SourceCondition& c, const value::Value& field_value);

// The conditions bound to the field order of a read (connectors::ReadRequest::fields). A
// condition on a field the read does not return sees null, as the engine does.
class RowFilter {
 public:
  RowFilter() = default;
  RowFilter(const std::vector<SourceCondition>& conditions, const std::vector<std::string>& fields);

  bool empty() const { return bound_.empty(); }
  // False when some condition is false for the record whose field values are `row` (one per
  // field of the read, in order): the read may leave the record out.
  bool MayPass(const value::Value* row) const;

 private:
  struct Bound {
    SourceCondition condition;
    long column = -1;  // index into the row; -1: not read (null)
  };
  std::vector<Bound> bound_;
};

// A WHERE clause for a SQLite read. `where` is a boolean SQL expression (empty: nothing to
// push down) over the table's columns, with one `?` per element of `params`, in order;
// `params` are ints, doubles and strings, bound with sqlite3_bind_int64/double/text.
struct SqlFilter {
  std::string where;
  std::vector<value::Value> params;
};

// The SQLite form of `conditions` for a read of `fields` converted by `types` (the read's
// projection: connectors::ReadRequest::fields and ::types) from a table whose columns are
// `columns` (a field that is no column reads as NULL). A condition becomes
//   CASE WHEN "F" IS NULL THEN <its result on null> WHEN <F stores the constant's kind> THEN
//   "F" OP ? ELSE 1 END
// so a row is dropped only where SQLite's comparison is CEL's: SQL NULL (null), and a stored
// value the connector reads back unchanged as the constant's kind: TEXT in a string field (a
// string; compared with COLLATE BINARY, CEL's bytewise order), INTEGER in an int field (an
// int), REAL in a double field (a double), INTEGER 0 or 1 in a bool field (false, true); in a
// field of type `any`, each of TEXT, INTEGER and REAL. Anything else (a decimal, a date, text
// a conversion parses) keeps the row and is left to the engine.
SqlFilter BuildSqlFilter(const std::vector<SourceCondition>& conditions, const std::vector<std::string>& fields,
                         const std::vector<FieldType>& types, const std::set<std::string>& columns);

// `"name"` with `"` doubled: a SQLite identifier.
std::string QuoteSqlIdentifier(const std::string& name);

}  // namespace crmx::plan
