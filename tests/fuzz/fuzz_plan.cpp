// Defines the libFuzzer entry point for the plan loader (runtime/plan/plan.h, ReadPlan): the
// input bytes are one plan file, or a plan body, or a mutation of either.
//
// The content hash stops almost every mutated plan at ReadPlan's hash check, so the target
// reads each input twice:
//  1. unchanged: JSON errors, the envelope (`crmx_plan` version, `content_hash`, `plan`) and
//     the hash check itself;
//  2. re-wrapped: when the input is a JSON object, its `plan` member (or, without one, the
//     object itself) is put in a fresh envelope whose `content_hash` is recomputed here
//     (WrapBody, the same SHA-256 over the canonical body text as plan.cpp's HashOfBody), so
//     the decoding of every field of the body (systems, tables and their tagged values, maps,
//     projections, target fields, VM programs, bindings, syncs, pushdown, conflicts, tests) is
//     reached.
// After a successful ReadPlan the plan is written back (WritePlan) and read again: that must
// succeed and write the same text, and the loaded pushdown conditions are applied as a run
// would (RowFilter, Evaluate, BuildSqlFilter). A failure of any of these is a finding: the
// target aborts with what differed.
//
// Once per process, SelfCheck writes a plan holding every opcode and every builtin the VM
// names and every kind of value, and reads it back: the loader must accept what the writer
// writes (it once stopped at kFail and rejected the two-variable macros' opcodes). It also
// checks that the inputs of the crashes found here are refused with an error: a
// `content_hash` that is not a string, arrays nested 100,000 deep, floats and out-of-range
// numbers in integer members (README.md).
//
// The same function is called by fuzz_replay (CTest: fuzz_plan_replay).
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/plan/plan.h"
#include "runtime/plan/pushdown.h"

namespace {

using json = nlohmann::json;
namespace plan = crmx::plan;
namespace value = crmx::value;
namespace vm = crmx::vm;

[[noreturn]] void Finding(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_plan: FINDING: %s\n%s\n", what, detail.c_str());
  std::fflush(stderr);
  std::abort();
}

// Test-only copy of plan.cpp's HashOfBody: "sha256:" + lowercase hex of SHA-256 over the body's
// canonical text (nlohmann::json::dump() without indentation: keys sorted, no spaces).
std::string HashOfBody(const json& body) {
  std::string text = body.dump();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr) != 1) Finding("EVP_Digest failed", "");
  static const char* digits = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < len; ++i) {
    out += digits[md[i] >> 4];
    out += digits[md[i] & 15];
  }
  return out;
}

// The plan file WritePlan would write around `body`: current version, `compiler`, a content
// hash that matches.
std::string WrapBody(const json& body, const json& compiler) {
  json file{{"crmx_plan", plan::kPlanVersion}, {"compiler", compiler}, {"content_hash", HashOfBody(body)},
            {"plan", body}};
  return file.dump(1) + "\n";
}

// WrapBody's dump() recurses once a level, so the target re-wraps only bodies ReadPlan would
// not refuse for their depth (plan::kMaxPlanNesting) before hashing them (plan::JsonNesting).
using plan::JsonNesting;
constexpr size_t kMaxWrapNesting = 1000;

size_t Touch(const value::Value& v) { return value::Display(v).size(); }

// What a run does with a loaded sync's pushdown conditions: bind them to the map's projection
// (file connectors), evaluate them on a few field values, build the SQLite WHERE clause.
size_t ApplyPushdown(const plan::Plan& p) {
  size_t seen = 0;
  for (const plan::Sync& s : p.syncs) {
    if (s.pushdown.empty()) continue;
    const plan::Map* m = p.FindMap(s.map);
    std::vector<std::string> fields;
    std::vector<plan::FieldType> types;
    if (m != nullptr) {
      fields = m->projection.fields;
      types = m->projection.types;
    } else {
      for (const plan::SourceCondition& c : s.pushdown) {
        fields.push_back(c.field);
        types.push_back(plan::FieldType::kAny);
      }
    }
    plan::RowFilter filter(s.pushdown, fields);
    const value::Value samples[] = {value::Value::Null(), value::Value::Int(1), value::Value::String("Closed Won"),
                                    value::Value::Double(0.5), value::Value::Bool(true)};
    for (const value::Value& sample : samples) {
      std::vector<value::Value> row(fields.size(), sample);
      seen += filter.MayPass(row.data());
      for (const plan::SourceCondition& c : s.pushdown) {
        seen += plan::Evaluate(c, sample).value_or(false);
        seen += plan::Evaluate(c, c.value).value_or(false);
      }
    }
    std::set<std::string> columns(fields.begin(), fields.end());
    plan::SqlFilter sql = plan::BuildSqlFilter(s.pushdown, fields, types, columns);
    seen += sql.where.size() + sql.params.size();
    for (const plan::SourceCondition& c : s.pushdown) seen += plan::QuoteSqlIdentifier(c.field).size();
  }
  return seen;
}

size_t TouchPlan(const plan::Plan& p) {
  size_t seen = 0;
  for (const plan::Table& t : p.tables) {
    seen += p.FindTable(t.name) != nullptr;
    for (const auto& [k, v] : t.entries) seen += Touch(k) + Touch(v);
  }
  for (const plan::Map& m : p.maps) {
    seen += p.FindMap(m.name) != nullptr;
    for (const plan::Step& s : m.steps)
      for (const value::Value& c : s.program.constants) seen += Touch(c);
  }
  for (const plan::System& s : p.systems) seen += p.FindSystem(s.name) != nullptr;
  for (const plan::SpecTest& t : p.tests)
    for (const plan::GivenRecord& g : t.given)
      for (const auto& [name, v] : g.fields) seen += name.size() + Touch(v);
  return seen + ApplyPushdown(p);
}

// ReadPlan on `text`. When it loads: WritePlan -> ReadPlan must load too and WritePlan must
// then write the same text. `wrapped`: the text is WrapBody's, so its hash must match.
bool Load(const std::string& text, bool wrapped) {
  plan::Plan p;
  std::string error;
  if (!plan::ReadPlan(text, p, error)) {
    if (error.empty()) Finding("ReadPlan failed without an error message", text);
    if (wrapped && error.rfind("plan content hash mismatch", 0) == 0)
      Finding("a re-hashed body fails the hash check (HashOfBody is not stable over dump/parse)",
              error + "\n" + text);
    return false;
  }
  size_t seen = TouchPlan(p);
  std::string written = plan::WritePlan(p);
  plan::Plan again;
  if (!plan::ReadPlan(written, again, error))
    Finding("WritePlan wrote a plan ReadPlan rejects", error + "\n--- input:\n" + text + "\n--- written:\n" + written);
  std::string rewritten = plan::WritePlan(again);
  if (rewritten != written)
    Finding("WritePlan -> ReadPlan -> WritePlan changed the plan",
            "--- input:\n" + text + "\n--- written:\n" + written + "\n--- rewritten:\n" + rewritten);
  if (plan::ContentHash(p) != plan::ContentHash(again)) Finding("the content hash changed on a round trip", text);
  (void)seen;
  return true;
}

// A plan body with every opcode OpName names (each with a valid constant and input index),
// a call of every builtin BuiltinName names, and every kind of value the format tags.
json SelfCheckBody() {
  json code = json::array();
  for (int i = 0; i <= UINT8_MAX; ++i) {
    const char* name = vm::OpName(static_cast<vm::Op>(i));
    if (std::strcmp(name, "?") == 0 || static_cast<vm::Op>(i) == vm::Op::kCall) continue;
    // filter_text reads constant 1, a text filter: keep the characters equal to "1".
    code.push_back(json::array({name, 0, static_cast<vm::Op>(i) == vm::Op::kFilterText ? 1 : 0}));
  }
  for (int b = 0; b <= UINT16_MAX; ++b) {
    const char* name = vm::BuiltinName(static_cast<vm::Builtin>(b));
    if (std::strcmp(name, "?") != 0) code.push_back(json::array({"call", 1, name}));
  }
  json values = json::array({
      nullptr, true, "text", json{{"int", "-9223372036854775808"}}, json{{"uint", "18446744073709551615"}},
      json{{"double", 1.5}}, json{{"double", -0.0}}, json{{"double", "NaN"}}, json{{"double", "+Inf"}},
      json{{"double", "-Inf"}}, json{{"decimal", "-12.3400"}}, json{{"bytes", "00ff7f"}},
      json{{"timestamp", "2026-12-06T06:00:00.123456789Z"}}, json{{"timestamp", "0001-01-01T00:00:00Z"}},
      json{{"timestamp", "9999-12-31T23:59:59.999999999Z"}}, json{{"duration", "-1h2m3.5s"}},
      json{{"type", "google.protobuf.Timestamp"}}, json{{"error", "boom"}}, json{{"error", "wait"}, {"hold", true}}});
  json entries = json::array();
  for (const json& v : values) entries.push_back(json::array({v, v}));
  entries.push_back(json::array({json{{"list", values}}, json{{"map", json::array({json::array({"k", values[3]})})}}}));
  json text_filter{{"list", json::array({"", json{{"int", std::to_string(static_cast<int>(vm::CharTestStep::kCharEq))}}, "1"})}};
  json program{{"code", code}, {"constants", json::array({"Name", text_filter})}, {"inputs", json::array({"Name"})}, {"locals", 8}};
  json bindings = json::array({json{{"name", "Name"}, {"kind", "field"}, {"field", "Name"}}});
  json map{{"name", "m"},
           {"source", {{"system", "crm"}, {"object", "Account"}}},
           {"target", {{"system", "erp"}, {"object", "Customer"}}},
           {"depends_on", json::array()},
           {"referenced_by", json::array()},
           {"projection", {{"fields", {"Name"}}, {"types", {"string"}}, {"relations", json::array()}}},
           {"target_fields", json::array({json{{"name", "a.b"}, {"type", "decimal"}, {"scale", 2}, {"path", {"a", "b"}}}})},
           {"shared", json::array()},
           {"steps", json::array({json{{"kind", "assign"}, {"target", "a.b"}, {"program", program}, {"bindings", bindings}}})},
           {"read_batch", 1},
           {"write_batch", 1}};
  json sync{{"map", "m"},
            {"trigger", "on_change"},
            {"when", json::array({json{{"reason", "r"}, {"program", program}, {"bindings", bindings}}})},
            {"on_exhausted", json::array()},
            {"pushdown", json::array({json{{"field", "Name"}, {"op", "in"}, {"value", json{{"list", values}}}, {"when", 0}}})}};
  return json{{"integration", "selfcheck"},
              {"spec_version", "1"},
              {"systems", json::array({json{{"name", "crm"}, {"kind", "salesforce"}}, json{{"name", "erp"}, {"kind", "netsuite"}}})},
              {"tables", json::array({json{{"name", "t"}, {"entries", entries}}})},
              {"maps", json::array({map})},
              {"syncs", json::array({sync})},
              {"conflicts", {{"strategy", "latest_wins"}, {"grace_ms", 60000}, {"audit", true}}},
              {"tests", json::array()}};
}

// Must fail with an error, not crash: the guards of the crashes fuzz_plan found.
void ExpectRejected(const std::string& text, const char* what) {
  plan::Plan p;
  std::string error;
  bool loaded = plan::ReadPlan(text, p, error);
  if (loaded || error.empty()) Finding(what, error);
}

void SelfCheck() {
  std::string text = WrapBody(SelfCheckBody(), "fuzz_plan selfcheck");
  plan::Plan p;
  std::string error;
  if (!plan::ReadPlan(text, p, error)) Finding("the self-check plan (every opcode, builtin and value kind) does not load", error);
  if (!Load(text, true)) Finding("the self-check plan does not load", text);
  // A content_hash that is not a string: ReadPlan threw json::type_error (std::terminate).
  ExpectRejected(R"({"content_hash":1,"crmx_plan":)" + std::to_string(plan::kPlanVersion) + R"(,"plan":{}})", "a numeric content_hash is not refused");
  // 100,000 nested arrays (200 KB, beyond -max_len): ReadPlan overflowed the stack in the
  // content hash's dump(), before any check; and the same depth in tagged values.
  const size_t deep = 100000;
  ExpectRejected(R"({"content_hash":"","crmx_plan":)" + std::to_string(plan::kPlanVersion) + R"(,"plan":{"a":)" + std::string(deep, '[') + std::string(deep, ']') + "}}",
                 "100,000-deep arrays are not refused");
  std::string values;
  for (size_t i = 0; i < deep; ++i) values += R"({"list":[)";
  for (size_t i = 0; i < deep; ++i) values += "]}";
  ExpectRejected(R"({"content_hash":"","crmx_plan":)" + std::to_string(plan::kPlanVersion) + R"(,"plan":{"tables":[{"name":"t","entries":[[null,)" + values + "]]}]}}",
                 "100,000-deep list values are not refused");
  // A float where an integer belongs: get<int>() cast 1e300 to int (UBSan: undefined), and an
  // integer out of its member's range was cut silently. Both are refused now.
  json body = SelfCheckBody();
  json& field = body["maps"][0]["target_fields"][0];
  for (const json& bad : {json(1e300), json(2.5), json(int64_t{1} << 40), json(true)}) {
    field["scale"] = bad;
    ExpectRejected(WrapBody(body, "fuzz_plan selfcheck"), "a scale that is no int is not refused");
  }
  body = SelfCheckBody();
  body["maps"][0]["steps"][0]["program"]["code"][0][1] = 65536;
  ExpectRejected(WrapBody(body, "fuzz_plan selfcheck"), "an instruction's `a` past uint16 is not refused");
  body = SelfCheckBody();
  body["syncs"][0]["pushdown"][0]["when"] = -1;
  ExpectRejected(WrapBody(body, "fuzz_plan selfcheck"), "a negative pushdown `when` is not refused");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool checked = (SelfCheck(), true);
  (void)checked;

  std::string text(reinterpret_cast<const char*>(data), size);
  if (Load(text, false)) return 0;  // a valid plan file: its body was decoded already

  if (JsonNesting(text) > kMaxWrapNesting) return 0;  // refused for its depth already
  json input = json::parse(text, nullptr, false);
  if (input.is_discarded() || !input.is_object()) return 0;
  auto body = input.find("plan");
  auto compiler = input.find("compiler");
  Load(WrapBody(body != input.end() && body->is_object() ? *body : input,
                compiler != input.end() ? *compiler : json("fuzz_plan")),
       true);
  return 0;
}
