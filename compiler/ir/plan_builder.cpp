// Defines the plan builder (plan_builder.h).
#include "compiler/ir/plan_builder.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "compiler/ast/dump.h"
#include "compiler/check/expr_check.h"
#include "compiler/check/ownership.h"
#include "compiler/ir/alert_builder.h"
#include "compiler/ir/batch_sizes.h"
#include "compiler/ir/reconcile_builder.h"
#include "compiler/ir/schema_facts.h"
#include "compiler/ir/shared_calls.h"
#include "compiler/ir/source_conditions.h"
#include "compiler/lower/lower.h"
#include "runtime/connectors/connector.h"
#include "runtime/connectors/csv_line.h"
#include "runtime/vm/vm.h"

namespace crmx::ir {

using namespace crmx::ast;

// What the schemas say of fields and objects (schema_facts.h): shared with the reconciles'
// builder (reconcile_builder.cpp).
std::string Dotted(const Expr& e) {
  if (const auto* id = e.As<IdentExpr>()) return id->name.text;
  if (const auto* s = e.As<SelectExpr>()) {
    std::string base = Dotted(*s->operand);
    return base.empty() ? base : base + "." + s->field.text;
  }
  return {};
}

std::string RootName(const std::string& dotted) { return dotted.substr(0, dotted.find('.')); }

// What a connector converts a field's values to (plan::FieldType), from its schema type.
plan::FieldType WireType(const schema::Field* f) {
  if (f == nullptr) return plan::FieldType::kAny;
  using K = schema::TypeKind;
  switch (f->type.kind) {
    case K::kString: case K::kText: case K::kEmail: case K::kPhone: case K::kUrl: case K::kPicklist:
    case K::kMultiPicklist: case K::kId: case K::kReference:
      return plan::FieldType::kString;
    case K::kBool: return plan::FieldType::kBool;
    case K::kInt: return plan::FieldType::kInt;
    case K::kDouble: return plan::FieldType::kDouble;
    case K::kDecimal: case K::kCurrency: case K::kPercent: return plan::FieldType::kDecimal;
    case K::kDate: return plan::FieldType::kDate;
    case K::kDateTime: return plan::FieldType::kDateTime;
    default: return plan::FieldType::kAny;
  }
}

std::vector<std::string> SplitPath(const std::string& name) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t dot; (dot = name.find('.', start)) != std::string::npos; start = dot + 1)
    out.push_back(name.substr(start, dot - start));
  out.push_back(name.substr(start));
  return out;
}

// The object a kObject type (or a list of them) holds: inline or named in `schema`.
const schema::Object* NestedObject(const schema::Type& t, const schema::Schema* schema) {
  const schema::Type* type = &t;
  if (type->kind == schema::TypeKind::kList && type->element) type = type->element.get();
  if (type->kind != schema::TypeKind::kObject) return nullptr;
  if (type->object) return type->object.get();
  return schema ? schema->FindObject(type->object_name) : nullptr;
}

// The field a dotted path names, through object-typed fields ("MetaData.LastUpdatedTime",
// "CustomerRef.value"); nullptr when a segment is missing or not an object.
const schema::Field* FieldAt(const schema::Object* object, const std::string& path, const schema::Schema* schema) {
  std::vector<std::string> parts = SplitPath(path);
  const schema::Field* f = nullptr;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (object == nullptr) return nullptr;
    f = object->FindField(parts[i]);
    if (f == nullptr) return nullptr;
    if (i + 1 < parts.size()) {
      if (f->type.kind != schema::TypeKind::kObject) return nullptr;
      object = NestedObject(f->type, schema);
    }
  }
  return f;
}

// The object's own id field per its schema: its first key field, else the first field of
// kind `id`, else (OpenAPI and JSON Schema imports mark neither: HubSpot, QuickBooks) a
// scalar field named `id` or `Id`; empty when there is none.
std::string IdField(const schema::Object* o) {
  if (o == nullptr) return {};
  for (const std::string& k : o->key_fields)
    if (o->FindField(k)) return k;
  for (const schema::Field& f : o->fields)
    if (f.key) return f.name;
  for (const schema::Field& f : o->fields)
    if (f.type.kind == schema::TypeKind::kId) return f.name;
  for (const char* name : {"id", "Id"}) {
    const schema::Field* f = o->FindField(name);
    if (f && f->type.kind != schema::TypeKind::kObject && f->type.kind != schema::TypeKind::kList &&
        f->type.kind != schema::TypeKind::kMap)
      return name;
  }
  return {};
}

namespace {

namespace fs = std::filesystem;
using value::Value;

// The keys of the object literals an assigned value builds its list elements from
// (`Items.map(li, {item: ..., quantity: ...})`, `[{...}, {...}]`), in first-seen order.
void LiteralKeys(const Expr& e, std::vector<std::string>& out) {
  auto add = [&](const MapExpr& lit) {
    for (const MapEntry& en : lit.entries) {
      std::string k;
      if (en.field_key) k = en.field_key->text;
      else if (const auto* l = en.key ? en.key->As<LiteralExpr>() : nullptr; l && l->literal == LiteralKind::String)
        k = l->string_value;
      if (!k.empty() && std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
    }
  };
  if (const auto* c = e.As<CallExpr>(); c && c->function.text == "map" && !c->args.empty()) {
    if (const auto* lit = c->args.back()->As<MapExpr>()) add(*lit);
  } else if (const auto* l = e.As<ListExpr>()) {
    for (const ExprPtr& x : l->elements)
      if (const auto* lit = x->As<MapExpr>()) add(*lit);
  } else if (const auto* co = e.As<CoalesceExpr>()) {
    LiteralKeys(*co->value, out);
    LiteralKeys(*co->fallback, out);
  } else if (const auto* cd = e.As<ConditionalExpr>()) {
    LiteralKeys(*cd->then, out);
    LiteralKeys(*cd->otherwise, out);
  }
}

// A target field's facts from its schema field (null: not in the schema). `depth` bounds the
// lists of lists described (a schema may be recursive through named objects).
plan::TargetField MakeTargetField(const std::string& name, const schema::Field* f, const schema::Schema* schema,
                                  const Expr* value, bool ref, int depth = 0) {
  plan::TargetField t;
  t.name = name;
  t.path = SplitPath(name);
  t.type = WireType(f);
  if (f && t.type == plan::FieldType::kDecimal && f->scale && !f->scale_variable) t.scale = static_cast<int>(*f->scale);
  t.reference = ref || (f && f->type.kind == schema::TypeKind::kReference);
  if (f == nullptr) return t;
  // Createable and not said to be updateable (a schema that says nothing of either leaves it
  // an ordinary field).
  t.create_only = f->createable.value_or(false) && !f->updateable.value_or(false);
  if (auto s = f->extensions.find("sublist"); s != f->extensions.end()) t.sublist = s->second;
  if (f->type.kind == schema::TypeKind::kList && depth < 3) {
    const schema::Object* row = NestedObject(f->type, schema);
    if (row == nullptr) return t;
    if (t.sublist.empty()) {
      if (auto s = row->extensions.find("sublist"); s != row->extensions.end()) t.sublist = s->second;
    }
    std::vector<std::string> keys;
    if (value) LiteralKeys(*value, keys);
    if (keys.empty())
      for (const schema::Field& x : row->fields) keys.push_back(x.name);
    // In the row's schema order, then the keys it does not list.
    for (const schema::Field& x : row->fields)
      if (std::find(keys.begin(), keys.end(), x.name) != keys.end())
        t.element.push_back(MakeTargetField(x.name, &x, schema, nullptr, false, depth + 1));
    for (const std::string& k : keys)
      if (row->FindField(k) == nullptr) t.element.push_back(MakeTargetField(k, nullptr, schema, nullptr, false, depth + 1));
  }
  return t;
}

// The assigned target fields in the target schema's order, then the others in step order.
// `values`: per target, the expression assigned (for a list's element fields).
std::vector<plan::TargetField> TargetFields(const plan::Map& m, const schema::Object* target, const schema::Schema* schema,
                                           const std::map<std::string, const Expr*>& values) {
  std::vector<std::string> assigned;
  for (const plan::Step& s : m.steps)
    if (s.kind != plan::StepKind::kRequire && !s.local && !s.target.empty() &&
        std::find(assigned.begin(), assigned.end(), s.target) == assigned.end())
      assigned.push_back(s.target);
  std::vector<plan::TargetField> out;
  auto add = [&](const std::string& name) {
    const schema::Field* f = FieldAt(target, name, schema);
    auto v = values.find(name);
    bool ref = std::any_of(m.steps.begin(), m.steps.end(),
                           [&](const plan::Step& s) { return s.kind == plan::StepKind::kRef && s.target == name; });
    out.push_back(MakeTargetField(name, f, schema, v == values.end() ? nullptr : v->second, ref));
  };
  if (target) {
    // Nested targets ("CustomerRef.value") come with their first segment's field.
    for (const schema::Field& f : target->fields)
      for (const std::string& a : assigned)
        if (RootName(a) == f.name) add(a);
  }
  for (const std::string& a : assigned) {
    bool have = std::any_of(out.begin(), out.end(), [&](const plan::TargetField& t) { return t.name == a; });
    if (!have) add(a);
  }
  return out;
}

// Removes the inputs a program never loads (the fields under a shared value it loads instead),
// so a run does not fetch them for it; the other inputs are renumbered.
void DropUnusedInputs(vm::Program& p) {
  std::vector<bool> used(p.input_names.size(), false);
  for (const vm::Instr& in : p.code)
    if (in.op == vm::Op::kLoadInput && static_cast<size_t>(in.arg) < used.size()) used[static_cast<size_t>(in.arg)] = true;
  std::vector<int32_t> renumber(used.size(), -1);
  std::vector<std::string> names;
  for (size_t i = 0; i < used.size(); ++i) {
    if (!used[i]) continue;
    renumber[i] = static_cast<int32_t>(names.size());
    names.push_back(p.input_names[i]);
  }
  for (vm::Instr& in : p.code)
    if (in.op == vm::Op::kLoadInput && static_cast<size_t>(in.arg) < used.size()) in.arg = renumber[static_cast<size_t>(in.arg)];
  p.input_names = std::move(names);
}

bool IsMacro(const CallExpr& c) {
  const std::string& n = c.function.text;
  return c.receiver && (n == "all" || n == "exists" || n == "exists_one" || n == "map" || n == "filter") &&
         !c.args.empty() && c.args[0]->As<IdentExpr>() != nullptr && (c.args.size() == 2 || (n == "map" && c.args.size() == 3));
}

// Per map: what names mean and what the map reads.
class MapContext {
 public:
  MapContext(const BuildInput& in, const MapDecl& decl, const schema::Object* source,
             const std::set<std::string>& tables, std::vector<std::string>& errors)
      : in_(in), decl_(decl), source_(source), tables_(tables), errors_(errors) {}

  // Lowers `e` and binds its inputs; records what it reads in the projection.
  vm::Program Lower(const Expr& e, std::vector<plan::Binding>& bindings) {
    std::vector<std::string> names;
    std::map<std::string, std::string> vars;  // macro variable -> child relation ("" when not a child list)
    Collect(e, vars, names, /*top=*/true);
    lower::LowerOptions opts;
    for (const std::string& n : names) {
      if (std::find(opts.inputs.begin(), opts.inputs.end(), n) != opts.inputs.end()) continue;
      plan::Binding b;
      if (!Classify(n, b)) continue;
      opts.inputs.push_back(n);
      AddBinding(bindings, b);
    }
    // The `ref`s inside it resolved by earlier local steps (HoistRefs): loaded by name.
    for (const auto& [node, name] : hoisted_) {
      if (!Holds(e, node)) continue;
      opts.substitutes.emplace_back(node, name);
      if (std::find(opts.inputs.begin(), opts.inputs.end(), name) != opts.inputs.end()) continue;
      opts.inputs.push_back(name);
      AddBinding(bindings, plan::Binding{name, plan::BindingKind::kAssigned, "", name});
    }
    // The map's shared values this expression holds: loaded, not computed again.
    for (const auto& [node, name] : shared_) {
      if (!Holds(e, node)) continue;
      opts.substitutes.emplace_back(node, name);
      if (std::find(opts.inputs.begin(), opts.inputs.end(), name) != opts.inputs.end()) continue;
      opts.inputs.push_back(name);
      AddBinding(bindings, plan::Binding{name, plan::BindingKind::kShared, "", name});
    }
    vm::Program p = lower::Lower(e, in_.types, opts);
    DropUnusedInputs(p);
    return p;
  }

  // Lowers the calls two or more statements compute (shared_calls.h) as the map's shared
  // values; the statements lowered after this load them.
  std::vector<plan::SharedValue> LowerShared(const std::vector<SharedCall>& calls) {
    std::vector<plan::SharedValue> out;
    std::set<std::string> names;
    for (const SharedCall& c : calls) {
      plan::SharedValue v;
      // The shown text elides long arguments: two different calls may show alike, and a value
      // is loaded by its name, so each name is made unique ("shared:f(...) #2").
      v.name = "shared:" + c.text;
      for (int n = 2; !names.insert(v.name).second; ++n) v.name = "shared:" + c.text + " #" + std::to_string(n);
      v.program = Lower(*c.nodes.front(), v.bindings);
      out.push_back(std::move(v));
    }
    for (size_t i = 0; i < calls.size(); ++i)
      for (const ast::Expr* n : calls[i].nodes) shared_.emplace_back(n, out[i].name);
    return out;
  }

  void Assigned(const std::string& field) { assigned_.insert(field); }

  // The `ref(...)`s inside `e` but not `e` itself, outside macro bodies (a `ref` of a macro
  // variable is per element: not supported), in evaluation order.
  static void NestedRefs(const Expr& e, bool top, std::vector<const RefExpr*>& out) {
    if (const auto* r = e.As<RefExpr>(); r && !top) {
      out.push_back(r);
      return;
    }
    if (const auto* c = e.As<CallExpr>(); c && IsMacro(*c)) {
      NestedRefs(*c->receiver, false, out);
      return;
    }
    EachChildExpr(e, [&](const Expr& c) { NestedRefs(c, false, out); });
  }

  // Each `ref` inside `value` as a local kRef step (plan::Step::local) the statement then
  // loads: `CustomerRef = {value: ref(account_to_customer, AccountId)}`.
  std::vector<plan::Step> HoistRefs(const Expr& value) {
    std::vector<const RefExpr*> refs;
    NestedRefs(value, true, refs);
    std::vector<plan::Step> out;
    for (const RefExpr* r : refs) {
      plan::Step step;
      step.kind = plan::StepKind::kRef;
      step.local = true;
      step.target = check::ExprChecker::Text(*r);
      step.ref_map = r->map.text;
      step.program = Lower(*r->source_id, step.bindings);
      hoisted_.emplace_back(r, step.target);
      assigned_.insert(step.target);
      out.push_back(std::move(step));
    }
    return out;
  }

  // The source's change cursor (plan::Map::cursor): the first of the fields systems stamp on
  // every change that the source object has as a datetime; read with the projection.
  std::string Cursor() {
    std::string name = CursorOf(source_);
    if (!name.empty()) fields_.insert(name);
    return name;
  }

  // The change cursor of `object` of the source system: the first of these it has as a datetime.
  std::string CursorOf(const schema::Object* object) const {
    static const char* const kCursors[] = {"SystemModstamp", "LastModifiedDate", "lastModifiedDate",
                                           "hs_lastmodifieddate", "updatedAt", "UpdatedDateUTC",
                                           "MetaData.LastUpdatedTime"};
    if (object == nullptr) return {};
    for (const char* name : kCursors) {
      const schema::Field* f = FieldAt(object, name, SourceSchema());
      if (f && f->type.kind == schema::TypeKind::kDateTime) return name;
    }
    return {};
  }

  // The source object's deletion marker (Salesforce `IsDeleted`, HubSpot `archived`): a boolean
  // read with the projection, so that a record deleted at the source is noticed. A NetSuite
  // source (`system erp: netsuite`) has no such field: its connector fills the pseudo-field
  // plan::kDeletedMarker from SOAP getDeleted.
  std::string DeletedField() {
    if (source_ == nullptr) return {};
    for (const char* name : {"IsDeleted", "archived"}) {
      const schema::Field* f = FieldAt(source_, name, SourceSchema());
      if (f && f->type.kind == schema::TypeKind::kBool) {
        fields_.insert(name);
        return name;
      }
    }
    const check::LoadedSystem* s = in_.systems->Find(decl_.source.system.text);
    if (s && s->decl && s->decl->system_kind.text == "netsuite") {
      fields_.insert(plan::kDeletedMarker);
      return plan::kDeletedMarker;
    }
    return {};
  }

  static void AddBinding(std::vector<plan::Binding>& bindings, const plan::Binding& b) {
    for (const plan::Binding& x : bindings)
      if (x.name == b.name) return;
    bindings.push_back(b);
  }

  // Whether `node` is `root` or inside it.
  static bool Holds(const Expr& root, const Expr* node) {
    if (&root == node) return true;
    bool found = false;
    EachChildExpr(root, [&](const Expr& c) { found = found || Holds(c, node); });
    return found;
  }

  plan::Projection TakeProjection() {
    plan::Projection p;
    p.fields.assign(fields_.begin(), fields_.end());
    for (const std::string& f : p.fields)
      p.types.push_back(f == plan::kDeletedMarker ? plan::FieldType::kBool : WireType(FieldAt(source_, f, SourceSchema())));
    for (auto& [name, rel] : relations_) {
      plan::Relation r = rel.first;
      const schema::Object* obj = FindObject(decl_.source.system.text, r.object);
      // A changed child (an order line) makes its parent changed: children are read with their
      // cursor.
      if (r.child) {
        r.cursor = CursorOf(obj);
        if (!r.cursor.empty()) rel.second.insert(r.cursor);
      }
      r.fields.assign(rel.second.begin(), rel.second.end());
      for (const std::string& f : r.fields) r.types.push_back(WireType(obj ? obj->FindField(f) : nullptr));
      p.relations.push_back(std::move(r));
    }
    return p;
  }

  // The source object's own id field (plan::Map::source_id).
  std::string SourceId() const { return IdField(source_); }

  const schema::Schema* SourceSchema() const {
    const check::LoadedSystem* s = in_.systems->Find(decl_.source.system.text);
    return s ? &s->schema : nullptr;
  }

 private:
  const schema::Object* FindObject(const std::string& system, const std::string& name) const {
    const check::LoadedSystem* s = in_.systems->Find(system);
    return s ? s->schema.FindObject(name) : nullptr;
  }

  // The parent relationship named `rel` of the source: its reference field and target object.
  const schema::Field* ParentRef(const std::string& rel, const schema::Object** target) const {
    if (source_ == nullptr) return nullptr;
    for (const schema::Field& f : source_->fields) {
      if (f.references.relationship_name == rel && f.references.targets.size() == 1) {
        *target = FindObject(decl_.source.system.text, f.references.targets[0]);
        if (*target != nullptr) return &f;
      }
    }
    return nullptr;
  }

  const schema::ChildRelationship* Child(const std::string& name) const {
    if (source_ == nullptr) return nullptr;
    for (const schema::ChildRelationship& c : source_->child_relationships)
      if (c.name == name && !c.field.empty()) return &c;
    return nullptr;
  }

  bool Classify(const std::string& n, plan::Binding& b) {
    b.name = n;
    size_t dot = n.find('.');
    if (dot == std::string::npos) {
      if (source_ && source_->FindField(n)) {
        b.kind = plan::BindingKind::kField;
        b.field = n;
        fields_.insert(n);
        return true;
      }
      if (const schema::ChildRelationship* c = Child(n)) {
        b.kind = plan::BindingKind::kChildren;
        b.relation = n;
        auto& rel = relations_[n];
        rel.first = plan::Relation{n, true, c->child_object, c->field, SourceId(), {}, {}, {}};
        // Children find their parent by its own id (Salesforce `Id`).
        if (!SourceId().empty()) fields_.insert(SourceId());
        return true;
      }
      if (assigned_.count(n)) {
        b.kind = plan::BindingKind::kAssigned;
        b.field = n;
        return true;
      }
      if (tables_.count(n)) {
        b.kind = plan::BindingKind::kTable;
        b.field = n;
        return true;
      }
      return false;
    }
    std::string rel = n.substr(0, dot), field = n.substr(dot + 1);
    // A nested value of the source's own object-typed field (`MetaData.LastUpdatedTime`): one
    // projected field, read at that path.
    if (const schema::Field* root = source_ ? source_->FindField(rel) : nullptr;
        root && root->type.kind == schema::TypeKind::kObject) {
      if (FieldAt(source_, n, SourceSchema()) == nullptr) return false;
      b.kind = plan::BindingKind::kField;
      b.field = n;
      fields_.insert(n);
      return true;
    }
    if (field.find('.') != std::string::npos) return false;
    const schema::Object* target = nullptr;
    if (const schema::Field* ref = ParentRef(rel, &target)) {
      if (!target->FindField(field)) return false;
      b.kind = plan::BindingKind::kParent;
      b.relation = rel;
      b.field = field;
      fields_.insert(ref->name);
      auto& r = relations_[rel];
      r.first = plan::Relation{rel, false, target->name, ref->name, IdField(target), {}, {}, {}};
      r.second.insert(field);
      return true;
    }
    return false;
  }

  void Collect(const Expr& e, std::map<std::string, std::string>& vars, std::vector<std::string>& names, bool top) {
    switch (e.kind) {
      case ExprKind::Literal:
      case ExprKind::Hold: return;
      case ExprKind::Ident: {
        const std::string& n = e.As<IdentExpr>()->name.text;
        if (!vars.count(n)) names.push_back(n);
        return;
      }
      case ExprKind::Select: {
        const auto* s = e.As<SelectExpr>();
        std::string d = Dotted(e);
        if (!d.empty()) {
          std::string root = RootName(d);
          auto v = vars.find(root);
          if (v != vars.end()) {
            // `li.ProductCode`: a field of a child record.
            if (!v->second.empty()) {
              std::string rest = d.substr(root.size() + 1);
              relations_[v->second].second.insert(RootName(rest));
            }
            return;
          }
          names.push_back(d);
          plan::Binding probe;
          if (Classify(d, probe)) return;
        }
        Collect(*s->operand, vars, names, false);
        return;
      }
      case ExprKind::Call: {
        const auto* c = e.As<CallExpr>();
        if (IsMacro(*c)) {
          Collect(*c->receiver, vars, names, false);
          std::string child;
          if (const auto* r = c->receiver->As<IdentExpr>()) {
            if (Child(r->name.text) && !vars.count(r->name.text)) child = r->name.text;
          }
          const std::string& var = c->args[0]->As<IdentExpr>()->name.text;
          auto saved = vars.find(var) != vars.end() ? std::optional<std::string>(vars[var]) : std::nullopt;
          vars[var] = child;
          for (size_t i = 1; i < c->args.size(); ++i) Collect(*c->args[i], vars, names, false);
          if (saved) vars[var] = *saved; else vars.erase(var);
          return;
        }
        if (c->receiver) Collect(*c->receiver, vars, names, false);
        for (const ExprPtr& a : c->args) Collect(*a, vars, names, false);
        return;
      }
      case ExprKind::Index: {
        const auto* x = e.As<IndexExpr>();
        Collect(*x->operand, vars, names, false);
        Collect(*x->index, vars, names, false);
        return;
      }
      case ExprKind::List:
        for (const ExprPtr& x : e.As<ListExpr>()->elements) Collect(*x, vars, names, false);
        return;
      case ExprKind::MapLit:
        for (const MapEntry& me : e.As<MapExpr>()->entries) {
          if (me.key) Collect(*me.key, vars, names, false);
          Collect(*me.value, vars, names, false);
        }
        return;
      case ExprKind::Unary: Collect(*e.As<UnaryExpr>()->operand, vars, names, false); return;
      case ExprKind::Binary:
        Collect(*e.As<BinaryExpr>()->left, vars, names, false);
        Collect(*e.As<BinaryExpr>()->right, vars, names, false);
        return;
      case ExprKind::Conditional: {
        const auto* c = e.As<ConditionalExpr>();
        Collect(*c->cond, vars, names, false);
        Collect(*c->then, vars, names, false);
        Collect(*c->otherwise, vars, names, false);
        return;
      }
      case ExprKind::Coalesce:
        Collect(*e.As<CoalesceExpr>()->value, vars, names, false);
        Collect(*e.As<CoalesceExpr>()->fallback, vars, names, false);
        return;
      case ExprKind::Ref:
        if (std::any_of(hoisted_.begin(), hoisted_.end(), [&](const auto& h) { return h.first == &e; })) return;
        if (!top) {
          errors_.push_back("map `" + decl_.name.text +
                            "`: `ref(...)` is built in the value of an assignment (alone or inside it), not in a "
                            "`require`, a `when` or per list element (a macro's body) by this version of `crmxc "
                            "build`; assign it on its own (`field = ref(map, id)`)");
        }
        Collect(*e.As<RefExpr>()->source_id, vars, names, false);
        return;
    }
  }

  const BuildInput& in_;
  const MapDecl& decl_;
  const schema::Object* source_;
  const std::set<std::string>& tables_;
  std::vector<std::string>& errors_;
  std::set<std::string> assigned_;
  std::vector<std::pair<const Expr*, std::string>> shared_;  // occurrence -> shared value name
  std::vector<std::pair<const Expr*, std::string>> hoisted_;  // nested `ref` -> its local step's name
  std::set<std::string> fields_;
  std::map<std::string, std::pair<plan::Relation, std::set<std::string>>> relations_;
};

std::string LiteralText(const Expr& e) {
  if (const auto* l = e.As<LiteralExpr>()) {
    if (l->literal == LiteralKind::String) return l->string_value;
  }
  return check::ExprChecker::Text(e);
}

// "StageName is not Closed Won", "Amount is not > 0": why a record fails one conjunct.
std::string WhenReason(const Expr& e) {
  if (const auto* b = e.As<BinaryExpr>()) {
    std::string left = check::ExprChecker::Text(*b->left);
    if (b->op == BinaryOp::Eq) return left + " is not " + LiteralText(*b->right);
    if (b->op == BinaryOp::Lt || b->op == BinaryOp::Le || b->op == BinaryOp::Gt || b->op == BinaryOp::Ge ||
        b->op == BinaryOp::Ne || b->op == BinaryOp::In)
      return left + " is not " + Spelling(b->op) + " " + check::ExprChecker::Text(*b->right);
  }
  return "`" + check::ExprChecker::Text(e) + "` is not true";
}

void Conjuncts(const Expr& e, std::vector<const Expr*>& out) {
  if (const auto* b = e.As<BinaryExpr>(); b && b->op == BinaryOp::And) {
    Conjuncts(*b->left, out);
    Conjuncts(*b->right, out);
    return;
  }
  out.push_back(&e);
}


std::string NamedString(const TableDecl& t, const std::string& name) {
  for (const NamedArg& a : t.csv_args) {
    if (a.name.text != name || !a.value) continue;
    if (const auto* l = a.value->As<LiteralExpr>()) return l->string_value;
  }
  return {};
}

bool LoadTable(const TableDecl& t, const std::string& dir, plan::Table& out, std::vector<std::string>& errors) {
  out.name = t.name.text;
  if (t.value) {
    vm::Program p = lower::Lower(*t.value, nullptr, {});
    vm::VM machine;
    Value v = machine.Run(p, {});
    if (v.kind() != value::Kind::kMap) {
      errors.push_back("table `" + out.name + "`: its value is not a map (" + value::Display(v) + ")");
      return false;
    }
    for (const auto& [k, x] : v.AsMap().entries) out.entries.emplace_back(k.Owned(), x.Owned());
    return true;
  }
  if (!t.csv_path) return false;
  fs::path path = fs::path(dir) / *t.csv_path;
  std::ifstream in(path);
  if (!in) {
    errors.push_back("table `" + out.name + "`: cannot read `" + path.string() + "`");
    return false;
  }
  std::string key = NamedString(t, "key"), val = NamedString(t, "value");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header = connectors::SplitCsvLine(line);
  auto col = [&](const std::string& n) -> long {
    auto it = std::find(header.begin(), header.end(), n);
    return it == header.end() ? -1 : it - header.begin();
  };
  long kc = key.empty() ? 0 : col(key), vc = val.empty() ? 1 : col(val);
  if (kc < 0 || vc < 0) {
    errors.push_back("table `" + out.name + "`: `" + path.string() + "` has no column `" + (kc < 0 ? key : val) + "`");
    return false;
  }
  // The cells are text; a declared type (`map<string, decimal>`, `map<int, string>`) converts
  // them, keys and values, as a connector converts a field of that type (the checker types the
  // table's keys and values by it, and reads the file to check that they convert: E0307).
  auto field_type = [](const std::string& v) {
    return v == "decimal" ? plan::FieldType::kDecimal : v == "int" ? plan::FieldType::kInt
         : v == "double" ? plan::FieldType::kDouble : v == "bool" ? plan::FieldType::kBool : plan::FieldType::kString;
  };
  plan::FieldType type = plan::FieldType::kString, key_type = plan::FieldType::kString;
  if (t.type && t.type->name.text == "map" && t.type->args.size() == 2) {
    key_type = field_type(t.type->args[0].name.text);
    type = field_type(t.type->args[1].name.text);
  }
  int64_t number = 1;
  bool ok = true;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line == "\r") continue;
    std::vector<std::string> cells = connectors::SplitCsvLine(line);
    if (static_cast<size_t>(std::max(kc, vc)) >= cells.size()) continue;
    Value v = connectors::FromText(cells[vc], type, val.empty() ? "value" : val).Owned();
    Value k = key_type == plan::FieldType::kString ? Value::String(cells[kc])
                                                   : connectors::FromText(cells[kc], key_type, key.empty() ? "key" : key).Owned();
    for (const Value* x : {&k, &v}) {
      if (!x->IsError()) continue;
      errors.push_back("table `" + out.name + "`: " + path.string() + " line " + std::to_string(number) + ": " +
                       x->ErrorReason());
      ok = false;
    }
    if (k.IsError() || v.IsError()) continue;
    out.entries.emplace_back(std::move(k), std::move(v));
  }
  return ok;
}

// Functions a program calls that the VM does not have: the lowering turns them into a `fail`
// with "no such function: NAME" (the checker, which knows the stdlib, accepted them).
void MissingFunctions(const vm::Program& p, std::set<std::string>& out) {
  for (const vm::Instr& in : p.code) {
    if (in.op != vm::Op::kFail || in.a != 0 || in.arg < 0 || static_cast<size_t>(in.arg) >= p.constants.size()) continue;
    const Value& c = p.constants[static_cast<size_t>(in.arg)];
    if (c.kind() != value::Kind::kString) continue;
    std::string_view t = c.AsText();
    constexpr std::string_view kPrefix = "no such function: ";
    if (t.substr(0, kPrefix.size()) == kPrefix) out.insert(std::string(t.substr(kPrefix.size())));
  }
}

// The fields of a test's record literal, each evaluated once here on the VM: the checker typed
// them by the field's schema type, so `Amount: 92000.00` of a currency field is a decimal. A
// value that fails (`1 / 0`) stays an error value: the test that uses it fails, not the build.
// `now` (RFC 3339, may be ""): the test's pinned clock, which now() and today() in a value read.
std::vector<std::pair<std::string, Value>> TestFields(const RecordLit& r, const std::vector<check::Typed>* types,
                                                      const std::string& now) {
  std::vector<std::pair<std::string, Value>> out;
  vm::VM machine;
  value::Time clock;
  if (!now.empty() && value::ParseTimestamp(now, clock)) machine.SetClock(clock);
  for (const FieldInit& f : r.fields) {
    if (!f.value) continue;
    vm::Program p = lower::Lower(*f.value, types, {});
    out.emplace_back(f.name.text, machine.Run(p, {}).Owned());
  }
  return out;
}

plan::SpecTest BuildTest(const TestDecl& t, const std::vector<check::Typed>* types) {
  plan::SpecTest out;
  out.name = t.name;
  for (const TestStmt& s : t.stmts)
    if (s.kind == TestStmtKind::Now) out.now = s.text;
  for (const TestStmt& s : t.stmts) {
    if (s.kind == TestStmtKind::Now) continue;
    if (s.kind == TestStmtKind::Given) {
      if (s.record)
        out.given.push_back(plan::GivenRecord{s.record->object.system.text, s.record->object.object.text,
                                              TestFields(*s.record, types, out.now), s.record_name.text});
      continue;
    }
    plan::Expectation e;
    e.kind = s.kind == TestStmtKind::ExpectException ? plan::ExpectKind::kException
           : s.kind == TestStmtKind::ExpectHold      ? plan::ExpectKind::kHold
           : s.kind == TestStmtKind::ExpectFlag      ? plan::ExpectKind::kFlag
           : s.kind == TestStmtKind::ExpectSkipped   ? plan::ExpectKind::kSkipped
                                                     : plan::ExpectKind::kRecord;
    if (e.kind == plan::ExpectKind::kRecord) {
      if (!s.record) continue;
      e.system = s.record->object.system.text;
      e.object = s.record->object.object.text;
      e.fields = TestFields(*s.record, types, out.now);
    } else {
      e.text = s.text;
      e.any = !s.has_text && e.kind != plan::ExpectKind::kSkipped;
    }
    e.negated = s.negated;
    e.record = s.record_name.text;
    out.expect.push_back(std::move(e));
  }
  return out;
}

}  // namespace

plan::Plan BuildPlan(const BuildInput& in, std::vector<std::string>& errors, std::vector<std::string>& warnings) {
  plan::Plan p;
  const Module& root = *in.root;
  p.compiler = in.compiler_version;
  p.integration = root.name.text;
  p.spec_version = root.version.value_or("");

  // Systems.
  for (const SystemDecl* s : root.All<SystemDecl>()) {
    plan::System sys{s->name.text, s->system_kind.text, s->batch, {}};
    for (const BudgetSetting& b : s->budgets)
      sys.budgets.push_back(plan::Budget{b.metric.text, b.amount, b.period_ms, b.warn_at_percent});
    p.systems.push_back(std::move(sys));
  }

  // Tables: the root's and the imports'.
  std::set<std::string> table_names;
  auto add_tables = [&](const Module& m, const std::string& dir) {
    for (const TableDecl* t : m.All<TableDecl>()) {
      plan::Table table;
      if (LoadTable(*t, dir, table, errors)) {
        table_names.insert(table.name);
        p.tables.push_back(std::move(table));
      }
    }
  };
  for (const auto& [m, dir] : in.imports) add_tables(*m, dir);
  add_tables(root, in.spec_dir);

  // `conflicts latest_wins grace 60s audit`: how a run settles a field both directions write.
  for (const ConflictsDecl* c : root.All<ConflictsDecl>())
    p.conflicts = plan::Conflicts{c->strategy.text, c->grace_ms.value_or(0), c->audit};

  // Syncs by map name.
  std::map<std::string, const SyncDecl*> syncs;
  for (const SyncDecl* s : root.All<SyncDecl>()) syncs[s->map.text] = s;

  // Who owns each target field, as the check's ownership rules decide (imported modules' owner
  // blocks count).
  std::vector<const Module*> modules;
  for (const auto& [m, dir] : in.imports) modules.push_back(m);
  modules.push_back(&root);
  check::Ownership owners(modules, *in.systems);

  // Maps, in source order first.
  std::vector<plan::Map> maps;
  for (const MapDecl* decl : root.All<MapDecl>()) {
    plan::Map m;
    m.name = decl->name.text;
    m.source = {decl->source.system.text, decl->source.object.text};
    m.target = {decl->target.system.text, decl->target.object.text};
    const schema::Object* source = in.systems->FindObject(decl->source);
    MapContext ctx(in, *decl, source, table_names, errors);
    std::set<std::string> targets;
    for (const MapStmt& st : decl->stmts) {
      std::string target;
      for (const Name& n : st.target) target += (target.empty() ? "" : ".") + n.text;
      if (!target.empty()) targets.insert(target);
    }
    m.shared = ctx.LowerShared(FindSharedCalls(*decl, targets));
    for (const MapStmt& st : decl->stmts) {
      plan::Step step;
      std::string target;
      for (const Name& n : st.target) target += (target.empty() ? "" : ".") + n.text;
      step.target = target;
      if (st.kind == MapStmtKind::Require) {
        step.kind = plan::StepKind::kRequire;
        step.reason = st.reason.value_or("require failed: " + check::ExprChecker::Text(*st.value));
        step.program = ctx.Lower(*st.value, step.bindings);
      } else if (const auto* ref = st.value->As<RefExpr>()) {
        step.kind = plan::StepKind::kRef;
        step.ref_map = ref->map.text;
        step.program = ctx.Lower(*ref->source_id, step.bindings);
        if (std::find(m.depends_on.begin(), m.depends_on.end(), step.ref_map) == m.depends_on.end())
          m.depends_on.push_back(step.ref_map);
      } else {
        step.kind = st.kind == MapStmtKind::Key ? plan::StepKind::kKey : plan::StepKind::kAssign;
        for (plan::Step& local : ctx.HoistRefs(*st.value)) {
          if (std::find(m.depends_on.begin(), m.depends_on.end(), local.ref_map) == m.depends_on.end())
            m.depends_on.push_back(local.ref_map);
          m.steps.push_back(std::move(local));
        }
        step.program = ctx.Lower(*st.value, step.bindings);
        if (st.flag) {
          step.flag = *st.flag;
          const Expr* first = st.value.get();
          bool coalesce = false;
          while (const auto* c = first->As<CoalesceExpr>()) {
            first = c->value.get();
            coalesce = true;
          }
          if (coalesce) step.flag_probe = ctx.Lower(*first, step.bindings);
        }
      }
      if (!target.empty()) ctx.Assigned(target);
      m.steps.push_back(std::move(step));
    }
    // The sync's `when` reads the same source records.
    if (auto it = syncs.find(m.name); it != syncs.end()) {
      const SyncDecl& s = *it->second;
      plan::Sync sync;
      sync.map = m.name;
      sync.trigger = s.trigger == TriggerKind::OnChange ? "on_change" : s.trigger == TriggerKind::Every ? "every" : "daily_at";
      sync.every_ms = s.every_ms;
      if (s.trigger == TriggerKind::DailyAt) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%02d:%02d", s.daily_at.hour, s.daily_at.minute);
        sync.daily_at = buf + (s.daily_at.zone ? " " + *s.daily_at.zone : std::string());
      }
      if (s.when) {
        std::vector<const Expr*> parts;
        Conjuncts(*s.when, parts);
        for (const Expr* part : parts) {
          plan::WhenPart w;
          w.reason = WhenReason(*part);
          w.program = ctx.Lower(*part, w.bindings);
          sync.when.push_back(std::move(w));
        }
      }
      sync.pushdown = DerivePushdown(sync.when);
      if (s.retry) {
        sync.retry = plan::Retry{s.retry->attempts, s.retry->backoff ? s.retry->backoff->text : "",
                                 s.retry->backoff_args_ms, s.retry->jitter};
      }
      for (const ExhaustedAction& a : s.on_exhausted) {
        if (a.kind != ExhaustedActionKind::Notify) {
          sync.on_exhausted.push_back(a.kind == ExhaustedActionKind::DeadLetter ? "dead_letter" : "hold: " + a.reason);
          continue;
        }
        // One "notify: WHO" per target: a string literal's text, otherwise the expression
        // (`owner_of(crm.Opportunity)`) for the always-on runtime to resolve.
        for (const ExprPtr& t : a.targets) {
          const auto* lit = t->As<LiteralExpr>();
          sync.on_exhausted.push_back("notify: " + (lit && lit->literal == LiteralKind::String ? lit->string_value
                                                                                               : SourceText(*t)));
        }
        if (a.targets.empty()) sync.on_exhausted.push_back("notify");
      }
      p.syncs.push_back(std::move(sync));
    }
    m.cursor = ctx.Cursor();
    m.deleted_field = ctx.DeletedField();
    m.source_id = ctx.SourceId();
    m.projection = ctx.TakeProjection();
    // A join needs the id field of the records it matches: the parent's own, or the source's
    // for children (plan::Relation::id_field).
    for (const plan::Relation& r : m.projection.relations) {
      if (!r.id_field.empty()) continue;
      errors.push_back("map `" + m.name + "` reads " + (r.child ? "the children `" : "the parent `") + r.name +
                       "`, but the schema of `" + (r.child ? m.source.object : r.object) +
                       "` names no id field (a `key` field or a field of type `id`) to join on");
    }
    const schema::Object* target_object = in.systems->FindObject(decl->target);
    const check::LoadedSystem* target_system = in.systems->Find(decl->target.system.text);
    m.target_id = IdField(target_object);
    std::map<std::string, const Expr*> values;
    for (const MapStmt& st : decl->stmts) {
      std::string t;
      for (const Name& n : st.target) t += (t.empty() ? "" : ".") + n.text;
      if (!t.empty() && st.value) values[t] = st.value.get();
    }
    m.target_fields = TargetFields(m, target_object, target_system ? &target_system->schema : nullptr, values);
    // A field two statements write takes the first one's owner.
    std::map<std::string, check::TargetOwner> owner_of;
    for (const MapStmt& st : decl->stmts) {
      std::string t;
      for (const Name& n : st.target) t += (t.empty() ? "" : ".") + n.text;
      if (t.empty() || owner_of.count(t) != 0) continue;
      if (std::optional<check::TargetOwner> o = owners.Of(*decl, st)) owner_of.emplace(t, *o);
    }
    for (plan::TargetField& f : m.target_fields) {
      auto o = owner_of.find(f.name);
      if (o == owner_of.end()) continue;
      f.owner = o->second.owner;
      f.constant = o->second.constant;
    }
    AssignBatchSizes(m, p.systems);
    maps.push_back(std::move(m));
  }

  for (const plan::Map& m : maps) {
    std::set<std::string> missing;
    for (const plan::Step& st : m.steps) {
      MissingFunctions(st.program, missing);
      if (st.flag_probe) MissingFunctions(*st.flag_probe, missing);
    }
    if (const plan::Sync* sy = p.FindSync(m.name)) {
      for (const plan::WhenPart& w : sy->when) MissingFunctions(w.program, missing);
    }
    for (const std::string& f : missing) {
      warnings.push_back("map `" + m.name + "` calls `" + f +
                         "`, which the VM does not implement yet: every expression calling it fails at run time");
    }
  }

  for (plan::Map& m : maps) {
    for (const plan::Map& other : maps)
      if (std::find(other.depends_on.begin(), other.depends_on.end(), m.name) != other.depends_on.end())
        m.referenced_by.push_back(other.name);
  }

  // Dependency order: a map after the maps it refs (stable: otherwise source order).
  std::set<std::string> placed;
  std::set<std::string> names;
  for (const plan::Map& m : maps) names.insert(m.name);
  while (!maps.empty()) {
    bool progress = false;
    for (auto it = maps.begin(); it != maps.end(); ++it) {
      bool ready = std::all_of(it->depends_on.begin(), it->depends_on.end(),
                               [&](const std::string& d) { return placed.count(d) || !names.count(d); });
      if (ready) {
        placed.insert(it->name);
        p.maps.push_back(std::move(*it));
        maps.erase(it);
        progress = true;
        break;
      }
    }
    if (!progress) {
      errors.push_back("maps `ref` each other in a cycle: " + maps.front().name);
      break;
    }
  }

  // Spec tests (the root's only: an imported module's tests are its own).
  for (const TestDecl* t : root.All<TestDecl>()) p.tests.push_back(BuildTest(*t, in.types));
  // Reconciles (the root's, as tests), after the maps and syncs they refer to.
  BuildReconciles(in, p, errors);
  // Alerts (the root's), after the maps their owners are linked through.
  BuildAlerts(in, p, errors);
  return p;
}

// Declared in alert_builder.h: an alert's `when` is lowered by the maps' own machinery, over
// the alerted object's records as if they were a map's source.
std::vector<plan::WhenPart> LowerWhenOver(const BuildInput& in, const plan::Plan& p, const ObjectRef& object,
                                          const Expr& when, plan::Projection& projection,
                                          std::vector<std::string>& errors) {
  MapDecl over(object.span);
  over.source = object;
  over.target = object;
  std::set<std::string> tables;
  for (const plan::Table& t : p.tables) tables.insert(t.name);
  MapContext ctx(in, over, in.systems->FindObject(object), tables, errors);
  std::vector<const Expr*> parts;
  Conjuncts(when, parts);
  std::vector<plan::WhenPart> out;
  for (const Expr* part : parts) {
    plan::WhenPart w;
    w.reason = WhenReason(*part);
    w.program = ctx.Lower(*part, w.bindings);
    out.push_back(std::move(w));
  }
  projection = ctx.TakeProjection();
  return out;
}

}  // namespace crmx::ir
