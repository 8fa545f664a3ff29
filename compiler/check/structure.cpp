// Defines the structure check (see structure.h).
#include "compiler/check/structure.h"

#include <algorithm>
#include <map>
#include <set>

#include "compiler/check/spec_tests.h"

namespace crmx::check {
namespace {

using namespace crmx::ast;

// Edit distance, case-insensitive, where swapping two neighbouring letters is one edit (the
// optimal string alignment distance): `nmae` is one edit from `name`, as a typo is.
size_t Distance(const std::string& a, const std::string& b) {
  auto same = [&](size_t i, size_t j) {
    return std::tolower(static_cast<unsigned char>(a[i])) == std::tolower(static_cast<unsigned char>(b[j]));
  };
  std::vector<size_t> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (same(i - 1, j - 1) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      if (i > 1 && j > 1 && same(i - 1, j - 2) && same(i - 2, j - 1)) cur[j] = std::min(cur[j], before[j - 2] + 1);
    }
    std::swap(before, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

class StructureChecker {
 public:
  StructureChecker(const Module& root, const std::vector<const Module*>& imports, diag::DiagnosticSink& sink)
      : root_(root), imports_(imports), sink_(sink) {}

  void Run() {
    CollectNames();
    CheckUses();
    CheckMapRefs();
    CheckTestStatements(root_, imports_, sink_);
    if (root_.is_integration()) {
      CheckSystems();
      CheckSyncs();
    }
  }

 private:
  // A declared name of one namespace, with where it was first declared.
  struct Declared {
    Span span;
    const Decl* decl;
  };

  // Imports first: a name declared both in an import and in the root file is reported in the
  // root file, where the user can act on it.
  std::vector<const Module*> AllModules() const {
    std::vector<const Module*> all(imports_.begin(), imports_.end());
    all.push_back(&root_);
    return all;
  }

  void Declare(std::map<std::string, Declared>& ns, const char* what, const Name& name, const Decl* decl) {
    if (name.text.empty()) return;
    auto [it, inserted] = ns.emplace(name.text, Declared{name.span, decl});
    if (inserted) return;
    diag::Diagnostic d = diag::Make(diag::Kind::DuplicateName, name.span,
                                    std::string(what) + " `" + name.text + "` is declared twice",
                                    "declared again here");
    d.secondary.push_back({it->second.span, "first declared here"});
    d.help = "rename one of them, or remove the duplicate";
    sink_.Report(std::move(d));
  }

  void CollectNames() {
    for (const Module* m : AllModules()) {
      for (const DeclPtr& d : m->items) {
        if (const auto* x = d->As<MapDecl>()) Declare(maps_, "map", x->name, x);
        if (const auto* x = d->As<TableDecl>()) Declare(tables_, "table", x->name, x);
        if (const auto* x = d->As<SystemDecl>()) Declare(systems_, "system", x->name, x);
        if (const auto* x = d->As<AlertDecl>()) Declare(alerts_, "alert", x->name, x);
        if (const auto* x = d->As<TestDecl>()) Declare(tests_, "test", Name{"\"" + x->name + "\"", x->name_span}, x);
      }
    }
  }

  std::vector<std::string> Keys(const std::map<std::string, Declared>& ns) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : ns) out.push_back(k);
    return out;
  }

  void UnknownMap(const Name& name, const char* where) {
    diag::Diagnostic d = diag::Make(diag::Kind::UnknownMap, name.span, "no map named `" + name.text + "`",
                                    std::string("not a map (") + where + ")");
    std::string near = ClosestName(name.text, Keys(maps_));
    if (!near.empty()) {
      d.help = "a map with a similar name exists: `" + near + "`";
      d.fix = diag::Fix{name.span, near, false};
    } else if (maps_.empty()) {
      d.help = "declare it with `map " + name.text + ": crm.Object -> erp.Object { ... }`";
    } else {
      d.notes.push_back("the maps are: " + Join(Keys(maps_)));
    }
    sink_.Report(std::move(d));
  }

  static std::string Join(const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& s : v) out += (out.empty() ? "`" : ", `") + s + "`";
    return out;
  }

  void CheckUses() {
    for (const DeclPtr& d : root_.items) {
      const auto* use = d->As<UseDecl>();
      if (use == nullptr) continue;
      for (const auto& mod : use->modules) {
        std::string dotted = mod.Dotted();
        const auto& known = StdModules();
        if (std::find(known.begin(), known.end(), dotted) != known.end()) continue;
        diag::Diagnostic diag = diag::Make(diag::Kind::UnknownStdModule, mod.span,
                                           "no standard module named `" + dotted + "`", "unknown module");
        std::string near = ClosestName(dotted, known);
        if (!near.empty()) {
          diag.help = "did you mean `" + near + "`?";
          diag.fix = diag::Fix{mod.span, near, false};
        } else {
          diag.notes.push_back("the standard modules are: " + Join(known));
        }
        sink_.Report(std::move(diag));
      }
    }
  }

  // Visits every expression of the root module, to find `ref(map, ...)`.
  template <typename F>
  void VisitExprs(const Expr* e, F&& f) {
    if (e == nullptr) return;
    f(e);
    switch (e->kind) {
      case ExprKind::Select: VisitExprs(e->As<SelectExpr>()->operand.get(), f); break;
      case ExprKind::Call: {
        const auto* c = e->As<CallExpr>();
        VisitExprs(c->receiver.get(), f);
        for (const ExprPtr& a : c->args) VisitExprs(a.get(), f);
        break;
      }
      case ExprKind::Index:
        VisitExprs(e->As<IndexExpr>()->operand.get(), f);
        VisitExprs(e->As<IndexExpr>()->index.get(), f);
        break;
      case ExprKind::List:
        for (const ExprPtr& x : e->As<ListExpr>()->elements) VisitExprs(x.get(), f);
        break;
      case ExprKind::MapLit:
        for (const MapEntry& en : e->As<MapExpr>()->entries) {
          VisitExprs(en.key.get(), f);
          VisitExprs(en.value.get(), f);
        }
        break;
      case ExprKind::Unary: VisitExprs(e->As<UnaryExpr>()->operand.get(), f); break;
      case ExprKind::Binary:
        VisitExprs(e->As<BinaryExpr>()->left.get(), f);
        VisitExprs(e->As<BinaryExpr>()->right.get(), f);
        break;
      case ExprKind::Conditional:
        VisitExprs(e->As<ConditionalExpr>()->cond.get(), f);
        VisitExprs(e->As<ConditionalExpr>()->then.get(), f);
        VisitExprs(e->As<ConditionalExpr>()->otherwise.get(), f);
        break;
      case ExprKind::Coalesce:
        VisitExprs(e->As<CoalesceExpr>()->value.get(), f);
        VisitExprs(e->As<CoalesceExpr>()->fallback.get(), f);
        break;
      case ExprKind::Ref: VisitExprs(e->As<RefExpr>()->source_id.get(), f); break;
      default: break;
    }
  }

  void CheckMapRefs() {
    for (const DeclPtr& d : root_.items) {
      const auto* m = d->As<MapDecl>();
      if (m == nullptr) continue;
      for (const MapStmt& s : m->stmts) {
        VisitExprs(s.value.get(), [&](const Expr* e) {
          if (const auto* r = e->As<RefExpr>()) {
            if (maps_.count(r->map.text) == 0) UnknownMap(r->map, "in `ref`");
            else referenced_by_[r->map.text].push_back(m);
          }
        });
      }
    }
  }

  void CheckSystem(const Name& system) {
    if (system.text.empty() || systems_.count(system.text) != 0) return;
    diag::Diagnostic d = diag::Make(diag::Kind::UnknownSystem, system.span, "no system named `" + system.text + "`",
                                    "not a declared system");
    std::string near = ClosestName(system.text, Keys(systems_));
    if (!near.empty()) {
      d.help = "did you mean `" + near + "`?";
      d.fix = diag::Fix{system.span, near, false};
    } else {
      d.help = "declare it with `system " + system.text + ": KIND { schema \"...\" }`";
    }
    sink_.Report(std::move(d));
  }

  void CheckSystems() {
    for (const DeclPtr& d : root_.items) {
      if (const auto* x = d->As<MapDecl>()) {
        CheckSystem(x->source.system);
        CheckSystem(x->target.system);
      } if (const auto* x = d->As<OwnerDecl>()) {
        CheckSystem(x->system);
      } if (const auto* x = d->As<AlertDecl>()) {
        CheckSystem(x->object.system);
      } if (const auto* x = d->As<ReconcileDecl>()) {
        CheckSystem(x->left.system);
        CheckSystem(x->right.system);
      } if (const auto* x = d->As<TestDecl>()) {
        for (const TestStmt& s : x->stmts) {
          if (s.record) CheckSystem(s.record->object.system);
        }
      }
    }
  }

  void CheckSyncs() {
    std::set<std::string> synced;
    bool any_sync = false;
    for (const Module* m : AllModules()) {
      for (const DeclPtr& d : m->items) {
        const auto* s = d->As<SyncDecl>();
        if (s == nullptr) continue;
        any_sync = true;
        if (s->map.text.empty()) continue;
        if (maps_.count(s->map.text) == 0 && m == &root_) UnknownMap(s->map, "in `sync`");
        synced.insert(s->map.text);
      }
    }
    if (!any_sync) {
      diag::Diagnostic d = diag::Make(diag::Kind::NoSync, root_.name.span,
                                      "integration `" + root_.name.text + "` has no sync, so it never moves a record",
                                      "declared here");
      d.help = "add a trigger for a map, such as `sync MAP on change` or `sync MAP every 1h`";
      sink_.Report(std::move(d));
      return;
    }
    for (const DeclPtr& d : root_.items) {
      const auto* m = d->As<MapDecl>();
      if (m == nullptr || m->name.text.empty() || synced.count(m->name.text) != 0) continue;
      diag::Diagnostic diag = diag::Make(diag::Kind::MapNeverSynced, m->name.span,
                                         "map `" + m->name.text + "` is never synced, so its records never move",
                                         "no `sync` runs this map");
      auto ref = referenced_by_.find(m->name.text);
      if (ref != referenced_by_.end()) {
        diag.notes.push_back("map `" + ref->second.front()->name.text + "` waits for it through `ref`: its records would wait forever");
      }
      diag.help = "add `sync " + m->name.text + " on change` (or `every ...`), or remove the map";
      sink_.Report(std::move(diag));
    }
  }

  const Module& root_;
  const std::vector<const Module*>& imports_;
  diag::DiagnosticSink& sink_;
  std::map<std::string, Declared> maps_, tables_, systems_, alerts_, tests_;
  std::map<std::string, std::vector<const MapDecl*>> referenced_by_;
};

}  // namespace

const std::vector<std::string>& StdModules() {
  static const std::vector<std::string> modules = {"std.text", "std.geo", "std.money", "std.phone", "std.time", "std.id"};
  return modules;
}

std::string ClosestName(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(1, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    size_t d = Distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

void CheckStructure(const Module& root, const std::vector<const Module*>& imports, diag::DiagnosticSink& sink) {
  StructureChecker(root, imports, sink).Run();
}

}  // namespace crmx::check
