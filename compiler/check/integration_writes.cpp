// Defines the write rules of the integration check (see integration.h): a map that writes a
// field its target system does not let anyone write, read-only or computed (QuickBooks
// `Invoice.TotalAmt`, NetSuite `SalesOrder.total`, a Salesforce formula field) is E0414; a map
// that writes a field its write mode cannot set is E0415: a create-only field (NetSuite
// `subsidiary`) from a map that only updates, an update-only field from a map that creates
// records (with no `key`, or an upsert). An upsert writing a create-only field is fine: the plan
// marks the field `create_only` and the writer leaves it out of updates. The same rules apply to
// nested fields and to the fields of line rows built with object literals. Also defines the
// walk over the fields a statement writes (FieldWrites), which the picklist rules share.
#include <algorithm>

#include "compiler/check/integration.h"

namespace crmx::check::integration {

using namespace crmx::ast;

WriteMode ModeOf(const ResolvedMap& m) {
  const MapStmt* key = nullptr;
  for (const MapStmt& s : m.decl->stmts) {
    if (s.kind == MapStmtKind::Key && !s.target.empty()) {
      key = &s;
      break;
    }
  }
  if (key == nullptr) return m.target->createable.value_or(true) ? WriteMode::kCreate : WriteMode::kUpdate;
  const schema::Field* f = TargetField(*key, *m.target);
  if ((f != nullptr && key->target.size() == 1 && IsRecordId(*m.target, *f)) || !m.target->createable.value_or(true))
    return WriteMode::kUpdate;
  return WriteMode::kUpsert;
}

namespace {

// The structure a field of kind object (or list of objects) holds; null for other kinds.
const schema::Object* Structure(const schema::Field& f, const schema::Schema* schema) {
  const schema::Type* t = &f.type;
  if (t->kind == schema::TypeKind::kList && t->element) t = t->element.get();
  if (t->kind != schema::TypeKind::kObject) return nullptr;
  if (t->object) return t->object.get();
  return schema != nullptr ? schema->FindObject(t->object_name) : nullptr;
}

// The object literals a value builds its structure from: `{...}`, `[{...}, ...]`,
// `Items.map(li, {...})`, through `??` and `?:`.
void Literals(const Expr* value, std::vector<const MapExpr*>& out) {
  std::vector<const Expr*> branches;
  Branches(value, branches);
  for (const Expr* b : branches) {
    if (const auto* lit = b->As<MapExpr>()) {
      out.push_back(lit);
    } else if (const auto* list = b->As<ListExpr>()) {
      for (const ExprPtr& e : list->elements) {
        if (const auto* l = e->As<MapExpr>()) out.push_back(l);
      }
    } else if (const auto* c = b->As<CallExpr>(); c != nullptr && c->receiver && c->function.text == "map" &&
                                                 (c->args.size() == 2 || c->args.size() == 3)) {
      if (const auto* l = c->args.back()->As<MapExpr>()) out.push_back(l);
    }
  }
}

void Nested(const schema::Field& f, const std::string& path, const Expr* value, const schema::Schema* schema,
            int depth, std::vector<FieldWrite>& out) {
  const schema::Object* row = Structure(f, schema);
  if (row == nullptr || depth > 4) return;
  std::vector<const MapExpr*> literals;
  Literals(value, literals);
  for (const MapExpr* lit : literals) {
    for (const MapEntry& en : lit->entries) {
      std::string name;
      Span span;
      if (en.field_key) {
        name = en.field_key->text;
        span = en.field_key->span;
      } else if (const auto* k = en.key ? en.key->As<LiteralExpr>() : nullptr; k && k->literal == LiteralKind::String) {
        name = k->string_value;
        span = k->span;
      } else {
        continue;
      }
      const schema::Field* rf = row->FindField(name);
      if (rf == nullptr || !en.value) continue;
      out.push_back({rf, path + "." + name, en.value.get(), span, true});
      Nested(*rf, path + "." + name, en.value.get(), schema, depth + 1, out);
    }
  }
}

}  // namespace

std::vector<FieldWrite> FieldWrites(const Context& ctx, const ResolvedMap& m, const MapStmt& s) {
  std::vector<FieldWrite> out;
  if (s.kind != MapStmtKind::Assign || s.target.empty() || !s.value) return out;
  const LoadedSystem* sys = ctx.systems.Find(m.decl->target.system.text);
  const schema::Schema* schema = sys != nullptr ? &sys->schema : nullptr;
  const schema::Object* obj = m.target;
  const schema::Field* f = nullptr;
  std::string path;
  for (size_t i = 0; i < s.target.size(); ++i) {
    if (obj == nullptr) return out;
    f = obj->FindField(s.target[i].text);
    if (f == nullptr) return out;  // the type checker reports it (E0301)
    path += (i ? "." : "") + f->name;
    if (i + 1 < s.target.size()) obj = Structure(*f, schema);
  }
  Span span = Span::Cover(s.target.front().span, s.target.back().span);
  out.push_back({f, path, s.value.get(), span, s.target.size() > 1});
  Nested(*f, path, s.value.get(), schema, 0, out);
  return out;
}

namespace {

class Writes {
 public:
  explicit Writes(const Context& ctx) : ctx_(ctx) {}

  void Run() {
    for (const ResolvedMap& m : ctx_.maps) {
      WriteMode mode = ModeOf(m);
      for (const MapStmt& s : m.decl->stmts) {
        for (const FieldWrite& w : FieldWrites(ctx_, m, s)) Check(m, mode, w);
      }
    }
  }

 private:
  std::string SystemOf(const ResolvedMap& m) const { return Quote(m.decl->target.system.text); }

  // The overlay that declared the field's write facts, if any, as a secondary label.
  void Overlay(const ResolvedMap& m, const FieldWrite& w, const std::string& label, diag::Diagnostic& d) const {
    const LoadedSystem* sys = ctx_.systems.Find(m.decl->target.system.text);
    if (sys == nullptr) return;
    auto it = sys->overlays.find(m.target->name + "." + w.path);
    if (it != sys->overlays.end()) d.secondary.push_back({it->second, label});
  }

  bool FromOverlay(const ResolvedMap& m, const FieldWrite& w) const {
    const LoadedSystem* sys = ctx_.systems.Find(m.decl->target.system.text);
    return sys != nullptr && sys->overlays.count(m.target->name + "." + w.path) != 0;
  }

  void Check(const ResolvedMap& m, WriteMode mode, const FieldWrite& w) {
    const schema::Field& f = *w.field;
    // A structure whose own fields are written is checked field by field.
    if (w.nested && f.type.kind == schema::TypeKind::kObject) return;
    // A field an `owner` block gives the target system is E0402 already, which asks to remove
    // the assignment: one diagnostic for one mistake.
    if (ctx_.OwnerOf(m.target, w.path.substr(0, w.path.find('.'))) != nullptr) return;
    bool create = f.IsCreateable(), update = f.IsUpdateable();
    std::string field = Quote(m.target->name + "." + w.path);
    if (!create && !update) {
      ReadOnly(m, w, field);
    } else if (create && !update && mode == WriteMode::kUpdate) {
      const MapStmt* key = nullptr;
      for (const MapStmt& s : m.decl->stmts) {
        if (s.kind == MapStmtKind::Key && !s.target.empty() && key == nullptr) key = &s;
      }
      diag::Diagnostic d = diag::Make(diag::Kind::WriteModeMismatch, w.span,
                                      field + " can only be set when " + WithArticle(m.target->name) +
                                          " is created, but map " + Quote(m.decl->name.text) + " only updates records",
                                      "set on create only");
      if (key != nullptr) d.secondary.push_back({key->target.front().span, "keyed on the record's own id: updates only"});
      Overlay(m, w, "declared create-only here", d);
      d.notes.push_back(SystemOf(m) + " rejects or ignores it on an update: the value would never arrive");
      d.help = "remove the assignment, or key the map on an external id so it upserts and sets " + Quote(f.name) +
               " when it creates the record";
      ctx_.Report(std::move(d));
    } else if (!create && update && mode != WriteMode::kUpdate) {
      bool upsert = mode == WriteMode::kUpsert;
      diag::Diagnostic d = diag::Make(
          diag::Kind::WriteModeMismatch, w.span,
          field + " can only be set on an update, but map " + Quote(m.decl->name.text) +
              (upsert ? " also creates records (an upsert)" : " only creates records (it has no `key`)"),
          "set on update only");
      Overlay(m, w, "declared update-only here", d);
      d.notes.push_back(SystemOf(m) + " rejects a create that sets it: every new record would fail");
      d.help = upsert ? "set it from a separate map that only updates (keyed on the record's own id), or remove it"
                      : "remove the assignment, or key the map on the record's own id so it only updates";
      ctx_.Report(std::move(d));
    }
  }

  void ReadOnly(const ResolvedMap& m, const FieldWrite& w, const std::string& field) {
    const schema::Field& f = *w.field;
    bool computed = f.calculated.value_or(false);
    diag::Diagnostic d = diag::Make(
        diag::Kind::WriteIntoReadOnly, w.span,
        "map " + Quote(m.decl->name.text) + " writes " + field + ", which " +
            (computed ? SystemOf(m) + " computes" : "is read-only in " + SystemOf(m)),
        computed ? "computed by " + SystemOf(m) : "read-only");
    Overlay(m, w, computed ? "declared computed here" : "declared read-only here", d);
    if (!f.description.empty()) {
      std::string desc = f.description.size() > 200 ? f.description.substr(0, 197) + "..." : f.description;
      d.notes.push_back("the schema says: " + desc);
    }
    d.notes.push_back(SystemOf(m) + " rejects or ignores a value sent for it: the map's value would never arrive");
    if (computed) {
      d.help = "remove the assignment: " + SystemOf(m) + " computes " + Quote(f.name) +
               " itself; set the fields it is computed from (such as the lines) instead";
    } else if (FromOverlay(m, w)) {
      d.help = "remove the assignment, or the overlay that makes " + Quote(f.name) + " read-only";
    } else {
      d.help = "remove the assignment; if the schema file is wrong about it, say so in system " + SystemOf(m) +
               ": `field " + m.target->name + "." + w.path + " writable`";
    }
    ctx_.Report(std::move(d));
  }

  const Context& ctx_;
};

}  // namespace

void CheckWrites(const Context& ctx) { Writes(ctx).Run(); }

}  // namespace crmx::check::integration
