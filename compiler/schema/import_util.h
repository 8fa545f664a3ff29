// Defines helpers shared by the importers (internal to crmx_schema): reading files, parsing JSON
// and YAML into one JSON tree with errors as values, JSON pointers, typed member access and the
// warning collector.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/schema/import.h"

namespace crmx::schema::detail {

// Order-preserving JSON: field order in the model follows the source.
using Json = nlohmann::ordered_json;

// Reads a whole file; false with `error` set ("cannot read FILE: reason").
bool ReadFile(const std::string& path, std::string& out, std::string& error);

// "line L, column C" of a byte offset.
std::string PositionOf(std::string_view text, size_t offset);

// Parses JSON; on failure returns the error (with line/column) and leaves `out` unspecified.
std::optional<ImportError> ParseJson(std::string_view text, const std::string& path, Json& out);
// Parses YAML (1.2 core schema scalars: null, booleans, numbers; quoted scalars stay strings).
std::optional<ImportError> ParseYaml(std::string_view text, const std::string& path, Json& out);
// JSON when the text starts with `{` or `[`, else YAML.
std::optional<ImportError> ParseJsonOrYaml(std::string_view text, const std::string& path,
                                           Json& out);
// Reads and parses in one step (the error is `unreadable` when the file cannot be read).
std::optional<ImportError> LoadJsonFile(const std::string& path, Json& out, bool allow_yaml);

// Escapes one reference token (RFC 6901: ~ -> ~0, / -> ~1).
std::string EscapePointer(std::string_view token);
// parent + "/" + escaped token.
std::string Child(const std::string& parent, std::string_view token);
std::string Child(const std::string& parent, size_t index);

// Typed member access: nullopt when absent, null or of another type.
std::optional<bool> GetBool(const Json& j, const char* key);
std::optional<std::string> GetString(const Json& j, const char* key);
std::optional<uint32_t> GetUint(const Json& j, const char* key);
// Value as text: strings as is, other scalars dumped; empty for null/absent.
std::string ScalarText(const Json& j);

// The file name without directories and without the last extension(s) given.
std::string Stem(const std::string& path);

// Collects warnings for one file.
class Warner {
 public:
  Warner(std::string file, std::vector<ImportWarning>& out) : file_(std::move(file)), out_(out) {}
  void Warn(std::string pointer, std::string message) {
    out_.push_back({file_, std::move(pointer), std::move(message)});
  }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<ImportWarning>& out_;
};

// Adds `object` to `schema`; a duplicate name becomes a warning and the first one stays.
void AddObjectOrWarn(Schema& schema, Object object, Warner& warner);

// Sets required_on_create from the Salesforce-style rule: not nullable, not defaulted, createable.
// Unknown inputs leave it unknown unless another input already decides it.
void DeriveRequiredOnCreate(Field& field);

// The shape of an importer whose files each add objects: names the schema (`format` unless the
// options name the system), imports `files` in order with
// `import_file(file, schema, warnings) -> std::optional<ImportError>`, stops at the first error,
// and reindexes the schema.
template <typename ImportFile>
ImportResult ImportEachFile(const std::vector<std::string>& files, const ImportOptions& options,
                            const char* format, ImportFile import_file) {
  ImportResult r;
  r.schema.system = options.system.empty() ? format : options.system;
  r.schema.source_format = format;
  for (const auto& file : files) {
    r.schema.source_files.push_back(file);
    if (auto err = import_file(file, r.schema, r.warnings)) {
      r.error = std::move(err);
      return r;
    }
  }
  r.schema.Reindex();
  return r;
}

}  // namespace crmx::schema::detail
