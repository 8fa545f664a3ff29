// Defines the check of spec tests' statements (see spec_tests.h).
#include "compiler/check/spec_tests.h"

#include <map>
#include <string>

#include "compiler/check/integration.h"
#include "compiler/check/structure.h"
#include "runtime/value/value.h"

namespace crmx::check {
namespace {

using namespace crmx::ast;

std::string Quote(const std::string& s) { return "`" + s + "`"; }

std::string ObjectText(const ObjectRef& o) { return o.system.text + "." + o.object.text; }

// The first call of now() or today() in `e`, or null.
const CallExpr* ClockCall(const Expr* e) {
  const CallExpr* found = nullptr;
  integration::WalkExprs(e, [&](const Expr& x, const std::set<std::string>&) {
    const auto* c = x.As<CallExpr>();
    if (found == nullptr && c != nullptr && !c->receiver && (c->function.text == "now" || c->function.text == "today"))
      found = c;
  });
  return found;
}

// A map whose expressions (or its sync's `when`) read the clock, with the first such call.
struct ClockMap {
  const MapDecl* map = nullptr;
  const CallExpr* call = nullptr;
};

std::vector<ClockMap> ClockMaps(const std::vector<const Module*>& modules) {
  std::map<std::string, const CallExpr*> sync_calls;  // map name -> a call in one of its syncs' `when`
  for (const Module* m : modules)
    for (const SyncDecl* s : m->All<SyncDecl>())
      if (const CallExpr* c = ClockCall(s->when.get())) sync_calls.emplace(s->map.text, c);
  std::vector<ClockMap> out;
  for (const Module* m : modules) {
    for (const MapDecl* map : m->All<MapDecl>()) {
      const CallExpr* call = nullptr;
      for (const MapStmt& s : map->stmts)
        if (call == nullptr) call = ClockCall(s.value.get());
      auto sync = sync_calls.find(map->name.text);
      if (call == nullptr && sync != sync_calls.end()) call = sync->second;
      if (call != nullptr) out.push_back(ClockMap{map, call});
    }
  }
  return out;
}

class TestChecker {
 public:
  TestChecker(const std::vector<ClockMap>& clock_maps, diag::DiagnosticSink& sink)
      : clock_maps_(clock_maps), sink_(sink) {}

  void Check(const TestDecl& t) {
    std::map<std::string, Span> names;
    const TestStmt* now = nullptr;
    for (const TestStmt& s : t.stmts) {
      if (s.kind == TestStmtKind::Given && !s.record_name.text.empty()) {
        auto [it, inserted] = names.emplace(s.record_name.text, s.record_name.span);
        if (!inserted) {
          diag::Diagnostic d = diag::Make(diag::Kind::DuplicateName, s.record_name.span,
                                          "record " + Quote(s.record_name.text) + " is declared twice in test \"" +
                                              t.name + "\"",
                                          "declared again here");
          d.secondary.push_back({it->second, "first declared here"});
          d.help = "give each record of a test its own name";
          sink_.Report(std::move(d));
        }
      }
      if (s.kind == TestStmtKind::Now) CheckNow(s, now);
    }
    for (const TestStmt& s : t.stmts) {
      if (s.kind == TestStmtKind::Given || s.kind == TestStmtKind::Now || s.record_name.text.empty()) continue;
      if (names.count(s.record_name.text)) continue;
      UnknownRecord(t, s.record_name, names);
    }
    if (now == nullptr) CheckUnpinnedClock(t);
  }

 private:
  void CheckNow(const TestStmt& s, const TestStmt*& first) {
    if (first != nullptr) {
      diag::Diagnostic d = diag::Make(diag::Kind::InvalidTestClock, s.span, "the test's clock is pinned twice",
                                      "pinned again here");
      d.secondary.push_back({first->span, "first pinned here"});
      d.help = "keep one `now \"...\"`";
      sink_.Report(std::move(d));
      return;
    }
    first = &s;
    value::Time t;
    if (value::ParseTimestamp(s.text, t)) return;
    diag::Diagnostic d = diag::Make(diag::Kind::InvalidTestClock, s.text_span,
                                    "`now` needs an RFC 3339 instant, not \"" + s.text + "\"", "not an instant");
    d.notes.push_back("an instant is a date, a time and its offset: `2026-03-01T09:30:00Z` (UTC) or "
                      "`2026-03-01T10:30:00+01:00`");
    d.help = "write the instant with its offset, e.g. `now \"2026-03-01T09:30:00Z\"`";
    sink_.Report(std::move(d));
  }

  void UnknownRecord(const TestDecl& t, const Name& name, const std::map<std::string, Span>& names) {
    diag::Diagnostic d = diag::Make(diag::Kind::UnknownTestRecord, name.span,
                                    "no record of test \"" + t.name + "\" is named " + Quote(name.text),
                                    "not a given record");
    std::vector<std::string> known;
    for (const auto& [n, span] : names) known.push_back(n);
    std::string near = ClosestName(name.text, known);
    if (!near.empty()) {
      d.help = "did you mean " + Quote(near) + "?";
      d.fix = diag::Fix{name.span, near, false};
    } else if (known.empty()) {
      d.help = "name the record where it is given: `given " + name.text + ": SYSTEM.Object { ... }`";
    } else {
      d.help = "the test's records are named " + [&] {
        std::string all;
        for (const std::string& k : known) all += (all.empty() ? "" : ", ") + Quote(k);
        return all;
      }();
    }
    sink_.Report(std::move(d));
  }

  // The test reads the clock (a map it runs, or one of its own values) and pins none.
  void CheckUnpinnedClock(const TestDecl& t) {
    const CallExpr* call = nullptr;
    std::string where;
    for (const TestStmt& s : t.stmts) {
      if (!s.record || call != nullptr) continue;
      for (const FieldInit& f : s.record->fields) {
        if (call != nullptr) break;
        if ((call = ClockCall(f.value.get())) != nullptr) where = "the value of " + Quote(f.name.text);
      }
    }
    for (const TestStmt& s : t.stmts) {
      if (call != nullptr) break;
      if (s.kind != TestStmtKind::Given || !s.record) continue;
      for (const ClockMap& m : clock_maps_) {
        if (ObjectText(m.map->source) != ObjectText(s.record->object)) continue;
        call = m.call;
        where = "map " + Quote(m.map->name.text) + ", which reads the given " + ObjectText(s.record->object) + ",";
        break;
      }
    }
    if (call == nullptr) return;
    diag::Diagnostic d = diag::Make(diag::Kind::TestClockNotPinned, t.name_span,
                                    "test \"" + t.name + "\" reads the clock without pinning it",
                                    "its result may change with the day it runs");
    d.secondary.push_back({call->span, where + " calls " + call->function.text + "() here"});
    d.notes.push_back("without `now`, now() and today() read the time the test runs");
    d.help = "pin the clock in the test: `now \"2026-03-01T09:30:00Z\"`";
    sink_.Report(std::move(d));
  }

  const std::vector<ClockMap>& clock_maps_;
  diag::DiagnosticSink& sink_;
};

}  // namespace

void CheckTestStatements(const Module& root, const std::vector<const Module*>& imports, diag::DiagnosticSink& sink) {
  std::vector<const Module*> modules(imports.begin(), imports.end());
  modules.push_back(&root);
  const std::vector<ClockMap> clock_maps = ClockMaps(modules);
  TestChecker checker(clock_maps, sink);
  for (const TestDecl* t : root.All<TestDecl>()) checker.Check(*t);
}

}  // namespace crmx::check
