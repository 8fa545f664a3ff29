// Defines the entry point of the integration-rule check and the helpers its rules share (see
// integration.h): the context (resolved maps, tables, owners) and walks over expressions.
#include <algorithm>

#include "compiler/check/integration.h"

namespace crmx::check {
namespace integration {

using namespace crmx::ast;

const Claim* Context::OwnerOf(const schema::Object* object, const std::string& field) const {
  auto it = owned.find({object, field});
  return it == owned.end() ? nullptr : &it->second;
}

void Branches(const Expr* e, std::vector<const Expr*>& out) {
  if (e == nullptr) return;
  if (const auto* co = e->As<CoalesceExpr>()) {
    Branches(co->value.get(), out);
    Branches(co->fallback.get(), out);
  } else if (const auto* cond = e->As<ConditionalExpr>()) {
    Branches(cond->then.get(), out);
    Branches(cond->otherwise.get(), out);
  } else {
    out.push_back(e);
  }
}

namespace {

bool IsMacro(const CallExpr& c) {
  static const char* const kMacros[] = {"all", "exists", "exists_one", "map", "filter"};
  if (!c.receiver || c.args.size() != 2 || !c.args[0]->As<IdentExpr>()) return false;
  return std::any_of(std::begin(kMacros), std::end(kMacros),
                     [&](const char* m) { return c.function.text == m; });
}

}  // namespace

void Walk(const Expr* e, std::set<std::string>& bound, ExprVisitor f, void* data) {
  if (e == nullptr) return;
  f(*e, bound, data);
  switch (e->kind) {
    case ExprKind::Select: Walk(e->As<SelectExpr>()->operand.get(), bound, f, data); break;
    case ExprKind::Call: {
      const auto* c = e->As<CallExpr>();
      Walk(c->receiver.get(), bound, f, data);
      if (IsMacro(*c)) {
        const std::string& var = c->args[0]->As<IdentExpr>()->name.text;
        bool added = bound.insert(var).second;
        Walk(c->args[1].get(), bound, f, data);
        if (added) bound.erase(var);
      } else {
        for (const ExprPtr& a : c->args) Walk(a.get(), bound, f, data);
      }
      break;
    }
    case ExprKind::Index:
      Walk(e->As<IndexExpr>()->operand.get(), bound, f, data);
      Walk(e->As<IndexExpr>()->index.get(), bound, f, data);
      break;
    case ExprKind::List:
      for (const ExprPtr& x : e->As<ListExpr>()->elements) Walk(x.get(), bound, f, data);
      break;
    case ExprKind::MapLit:
      for (const MapEntry& en : e->As<MapExpr>()->entries) {
        Walk(en.key.get(), bound, f, data);
        Walk(en.value.get(), bound, f, data);
      }
      break;
    case ExprKind::Unary: Walk(e->As<UnaryExpr>()->operand.get(), bound, f, data); break;
    case ExprKind::Binary:
      Walk(e->As<BinaryExpr>()->left.get(), bound, f, data);
      Walk(e->As<BinaryExpr>()->right.get(), bound, f, data);
      break;
    case ExprKind::Conditional:
      Walk(e->As<ConditionalExpr>()->cond.get(), bound, f, data);
      Walk(e->As<ConditionalExpr>()->then.get(), bound, f, data);
      Walk(e->As<ConditionalExpr>()->otherwise.get(), bound, f, data);
      break;
    case ExprKind::Coalesce:
      Walk(e->As<CoalesceExpr>()->value.get(), bound, f, data);
      Walk(e->As<CoalesceExpr>()->fallback.get(), bound, f, data);
      break;
    case ExprKind::Ref: Walk(e->As<RefExpr>()->source_id.get(), bound, f, data); break;
    default: break;
  }
}

std::vector<SourceRead> SourceFieldsRead(const Expr* e, const schema::Object& source) {
  std::vector<SourceRead> out;
  WalkExprs(e, [&](const Expr& x, const std::set<std::string>& bound) {
    const auto* id = x.As<IdentExpr>();
    if (id == nullptr || bound.count(id->name.text) != 0) return;
    const std::string& name = id->name.text;
    if (source.FindField(name) != nullptr) {
      out.push_back({name, id->span});
      return;
    }
    for (const schema::Field& f : source.fields) {
      if (!f.references.relationship_name.empty() && f.references.relationship_name == name) {
        out.push_back({f.name, id->span});
        return;
      }
    }
    for (const schema::ChildRelationship& r : source.child_relationships) {
      if (r.name == name) {
        out.push_back({name, id->span});
        return;
      }
    }
  });
  return out;
}

const schema::Field* TargetField(const MapStmt& s, const schema::Object& target) {
  if (s.target.empty()) return nullptr;
  return target.FindField(s.target.front().text);
}

bool IsRecordId(const schema::Object& o, const schema::Field& f) {
  return f.key || f.type.kind == schema::TypeKind::kId ||
         std::find(o.key_fields.begin(), o.key_fields.end(), f.name) != o.key_fields.end();
}

std::string Quote(const std::string& s) { return "`" + s + "`"; }

std::string QuoteList(const std::vector<std::string>& names, size_t limit) {
  std::string out;
  size_t shown = std::min(names.size(), limit);
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) out += (i + 1 == shown && shown == names.size()) ? " and " : ", ";
    out += Quote(names[i]);
  }
  if (shown < names.size()) out += " and " + std::to_string(names.size() - shown) + " more";
  return out;
}

std::string Qualified(const ObjectRef& ref) { return ref.system.text + "." + ref.object.text; }

void CollectDecls(Context& ctx) {
  for (const Module* m : ctx.modules) {
    for (const DeclPtr& d : m->items) {
      if (const auto* map = d->As<MapDecl>()) {
        ctx.maps_by_name.emplace(map->name.text, map);
        const schema::Object* source = ctx.systems.FindObject(map->source);
        const schema::Object* target = ctx.systems.FindObject(map->target);
        if (source != nullptr && target != nullptr) ctx.maps.push_back({map, source, target});
      } else if (const auto* t = d->As<TableDecl>()) {
        ctx.tables.emplace(t->name.text, t);
      } else if (d->As<ConflictsDecl>() != nullptr) {
        ctx.has_conflicts = true;
      } else if (d->As<OwnerDecl>() != nullptr) {
        ctx.has_owners = true;
      }
    }
  }
}

}  // namespace integration

void CheckIntegration(const ast::Module& root, const std::vector<const ast::Module*>& imports,
                      const Systems& systems, diag::DiagnosticSink& sink, const CsvTables* csv) {
  integration::Context ctx(root, systems, sink);
  ctx.csv = csv;
  ctx.modules.assign(imports.begin(), imports.end());
  ctx.modules.push_back(&root);
  integration::CollectDecls(ctx);
  integration::CheckOwnerBlocks(ctx);
  integration::CheckMapOwnership(ctx);
  integration::CheckMapFields(ctx);
  integration::CheckRefs(ctx);
  integration::CheckPicklistsAndTables(ctx);
  integration::CheckWrites(ctx);
  integration::CheckRefCycles(ctx);
  integration::CheckDoubleWriters(ctx);
  integration::CheckFlags(ctx);
  integration::CheckPicklistComparisons(ctx);
}

}  // namespace crmx::check
