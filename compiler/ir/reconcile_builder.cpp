// Defines the reconciles' part of the plan builder (reconcile_builder.h).
#include "compiler/ir/reconcile_builder.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "compiler/check/expr_check.h"
#include "compiler/ir/batch_sizes.h"
#include "compiler/ir/schema_facts.h"
#include "compiler/ir/shared_calls.h"
#include "compiler/lower/lower.h"

namespace crmx::ir {

namespace {

using namespace crmx::ast;

// One side of a reconcile while it is built: its object and the fields read so far.
struct SideBuild {
  const ObjectRef* ref = nullptr;
  const schema::Object* object = nullptr;
  const schema::Schema* schema = nullptr;
  std::set<std::string> fields;

  bool Has(const std::string& name) const { return FieldAt(object, name, schema) != nullptr; }
  std::string Name() const { return ref->system.text + "." + ref->object.text; }
};

// A macro call (`xs.map(x, ...)`): its first argument is a variable, not a field.
bool IsMacroCall(const CallExpr& c) {
  static const std::set<std::string> kMacros{"all", "exists", "exists_one", "map", "filter"};
  return c.receiver && kMacros.count(c.function.text) && c.args.size() >= 2 && c.args[0]->As<IdentExpr>() != nullptr;
}

// The names `e` reads: identifiers and dotted chains (`MetaData.LastUpdatedTime`), not a
// macro's variables nor what is selected from them.
void Names(const Expr& e, std::set<std::string>& vars, std::vector<std::string>& out) {
  if (const auto* id = e.As<IdentExpr>()) {
    if (!vars.count(id->name.text)) out.push_back(id->name.text);
    return;
  }
  if (e.As<SelectExpr>()) {
    std::string dotted = Dotted(e);
    if (!dotted.empty()) {
      if (!vars.count(RootName(dotted))) out.push_back(dotted);
      return;
    }
  }
  if (const auto* c = e.As<CallExpr>(); c && IsMacroCall(*c)) {
    Names(*c->receiver, vars, out);
    const std::string& var = c->args[0]->As<IdentExpr>()->name.text;
    bool had = vars.count(var) > 0;
    vars.insert(var);
    for (size_t i = 1; i < c->args.size(); ++i) Names(*c->args[i], vars, out);
    if (!had) vars.erase(var);
    return;
  }
  EachChildExpr(e, [&](const Expr& child) { Names(child, vars, out); });
}

std::vector<std::string> NamesOf(const Expr& e) {
  std::set<std::string> vars;
  std::vector<std::string> out;
  Names(e, vars, out);
  return out;
}

// An expression as the report and the messages name it: `Amount`, `Name.trim()`, `!isInactive`,
// `Id != externalId` (operands the checker's way: long call arguments elided).
std::string Shown(const Expr& e) {
  // An operator's operand that is itself an operation goes in parentheses: `(a + b) * c`.
  auto operand = [](const Expr& x) {
    bool op = x.As<BinaryExpr>() != nullptr || x.As<UnaryExpr>() != nullptr;
    return op ? "(" + Shown(x) + ")" : Shown(x);
  };
  if (const auto* b = e.As<BinaryExpr>(); b && b->left && b->right)
    return operand(*b->left) + " " + Spelling(b->op) + " " + operand(*b->right);
  if (const auto* u = e.As<UnaryExpr>(); u && u->operand)
    return (u->op == UnaryOp::Not ? "!" : "-") + operand(*u->operand);
  return check::ExprChecker::Text(e);
}

enum Sides { kNeither = 0, kLeft = 1, kRight = 2 };

// Which sides the names of a `by` operand resolve to, as the checker resolves them (a name
// both objects have is the left one's).
int SidesOf(const Expr& e, const SideBuild& left, const SideBuild& right) {
  int sides = kNeither;
  for (const std::string& n : NamesOf(e)) sides |= left.Has(n) ? kLeft : right.Has(n) ? kRight : kLeft | kRight;
  return sides;
}

class Builder {
 public:
  Builder(const BuildInput& in, const plan::Plan& p, std::vector<std::string>& errors) : in_(in), p_(p), errors_(errors) {}

  std::optional<plan::Reconcile> Build(const ReconcileDecl& d, const std::string& name) {
    SideBuild left = Side(d.left), right = Side(d.right);
    if (left.object == nullptr || right.object == nullptr || !d.by) return std::nullopt;  // the checker said why
    name_ = name;
    plan::Reconcile r;
    r.name = name;
    switch (d.schedule) {
      case ScheduleKind::Daily: r.schedule = "daily"; break;
      case ScheduleKind::Hourly: r.schedule = "hourly"; break;
      case ScheduleKind::Every: r.schedule = "every"; break;
    }
    if (d.at) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%02d:%02d", d.at->hour, d.at->minute);
      r.at = buf + (d.at->zone ? " " + *d.at->zone : std::string());
    }
    r.every_ms = d.schedule == ScheduleKind::Every ? d.every_ms : 0;
    Keys(*d.by, left, right, r.keys);
    for (const ast::ReconcileRule& rule : d.rules) {
      if (!rule.left || !rule.right) continue;
      plan::ReconcileRule out;
      out.left = Lower(*rule.left, left);
      out.right = Lower(*rule.right, right);
      if (rule.tolerance) Tolerance(rule, out);
      r.rules.push_back(std::move(out));
    }
    // The maps that carry each side's records to the other, keyed by the one key pair.
    std::string left_carrier, right_carrier;
    if (key_exprs_.size() == 1) {
      std::string lk = Dotted(*key_exprs_[0].first), rk = Dotted(*key_exprs_[0].second);
      if (!lk.empty() && !rk.empty()) {
        left_carrier = Carrier(*left.ref, *right.ref, lk, rk);
        right_carrier = Carrier(*right.ref, *left.ref, rk, lk);
      }
    }
    r.left = Finish(left, left_carrier);
    r.right = Finish(right, right_carrier);
    return r;
  }

 private:
  SideBuild Side(const ObjectRef& ref) const {
    SideBuild s;
    s.ref = &ref;
    s.object = in_.systems->FindObject(ref);
    const check::LoadedSystem* sys = in_.systems->Find(ref.system.text);
    s.schema = sys ? &sys->schema : nullptr;
    return s;
  }

  void Error(const std::string& message) { errors_.push_back("reconcile `" + name_ + "`: " + message); }

  // `e` over one side's record: its names bound as that record's fields.
  plan::ReconcileExpr Lower(const Expr& e, SideBuild& side) {
    plan::ReconcileExpr out;
    out.text = Shown(e);
    lower::LowerOptions opts;
    for (const std::string& n : NamesOf(e)) {
      if (std::find(opts.inputs.begin(), opts.inputs.end(), n) != opts.inputs.end()) continue;
      if (!side.Has(n)) {
        // CEL's type names (`type(x) == string`) are the lowering's, not the record's.
        static const std::set<std::string> kTypeNames{"bool", "bytes", "double", "dyn", "int", "list", "map",
                                                      "null_type", "string", "type", "uint"};
        if (kTypeNames.count(n)) continue;
        Error("`" + out.text + "` reads `" + n + "`, which is not a field of `" + side.Name() +
              "`: a reconcile compares its records' own fields (related records and tables are not read by this "
              "version of `crmxc build`)");
        continue;
      }
      opts.inputs.push_back(n);
      out.bindings.push_back(plan::Binding{n, plan::BindingKind::kField, "", n});
      side.fields.insert(n);
    }
    out.program = lower::Lower(e, in_.types, opts);
    return out;
  }

  // The conjuncts of `by`, each a pair of a left and a right expression.
  void Keys(const Expr& by, SideBuild& left, SideBuild& right, std::vector<plan::ReconcileKey>& out) {
    if (const auto* b = by.As<BinaryExpr>(); b && b->op == BinaryOp::And) {
      Keys(*b->left, left, right, out);
      Keys(*b->right, left, right, out);
      return;
    }
    const Expr* l = KeySide(by, left, right, true);
    const Expr* r = KeySide(by, left, right, false);
    if (l == nullptr || r == nullptr) {
      Error("`by` matches records on `==` comparisons joined with `&&`, each between an expression over `" +
            left.Name() + "` and one over `" + right.Name() + "`; `" + Shown(by) +
            "` is not one (not built by this version of `crmxc build`)");
      return;
    }
    out.push_back(plan::ReconcileKey{Lower(*l, left), Lower(*r, right)});
    key_exprs_.emplace_back(l, r);
  }

  // Of a `by` conjunct `a == b`: the operand over the left record (`want_left`), or the one
  // over the right record; null when the conjunct is not such a comparison.
  static const Expr* KeySide(const Expr& c, const SideBuild& left, const SideBuild& right, bool want_left) {
    const auto* b = c.As<BinaryExpr>();
    if (b == nullptr || b->op != BinaryOp::Eq || !b->left || !b->right) return nullptr;
    int a = SidesOf(*b->left, left, right), z = SidesOf(*b->right, left, right);
    if (a == kLeft && z == kRight) return want_left ? b->left.get() : b->right.get();
    if (a == kRight && z == kLeft) return want_left ? b->right.get() : b->left.get();
    return nullptr;
  }

  void Tolerance(const ast::ReconcileRule& rule, plan::ReconcileRule& out) {
    auto within = decimal::Decimal::Parse(rule.tolerance_text);
    if (!within || within->IsNegative()) {
      Error("`within " + rule.tolerance_text + "` is not a decimal number");
      return;
    }
    out.tolerance = rule.tolerance_percent ? plan::ToleranceKind::kPercent : plan::ToleranceKind::kAbsolute;
    out.within = *within;
    if (in_.types == nullptr || rule.left->id >= in_.types->size()) return;
    check::TypeKind k = (*in_.types)[rule.left->id].type.kind;
    if (k == check::TypeKind::kDate || k == check::TypeKind::kDateTime || k == check::TypeKind::kDuration) {
      Error("`within` on `" + out.left.text + "`, " + (*in_.types)[rule.left->id].type.Described() +
            ", is not built by this version of `crmxc build`: a tolerance applies to numbers (remove `within` to "
            "compare exactly)");
    }
  }

  // The plan's map from `from` to `to` whose key writes `to_key` with `from_key` (`key
  // externalId = Id`): it carries `from`'s records to `to`.
  std::string Carrier(const ObjectRef& from, const ObjectRef& to, const std::string& from_key, const std::string& to_key) const {
    auto same = [](const ObjectRef& a, const ObjectRef& b) {
      return a.system.text == b.system.text && a.object.text == b.object.text;
    };
    for (const MapDecl* m : in_.root->All<MapDecl>()) {
      if (!same(m->source, from) || !same(m->target, to) || p_.FindMap(m->name.text) == nullptr) continue;
      for (const MapStmt& st : m->stmts) {
        std::string target;
        for (const ast::Name& n : st.target) target += (target.empty() ? "" : ".") + n.text;
        if (st.kind == MapStmtKind::Key && st.value && target == to_key && Dotted(*st.value) == from_key)
          return m->name.text;
      }
    }
    return {};
  }

  // The side as the plan has it: with the carrier's `when` fields (which of its records the
  // other side is expected to have).
  plan::ReconcileSide Finish(SideBuild& s, const std::string& carried_by) const {
    if (const plan::Sync* sync = carried_by.empty() ? nullptr : p_.FindSync(carried_by)) {
      for (const plan::WhenPart& w : sync->when) {
        bool own = std::all_of(w.bindings.begin(), w.bindings.end(),
                               [](const plan::Binding& b) { return b.kind == plan::BindingKind::kField; });
        if (own)
          for (const plan::Binding& b : w.bindings) s.fields.insert(b.field);
      }
    }
    plan::ReconcileSide out;
    out.object = {s.ref->system.text, s.ref->object.text};
    out.fields.assign(s.fields.begin(), s.fields.end());
    for (const std::string& f : out.fields) out.types.push_back(WireType(FieldAt(s.object, f, s.schema)));
    out.id_field = IdField(s.object);
    out.read_batch = ReadBatch(p_.FindSystem(out.object.system)).records;
    out.carried_by = carried_by;
    return out;
  }

  const BuildInput& in_;
  const plan::Plan& p_;
  std::vector<std::string>& errors_;
  std::string name_;
  std::vector<std::pair<const Expr*, const Expr*>> key_exprs_;  // per key: the left and right operands
};

}  // namespace

void BuildReconciles(const BuildInput& in, plan::Plan& p, std::vector<std::string>& errors) {
  std::map<std::string, int> seen;  // per pair of objects, reconciles so far
  for (const ReconcileDecl* d : in.root->All<ReconcileDecl>()) {
    std::string base = d->left.system.text + "." + d->left.object.text + "~" + d->right.system.text + "." +
                       d->right.object.text;
    int n = ++seen[base];
    std::string name = n == 1 ? base : base + "#" + std::to_string(n);
    Builder b(in, p, errors);
    if (std::optional<plan::Reconcile> r = b.Build(*d, name)) p.reconciles.push_back(std::move(*r));
  }
}

}  // namespace crmx::ir
