// Defines the pushdown conditions' evaluator and SQL builder (pushdown.h).
#include "runtime/plan/pushdown.h"

#include <algorithm>
#include <cmath>

namespace crmx::plan {

namespace {

using value::Kind;
using value::Value;

constexpr FilterOp kOps[] = {FilterOp::kEq, FilterOp::kNe, FilterOp::kLt, FilterOp::kLe,
                             FilterOp::kGt, FilterOp::kGe, FilterOp::kIn};

// A SQLite storage class whose values the connector reads back unchanged as one CEL kind.
struct StorageClass {
  const char* guard;  // SQL over "F" (written as %F): the stored value is of this class
  Kind kind;          // the CEL kind the connector reads it as
};

// The storage classes a field of type `t` reads back unchanged (the SQLite connector's
// conversion: runtime/connectors/sqlite.cpp). Other classes keep their rows.
std::vector<StorageClass> UnchangedClasses(FieldType t) {
  StorageClass text{"typeof(%F) = 'text'", Kind::kString};
  StorageClass integer{"typeof(%F) = 'integer'", Kind::kInt};
  StorageClass real{"typeof(%F) = 'real'", Kind::kDouble};
  switch (t) {
    case FieldType::kString: return {text};
    case FieldType::kInt: return {integer};
    case FieldType::kDouble: return {real};
    // Bools are stored as 0 and 1; other integers are left to the connector's conversion.
    case FieldType::kBool: return {{"typeof(%F) = 'integer' AND %F IN (0, 1)", Kind::kBool}};
    case FieldType::kAny: return {text, integer, real};
    default: return {};
  }
}

std::string Substitute(const char* pattern, const std::string& column) {
  std::string out;
  for (const char* p = pattern; *p; ++p) {
    if (p[0] == '%' && p[1] == 'F') {
      out += column;
      ++p;
    } else {
      out += *p;
    }
  }
  return out;
}

// A constant as a parameter of a column of `kind` (bools are stored as 0 and 1).
Value Param(const Value& v) { return v.kind() == Kind::kBool ? Value::Int(v.AsBool() ? 1 : 0) : v; }

bool Bindable(const Value& v) { return v.kind() != Kind::kDouble || std::isfinite(v.AsDouble()); }

// `F IN (...)` for a value of `kind`: the elements of that kind (others never equal it), or
// nothing when an element of another number kind could equal it (1 == 1.0 in CEL) and SQLite
// would have to agree on how.
std::optional<std::string> InSql(const std::string& column, Kind kind, const Value& list, SqlFilter& out) {
  if (list.kind() != Kind::kList) return std::nullopt;
  std::vector<Value> same;
  for (const Value& x : list.AsList()) {
    if (x.kind() == kind) {
      if (Bindable(x)) same.push_back(x);
    } else if (x.IsNumber() && (kind == Kind::kInt || kind == Kind::kDouble)) {
      return std::nullopt;
    }
  }
  if (same.empty()) return std::string("0");
  std::string sql = column + (kind == Kind::kString ? " COLLATE BINARY IN (" : " IN (");
  for (size_t i = 0; i < same.size(); ++i) {
    sql += i ? ", ?" : "?";
    out.params.push_back(Param(same[i]));
  }
  return sql + ")";
}

// What the condition is for a stored value of `cls`, in SQL; nothing when SQLite cannot
// decide it the way the VM would (the row is then kept).
std::optional<std::string> BranchSql(const SourceCondition& c, const std::string& column, const StorageClass& cls,
                                     SqlFilter& out) {
  const Value& k = c.value;
  if (c.op == FilterOp::kIn) return InSql(column, cls.kind, k, out);
  // A stored value of a known kind is never null.
  if (k.IsNull() && c.op == FilterOp::kEq) return std::string("0");
  if (k.IsNull() && c.op == FilterOp::kNe) return std::string("1");
  if (k.kind() != cls.kind || !Bindable(k)) return std::nullopt;
  out.params.push_back(Param(k));
  return column + " " + SqlOperator(c.op) + " ?" + (cls.kind == Kind::kString ? " COLLATE BINARY" : "");
}

// The SQL of one condition, or nothing when it keeps every row.
std::optional<std::string> ConditionSql(const SourceCondition& c, FieldType type, bool is_column, SqlFilter& out) {
  std::optional<bool> on_null = Evaluate(c, Value::Null());
  const char* null_result = on_null == false ? "0" : "1";
  // A field the table lacks reads as NULL in every row.
  if (!is_column) return on_null == false ? std::optional<std::string>("0") : std::nullopt;
  std::string column = QuoteSqlIdentifier(c.field);
  std::string sql = "CASE WHEN " + column + " IS NULL THEN " + null_result;
  bool decides = on_null == false;
  for (const StorageClass& cls : UnchangedClasses(type)) {
    SqlFilter branch;
    std::optional<std::string> cmp = BranchSql(c, column, cls, branch);
    if (!cmp || *cmp == "1") continue;
    sql += " WHEN " + Substitute(cls.guard, column) + " THEN " + *cmp;
    out.params.insert(out.params.end(), branch.params.begin(), branch.params.end());
    decides = true;
  }
  if (!decides) return std::nullopt;
  return sql + " ELSE 1 END";
}

}  // namespace

const char* SqlOperator(FilterOp op) {
  switch (op) {
    case FilterOp::kEq: return "=";
    case FilterOp::kNe: return "<>";
    case FilterOp::kLt: return "<";
    case FilterOp::kLe: return "<=";
    case FilterOp::kGt: return ">";
    case FilterOp::kGe: return ">=";
    case FilterOp::kIn: return "IN";
  }
  return "=";
}

const char* FilterOpName(FilterOp op) {
  switch (op) {
    case FilterOp::kEq: return "==";
    case FilterOp::kNe: return "!=";
    case FilterOp::kLt: return "<";
    case FilterOp::kLe: return "<=";
    case FilterOp::kGt: return ">";
    case FilterOp::kGe: return ">=";
    case FilterOp::kIn: return "in";
  }
  return "==";
}

bool ParseFilterOp(const std::string& name, FilterOp& out) {
  for (FilterOp op : kOps) {
    if (name == FilterOpName(op)) {
      out = op;
      return true;
    }
  }
  return false;
}

std::optional<bool> Evaluate(const SourceCondition& c, const Value& v) {
  // The VM's operators propagate an error operand (runtime/vm/vm.cpp).
  if (v.IsError()) return std::nullopt;
  const Value& k = c.value;
  switch (c.op) {
    case FilterOp::kEq: return value::Equal(v, k);
    case FilterOp::kNe: return !value::Equal(v, k);
    case FilterOp::kIn:
      if (k.kind() == Kind::kList)
        return std::any_of(k.AsList().begin(), k.AsList().end(), [&](const Value& x) { return value::Equal(v, x); });
      if (k.kind() == Kind::kMap) return k.AsMap().Find(v) != nullptr;
      return std::nullopt;
    default: break;
  }
  value::Order o = value::Compare(v, k);
  if (o == value::Order::kNoOverload) return std::nullopt;
  // NaN: every ordering is false.
  if (o == value::Order::kUnordered) return false;
  int order = static_cast<int>(o);
  switch (c.op) {
    case FilterOp::kLt: return order < 0;
    case FilterOp::kLe: return order <= 0;
    case FilterOp::kGt: return order > 0;
    default: return order >= 0;
  }
}

RowFilter::RowFilter(const std::vector<SourceCondition>& conditions, const std::vector<std::string>& fields) {
  for (const SourceCondition& c : conditions) {
    auto at = std::find(fields.begin(), fields.end(), c.field);
    bound_.push_back(Bound{c, at == fields.end() ? -1 : static_cast<long>(at - fields.begin())});
  }
}

bool RowFilter::MayPass(const Value* row) const {
  static const Value kNull;
  for (const Bound& b : bound_) {
    const Value& v = b.column < 0 ? kNull : row[b.column];
    if (Evaluate(b.condition, v) == false) return false;
  }
  return true;
}

SqlFilter BuildSqlFilter(const std::vector<SourceCondition>& conditions, const std::vector<std::string>& fields,
                         const std::vector<FieldType>& types, const std::set<std::string>& columns) {
  SqlFilter out;
  for (const SourceCondition& c : conditions) {
    // SQL text cannot hold a NUL byte: such a field is left to the engine.
    if (c.field.find('\0') != std::string::npos) continue;
    auto at = std::find(fields.begin(), fields.end(), c.field);
    size_t i = static_cast<size_t>(at - fields.begin());
    FieldType type = at != fields.end() && i < types.size() ? types[i] : FieldType::kAny;
    SqlFilter one;
    std::optional<std::string> sql = ConditionSql(c, type, columns.count(c.field) > 0, one);
    if (!sql) continue;
    out.where += (out.where.empty() ? "" : " AND ") + *sql;
    out.params.insert(out.params.end(), one.params.begin(), one.params.end());
  }
  return out;
}

std::string QuoteSqlIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace crmx::plan
