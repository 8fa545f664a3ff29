// Golden tests for the human (rustc-style) renderer and the summary line.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "compiler/diagnostics/render.h"

using namespace crmx;
using namespace crmx::diag;

namespace {

std::string Human(const SourceManager& sm, const std::vector<Diagnostic>& diags, bool color = false) {
  std::ostringstream out;
  RenderOptions o;
  o.color = color;
  RenderHuman(out, sm, diags, o);
  return out.str();
}

// The byte offset of the `nth` occurrence (0-based) of `needle`.
uint32_t At(const SourceFile& f, std::string_view needle, int nth = 0) {
  size_t pos = f.text().find(needle);
  while (nth-- > 0) pos = f.text().find(needle, pos + 1);
  REQUIRE(pos != std::string::npos);
  return static_cast<uint32_t>(pos);
}

const char* kSpec =
    "integration acme\n"
    "map won_to_order: crm.Opportunity -> erp.SalesOrder {\n"
    "  key externalId = Id\n"
    "  total = Amount\n"
    "}\n"
    "sync won_to_order on change when StageName = \"Closed Won\" {\n"
    "  retry 5\n"
    "}\n";

Diagnostic AssignDiag(const SourceFile& f) {
  uint32_t eq = At(f, " = \"") + 1;
  Diagnostic d = Make(Kind::AssignInCondition, f.MakeSpan(eq, eq + 1),
                      "`=` used where `==` was meant", "this assigns; comparison is `==`");
  d.notes.push_back("a `when` condition compares; it never assigns");
  d.help = "write `==` to compare";
  d.fix = Fix{f.MakeSpan(eq, eq + 1), "==", true};
  return d;
}

}  // namespace

TEST_CASE("primary label, note and a fix shown as a suggestion") {
  SourceManager sm;
  const SourceFile& f = sm.Get(sm.Add("examples/x.crmx", kSpec));
  CHECK(Human(sm, {AssignDiag(f)}) ==
        "error[E0004]: `=` used where `==` was meant\n"
        " --> examples/x.crmx:6:44\n"
        "  |\n"
        "6 | sync won_to_order on change when StageName = \"Closed Won\" {\n"
        "  |                                            ^ this assigns; comparison is `==`\n"
        "  |\n"
        "  = note: a `when` condition compares; it never assigns\n"
        "help: write `==` to compare\n"
        "  |\n"
        "6 | sync won_to_order on change when StageName == \"Closed Won\" {\n"
        "  |                                            ~~\n"
        "\n");
}

TEST_CASE("colour wraps severity, gutter and carets in ANSI codes") {
  SourceManager sm;
  const SourceFile& f = sm.Get(sm.Add("x.crmx", "sync m when a = 1\n"));
  Diagnostic d = Make(Kind::AssignInCondition, f.MakeSpan(14, 15), "`=` used where `==` was meant", "here");
  d.help = "write `==` to compare";
  CHECK(Human(sm, {d}, true) ==
        "\x1b[1;31merror[E0004]\x1b[0m\x1b[1m: `=` used where `==` was meant\x1b[0m\n"
        " \x1b[1;34m--> \x1b[0mx.crmx:1:15\n"
        "  \x1b[1;34m|\x1b[0m\n"
        "\x1b[1;34m1 |\x1b[0m sync m when a = 1\n"
        "\x1b[1;34m  |\x1b[0m               \x1b[1;31m^\x1b[0m \x1b[1;31mhere\x1b[0m\n"
        "  \x1b[1;34m|\x1b[0m\n"
        "  \x1b[1;34m=\x1b[0m \x1b[1mhelp:\x1b[0m write `==` to compare\n"
        "\n");
  // Without colour the same report has no escape at all.
  CHECK(Human(sm, {d}).find('\x1b') == std::string::npos);
}

TEST_CASE("a multi-line span is drawn in the margin") {
  SourceManager sm;
  const SourceFile& f = sm.Get(sm.Add("x.crmx", kSpec));
  uint32_t open = At(f, "{");
  uint32_t close = At(f, "}") + 1;
  Diagnostic d = Make(Kind::MapNeverSynced, f.MakeSpan(open, close), "map `won_to_order` is never synced",
                      "this body is never run");
  CHECK(Human(sm, {d}) ==
        "error[E0102]: map `won_to_order` is never synced\n"
        " --> x.crmx:2:53\n"
        "  |\n"
        "2 |   map won_to_order: crm.Opportunity -> erp.SalesOrder {\n"
        "  |  _____________________________________________________^\n"
        "3 | |   key externalId = Id\n"
        "4 | |   total = Amount\n"
        "5 | | }\n"
        "  | |_^ this body is never run\n"
        "\n");
}

TEST_CASE("long multi-line spans elide their middle") {
  SourceManager sm;
  const SourceFile& f = sm.Get(sm.Add("x.crmx", "map a: crm.A -> erp.B {\n  x = 1\n  y = 2\n  z = 3\n  w = 4\n}\n"));
  Diagnostic d = Make(Kind::MapNeverSynced, f.MakeSpan(0, static_cast<uint32_t>(f.text().size())),
                      "map `a` is never synced", "declared here");
  CHECK(Human(sm, {d}) ==
        "error[E0102]: map `a` is never synced\n"
        " --> x.crmx:1:1\n"
        "  |\n"
        "1 | / map a: crm.A -> erp.B {\n"
        "2 | |   x = 1\n"
        "...\n"
        "5 | |   w = 4\n"
        "6 | | }\n"
        "  | |_^ declared here\n"
        "\n");
}

TEST_CASE("secondary labels on other lines appear in line order with `-`") {
  SourceManager sm;
  const SourceFile& f = sm.Get(sm.Add("x.crmx", kSpec));
  uint32_t second = At(f, "won_to_order", 1);
  uint32_t first = At(f, "won_to_order", 0);
  Diagnostic d = Make(Kind::DuplicateName, f.MakeSpan(second, second + 12), "`won_to_order` is declared twice",
                      "declared again here");
  d.secondary.push_back(Label{f.MakeSpan(first, first + 12), "first declared here"});
  d.secondary.push_back(Label{f.MakeSpan(first - 4, first - 1), ""});
  CHECK(Human(sm, {d}) ==
        "error[E0104]: `won_to_order` is declared twice\n"
        " --> x.crmx:6:6\n"
        "  |\n"
        "2 | map won_to_order: crm.Opportunity -> erp.SalesOrder {\n"
        "  | --- ------------ first declared here\n"
        "...\n"
        "6 | sync won_to_order on change when StageName = \"Closed Won\" {\n"
        "  |      ^^^^^^^^^^^^ declared again here\n"
        "\n");
}

TEST_CASE("several labels on one line hang their messages below") {
  SourceManager sm;
  const SourceFile& f = sm.Get(sm.Add("x.crmx", "total = a ?? b ?? c\n"));
  Diagnostic d = Make(Kind::UnexpectedToken, f.MakeSpan(8, 9), "unexpected `a`", "first");
  d.secondary.push_back(Label{f.MakeSpan(13, 14), "second"});
  d.secondary.push_back(Label{f.MakeSpan(18, 19), "third"});
  CHECK(Human(sm, {d}) ==
        "error[E0001]: unexpected `a`\n"
        " --> x.crmx:1:9\n"
        "  |\n"
        "1 | total = a ?? b ?? c\n"
        "  |         ^    -    - third\n"
        "  |         |    |\n"
        "  |         |    second\n"
        "  |         first\n"
        "\n");
}

TEST_CASE("zero-width spans at end of file get one caret") {
  SourceManager sm;
  const SourceFile& f = sm.Get(sm.Add("x.crmx", "map a: crm.A -> erp.B {"));
  uint32_t end = static_cast<uint32_t>(f.text().size());
  Diagnostic d = Make(Kind::UnclosedDelimiter, f.MakeSpan(end, end), "this file ends inside `{`", "expected `}`");
  d.secondary.push_back(Label{f.MakeSpan(end - 1, end), "opened here"});
  CHECK(Human(sm, {d}) ==
        "error[E0003]: this file ends inside `{`\n"
        " --> x.crmx:1:24\n"
        "  |\n"
        "1 | map a: crm.A -> erp.B {\n"
        "  |                       -^ expected `}`\n"
        "  |                       |\n"
        "  |                       opened here\n"
        "\n");

  // After a final newline the end of file is an empty line of its own; the gutter widens.
  SourceManager sm2;
  const SourceFile& g = sm2.Get(sm2.Add("y.crmx", "a\nb\nc\nd\ne\nf\ng\nh\ni {\n"));
  uint32_t size = static_cast<uint32_t>(g.text().size());
  Diagnostic e = Make(Kind::UnclosedDelimiter, g.MakeSpan(size, size), "this file ends inside `{`", "expected `}`");
  CHECK(Human(sm2, {e}) ==
        "error[E0003]: this file ends inside `{`\n"
        "  --> y.crmx:10:1\n"
        "   |\n"
        "10 |\n"
        "   | ^ expected `}`\n"
        "\n");
}

TEST_CASE("tabs expand to four columns and carets follow") {
  SourceManager sm;
  const SourceFile& f = sm.Get(sm.Add("t.crmx", "map a {\n\tkey\t= Id\n}\n"));
  uint32_t eq = At(f, "=");
  Diagnostic d = Make(Kind::UnexpectedToken, f.MakeSpan(eq, eq + 1), "unexpected `=`", "here");
  CHECK(Human(sm, {d}) ==
        "error[E0001]: unexpected `=`\n"
        " --> t.crmx:2:6\n"
        "  |\n"
        "2 |     key    = Id\n"
        "  |            ^ here\n"
        "\n");
}

TEST_CASE("spans past the end of the file are clamped, not trusted") {
  SourceManager sm;
  const SourceFile& f = sm.Get(sm.Add("x.crmx", "abc"));
  Span s = f.MakeSpan(1, 2);
  s.begin = 50;
  s.end = 70;
  Diagnostic d = Make(Kind::UnexpectedToken, s, "unexpected end", "here");
  d.fix = Fix{s, "x", false};
  d.secondary.push_back(Label{Span{7, 0, 1}, "no such file"});
  std::string out = Human(sm, {d});
  CHECK(out.find(" --> x.crmx:1:4\n") != std::string::npos);
  CHECK(out.find("1 | abcx\n") != std::string::npos);
}

TEST_CASE("a removal shows what goes; an insertion shows what comes") {
  SourceManager sm;
  const SourceFile& f = sm.Get(sm.Add("x.crmx", "sync m;\n"));
  Diagnostic d = Make(Kind::UnexpectedToken, f.MakeSpan(6, 7), "unexpected `;`");
  d.fix = Fix{f.MakeSpan(6, 7), "", true};
  CHECK(Human(sm, {d}) ==
        "error[E0001]: unexpected `;`\n"
        " --> x.crmx:1:7\n"
        "  |\n"
        "1 | sync m;\n"
        "  |       ^\n"
        "help: remove this\n"
        "  |\n"
        "1 | sync m;\n"
        "  |       -\n"
        "\n");
  Diagnostic i = Make(Kind::UnclosedDelimiter, f.MakeSpan(6, 6), "expected `{`");
  i.fix = Fix{f.MakeSpan(6, 6), " {}", true};
  CHECK(Human(sm, {i}).find("help: insert ` {}`\n  |\n1 | sync m {};\n  |       +++\n") != std::string::npos);
}

TEST_CASE("the summary line counts errors and warnings") {
  std::ostringstream out;
  RenderOptions o;
  RenderSummary(out, 3, 1, o);
  o.subject = "acme.crmx";
  RenderSummary(out, 1, 0, o);
  RenderSummary(out, 0, 2, o);
  RenderSummary(out, 0, 0, o);
  o.subject.clear();
  RenderSummary(out, 0, 1, o);
  CHECK(out.str() ==
        "error: aborting due to 3 previous errors; 1 warning emitted\n"
        "error: could not check `acme.crmx` due to 1 previous error\n"
        "warning: `acme.crmx` generated 2 warnings\n"
        "warning: 1 warning emitted\n");
}
