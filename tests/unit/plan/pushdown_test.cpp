// Tests predicate pushdown at run time (runtime/plan/pushdown.h): the evaluator against the
// VM itself over a grid of values and constants, the row filter, the SQL builder's text and,
// against a real SQLite database, that the WHERE clause never drops a row whose condition is
// not false; and that a plan's pushdown conditions and batch sizes survive its file format.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <cmath>
#include <memory>

#include "runtime/plan/pushdown.h"
#include "runtime/vm/vm.h"

namespace {

using namespace crmx;
using plan::FilterOp;
using plan::SourceCondition;
using value::Value;

Value Dec(const char* text) { return Value::Dec(*decimal::Decimal::Parse(text)); }

// Field values: every kind, the edges of numbers, text that orders by bytes.
std::vector<Value> FieldValues() {
  value::Time t{1700000000, 0};
  return {Value::Null(),          Value::Bool(true),         Value::Bool(false),       Value::Int(0),
          Value::Int(1),          Value::Int(-7),            Value::Int(INT64_MAX),    Value::Uint(1),
          Value::Double(1.0),     Value::Double(2.5),        Value::Double(-0.0),      Value::Double(std::nan("")),
          Dec("1.00"),            Dec("2.5"),                Value::String(""),        Value::String("Closed Won"),
          Value::String("closed won"), Value::String("Zürich"), Value::String("Z"),   Value::Bytes("ab"),
          Value::Timestamp(t),    Value::List({Value::Int(1)}), Value::Error("not a decimal number")};
}

// Constants a condition may hold (lists for `in`).
std::vector<Value> Constants() {
  std::vector<Value> out = {Value::Null(),       Value::Bool(true),      Value::Int(1),     Value::Int(0),
                            Value::Double(2.5),  Value::Double(std::nan("")), Dec("1"), Value::String("Closed Won"),
                            Value::String("Z"),  Value::Timestamp(value::Time{1700000000, 0})};
  out.push_back(Value::List({Value::String("Closed Won"), Value::String("Renewal")}));
  out.push_back(Value::List({Value::Int(1), Value::Double(2.5), Value::Null()}));
  out.push_back(Value::List({}));
  return out;
}

constexpr FilterOp kAllOps[] = {FilterOp::kEq, FilterOp::kNe, FilterOp::kLt, FilterOp::kLe,
                                FilterOp::kGt, FilterOp::kGe, FilterOp::kIn};

vm::Op VmOp(FilterOp op) {
  switch (op) {
    case FilterOp::kEq: return vm::Op::kEq;
    case FilterOp::kNe: return vm::Op::kNe;
    case FilterOp::kLt: return vm::Op::kLt;
    case FilterOp::kLe: return vm::Op::kLe;
    case FilterOp::kGt: return vm::Op::kGt;
    case FilterOp::kGe: return vm::Op::kGe;
    case FilterOp::kIn: return vm::Op::kIn;
  }
  return vm::Op::kEq;
}

// What the VM computes for the `when` conjunct `field OP constant`.
std::optional<bool> OnVm(vm::VM& machine, const SourceCondition& c, const Value& field) {
  vm::Program p;
  p.input_names = {"f"};
  p.constants = {c.value};
  p.code = {{vm::Op::kLoadInput, 0, 0, 0}, {vm::Op::kConst, 0, 0, 0}, {VmOp(c.op)}};
  Value v = machine.Run(p, std::span<const Value>(&field, 1));
  if (v.IsError()) return std::nullopt;
  REQUIRE(v.IsBool());
  return v.AsBool();
}

}  // namespace

TEST_CASE("pushdown: Evaluate gives what the VM gives, for every value, operator and constant") {
  vm::VM machine;
  int falses = 0, errors = 0;
  for (FilterOp op : kAllOps) {
    for (const Value& k : Constants()) {
      SourceCondition c{"f", op, k, 0};
      for (const Value& v : FieldValues()) {
        INFO(value::Display(v), " ", plan::FilterOpName(op), " ", value::Display(k));
        std::optional<bool> expected = OnVm(machine, c, v);
        CHECK(plan::Evaluate(c, v) == expected);
        falses += expected == false;
        errors += !expected.has_value();
      }
    }
  }
  // The grid reaches all three outcomes.
  CHECK(falses > 100);
  CHECK(errors > 100);
}

TEST_CASE("pushdown: the row filter drops a record only when a condition is false") {
  std::vector<SourceCondition> conds = {{"StageName", FilterOp::kEq, Value::String("Closed Won"), 0},
                                        {"Amount", FilterOp::kGt, Value::Int(0), 1}};
  plan::RowFilter filter(conds, {"Amount", "Id", "StageName"});
  CHECK_FALSE(filter.empty());
  Value won[] = {Dec("10.00"), Value::String("1"), Value::String("Closed Won")};
  Value lost[] = {Dec("10.00"), Value::String("2"), Value::String("Closed Lost")};
  Value zero[] = {Dec("0"), Value::String("3"), Value::String("Closed Won")};
  // `Amount` failed to convert: the engine decides what happens to the record.
  Value broken[] = {Value::Error("Amount: not a decimal number"), Value::String("4"), Value::String("Closed Won")};
  Value no_amount[] = {Value::Null(), Value::String("5"), Value::String("Closed Won")};
  CHECK(filter.MayPass(won));
  CHECK_FALSE(filter.MayPass(lost));
  CHECK_FALSE(filter.MayPass(zero));
  CHECK(filter.MayPass(broken));
  // null > 0 has no overload: an error, so kept.
  CHECK(filter.MayPass(no_amount));
  // A field the read does not return is null: null == "Closed Won" is false.
  plan::RowFilter unread(conds, {"Amount"});
  Value amount_only[] = {Dec("10.00")};
  CHECK_FALSE(unread.MayPass(amount_only));
  CHECK(plan::RowFilter().empty());
}

TEST_CASE("pushdown: operator names round-trip") {
  for (FilterOp op : kAllOps) {
    FilterOp back = FilterOp::kEq;
    REQUIRE(plan::ParseFilterOp(plan::FilterOpName(op), back));
    CHECK(back == op);
  }
  FilterOp ignored;
  CHECK_FALSE(plan::ParseFilterOp("=~", ignored));
}

TEST_CASE("pushdown: the SQL of a string condition, with a quoted identifier and a bound parameter") {
  std::vector<SourceCondition> conds = {{"Stage\"Name", FilterOp::kEq, Value::String("Closed Won"), 0}};
  plan::SqlFilter sql = plan::BuildSqlFilter(conds, {"Stage\"Name"}, {plan::FieldType::kString}, {"Stage\"Name"});
  CHECK(sql.where ==
        "CASE WHEN \"Stage\"\"Name\" IS NULL THEN 0 WHEN typeof(\"Stage\"\"Name\") = 'text' THEN \"Stage\"\"Name\" = ? "
        "COLLATE BINARY ELSE 1 END");
  REQUIRE(sql.params.size() == 1);
  CHECK(value::Display(sql.params[0]) == "\"Closed Won\"");
  // A decimal field: SQLite cannot compare its stored text as the engine does, and null > 0
  // is an error: nothing to push.
  std::vector<SourceCondition> amount = {{"Amount", FilterOp::kGt, Value::Int(0), 1}};
  CHECK(plan::BuildSqlFilter(amount, {"Amount"}, {plan::FieldType::kDecimal}, {"Amount"}).where.empty());
  // A column the table lacks is NULL in every row: `== "x"` keeps none.
  CHECK(plan::BuildSqlFilter(conds, {"Stage\"Name"}, {plan::FieldType::kString}, {}).where == "0");
}

namespace {

struct Db {
  sqlite3* db = nullptr;
  Db() { REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK); }
  ~Db() { sqlite3_close(db); }
  void Exec(const std::string& sql) {
    char* msg = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
    INFO(sql, " ", msg ? msg : "");
    sqlite3_free(msg);
    REQUIRE(rc == SQLITE_OK);
  }
};

void Bind(sqlite3_stmt* st, int i, const Value& v) {
  switch (v.kind()) {
    case value::Kind::kInt: sqlite3_bind_int64(st, i, v.AsInt()); break;
    case value::Kind::kDouble: sqlite3_bind_double(st, i, v.AsDouble()); break;
    case value::Kind::kString:
      sqlite3_bind_text(st, i, v.AsText().data(), static_cast<int>(v.AsText().size()), SQLITE_TRANSIENT);
      break;
    default: FAIL("a parameter of kind ", value::TypeName(v));
  }
}

// The rowids the WHERE clause keeps.
std::set<int64_t> Kept(Db& db, const plan::SqlFilter& f) {
  std::string sql = "SELECT rowid FROM t" + (f.where.empty() ? std::string() : " WHERE " + f.where);
  sqlite3_stmt* st = nullptr;
  INFO(sql);
  REQUIRE(sqlite3_prepare_v2(db.db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  for (size_t i = 0; i < f.params.size(); ++i) Bind(st, static_cast<int>(i + 1), f.params[i]);
  std::set<int64_t> out;
  while (sqlite3_step(st) == SQLITE_ROW) out.insert(sqlite3_column_int64(st, 0));
  sqlite3_finalize(st);
  return out;
}

// How the SQLite connector reads a stored value back in a field of `type`, for the storage
// classes pushdown.h says it reads unchanged; none for the others (a conversion decides).
std::optional<Value> ReadBack(sqlite3_stmt* st, int col, plan::FieldType type) {
  using plan::FieldType;
  switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL: return Value::Null();
    case SQLITE_TEXT:
      if (type != FieldType::kString && type != FieldType::kAny) return std::nullopt;
      return Value::String(reinterpret_cast<const char*>(sqlite3_column_text(st, col)));
    case SQLITE_INTEGER: {
      int64_t n = sqlite3_column_int64(st, col);
      if (type == FieldType::kBool && (n == 0 || n == 1)) return Value::Bool(n == 1);
      if (type != FieldType::kInt && type != FieldType::kAny) return std::nullopt;
      return Value::Int(n);
    }
    case SQLITE_FLOAT:
      if (type != FieldType::kDouble && type != FieldType::kAny) return std::nullopt;
      return Value::Double(sqlite3_column_double(st, col));
    default: return std::nullopt;
  }
}

}  // namespace

TEST_CASE("pushdown: against SQLite, a row is dropped only when its condition is false") {
  Db db;
  // Untyped columns (as the connector creates them) and one with a type affinity and a
  // collation a user's own database might have.
  db.Exec("CREATE TABLE t (s, i, d, b, a, m, n TEXT COLLATE NOCASE)");
  const char* rows[] = {
      "'Closed Won', 1, 2.5, 1, 'Closed Won', '19.99', 'Closed Won'",
      "'closed won', 0, 1.0, 0, 3, '0', 'closed won'",
      "'Zürich', -7, -0.0, 2, 2.5, 10, 'Z'",
      "'', 9223372036854775807, 1e300, 'true', X'6162', 2.5, ''",
      "NULL, NULL, NULL, NULL, NULL, NULL, NULL",
      "42, '42', '2.5', 1.0, 1, 'x', 5",
      "X'00', 2.5, 3, 0, '', -1, 'Closed Won '",
  };
  for (const char* r : rows) db.Exec(std::string("INSERT INTO t VALUES (") + r + ")");
  using plan::FieldType;
  const std::vector<std::string> fields = {"s", "i", "d", "b", "a", "m", "n"};
  const std::vector<FieldType> types = {FieldType::kString, FieldType::kInt, FieldType::kDouble, FieldType::kBool,
                                        FieldType::kAny, FieldType::kDecimal, FieldType::kString};
  std::set<std::string> columns(fields.begin(), fields.end());
  int dropped = 0, decided = 0;
  for (size_t f = 0; f < fields.size(); ++f) {
    for (FilterOp op : kAllOps) {
      for (const Value& k : Constants()) {
        SourceCondition c{fields[f], op, k, 0};
        plan::SqlFilter sql = plan::BuildSqlFilter({c}, fields, types, columns);
        std::set<int64_t> kept = Kept(db, sql);
        sqlite3_stmt* st = nullptr;
        REQUIRE(sqlite3_prepare_v2(db.db, ("SELECT rowid, \"" + fields[f] + "\" FROM t").c_str(), -1, &st, nullptr) ==
                SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
          int64_t rowid = sqlite3_column_int64(st, 0);
          std::optional<Value> v = ReadBack(st, 1, types[f]);
          INFO(fields[f], " ", plan::FilterOpName(op), " ", value::Display(k), " row ", rowid, ": ", sql.where);
          if (!kept.count(rowid)) {
            ++dropped;
            // Dropped: the value is one the connector reads unchanged, and the condition is false.
            REQUIRE(v.has_value());
            CHECK(plan::Evaluate(c, *v) == false);
          } else if (v && k.kind() == v->kind() && !sql.where.empty() && op != FilterOp::kIn && !k.IsNull() &&
                     !(k.kind() == value::Kind::kDouble && std::isnan(k.AsDouble()))) {
            // Where SQLite compares the same kind, it decides exactly.
            ++decided;
            CHECK(plan::Evaluate(c, *v) != false);
          }
        }
        sqlite3_finalize(st);
      }
    }
  }
  // The clause does drop rows (the test is not vacuous).
  CHECK(dropped > 50);
  CHECK(decided > 20);
}

TEST_CASE("pushdown: conditions and batch sizes survive the plan file") {
  plan::Plan p;
  p.compiler = "crmxc test";
  p.integration = "demo";
  plan::Map m;
  m.name = "won_to_order";
  m.source = {"crm", "Opportunity"};
  m.target = {"erp", "SalesOrder"};
  m.read_batch = 2000;
  m.write_batch = 1;
  p.maps.push_back(m);
  plan::Sync s;
  s.map = "won_to_order";
  s.trigger = "on_change";
  s.when.resize(3);
  s.pushdown = {{"StageName", FilterOp::kEq, Value::String("Closed Won"), 0},
                {"Amount", FilterOp::kGt, Dec("10.50"), 1},
                {"Type", FilterOp::kIn, Value::List({Value::String("New"), Value::Null()}), 2}};
  p.syncs.push_back(s);
  std::string text = plan::WritePlan(p);
  plan::Plan back;
  std::string error;
  REQUIRE_MESSAGE(plan::ReadPlan(text, back, error), error);
  CHECK(back.maps[0].read_batch == 2000);
  CHECK(back.maps[0].write_batch == 1);
  REQUIRE(back.syncs[0].pushdown.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    const SourceCondition& a = s.pushdown[i];
    const SourceCondition& b = back.syncs[0].pushdown[i];
    CHECK(a.field == b.field);
    CHECK(a.op == b.op);
    CHECK(value::Display(a.value) == value::Display(b.value));
    CHECK(a.when == b.when);
  }
  CHECK(plan::ContentHash(back) == plan::ContentHash(p));
  // A condition that names a `when` conjunct the sync does not have is refused.
  p.syncs[0].pushdown[2].when = 7;
  plan::Plan bad;
  CHECK_FALSE(plan::ReadPlan(plan::WritePlan(p), bad, error));
  CHECK(error.find("when") != std::string::npos);
}
