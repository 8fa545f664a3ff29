// Defines the loading of systems' schemas and object resolution (see systems.h).
#include "compiler/check/systems.h"

#include <algorithm>
#include <filesystem>

#include "compiler/check/structure.h"
#include "compiler/schema/import.h"

namespace crmx::check {

namespace fs = std::filesystem;

void Systems::Load(const ast::Module& root, const std::vector<const ast::Module*>& imports,
                   const std::string& base_dir, diag::DiagnosticSink& sink) {
  std::vector<const ast::Module*> modules(imports.begin(), imports.end());
  modules.push_back(&root);
  for (const ast::Module* m : modules) {
    for (const ast::SystemDecl* sys : m->All<ast::SystemDecl>()) {
      if (sys->name.text.empty() || systems_.count(sys->name.text) != 0) continue;
      LoadedSystem loaded;
      loaded.decl = sys;
      loaded.schema.system = sys->name.text;
      if (sys->schemas.empty()) {
        diag::Diagnostic d = diag::Make(diag::Kind::SystemWithoutSchema, sys->name.span,
                                        "system `" + sys->name.text + "` declares no schema, so its objects and fields "
                                        "are not checked",
                                        "no `schema`");
        d.help = "add `schema \"PATH\"` with the system's describe, OpenAPI, JSON Schema, EDMX or crmx schema files";
        sink.Report(std::move(d));
        loaded.complete = false;
      }
      for (const ast::SchemaSetting& setting : sys->schemas) {
        std::optional<schema::Format> format;
        if (setting.format) {
          format = schema::ParseFormat(setting.format->text);
          if (!format) {
            diag::Diagnostic d = diag::Make(diag::Kind::UnknownSchemaFormat, setting.format->span,
                                            "`" + setting.format->text + "` is not a schema format",
                                            "unknown format");
            d.help = "the formats are `salesforce`, `openapi`, `jsonschema`, `odata`, `netsuite` and `crmx`; "
                     "leave `as ...` out to detect the format from the file";
            sink.Report(std::move(d));
            loaded.complete = false;
            continue;
          }
        }
        schema::GlobResult files = schema::ExpandGlob(base_dir, setting.path);
        if (files.files.empty()) {
          diag::Diagnostic d = diag::Make(diag::Kind::SchemaNotFound, setting.span,
                                          "no schema file matches `" + setting.path + "`", "nothing matches");
          d.notes.push_back("schema paths are relative to the spec's folder: looked in `" +
                            (base_dir.empty() ? std::string(".") : base_dir) + "`");
          sink.Report(std::move(d));
          loaded.complete = false;
          continue;
        }
        schema::ImportOptions options;
        options.system = sys->name.text;
        schema::ImportResult result =
            format ? schema::Import(*format, files.files, options) : schema::ImportAuto(files.files, options);
        if (!result.ok()) {
          const schema::ImportError& e = *result.error;
          diag::Diagnostic d = diag::Make(diag::Kind::SchemaImportFailed, setting.span,
                                          "cannot import schema `" + e.file + "`: " + e.message,
                                          "imported from here");
          if (!e.position.empty()) d.notes.push_back("at " + e.position);
          sink.Report(std::move(d));
          loaded.complete = false;
          continue;
        }
        // One warning per cause: the same message at several places of the files (five
        // properties of one unsupported type) is reported once, with the places in a note.
        std::vector<std::pair<std::string, std::vector<std::string>>> causes;
        for (const schema::ImportWarning& w : result.warnings) {
          std::string where = w.file + (w.pointer.empty() ? "" : "#" + w.pointer);
          auto same = std::find_if(causes.begin(), causes.end(), [&](const auto& c) { return c.first == w.message; });
          if (same == causes.end()) causes.push_back({w.message, {where}});
          else same->second.push_back(where);
        }
        for (const auto& [message, places] : causes) {
          diag::Diagnostic d = diag::Make(diag::Kind::SchemaImportWarning, setting.span,
                                          message + " (" + places.front() +
                                              (places.size() > 1 ? " and " + std::to_string(places.size() - 1) +
                                                                       (places.size() == 2 ? " other place" : " other places")
                                                                 : std::string()) +
                                              ")",
                                          "imported from here");
          if (places.size() > 1) {
            std::string list;
            // A place in the same file as the first is shown by its pointer only.
            const std::string file = places.front().substr(0, places.front().find('#'));
            for (size_t i = 1; i < places.size() && i <= 5; ++i) {
              std::string p = places[i];
              if (p.size() > file.size() && p.compare(0, file.size() + 1, file + "#") == 0) p = p.substr(file.size());
              list += (i > 1 ? ", " : "") + p;
            }
            if (places.size() > 6) list += " and " + std::to_string(places.size() - 6) + " more";
            d.notes.push_back("also at " + list);
          }
          sink.Report(std::move(d));
        }
        for (schema::Object& obj : result.schema.objects) {
          std::string name = obj.name;
          if (!loaded.schema.AddObject(std::move(obj))) {
            diag::Diagnostic d = diag::Make(diag::Kind::SchemaImportWarning, setting.span,
                                            "object `" + name + "` is defined by two schema files; the first wins",
                                            "imported from here");
            sink.Report(std::move(d));
          }
        }
      }
      loaded.schema.Reindex();
      loaded.overlays = ApplyOverlays(*sys, loaded.schema, loaded.complete, sink);
      systems_.emplace(sys->name.text, std::move(loaded));
    }
  }
}

const LoadedSystem* Systems::Find(std::string_view name) const {
  auto it = systems_.find(name);
  return it == systems_.end() ? nullptr : &it->second;
}

const schema::Object* Systems::FindObject(const ast::ObjectRef& ref) const {
  const LoadedSystem* sys = Find(ref.system.text);
  if (sys == nullptr) return nullptr;
  return sys->schema.FindObject(ref.object.text);
}

const schema::Object* Systems::ResolveObject(const ast::ObjectRef& ref, diag::DiagnosticSink& sink) const {
  const LoadedSystem* sys = Find(ref.system.text);
  if (sys == nullptr || ref.object.text.empty()) return nullptr;
  if (const schema::Object* obj = sys->schema.FindObject(ref.object.text)) return obj;
  if (!sys->complete) return nullptr;
  std::vector<std::string> names;
  for (const schema::Object& o : sys->schema.objects) names.push_back(o.name);
  diag::Diagnostic d = diag::Make(diag::Kind::UnknownObject, ref.object.span,
                                  "`" + ref.object.text + "` is not an object of system `" + ref.system.text + "`",
                                  "unknown object");
  std::string near = ClosestName(ref.object.text, names);
  if (!near.empty()) {
    d.help = "did you mean `" + near + "`?";
    d.fix = diag::Fix{ref.object.span, near, false};
  } else {
    d.notes.push_back("system `" + ref.system.text + "` has " + std::to_string(names.size()) +
                      " objects in its schema; `crmxc schema show` lists them");
  }
  sink.Report(std::move(d));
  return nullptr;
}

void CheckObjectRefs(const ast::Module& root, const Systems& systems, diag::DiagnosticSink& sink) {
  for (const ast::DeclPtr& d : root.items) {
    if (const auto* m = d->As<ast::MapDecl>()) {
      systems.ResolveObject(m->source, sink);
      systems.ResolveObject(m->target, sink);
    } else if (const auto* o = d->As<ast::OwnerDecl>()) {
      for (const ast::OwnedObject& obj : o->objects) {
        ast::ObjectRef ref{o->system, obj.object, obj.span};
        systems.ResolveObject(ref, sink);
      }
    } else if (const auto* a = d->As<ast::AlertDecl>()) {
      systems.ResolveObject(a->object, sink);
    } else if (const auto* r = d->As<ast::ReconcileDecl>()) {
      systems.ResolveObject(r->left, sink);
      systems.ResolveObject(r->right, sink);
    } else if (const auto* t = d->As<ast::TestDecl>()) {
      for (const ast::TestStmt& st : t->stmts) {
        if (st.record) systems.ResolveObject(st.record->object, sink);
      }
    }
  }
}

}  // namespace crmx::check
