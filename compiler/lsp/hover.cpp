// Defines textDocument/hover of `crmxc lsp` (features.h): markdown about the name under the
// cursor. A field: its type as the checker names it, nullability, owner, whether a create or an
// update may write it, picklist values, label and description. A function: its overloads and
// what they need (`use`, a fallback for a fallible call). A map, table, system or object: what
// it is.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "compiler/check/functions.h"
#include "compiler/check/types.h"
#include "compiler/lsp/analysis.h"
#include "compiler/lsp/features.h"

namespace crmx::lsp {

namespace {

namespace fs = std::filesystem;

constexpr size_t kPicklistShown = 20;

std::string Code(const std::string& s) { return "`" + s + "`"; }

// A path shown relative to the spec's folder when it is inside it.
std::string Shown(const Analysis& a, const std::string& path) {
  if (a.base_dir.empty() || path.empty()) return path;
  fs::path rel = fs::path(path).lexically_relative(a.base_dir);
  std::string r = rel.string();
  if (r.empty() || r.rfind("..", 0) == 0) return path;
  return r;
}

std::string Duration(int64_t ms) {
  struct Unit { int64_t ms; const char* name; };
  for (Unit u : {Unit{86400000, "d"}, Unit{3600000, "h"}, Unit{60000, "m"}, Unit{1000, "s"}}) {
    if (ms != 0 && ms % u.ms == 0) return std::to_string(ms / u.ms) + u.name;
  }
  return std::to_string(ms) + "ms";
}

std::string TypeRefText(const ast::TypeRef& t) {
  std::string s = t.name.text;
  if (t.args.empty()) return s;
  s += "<";
  for (size_t i = 0; i < t.args.size(); ++i) s += (i ? ", " : "") + TypeRefText(t.args[i]);
  return s + ">";
}

std::string Picklist(const schema::Picklist& p) {
  std::string s;
  size_t shown = std::min(p.values.size(), kPicklistShown);
  for (size_t i = 0; i < shown; ++i) {
    const schema::PicklistValue& v = p.values[i];
    s += (i ? ", " : "") + Code(v.value);
    if (!v.label.empty() && v.label != v.value) s += " (" + v.label + ")";
  }
  if (p.values.size() > shown) s += " ... and " + std::to_string(p.values.size() - shown) + " more";
  return s;
}

// Whether creates and updates may write the field, in the schema's own words.
std::string Writability(const schema::Field& f) {
  if (f.calculated.value_or(false)) return "computed by the system: read-only";
  bool c = f.IsCreateable(), u = f.IsUpdateable();
  std::string s = c && u ? "createable and updateable" : c ? "createable, not updateable (create-only)"
                                                      : u ? "updateable, not createable (update-only)"
                                                          : "read-only (neither createable nor updateable)";
  if (!f.createable || !f.updateable) s += " (unknown facts read as allowed)";
  return s;
}

std::string FieldHover(const Analysis& a, const Hit& h) {
  std::string sys = h.system ? h.system->decl->name.text : std::string();
  std::string obj = h.object ? h.object->name : std::string();
  std::string owner_name = sys.empty() ? obj : sys + "." + obj;
  std::string out;
  if (h.field == nullptr && h.object != nullptr && (h.relationship != nullptr || h.child_relationship)) {
    if (h.child_relationship) {
      out = "**" + h.name + "**: child relationship, a list of " + Code(sys.empty() ? obj : sys + "." + obj) +
            " records";
    } else {
      out = "**" + h.name + "**: relationship to " + Code(sys.empty() ? obj : sys + "." + obj) + " through " +
            Code(h.relationship->name) + (h.relationship->IsNullable() ? " (nullable)" : " (not nullable)");
    }
    out += "\n\nIts fields are read as `" + h.name + ".Field`.";
    return out;
  }
  if (h.field == nullptr) {
    if (h.object == nullptr) return "**" + h.name + "**: field (the object's schema is not loaded)";
    return "**" + h.name + "**: not a field of " + Code(owner_name);
  }
  const schema::Field& f = *h.field;
  check::Type t = h.system ? check::FromField(f, h.system->schema) : check::Type(check::TypeKind::kDyn);
  out = "**" + f.name + "**: " + Code(t.ToString());
  if (f.length && *f.length > 0) out += ", at most " + std::to_string(*f.length) + " characters";
  out += f.IsNullable() ? ", nullable" : ", not nullable";
  out += "\n\nfield of " + Code(owner_name);
  if (h.role == "target") out += " (the map's target)";
  else if (h.role == "source") out += " (the source record)";
  if (!f.label.empty() && f.label != f.name) out += ": " + f.label;
  out += "\n";
  std::string via;
  std::string owner = OwnerOf(a, h.object, f.name, via);
  if (!owner.empty()) {
    out += "\n- owner: " + Code(owner);
    if (via == "*") out += " (every field of " + Code(obj) + ")";
    else if (!via.empty()) out += " (as part of " + Code(via) + ")";
  } else if (a.owners != nullptr) {
    out += "\n- owner: none declared" +
           std::string(a.owners->has_conflicts ? " (`conflicts` decides)" : "");
  }
  out += "\n- " + Writability(f);
  if (f.IsRequiredOnCreate()) out += "\n- required on create";
  if (f.IsExternalId()) out += "\n- external id";
  if (f.unique.value_or(false)) out += "\n- unique";
  if (f.key) out += "\n- the record's key";
  if (!f.references.targets.empty()) {
    std::string r;
    for (const std::string& x : f.references.targets) r += (r.empty() ? "" : ", ") + Code(x);
    out += "\n- references " + r;
    if (!f.references.relationship_name.empty()) out += " (read through " + Code(f.references.relationship_name) + ")";
  }
  if (!f.picklist.empty()) {
    out += "\n- picklist";
    if (f.picklist.restricted) out += *f.picklist.restricted ? " (restricted)" : " (unrestricted)";
    out += ", " + std::to_string(f.picklist.values.size()) + " values: " + Picklist(f.picklist);
  }
  if (!f.source_type.empty()) out += "\n- schema type: " + Code(f.source_type);
  if (!f.description.empty()) out += "\n\n" + f.description;
  if (!f.source.file.empty()) out += "\n\nschema: " + Code(Shown(a, f.source.file));
  return out;
}

std::string FunctionHover(const Hit& h) {
  std::vector<const check::Function*> overloads = check::FindFunctions(h.name);
  if (overloads.empty()) return "**" + h.name + "**: no such function";
  std::string out = "**" + h.name + "**: function";
  std::string_view module = overloads.front()->module;
  out += module.empty() ? std::string(" (CEL, no `use` needed)") : " of " + Code(std::string(module)) + " (needs `use " +
                                                                      std::string(module) + "`)";
  out += "\n\n```crmx\n";
  for (const check::Function* f : overloads) out += check::Signature(*f) + "\n";
  out += "```";
  std::vector<std::string> failures;
  for (const check::Function* f : overloads) {
    if (f->fallible && std::find(failures.begin(), failures.end(), std::string(f->failure)) == failures.end()) {
      failures.emplace_back(f->failure);
    }
  }
  for (const std::string& why : failures) {
    out += "\n\nCan fail on " + why + ": handle it with `??` (a default, or `?? hold \"...\"`).";
  }
  out += "\n\nCall it as `" + h.name + "(x, ...)` or receiver-style `x." + h.name + "(...)`.";
  return out;
}

std::string MacroHover(const Hit& h) {
  // The macros are handled by the checker itself, not listed in functions.h; their meaning is
  // docs/language.md's table "Macros and `has`".
  struct Macro { const char* name; const char* form; const char* what; };
  static const Macro kMacros[] = {
      {"all", "list.all(x, p)", "true when `p` holds for every element"},
      {"exists", "list.exists(x, p)", "true when `p` holds for at least one element"},
      {"exists_one", "list.exists_one(x, p)", "true when `p` holds for exactly one element"},
      {"map", "list.map(x, e)", "the list of `e` for each element"},
      {"filter", "list.filter(x, p)", "the elements for which `p` holds"},
      {"has", "has(x.f)", "true when the record `x` has the field `f` set"},
  };
  for (const Macro& m : kMacros) {
    if (h.name == m.name) return "**" + h.name + "**: macro\n\n```crmx\n" + m.form + "\n```\n\n" + m.what;
  }
  return "**" + h.name + "**: macro";
}

std::string MapHover(const Analysis& a, const Hit& h) {
  if (h.map == nullptr) return "**" + h.name + "**: no map of this name";
  const ast::MapDecl& m = *h.map;
  std::string out = "**" + m.name.text + "**: map " + Code(m.source.system.text + "." + m.source.object.text) + " -> " +
                    Code(m.target.system.text + "." + m.target.object.text);
  std::string key;
  size_t assigns = 0;
  for (const ast::MapStmt& s : m.stmts) {
    if (s.kind == ast::MapStmtKind::Key) {
      for (const ast::Name& n : s.target) key += (key.empty() ? "" : ".") + n.text;
    }
    if (s.kind == ast::MapStmtKind::Assign) ++assigns;
  }
  out += "\n\n- key: " + (key.empty() ? std::string("none (the map only creates records)") : Code(key));
  out += "\n- " + std::to_string(assigns) + (assigns == 1 ? " assignment" : " assignments");
  std::vector<std::string> syncs;
  for (const ast::Module* mod : a.Modules()) {
    for (const ast::SyncDecl* s : mod->All<ast::SyncDecl>()) {
      if (s->map.text != m.name.text) continue;
      switch (s->trigger) {
        case ast::TriggerKind::OnChange: syncs.push_back("on change"); break;
        case ast::TriggerKind::Every: syncs.push_back("every " + Duration(s->every_ms)); break;
        case ast::TriggerKind::DailyAt: {
          char buf[16];
          std::snprintf(buf, sizeof buf, "%02d:%02d", s->daily_at.hour, s->daily_at.minute);
          syncs.push_back(std::string("daily at ") + buf);
          break;
        }
      }
    }
  }
  std::string synced;
  for (const std::string& s : syncs) synced += (synced.empty() ? "" : ", ") + s;
  out += "\n- synced: " + (synced.empty() ? std::string("never (no `sync`)") : synced);
  if (m.span.file != a.root->file) out += "\n\ndeclared in " + Code(Shown(a, a.PathOf(m.span.file)));
  return out;
}

std::string TableHover(const Analysis& a, const Hit& h) {
  if (h.table == nullptr) return "**" + h.name + "**: no table of this name";
  const ast::TableDecl& t = *h.table;
  std::string out = "**" + t.name.text + "**: table";
  if (t.type) out += " " + Code(TypeRefText(*t.type));
  if (t.csv_path) {
    out += "\n\n- CSV file " + Code(*t.csv_path);
    for (const ast::NamedArg& arg : t.csv_args) {
      const auto* lit = arg.value ? arg.value->As<ast::LiteralExpr>() : nullptr;
      if (lit != nullptr && lit->literal == ast::LiteralKind::String) {
        out += "\n- " + arg.name.text + " column: " + Code(lit->string_value);
      }
    }
  } else if (const auto* map = t.value ? t.value->As<ast::MapExpr>() : nullptr) {
    out += "\n\n- a literal map of " + std::to_string(map->entries.size()) + " entries";
  } else if (const auto* list = t.value ? t.value->As<ast::ListExpr>() : nullptr) {
    out += "\n\n- a literal list of " + std::to_string(list->elements.size()) + " elements";
  }
  out += "\n\nIndexed as `" + t.name.text + "[key]`; a missing key is null (handle it with `??`).";
  if (t.span.file != a.root->file) out += "\n\ndeclared in " + Code(Shown(a, a.PathOf(t.span.file)));
  return out;
}

std::string SystemHover(const Analysis& a, const Hit& h) {
  const ast::SystemDecl* d = a.FindSystem(h.name);
  if (d == nullptr) return "**" + h.name + "**: no system of this name";
  std::string out = "**" + d->name.text + "**: system of kind " + Code(d->system_kind.text);
  for (const ast::SchemaSetting& s : d->schemas) {
    out += "\n\n- schema " + Code(s.path) + (s.format ? " as " + Code(s.format->text) : std::string());
  }
  if (h.system != nullptr) {
    out += "\n- " + std::to_string(h.system->schema.objects.size()) + " objects";
    if (!h.system->complete) out += " (a schema file could not be loaded)";
    std::string names;
    size_t shown = 0;
    for (const schema::Object& o : h.system->schema.objects) {
      if (shown++ == kPicklistShown) {
        names += " ...";
        break;
      }
      names += (names.empty() ? "" : ", ") + Code(o.name);
    }
    if (!names.empty()) out += ": " + names;
  }
  if (!d->overlays.empty()) out += "\n- " + std::to_string(d->overlays.size()) + " field overlays";
  return out;
}

std::string ObjectHover(const Analysis& a, const Hit& h) {
  std::string sys = h.system ? h.system->decl->name.text : std::string();
  if (h.object == nullptr) return "**" + h.name + "**: not an object of " + (sys.empty() ? "a loaded schema" : Code(sys));
  const schema::Object& o = *h.object;
  std::string out = "**" + sys + "." + o.name + "**: object";
  if (!o.label.empty() && o.label != o.name) out += " (" + o.label + ")";
  out += "\n\n- " + std::to_string(o.fields.size()) + " fields";
  if (!o.key_fields.empty()) {
    std::string k;
    for (const std::string& f : o.key_fields) k += (k.empty() ? "" : ", ") + Code(f);
    out += "\n- key: " + k;
  }
  size_t required = 0;
  for (const schema::Field& f : o.fields) required += f.IsRequiredOnCreate();
  if (required > 0) out += "\n- " + std::to_string(required) + " fields required on create";
  if (o.createable) out += std::string("\n- ") + (*o.createable ? "createable" : "not createable");
  if (o.updateable) out += std::string("\n- ") + (*o.updateable ? "updateable" : "not updateable");
  if (!o.description.empty()) out += "\n\n" + o.description;
  if (!o.source.file.empty()) out += "\n\nschema: " + Code(Shown(a, o.source.file));
  return out;
}

std::string ImportHover(const Analysis& a, const Hit& h) {
  fs::path target = fs::path(a.base_dir) / h.name;
  std::error_code ec;
  if (!fs::is_regular_file(target, ec)) return "**import** " + Code(h.name) + ": no such file";
  for (const ast::Module* m : a.imports) {
    if (fs::equivalent(a.PathOf(m->file), target, ec)) {
      std::string kind = m->is_integration() ? "integration" : "module";
      size_t n = m->items.size();
      return "**import** " + Code(h.name) + ": " + kind + " " + Code(m->name.text) + ", " + std::to_string(n) +
             (n == 1 ? " declaration" : " declarations");
    }
  }
  return "**import** " + Code(h.name);
}

}  // namespace

nlohmann::json Hover(const Document& doc, Position pos) {
  std::shared_ptr<const Analysis> a = Analyze(doc);
  Hit h = FindAt(*a, doc.Offset(pos));
  std::string text;
  switch (h.kind) {
    case HitKind::None: return nullptr;
    case HitKind::Field: text = FieldHover(*a, h); break;
    case HitKind::Function: text = FunctionHover(h); break;
    case HitKind::Macro: text = MacroHover(h); break;
    case HitKind::Map: text = MapHover(*a, h); break;
    case HitKind::Table: text = TableHover(*a, h); break;
    case HitKind::System: text = SystemHover(*a, h); break;
    case HitKind::Object: text = ObjectHover(*a, h); break;
    case HitKind::Import: text = ImportHover(*a, h); break;
    case HitKind::Variable:
      text = "**" + h.name + "**: macro variable, " + Code(h.type.ToString());
      break;
  }
  return {{"contents", {{"kind", "markdown"}, {"value", text}}}, {"range", doc.Range(h.span)}};
}

}  // namespace crmx::lsp
