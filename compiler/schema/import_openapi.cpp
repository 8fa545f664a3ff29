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
    Object obj = walker.BuildObject(name, loc);
    // Xero names an object's own id `<Object>ID` (ContactID, InvoiceID), a uuid the server
    // assigns, and marks it nowhere: it is the record's id (an update names the record by it;
    // a create leaves it out), so it is not required and keys an update-only map.
    if (Field* id = obj.FindField(name + "ID"); id != nullptr && id->format == "uuid" && !obj.fields.empty()) {
      bool other_key = false;
      for (const Field& f : obj.fields) other_key = other_key || f.key;
      if (!other_key) {
        id->key = true;
        id->unique = true;
        id->required_on_create = false;
      }
    }
    detail::AddObjectOrWarn(schema, std::move(obj), w);
  }
  walker.DrainPending();
  return std::nullopt;
}

// OData V2's JSON wraps a to-many navigation's rows in `{"results": [...]}`, and SAP's API Hub
// OpenAPI files say so (A_SalesOrder.to_Item: an object whose one property `results` is an
// array of A_SalesOrderItem). The field is the list (what a map writes: `to_Item = lines.map(...)`),
// the wrapper an extension the SAP connector writes back.
void UnwrapODataResults(Schema& schema) {
  for (Object& o : schema.objects) {
    for (Field& f : o.fields) {
      if (f.type.kind != TypeKind::kObject || !f.type.object || f.type.object->fields.size() != 1) continue;
      Field& inner = f.type.object->fields.front();
      if (inner.name != "results" || inner.type.kind != TypeKind::kList) continue;
      Type list = inner.type;
      f.type = std::move(list);
      f.extensions["odata:v2-results"] = "true";
    }
  }
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
  UnwrapODataResults(r.schema);
  r.schema.system = !options.system.empty() ? options.system
                                            : (!title.empty() ? title : std::string("openapi"));
  r.schema.Reindex();
  return r;
}

}  // namespace crmx::schema
