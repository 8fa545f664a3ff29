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
  // Inside a macro, names are per element.
  CHECK(Shared(R"(map m: crm.A -> erp.B {
    key id = Id
    a = Lines.map(l, l.Sku.trim())
    b = Lines.map(l, l.Sku.trim())
  })") == std::vector<std::string>{});
}

TEST_CASE("the north star: account_to_customer trims Name once per record") {
  plan::Plan p = testing::BuildSpecPlanOrFail(testing::kExample);
  const plan::Map* m = p.FindMap("account_to_customer");
  REQUIRE(m != nullptr);
  REQUIRE(m->shared.size() == 1);
  CHECK(m->shared[0].name == "shared:Name.trim()");
  int trims = 0;
  for (const plan::Step& s : m->steps) {
    for (const vm::Instr& in : s.program.code) {
      vm::Builtin trim;
      size_t lo = 0, hi = 0;
      REQUIRE(vm::FindBuiltin("trim", trim, lo, hi));
      if (in.op == vm::Op::kCall && in.arg == static_cast<int32_t>(trim)) ++trims;
    }
  }
  CHECK(trims == 0);  // the require and companyName load the shared value
}
