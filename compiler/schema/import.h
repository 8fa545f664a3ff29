// Defines the schema importers: one entry point per source format, each turning a system's own
// description into the normalized model (model.h), plus format detection, schema-path globbing
// and a dispatcher that loads any supported file (including the crmx JSON form).
//
// Contract shared by every importer:
//   - Errors (unreadable file, malformed JSON/YAML/XML, not the expected format) are returned
//     in ImportResult::error with the file and a position; no exception escapes.
//   - Constructs the importer does not model produce an ImportWarning naming the file and a
//     JSON pointer (XPath-ish for XML); nothing is dropped silently.
//   - Objects come out in source order; when several files define the same object the first
//     wins and a warning names the duplicate.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/schema/model.h"

namespace crmx::schema {

struct ImportWarning {
  std::string file;
  // JSON pointer ("/components/schemas/Invoice/properties/Date") or, for XML, an XPath-ish
  // location ("/Schema/EntityType[@Name='A_CustomerType']/Property[@Name='Customer']").
  std::string pointer;
  std::string message;
};

struct ImportError {
  std::string file;
  // "line 12, column 5" for syntax errors, a JSON pointer for structural ones; may be empty.
  std::string position;
  std::string message;
  // true: the file could not be read at all (CLI exit status 2); false: it was read but is
  // malformed or not in the expected format (exit status 1).
  bool unreadable = false;
};

struct ImportResult {
  Schema schema;
  std::vector<ImportWarning> warnings;
  std::optional<ImportError> error;

  bool ok() const { return !error.has_value(); }
};

struct ImportOptions {
  // Schema::system; when empty the importer picks one ("salesforce", the OpenAPI title...).
  std::string system;
};

enum class Format : uint8_t {
  kCrmxSchema,  // our own JSON form (schema_json.h)
  kSalesforce,  // sObject describe JSON, one object per file
  kOpenApi,     // OpenAPI 3.0 / 3.1, JSON or YAML
  kJsonSchema,  // JSON Schema draft-04/07, one object (stream) per file
  kOData,       // CSDL / EDMX XML, v2 or v4
  kNetSuite,    // SuiteScript records browser JSON (records.json)
  kQuickBooksXsd,  // QuickBooks Online v3 XML Schema (Finance.xsd and its includes)
  kOracleDescribe,  // Oracle Fusion REST resource `describe` JSON ({"Resources": {...}})
  kHubSpot,     // HubSpot property definitions (properties API answers) or HubSpot's per-object OpenAPI
};

std::string_view FormatName(Format format);  // "crmx", "salesforce", "openapi", ...
// Parses a --from value ("salesforce", "openapi", "jsonschema", "odata", "netsuite", "crmx").
std::optional<Format> ParseFormat(std::string_view name);

// Detects the format from the path's extension and the first bytes of `content` (looks at the
// top-level keys; cheap, no full parse). nullopt when it is none of the supported formats.
std::optional<Format> DetectFormat(std::string_view path, std::string_view content);
// Reads the start of the file and detects; nullopt also when the file cannot be read.
std::optional<Format> DetectFormatOfFile(const std::string& path);

// Each importer reads all `files` into one Schema.
ImportResult ImportSalesforce(const std::vector<std::string>& files, const ImportOptions& options);
ImportResult ImportOpenApi(const std::vector<std::string>& files, const ImportOptions& options);
ImportResult ImportJsonSchema(const std::vector<std::string>& files, const ImportOptions& options);
ImportResult ImportOData(const std::vector<std::string>& files, const ImportOptions& options);
ImportResult ImportNetSuite(const std::vector<std::string>& files, const ImportOptions& options);
ImportResult ImportQuickBooksXsd(const std::vector<std::string>& files, const ImportOptions& options);
ImportResult ImportOracleDescribe(const std::vector<std::string>& files, const ImportOptions& options);
ImportResult ImportHubSpot(const std::vector<std::string>& files, const ImportOptions& options);

// Runs the importer for `format` (kCrmxSchema loads and merges crmx JSON files).
ImportResult Import(Format format, const std::vector<std::string>& files,
                    const ImportOptions& options);
// Detects the format of the first file and imports all of them with it; an error when the
// format cannot be detected or the files disagree.
ImportResult ImportAuto(const std::vector<std::string>& files, const ImportOptions& options);

struct GlobResult {
  std::vector<std::string> files;  // sorted, as paths joined onto base_dir
  std::string error;               // non-empty when nothing matched or a directory is missing
};

// Expands `pattern` relative to `base_dir` (absolute patterns ignore base_dir). Wildcards `*`,
// `?` and `[...]` are allowed in every path segment (no `**`). A pattern without wildcards
// returns itself when the file exists. Nothing matching is an error.
GlobResult ExpandGlob(const std::string& base_dir, const std::string& pattern);

}  // namespace crmx::schema
