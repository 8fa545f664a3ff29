// Defines the JSON Schema importer: draft-04/06/07 stream schemas as written by Singer taps,
// Airbyte and Meltano connectors. One file is one object (a stream), named after the file
// ("customers.json" -> `customers`). Nullability as `["null", X]`, nested objects (inline object
// types), arrays, `format: singer.decimal`, `airbyte_type`, relative-file `$ref`s and the
// document's own absolute `$id` are handled by SchemaWalker.
#include "compiler/schema/import.h"
#include "compiler/schema/import_util.h"
#include "compiler/schema/schema_walker.h"

namespace crmx::schema {
namespace {

using detail::Json;

std::optional<ImportError> ImportFile(const std::string& path, Schema& schema,
                                      std::vector<ImportWarning>& warnings) {
  Json doc;
  if (auto err = detail::LoadJsonFile(path, doc, false)) return err;
  if (!doc.is_object()) return ImportError{path, "", "not a JSON Schema: not an object", false};
  detail::SchemaWalker walker(detail::Dialect::kJsonSchema, schema, warnings);
  const detail::Doc* root = walker.AddDoc(path, std::move(doc));
  detail::Loc loc{root, &root->root, ""};
  detail::Warner w(path, warnings);
  if (!walker.IsObjectLike(loc)) {
    return ImportError{path, "", "not a stream schema: the root is not an object with `properties`",
                       false};
  }
  if (auto dollar = detail::GetString(root->root, "$schema")) {
    bool known = dollar->find("draft-04") != std::string::npos ||
                 dollar->find("draft-06") != std::string::npos ||
                 dollar->find("draft-07") != std::string::npos;
    if (!known) w.Warn("/$schema", "`$schema` " + *dollar + " is read as draft-07");
  }
  Object obj = walker.BuildObject(detail::Stem(path), loc);
  if (obj.label.empty()) obj.label = obj.name;
  for (const auto& f : obj.fields) {
    if (f.name.find('.') != std::string::npos) {
      obj.extensions["dotted_field_names"] = "true";
      break;
    }
  }
  detail::AddObjectOrWarn(schema, std::move(obj), w);
  return std::nullopt;
}

}  // namespace

ImportResult ImportJsonSchema(const std::vector<std::string>& files,
                              const ImportOptions& options) {
  return detail::ImportEachFile(files, options, "jsonschema", ImportFile);
}

}  // namespace crmx::schema
