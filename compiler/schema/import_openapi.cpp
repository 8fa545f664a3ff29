// Defines the OpenAPI importer: OpenAPI 3.0 and 3.1 documents, JSON or YAML. Every object
// schema of `components.schemas` becomes an object; schemas that are not objects (enums,
// primitives, arrays) are inlined where they are referenced. The schema-level work ($ref,
// allOf, oneOf/anyOf, nullability, formats, vendor extensions) is SchemaWalker's.
#include "compiler/schema/import.h"
#include "compiler/schema/import_util.h"
#include "compiler/schema/schema_walker.h"

namespace crmx::schema {
namespace {

using detail::Child;
using detail::GetString;
using detail::Json;

std::optional<ImportError> ImportFile(const std::string& path, Schema& schema,
                                      std::vector<ImportWarning>& warnings,
                                      std::string& title) {
  Json doc;
  if (auto err = detail::LoadJsonFile(path, doc, true)) return err;
  if (!doc.is_object()) return ImportError{path, "", "not an OpenAPI document: not a mapping",
                                           false};
  if (doc.contains("swagger")) {
    return ImportError{path, "/swagger",
                       "Swagger 2.0 is not supported: convert it to OpenAPI 3 first", false};
  }
  auto version = GetString(doc, "openapi");
  if (!version || version->substr(0, 2) != "3.") {
    return ImportError{path, "/openapi", "not an OpenAPI 3.x document: `openapi` is " +
                                             (version ? "`" + *version + "`" : "missing"),
                       false};
  }
  if (title.empty() && doc.contains("info")) title = GetString(doc["info"], "title").value_or("");
  auto dialect = version->substr(0, 3) == "3.0" ? detail::Dialect::kOpenApi30
                                                 : detail::Dialect::kOpenApi31;
  detail::SchemaWalker walker(dialect, schema, warnings);
  const detail::Doc* root = walker.AddDoc(path, std::move(doc));
  const Json* schemas = nullptr;
  if (auto c = root->root.find("components"); c != root->root.end() && c->is_object()) {
    if (auto s = c->find("schemas"); s != c->end() && s->is_object()) schemas = &*s;
  }
  if (schemas == nullptr) {
    walker.Warn(root, "/components", "no `components.schemas`: the document defines no objects");
    return std::nullopt;
  }
  detail::Warner w(path, warnings);
  for (const auto& [name, node] : schemas->items()) {
    detail::Loc loc{root, &node, Child("/components/schemas", name)};
    if (!walker.IsObjectLike(loc)) continue;  // enums and primitives are inlined at use
    detail::AddObjectOrWarn(schema, walker.BuildObject(name, loc), w);
  }
  walker.DrainPending();
  return std::nullopt;
}

}  // namespace

ImportResult ImportOpenApi(const std::vector<std::string>& files, const ImportOptions& options) {
  ImportResult r;
  r.schema.source_format = "openapi";
  std::string title;
  for (const auto& file : files) {
    r.schema.source_files.push_back(file);
    if (auto err = ImportFile(file, r.schema, r.warnings, title)) {
      r.error = std::move(err);
      return r;
    }
  }
  r.schema.system = !options.system.empty() ? options.system
                                            : (!title.empty() ? title : std::string("openapi"));
  r.schema.Reindex();
  return r;
}

}  // namespace crmx::schema
