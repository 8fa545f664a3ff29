// Defines the analysis of a document shared by hover, definition and completion (see
// analysis.h): parsing with imports, schemas and owners as `crmxc check` loads them, the cache,
// and the search for what is at an offset.
#include "compiler/lsp/analysis.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>

#include "compiler/schema/import.h"
#include "compiler/syntax/parser.h"

namespace crmx::lsp {

namespace fs = std::filesystem;

// ------------------------------------------------------------------------------ loading

namespace {

std::string Canonical(const fs::path& p) {
  std::error_code ec;
  std::string s = fs::weakly_canonical(p, ec).string();
  return ec ? p.string() : s;
}

// Parses the imports of `module` (relative to `dir`), transitively and each file once, as
// Compilation::CollectImports does; files that cannot be read are skipped (the diagnostics
// of `crmxc lsp` report them).
void LoadImports(Analysis& a, const ast::Module& module, const std::string& dir, std::vector<std::string>& seen) {
  for (const ast::ImportDecl* imp : module.All<ast::ImportDecl>()) {
    fs::path target = fs::path(dir) / imp->path;
    std::error_code ec;
    if (!fs::is_regular_file(target, ec)) continue;
    std::string key = Canonical(target);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    std::string error;
    FileId id = a.sources.Load(target.string(), error);
    if (id == kNoFile) continue;
    std::unique_ptr<ast::Module> m = syntax::Parse(a.sources.Get(id), a.sink);
    const ast::Module* raw = m.get();
    a.owned_imports.push_back(std::move(m));
    a.imports.push_back(raw);
    LoadImports(a, *raw, target.parent_path().string(), seen);
  }
}

// What the systems' schemas depend on: the text and place of every `system` block and the
// size and time of every schema file they name.
std::string SystemsKey(const Analysis& a) {
  std::string key = a.base_dir + "\n";
  for (const ast::Module* m : a.Modules()) {
    for (const ast::SystemDecl* s : m->All<ast::SystemDecl>()) {
      const SourceFile& f = a.sources.Get(s->span.file);
      size_t end = std::min<size_t>(s->span.end, f.text().size());
      size_t begin = std::min<size_t>(s->span.begin, end);
      key += f.path() + "@" + std::to_string(begin) + ":" + f.text().substr(begin, end - begin) + "\n";
      for (const ast::SchemaSetting& setting : s->schemas) {
        for (const std::string& file : schema::ExpandGlob(a.base_dir, setting.path).files) {
          std::error_code ec;
          auto size = fs::file_size(file, ec);
          auto time = fs::last_write_time(file, ec).time_since_epoch().count();
          key += file + " " + std::to_string(size) + " " + std::to_string(time) + "\n";
        }
      }
    }
  }
  return key;
}

void LoadSystems(const std::shared_ptr<Analysis>& a) {
  struct Loaded {
    std::string key;
    std::shared_ptr<const check::Systems> systems;
    std::shared_ptr<const Analysis> loader;
  };
  static std::mutex mu;
  static std::vector<Loaded> cache;  // the most recent last
  std::string key = SystemsKey(*a);
  {
    std::lock_guard<std::mutex> lock(mu);
    for (const Loaded& l : cache) {
      if (l.key != key) continue;
      a->systems = l.systems;
      a->systems_loader = l.loader;
      return;
    }
  }
  auto systems = std::make_shared<check::Systems>();
  systems->Load(*a->root, a->imports, a->base_dir, a->sink);
  a->systems = systems;
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() >= 4) cache.erase(cache.begin());
  cache.push_back(Loaded{std::move(key), systems, a});
}

std::shared_ptr<Analysis> Build(const Document& doc) {
  auto a = std::make_shared<Analysis>();
  a->systems = std::make_shared<check::Systems>();
  std::string path = doc.path().empty() ? std::string("untitled.crmx") : doc.path();
  FileId id = a->sources.Add(path, doc.text());
  a->root = syntax::Parse(a->sources.Get(id), a->sink);
  a->syntax_ok = !a->sink.has_errors();
  if (doc.path().empty()) return a;
  a->base_dir = fs::path(doc.path()).parent_path().string();
  std::vector<std::string> seen{Canonical(doc.path())};
  LoadImports(*a, *a->root, a->base_dir, seen);
  if (!a->root->is_integration()) return a;
  LoadSystems(a);
  a->owners = std::make_unique<check::integration::Context>(*a->root, *a->systems, a->sink);
  a->owners->modules = a->Modules();
  for (const ast::Module* m : a->owners->modules) {
    a->owners->has_conflicts = a->owners->has_conflicts || !m->All<ast::ConflictsDecl>().empty();
    a->owners->has_owners = a->owners->has_owners || !m->All<ast::OwnerDecl>().empty();
  }
  check::integration::CheckOwnerBlocks(*a->owners);
  return a;
}

}  // namespace

namespace {

struct Entry {
  int version = 0;
  size_t hash = 0;
  std::shared_ptr<const Analysis> analysis;
  std::shared_ptr<const Analysis> last_good;
};
std::mutex cache_mu;
std::map<std::string, Entry> cache;

}  // namespace

std::shared_ptr<const Analysis> LastGood(const std::string& uri) {
  std::lock_guard<std::mutex> lock(cache_mu);
  auto it = cache.find(uri);
  return it == cache.end() ? nullptr : it->second.last_good;
}

std::shared_ptr<const Analysis> Analyze(const Document& doc) {
  auto& mu = cache_mu;
  size_t hash = std::hash<std::string>{}(doc.text());
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(doc.uri());
    if (it != cache.end() && it->second.version == doc.version() && it->second.hash == hash) return it->second.analysis;
  }
  std::shared_ptr<const Analysis> a = Build(doc);
  std::lock_guard<std::mutex> lock(mu);
  // A handful of documents: an editor asks about the ones it shows.
  if (cache.size() >= 16 && cache.count(doc.uri()) == 0) cache.erase(cache.begin());
  Entry& e = cache[doc.uri()];
  e.version = doc.version();
  e.hash = hash;
  e.analysis = a;
  if (a->syntax_ok) e.last_good = a;
  return a;
}

std::string Analysis::PathOf(FileId file) const {
  if (file == kNoFile || file >= sources.size()) return "";
  return sources.Get(file).path();
}

std::vector<const ast::Module*> Analysis::Modules() const {
  std::vector<const ast::Module*> out(imports.begin(), imports.end());
  out.push_back(root.get());
  return out;
}

namespace {

template <typename T, typename GetName>
const T* FindDecl(const Analysis& a, const std::string& name, GetName get) {
  // The document first: a name declared twice (E0104) resolves to the one in view.
  std::vector<const ast::Module*> order{a.root.get()};
  order.insert(order.end(), a.imports.begin(), a.imports.end());
  for (const ast::Module* m : order) {
    for (const T* d : m->All<T>()) {
      if (get(*d) == name) return d;
    }
  }
  return nullptr;
}

}  // namespace

const ast::MapDecl* Analysis::FindMap(const std::string& name) const {
  return FindDecl<ast::MapDecl>(*this, name, [](const ast::MapDecl& d) -> const std::string& { return d.name.text; });
}

const ast::TableDecl* Analysis::FindTable(const std::string& name) const {
  return FindDecl<ast::TableDecl>(*this, name, [](const ast::TableDecl& d) -> const std::string& { return d.name.text; });
}

const ast::SystemDecl* Analysis::FindSystem(const std::string& name) const {
  return FindDecl<ast::SystemDecl>(*this, name, [](const ast::SystemDecl& d) -> const std::string& { return d.name.text; });
}

check::Type Analysis::RecordOf(const std::string& system, const std::string& object) const {
  const check::LoadedSystem* sys = systems->Find(system);
  if (sys == nullptr) return check::Type(check::TypeKind::kDyn);
  const schema::Object* obj = sys->schema.FindObject(object);
  if (obj == nullptr) return check::Type(check::TypeKind::kDyn);
  return check::Type::Record(obj, &sys->schema);
}

std::string OwnerOf(const Analysis& a, const schema::Object* object, const std::string& field, std::string& via) {
  via.clear();
  if (a.owners == nullptr || object == nullptr) return "";
  const check::integration::Claim* c = a.owners->OwnerOf(object, field);
  if (c == nullptr) return "";
  via = c->via;
  return c->system;
}

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json LocationOf(const Analysis& a, const Document& doc, const Span& span) {
  if (span.file == a.root->file) return {{"uri", doc.uri()}, {"range", doc.Range(span)}};
  const SourceFile& f = a.sources.Get(span.file);
  Document other(UriFromPath(f.path()), f.path(), f.text(), 0);
  return {{"uri", other.uri()}, {"range", other.Range(span)}};
}

// ------------------------------------------------------------------------------ what is at an offset

namespace {

bool Covers(const Span& s, size_t offset) { return s.valid() && s.begin <= offset && offset <= s.end; }

bool IsMacroName(const std::string& n) {
  return n == "all" || n == "exists" || n == "exists_one" || n == "map" || n == "filter";
}

const check::LoadedSystem* SystemOfSchema(const Analysis& a, const schema::Schema* s) {
  for (const auto& [name, sys] : a.systems->all()) {
    if (&sys.schema == s) return &sys;
  }
  return nullptr;
}

// What bare names mean where the cursor is (a small copy of check::Scope that keeps the
// schema objects, not only types).
struct Scope {
  const check::Type* record = nullptr;  // fields of this record (a map's source, ...)
  const check::Type* second = nullptr;  // then of this one (reconcile `by`)
  const check::Type* target = nullptr;  // then target fields a map assigned
};

class Finder {
 public:
  Finder(const Analysis& a, size_t offset) : a_(a), offset_(offset) { env_.systems = a.systems.get(); }

  Hit Run() {
    for (const ast::DeclPtr& d : a_.root->items) {
      Decl(*d);
      if (hit_.kind != HitKind::None) break;
    }
    return hit_;
  }

 private:
  bool At(const Span& s) const { return Covers(s, offset_); }

  void FieldHit(const Span& span, const std::string& name, const check::Type& record, const std::string& role) {
    hit_.kind = HitKind::Field;
    hit_.span = span;
    hit_.name = name;
    hit_.role = role;
    if (record.kind != check::TypeKind::kRecord) return;
    hit_.object = record.object;
    hit_.system = SystemOfSchema(a_, record.schema);
    std::optional<check::Member> m = env_.FindMember(record, name);
    if (!m) return;
    if (m->field != nullptr) {
      hit_.field = m->field;
      return;
    }
    // A relationship: `Account` (through `AccountId`) or `OpportunityLineItems` (children).
    const check::Type& t = m->type.kind == check::TypeKind::kList ? *m->type.element : m->type;
    hit_.child_relationship = m->type.kind == check::TypeKind::kList;
    if (!hit_.child_relationship) {
      for (const schema::Field& f : record.object->fields) {
        if (f.references.relationship_name == name) hit_.relationship = &f;
      }
    }
    if (t.kind == check::TypeKind::kRecord) hit_.object = t.object;
  }

  void ObjectHit(const ast::Name& system, const ast::Name& object) {
    hit_.kind = HitKind::Object;
    hit_.span = object.span;
    hit_.name = object.text;
    hit_.system = a_.systems->Find(system.text);
    if (hit_.system != nullptr) hit_.object = hit_.system->schema.FindObject(object.text);
  }

  void SystemHit(const ast::Name& name) {
    hit_.kind = HitKind::System;
    hit_.span = name.span;
    hit_.name = name.text;
    hit_.system = a_.systems->Find(name.text);
  }

  void MapHit(const ast::Name& name) {
    hit_.kind = HitKind::Map;
    hit_.span = name.span;
    hit_.name = name.text;
    hit_.map = a_.FindMap(name.text);
  }

  void ObjectRef(const ast::ObjectRef& ref) {
    if (At(ref.system.span)) SystemHit(ref.system);
    else if (At(ref.object.span)) ObjectHit(ref.system, ref.object);
  }

  // The path of a field through nested objects: `address.city`, `Line.Amount`.
  void Path(const std::vector<ast::Name>& path, check::Type record, const std::string& role) {
    for (const ast::Name& seg : path) {
      if (At(seg.span)) {
        FieldHit(seg.span, seg.text, record, role);
        return;
      }
      if (record.kind != check::TypeKind::kRecord) return;
      std::optional<check::Member> m = env_.FindMember(record, seg.text);
      if (!m) return;
      record = m->type.kind == check::TypeKind::kList ? *m->type.element : m->type;
    }
  }

  void Decl(const ast::Decl& d) {
    if (const auto* imp = d.As<ast::ImportDecl>()) {
      if (At(imp->path_span)) {
        hit_.kind = HitKind::Import;
        hit_.span = imp->path_span;
        hit_.name = imp->path;
        hit_.import = imp;
      }
    } else if (const auto* sys = d.As<ast::SystemDecl>()) {
      if (At(sys->name.span)) return SystemHit(sys->name);
      for (const ast::FieldOverlay& o : sys->overlays) {
        if (At(o.object.span)) return ObjectHit(sys->name, o.object);
        Path(o.path, a_.RecordOf(sys->name.text, o.object.text), "overlay");
        if (hit_.kind != HitKind::None) return;
      }
    } else if (const auto* own = d.As<ast::OwnerDecl>()) {
      if (At(own->system.span)) return SystemHit(own->system);
      for (const ast::OwnedObject& o : own->objects) {
        if (At(o.object.span)) return ObjectHit(own->system, o.object);
        check::Type rec = a_.RecordOf(own->system.text, o.object.text);
        for (const ast::Name& f : o.fields) {
          if (At(f.span)) return FieldHit(f.span, f.text, rec, "owner");
        }
      }
    } else if (const auto* t = d.As<ast::TableDecl>()) {
      if (At(t->name.span)) return TableHit(t->name);
      Expr(t->value.get(), Scope{});
      for (const ast::NamedArg& arg : t->csv_args) Expr(arg.value.get(), Scope{});
    } else if (const auto* m = d.As<ast::MapDecl>()) {
      if (At(m->name.span)) return MapHit(m->name);
      ObjectRef(m->source);
      ObjectRef(m->target);
      if (hit_.kind != HitKind::None) return;
      check::Type source = a_.RecordOf(m->source), target = a_.RecordOf(m->target);
      for (const ast::MapStmt& s : m->stmts) {
        Path(s.target, target, "target");
        if (hit_.kind != HitKind::None) return;
        Expr(s.value.get(), Scope{&source, nullptr, &target}, PathType(s.target, target));
        if (hit_.kind != HitKind::None) return;
      }
    } else if (const auto* sync = d.As<ast::SyncDecl>()) {
      if (At(sync->map.span)) return MapHit(sync->map);
      const ast::MapDecl* map = a_.FindMap(sync->map.text);
      check::Type source = map ? a_.RecordOf(map->source) : check::Type(check::TypeKind::kDyn);
      Expr(sync->when.get(), Scope{&source});
      for (const ast::ExhaustedAction& act : sync->on_exhausted) {
        for (const ast::ExprPtr& e : act.targets) Expr(e.get(), Scope{});
      }
    } else if (const auto* alert = d.As<ast::AlertDecl>()) {
      ObjectRef(alert->object);
      check::Type rec = a_.RecordOf(alert->object);
      Expr(alert->when.get(), Scope{&rec});
      for (const ast::ExprPtr& e : alert->notify) Expr(e.get(), Scope{});
    } else if (const auto* rec = d.As<ast::ReconcileDecl>()) {
      ObjectRef(rec->left);
      ObjectRef(rec->right);
      check::Type left = a_.RecordOf(rec->left), right = a_.RecordOf(rec->right);
      Expr(rec->by.get(), Scope{&left, &right});
      for (const ast::ReconcileRule& r : rec->rules) {
        Expr(r.left.get(), Scope{&left});
        Expr(r.right.get(), Scope{&right});
      }
    } else if (const auto* test = d.As<ast::TestDecl>()) {
      for (const ast::TestStmt& s : test->stmts) {
        if (!s.record) continue;
        ObjectRef(s.record->object);
        check::Type r = a_.RecordOf(s.record->object);
        for (const ast::FieldInit& f : s.record->fields) {
          if (At(f.name.span)) return FieldHit(f.name.span, f.name.text, r, "record");
          Expr(f.value.get(), Scope{});
        }
      }
    }
  }

  void TableHit(const ast::Name& name) {
    hit_.kind = HitKind::Table;
    hit_.span = name.span;
    hit_.name = name.text;
    hit_.table = a_.FindTable(name.text);
  }

  // The type of a name path in `scope` (dyn when it does not resolve to something typed).
  check::Type TypeOf(const ast::Expr* e, const Scope& scope) {
    check::Type dyn(check::TypeKind::kDyn);
    if (e == nullptr) return dyn;
    if (const auto* id = e->As<ast::IdentExpr>()) {
      for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
        if (it->first == id->name.text) return it->second;
      }
      for (const check::Type* rec : {scope.record, scope.second, scope.target}) {
        if (rec == nullptr || rec->kind != check::TypeKind::kRecord) continue;
        if (std::optional<check::Member> m = env_.FindMember(*rec, id->name.text)) return m->type;
      }
      return dyn;
    }
    if (const auto* sel = e->As<ast::SelectExpr>()) {
      check::Type base = TypeOf(sel->operand.get(), scope);
      if (base.kind != check::TypeKind::kRecord) return dyn;
      if (std::optional<check::Member> m = env_.FindMember(base, sel->field.text)) return m->type;
      return dyn;
    }
    if (const auto* ix = e->As<ast::IndexExpr>()) {
      check::Type base = TypeOf(ix->operand.get(), scope);
      if (base.kind == check::TypeKind::kList) return *base.element;
    }
    return dyn;
  }

  void Ident(const ast::IdentExpr& id, const Scope& scope) {
    const std::string& n = id.name.text;
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first != n) continue;
      hit_.kind = HitKind::Variable;
      hit_.span = id.name.span;
      hit_.name = n;
      hit_.type = it->second;
      return;
    }
    for (const check::Type* rec : {scope.record, scope.second}) {
      if (rec == nullptr || rec->kind != check::TypeKind::kRecord) continue;
      if (env_.FindMember(*rec, n)) return FieldHit(id.name.span, n, *rec, "source");
    }
    if (scope.target != nullptr && scope.target->kind == check::TypeKind::kRecord &&
        scope.target->object->FindField(n) != nullptr) {
      return FieldHit(id.name.span, n, *scope.target, "target");
    }
    if (a_.FindTable(n) != nullptr) return TableHit(id.name);
    if (a_.FindSystem(n) != nullptr) return SystemHit(id.name);
    // A field of a record whose schema is not loaded: still a field, described by name only.
    if (scope.record != nullptr) {
      hit_.kind = HitKind::Field;
      hit_.span = id.name.span;
      hit_.name = n;
      hit_.role = "source";
    }
  }

  // The type of a target path (`lines`, `address.city`) in `record`; dyn when it does not resolve.
  check::Type PathType(const std::vector<ast::Name>& path, check::Type record) {
    for (const ast::Name& seg : path) {
      if (record.kind != check::TypeKind::kRecord) return check::Type(check::TypeKind::kDyn);
      std::optional<check::Member> m = env_.FindMember(record, seg.text);
      if (!m) return check::Type(check::TypeKind::kDyn);
      record = m->type;
    }
    return path.empty() ? check::Type(check::TypeKind::kDyn) : record;
  }

  // `expected` is the type of the place the value goes (a target field), so the keys of an
  // object literal written into it (`lines = Items.map(li, {item: ...})`) are its fields.
  void Expr(const ast::Expr* e, const Scope& scope, const check::Type& expected = check::Type(check::TypeKind::kDyn)) {
    if (e == nullptr || hit_.kind != HitKind::None || !At(e->span)) return;
    switch (e->kind) {
      case ast::ExprKind::Ident:
        return Ident(*e->As<ast::IdentExpr>(), scope);
      case ast::ExprKind::Select: {
        const auto* s = e->As<ast::SelectExpr>();
        if (At(s->field.span)) {
          // `crm.Opportunity` (in `owner_of(...)`): a system and one of its objects.
          const auto* base = s->operand->As<ast::IdentExpr>();
          if (base != nullptr && a_.systems->Find(base->name.text) != nullptr &&
              TypeOf(base, scope).kind != check::TypeKind::kRecord) {
            return ObjectHit(base->name, s->field);
          }
          return FieldHit(s->field.span, s->field.text, TypeOf(s->operand.get(), scope), "source");
        }
        return Expr(s->operand.get(), scope);
      }
      case ast::ExprKind::Call: {
        const auto* c = e->As<ast::CallExpr>();
        bool macro = c->receiver && c->args.size() == 2 && c->args[0] && c->args[0]->As<ast::IdentExpr>() &&
                     IsMacroName(c->function.text);
        if (At(c->function.span)) {
          bool has = !c->receiver && c->function.text == "has";
          hit_.kind = macro || has ? HitKind::Macro : HitKind::Function;
          hit_.span = c->function.span;
          hit_.name = c->function.text;
          // `math.abs(x)` is written as a call of `abs` on `math`.
          if (const auto* ns = c->receiver ? c->receiver->As<ast::IdentExpr>() : nullptr; ns && ns->name.text == "math") {
            hit_.name = "math." + c->function.text;
          }
          return;
        }
        Expr(c->receiver.get(), scope);
        if (macro) {
          const auto* var = c->args[0]->As<ast::IdentExpr>();
          check::Type list = TypeOf(c->receiver.get(), scope);
          check::Type elem = list.kind == check::TypeKind::kList ? *list.element : check::Type(check::TypeKind::kDyn);
          vars_.emplace_back(var->name.text, elem);
          Expr(c->args[0].get(), scope);
          bool into_list = c->function.text == "map" && expected.kind == check::TypeKind::kList;
          Expr(c->args[1].get(), scope, into_list ? *expected.element : check::Type(check::TypeKind::kDyn));
          vars_.pop_back();
          return;
        }
        for (const ast::ExprPtr& arg : c->args) Expr(arg.get(), scope);
        return;
      }
      case ast::ExprKind::Ref: {
        const auto* r = e->As<ast::RefExpr>();
        if (At(r->map.span)) return MapHit(r->map);
        return Expr(r->source_id.get(), scope);
      }
      case ast::ExprKind::Index: {
        const auto* x = e->As<ast::IndexExpr>();
        Expr(x->operand.get(), scope);
        return Expr(x->index.get(), scope);
      }
      case ast::ExprKind::List:
        for (const ast::ExprPtr& el : e->As<ast::ListExpr>()->elements) Expr(el.get(), scope);
        return;
      case ast::ExprKind::MapLit:
        for (const ast::MapEntry& en : e->As<ast::MapExpr>()->entries) {
          if (en.field_key && expected.kind == check::TypeKind::kRecord) {
            if (At(en.field_key->span)) return FieldHit(en.field_key->span, en.field_key->text, expected, "target");
            std::optional<check::Member> m = env_.FindMember(expected, en.field_key->text);
            Expr(en.value.get(), scope, m ? m->type : check::Type(check::TypeKind::kDyn));
            continue;
          }
          Expr(en.key.get(), scope);
          Expr(en.value.get(), scope);
        }
        return;
      case ast::ExprKind::Unary:
        return Expr(e->As<ast::UnaryExpr>()->operand.get(), scope);
      case ast::ExprKind::Binary: {
        const auto* b = e->As<ast::BinaryExpr>();
        Expr(b->left.get(), scope);
        return Expr(b->right.get(), scope);
      }
      case ast::ExprKind::Conditional: {
        const auto* c = e->As<ast::ConditionalExpr>();
        Expr(c->cond.get(), scope);
        Expr(c->then.get(), scope, expected);
        return Expr(c->otherwise.get(), scope, expected);
      }
      case ast::ExprKind::Coalesce: {
        const auto* c = e->As<ast::CoalesceExpr>();
        Expr(c->value.get(), scope, expected);
        return Expr(c->fallback.get(), scope, expected);
      }
      case ast::ExprKind::Literal:
      case ast::ExprKind::Hold:
        return;
    }
  }

  const Analysis& a_;
  size_t offset_;
  check::TypeEnv env_;
  std::vector<std::pair<std::string, check::Type>> vars_;  // macro variables, innermost last
  Hit hit_;
};

}  // namespace

Hit FindAt(const Analysis& a, size_t offset) { return Finder(a, offset).Run(); }

}  // namespace crmx::lsp
