// Tests the plan builder's pushdown derivation (compiler/ir/source_conditions.h) on `when`
// programs as the lowering and optimizer leave them, and the batch-size rule
// (compiler/ir/batch_sizes.h).
#include <doctest/doctest.h>

#include "compiler/ir/batch_sizes.h"
#include "compiler/ir/source_conditions.h"

namespace {

using namespace crmx;
using plan::BindingKind;
using plan::FilterOp;
using value::Value;
using vm::Op;

vm::Instr I(Op op, int32_t arg = 0) {
  vm::Instr in{op};
  in.arg = arg;
  return in;
}

// A conjunct over one input `name` bound as `kind`, with `code` and `constants`.
plan::WhenPart Part(const std::string& name, BindingKind kind, std::vector<vm::Instr> code,
                    std::vector<Value> constants) {
  plan::WhenPart w;
  w.reason = "test";
  w.program.input_names = {name};
  w.program.code = std::move(code);
  w.program.constants = std::move(constants);
  plan::Binding b{name, kind, kind == BindingKind::kParent ? "Account" : "", name};
  w.bindings.push_back(b);
  return w;
}

}  // namespace

TEST_CASE("pushdown derivation: field OP constant, flipped comparisons, lists and null") {
  std::vector<plan::WhenPart> when = {
      Part("StageName", BindingKind::kField, {I(Op::kLoadInput), I(Op::kConst), I(Op::kEq)}, {Value::String("Closed Won")}),
      // `50.0 <= Probability` is `Probability >= 50.0`.
      Part("Probability", BindingKind::kField, {I(Op::kConst), I(Op::kLoadInput), I(Op::kLe)}, {Value::Double(50)}),
      Part("Type", BindingKind::kField, {I(Op::kLoadInput), I(Op::kConst), I(Op::kIn)},
           {Value::List({Value::String("New"), Value::String("Renewal")})}),
      Part("CloseDate", BindingKind::kField, {I(Op::kLoadInput), I(Op::kConst), I(Op::kNe)}, {Value::Null()}),
  };
  std::vector<plan::SourceCondition> got = ir::DerivePushdown(when);
  REQUIRE(got.size() == 4);
  CHECK(got[0].field == "StageName");
  CHECK(got[0].op == FilterOp::kEq);
  CHECK(got[0].when == 0);
  CHECK(got[1].field == "Probability");
  CHECK(got[1].op == FilterOp::kGe);
  CHECK(value::Display(got[1].value) == "50.0");
  CHECK(got[2].op == FilterOp::kIn);
  CHECK(got[3].op == FilterOp::kNe);
  CHECK(got[3].value.IsNull());
  CHECK(got[3].when == 3);
}

TEST_CASE("pushdown derivation: what a source query cannot do stays with the engine") {
  std::vector<plan::WhenPart> when = {
      // A parent's field: another object.
      Part("Account.Industry", BindingKind::kParent, {I(Op::kLoadInput), I(Op::kConst), I(Op::kEq)}, {Value::String("x")}),
      // A call on the field: `Name.trim() != ""`.
      Part("Name", BindingKind::kField, {I(Op::kLoadInput), I(Op::kCall), I(Op::kConst), I(Op::kNe)}, {Value::String("")}),
      // `"vip" in Tags`: membership in a list field.
      Part("Tags", BindingKind::kField, {I(Op::kConst), I(Op::kLoadInput), I(Op::kIn)}, {Value::String("vip")}),
      // A list constant for `==`, a list of lists for `in`.
      Part("Codes", BindingKind::kField, {I(Op::kLoadInput), I(Op::kConst), I(Op::kEq)}, {Value::List({})}),
      Part("Code", BindingKind::kField, {I(Op::kLoadInput), I(Op::kConst), I(Op::kIn)},
           {Value::List({Value::List({Value::Int(1)})})}),
      // An assigned target field is no source field.
      Part("country", BindingKind::kAssigned, {I(Op::kLoadInput), I(Op::kConst), I(Op::kEq)}, {Value::String("US")}),
      // Arithmetic, not a comparison.
      Part("Amount", BindingKind::kField, {I(Op::kLoadInput), I(Op::kConst), I(Op::kAdd)}, {Value::Int(1)}),
  };
  CHECK(ir::DerivePushdown(when).empty());
}

TEST_CASE("batch sizes: `batch` sets the write size; each kind's API sets the defaults") {
  plan::System crm{"crm", "salesforce", 150, {plan::Budget{"api_calls", 100000, 86400000, 80.0}}};
  plan::System erp{"erp", "netsuite", std::nullopt, {plan::Budget{"concurrency", 5, std::nullopt, std::nullopt}}};
  plan::System hs{"hs", "hubspot", std::nullopt, {}};
  plan::System odd{"odd", "acme_erp", std::nullopt, {}};
  CHECK(ir::WriteBatch(&crm).records == 150);
  CHECK(ir::WriteBatch(&crm).why == "crm: batch 150");
  CHECK(ir::ReadBatch(&crm).records == 2000);
  CHECK(ir::WriteBatch(&erp).records == 1);
  CHECK(ir::ReadBatch(&erp).records == 1000);
  CHECK(ir::WriteBatch(&hs).records == 100);
  CHECK(ir::ReadBatch(&hs).records == 100);
  CHECK(ir::WriteBatch(&odd).records == 100);
  CHECK(ir::ReadBatch(&odd).records == 1000);
  CHECK(ir::WriteBatch(nullptr).records == 100);

  plan::Map m;
  m.source = {"crm", "Account"};
  m.target = {"erp", "Customer"};
  ir::AssignBatchSizes(m, {crm, erp});
  CHECK(m.read_batch == 2000);
  CHECK(m.write_batch == 1);
}

TEST_CASE("batch sizes: a budget of calls bounds records per period, others bound nothing") {
  CHECK(ir::Ceiling(plan::Budget{"api_calls", 100000, 86400000, std::nullopt}, 200) == 20000000);
  CHECK(ir::Ceiling(plan::Budget{"requests", 190, 10000, std::nullopt}, 100) == 19000);
  CHECK_FALSE(ir::Ceiling(plan::Budget{"concurrency", 5, std::nullopt, std::nullopt}, 100).has_value());
  CHECK_FALSE(ir::Ceiling(plan::Budget{"api_calls", 5, std::nullopt, std::nullopt}, 100).has_value());
  CHECK(ir::Ceiling(plan::Budget{"api_calls", INT64_MAX / 2, 1000, std::nullopt}, 200) == INT64_MAX);
}
