// Tests the JIT (runtime/jit) against the VM: each expression is parsed, checked (or not),
// lowered, then run twice on fresh VMs, once interpreted and once as native code; the two
// values (Display, which shows error reasons and holds), the `??` fallback counts and the
// JIT's counters must agree. A program the JIT does not cover must run on the VM, counted.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "compiler/check/expr_check.h"
#include "compiler/lower/lower.h"
#include "compiler/syntax/parser.h"
#include "runtime/jit/jit.h"
#include "runtime/vm/vm.h"

namespace {

using crmx::value::Value;
using namespace crmx;

// The inputs every expression may read: x (int 5), s (string, borrowed), l (list of ints),
// m (map), n (null), d (decimal).
const std::string kText = "  Hello, World  ";

std::vector<Value> Inputs() {
  return {Value::Int(5), Value::StringView(kText), Value::List({Value::Int(3), Value::Int(1), Value::Int(2)}),
          Value::Map({{Value::String("a"), Value::Int(1)}, {Value::String("b"), Value::String("x")}}), Value::Null(),
          Value::Dec(*decimal::Decimal::Parse("19.99"))};
}

vm::Program Lower(const std::string& text, bool check) {
  SourceManager sources;
  FileId file = sources.Add("<test>", text);
  diag::DiagnosticSink sink;
  syntax::ParsedExpression parsed = syntax::ParseExpression(sources.Get(file), sink);
  REQUIRE_MESSAGE(parsed.expr, text);
  std::vector<check::Typed> types(parsed.expr_count, check::Typed::Error());
  using check::Type;
  using check::TypeKind;
  std::unordered_map<std::string, check::Typed> vars{
      {"x", check::Typed{Type(TypeKind::kInt), false}},
      {"s", check::Typed{Type::String(), false}},
      {"l", check::Typed{Type::List(Type(TypeKind::kInt)), false}},
      {"m", check::Typed{Type::Map(Type::String(), Type(TypeKind::kDyn)), false}},
      {"n", check::Typed{Type(TypeKind::kNull), true}},
      {"d", check::Typed{Type::Decimal(std::nullopt, std::nullopt), false}},
  };
  if (check) {
    check::CheckStandaloneExpr(*parsed.expr, vars, types, sink);
    REQUIRE_MESSAGE(!sink.has_errors(), text << ": " << (sink.has_errors() ? sink.diagnostics().front().message : ""));
  }
  lower::LowerOptions opts;
  opts.inputs = {"x", "s", "l", "m", "n", "d"};
  return lower::Lower(*parsed.expr, check ? &types : nullptr, opts);
}

bool IsNative(const vm::Program& p) { return p.native != nullptr; }

struct Both {
  std::string vm, jit;
  uint64_t vm_fallbacks = 0, jit_fallbacks = 0;
  bool compiled = false;
};

// Runs `text` on the VM and as native code (twice each: a VM is reused between runs).
Both Run(jit::Jit& j, const std::string& text, bool check = true) {
  vm::Program interpreted = Lower(text, check);
  vm::Program native = interpreted;
  std::string error;
  REQUIRE_MESSAGE(j.Compile({&native}, error), error);
  Both out;
  out.compiled = IsNative(native);
  CHECK_FALSE(IsNative(interpreted));
  std::vector<Value> in = Inputs();
  vm::VM a, b;
  a.SetClock(value::Time{1700000000, 0});
  b.SetClock(value::Time{1700000000, 0});
  for (int i = 0; i < 2; ++i) {
    out.vm = value::Display(a.Run(interpreted, in));
    out.jit = value::Display(b.Run(native, in));
  }
  out.vm_fallbacks = a.fallbacks_taken();
  out.jit_fallbacks = b.fallbacks_taken();
  return out;
}

std::unique_ptr<jit::Jit> MakeJit(jit::Options options = {}) {
  std::string error;
  auto j = jit::Jit::Create(error, std::move(options));
  REQUIRE_MESSAGE(j, error);
  return j;
}

// Every expression: the JIT compiles it, and it gives the VM's value and fallback count.
void Same(jit::Jit& j, const std::vector<std::string>& exprs, bool check = true) {
  for (const std::string& e : exprs) {
    Both r = Run(j, e, check);
    INFO(e);
    CHECK(r.compiled);
    CHECK(r.vm == r.jit);
    CHECK(r.vm_fallbacks == r.jit_fallbacks);
  }
}

}  // namespace

TEST_CASE("jit: arithmetic, overflow and division errors are the VM's") {
  auto j = MakeJit();
  Same(*j, {"x * 2 + 1", "9223372036854775807 + x", "-9223372036854775808 - 1", "-9223372036854775808 / -1",
            "x / 0", "x % 0", "7 / 2", "-7 % 3", "1.0 / 0.0", "-x", "-(-9223372036854775807 - 1)", "1u + 2u",
            "0u - 1u", "0.10m + 0.20m", "d * 2", "d / 3", "d % 7", "10.0m / 0.0m", "1.5 * x", "d + 1",
            "x - 1.5", "duration(\"1h\") + duration(\"30m\")",
            "timestamp(\"2009-02-13T23:31:30Z\") - timestamp(\"2009-02-13T23:31:00Z\")",
            "timestamp(\"2009-02-13T23:31:30Z\") + duration(\"1s\")"});
  Same(*j, {"1 + \"a\"", "x * true", "-\"a\"", "d + 1.5", "1 + 1u"}, false);
}

TEST_CASE("jit: comparisons, equality, `in`, indexing and selection") {
  auto j = MakeJit();
  Same(*j, {"1 < 1.5", "2 == 2.0", "x != 5", "\"a\" < \"b\"", "x >= 5u", "d > 19.98m", "d <= 20", "2 in l",
            "7 in l", "\"a\" in m", "\"z\" in m", "l[0]", "l[5]", "l[-1]", "m.a", "m[\"b\"]", "m[\"z\"]",
            "has(m.a) && !has(m.z)", "l[1u]", "{\"k\": {\"j\": 1}}.k.j", "[l, [x]][1][0]",
            "0.0/0.0 < 1.0", "size(l) == 3 && l == [3, 1, 2]", "m == {\"b\": \"x\", \"a\": 1}"});
  Same(*j, {"1 < \"a\"", "x.f", "x[0]", "1 in 2", "{[1]: 2}", "{1: 1, 1: 2}", "[1, 1 / 0]", "{1: 1 / 0}",
            "l[\"a\"]", "m[[1]]", "[1, 2][1.0]", "[1, 2][1.5]"},
       false);
}

TEST_CASE("jit: strings and lists") {
  auto j = MakeJit();
  Same(*j, {"s + \"!\"", "s.trim()", "trim(s).upper()", "s.lower().contains(\"world\")", "size(s)",
            "s.startsWith(\"  H\") && s.endsWith(\"  \")", "s.matches(\"W.rld\")", "s.matches(\"(\")",
            "s.trim().truncate(5)", "split(s.trim(), \", \")", "split(s.trim(), \", \").join(\"-\")",
            "s.replace(\"l\", \"L\")", "s.indexOf(\"o\")", "s.trim().substring(0, 5)", "s.trim().charAt(1)",
            "s.trim().reverse()", "\"%s-%d\".format([\"a\", 3])", "l + [4]", "[] + l", "l + []", "size(l + l)",
            "string(x) + string(d) + string(1.5)", "int(\"42\") + int(\"x\")", "double(\"1.5\")",
            "re_replace(s, \"[lo]\", \"_\")", "re_extract(s, \"W(o)rld\")", "digits(\"+1 (415) 555\")"});
}

TEST_CASE("jit: short-circuit logic with errors, ternaries, `??` and holds") {
  auto j = MakeJit();
  Same(*j, {"1 / 0 == 1 && false", "false && 1 / 0 == 1", "1 / 0 == 1 || true", "true && 1 / 0 == 1",
            "x > 1 && x < 10 || x == 0", "!(x > 1)", "true ? 1 : 2", "x > 9 ? \"big\" : \"small\"",
            "(1 / 0 == 1) ? 1 : 2", "n ?? 3", "int(\"x\") ?? 7", "int(\"12\") ?? 7", "m[\"z\"] ?? n ?? x",
            "(n ?? n) ?? 1", "l[9] ?? l[0]", "s.trim() ?? \"none\""});
  Same(*j, {"hold \"review\"", "hold \"review\" ?? 1", "x > 1 ? hold \"big\" : x", "!1", "1 ? 2 : 3",
            "1 && true", "true || 1", "\"a\" && \"b\""},
       false);
}

TEST_CASE("jit: `??` counts its fallbacks exactly like the VM (the engine's `flag`)") {
  auto j = MakeJit();
  Both r = Run(*j, "[n ?? 1, m.z ?? 2, x ?? 3, int(\"q\") ?? 4]");
  CHECK(r.compiled);
  CHECK(r.jit == "[1, 2, 5, 4]");
  CHECK(r.vm == r.jit);
  CHECK(r.vm_fallbacks == 6);  // 3 fallbacks a run, two runs
  CHECK(r.jit_fallbacks == r.vm_fallbacks);
  Both loop = Run(*j, "l.map(v, m[string(v)] ?? v)");
  CHECK(loop.jit_fallbacks == 6);
  CHECK(loop.vm_fallbacks == loop.jit_fallbacks);
}

TEST_CASE("jit: macros, two-variable macros and cel.bind") {
  auto j = MakeJit();
  Same(*j, {"l.map(v, v * 2)", "l.filter(v, v > 1)", "l.all(v, v > 0)", "l.exists(v, v == 2)",
            "l.exists_one(v, v > 1)", "[0, 1].all(v, 1 / v > 0)", "[0, 1].exists(v, 1 / v > 0)",
            "[[1], [2, 3]].map(q, q.map(v, v + 1))", "m.map(k, k)", "m.filter(k, k == \"a\")",
            "l.filter(v, 1 / (v - 1) > 0)", "l.exists_one(v, 1 / (v - 3) > 0)",
            "l.all(i, v, i < v)", "l.exists(i, v, i == v)", "l.existsOne(i, v, i == 2)",
            "l.transformList(i, v, i * v)", "l.transformList(i, v, v > 1, i)", "m.transformMap(k, v, k + \"!\")",
            "l.transformMap(i, v, v * 2)", "cel.bind(t, x * 2, t + t)", "l.map(v, l.filter(w, w < v))",
            "[].map(v, v)", "m.exists(k, m[k] == 1)", "cel.bind(a, l.map(v, v + x), a.filter(v, v > 7))"});
  Same(*j, {"1.map(v, v)", "x.all(v, true)", "l.filter(v, v)", "l.exists_one(v, 1)", "l.map(v, 1 / (v - 1))",
            "n.exists(v, true)"},
       false);
}

TEST_CASE("jit: builtins, conversions, math and the clock") {
  auto j = MakeJit();
  Same(*j, {"int(2.9)", "int(1e19)", "uint(x)", "decimal(\"19.99\")", "string(true)", "bool(\"true\")",
            "duration(\"1h30m\")", "timestamp(\"2009-02-13T23:31:30Z\")", "bytes(\"ab\")",
            "math.greatest(1, x, 3)", "math.least([4, 2])", "math.abs(-3)", "math.ceil(1.2)",
            "math.bitShiftLeft(1, 4)", "state_code(\"California\") ?? \"?\"", "state_code(\"Atlantis\")",
            "country_code(\"Germany\")", "round(d, 1)", "round(1.5m, x - 6)",
            "convert(100.00m, \"EUR\", \"USD\", {\"EUR\": 1.0m, \"USD\": 1.0856m})", "now()", "today()",
            "format_date(date(\"2024-01-19\"), \"%d/%m/%Y\")", "parse_date(\"19/01/2024\", \"%d/%m/%Y\")",
            "sf_id18(\"001A0000006Vm9r\")"});
  Same(*j, {"type(1) == int", "dyn(x) + 1"}, false);
}

TEST_CASE("jit: a program left out runs on the VM, counted, with the same value") {
  jit::Options options;
  options.leave_out = {vm::Op::kIn};
  auto j = MakeJit(options);
  Both covered = Run(*j, "x + 1");
  Both left = Run(*j, "2 in l ? x ?? 1 : 0");
  CHECK(covered.compiled);
  CHECK_FALSE(left.compiled);
  CHECK(left.vm == left.jit);
  CHECK(j->stats().programs == 2);
  CHECK(j->stats().compiled == 1);
  CHECK(j->stats().on_vm.at("in") == 1);
  CHECK(j->stats().Summary().rfind("jit: 1 of 2 programs compiled, 1 on the VM (ops: in 1)", 0) == 0);
}

TEST_CASE("jit: bytecode whose stack heights disagree is not compiled") {
  auto j = MakeJit();
  vm::Program p;
  p.constants = {Value::Bool(true), Value::Int(1)};
  // if true: push 1 and 1, else push 1: two heights at the end.
  p.code = {{vm::Op::kConst, 0, 0, 0}, {vm::Op::kJumpIfFalse, 0, 0, 4}, {vm::Op::kConst, 0, 0, 1},
            {vm::Op::kConst, 0, 0, 1}, {vm::Op::kConst, 0, 0, 1}};
  CHECK(j->Uncovered(p) == "stack");
  std::string error;
  REQUIRE(j->Compile({&p}, error));
  CHECK_FALSE(IsNative(p));
  CHECK(j->stats().on_vm.at("stack") == 1);
  // A hand-built program that does fit is compiled and runs.
  vm::Program q;
  q.constants = {Value::Int(2), Value::Int(3)};
  q.input_names = {"a"};
  q.code = {{vm::Op::kConst, 0, 0, 0}, {vm::Op::kConst, 0, 0, 1}, {vm::Op::kMul}, {vm::Op::kLoadInput, 0, 0, 0},
            {vm::Op::kAdd}};
  REQUIRE(j->Compile({&q}, error));
  REQUIRE(IsNative(q));
  vm::VM machine;
  Value in[] = {Value::Int(4)};
  CHECK(machine.Run(q, in).AsInt() == 10);
  CHECK(machine.Run(q, in).AsInt() == 10);
  // The empty program is null on both.
  vm::Program empty;
  REQUIRE(j->Compile({&empty}, error));
  CHECK(IsNative(empty));
  CHECK(machine.Run(empty, {}).IsNull());
}

TEST_CASE("jit: CompilePlan compiles every program of a plan, once") {
  auto j = MakeJit();
  plan::Plan p;
  plan::Map m;
  m.name = "m";
  plan::SharedValue shared;
  shared.program = Lower("s.trim()", true);
  m.shared.push_back(shared);
  plan::Step key;
  key.kind = plan::StepKind::kKey;
  key.program = Lower("x", true);
  plan::Step assign;
  assign.program = Lower("n ?? \"Net 30\"", true);
  assign.flag_probe = Lower("n", true);
  m.steps = {key, assign};
  p.maps.push_back(m);
  plan::Sync sync;
  sync.map = "m";
  plan::WhenPart when;
  when.program = Lower("x > 1", true);
  sync.when.push_back(when);
  p.syncs.push_back(sync);
  plan::Reconcile r;
  plan::ReconcileKey k;
  k.left.program = Lower("x", true);
  k.right.program = Lower("x + 0", true);
  r.keys.push_back(k);
  plan::ReconcileRule rule;
  rule.left.program = Lower("d", true);
  rule.right.program = Lower("d * 1", true);
  r.rules.push_back(rule);
  p.reconciles.push_back(r);
  plan::Alert alert;
  alert.when.push_back(when);
  p.alerts.push_back(alert);
  std::string error;
  REQUIRE_MESSAGE(j->CompilePlan(p, error), error);
  CHECK(j->stats().programs == 10);
  CHECK(j->stats().compiled == 10);
  CHECK(IsNative(p.maps[0].shared[0].program));
  CHECK(IsNative(*p.maps[0].steps[1].flag_probe));
  CHECK(IsNative(p.reconciles[0].rules[0].right.program));
  CHECK(IsNative(p.alerts[0].when[0].program));
  // The compiled plan runs as the VM runs it.
  vm::VM machine;
  std::vector<Value> in = Inputs();
  CHECK(value::Display(machine.Run(p.maps[0].steps[1].program, in)) == "\"Net 30\"");
  CHECK(machine.fallbacks_taken() == 1);
  CHECK(value::Display(machine.Run(p.maps[0].shared[0].program, in)) == "\"Hello, World\"");
  // A second CompilePlan finds them compiled: nothing is compiled twice.
  vm::NativeFn before = p.maps[0].steps[1].program.native;
  REQUIRE(j->CompilePlan(p, error));
  CHECK(j->stats().programs == 20);
  CHECK(j->stats().compiled == 20);
  const bool same = p.maps[0].steps[1].program.native == before;
  CHECK(same);
}
