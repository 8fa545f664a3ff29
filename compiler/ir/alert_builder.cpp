// Defines the alerts' part of the plan builder (alert_builder.h).
#include "compiler/ir/alert_builder.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "compiler/ast/dump.h"
#include "compiler/ir/batch_sizes.h"
#include "compiler/ir/schema_facts.h"
#include "compiler/ir/source_conditions.h"

namespace crmx::ir {

namespace {

using namespace crmx::ast;

bool Same(const ObjectRef& a, const plan::ObjectName& b) { return a.system.text == b.system && a.object.text == b.object; }

// The target field a map's `key` statement writes and the source field it is written from
// (`key externalId = Id`: {"externalId", "Id"}); empty when the key is not a plain field.
std::pair<std::string, std::string> KeyPair(const MapDecl& m) {
  for (const MapStmt& st : m.stmts) {
    if (st.kind != MapStmtKind::Key || st.target.size() != 1 || !st.value) continue;
    std::string from = Dotted(*st.value);
    if (!from.empty() && from.find('.') == std::string::npos) return {st.target[0].text, from};
  }
  return {};
}

}  // namespace

std::string SourceText(const Expr& e, bool nested) {
  auto list = [](const std::vector<ExprPtr>& items) {
    std::string out;
    for (const ExprPtr& x : items) out += (out.empty() ? "" : ", ") + SourceText(*x);
    return out;
  };
  auto wrap = [nested](const std::string& s) { return nested ? "(" + s + ")" : s; };
  switch (e.kind) {
    case ExprKind::Ident: return e.As<IdentExpr>()->name.text;
    case ExprKind::Literal: return e.As<LiteralExpr>()->text;
    case ExprKind::Select: return SourceText(*e.As<SelectExpr>()->operand, true) + "." + e.As<SelectExpr>()->field.text;
    case ExprKind::Index:
      return SourceText(*e.As<IndexExpr>()->operand, true) + "[" + SourceText(*e.As<IndexExpr>()->index) + "]";
    case ExprKind::List: return "[" + list(e.As<ListExpr>()->elements) + "]";
    case ExprKind::Call: {
      const auto* c = e.As<CallExpr>();
      return (c->receiver ? SourceText(*c->receiver, true) + "." : std::string()) + c->function.text + "(" +
             list(c->args) + ")";
    }
    case ExprKind::Unary: {
      const auto* u = e.As<UnaryExpr>();
      return (u->op == UnaryOp::Not ? "!" : "-") + SourceText(*u->operand, true);
    }
    case ExprKind::Binary: {
      const auto* b = e.As<BinaryExpr>();
      return wrap(SourceText(*b->left, true) + " " + Spelling(b->op) + " " + SourceText(*b->right, true));
    }
    case ExprKind::Coalesce: {
      const auto* c = e.As<CoalesceExpr>();
      return wrap(SourceText(*c->value, true) + " ?? " + SourceText(*c->fallback, true));
    }
    default: return ExprToString(&e);
  }
}

namespace {

class Builder {
 public:
  Builder(const BuildInput& in, plan::Plan& p, std::vector<std::string>& errors) : in_(in), p_(p), errors_(errors) {}

  void Build(const AlertDecl& d) {
    const schema::Object* object = in_.systems->FindObject(d.object);
    if (object == nullptr || !d.when) return;  // the checker said why
    name_ = d.name.text;
    plan::Alert a;
    a.name = d.name.text;
    a.object = {d.object.system.text, d.object.object.text};
    a.for_ms = d.for_ms;
    a.condition = SourceText(*d.when);
    a.when = LowerWhenOver(in_, p_, d.object, *d.when, a.projection, errors_);
    for (const plan::Relation& r : a.projection.relations)
      Error("`when` reads the related record `" + r.name +
            "`: an alert reads its records' own fields and the tables (not built by this version of `crmxc build`)");
    a.projection.relations.clear();
    a.pushdown = DerivePushdown(a.when);
    a.id_field = IdField(object);
    if (a.id_field.empty()) Error("the schema of `" + Name(d.object) + "` names no id field to keep the alert's timers by");
    else Project(a, object, a.id_field);
    for (const ExprPtr& t : d.notify) {
      if (auto target = Target(d, *t, object, a)) a.notify.push_back(std::move(*target));
    }
    a.read_batch = ReadBatch(p_.FindSystem(a.object.system)).records;
    p_.alerts.push_back(std::move(a));
  }

 private:
  void Error(const std::string& message) { errors_.push_back("alert `" + name_ + "`: " + message); }

  static std::string Name(const ObjectRef& o) { return o.system.text + "." + o.object.text; }

  const schema::Schema* SchemaOf(const std::string& system) const {
    const check::LoadedSystem* s = in_.systems->Find(system);
    return s ? &s->schema : nullptr;
  }

  // Adds `field` of the alerted object to what the alert reads, with its type.
  void Project(plan::Alert& a, const schema::Object* object, const std::string& field) {
    std::vector<std::string>& fields = a.projection.fields;
    auto at = std::lower_bound(fields.begin(), fields.end(), field);
    if (at != fields.end() && *at == field) return;
    size_t i = static_cast<size_t>(at - fields.begin());
    fields.insert(at, field);
    a.projection.types.insert(a.projection.types.begin() + static_cast<std::ptrdiff_t>(i),
                              WireType(FieldAt(object, field, SchemaOf(a.object.system))));
  }

  std::optional<plan::NotifyTarget> Target(const AlertDecl& d, const Expr& e, const schema::Object* object,
                                           plan::Alert& a) {
    plan::NotifyTarget t;
    t.text = SourceText(e);
    if (const auto* lit = e.As<LiteralExpr>(); lit && lit->literal == LiteralKind::String) {
      t.text = t.channel = lit->string_value;
      return t;
    }
    const auto* call = e.As<CallExpr>();
    const auto* sel = call && !call->receiver && call->function.text == "owner_of" && call->args.size() == 1
                          ? call->args[0]->As<SelectExpr>()
                          : nullptr;
    const auto* sys = sel ? sel->operand->As<IdentExpr>() : nullptr;
    if (sys == nullptr) {
      Error("notify `" + t.text + "`: a notify target is a channel's name (a string) or `owner_of(system.Object)`");
      return std::nullopt;
    }
    ObjectRef owner{sys->name, sel->field, sel->span};
    t.owner_object = {owner.system.text, owner.object.text};
    const schema::Object* owner_object = in_.systems->FindObject(owner);
    if (owner_object == nullptr) return std::nullopt;  // the checker said why
    if (!Link(d, owner, object, t)) {
      Error("`" + t.text + "`: no map between `" + Name(owner) + "` and `" + Name(d.object) +
            "` keyed by a field of each (`key externalId = Id`) links a " + d.object.object.text + " to its " +
            owner.object.text);
      return std::nullopt;
    }
    // The owner: Salesforce's `OwnerId`, a reference to a User (or a Group: only users have an email).
    const schema::Field* owner_field = owner_object->FindField("OwnerId");
    if (owner_field == nullptr) {
      Error("`" + t.text + "`: `" + Name(owner) + "` has no `OwnerId` field naming its owner");
      return std::nullopt;
    }
    t.owner_field = owner_field->name;
    t.user_object = "User";
    for (const std::string& target : owner_field->references.targets)
      if (target == "User") t.user_object = target;
    t.user_id = "Id";
    t.user_email = "Email";
    Project(a, object, t.link_field);
    return t;
  }

  // How a record of the alerted object finds its owner's record: the alerted object itself by
  // its own id, or the key pair of a map between the two objects (either way).
  bool Link(const AlertDecl& d, const ObjectRef& owner, const schema::Object* object, plan::NotifyTarget& t) const {
    if (owner.system.text == d.object.system.text && owner.object.text == d.object.object.text) {
      t.link_field = t.link_key = IdField(object);
      return !t.link_field.empty();
    }
    for (const MapDecl* m : in_.root->All<MapDecl>()) {
      if (p_.FindMap(m->name.text) == nullptr) continue;
      auto [target_field, source_field] = KeyPair(*m);
      if (target_field.empty()) continue;
      plan::ObjectName alerted{d.object.system.text, d.object.object.text};
      plan::ObjectName owner_name{owner.system.text, owner.object.text};
      // owner -> alerted (`won_to_order: crm.Opportunity -> erp.SalesOrder { key externalId = Id }`):
      // the alerted record's key field holds the owner's source field.
      if (Same(m->source, owner_name) && Same(m->target, alerted)) {
        t.link_map = m->name.text;
        t.link_field = target_field;
        t.link_key = source_field;
        return true;
      }
      // alerted -> owner (`order_status_back: erp.SalesOrder -> crm.Opportunity { key Id = externalId }`).
      if (Same(m->source, alerted) && Same(m->target, owner_name)) {
        t.link_map = m->name.text;
        t.link_field = source_field;
        t.link_key = target_field;
        return true;
      }
    }
    return false;
  }

  const BuildInput& in_;
  plan::Plan& p_;
  std::vector<std::string>& errors_;
  std::string name_;
};

}  // namespace

void BuildAlerts(const BuildInput& in, plan::Plan& p, std::vector<std::string>& errors) {
  for (const AlertDecl* d : in.root->All<AlertDecl>()) Builder(in, p, errors).Build(*d);
}

}  // namespace crmx::ir
