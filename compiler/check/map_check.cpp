// Defines the type check of declarations (see type_check.h): tables, maps (key, require and
// assignments into target fields), sync and alert conditions, notify targets,
// reconciliations, and the records of spec tests. Expressions are typed by expr_check.h.
#include <unordered_map>
#include <unordered_set>

#include "compiler/check/expr_check.h"
#include "compiler/check/structure.h"
#include "compiler/check/type_check.h"

namespace crmx::check {
namespace {

using namespace crmx::ast;

std::string Quote(const std::string& s) { return "`" + s + "`"; }

// A table's declared type (`map<string, string>`); dyn for names it does not know.
Type FromTypeRef(const TypeRef& ref) {
  const std::string& n = ref.name.text;
  auto arg = [&](size_t i) { return i < ref.args.size() ? FromTypeRef(ref.args[i]) : Type(TypeKind::kDyn); };
  if (n == "string") return Type::String();
  if (n == "int") return Type(TypeKind::kInt);
  if (n == "uint") return Type(TypeKind::kUint);
  if (n == "double") return Type(TypeKind::kDouble);
  if (n == "bool") return Type(TypeKind::kBool);
  if (n == "bytes") return Type(TypeKind::kBytes);
  if (n == "decimal") return Type::Decimal(std::nullopt, std::nullopt);
  if (n == "date") return Type(TypeKind::kDate);
  if (n == "datetime" || n == "timestamp") return Type(TypeKind::kDateTime);
  if (n == "time") return Type(TypeKind::kTime);
  if (n == "duration") return Type(TypeKind::kDuration);
  if (n == "list") return Type::List(arg(0));
  if (n == "map") return Type::Map(ref.args.size() > 1 ? arg(0) : Type::String(), ref.args.size() > 1 ? arg(1) : arg(0));
  return Type(TypeKind::kDyn);
}

class DeclChecker {
 public:
  DeclChecker(const Module& root, const std::vector<const Module*>& imports, const Systems& systems,
              diag::DiagnosticSink& sink)
      : root_(root), imports_(imports), systems_(systems) {
    env_.sink = &sink;
    env_.systems = &systems;
    types_.assign(root.expr_count, Typed{Type(TypeKind::kDyn), false});
  }

  std::vector<Typed> Run() {
    std::vector<const Module*> modules(imports_.begin(), imports_.end());
    modules.push_back(&root_);
    for (const Module* m : modules) CollectMaps(*m);
    for (const Module* m : modules) {
      Enter(*m);
      for (const DeclPtr& d : m->items) {
        if (const auto* t = d->As<TableDecl>()) CheckTable(*t);
      }
    }
    for (const Module* m : modules) {
      Enter(*m);
      for (const DeclPtr& d : m->items) {
        if (const auto* map = d->As<MapDecl>()) CheckMap(*map);
        if (const auto* sync = d->As<SyncDecl>()) CheckSync(*sync);
        if (const auto* alert = d->As<AlertDecl>()) CheckAlert(*alert);
        if (const auto* rec = d->As<ReconcileDecl>()) CheckReconcile(*rec);
        if (const auto* test = d->As<TestDecl>()) CheckTest(*test);
      }
    }
    return std::move(types_);
  }

 private:
  // Switches to the declarations of `m`: its `use`s, and whether expression types are kept.
  void Enter(const Module& m) {
    env_.used_modules.clear();
    for (const UseDecl* u : m.All<UseDecl>()) {
      for (const auto& mod : u->modules) env_.used_modules.insert(mod.Dotted());
    }
    env_.types = &m == &root_ ? &types_ : nullptr;
  }

  std::optional<Type> RecordOf(const ObjectRef& ref) const {
    const LoadedSystem* sys = systems_.Find(ref.system.text);
    if (sys == nullptr) return std::nullopt;
    const schema::Object* obj = sys->schema.FindObject(ref.object.text);
    if (obj == nullptr) return std::nullopt;
    return Type::Record(obj, &sys->schema);
  }

  void CollectMaps(const Module& m) {
    for (const MapDecl* d : m.All<MapDecl>()) {
      if (env_.maps.count(d->name.text)) continue;
      env_.maps.emplace(d->name.text, TypeEnv::MapInfo{d, RecordOf(d->source), RecordOf(d->target)});
    }
  }

  void CheckTable(const TableDecl& t) {
    std::optional<Type> declared;
    if (t.type) declared = FromTypeRef(*t.type);
    Typed typed{declared.value_or(Type::Map(Type::String(), Type::String())), false};
    if (t.value) {
      ExprChecker ec(env_, Scope{});
      std::string name = "table " + Quote(t.name.text);
      Typed v = declared ? ec.CheckValueFor(*t.value, *declared, name) : ec.Check(*t.value);
      if (!declared || (v.type.kind == declared->kind && Assignable(v.type, *declared))) typed = Typed{v.type, false};
    }
    if (!t.name.text.empty()) env_.tables.emplace(t.name.text, typed);
  }

  // `require P != null` (or `has(P)`), alone or in a chain of `&&`: P is not null afterwards.
  static void CollectNonNull(const Expr& e, std::unordered_set<std::string>& out) {
    if (const auto* b = e.As<BinaryExpr>()) {
      if (b->op == BinaryOp::And) {
        CollectNonNull(*b->left, out);
        CollectNonNull(*b->right, out);
        return;
      }
      if (b->op == BinaryOp::Ne) {
        auto is_null = [](const Expr& x) {
          const auto* lit = x.As<LiteralExpr>();
          return lit != nullptr && lit->literal == LiteralKind::Null;
        };
        if (is_null(*b->right)) out.insert(ExprChecker::PathOf(*b->left));
        if (is_null(*b->left)) out.insert(ExprChecker::PathOf(*b->right));
      }
      return;
    }
    if (const auto* c = e.As<CallExpr>()) {
      if (!c->receiver && c->function.text == "has" && c->args.size() == 1) out.insert(ExprChecker::PathOf(*c->args[0]));
    }
  }

  struct Target {
    Type type;
    const schema::Field* field = nullptr;
  };

  // Resolves an assignment's target path in the target record; reports E0301.
  std::optional<Target> ResolveTarget(const Type& record, const std::vector<Name>& path) {
    Type cur = record;
    const schema::Field* field = nullptr;
    for (size_t i = 0; i < path.size(); ++i) {
      const Name& seg = path[i];
      if (cur.IsPermissive()) return Target{Type(TypeKind::kDyn), nullptr};
      if (cur.kind != TypeKind::kRecord) {
        diag::Diagnostic d = diag::Make(diag::Kind::InvalidOperands, seg.span,
                                        Quote(path[i - 1].text) + " is " + cur.Described() + ": it has no field " +
                                            Quote(seg.text),
                                        "not a record");
        env_.sink->Report(std::move(d));
        return std::nullopt;
      }
      field = cur.object->FindField(seg.text);
      if (field == nullptr) {
        diag::Diagnostic d = diag::Make(diag::Kind::UnknownField, seg.span,
                                        Quote(seg.text) + " is not a field of " + Quote(cur.object->name), "unknown field");
        std::vector<std::string> names;
        for (const schema::Field& f : cur.object->fields) names.push_back(f.name);
        std::string near = ClosestName(seg.text, names);
        if (!near.empty()) {
          d.help = "did you mean " + Quote(near) + "?";
          d.fix = diag::Fix{seg.span, near, false};
        }
        d.notes.push_back("the left side of `=` names a field of the target, " + Quote(cur.object->name));
        env_.sink->Report(std::move(d));
        return std::nullopt;
      }
      cur = FromField(*field, *cur.schema);
    }
    return Target{cur, field};
  }

  void CheckMap(const MapDecl& m) {
    const TypeEnv::MapInfo& info = env_.maps.at(m.name.text);
    if (info.decl != &m) return;  // a duplicate name (E0104)
    std::optional<Type> source = RecordOf(m.source), target = RecordOf(m.target);
    if (!source || !target) return;
    std::unordered_set<std::string> non_null;
    for (const MapStmt& s : m.stmts) {
      if (s.kind == MapStmtKind::Require && s.value) CollectNonNull(*s.value, non_null);
    }
    non_null.erase("");
    std::unordered_map<std::string, Typed> assigned;
    ExprChecker ec(env_, Scope{&*source, nullptr, &assigned, &non_null});
    for (const MapStmt& s : m.stmts) {
      if (!s.value) continue;
      if (s.kind == MapStmtKind::Require) {
        ec.CheckCondition(*s.value, "the condition of `require`");
        continue;
      }
      std::optional<Target> t = ResolveTarget(*target, s.target);
      if (!t) {
        ec.Check(*s.value);
        continue;
      }
      std::string path;
      for (const Name& n : s.target) path += (path.empty() ? "" : ".") + n.text;
      Typed v = ec.CheckValueFor(*s.value, t->type, Quote(path));
      if (t->field != nullptr && t->field->IsRequiredOnCreate() && v.nullable && v.type.kind != TypeKind::kError) {
        std::string x = ExprChecker::Text(*s.value);
        diag::Diagnostic d = diag::Make(diag::Kind::NullIntoRequired, s.value->span,
                                        Quote(x) + " may be null, but " + Quote(path) + " is required to create " +
                                            Quote(target->object->name),
                                        "may be null");
        const auto* ref = s.value->As<RefExpr>();
        std::string p = ExprChecker::PathOf(ref != nullptr ? *ref->source_id : *s.value);
        d.help = "add a fallback: `" + x + " ?? DEFAULT`, or `" + x + " ?? hold \"...\"` to park the record for review" +
                 (p.empty() ? std::string() : ", or `require " + p + " != null else \"...\"`");
        env_.sink->Report(std::move(d));
      }
      if (s.target.size() == 1) assigned[s.target[0].text] = Typed{t->type, v.nullable};
    }
  }

  void CheckSync(const SyncDecl& s) {
    for (const ExhaustedAction& a : s.on_exhausted) {
      for (const ExprPtr& t : a.targets) CheckNotify(*t);
    }
    if (!s.when) return;
    auto it = env_.maps.find(s.map.text);
    if (it == env_.maps.end() || !it->second.source) return;
    Type source = *it->second.source;
    ExprChecker(env_, Scope{&source}).CheckCondition(*s.when, "the `when` condition of `sync`");
  }

  void CheckAlert(const AlertDecl& a) {
    for (const ExprPtr& t : a.notify) CheckNotify(*t);
    std::optional<Type> rec = RecordOf(a.object);
    if (!rec || !a.when) return;
    ExprChecker(env_, Scope{&*rec}).CheckCondition(*a.when, "the `when` condition of `alert`");
  }

  // A notify target: a string (a channel), or `owner_of(system.Object)`.
  void CheckNotify(const Expr& e) {
    const auto* call = e.As<CallExpr>();
    if (call != nullptr && !call->receiver && call->function.text == "owner_of") {
      const SelectExpr* sel = call->args.size() == 1 ? call->args[0]->As<SelectExpr>() : nullptr;
      const IdentExpr* sys = sel ? sel->operand->As<IdentExpr>() : nullptr;
      if (sys == nullptr) {
        diag::Diagnostic d = diag::Make(diag::Kind::ArgumentType, call->span,
                                        "`owner_of` takes one object, such as `owner_of(crm.Opportunity)`", "not an object");
        env_.sink->Report(std::move(d));
        return;
      }
      if (systems_.Find(sys->name.text) == nullptr) {
        diag::Diagnostic d = diag::Make(diag::Kind::UnknownSystem, sys->name.span,
                                        "no system named " + Quote(sys->name.text), "not a declared system");
        env_.sink->Report(std::move(d));
        return;
      }
      systems_.ResolveObject(ObjectRef{sys->name, sel->field, sel->span}, *env_.sink);
      return;
    }
    ExprChecker ec(env_, Scope{});
    Typed t = ec.Check(e);
    if (t.type.IsPermissive() || t.type.IsText()) return;
    diag::Diagnostic d = diag::Make(diag::Kind::TypeMismatch, e.span,
                                    "a notify target must be a string (a channel) or `owner_of(system.Object)`, but " +
                                        Quote(ExprChecker::Text(e)) + " is " + t.type.Described(),
                                    "not a notify target");
    env_.sink->Report(std::move(d));
  }

  void CheckReconcile(const ReconcileDecl& r) {
    std::optional<Type> left = RecordOf(r.left), right = RecordOf(r.right);
    if (!left || !right) return;
    if (r.by) ExprChecker(env_, Scope{&*left, &*right}).CheckCondition(*r.by, "the `by` condition of `reconcile`");
    for (const ReconcileRule& rule : r.rules) {
      if (!rule.left || !rule.right) continue;
      ExprChecker lc(env_, Scope{&*left}), rc(env_, Scope{&*right});
      lc.set_failures_handled();
      rc.set_failures_handled();
      Typed a = lc.Check(*rule.left);
      Typed b = rc.Check(*rule.right);
      std::string la = Quote(ExprChecker::Text(*rule.left)), rb = Quote(ExprChecker::Text(*rule.right));
      if (!Comparable(a.type, b.type)) {
        diag::Diagnostic d = diag::Make(diag::Kind::InvalidOperands, rule.span,
                                        "`~` cannot compare " + la + ", " + a.type.Described() + ", with " + rb + ", " +
                                            b.type.Described(),
                                        "different types");
        env_.sink->Report(std::move(d));
      } else if (rule.tolerance && !(a.type.IsPermissive() || a.type.IsNumeric() || a.type.kind == TypeKind::kDate ||
                                       a.type.kind == TypeKind::kDateTime || a.type.kind == TypeKind::kDuration)) {
        diag::Diagnostic d = diag::Make(diag::Kind::InvalidOperands, rule.span,
                                        "`within` needs numbers, dates or durations, but " + la + " is " + a.type.Described(),
                                        "not a number");
        d.help = "remove `within ...`: values that are not numbers are compared exactly";
        env_.sink->Report(std::move(d));
      }
    }
  }

  void CheckTest(const TestDecl& t) {
    for (const TestStmt& s : t.stmts) {
      if (!s.record) continue;
      std::optional<Type> rec = RecordOf(s.record->object);
      if (!rec) continue;
      ExprChecker ec(env_, Scope{});
      ec.set_failures_handled();
      for (const FieldInit& f : s.record->fields) {
        if (!f.value) continue;
        const schema::Field* field = rec->object->FindField(f.name.text);
        if (field == nullptr) {
          diag::Diagnostic d = diag::Make(diag::Kind::UnknownField, f.name.span,
                                          Quote(f.name.text) + " is not a field of " + Quote(rec->object->name),
                                          "unknown field");
          std::vector<std::string> names;
          for (const schema::Field& x : rec->object->fields) names.push_back(x.name);
          std::string near = ClosestName(f.name.text, names);
          if (!near.empty()) {
            d.help = "did you mean " + Quote(near) + "?";
            d.fix = diag::Fix{f.name.span, near, false};
          }
          env_.sink->Report(std::move(d));
          ec.Check(*f.value);
          continue;
        }
        ec.CheckValueFor(*f.value, FromField(*field, *rec->schema), Quote(f.name.text));
      }
    }
  }

  const Module& root_;
  const std::vector<const Module*>& imports_;
  const Systems& systems_;
  TypeEnv env_;
  std::vector<Typed> types_;
};

}  // namespace

std::vector<Typed> CheckTypes(const Module& root, const std::vector<const Module*>& imports, const Systems& systems,
                              diag::DiagnosticSink& sink) {
  return DeclChecker(root, imports, systems, sink).Run();
}

}  // namespace crmx::check
