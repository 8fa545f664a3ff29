// The parse entry point: the AST it builds and the syntax errors it reports.
#include <doctest/doctest.h>

#include <sstream>

#include "compiler/ast/dump.h"
#include "compiler/syntax/parser.h"

using namespace crmx;

namespace {

struct Parsed {
  SourceManager sm;
  diag::DiagnosticSink sink;
  std::unique_ptr<ast::Module> module;
  std::string dump;
};

std::unique_ptr<Parsed> ParseText(const std::string& text, syntax::ParseOptions opt = {}) {
  auto p = std::make_unique<Parsed>();
  FileId id = p->sm.Add("t.crmx", text);
  p->module = syntax::Parse(p->sm.Get(id), p->sink, opt);
  std::ostringstream ss;
  ast::Dump(ss, *p->module);
  p->dump = ss.str();
  return p;
}

const std::string kSpec = R"(integration t {
  system crm: salesforce {}
  system erp: netsuite {}
  map m: crm.Account -> erp.Customer {
    key externalId = Id
    name = Name ?? "x" flag "f"
  }
  sync m on change when Name == "a"
}
)";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t i = s.find(from);
  REQUIRE(i != std::string::npos);
  return s.replace(i, from.size(), to);
}

}  // namespace

TEST_CASE("a valid spec parses into the AST with positions") {
  auto p = ParseText(kSpec);
  CHECK(p->sink.diagnostics().empty());
  CHECK(p->module->is_integration());
  CHECK(p->module->name.text == "t");
  CHECK(p->dump.find("map @4:3 m: crm.Account -> erp.Customer") != std::string::npos);
  CHECK(p->dump.find("assign @6:5 name = (?? (id Name) \"x\") flag \"f\"") != std::string::npos);
  CHECK(p->dump.find("sync @8:3 m on change when (== (id Name) \"a\")") != std::string::npos);
}

TEST_CASE("CEL precedence, with ?? between comparisons and + -") {
  auto p = ParseText(Replace(kSpec, "Name ?? \"x\"", "a ?? b + 1 == c || !d && e ? f : g in [1, 2]"));
  CHECK(p->sink.diagnostics().empty());
  CHECK(p->dump.find("(?: (|| (== (?? (id a) (+ (id b) 1)) (id c)) (&& (! (id d)) (id e))) (id f) (in (id g) (list 1 2)))") !=
        std::string::npos);
}

TEST_CASE("the most negative int64 literal is accepted, one more is an error") {
  auto ok = ParseText(Replace(kSpec, "Name ?? \"x\"", "-9223372036854775808"));
  CHECK(ok->sink.diagnostics().empty());
  auto bad = ParseText(Replace(kSpec, "Name ?? \"x\"", "-9223372036854775809"));
  REQUIRE(bad->sink.diagnostics().size() == 1);
  CHECK(bad->sink.diagnostics()[0].code() == "E0010");
}

TEST_CASE("`=` in a when condition is E0004 with a machine-applicable fix") {
  auto p = ParseText(Replace(kSpec, "Name == \"a\"", "Name = \"a\""));
  REQUIRE(p->sink.diagnostics().size() == 1);
  const auto& d = p->sink.diagnostics()[0];
  CHECK(d.code() == "E0004");
  CHECK(d.primary.span.line == 8);
  REQUIRE(d.fix);
  CHECK(d.fix->replacement == "==");
  CHECK(d.fix->applicable);
}

TEST_CASE("missing `->` in a map header names the map") {
  auto p = ParseText(Replace(kSpec, "crm.Account -> erp", "crm.Account erp"));
  REQUIRE(!p->sink.diagnostics().empty());
  CHECK(p->sink.diagnostics()[0].message ==
        "expected `->` between the source and target objects of map `m`, found `erp`");
}

TEST_CASE("`:` for `=` in an assignment is E0005") {
  auto p = ParseText(Replace(kSpec, "name = Name", "name: Name"));
  REQUIRE(p->sink.diagnostics().size() == 1);
  CHECK(p->sink.diagnostics()[0].code() == "E0005");
}

TEST_CASE("a keyword as a name is E0006; in backticks it is a name") {
  auto p = ParseText(Replace(kSpec, "map m:", "map table:"));
  REQUIRE(!p->sink.diagnostics().empty());
  CHECK(p->sink.diagnostics()[0].code() == "E0006");
  auto q = ParseText(Replace(kSpec, "name = Name", "`key` = Name"));
  CHECK(q->sink.diagnostics().empty());
  CHECK(q->dump.find("assign @6:5 key =") != std::string::npos);
}

TEST_CASE("contextual keywords are names") {
  auto p = ParseText(Replace(kSpec, "name = Name", "schema = every.within ?? version"));
  CHECK(p->sink.diagnostics().empty());
}

TEST_CASE("an unterminated string is reported where its quote is missing") {
  auto p = ParseText(Replace(kSpec, "\"x\" flag", "\"x flag"));
  REQUIRE(!p->sink.diagnostics().empty());
  const auto& d = p->sink.diagnostics()[0];
  CHECK(d.code() == "E0002");
  CHECK(d.primary.span.line == 6);
  REQUIRE(d.secondary.size() == 1);
}

TEST_CASE("a missing `}` points at the end, and back at the open brace") {
  std::string text = kSpec.substr(0, kSpec.rfind('}'));
  auto p = ParseText(text);
  REQUIRE(p->sink.diagnostics().size() == 1);
  const auto& d = p->sink.diagnostics()[0];
  CHECK(d.code() == "E0003");
  CHECK(d.primary.span.begin == text.size());
  REQUIRE(d.secondary.size() == 1);
  CHECK(d.secondary[0].span.line == 1);
}

TEST_CASE("an empty file and a file without a block") {
  auto e = ParseText("// nothing here\n");
  REQUIRE(e->sink.diagnostics().size() == 1);
  CHECK(e->sink.diagnostics()[0].code() == "E0015");
  auto b = ParseText("table t = {}\n");
  REQUIRE(b->sink.diagnostics().size() == 1);
  CHECK(b->sink.diagnostics()[0].code() == "E0016");
}

TEST_CASE("all errors of a file are reported in one run, up to the cap") {
  std::string text = "integration t {\n";
  for (int i = 0; i < 80; ++i) text += "  map m" + std::to_string(i) + ": crm.A erp.B { }\n";
  text += "}\n";
  auto p = ParseText(text);
  size_t e0001 = 0;
  bool capped = false;
  for (const auto& d : p->sink.diagnostics()) {
    if (d.code() == "E0001") ++e0001;
    if (d.code() == "E0009") capped = true;
  }
  CHECK(e0001 == 50);
  CHECK(capped);
}

TEST_CASE("hostile nesting is refused cheaply") {
  std::string deep = "integration t {\n table x = " + std::string(100000, '(') + "1" + std::string(100000, ')') + "\n}\n";
  auto p = ParseText(deep);
  REQUIRE(!p->sink.diagnostics().empty());
  CHECK(p->sink.diagnostics()[0].code() == "E0008");
  std::string chain = "integration t {\n table x = a";
  for (int i = 0; i < 100000; ++i) chain += " ?? a";
  chain += "\n}\n";
  auto q = ParseText(chain);
  REQUIRE(!q->sink.diagnostics().empty());
  CHECK(q->sink.diagnostics()[0].code() == "E0008");
  std::string nots = "integration t {\n table x = " + std::string(100000, '!') + "a\n}\n";
  auto r = ParseText(nots);
  REQUIRE(!r->sink.diagnostics().empty());
  CHECK(r->sink.diagnostics()[0].code() == "E0008");
}

TEST_CASE("invalid UTF-8 is a diagnostic, not a crash, and spans stay in bytes") {
  auto p = ParseText("integration t { \xff\xfe }\n");
  REQUIRE(!p->sink.diagnostics().empty());
  CHECK(p->sink.diagnostics()[0].code() == "E0007");
  CHECK(p->sink.diagnostics()[0].primary.span.begin == 16);
  auto q = ParseText("integration t { table x = \"h\xC3\xA9llo\" \xC2\xA7 }\n");
  REQUIRE(!q->sink.diagnostics().empty());
  CHECK(q->sink.diagnostics()[0].primary.span.begin == 35);
}
