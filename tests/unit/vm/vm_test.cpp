// Tests the VM: bytecode run directly, and expressions end to end (parse -> check -> lower ->
// run) for CEL's semantics: overflow and division errors, strings, cross-numeric
// comparisons, short-circuit with errors, `??`, macros, conversions.
#include <doctest/doctest.h>

#include <cmath>
#include <optional>

#include "compiler/check/expr_check.h"
#include "compiler/lower/lower.h"
#include "compiler/syntax/parser.h"
#include "runtime/vm/vm.h"

namespace {

using crmx::value::Value;
using namespace crmx;

// Evaluates `text` (checked, with `x` an int input of 5) and returns Display() of the value.
std::string Eval(const std::string& text, bool check = true) {
  SourceManager sources;
  FileId file = sources.Add("<test>", text);
  diag::DiagnosticSink sink;
  syntax::ParsedExpression parsed = syntax::ParseExpression(sources.Get(file), sink);
  if (!parsed.expr) return "parse error";
  std::vector<check::Typed> types(parsed.expr_count, check::Typed::Error());
  std::unordered_map<std::string, check::Typed> vars{{"x", check::Typed{check::Type(check::TypeKind::kInt), false}}};
  if (check) {
    check::CheckStandaloneExpr(*parsed.expr, vars, types, sink);
    if (sink.has_errors()) return "check error: " + sink.diagnostics().front().message;
  }
  lower::LowerOptions opts;
  opts.inputs = {"x"};
  vm::Program p = lower::Lower(*parsed.expr, check ? &types : nullptr, opts);
  vm::VM machine;
  Value inputs[] = {Value::Int(5)};
  return value::Display(machine.Run(p, inputs));
}

}  // namespace

TEST_CASE("values: scalars are inline, strings may borrow, lists copy on write") {
  CHECK(sizeof(Value) <= 48);
  std::string buffer = "hello";
  Value v = Value::StringView(buffer);
  CHECK(v.IsBorrowed());
  Value owned = v.Owned();
  CHECK_FALSE(owned.IsBorrowed());
  CHECK(value::Equal(v, owned));
  Value list = Value::List({Value::Int(1)});
  Value copy = list;
  copy.Append(Value::Int(2));
  CHECK(list.AsList().size() == 1);
  CHECK(copy.AsList().size() == 2);
}

TEST_CASE("values: a slice shares its string's bytes and keeps them alive") {
  Value piece;
  {
    Value whole = Value::String("Acme Inc");
    piece = whole.Slice(whole.AsText().substr(5));
  }  // `whole` is gone; its bytes live on in the piece
  CHECK(piece.AsText() == "Inc");
  CHECK_FALSE(piece.IsBorrowed());
  CHECK(piece.Owned().AsText() == "Inc");
  std::string buffer = "a,b";
  Value borrowed = Value::StringView(buffer);
  Value b = borrowed.Slice(borrowed.AsText().substr(2));
  CHECK(b.IsBorrowed());  // a piece of borrowed text borrows too
  CHECK(b.Owned().AsText() == "b");
  // split's pieces are slices: they outlive the temporary string they came from.
  CHECK(Eval("(\"x\" + \"a,b,c\").split(\",\")[2] + \"!\"") == "\"c!\"");
  CHECK(Eval("split(\"née\", \"\")") == "[\"n\", \"é\", \"e\"]");
  CHECK(Eval("\"(415) 555\".split(\"\").filter(c, c >= \"0\" && c <= \"9\").join(\"\")") == "\"415555\"");
  CHECK(Eval("'a b c'.split(' ', 2)[1].split('')") == "[\"b\", \" \", \"c\"]");
}

TEST_CASE("values: CEL equality and ordering across numbers") {
  CHECK(value::Equal(Value::Int(1), Value::Double(1.0)));
  CHECK(value::Equal(Value::Uint(1), Value::Int(1)));
  CHECK_FALSE(value::Equal(Value::Int(1), Value::String("1")));
  CHECK(value::Compare(Value::Int(-1), Value::Uint(0)) == value::Order::kLess);
  CHECK(value::Compare(Value::Int(1), Value::String("a")) == value::Order::kNoOverload);
  CHECK(value::FormatDouble(1.5e6) == "1.5e+06");
  CHECK(value::FormatDouble(123456) == "123456");
  CHECK(value::FormatDouble(0.0001) == "0.0001");
}

TEST_CASE("values: a large map finds every key through its index, as a small one by scanning") {
  // 1,000 string keys and a few others: the index (built by the first Find) must answer every
  // string key, miss what is absent, and leave bytes keys and numbers to the scan.
  for (size_t n : {size_t{5}, value::MapObject::kIndexedAt - 1, value::MapObject::kIndexedAt, size_t{1000}}) {
    CAPTURE(n);
    std::vector<std::pair<Value, Value>> entries;
    for (size_t i = 0; i < n; ++i) entries.emplace_back(Value::String("k" + std::to_string(i)), Value::Int(static_cast<int64_t>(i)));
    entries.emplace_back(Value::Int(7), Value::String("seven"));
    entries.emplace_back(Value::Bytes("b"), Value::String("bytes"));
    entries.emplace_back(Value::String(""), Value::String("empty"));
    Value m = Value::Map(std::move(entries));
    REQUIRE(m.kind() == value::Kind::kMap);
    const value::MapObject& map = m.AsMap();
    for (size_t i = 0; i < n; ++i) {
      const Value* v = map.Find(Value::String("k" + std::to_string(i)));
      REQUIRE(v != nullptr);
      CHECK(v->AsInt() == static_cast<int64_t>(i));
    }
    CHECK(map.Find(Value::String("k" + std::to_string(n))) == nullptr);
    CHECK(map.Find(Value::String("b")) == nullptr);  // only the bytes key b"b"
    REQUIRE(map.Find(Value::Bytes("b")) != nullptr);
    REQUIRE(map.Find(Value::Double(7.0)) != nullptr);  // numbers are equal across kinds
    CHECK(map.Find(Value::Double(7.0))->AsText() == "seven");
    CHECK(map.Find(Value::String("7")) == nullptr);
    REQUIRE(map.Find(Value::String("")) != nullptr);
    CHECK(map.Find(Value::String(""))->AsText() == "empty");
  }
  // Repeated keys are refused, among strings and across numeric kinds, in a large map too.
  std::vector<std::pair<Value, Value>> twice;
  for (int i = 0; i < 40; ++i) twice.emplace_back(Value::String("k" + std::to_string(i % 39)), Value::Null());
  CHECK(Value::Map(std::move(twice)).IsError());
  std::vector<std::pair<Value, Value>> numbers{{Value::Int(1), Value::Null()}, {Value::String("1"), Value::Null()},
                                               {Value::Double(1.0), Value::Null()}};
  CHECK(Value::Map(std::move(numbers)).IsError());
  std::vector<std::pair<Value, Value>> kinds{{Value::String("x"), Value::Null()}, {Value::Bytes("x"), Value::Null()}};
  CHECK_FALSE(Value::Map(std::move(kinds)).IsError());
  // Through the language: `in` and indexing a map literal of 20 entries.
  std::string literal = "{";
  for (int i = 0; i < 20; ++i) literal += (i ? ", \"c" : "\"c") + std::to_string(i) + "\": " + std::to_string(i * 10);
  literal += "}";
  CHECK(Eval(literal + "[\"c13\"]") == "130");
  CHECK(Eval("\"c19\" in " + literal) == "true");
  CHECK(Eval("\"c20\" in " + literal) == "false");
}

TEST_CASE("bytecode: a hand-built program runs") {
  vm::Program p;
  p.constants = {Value::Int(2), Value::Int(3)};
  p.input_names = {"a"};
  p.code = {{vm::Op::kConst, 0, 0, 0}, {vm::Op::kConst, 0, 0, 1}, {vm::Op::kMul}, {vm::Op::kLoadInput, 0, 0, 0},
            {vm::Op::kAdd}};
  vm::VM machine;
  Value in[] = {Value::Int(4)};
  CHECK(machine.Run(p, in).AsInt() == 10);
  // The VM is reused: a second run gives the same answer.
  CHECK(machine.Run(p, in).AsInt() == 10);
  CHECK(p.Disassemble().find("load_input 0  ; a") != std::string::npos);
}

TEST_CASE("arithmetic: overflow and division by zero are errors with a reason") {
  CHECK(Eval("9223372036854775807 + 1") == "error(integer overflow)");
  CHECK(Eval("-9223372036854775808 - 1") == "error(integer overflow)");
  CHECK(Eval("-9223372036854775808 / -1") == "error(integer overflow)");
  CHECK(Eval("1 / 0") == "error(division by zero)");
  CHECK(Eval("1 % 0") == "error(modulus by zero)");
  CHECK(Eval("7 / 2") == "3");
  CHECK(Eval("-7 % 3") == "-1");
  CHECK(Eval("1.0 / 0.0") == "+Inf");
  CHECK(Eval("x * 2 + 1") == "11");
}

TEST_CASE("decimals are exact") {
  CHECK(Eval("0.10m + 0.20m") == "0.30m");
  CHECK(Eval("1.50m * 2") == "3.00m");
  CHECK(Eval("10.0m / 4.0m") == "2.5m");
  CHECK(Eval("1.0m / 0.0m") == "error(division by zero)");
  CHECK(Eval("1.5m == 1.50m") == "true");
}

TEST_CASE("strings, lists and comparisons") {
  CHECK(Eval("\"ab\" + \"cd\"") == "\"abcd\"");
  CHECK(Eval("[1] + [2, 3]") == "[1, 2, 3]");
  CHECK(Eval("size(\"héllo\")") == "5");
  CHECK(Eval("\"hello\".contains(\"ell\") && \"hello\".startsWith(\"he\") && \"hello\".endsWith(\"lo\")") == "true");
  CHECK(Eval("\"abc\".matches(\"^a.c$\")") == "true");
  CHECK(Eval("\"a\".matches(\"(\")").rfind("error(invalid regular expression", 0) == 0);
  CHECK(Eval("1 < 1.5") == "true");
  CHECK(Eval("2 == 2.0") == "true");
  CHECK(Eval("\"a\" < \"b\"") == "true");
  CHECK(Eval("2 in [1, 2]") == "true");
  CHECK(Eval("\"k\" in {\"k\": 1}") == "true");
  CHECK(Eval("[1, 2][5]").rfind("error(index out of range", 0) == 0);
  CHECK(Eval("{\"a\": 1}.a") == "1");
  CHECK(Eval("{\"a\": 1}[\"b\"]") == "error(no such key: \"b\")");
}

TEST_CASE("logic: CEL's commutative && and || absorb errors") {
  CHECK(Eval("1 / 0 == 1 && false") == "false");
  CHECK(Eval("false && 1 / 0 == 1") == "false");
  CHECK(Eval("1 / 0 == 1 || true") == "true");
  CHECK(Eval("true && 1 / 0 == 1") == "error(division by zero)");
  CHECK(Eval("true ? 1 : 2") == "1");
  CHECK(Eval("(1 / 0 == 1) ? 1 : 2") == "error(division by zero)");
}

TEST_CASE("?? handles null and failures; hold is not handled") {
  CHECK(Eval("null ?? 3") == "3");
  CHECK(Eval("int(\"x\") ?? 7") == "7");
  CHECK(Eval("int(\"12\") ?? 7") == "12");
  CHECK(Eval("{\"a\": 1}[\"b\"] ?? 0") == "0");
  CHECK(Eval("hold \"review\"", false) == "hold(review)");
}

TEST_CASE("macros are loops") {
  CHECK(Eval("[1, 2, 3].map(v, v * 2)") == "[2, 4, 6]");
  CHECK(Eval("[1, 2, 3].filter(v, v > 1)") == "[2, 3]");
  CHECK(Eval("[1, 2, 3].all(v, v > 0)") == "true");
  CHECK(Eval("[1, 2, 3].exists(v, v == 2)") == "true");
  CHECK(Eval("[1, 2, 3].exists_one(v, v > 1)") == "false");
  CHECK(Eval("[0, 1].all(v, 1 / v > 0)") == "error(division by zero)");
  CHECK(Eval("[0, 1].exists(v, 1 / v > 0)") == "true");
  CHECK(Eval("[[1], [2, 3]].map(l, l.map(v, v + 1))") == "[[2], [3, 4]]");
  CHECK(Eval("{\"a\": 1, \"b\": 2}.map(k, k)") == "[\"a\", \"b\"]");
  CHECK(Eval("has({\"a\": 1}.a) && !has({\"a\": 1}.b)") == "true");
}

TEST_CASE("conversions follow CEL") {
  CHECK(Eval("int(\"42\")") == "42");
  CHECK(Eval("int(2.9)") == "2");
  CHECK(Eval("int(1e19)").rfind("error(range error", 0) == 0);
  CHECK(Eval("double(\"1.5\")") == "1.5");
  CHECK(Eval("string(1.5)") == "\"1.5\"");
  CHECK(Eval("string(true)") == "\"true\"");
  CHECK(Eval("bool(\"true\")") == "true");
  CHECK(Eval("uint(1)") == "1u");
  CHECK(Eval("decimal(\"19.99\")") == "19.99m");
  CHECK(Eval("duration(\"1h30m\")") == "duration(\"5400s\")");
  CHECK(Eval("timestamp(\"2009-02-13T23:31:30Z\")") == "timestamp(\"2009-02-13T23:31:30Z\")");
  CHECK(Eval("timestamp(\"2009-02-13T23:31:30Z\") + duration(\"1s\")") == "timestamp(\"2009-02-13T23:31:31Z\")");
  CHECK(Eval("type(1) == int", false) == "true");
}

TEST_CASE("the standard modules run on the VM, failures are errors with the stdlib's reason") {
  CHECK(Eval("state_code(\"California\") ?? \"?\"") == "\"CA\"");
  CHECK(Eval("state_code(\"Atlantis\") ?? \"?\"") == "\"?\"");
  CHECK(Eval("state_code(\"Atlantis\")") == "error(unknown state or province `Atlantis`)");
  CHECK(Eval("country_code(\"Germany\")") == "\"DE\"");
  CHECK(Eval("currency_of(\"Japan\")") == "\"JPY\"");
  CHECK(Eval("e164(\"(415) 555-0132\", \"US\")") == "\"+14155550132\"");
  CHECK(Eval("e164(\"hello\", \"US\")").rfind("error(", 0) == 0);
  CHECK(Eval("round(2.345m, 2)") == "2.35m");
  CHECK(Eval("round(-2.345m, 2)") == "-2.35m");
  CHECK(Eval("round(7, 2)") == "7.00m");
  CHECK(Eval("round(1.5m, x - 6)") == "error(round: scale -1 is outside 0..38)");
  CHECK(Eval("convert(100.00m, \"EUR\", \"USD\", {\"EUR\": 1.0m, \"USD\": 1.0856m})") == "108.56m");
  CHECK(Eval("convert(10.0m, \"EUR\", \"JPY\", {\"EUR\": 1.0m})") == "error(no exchange rate for `JPY`)");
  CHECK(Eval("convert(10.0m, \"EUR\", \"JPY\", {\"EUR\": 1.0m}) ?? 0.0m") == "0.0m");
  CHECK(Eval("trim(\"  Acme \")") == "\"Acme\"");
  CHECK(Eval("\"acme\".upper()") == "\"ACME\"");
  CHECK(Eval("truncate(\"Zürich\", 2)") == "\"Zü\"");
  CHECK(Eval("split(\"a,b\", \",\")") == "[\"a\", \"b\"]");
  CHECK(Eval("join([\"a\", \"b\"], \"-\")") == "\"a-b\"");
  CHECK(Eval("format(\"%s has %d\", \"Acme\", 3)") == "\"Acme has 3\"");
  CHECK(Eval("format(\"%q\", 1)").rfind("error(", 0) == 0);
  CHECK(Eval("sf_id18(\"001A000000xyzab\")") == "\"001A000000xyzabIAA\"");
  CHECK(Eval("sf_id18(\"nope\") ?? \"\"") == "\"\"");
  CHECK(Eval("digits(\"+1 (415) 555-0100\")") == "\"14155550100\"");
  CHECK(Eval("\"Acme   Corp\".re_replace(\"\\\\s+\", \" \")") == "\"Acme Corp\"");
  CHECK(Eval("re_replace(\"2024-01-19\", \"(\\\\d+)-(\\\\d+)-(\\\\d+)\", \"\\\\3.\\\\2.\\\\1\")") == "\"19.01.2024\"");
  CHECK(Eval("re_replace(\"x\", \"(\", \"\")").rfind("error(invalid regular expression", 0) == 0);
  CHECK(Eval("re_extract(\"Order PO-4711\", \"PO-(\\\\d+)\")") == "\"4711\"");
  CHECK(Eval("re_extract(\"no order\", \"PO-(\\\\d+)\") ?? \"none\"") == "\"none\"");
  CHECK(Eval("digits(null) ?? \"none\"") == "\"none\"");
  CHECK(Eval("format_date(parse_date(\"19/01/2024\", \"%d/%m/%Y\"), \"%F\")") == "\"2024-01-19\"");
  CHECK(Eval("parse_datetime(\"2024-01-19 09:42\", \"%Y-%m-%d %H:%M\", \"America/New_York\")") ==
        "timestamp(\"2024-01-19T14:42:00Z\")");
  CHECK(Eval("format_datetime(timestamp(\"2024-01-19T14:42:24Z\"), \"%F %T %Z\", \"America/New_York\")") ==
        "\"2024-01-19 09:42:24 EST\"");
  CHECK(Eval("format_datetime(timestamp(\"2024-01-19T14:42:24Z\"), \"%F\", \"Nowhere\")") ==
        "error(unknown time zone `Nowhere`)");
  // A null argument gives null; unchecked calls with wrong kinds are overload errors.
  CHECK(Eval("state_code(null) ?? \"none\"") == "\"none\"");
  CHECK(Eval("state_code(1)", false).rfind("error(no matching overload for 'state_code'", 0) == 0);
  // A hold is not handled by `??`.
  CHECK(Eval("state_code(\"Atlantis\") ?? hold \"unknown state\"") == "hold(unknown state)");
}

TEST_CASE("CEL's string and math extensions") {
  CHECK(Eval("'tacocat'.indexOf('a', 3)") == "5");
  CHECK(Eval("'ta©o©αT'.lastIndexOf('©', 3)") == "2");
  CHECK(Eval("'ta©o©αT'.substring(2, 6)") == "\"©o©α\"");
  CHECK(Eval("'tacocat'.substring(8)").rfind("error(index out of range", 0) == 0);
  CHECK(Eval("'©αT'.charAt(1)") == "\"α\"");
  CHECK(Eval("'TacoCÆt'.lowerAscii()") == "\"tacocÆt\"");
  CHECK(Eval("'{0} {0}'.replace('{0}', '2', 1)") == "\"2 {0}\"");
  CHECK(Eval("'a b c'.split(' ', 2)") == "[\"a\", \"b c\"]");
  CHECK(Eval("['x', 'y'].join()") == "\"xy\"");
  CHECK(Eval("strings.quote('a\\nb')") == "\"\\\"a\\\\nb\\\"\"");
  CHECK(Eval("'%s: %.2f'.format(['pi', 3.14159])") == "\"pi: 3.14\"");
  CHECK(Eval("'%s'.format([[1, 'a']])") == "\"[1, a]\"");
  CHECK(Eval("math.greatest(1, 2.5, -3)") == "2.5");
  CHECK(Eval("math.least([3, 1, 2])") == "1");
  CHECK(Eval("math.abs(-9223372036854775807 - 1)") == "error(integer overflow)");
  CHECK(Eval("math.ceil(1.2) == 2.0 && math.round(-1.5) == -2.0 && math.trunc(-1.7) == -1.0") == "true");
  CHECK(Eval("math.sign(-3)") == "-1");
  CHECK(Eval("math.isNaN(0.0 / 0.0) && math.isInf(1.0 / 0.0)") == "true");
  CHECK(Eval("math.bitShiftRight(-1024, 3)") == "2305843009213693824");
  CHECK(Eval("math.bitAnd(6, 3) + math.bitOr(4, 1) + math.bitXor(1, 3)") == "9");
}

TEST_CASE("two-variable macros, cel.bind and type names") {
  CHECK(Eval("[1, 2, 3].all(i, v, i < v)") == "true");
  CHECK(Eval("{'a': 1, 'b': 2}.exists(k, v, k == 'b' && v == 2)") == "true");
  CHECK(Eval("[5, 7, 8].existsOne(i, v, v % 5 == i)") == "true");
  CHECK(Eval("[2, 4, 6].transformList(i, v, i != 1, v / 2 + i)") == "[1, 5]");
  CHECK(Eval("{'foo': 'bar'}.transformMap(k, v, k + v)") == "{\"foo\": \"foobar\"}");
  CHECK(Eval("[0, 1].all(i, v, 1 / v > 0)") == "error(division by zero)");
  CHECK(Eval("cel.bind(t, x * 2, t + t)") == "20");
  CHECK(Eval("cel.bind(a, 1, cel.bind(b, a + 1, [a, b]))") == "[1, 2]");
  CHECK(Eval("type(1) == int && type('a') == string && type([]) == list") == "true");
}

TEST_CASE("format follows CEL for bools under %b and NaN under %d; identity conversions") {
  CHECK(Eval("'%b %s'.format([true, true])") == "\"1 true\"");
  CHECK(Eval("'%d'.format([0.0 / 0.0])") == "\"NaN\"");
  CHECK(Eval("'%d'.format([1.5])").rfind("error(format:", 0) == 0);
  CHECK(Eval("duration(duration('100s')) == duration('100s')") == "true");
  CHECK(Eval("timestamp(timestamp(1000000000)) == timestamp(1000000000)") == "true");
}

TEST_CASE("format prints a null argument; other standard functions give null for one") {
  CHECK(Eval("format(\"%s %s %s\", true, null, 1000000.0)") == "\"true null 1e+06\"");
  CHECK(Eval("upper(null)") == "null");
}

namespace {

// `text` parsed and lowered unchecked with the inputs `names` (kFilterText as `fuse_text`
// says); in `code` the disassembly. Nothing on a parse error.
std::optional<vm::Program> LowerUnchecked(const std::string& text, std::vector<std::string> names,
                                          bool fuse_text, std::string* code) {
  SourceManager sources;
  FileId file = sources.Add("<test>", text);
  diag::DiagnosticSink sink;
  syntax::ParsedExpression parsed = syntax::ParseExpression(sources.Get(file), sink);
  if (!parsed.expr) return std::nullopt;
  lower::LowerOptions opts;
  opts.inputs = std::move(names);
  opts.fuse_text_filters = fuse_text;
  vm::Program p = lower::Lower(*parsed.expr, nullptr, opts);
  if (code != nullptr) *code = p.Disassemble();
  return p;
}

// Runs `text` (unchecked) with input `s`, lowered with or without kFilterText; Display() of the
// value, and in `code` the disassembly.
std::string EvalOnS(const std::string& text, const Value& s, bool fuse, std::string* code = nullptr) {
  std::optional<vm::Program> p = LowerUnchecked(text, {"s"}, fuse, code);
  if (!p) return "parse error";
  vm::VM machine;
  Value inputs[] = {s};
  return value::Display(machine.Run(*p, inputs));
}

}  // namespace

TEST_CASE("split(\"\").filter(c, test).join(sep) as one filter_text gives what the loop gives") {
  const std::string invalid = "1\xff" "2\xe2\x82" "3\xc3";  // stray and truncated UTF-8 sequences
  const std::string arabic = "\xd9\xa1\xd9\xa2 7";            // Arabic-Indic digits, a space, 7
  std::vector<Value> inputs = {Value::String("(415) 555-0132"), Value::String(""), Value::String("née 9 é-"),
                               Value::StringView(invalid), Value::String(arabic), Value::String("+44 20 7946 0958"),
                               Value::Null(), Value::Int(5), Value::Bytes("12"), Value::Error("boom"),
                               Value::List({Value::String("1")})};
  const char* exprs[] = {
      "s.split(\"\").filter(c, c >= \"0\" && c <= \"9\").join(\"\")",
      "s.split('').filter(c, '0' <= c && '9' >= c).join()",
      "s.split(\"\").filter(c, c in [\"-\", \" \", \"é\"]).join(\"|\")",
      "s.split(\"\").filter(c, !(c >= \"a\" && c <= \"z\") || c == \"e\").join(\"\")",
      "s.split(\"\").filter(c, c != \" \" && c != \"\\xff\").join(\"\")",
      "s.split(\"\").filter(c, c > \"4a\" || c < \"\" || c == \"\").join(\",\")",
      "s.split(\"\").filter(c, c >= \"\\u0660\" && c <= \"\\u0669\" || c == \"7\").join(\"\")",
      "s.split(\"\").filter(c, c < \"5\" && !(c >= \"1\")).join(\"\")",
  };
  auto fuses = [](const char* e) {
    std::string code;
    EvalOnS(e, Value::String("1"), true, &code);
    return code.find("filter_text") != std::string::npos;
  };
  for (const char* e : exprs) {
    CHECK_MESSAGE(fuses(e), e);
    for (const Value& s : inputs) {
      CHECK_MESSAGE(EvalOnS(e, s, true) == EvalOnS(e, s, false), e << " on " << value::Display(s));
    }
  }
  CHECK(EvalOnS(exprs[0], inputs[0], true) == "\"4155550132\"");
  CHECK(EvalOnS(exprs[0], Value::Null(), true) == "error(no matching overload for a macro applied to (null_type))");
  // Anything else keeps the loop: a test reading another value, a non-literal separator, a map.
  const char* kept[] = {
      "s.split(\"\").filter(c, c >= s).join(\"\")",
      "s.split(\"\").filter(c, c.size() == 1).join(\"\")",
      "s.split(\"\").filter(c, c >= \"0\").join(s)",
      "s.split(\",\").filter(c, c >= \"0\").join(\"\")",
      "s.split(\"\").map(c, c).join(\"\")",
      "s.split(\"\").filter(c, c in []).join(\"\")",
  };
  for (const char* e : kept) {
    CHECK_MESSAGE(!fuses(e), e);
    CHECK(EvalOnS(e, inputs[0], true) == EvalOnS(e, inputs[0], false));
  }
}

namespace {

// Display() of `text` (unchecked, inputs x and y) on `x`, `y`, run with the VM's fused
// instructions or without, and how many `??` fallbacks the run took.
std::string EvalXY(const std::string& text, const Value& x, const Value& y, bool fuse, std::string* code = nullptr) {
  std::optional<vm::Program> lowered = LowerUnchecked(text, {"x", "y"}, true, code);
  if (!lowered) return "parse error";
  const vm::Program& p = *lowered;
  vm::VM machine;
  machine.SetFusion(fuse);
  Value inputs[] = {x, y};
  std::string out = value::Display(machine.Run(p, inputs));
  // A second run of the same program (its fused form is kept) gives the same.
  std::string again = value::Display(machine.Run(p, inputs));
  if (again != out) return "second run differs: " + out + " / " + again;
  return out + " fallbacks " + std::to_string(machine.fallbacks_taken());
}

}  // namespace

TEST_CASE("fused instructions give what the instructions they replace give") {
  const std::string text = "n\xc3\xa9" "e +1";
  const std::string invalid = "1\xff";
  std::vector<Value> values = {
      Value::Null(), Value::Error("boom"), Value::Hold("parked"), Value::Bool(true), Value::Bool(false),
      Value::Int(1), Value::Int(INT64_MAX), Value::Int(-1), Value::Uint(1), Value::Double(1.0),
      Value::Double(std::nan("")), Value::Dec(decimal::Decimal::FromInt(1)), Value::String(""),
      Value::String("+1"), Value::StringView(text), Value::StringView(invalid), Value::String("a"), Value::Bytes("a"),
      Value::List({Value::String("a"), Value::Int(1)}), Value::Map({{Value::String("a"), Value::Int(2)}}),
  };
  const char* exprs[] = {
      // binary on inputs and constants (load x; load y; op and load y; op)
      "x == 'a'", "x != null", "x == 1", "x == 1.0", "x == y", "x != y", "x < y", "x >= 'a'", "x > 0",
      "x + y", "'+' + x", "x + '+'", "x - 1", "x * 2", "x / y", "x % y", "x in y", "'a' in y", "y[x]", "x['a']",
      "x[0]", "(x + y) == (y + x)", "(x ?? 1) + 1", "size(x) > 1", "x + y + x",
      // calls (load x; call 1 / load x; load y; call 2 / load y; call 2)
      "size(x)", "x.size() == 10", "x.startsWith('+')", "x.endsWith(y)", "x.contains('\xc3\xa9')", "y.contains(x)",
      "x.trim().startsWith('+')", "x.substring(1)", "trim(x)", "x.startsWith(y) || y.endsWith(x)", "int(x)",
      "string(x) + 'z'", "x.matches('^a')",
      // ?:, ?? and macros (test_bool; jump_if_false / load x; coalesce / load_local)
      "x ?? 'd'", "y ?? x ?? 'z'", "x ? 1 : 2", "(x == 'a') ? x : y", "x == null || y == ''",
      "size(x) == 10 ? '+1' + x : null", "cel.bind(s, x, s == y ? s : y)", "[1, 'a', 2.0].exists(i, i == x)",
      "[x, y].map(v, v == 'a')", "[x, y].filter(v, v != null).size()", "x && y", "!x",
  };
  for (const char* e : exprs) {
    for (const Value& x : values) {
      for (const Value& y : values) {
        std::string fused = EvalXY(e, x, y, true);
        std::string plain = EvalXY(e, x, y, false);
        CHECK_MESSAGE(fused == plain, e << " on " << value::Display(x) << ", " << value::Display(y));
      }
    }
  }
  // && and || on two bools (answered inline) and on anything else (ApplyLogic).
  for (bool x : {false, true}) {
    for (bool y : {false, true}) {
      CHECK(EvalXY("x && y", Value::Bool(x), Value::Bool(y), true) == std::string(x && y ? "true" : "false") + " fallbacks 0");
      CHECK(EvalXY("x || y", Value::Bool(x), Value::Bool(y), true) == std::string(x || y ? "true" : "false") + " fallbacks 0");
    }
  }
  CHECK(EvalXY("x && y", Value::Error("e"), Value::Bool(false), true) == "false fallbacks 0");
  CHECK(EvalXY("x || y", Value::Bool(false), Value::Int(1), true) ==
        "error(no matching overload for '_||_' applied to (bool, int)) fallbacks 0");
  CHECK(EvalXY("x ?? 'd'", Value::Null(), Value(), true) == "\"d\" fallbacks 2");
  CHECK(EvalXY("size(x) == 10 ? '+1' + x : null", Value::String("4155550132"), Value(), true) ==
        "\"+14155550132\" fallbacks 0");
  // The forms the test means to cover are there.
  std::string code;
  EvalXY("x.trim().startsWith('+') ? (size(x) == 1 ? 'a' + x : y ?? 'b') : y[x]", Value(), Value(), true, &code);
  for (const char* op : {"load_input 0  ; x\n", "call size/1", "call startsWith/2", "test_bool", "coalesce", "index", "add"}) {
    CHECK_MESSAGE(code.find(op) != std::string::npos, op);
  }
}
