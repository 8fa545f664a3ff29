// Tests the optimizer of expression programs (compiler/opt): each case lowers a checked
// expression twice, without and with the optimizer, and compares the code (what folding and
// common subexpressions did) and the values both programs compute for several inputs (that
// they did not change what the expression means). The last case runs every example of
// docs/stdlib.md both ways.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "compiler/check/expr_check.h"
#include "compiler/lower/lower.h"
#include "compiler/opt/optimize.h"
#include "compiler/syntax/parser.h"
#include "runtime/vm/vm.h"

namespace {

using namespace crmx;
using value::Value;

// One expression over the inputs `s` (string), `n` (int) and `m` (decimal), lowered both ways.
struct Lowered {
  bool ok = false;
  vm::Program before, after;
  opt::OptimizeStats stats;
};

Lowered LowerBoth(const std::string& text, bool check = true) {
  SourceManager sources;
  FileId file = sources.Add("<test>", text);
  diag::DiagnosticSink sink;
  syntax::ParsedExpression parsed = syntax::ParseExpression(sources.Get(file), sink);
  Lowered out;
  if (!parsed.expr) return out;
  std::vector<check::Typed> types(parsed.expr_count, check::Typed::Error());
  std::unordered_map<std::string, check::Typed> vars{
      {"s", check::Typed{check::Type::String(), false}},
      {"n", check::Typed{check::Type(check::TypeKind::kInt), false}},
      {"m", check::Typed{check::Type::Decimal(std::nullopt, std::nullopt), false}}};
  if (check) {
    check::CheckStandaloneExpr(*parsed.expr, vars, types, sink);
    if (sink.has_errors()) return out;
  }
  lower::LowerOptions opts;
  opts.inputs = {"s", "n", "m"};
  opts.optimize = false;
  out.before = lower::Lower(*parsed.expr, check ? &types : nullptr, opts);
  out.after = out.before;
  out.stats = opt::Optimize(out.after);
  out.ok = true;
  return out;
}

std::string Run(vm::VM& machine, const vm::Program& p, const std::vector<Value>& inputs) {
  return value::Display(machine.Run(p, inputs));
}

// The input sets every expression is run with: ordinary values, empty and blank text, zero,
// the extremes of int.
std::vector<std::vector<Value>> InputSets() {
  auto dec = [](const char* t) { return Value::Dec(*decimal::Decimal::Parse(t)); };
  return {{Value::String("  Acme "), Value::Int(5), dec("19.99")},
          {Value::String(""), Value::Int(0), dec("0")},
          {Value::String("   "), Value::Int(-1), dec("-0.01")},
          {Value::String("a"), Value::Int(INT64_MAX), dec("100.000")},
          {Value::Null(), Value::Int(INT64_MIN), Value::Null()}};
}

// Both programs give the same value (Display: kind, digits, scale, reason) on every input set.
void CheckSameValues(const std::string& text, const Lowered& l) {
  vm::VM machine;
  for (const std::vector<Value>& in : InputSets()) {
    INFO(text, "\nbefore:\n", l.before.Disassemble(), "after:\n", l.after.Disassemble());
    CHECK(Run(machine, l.before, in) == Run(machine, l.after, in));
  }
}

int Count(const vm::Program& p, const std::string& needle) {
  std::string d = p.Disassemble();
  int n = 0;
  for (size_t at = d.find(needle); at != std::string::npos; at = d.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("folding: integer arithmetic on constants becomes one constant") {
  Lowered l = LowerBoth("n + 60 * 60 * 24");
  REQUIRE(l.ok);
  CHECK(l.before.Disassemble() ==
        "0  load_input 1  ; n\n1  const 0  ; 60\n2  const 1  ; 60\n3  mul\n4  const 2  ; 24\n5  mul\n6  add\n");
  CHECK(l.after.Disassemble() == "0  load_input 1  ; n\n1  const 0  ; 86400\n2  add\n");
  CHECK(l.after.constants.size() == 1);
  CHECK(l.stats.folded == 2);
  CheckSameValues("n + 60 * 60 * 24", l);
}

TEST_CASE("folding: errors are not folded, they stay run-time errors with their reason") {
  for (const char* text : {"1 / 0", "9223372036854775807 + 1", "-9223372036854775808 / -1", "1.0m / 0.0m",
                           "int(\"x\")", "[1, 2][5]", "{\"a\": 1}.b", "\"a\".matches(\"(\")"}) {
    Lowered l = LowerBoth(text);
    REQUIRE(l.ok);
    INFO(std::string(text));
    // The failing operation is still there, last (its list or map operand may have folded).
    CHECK(l.after.code.back().op == l.before.code.back().op);
    vm::VM machine;
    std::string value = Run(machine, l.after, {Value(), Value(), Value()});
    CHECK(value.rfind("error(", 0) == 0);
    CHECK(value == Run(machine, l.before, {Value(), Value(), Value()}));
  }
  CHECK(LowerBoth("1 / 0").stats.folded == 0);
  // The part of an expression that does fold still folds: `(2 + 3) / 0` keeps its division.
  Lowered l = LowerBoth("(2 + 3) / 0");
  CHECK(l.after.Disassemble() == "0  const 0  ; 5\n1  const 1  ; 0\n2  div\n");
  CheckSameValues("(2 + 3) / 0", l);
}

TEST_CASE("folding: decimals stay exact, with their scale") {
  Lowered l = LowerBoth("m + (0.10m + 0.20m)");
  REQUIRE(l.ok);
  CHECK(l.after.Disassemble() == "0  load_input 2  ; m\n1  const 0  ; 0.30m\n2  add\n");
  Lowered div = LowerBoth("10.0m / 4.0m");
  CHECK(div.after.Disassemble() == "0  const 0  ; 2.5m\n");
  Lowered third = LowerBoth("1.0m / 3.0m");
  CHECK(third.after.Disassemble() == "0  const 0  ; 0.3333333333333333m\n");
  CheckSameValues("m + (0.10m + 0.20m)", l);
}

TEST_CASE("folding: stdlib calls on constants fold only when their result cannot depend on data") {
  Lowered up = LowerBoth("upper(\"acme\") + s");
  REQUIRE(up.ok);
  CHECK(up.after.Disassemble() == "0  const 0  ; \"ACME\"\n1  load_input 0  ; s\n2  add\n");
  // Country tables, phone metadata and time zone rules are left to the run.
  for (const char* text : {"state_code(\"California\")", "country_code(\"Germany\")", "e164(\"(415) 555-0132\", \"US\")",
                           "format_datetime(timestamp(\"2024-01-19T14:42:24Z\"), \"%F\", \"America/New_York\")"}) {
    Lowered l = LowerBoth(text);
    REQUIRE(l.ok);
    INFO(std::string(text));
    CHECK(Count(l.after, "call ") >= 1);
    CheckSameValues(text, l);
  }
  // `timestamp("...")` itself is pure: it folds inside format_datetime's arguments.
  Lowered ts = LowerBoth("format_datetime(timestamp(\"2024-01-19T14:42:24Z\"), \"%F\", \"America/New_York\")");
  CHECK(Count(ts.after, "call timestamp") == 0);
}

TEST_CASE("folding: list literals become constants, so `in` reads one list") {
  Lowered l = LowerBoth("s in [\"Closed\" + \" Won\", \"Renewal\"]");
  REQUIRE(l.ok);
  CHECK(l.after.Disassemble() == "0  load_input 0  ; s\n1  const 0  ; [\"Closed Won\", \"Renewal\"]\n2  in\n");
  CheckSameValues("s in [...]", l);
}

TEST_CASE("folding: jumps still land where they did") {
  const char* text = "s == \"a\" ? 1 + 2 : (n > 0 && 3 * 4 > 10 ? 5 - 6 : 7 % 4)";
  Lowered l = LowerBoth(text);
  REQUIRE(l.ok);
  CHECK(l.stats.folded == 5);
  CHECK(l.after.code.size() < l.before.code.size());
  CheckSameValues(text, l);
}

TEST_CASE("common subexpressions: a repeated call is computed once and kept in a local") {
  const char* text = "s.trim() != \"\" ? s.trim() : \"unknown\"";
  Lowered l = LowerBoth(text);
  REQUIRE(l.ok);
  CHECK(Count(l.before, "call trim") == 2);
  CHECK(l.after.Disassemble() ==
        "0  load_input 0  ; s\n"
        "1  call trim/1\n"
        "2  store_local 0\n"
        "3  load_local 0\n"
        "4  const 0  ; \"\"\n"
        "5  ne\n"
        "6  test_bool 11\n"
        "7  jump_if_false 10\n"
        "8  load_local 0\n"
        "9  jump 11\n"
        "10  const 1  ; \"unknown\"\n");
  CHECK(l.after.local_count == 1);
  CHECK(l.stats.shared == 1);
  CheckSameValues(text, l);
}

TEST_CASE("common subexpressions: the largest repeated expression is shared whole") {
  const char* text = "size(s.trim()) > 0 && size(s.trim()) < 80";
  Lowered l = LowerBoth(text);
  REQUIRE(l.ok);
  CHECK(Count(l.after, "call trim") == 1);
  CHECK(Count(l.after, "call size") == 1);
  CHECK(l.stats.shared == 1);
  CheckSameValues(text, l);
}

TEST_CASE("common subexpressions: nothing is shared between branches, nor across loop iterations") {
  // Neither branch runs on every path to the other.
  Lowered branches = LowerBoth("s == \"a\" ? s.trim() : s.trim() + \"!\"");
  REQUIRE(branches.ok);
  CHECK(Count(branches.after, "call trim") == 2);
  CHECK(branches.stats.shared == 0);
  // A value first computed in the right operand of `||`, which `n > 0` may skip, is not
  // reused after the `||`.
  Lowered right = LowerBoth("(n > 0 || s.trim() == \"x\") && s.trim() == \"y\"");
  CHECK(Count(right.after, "call trim") == 2);
  // Macro variables change per iteration: `v.trim()` is computed per element, twice.
  Lowered loop = LowerBoth("[s, s].map(v, v.trim() + v.trim())");
  REQUIRE(loop.ok);
  CHECK(Count(loop.after, "call trim") == 2);
  CheckSameValues("branches", branches);
  CheckSameValues("right", right);
  CheckSameValues("loop", loop);
}

TEST_CASE("common subexpressions: the left operand of && is shared with the right") {
  const char* text = "s.trim() != \"\" && s.trim().size() < 10";
  Lowered l = LowerBoth(text);
  REQUIRE(l.ok);
  CHECK(Count(l.after, "call trim") == 1);
  CheckSameValues(text, l);
}

TEST_CASE("optimizer: a corpus of expressions computes the same values both ways") {
  const char* corpus[] = {
      "s.trim().upper() + s.trim().lower()",
      "n * 2 + n * 2 == 4 * n",
      "(n + 1) / (n - n)",
      "m * 2 + m * 2",
      "m > 0 ? m * 1.5m : m * 1.5m - 1.0m",
      "s ?? \"none\"",
      "s.trim() ?? s.trim()",
      "[n, n + 1, n + 1].filter(v, v > n + 0)",
      "{\"a\": n + 1, \"b\": n + 1}",
      "has({\"a\": 1}.a) && n in [1, 2, 3 + 2]",
      "size(s) > 2 || size(s) < 1 || size(s) == 0",
      "string(n) + string(n)",
      "s.trim() == \"\" ? hold \"blank\" : s.trim()",
      "[1, 2, 3].map(v, v * (2 + 3))",
      "[1, 2, 3].all(v, v < n + 10) && [1, 2, 3].exists(v, v == n + 10)",
      "cel.bind(t, s.trim(), t + t) + s.trim()",
      "math.greatest(1, 2, 3) + n",
      "int(\"4\" + \"2\") + n",
      "-(-(n))",
      "!(!(n > 0))",
      "timestamp(\"2024-01-01T00:00:00Z\") + duration(\"1h\") > timestamp(\"2024-01-01T00:00:00Z\")",
  };
  int changed = 0;
  for (const char* text : corpus) {
    Lowered l = LowerBoth(text);
    INFO(std::string(text));
    REQUIRE(l.ok);
    changed += l.stats.folded + l.stats.shared > 0;
    CheckSameValues(text, l);
  }
  CHECK(changed >= 15);
}

namespace {

// `CALL   // EXPECTED` lines of the ```cel example blocks of docs/stdlib.md: the calls.
std::vector<std::string> StdlibExamples() {
  std::ifstream in(std::string(CRMX_SOURCE_DIR) + "/docs/stdlib.md");
  std::vector<std::string> out;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) {
      inside = !inside && line.find("cel example") != std::string::npos;
      continue;
    }
    if (!inside || line.find_first_not_of(' ') == std::string::npos) continue;
    // The `//` that starts the expectation is the first one outside a string literal.
    bool quoted = false;
    for (size_t i = 0; i + 1 < line.size(); ++i) {
      if (line[i] == '\\' && quoted) ++i;
      else if (line[i] == '"') quoted = !quoted;
      else if (!quoted && line.compare(i, 2, "//") == 0) {
        out.push_back(line.substr(0, i));
        break;
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("optimizer: every example of docs/stdlib.md gives the same value both ways") {
  std::vector<std::string> examples = StdlibExamples();
  REQUIRE(examples.size() > 100);
  int folded = 0, checked = 0;
  vm::VM machine;
  for (const std::string& text : examples) {
    // Examples use `date("...")`, which the checker does not know: those run unchecked.
    Lowered l = LowerBoth(text);
    if (!l.ok) l = LowerBoth(text, false);
    INFO(text);
    REQUIRE(l.ok);
    ++checked;
    folded += l.stats.folded > 0;
    CHECK(Run(machine, l.before, {Value(), Value(), Value()}) == Run(machine, l.after, {Value(), Value(), Value()}));
  }
  CHECK(checked == static_cast<int>(examples.size()));
  // Most examples are calls on literals: the optimizer really computed them at compile time.
  CHECK(folded > static_cast<int>(examples.size()) / 3);
}
