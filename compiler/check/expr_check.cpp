// Defines the typing of expressions (see expr_check.h; the rules: docs/types.md).
#include "compiler/check/expr_check.h"

#include <algorithm>

#include "compiler/check/functions.h"
#include "compiler/check/structure.h"

namespace crmx::check {

using namespace crmx::ast;

// ------------------------------------------------------------------------------ members

const TypeEnv::Relations& TypeEnv::RelationsOf(const schema::Object* object) {
  auto [it, inserted] = relations_.try_emplace(object);
  if (inserted) {
    for (const schema::Field& f : object->fields) {
      if (!f.references.relationship_name.empty()) it->second.parents.emplace(f.references.relationship_name, &f);
    }
    for (const schema::ChildRelationship& c : object->child_relationships) {
      if (!c.name.empty()) it->second.children.emplace(c.name, &c);
    }
  }
  return it->second;
}

std::optional<Member> TypeEnv::FindMember(const Type& record, std::string_view name) {
  const schema::Object* obj = record.object;
  if (const schema::Field* f = obj->FindField(name)) {
    return Member{FromField(*f, *record.schema), f->IsNullable(), f};
  }
  const Relations& rel = RelationsOf(obj);
  std::string key(name);
  if (auto it = rel.parents.find(key); it != rel.parents.end()) {
    const schema::Field* f = it->second;
    // A polymorphic or unknown target is not a record we can type: its fields are dyn.
    const schema::Object* target = nullptr;
    if (f->references.targets.size() == 1) target = record.schema->FindObject(f->references.targets[0]);
    Type t = target ? Type::Record(target, record.schema) : Type(TypeKind::kDyn);
    return Member{t, f->IsNullable(), nullptr};
  }
  if (auto it = rel.children.find(key); it != rel.children.end()) {
    const schema::Object* child = record.schema->FindObject(it->second->child_object);
    Type elem = child ? Type::Record(child, record.schema) : Type(TypeKind::kDyn);
    return Member{Type::List(elem), false, nullptr};
  }
  return std::nullopt;
}

std::vector<std::string> TypeEnv::MemberNames(const Type& record) {
  std::vector<std::string> names;
  for (const schema::Field& f : record.object->fields) names.push_back(f.name);
  const Relations& rel = RelationsOf(record.object);
  for (const auto& [n, f] : rel.parents) names.push_back(n);
  for (const auto& [n, c] : rel.children) names.push_back(n);
  return names;
}

// ------------------------------------------------------------------------------ helpers

namespace {

// The number of characters (not bytes) of UTF-8 text.
uint32_t Chars(std::string_view s) {
  uint32_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Digits before and after the point of a plain decimal number ("92000.00" -> 5, 0 after
// dropping trailing zeros); nullopt for exponents and other spellings.
std::optional<std::pair<uint32_t, uint32_t>> DecimalDigits(std::string_view text) {
  if (!text.empty() && (text.back() == 'm' || text.back() == 'M')) text.remove_suffix(1);
  size_t dot = text.find('.');
  std::string_view ip = text.substr(0, dot);
  std::string_view fp = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  for (char c : ip) if (c < '0' || c > '9') return std::nullopt;
  for (char c : fp) if (c < '0' || c > '9') return std::nullopt;
  while (!fp.empty() && fp.back() == '0') fp.remove_suffix(1);
  while (ip.size() > 1 && ip.front() == '0') ip.remove_prefix(1);
  uint32_t ints = ip == "0" || ip.empty() ? 0 : static_cast<uint32_t>(ip.size());
  return std::make_pair(ints, static_cast<uint32_t>(fp.size()));
}

Type DecimalOfLiteral(std::string_view text) {
  auto d = DecimalDigits(text);
  if (!d) return Type::Decimal(std::nullopt, std::nullopt);
  return Type::Decimal(std::max<uint32_t>(1, d->first + d->second), d->second);
}

bool IsNumberLiteral(const Expr& e, LiteralKind kind) {
  const auto* lit = e.As<LiteralExpr>();
  if (lit != nullptr) return lit->literal == kind;
  // `-1.5` is a negated literal.
  const auto* u = e.As<UnaryExpr>();
  return u != nullptr && u->op == UnaryOp::Negate && IsNumberLiteral(*u->operand, kind);
}

std::optional<int64_t> IntLiteral(const Expr& e) {
  const auto* lit = e.As<LiteralExpr>();
  if (lit != nullptr && lit->literal == LiteralKind::Int) return lit->int_value;
  return std::nullopt;
}

bool IsMacroName(std::string_view n) {
  return n == "all" || n == "exists" || n == "exists_one" || n == "map" || n == "filter";
}

std::string Quote(const std::string& s) { return "`" + s + "`"; }

}  // namespace

std::string ExprChecker::Text(const Expr& e) {
  switch (e.kind) {
    case ExprKind::Ident: return e.As<IdentExpr>()->name.text;
    case ExprKind::Select: {
      const auto* s = e.As<SelectExpr>();
      return Text(*s->operand) + "." + s->field.text;
    }
    case ExprKind::Literal: return e.As<LiteralExpr>()->text;
    case ExprKind::Call: {
      const auto* c = e.As<CallExpr>();
      // Short arguments are shown (`state_code(BillingState)`), long ones elided.
      std::string inner;
      for (const ExprPtr& a : c->args) {
        bool simple = a->kind == ExprKind::Ident || a->kind == ExprKind::Select || a->kind == ExprKind::Literal;
        inner += (inner.empty() ? "" : ", ") + (simple ? Text(*a) : std::string("..."));
      }
      if (inner.size() > 40) inner = "...";
      if (c->receiver) return Text(*c->receiver) + "." + c->function.text + "(" + inner + ")";
      return c->function.text + "(" + inner + ")";
    }
    case ExprKind::Index: return Text(*e.As<IndexExpr>()->operand) + "[...]";
    case ExprKind::Ref: {
      const auto* r = e.As<RefExpr>();
      std::string id = PathOf(*r->source_id);
      return "ref(" + r->map.text + ", " + (id.empty() ? "..." : id) + ")";
    }
    case ExprKind::Hold: return "hold \"" + e.As<HoldExpr>()->reason + "\"";
    default: return "...";
  }
}

std::string ExprChecker::PathOf(const Expr& e) {
  if (const auto* id = e.As<IdentExpr>()) return id->name.text;
  if (const auto* s = e.As<SelectExpr>()) {
    std::string base = PathOf(*s->operand);
    return base.empty() ? base : base + "." + s->field.text;
  }
  return {};
}

Typed ExprChecker::Record(const Expr& e, Typed t) {
  if (env_.types != nullptr && e.id < env_.types->size()) (*env_.types)[e.id] = t;
  return t;
}

void ExprChecker::Unhandled(const Expr& e, const std::string& what, const std::string& why) {
  diag::Diagnostic d = diag::Make(diag::Kind::UnhandledFailure, e.span,
                                  Quote(what) + " can fail (" + why + ") and its failure is not handled",
                                  "may fail here");
  d.help = "add a fallback with `??`: `" + what + " ?? hold \"...\"` parks the record for review, `" + what +
           " ?? DEFAULT` uses a default";
  Report(std::move(d));
}

// ------------------------------------------------------------------------------ expressions

Typed ExprChecker::Check(const Expr& e, const Type* expected) {
  switch (e.kind) {
    case ExprKind::Literal: return Record(e, Literal(*e.As<LiteralExpr>(), expected));
    case ExprKind::Ident: return Record(e, CheckIdent(*e.As<IdentExpr>()));
    case ExprKind::Select: return Record(e, CheckSelect(*e.As<SelectExpr>()));
    case ExprKind::Call: return Record(e, CheckCall(*e.As<CallExpr>(), expected));
    case ExprKind::Index: return Record(e, CheckIndex(*e.As<IndexExpr>()));
    case ExprKind::List: return Record(e, CheckList(*e.As<ListExpr>(), expected));
    case ExprKind::MapLit: return Record(e, CheckMapLit(*e.As<MapExpr>(), expected));
    case ExprKind::Unary: return Record(e, CheckUnary(*e.As<UnaryExpr>()));
    case ExprKind::Binary: return Record(e, CheckBinary(*e.As<BinaryExpr>()));
    case ExprKind::Conditional: {
      const auto* c = e.As<ConditionalExpr>();
      CheckCondition(*c->cond, "the condition of `?:`");
      Typed a = Check(*c->then, expected);
      Typed b = Check(*c->otherwise, expected);
      return Record(e, Typed{Join(a.type, b.type), a.nullable || b.nullable});
    }
    case ExprKind::Coalesce: {
      const auto* c = e.As<CoalesceExpr>();
      ++handled_;
      Typed a = Check(*c->value, expected);
      --handled_;
      Typed b = Check(*c->fallback, expected);
      Type t = b.type.kind == TypeKind::kHold || b.type.kind == TypeKind::kNull ? a.type : Join(a.type, b.type);
      return Record(e, Typed{t, b.nullable});
    }
    case ExprKind::Hold: return Record(e, Typed{Type(TypeKind::kHold), false});
    case ExprKind::Ref: return Record(e, CheckRef(*e.As<RefExpr>()));
  }
  return Typed::Error();
}

Typed ExprChecker::Literal(const LiteralExpr& e, const Type* expected) {
  bool want_decimal = expected != nullptr && expected->kind == TypeKind::kDecimal;
  switch (e.literal) {
    case LiteralKind::Int:
      if (want_decimal) return Typed{DecimalOfLiteral(std::to_string(e.int_value < 0 ? -e.int_value : e.int_value)), false};
      return Typed{Type(TypeKind::kInt), false};
    case LiteralKind::Uint: return Typed{Type(TypeKind::kUint), false};
    case LiteralKind::Double:
      // Contextual typing: where a decimal is expected, a plain double literal is read as the
      // decimal it spells (92000.00 for a currency field). Exponents stay doubles.
      if (want_decimal && DecimalDigits(e.text)) return Typed{DecimalOfLiteral(e.text), false};
      return Typed{Type(TypeKind::kDouble), false};
    case LiteralKind::Decimal: return Typed{DecimalOfLiteral(e.text), false};
    case LiteralKind::String: return Typed{Type::String(Chars(e.string_value)), false};
    case LiteralKind::Bytes: return Typed{Type(TypeKind::kBytes), false};
    case LiteralKind::Bool: return Typed{Type(TypeKind::kBool), false};
    case LiteralKind::Null: return Typed{Type(TypeKind::kNull), true};
    case LiteralKind::Duration: return Typed{Type(TypeKind::kDuration), false};
  }
  return Typed::Error();
}

bool ExprChecker::Resolves(const std::string& name) const {
  for (const auto& v : vars_) {
    if (v.first == name) return true;
  }
  for (const Type* rec : {scope_.record, scope_.second}) {
    if (rec != nullptr && env_.FindMember(*rec, name)) return true;
  }
  if (scope_.assigned != nullptr && scope_.assigned->count(name)) return true;
  return env_.tables.count(name) != 0;
}

Typed ExprChecker::CheckIdent(const IdentExpr& e) {
  const std::string& name = e.name.text;
  for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  for (const Type* rec : {scope_.record, scope_.second}) {
    if (rec == nullptr) continue;
    if (std::optional<Member> m = env_.FindMember(*rec, name)) {
      bool nullable = m->nullable && !(scope_.non_null && scope_.non_null->count(name));
      return Typed{m->type, nullable};
    }
  }
  if (scope_.assigned != nullptr) {
    if (auto it = scope_.assigned->find(name); it != scope_.assigned->end()) return it->second;
  }
  if (auto it = env_.tables.find(name); it != env_.tables.end()) return it->second;
  // CEL's type names are values (`type(1) == int`).
  for (const char* t : {"int", "uint", "double", "decimal", "string", "bool", "bytes", "list", "map", "null_type", "type"}) {
    if (name == t) return Typed{Type(TypeKind::kDyn), false};
  }

  // Unknown. Suggest the closest field, variable or table.
  std::vector<std::string> fields;
  for (const Type* rec : {scope_.record, scope_.second}) {
    if (rec == nullptr) continue;
    std::vector<std::string> n = env_.MemberNames(*rec);
    fields.insert(fields.end(), n.begin(), n.end());
  }
  std::vector<std::string> others;
  for (const auto& [n, t] : vars_) others.push_back(n);
  if (scope_.assigned != nullptr) for (const auto& [n, t] : *scope_.assigned) others.push_back(n);
  for (const auto& [n, t] : env_.tables) others.push_back(n);
  std::string near_field = ClosestName(name, fields);
  std::string near_other = ClosestName(name, others);
  bool as_field = scope_.record != nullptr && (near_other.empty() || !near_field.empty());
  diag::Diagnostic d;
  if (as_field) {
    std::string objects = Quote(scope_.record->object->name);
    if (scope_.second != nullptr) objects += " or " + Quote(scope_.second->object->name);
    d = diag::Make(diag::Kind::UnknownField, e.name.span, Quote(name) + " is not a field of " + objects,
                   "unknown field");
  } else {
    d = diag::Make(diag::Kind::UnknownName, e.name.span, "no field, table or variable named " + Quote(name),
                   "unknown name");
  }
  std::string near = !near_field.empty() ? near_field : near_other;
  if (!near.empty()) {
    d.help = "did you mean " + Quote(near) + "?";
    d.fix = diag::Fix{e.name.span, near, false};
  } else if (env_.systems != nullptr && env_.systems->Find(name) != nullptr) {
    d.notes.push_back(Quote(name) + " is a system: only `owner_of(" + name + ".Object)` in `notify` takes one");
  } else if (as_field) {
    d.notes.push_back("`crmxc schema show` lists the fields of " + Quote(scope_.record->object->name));
  }
  Report(std::move(d));
  return Typed::Error();
}

namespace {

// The dotted name of an identifier or a chain of selections on one (`a.b.c`), or empty.
std::string DottedName(const Expr& e) {
  if (const auto* id = e.As<IdentExpr>()) return id->name.text;
  if (const auto* s = e.As<SelectExpr>()) {
    std::string base = DottedName(*s->operand);
    return base.empty() ? base : base + "." + s->field.text;
  }
  return {};
}

}  // namespace

Typed ExprChecker::CheckSelect(const SelectExpr& e) {
  // A variable with a qualified name (`a.b.c`, declared so) wins over selection, the longest
  // name first, as CEL resolves it (the lowering does the same).
  if (scope_.assigned != nullptr) {
    std::string dotted = DottedName(e);
    if (auto it = scope_.assigned->find(dotted); !dotted.empty() && it != scope_.assigned->end()) return it->second;
  }
  Typed base = Check(*e.operand);
  if (base.type.IsPermissive()) return Typed{base.type.kind == TypeKind::kError ? base.type : Type(TypeKind::kDyn), base.nullable};
  // CEL: `m.f` on a map with string keys is `m["f"]` (missing keys fail at run time).
  if (base.type.kind == TypeKind::kMap && (base.type.key->IsText() || base.type.key->IsPermissive())) {
    return Typed{*base.type.element, base.nullable};
  }
  if (base.type.kind == TypeKind::kRecord) {
    if (std::optional<Member> m = env_.FindMember(base.type, e.field.text)) {
      bool nullable = base.nullable || m->nullable;
      if (nullable && scope_.non_null != nullptr) {
        std::string path = PathOf(e);
        if (!path.empty() && scope_.non_null->count(path)) nullable = false;
      }
      return Typed{m->type, nullable};
    }
    diag::Diagnostic d = diag::Make(diag::Kind::UnknownField, e.field.span,
                                    Quote(e.field.text) + " is not a field of " + Quote(base.type.object->name),
                                    "unknown field");
    std::string near = ClosestName(e.field.text, env_.MemberNames(base.type));
    if (!near.empty()) {
      d.help = "did you mean " + Quote(near) + "?";
      d.fix = diag::Fix{e.field.span, near, false};
    }
    d.notes.push_back(Quote(Text(*e.operand)) + " is " + base.type.Described());
    Report(std::move(d));
    return Typed::Error();
  }
  diag::Diagnostic d = diag::Make(diag::Kind::InvalidOperands, e.field.span,
                                  Quote(Text(*e.operand)) + " is " + base.type.Described() + ": it has no field " +
                                      Quote(e.field.text),
                                  "not a record");
  if (base.type.kind == TypeKind::kId && !base.type.targets.empty()) {
    d.help = "an id is not the record it identifies: follow the relationship instead (`Account.Name` rather than "
             "`AccountId.Name`)";
  }
  Report(std::move(d));
  return Typed::Error();
}

Typed ExprChecker::CheckHas(const CallExpr& e) {
  if (e.args.size() != 1 || e.args[0]->As<SelectExpr>() == nullptr) {
    diag::Diagnostic d = diag::Make(diag::Kind::WrongArgumentCount, e.span,
                                    "`has` takes one field selection, such as `has(Account.Phone)`", "not a field selection");
    Report(std::move(d));
    for (const ExprPtr& a : e.args) Check(*a);
    return Typed{Type(TypeKind::kBool), false};
  }
  Check(*e.args[0]);
  return Typed{Type(TypeKind::kBool), false};
}

Typed ExprChecker::CheckMacro(const CallExpr& e, const Type* expected) {
  const std::string& name = e.function.text;
  Typed recv = Check(*e.receiver);
  Type elem(TypeKind::kDyn);
  if (recv.type.kind == TypeKind::kList) {
    elem = *recv.type.element;
  } else if (recv.type.kind == TypeKind::kMap) {
    elem = *recv.type.key;
  } else if (!recv.type.IsPermissive()) {
    diag::Diagnostic d = diag::Make(diag::Kind::InvalidOperands, e.function.span,
                                    Quote(Text(*e.receiver)) + " is " + recv.type.Described() + ", but `" + name +
                                        "` needs a list or a map",
                                    "not a list");
    Report(std::move(d));
    elem = Type(TypeKind::kError);
  }
  const auto* var = e.args[0]->As<IdentExpr>();
  vars_.emplace_back(var->name.text, Typed{elem, false});
  Typed result;
  if (name == "map") {
    const Type* want = expected != nullptr && expected->kind == TypeKind::kList ? expected->element.get() : nullptr;
    Typed body = Check(*e.args[1], want);
    if (want != nullptr) CheckFits(*e.args[1], body, *want, "an element of the list");
    result = Typed{Type::List(want != nullptr && want->kind == TypeKind::kRecord && !body.type.IsPermissive() ? *want : body.type),
                   recv.nullable};
  } else {
    CheckCondition(*e.args[1], "the predicate of `" + name + "`");
    result = Typed{name == "filter" ? recv.type : Type(TypeKind::kBool), recv.nullable};
  }
  vars_.pop_back();
  return result;
}

// all(i, v, p), exists, existsOne, transformList(i, v, [p,] e), transformMap(k, v, [p,] e):
// over a list the variables are the index and the element, over a map the key and the value.
Typed ExprChecker::CheckMacro2(const CallExpr& e) {
  const std::string& name = e.function.text;
  Typed recv = Check(*e.receiver);
  Type first(TypeKind::kDyn), second(TypeKind::kDyn);
  if (recv.type.kind == TypeKind::kList) {
    first = Type(TypeKind::kInt);
    second = *recv.type.element;
  } else if (recv.type.kind == TypeKind::kMap) {
    first = *recv.type.key;
    second = *recv.type.element;
  } else if (!recv.type.IsPermissive()) {
    diag::Diagnostic d = diag::Make(diag::Kind::InvalidOperands, e.function.span,
                                    Quote(Text(*e.receiver)) + " is " + recv.type.Described() + ", but `" + name +
                                        "` needs a list or a map",
                                    "not a list");
    Report(std::move(d));
    first = second = Type(TypeKind::kError);
  }
  vars_.emplace_back(e.args[0]->As<IdentExpr>()->name.text, Typed{first, false});
  vars_.emplace_back(e.args[1]->As<IdentExpr>()->name.text, Typed{second, false});
  Typed result;
  if (name.rfind("transform", 0) == 0) {
    if (e.args.size() == 4) CheckCondition(*e.args[2], "the predicate of `" + name + "`");
    Typed body = Check(*e.args.back());
    result = Typed{name == "transformList" ? Type::List(body.type) : Type::Map(first, body.type), recv.nullable};
  } else {
    CheckCondition(*e.args[2], "the predicate of `" + name + "`");
    result = Typed{Type(TypeKind::kBool), recv.nullable};
  }
  vars_.pop_back();
  vars_.pop_back();
  return result;
}

Typed ExprChecker::CheckCall(const CallExpr& e, const Type* expected) {
  std::string name = e.function.text;
  if (e.receiver && IsMacroName(name) && e.args.size() == 2 && e.args[0]->As<IdentExpr>() != nullptr) {
    return CheckMacro(e, expected);
  }
  if (!e.receiver && name == "has") return CheckHas(e);
  // cel.bind(name, init, expr): `name` is `init` inside `expr`.
  if (const auto* cel = e.receiver ? e.receiver->As<IdentExpr>() : nullptr;
      cel != nullptr && cel->name.text == "cel" && name == "bind" && e.args.size() == 3 && !Resolves("cel") &&
      e.args[0]->As<IdentExpr>() != nullptr) {
    Typed init = Check(*e.args[1]);
    vars_.emplace_back(e.args[0]->As<IdentExpr>()->name.text, init);
    Typed body = Check(*e.args[2], expected);
    vars_.pop_back();
    return body;
  }
  bool macro2 = name == "all" || name == "exists" || name == "existsOne" || name == "exists_one" ||
                name == "transformList" || name == "transformMap";
  if (e.receiver && macro2 && e.args.size() >= 3 && e.args[0]->As<IdentExpr>() != nullptr &&
      e.args[1]->As<IdentExpr>() != nullptr && (e.args.size() == 3 || (e.args.size() == 4 && name.rfind("transform", 0) == 0))) {
    return CheckMacro2(e);
  }

  // A namespaced function (`math.greatest(...)`, `strings.quote(s)`): the receiver names the
  // namespace, unless it names a variable.
  const auto* ns = e.receiver ? e.receiver->As<IdentExpr>() : nullptr;
  bool qualified = ns != nullptr && !Resolves(ns->name.text) && !FindFunctions(ns->name.text + "." + name).empty();
  if (qualified) name = ns->name.text + "." + name;
  const Expr* receiver = qualified ? nullptr : e.receiver.get();

  std::vector<const Expr*> arg_exprs;
  if (receiver) arg_exprs.push_back(receiver);
  for (const ExprPtr& a : e.args) arg_exprs.push_back(a.get());
  std::vector<Typed> args;
  std::vector<std::optional<int64_t>> ints;
  for (const Expr* a : arg_exprs) {
    args.push_back(Check(*a));
    ints.push_back(IntLiteral(*a));
  }

  std::vector<const Function*> overloads = FindFunctions(name);
  if (overloads.empty()) {
    diag::Diagnostic d = diag::Make(diag::Kind::UnknownFunction, e.function.span, "no function named " + Quote(name),
                                    "unknown function");
    std::string near = ClosestName(name, FunctionNames());
    if (name == "owner_of") {
      d.notes.push_back("`owner_of(system.Object)` names a notify target: it is only valid after `notify`");
    } else if (!near.empty()) {
      d.help = "did you mean " + Quote(near) + "?";
      d.fix = diag::Fix{e.function.span, near, false};
    } else {
      d.notes.push_back("docs/types.md lists the functions of CEL and of the standard modules");
    }
    Report(std::move(d));
    return Typed::Error();
  }
  std::string_view module = overloads.front()->module;
  if (!module.empty() && env_.used_modules.count(module) == 0) {
    diag::Diagnostic d = diag::Make(diag::Kind::FunctionNeedsUse, e.function.span,
                                    Quote(name) + " belongs to `" + std::string(module) + "`, which this spec does not use",
                                    "from `" + std::string(module) + "`");
    d.help = "add `use " + std::string(module) + "` to the spec";
    Report(std::move(d));
  }
  // Arity first, then argument types, overload by overload.
  std::vector<const Function*> by_arity;
  for (const Function* f : overloads) {
    if (args.size() >= f->required && (f->variadic || args.size() <= f->params.size())) by_arity.push_back(f);
  }
  std::string call = (receiver ? Text(*receiver) + "." : std::string()) + name;
  if (by_arity.empty()) {
    const Function* f = overloads.front();
    size_t given = args.size() - (receiver ? 1 : 0);
    size_t lo = f->required - (receiver ? 1 : 0), hi = f->params.size() - (receiver ? 1 : 0);
    std::string expect = lo == hi ? std::to_string(lo) : std::to_string(lo) + " or " + std::to_string(hi);
    if (f->variadic) expect = "at least " + std::to_string(lo);
    diag::Diagnostic d = diag::Make(diag::Kind::WrongArgumentCount, e.span,
                                    Quote(call) + " takes " + expect + " argument" + (expect == "1" ? "" : "s") +
                                        (receiver ? " after the receiver" : "") + ", but " + std::to_string(given) +
                                        (given == 1 ? " was" : " were") + " given",
                                    "wrong number of arguments");
    for (size_t i = 0; i < overloads.size() && i < 4; ++i) {
      d.notes.push_back((overloads.size() == 1 ? "its signature is `" : "a signature is `") + Signature(*overloads[i]) +
                        "`" + (receiver ? ": the receiver is its first argument" : ""));
    }
    Report(std::move(d));
    return Typed::Error();
  }
  const Function* chosen = nullptr;
  for (const Function* f : by_arity) {
    bool ok = true;
    for (size_t i = 0; i < args.size() && ok; ++i) {
      Param p = i < f->params.size() ? f->params[i] : f->params.back();
      ok = Accepts(p, args[i].type);
    }
    if (ok) {
      chosen = f;
      break;
    }
  }
  if (chosen == nullptr) {
    // Report the first argument no overload accepts.
    for (size_t i = 0; i < args.size(); ++i) {
      bool any = false;
      for (const Function* f : by_arity) {
        Param p = i < f->params.size() ? f->params[i] : f->params.back();
        any = any || Accepts(p, args[i].type);
      }
      if (any) continue;
      std::string wants;
      for (const Function* f : by_arity) {
        Param p = i < f->params.size() ? f->params[i] : f->params.back();
        std::string w(Describe(p));
        if (wants.find(w) == std::string::npos) wants += (wants.empty() ? "" : " or ") + w;
      }
      std::string which = receiver && i == 0 ? "the receiver of " + Quote(name)
                                               : "argument " + std::to_string(i + (receiver ? 0 : 1)) + " of " + Quote(name);
      diag::Diagnostic d = diag::Make(diag::Kind::ArgumentType, arg_exprs[i]->span,
                                      which + " must be " + wants + ", but " + Quote(Text(*arg_exprs[i])) + " is " +
                                          args[i].type.Described(),
                                      "wrong type");
      if (wants == "a string" && !args[i].type.IsText()) d.help = "convert it with `string(" + Text(*arg_exprs[i]) + ")`";
      Report(std::move(d));
      break;
    }
    return Typed::Error();
  }
  bool nullable = false;
  for (const Typed& a : args) nullable = nullable || a.nullable;
  if (chosen->fallible && handled_ == 0) Unhandled(e, Text(e), std::string(chosen->failure));
  return Typed{ResultType(*chosen, args, ints), nullable};
}

Typed ExprChecker::CheckIndex(const IndexExpr& e) {
  Typed base = Check(*e.operand);
  Typed index = Check(*e.index);
  if (base.type.IsPermissive()) return Typed{base.type.kind == TypeKind::kError ? base.type : Type(TypeKind::kDyn), base.nullable};
  if (base.type.kind == TypeKind::kMap) {
    if (!Comparable(index.type, *base.type.key)) {
      diag::Diagnostic d = diag::Make(diag::Kind::InvalidOperands, e.index->span,
                                      "the keys of " + Quote(Text(*e.operand)) + " are " + base.type.key->Described() +
                                          ", but " + Quote(Text(*e.index)) + " is " + index.type.Described(),
                                      "wrong key type");
      Report(std::move(d));
      return Typed::Error();
    }
    if (handled_ == 0) {
      std::string what = Text(*e.operand) + "[" + (PathOf(*e.index).empty() ? "..." : PathOf(*e.index)) + "]";
      diag::Diagnostic d = diag::Make(diag::Kind::UnhandledFailure, e.span,
                                      Quote(what) + " can fail (keys missing from " + Quote(Text(*e.operand)) +
                                          ") and its failure is not handled",
                                      "lookup may miss");
      d.help = "add a fallback with `??`: `" + what + " ?? hold \"...\"` parks the record for review, `" + what +
               " ?? DEFAULT` uses a default";
      Report(std::move(d));
    }
    return Typed{*base.type.element, base.nullable};
  }
  if (base.type.kind == TypeKind::kList) {
    if (!index.type.IsPermissive() && !index.type.IsIntegral()) {
      diag::Diagnostic d = diag::Make(diag::Kind::InvalidOperands, e.index->span,
                                      "a list is indexed by an int, but " + Quote(Text(*e.index)) + " is " +
                                          index.type.Described(),
                                      "not an int");
      Report(std::move(d));
      return Typed::Error();
    }
    return Typed{*base.type.element, base.nullable};
  }
  diag::Diagnostic d = diag::Make(diag::Kind::InvalidOperands, e.span,
                                  Quote(Text(*e.operand)) + " is " + base.type.Described() + ": it cannot be indexed",
                                  "not a list, map or table");
  Report(std::move(d));
  return Typed::Error();
}

Typed ExprChecker::CheckList(const ListExpr& e, const Type* expected) {
  const Type* want = expected != nullptr && expected->kind == TypeKind::kList ? expected->element.get() : nullptr;
  Type elem(TypeKind::kDyn);
  bool first = true;
  for (const ExprPtr& x : e.elements) {
    Typed t = Check(*x, want);
    if (want != nullptr) CheckFits(*x, t, *want, "an element of the list");
    elem = first ? t.type : Join(elem, t.type);
    first = false;
  }
  if (want != nullptr && want->kind == TypeKind::kRecord) elem = *want;
  return Typed{Type::List(elem), false};
}

Typed ExprChecker::CheckMapLit(const MapExpr& e, const Type* expected) {
  if (expected != nullptr && expected->kind == TypeKind::kRecord) {
    // A record literal: each key a field of the record.
    for (const MapEntry& en : e.entries) {
      std::string key;
      Span key_span = en.span;
      if (en.field_key) {
        key = en.field_key->text;
        key_span = en.field_key->span;
      } else if (const auto* lit = en.key->As<LiteralExpr>(); lit && lit->literal == LiteralKind::String) {
        key = lit->string_value;
        key_span = lit->span;
      } else {
        Check(*en.key);
        Check(*en.value);
        continue;
      }
      const schema::Field* f = expected->object->FindField(key);
      if (f == nullptr) {
        diag::Diagnostic d = diag::Make(diag::Kind::UnknownField, key_span,
                                        Quote(key) + " is not a field of " + Quote(expected->object->name), "unknown field");
        std::vector<std::string> names;
        for (const schema::Field& x : expected->object->fields) names.push_back(x.name);
        std::string near = ClosestName(key, names);
        if (!near.empty()) {
          d.help = "did you mean " + Quote(near) + "?";
          d.fix = diag::Fix{key_span, near, false};
        }
        Report(std::move(d));
        Check(*en.value);
        continue;
      }
      Type ft = FromField(*f, *expected->schema);
      Typed v = CheckValueFor(*en.value, ft, Quote(key));
      if (f->IsRequiredOnCreate() && v.nullable && v.type.kind != TypeKind::kError) {
        diag::Diagnostic d = diag::Make(diag::Kind::NullIntoRequired, en.value->span,
                                        Quote(Text(*en.value)) + " may be null, but " + Quote(key) + " is required to create " +
                                            Quote(expected->object->name),
                                        "may be null");
        d.help = "add a fallback: `" + Text(*en.value) + " ?? DEFAULT` or `" + Text(*en.value) + " ?? hold \"...\"`";
        Report(std::move(d));
      }
    }
    return Typed{*expected, false};
  }
  Type key(TypeKind::kDyn), value(TypeKind::kDyn);
  bool first = true;
  for (const MapEntry& en : e.entries) {
    Type k = en.field_key ? Type::String(Chars(en.field_key->text)) : Check(*en.key).type;
    Type v = Check(*en.value).type;
    key = first ? k : Join(key, k);
    value = first ? v : Join(value, v);
    first = false;
  }
  return Typed{Type::Map(key, value), false};
}

Typed ExprChecker::CheckUnary(const UnaryExpr& e) {
  Typed t = Check(*e.operand);
  if (t.type.IsPermissive()) return t;
  if (e.op == UnaryOp::Not) {
    if (t.type.kind == TypeKind::kBool) return Typed{t.type, false};
  } else if (t.type.IsNumeric() || t.type.kind == TypeKind::kDuration) {
    return t;
  }
  diag::Diagnostic d = diag::Make(diag::Kind::InvalidOperands, e.span,
                                  std::string("`") + (e.op == UnaryOp::Not ? "!" : "-") + "` does not apply to " +
                                      t.type.Described(),
                                  Quote(Text(*e.operand)) + " is " + t.type.Described());
  Report(std::move(d));
  return Typed::Error();
}

Typed ExprChecker::CheckBinary(const BinaryExpr& e) {
  Typed a = Check(*e.left);
  Typed b = Check(*e.right);
  // Contextual typing: a double literal beside a decimal is that decimal (`Amount * 1.1`).
  if (a.type.kind == TypeKind::kDecimal && IsNumberLiteral(*e.right, LiteralKind::Double)) b = Check(*e.right, &a.type);
  if (b.type.kind == TypeKind::kDecimal && IsNumberLiteral(*e.left, LiteralKind::Double)) a = Check(*e.left, &b.type);
  bool nullable = a.nullable || b.nullable;
  const Type& x = a.type;
  const Type& y = b.type;
  bool permissive = x.IsPermissive() || y.IsPermissive();
  auto fail = [&](const std::string& help) {
    diag::Diagnostic d = diag::Make(diag::Kind::InvalidOperands, e.op_span,
                                    std::string("`") + Spelling(e.op) + "` does not apply to " + x.Described() + " and " +
                                        y.Described(),
                                    Quote(Text(*e.left)) + " is " + x.Described() + ", " + Quote(Text(*e.right)) + " is " +
                                        y.Described());
    if (!help.empty()) d.help = help;
    Report(std::move(d));
    return Typed::Error();
  };
  switch (e.op) {
    case BinaryOp::And:
    case BinaryOp::Or:
      if ((x.kind == TypeKind::kBool || x.IsPermissive()) && (y.kind == TypeKind::kBool || y.IsPermissive())) {
        return Typed{Type(TypeKind::kBool), false};
      }
      return fail("both sides of `" + std::string(Spelling(e.op)) + "` must be conditions (bools)");
    case BinaryOp::Eq:
    case BinaryOp::Ne:
      if (Comparable(x, y)) return Typed{Type(TypeKind::kBool), false};
      return fail(x.IsText() || y.IsText() ? "convert one side with `string(...)`" : "");
    case BinaryOp::Lt:
    case BinaryOp::Le:
    case BinaryOp::Gt:
    case BinaryOp::Ge:
      if (Orderable(x, y)) return Typed{Type(TypeKind::kBool), false};
      return fail("");
    case BinaryOp::In:
      if (permissive) return Typed{Type(TypeKind::kBool), false};
      if (y.kind == TypeKind::kList && Comparable(x, *y.element)) return Typed{Type(TypeKind::kBool), false};
      if (y.kind == TypeKind::kMap && Comparable(x, *y.key)) return Typed{Type(TypeKind::kBool), false};
      return fail(y.kind == TypeKind::kList || y.kind == TypeKind::kMap ? "" : "`in` tests membership in a list, map or table");
    case BinaryOp::Add:
      if (permissive) return Typed{Type(TypeKind::kDyn), nullable};
      if (x.IsText() && y.IsText()) {
        std::optional<uint32_t> len;
        if (x.length && y.length) len = *x.length + *y.length;
        return Typed{Type::String(len), nullable};
      }
      if (x.kind == TypeKind::kList && y.kind == TypeKind::kList) return Typed{Type::List(Join(*x.element, *y.element)), nullable};
      if ((x.kind == TypeKind::kDate || x.kind == TypeKind::kDateTime) && y.kind == TypeKind::kDuration) return Typed{x, nullable};
      if (x.kind == TypeKind::kDuration && (y.kind == TypeKind::kDate || y.kind == TypeKind::kDateTime)) return Typed{y, nullable};
      if (x.IsText() || y.IsText()) {
        const Expr& other = x.IsText() ? *e.right : *e.left;
        return fail("convert the other side to text: `string(" + Text(other) + ")`");
      }
      [[fallthrough]];
    case BinaryOp::Sub:
      if (permissive) return Typed{Type(TypeKind::kDyn), nullable};
      if (e.op == BinaryOp::Sub) {
        if ((x.kind == TypeKind::kDate || x.kind == TypeKind::kDateTime) && y.kind == TypeKind::kDuration) return Typed{x, nullable};
        if ((x.kind == TypeKind::kDate || x.kind == TypeKind::kDateTime) && x.kind == y.kind) {
          return Typed{Type(TypeKind::kDuration), nullable};
        }
      }
      if (x.kind == TypeKind::kDuration && y.kind == TypeKind::kDuration) return Typed{x, nullable};
      [[fallthrough]];
    case BinaryOp::Mul:
    case BinaryOp::Div:
    case BinaryOp::Mod: {
      if (permissive) return Typed{Type(TypeKind::kDyn), nullable};
      if (!x.IsNumeric() || !y.IsNumeric()) return fail("");
      if (x.kind == TypeKind::kDecimal || y.kind == TypeKind::kDecimal) {
        if (x.kind == TypeKind::kDouble || y.kind == TypeKind::kDouble) {
          const Expr& dbl = x.kind == TypeKind::kDouble ? *e.left : *e.right;
          return fail("decimals do not mix with doubles: convert with `decimal(" + Text(dbl) + ")`");
        }
        const Type& dx = x.kind == TypeKind::kDecimal ? x : y;
        const Type& dy = y.kind == TypeKind::kDecimal ? y : x;
        std::optional<uint32_t> scale;
        if (e.op == BinaryOp::Add || e.op == BinaryOp::Sub) {
          if (dx.scale && (dy.kind != TypeKind::kDecimal || dy.scale)) scale = std::max(*dx.scale, dy.kind == TypeKind::kDecimal ? *dy.scale : 0u);
        } else if (e.op == BinaryOp::Mul) {
          if (dx.scale && (dy.kind != TypeKind::kDecimal || dy.scale)) scale = *dx.scale + (dy.kind == TypeKind::kDecimal ? *dy.scale : 0u);
        }
        return Typed{Type::Decimal(std::nullopt, scale), nullable};
      }
      if (x.kind == TypeKind::kDouble || y.kind == TypeKind::kDouble) return Typed{Type(TypeKind::kDouble), nullable};
      if (x.kind == TypeKind::kUint && y.kind == TypeKind::kUint) return Typed{x, nullable};
      return Typed{Type(TypeKind::kInt), nullable};
    }
  }
  return Typed::Error();
}

Typed ExprChecker::CheckRef(const RefExpr& e) {
  Typed id = Check(*e.source_id);
  if (!id.type.IsPermissive() && !id.type.IsText()) {
    diag::Diagnostic d = diag::Make(diag::Kind::ArgumentType, e.source_id->span,
                                    "the id given to `ref` must be an id or a string, but " + Quote(Text(*e.source_id)) +
                                        " is " + id.type.Described(),
                                    "not an id");
    Report(std::move(d));
  }
  auto it = env_.maps.find(e.map.text);
  if (it == env_.maps.end() || !it->second.target) return Typed{Type(TypeKind::kDyn), id.nullable};
  return Typed{Type::Id({it->second.target->object->name}), id.nullable};
}

// ------------------------------------------------------------------------------ places

void ExprChecker::CheckCondition(const Expr& e, std::string_view what) {
  ++handled_;
  Typed t = Check(e);
  --handled_;
  if (t.type.IsPermissive() || t.type.kind == TypeKind::kBool) return;
  diag::Diagnostic d = diag::Make(diag::Kind::ConditionNotBool, e.span,
                                  std::string(what) + " must be a bool, but " + Quote(Text(e)) + " is " + t.type.Described(),
                                  "not a bool");
  std::string x = Text(e);
  if (t.type.IsNumeric()) d.help = "compare it: `" + x + " > 0`";
  else if (t.type.IsText()) d.help = "compare it: `" + x + " != \"\"`, or test it: `" + x + " != null`";
  else if (t.type.kind == TypeKind::kList) d.help = "test its size: `size(" + x + ") > 0`";
  else d.help = "test it: `" + x + " != null`";
  Report(std::move(d));
}

Typed ExprChecker::CheckValueFor(const Expr& value, const Type& to, const std::string& to_name) {
  Typed t = Check(value, &to);
  CheckFits(value, t, to, to_name);
  return t;
}

namespace {

// The conversion to suggest when `from` does not fit `to`; empty when there is none.
std::string Conversion(const Type& from, const Type& to, const std::string& x) {
  if (from.IsText()) {
    switch (to.kind) {
      case TypeKind::kDecimal: return "convert with `decimal(" + x + ")`, which fails on text that is not a number: handle it with `??`";
      case TypeKind::kInt: return "convert with `int(" + x + ")`, which fails on text that is not a number: handle it with `??`";
      case TypeKind::kDouble: return "convert with `double(" + x + ")`, which fails on text that is not a number: handle it with `??`";
      case TypeKind::kBool: return "compare it: `" + x + " == \"true\"`";
      case TypeKind::kDate: return "parse it with `parse_date(" + x + ", \"%Y-%m-%d\")` (std.time) and handle its failure with `??`";
      case TypeKind::kDateTime: return "parse it with `timestamp(" + x + ")` and handle its failure with `??`";
      default: return {};
    }
  }
  if (to.IsText()) {
    if (from.kind == TypeKind::kDate) return "format it with `format_date(" + x + ", \"%Y-%m-%d\")` (std.time)";
    if (from.kind == TypeKind::kDateTime) return "format it with `format_datetime(" + x + ", \"%Y-%m-%dT%H:%M:%S%z\")` (std.time)";
    if (from.IsNumeric() || from.kind == TypeKind::kBool) return "convert with `string(" + x + ")`";
    return {};
  }
  if (from.kind == TypeKind::kDouble && to.kind == TypeKind::kDecimal) return "convert with `decimal(" + x + ")`";
  if ((from.kind == TypeKind::kDouble || from.kind == TypeKind::kDecimal) && to.IsIntegral()) return "convert with `int(" + x + ")`, which drops the fraction";
  return {};
}

}  // namespace

void ExprChecker::CheckFits(const Expr& value, const Typed& typed, const Type& to, const std::string& to_name) {
  const Type& from = typed.type;
  std::string x = Text(value);
  if (!Assignable(from, to)) {
    diag::Diagnostic d = diag::Make(diag::Kind::TypeMismatch, value.span,
                                    Quote(x) + " is " + from.Described() + ", but " + to_name + " is " + to.Described(),
                                    "expected " + to.Described() + ", found " + from.Described());
    std::string help = Conversion(from, to, x);
    if (!help.empty()) d.help = help;
    Report(std::move(d));
    return;
  }
  if (from.IsPermissive() || from.kind == TypeKind::kNull) return;
  // Lists: check the element facets.
  if (from.kind == TypeKind::kList && to.kind == TypeKind::kList) return;
  if (to.kind == TypeKind::kString && from.IsText() && from.length && to.length && *from.length > *to.length) {
    diag::Diagnostic d = diag::Make(diag::Kind::StringMayBeTooLong, value.span,
                                    Quote(x) + " holds up to " + std::to_string(*from.length) + " characters, but " +
                                        to_name + " holds " + std::to_string(*to.length),
                                    "up to " + std::to_string(*from.length) + " characters");
    d.help = "cut it to fit with `" + x + ".truncate(" + std::to_string(*to.length) + ")` (std.text)";
    if (env_.used_modules.count("std.text") == 0) *d.help += ", after `use std.text`";
    Report(std::move(d));
    return;
  }
  if (to.kind == TypeKind::kDecimal && (from.kind == TypeKind::kDecimal || from.IsIntegral())) {
    if (from.kind == TypeKind::kDecimal && from.scale && to.scale && *from.scale > *to.scale) {
      diag::Diagnostic d = diag::Make(diag::Kind::DecimalPrecisionLoss, value.span,
                                      Quote(x) + " has up to " + std::to_string(*from.scale) + " decimal places, but " +
                                          to_name + " keeps " + std::to_string(*to.scale) + ": the value would be rounded",
                                      std::to_string(*from.scale) + " decimal places");
      d.help = "round it explicitly with `round(" + x + ", " + std::to_string(*to.scale) + ")` (std.money)";
      Report(std::move(d));
      return;
    }
    if (from.kind == TypeKind::kDecimal && from.precision && from.scale && to.precision && to.scale &&
        *from.precision - *from.scale > *to.precision - *to.scale) {
      uint32_t fi = *from.precision - *from.scale, ti = *to.precision - *to.scale;
      diag::Diagnostic d = diag::Make(diag::Kind::DecimalPrecisionLoss, value.span,
                                      Quote(x) + " has up to " + std::to_string(fi) + " digits before the point, but " +
                                          to_name + " holds " + std::to_string(ti),
                                      std::to_string(fi) + " integer digits");
      d.help = "check that the values fit, or map a field with a smaller range";
      Report(std::move(d));
    }
  }
}

Typed CheckStandaloneExpr(const ast::Expr& e, const std::unordered_map<std::string, Typed>& vars,
                          std::vector<Typed>& types, diag::DiagnosticSink& sink) {
  TypeEnv env;
  env.sink = &sink;
  env.types = &types;
  env.used_modules = {"std.text", "std.geo", "std.phone", "std.money", "std.time", "std.id"};
  Scope scope;
  scope.assigned = &vars;
  ExprChecker checker(env, scope);
  checker.set_failures_handled();
  return checker.Check(e);
}

}  // namespace crmx::check
