// Defines the field rules of the integration check (see integration.h): a map that creates
// records must set every field the target system requires on create (E0405, also for the rows
// of a line sublist built with a map literal); a `key` must name a field that identifies one
// record, an external id or a unique field (E0406); a map without a `key` can only insert, so a
// retried record creates a second one (E0407, a warning).
#include <algorithm>

#include "compiler/check/integration.h"

namespace crmx::check::integration {
namespace {

using namespace crmx::ast;

bool CanIdentify(const schema::Object& o, const schema::Field& f) {
  return f.IsExternalId() || f.unique.value_or(false) || IsRecordId(o, f);
}

// Must a create of `o` supply `f`?
bool MustSet(const schema::Field& f) {
  return f.IsRequiredOnCreate() && f.IsCreateable() && !f.defaulted_on_create.value_or(false) &&
         f.default_value.empty() && !f.key && !f.navigation;
}

std::vector<std::string> ExternalIds(const schema::Object& o) {
  std::vector<std::string> out;
  for (const schema::Field& f : o.fields) {
    if (f.IsExternalId()) out.push_back(f.name);
  }
  return out;
}

// The source field a help line can suggest for `target` (same name, any case), or "...".
std::string SuggestValue(const schema::Object& source, const std::string& target) {
  if (const schema::Field* f = source.FindFieldIgnoreCase(target)) return f->name;
  return "...";
}

class MapFields {
 public:
  explicit MapFields(const Context& ctx) : ctx_(ctx) {}

  void Run() {
    for (const ResolvedMap& m : ctx_.maps) Check(m);
  }

 private:
  void Check(const ResolvedMap& rm) {
    const MapDecl& m = *rm.decl;
    const MapStmt* key = nullptr;
    const schema::Field* key_field = nullptr;
    std::set<std::string> set;
    for (const MapStmt& s : m.stmts) {
      if (s.kind == MapStmtKind::Require || s.target.empty()) continue;
      set.insert(s.target.front().text);
      if (s.kind == MapStmtKind::Key && key == nullptr) {
        key = &s;
        key_field = TargetField(s, *rm.target);
        if (key_field != nullptr && s.target.size() == 1) Key(rm, s, *key_field);
      }
      if (s.kind == MapStmtKind::Assign && s.value) {
        if (const schema::Field* f = TargetField(s, *rm.target)) Rows(rm, s, *f);
      }
    }
    if (key == nullptr) NoKey(rm);
    // Keyed on the record's own id, the map only updates records that exist.
    bool update_only = key_field != nullptr && IsRecordId(*rm.target, *key_field);
    if (update_only || !rm.target->createable.value_or(true)) return;
    std::vector<std::string> missing;
    for (const schema::Field& f : rm.target->fields) {
      if (MustSet(f) && set.count(f.name) == 0) missing.push_back(f.name);
    }
    if (missing.empty()) return;
    std::string obj = Quote(Qualified(m.target));
    diag::Diagnostic d = diag::Make(
        diag::Kind::MissingRequiredField, m.name.span,
        "map " + Quote(m.name.text) + " does not set " + QuoteList(missing) + ", required to create " + WithArticle(rm.target->name),
        "creates " + obj + " records without " + QuoteList(missing, 3));
    d.secondary.push_back({m.target.span, "the target object"});
    d.notes.push_back(Quote(m.target.system.text) + " rejects a create without " +
                      (missing.size() == 1 ? "it" : "them") + ": every new record would fail and go to dead letters");
    d.help = "set " + (missing.size() == 1 ? std::string("it") : std::string("each")) + " in the map, such as `" +
             missing.front() + " = " + SuggestValue(*rm.source, missing.front()) + "`";
    ctx_.Report(std::move(d));
  }

  void Key(const ResolvedMap& rm, const MapStmt& s, const schema::Field& f) {
    if (CanIdentify(*rm.target, f)) return;
    const MapDecl& m = *rm.decl;
    diag::Diagnostic d = diag::Make(diag::Kind::KeyNotUnique, s.target.front().span,
                                    Quote(rm.target->name + "." + f.name) + " cannot be a key: it is neither an external id nor unique",
                                    "not an external id");
    d.notes.push_back("an upsert updates the " + Quote(rm.target->name) + " whose " + Quote(f.name) +
                      " equals the key; when several records share the value, " + Quote(m.target.system.text) +
                      " cannot tell which one to update, so a retried record may create a second one");
    std::vector<std::string> ids = ExternalIds(*rm.target);
    if (ids.size() == 1) {
      d.help = "key on " + Quote(rm.target->name) + "'s external id: `key " + ids.front() + " = ...`";
      d.fix = diag::Fix{s.target.front().span, ids.front(), false};
    } else if (!ids.empty()) {
      d.help = "key on one of " + Quote(rm.target->name) + "'s external ids: " + QuoteList(ids);
    } else {
      d.help = Quote(rm.target->name) + " has no external-id field: mark " + Quote(f.name) +
               " as an external id (and unique) in " + Quote(m.target.system.text) + ", then import its schema again";
    }
    ctx_.Report(std::move(d));
  }

  void NoKey(const ResolvedMap& rm) {
    const MapDecl& m = *rm.decl;
    diag::Diagnostic d = diag::Make(diag::Kind::MapWithoutKey, m.name.span,
                                    "map " + Quote(m.name.text) + " has no `key`, so it can only create records",
                                    "no match key");
    d.notes.push_back("without a key, every run inserts a new " + Quote(rm.target->name) +
                      ": a retried or re-sent record creates a second one");
    std::vector<std::string> ids = ExternalIds(*rm.target);
    std::string source_id = rm.source->key_fields.empty() ? std::string("Id") : rm.source->key_fields.front();
    d.help = "add a match key for upserts, such as `key " + (ids.empty() ? std::string("FIELD") : ids.front()) + " = " +
             source_id + "`" + (ids.empty() ? " (with an external-id FIELD of " + Quote(rm.target->name) + ")" : "");
    ctx_.Report(std::move(d));
  }

  // `lines = Items.map(li, {item: ..., quantity: ...})` into a list of inline rows: each row
  // must set the row's required fields.
  void Rows(const ResolvedMap& rm, const MapStmt& s, const schema::Field& f) {
    if (f.type.kind != schema::TypeKind::kList || !f.type.element || f.type.element->kind != schema::TypeKind::kObject)
      return;
    const schema::Object* row = f.type.element->object.get();
    if (row == nullptr) {
      const LoadedSystem* sys = ctx_.systems.Find(rm.decl->target.system.text);
      if (sys != nullptr) row = sys->schema.FindObject(f.type.element->object_name);
    }
    if (row == nullptr) return;
    std::vector<const MapExpr*> literals;
    std::vector<const Expr*> branches;
    Branches(s.value.get(), branches);
    for (const Expr* b : branches) {
      if (const auto* c = b->As<CallExpr>(); c != nullptr && c->function.text == "map" && c->args.size() == 2) {
        if (const auto* lit = c->args[1]->As<MapExpr>()) literals.push_back(lit);
      } else if (const auto* list = b->As<ListExpr>()) {
        for (const ExprPtr& e : list->elements) {
          if (const auto* lit = e->As<MapExpr>()) literals.push_back(lit);
        }
      }
    }
    for (const MapExpr* lit : literals) {
      std::set<std::string> keys;
      for (const MapEntry& en : lit->entries) {
        if (en.field_key) keys.insert(en.field_key->text);
        else if (const auto* k = en.key ? en.key->As<LiteralExpr>() : nullptr; k && k->literal == LiteralKind::String)
          keys.insert(k->string_value);
        else return;  // a computed key: cannot tell
      }
      std::vector<std::string> missing;
      for (const schema::Field& rf : row->fields) {
        if (MustSet(rf) && keys.count(rf.name) == 0) missing.push_back(rf.name);
      }
      if (missing.empty()) continue;
      std::string row_name = row->name.empty() ? f.name : row->name;
      diag::Diagnostic d = diag::Make(diag::Kind::MissingRequiredField, lit->span,
                                      "each " + Quote(f.name) + " row needs " + QuoteList(missing) +
                                          ", required to create a line of " + Quote(rm.target->name),
                                      "a row without " + QuoteList(missing, 3));
      d.secondary.push_back({s.target.front().span, "rows of " + Quote(rm.target->name + "." + f.name)});
      d.notes.push_back(Quote(rm.decl->target.system.text) + " rejects " + WithArticle(rm.target->name) +
                        " whose lines lack " + (missing.size() == 1 ? "it" : "them"));
      d.help = "add it to the row, such as `" + missing.front() + ": ...`";
      ctx_.Report(std::move(d));
    }
  }

  const Context& ctx_;
};

}  // namespace

void CheckMapFields(const Context& ctx) { MapFields(ctx).Run(); }

}  // namespace crmx::check::integration
