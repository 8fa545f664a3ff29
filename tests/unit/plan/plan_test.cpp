// Tests the plan file format: round trip, and the reader refusing an unknown version, a
// wrong content hash and malformed fields.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "runtime/plan/plan.h"

namespace {

using namespace crmx;

plan::Plan SamplePlan() {
  plan::Plan p;
  p.compiler = "crmxc test";
  p.integration = "demo";
  p.spec_version = "1.0";
  p.systems.push_back(plan::System{"crm", "salesforce", 200, {plan::Budget{"api_calls", 100000, 86400000, 80.0}}});
  p.systems.push_back(plan::System{"erp", "netsuite", std::nullopt, {}});
  p.tables.push_back(plan::Table{"t", {{value::Value::String("US"), value::Value::String("Acme Inc")}}});
  plan::Map m;
  m.name = "a_to_b";
  m.source = {"crm", "Account"};
  m.target = {"erp", "Customer"};
  m.projection.fields = {"Id", "Name"};
  m.projection.types = {plan::FieldType::kString, plan::FieldType::kString};
  auto target = [](const std::string& name, std::vector<std::string> path, plan::FieldType type, std::optional<int> scale) {
    plan::TargetField f;
    f.name = name;
    f.path = std::move(path);
    f.type = type;
    f.scale = scale;
    return f;
  };
  m.target_fields = {target("externalId", {"externalId"}, plan::FieldType::kString, std::nullopt),
                     target("total", {"total"}, plan::FieldType::kDecimal, 2),
                     target("CustomerRef.value", {"CustomerRef", "value"}, plan::FieldType::kString, std::nullopt),
                     target("lines", {"lines"}, plan::FieldType::kAny, std::nullopt)};
  m.target_fields[2].reference = true;
  m.target_fields[3].sublist = "item";
  m.target_fields[3].element = {target("rate", {"rate"}, plan::FieldType::kDecimal, 2)};
  m.source_id = "Id";
  m.target_id = "id";
  m.projection.relations.push_back(
      plan::Relation{"Owner", false, "User", "OwnerId", "Id", {"Name"}, {plan::FieldType::kString}, {}});
  plan::Step key;
  key.kind = plan::StepKind::kKey;
  key.target = "externalId";
  key.program.input_names = {"Id"};
  key.program.code.push_back(vm::Instr{vm::Op::kLoadInput, 0, 0, 0});
  key.bindings.push_back(plan::Binding{"Id", plan::BindingKind::kField, "", "Id"});
  m.steps.push_back(key);
  plan::Step amount;
  amount.kind = plan::StepKind::kAssign;
  amount.target = "total";
  amount.program.constants = {value::Value::Dec(*decimal::Decimal::Parse("19.99")), value::Value::Int(-3),
                              value::Value::Hold("Pending Review"), value::Value::Double(1.5)};
  amount.program.code.push_back(vm::Instr{vm::Op::kConst, 0, 0, 0});
  vm::Builtin size;
  size_t lo = 0, hi = 0;
  REQUIRE(vm::FindBuiltin("size", size, lo, hi));
  amount.program.code.push_back(vm::Instr{vm::Op::kCall, 0, 1, static_cast<int32_t>(size)});
  amount.flag = "x:y";
  m.steps.push_back(amount);
  p.maps.push_back(m);
  plan::Sync s;
  s.map = "a_to_b";
  s.trigger = "every";
  s.every_ms = 3600000;
  p.syncs.push_back(s);
  return p;
}

}  // namespace

TEST_CASE("a plan round-trips through its file format") {
  plan::Plan p = SamplePlan();
  std::string text = plan::WritePlan(p);
  plan::Plan back;
  std::string error;
  REQUIRE_MESSAGE(plan::ReadPlan(text, back, error), error);
  CHECK(back.integration == "demo");
  CHECK(back.compiler == "crmxc test");
  REQUIRE(back.maps.size() == 1);
  CHECK(back.maps[0].projection.fields == std::vector<std::string>{"Id", "Name"});
  CHECK(back.maps[0].projection.types == std::vector<plan::FieldType>{plan::FieldType::kString, plan::FieldType::kString});
  REQUIRE(back.maps[0].target_fields.size() == 4);
  CHECK(back.maps[0].target_fields[1].scale == std::optional<int>(2));
  // Version 3: nesting, references, sublists, list elements, record identity.
  const plan::TargetField& ref = back.maps[0].target_fields[2];
  CHECK(ref.path == std::vector<std::string>{"CustomerRef", "value"});
  CHECK(ref.reference);
  CHECK(back.maps[0].target_fields[0].path == std::vector<std::string>{"externalId"});
  CHECK_FALSE(back.maps[0].target_fields[0].reference);
  const plan::TargetField& lines = back.maps[0].target_fields[3];
  CHECK(lines.sublist == "item");
  REQUIRE(lines.element.size() == 1);
  CHECK(lines.element[0].name == "rate");
  CHECK(lines.element[0].scale == std::optional<int>(2));
  CHECK(back.maps[0].source_id == "Id");
  CHECK(back.maps[0].target_id == "id");
  REQUIRE(back.maps[0].projection.relations.size() == 1);
  CHECK(back.maps[0].projection.relations[0].id_field == "Id");
  REQUIRE(back.maps[0].steps.size() == 2);
  const vm::Program& prog = back.maps[0].steps[1].program;
  REQUIRE(prog.constants.size() == 4);
  CHECK(value::Display(prog.constants[0]) == "19.99m");
  CHECK(prog.constants[2].IsHold());
  CHECK(prog.code[1].op == vm::Op::kCall);
  CHECK(back.maps[0].steps[1].flag == std::optional<std::string>("x:y"));
  CHECK(back.systems[0].budgets[0].warn_at_percent == std::optional<double>(80.0));
  // Writing what was read gives the same text: the hash is stable.
  CHECK(plan::WritePlan(back) == text);
  CHECK(plan::ContentHash(back) == plan::ContentHash(p));
  CHECK(plan::ContentHash(p).rfind("sha256:", 0) == 0);
  CHECK(plan::ContentHash(p).size() == 7 + 64);
}

TEST_CASE("a spec test's named records, negative expectations and clock round-trip") {
  plan::Plan p = SamplePlan();
  plan::SpecTest t;
  t.name = "each record";
  t.now = "2026-03-01T09:30:00Z";
  t.given.push_back(plan::GivenRecord{"crm", "Account", {{"Id", value::Value::String("1")}}, "acme"});
  t.given.push_back(plan::GivenRecord{"crm", "Account", {{"Id", value::Value::String("2")}}, ""});
  plan::Expectation no_flag;
  no_flag.kind = plan::ExpectKind::kFlag;
  no_flag.any = true;
  no_flag.negated = true;
  no_flag.record = "acme";
  plan::Expectation skipped;
  skipped.kind = plan::ExpectKind::kSkipped;
  plan::Expectation hold;
  hold.kind = plan::ExpectKind::kHold;
  hold.text = "Pending Review";
  t.expect = {no_flag, skipped, hold};
  p.tests.push_back(t);
  std::string text = plan::WritePlan(p);
  plan::Plan back;
  std::string error;
  REQUIRE_MESSAGE(plan::ReadPlan(text, back, error), error);
  REQUIRE(back.tests.size() == 1);
  const plan::SpecTest& b = back.tests[0];
  CHECK(b.now == "2026-03-01T09:30:00Z");
  REQUIRE(b.given.size() == 2);
  CHECK(b.given[0].name == "acme");
  CHECK(b.given[1].name.empty());
  REQUIRE(b.expect.size() == 3);
  CHECK(b.expect[0].kind == plan::ExpectKind::kFlag);
  CHECK(b.expect[0].any);
  CHECK(b.expect[0].negated);
  CHECK(b.expect[0].record == "acme");
  CHECK(b.expect[1].kind == plan::ExpectKind::kSkipped);
  CHECK_FALSE(b.expect[1].negated);
  CHECK(b.expect[1].record.empty());
  CHECK(b.expect[2].text == "Pending Review");
  CHECK_FALSE(b.expect[2].any);
  CHECK(plan::WritePlan(back) == text);
}

TEST_CASE("the reader refuses an unknown version") {
  auto j = nlohmann::json::parse(plan::WritePlan(SamplePlan()));
  j["crmx_plan"] = plan::kPlanVersion + 1;
  plan::Plan out;
  std::string error;
  CHECK_FALSE(plan::ReadPlan(j.dump(), out, error));
  CHECK(error.find("unsupported plan version " + std::to_string(plan::kPlanVersion + 1)) != std::string::npos);
  j.erase("crmx_plan");
  CHECK_FALSE(plan::ReadPlan(j.dump(), out, error));
  CHECK(error.find("no `crmx_plan`") != std::string::npos);
}

TEST_CASE("the reader refuses a body that does not match its hash") {
  auto j = nlohmann::json::parse(plan::WritePlan(SamplePlan()));
  j["plan"]["maps"][0]["steps"][0]["target"] = "Name";  // edited after the build
  plan::Plan out;
  std::string error;
  CHECK_FALSE(plan::ReadPlan(j.dump(), out, error));
  CHECK(error.find("content hash mismatch") != std::string::npos);
  auto k = nlohmann::json::parse(plan::WritePlan(SamplePlan()));
  k["content_hash"] = "sha256:0000";
  CHECK_FALSE(plan::ReadPlan(k.dump(), out, error));
  CHECK(error.find("content hash mismatch") != std::string::npos);
}

TEST_CASE("the reader refuses malformed text and unknown opcodes") {
  plan::Plan out;
  std::string error;
  CHECK_FALSE(plan::ReadPlan("not json", out, error));
  CHECK(error.find("not a plan file") != std::string::npos);
  // An edited opcode: refused (the body no longer matches the hash).
  auto j = nlohmann::json::parse(plan::WritePlan(SamplePlan()));
  j["plan"]["maps"][0]["steps"][0]["program"]["code"][0][0] = "teleport";
  j["content_hash"] = "sha256:" + std::string(64, '0');
  CHECK_FALSE(plan::ReadPlan(j.dump(), out, error));
  CHECK_FALSE(plan::ReadPlanFile("/nonexistent/plan.json", out, error));
  CHECK(error.find("cannot read plan") != std::string::npos);
}

TEST_CASE("values of every kind survive the codec") {
  for (const char* text : {"null", "true", "\"s\"", "{\"int\":\"-5\"}", "{\"uint\":\"7\"}", "{\"decimal\":\"1.50\"}",
                           "{\"double\":\"NaN\"}", "{\"list\":[{\"int\":\"1\"},\"a\"]}",
                           "{\"map\":[[\"k\",{\"int\":\"1\"}]]}", "{\"timestamp\":\"2024-01-01T00:00:00Z\"}",
                           "{\"duration\":\"1.5s\"}", "{\"type\":\"int\"}", "{\"bytes\":\"6869\"}"}) {
    value::Value v;
    std::string error;
    REQUIRE_MESSAGE(plan::ValueFromJsonText(text, v, error), text << ": " << error);
    CHECK(plan::ValueToJsonText(v) == nlohmann::json::parse(text).dump());
  }
}
