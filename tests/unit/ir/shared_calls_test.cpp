// Tests FindSharedCalls (compiler/ir/shared_calls.h): which calls of a map's statements become
// shared values, on maps parsed from text; and, on the north star's plan, that statements load
// the shared value instead of calling again.
#include <doctest/doctest.h>

#include "compiler/base/source.h"
#include "compiler/diagnostics/diagnostic.h"
#include "compiler/ir/shared_calls.h"
#include "compiler/syntax/parser.h"
#include "runtime/vm/bytecode.h"
#include "tests/unit/support/example_spec.h"

namespace {

using namespace crmx;

// The shared calls (their texts) of the first map of a module holding `map_text`.
std::vector<std::string> Shared(const std::string& map_text) {
  SourceManager sources;
  FileId file = sources.Add("<test>", "integration t {\n" + map_text + "\n}\n");
  diag::DiagnosticSink sink;
  std::unique_ptr<ast::Module> m = syntax::Parse(sources.Get(file), sink);
  REQUIRE_FALSE(sink.has_errors());
  const ast::MapDecl* decl = m->All<ast::MapDecl>().front();
  std::set<std::string> targets;
  for (const ast::MapStmt& st : decl->stmts)
    if (!st.target.empty()) targets.insert(st.target.front().text);
  std::vector<std::string> out;
  for (const ir::SharedCall& c : ir::FindSharedCalls(*decl, targets)) out.push_back(c.text);
  return out;
}

}  // namespace

TEST_CASE("a call two statements make is shared; one statement's repeats are the optimizer's") {
  CHECK(Shared(R"(map m: crm.A -> erp.B {
    key id = Id
    require Name.trim() != "" else "missing Name"
    name = Name.trim()
  })") == std::vector<std::string>{"Name.trim()"});
  // Twice in one statement only: not a shared value (the optimizer's CSE handles it).
  CHECK(Shared(R"(map m: crm.A -> erp.B {
    key id = Id
    name = Name.trim() != "" ? Name.trim() : "x"
  })").empty());
  // Written differently: not recognised as the same.
  CHECK(Shared(R"(map m: crm.A -> erp.B {
    key id = Id
    a = Name.trim()
    b = trim(Name)
  })").empty());
}

TEST_CASE("calls shown alike but with different arguments are different values") {
  // Both show as `parse_date(..., "%F")`: the due date must not load the order date's value.
  std::vector<std::string> shared = Shared(R"(map m: crm.A -> erp.B {
    key id = Id
    require parse_date(format_datetime(closedate, "%F"), "%F") != null else "no date"
    Date = parse_date(format_datetime(closedate, "%F"), "%F")
    require parse_date(format_datetime(closedate + 720h, "%F"), "%F") != null else "no due date"
    DueDate = parse_date(format_datetime(closedate + 720h, "%F"), "%F")
  })");
  CHECK(shared.size() == 2);
  // Used once each: nothing shared, whatever they look like.
  CHECK(Shared(R"(map m: crm.A -> erp.B {
    key id = Id
    Date = parse_date(format_datetime(closedate, "%F"), "%F")
    DueDate = parse_date(format_datetime(closedate + 720h, "%F"), "%F")
  })").empty());
}

TEST_CASE("the outermost shared call wins; macros and assigned fields are left alone") {
  // upper(Name.trim()) is shared whole: Name.trim() inside it is not shared on its own.
  CHECK(Shared(R"(map m: crm.A -> erp.B {
    key id = Id
    a = Name.trim().upper()
    b = Name.trim().upper() + "!"
  })") == std::vector<std::string>{"Name.trim().upper()"});
  // ... unless it also appears outside.
  CHECK(Shared(R"(map m: crm.A -> erp.B {
    key id = Id
    a = Name.trim().upper()
    b = Name.trim().upper() + "!"
    c = Name.trim()
  })") == std::vector<std::string>{"Name.trim().upper()", "Name.trim()"});
  // A call reading an assigned field depends on statement order: not shared.
  CHECK(Shared(R"(map m: crm.A -> erp.B {
    key id = Id
    country = BillingCountry.upper()
    a = country.lower()
    b = country.lower()
  })").empty());
  // Inside a macro, names are per element: the macro is shared whole, nothing in its body is.
  CHECK(Shared(R"(map m: crm.A -> erp.B {
    key id = Id
    a = Lines.map(l, l.Sku.trim())
    b = Lines.map(l, l.Sku.trim()).size()
    c = Items.map(i, i.Sku.trim())
  })") == std::vector<std::string>{"Lines.map(l, ...)"});
}

TEST_CASE("a macro repeated in one statement is shared; a call holding a `??` never is") {
  // The digits of a phone, picked out in several branches of one rule: computed once.
  CHECK(Shared(R"(map m: crm.A -> erp.B {
    key id = Id
    phone = Phone.split("").filter(c, c >= "0" && c <= "9").join("") == "" ? null
          : "+" + Phone.split("").filter(c, c >= "0" && c <= "9").join("")
  })") == std::vector<std::string>{"Phone.split(\"\").filter(c, ...).join(\"\")"});
  // Its size beside it: the digits are shared, not the size around them (its value would
  // pick the digits out again).
  CHECK(Shared(R"(map m: crm.A -> erp.B {
    key id = Id
    phone = Phone.split("").filter(c, c >= "0" && c <= "9").join("").size() == 10
          ? "+1" + Phone.split("").filter(c, c >= "0" && c <= "9").join("")
          : Phone.split("").filter(c, c >= "0" && c <= "9").join("").size() == 11 ? "+" + Phone : null
  })") == std::vector<std::string>{"Phone.split(\"\").filter(c, ...).join(\"\")"});
  // A `??` inside: a shared value is computed once, before the first statement loading it, so
  // the fallback would be counted for one statement's flag only (or for a branch not taken).
  CHECK(Shared(R"(map m: crm.A -> erp.B {
    key id = Id
    tags = Tags.map(t, t ?? "none").size() > 0 ? Tags.map(t, t ?? "none") : [] flag "x"
  })").empty());
  CHECK(Shared(R"(map m: crm.A -> erp.B {
    key id = Id
    a = state_code(BillingState ?? ShippingState) flag "from shipping"
    b = state_code(BillingState ?? ShippingState).lower() flag "from shipping"
  })").empty());
}
