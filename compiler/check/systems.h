// Defines the systems of a spec with their schemas: the phase that reads each `system`'s
// `schema "..."` files (globs, relative to the spec) through the importers of compiler/schema
// and resolves object references such as `crm.Account` against them.
//
// Lifetime: a Systems value owns the schemas; pointers it returns live as long as it does.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/check/overlays.h"
#include "compiler/diagnostics/diagnostic.h"
#include "compiler/schema/model.h"

namespace crmx::check {

struct LoadedSystem {
  const ast::SystemDecl* decl = nullptr;
  schema::Schema schema;
  // False when a schema file could not be read or imported (already reported): checks that
  // need this system's schema are skipped rather than reporting every name as unknown.
  bool complete = true;
  // Where the system's `field` overlays are declared, by "Object.path" (check/overlays.h);
  // the schema above already holds the facts they state.
  OverlaySpans overlays;
};

class Systems {
 public:
  // Loads the schemas of every system declared in `root` and its imports. Files are found
  // relative to `base_dir` (the spec's folder), then the system's `field` overlays are applied.
  // Reports E0201, E0202, E0203, E0205, E0206 and the overlays' E0204, E0207-E0209, E0301.
  void Load(const ast::Module& root, const std::vector<const ast::Module*>& imports, const std::string& base_dir,
            diag::DiagnosticSink& sink);

  const LoadedSystem* Find(std::string_view name) const;
  // Resolves `system.Object`. Null when the system is unknown (E0106 comes from the structure
  // check), its schema is incomplete, or the object does not exist; only the last is reported
  // here (E0204, with the closest name).
  const schema::Object* ResolveObject(const ast::ObjectRef& ref, diag::DiagnosticSink& sink) const;
  // Like ResolveObject, without reporting.
  const schema::Object* FindObject(const ast::ObjectRef& ref) const;

  const std::map<std::string, LoadedSystem, std::less<>>& all() const { return systems_; }

 private:
  std::map<std::string, LoadedSystem, std::less<>> systems_;
};

// Resolves every object reference of `root` (map sources and targets, owner blocks, alerts,
// reconciles, test records) against the systems' schemas; reports E0204 for unknown objects.
void CheckObjectRefs(const ast::Module& root, const Systems& systems, diag::DiagnosticSink& sink);

}  // namespace crmx::check
