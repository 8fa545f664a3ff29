// Defines format detection, the importer dispatcher and schema-path glob expansion.
#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "compiler/schema/import.h"
#include "compiler/schema/import_util.h"
#include "compiler/schema/schema_json.h"

namespace crmx::schema {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool HasWildcard(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

}  // namespace

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kCrmxSchema: return "crmx";
    case Format::kSalesforce: return "salesforce";
    case Format::kOpenApi: return "openapi";
    case Format::kJsonSchema: return "jsonschema";
    case Format::kOData: return "odata";
    case Format::kNetSuite: return "netsuite";
    case Format::kOracleDescribe: return "oracle";
    case Format::kQuickBooksXsd: return "quickbooks";
    case Format::kHubSpot: return "hubspot";
  }
  return "unknown";
}

std::optional<Format> ParseFormat(std::string_view name) {
  for (Format f : {Format::kCrmxSchema, Format::kSalesforce, Format::kOpenApi, Format::kJsonSchema,
                   Format::kOData, Format::kNetSuite, Format::kOracleDescribe, Format::kHubSpot,
                   Format::kQuickBooksXsd}) {
    if (FormatName(f) == name) return f;
  }
  if (name == "edmx" || name == "csdl") return Format::kOData;
  if (name == "json-schema") return Format::kJsonSchema;
  return std::nullopt;
}

std::optional<Format> DetectFormat(std::string_view path, std::string_view content) {
  std::string lower_path = Lowercase(path);
  size_t i = 0;
  if (content.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < content.size() && std::string_view(" \t\r\n").find(content[i]) != std::string_view::npos) {
    ++i;
  }
  std::string_view body = content.substr(i);
  // QuickBooks Online's v3 XML Schema: an xs:schema of Intuit's finance namespace.
  if (!body.empty() && body[0] == '<' && body.substr(0, 4096).find("XMLSchema") != std::string_view::npos &&
      body.substr(0, 4096).find("schema.intuit.com") != std::string_view::npos) {
    return Format::kQuickBooksXsd;
  }
  if (EndsWith(lower_path, ".edmx") || (!body.empty() && body[0] == '<')) {
    bool odata = body.find("Edmx") != std::string_view::npos ||
                 body.substr(0, 4096).find("<Schema") != std::string_view::npos;
    return odata ? std::optional<Format>(Format::kOData) : std::nullopt;
  }
  std::string_view head = body.substr(0, 1 << 16);
  bool json = !body.empty() && (body[0] == '{' || body[0] == '[');
  if (!json) {
    // YAML: only OpenAPI is supported.
    bool yaml_ext = EndsWith(lower_path, ".yaml") || EndsWith(lower_path, ".yml");
    if (head.find("openapi:") != std::string_view::npos ||
        (yaml_ext && head.find("swagger:") != std::string_view::npos)) {
      return Format::kOpenApi;
    }
    return std::nullopt;
  }
  if (head.substr(0, 512).find("\"crmx_schema\"") != std::string_view::npos) {
    return Format::kCrmxSchema;
  }
  // Oracle Fusion REST describe: {"Resources": {"<resource>": {"attributes": [...]}}}.
  if (head.substr(0, 512).find("\"Resources\"") != std::string_view::npos &&
      head.find("\"attributes\"") != std::string_view::npos) {
    return Format::kOracleDescribe;
  }
  // HubSpot property definitions (the properties API's answer: results[] with fieldType), and
  // HubSpot's OpenAPI of one object type (paths /crm/v3/objects/<type>/...: import_hubspot.cpp).
  if (head.substr(0, 512).find("\"results\"") != std::string_view::npos &&
      head.find("\"fieldType\"") != std::string_view::npos) {
    return Format::kHubSpot;
  }
  if (head.find("\"openapi\"") != std::string_view::npos && head.find("api.hubapi.com") != std::string_view::npos) {
    for (size_t at = head.find("\"/crm/v3/objects/"); at != std::string_view::npos;
         at = head.find("\"/crm/v3/objects/", at + 1)) {
      char c = at + 17 < head.size() ? head[at + 17] : '{';
      if (c >= 'a' && c <= 'z') return Format::kHubSpot;
    }
  }
  if (head.find("\"openapi\"") != std::string_view::npos ||
      head.find("\"swagger\"") != std::string_view::npos) {
    return Format::kOpenApi;
  }
  if (head.substr(0, 512).find("\"records\"") != std::string_view::npos &&
      head.find("\"internalId\"") != std::string_view::npos) {
    return Format::kNetSuite;
  }
  if (head.find("\"fields\"") != std::string_view::npos &&
      (head.find("\"nillable\"") != std::string_view::npos ||
       head.find("\"childRelationships\"") != std::string_view::npos)) {
    return Format::kSalesforce;
  }
  if (head.find("\"properties\"") != std::string_view::npos ||
      head.find("json-schema.org") != std::string_view::npos) {
    return Format::kJsonSchema;
  }
  return std::nullopt;
}

std::optional<Format> DetectFormatOfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string buf(1 << 16, '\0');
  in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
  buf.resize(static_cast<size_t>(in.gcount()));
  return DetectFormat(path, buf);
}

namespace {

ImportResult ImportCrmx(const std::vector<std::string>& files, const ImportOptions& options) {
  ImportResult merged;
  for (size_t i = 0; i < files.size(); ++i) {
    ImportResult one = ReadSchemaFile(files[i]);
    merged.warnings.insert(merged.warnings.end(), one.warnings.begin(), one.warnings.end());
    if (!one.ok()) {
      merged.error = one.error;
      return merged;
    }
    if (i == 0) {
      merged.schema = std::move(one.schema);
      continue;
    }
    detail::Warner w(files[i], merged.warnings);
    for (auto& f : one.schema.source_files) merged.schema.source_files.push_back(f);
    for (auto& o : one.schema.objects) detail::AddObjectOrWarn(merged.schema, std::move(o), w);
  }
  if (!options.system.empty()) merged.schema.system = options.system;
  merged.schema.Reindex();
  return merged;
}

}  // namespace

ImportResult Import(Format format, const std::vector<std::string>& files,
                    const ImportOptions& options) {
  switch (format) {
    case Format::kCrmxSchema: return ImportCrmx(files, options);
    case Format::kSalesforce: return ImportSalesforce(files, options);
    case Format::kOpenApi: return ImportOpenApi(files, options);
    case Format::kJsonSchema: return ImportJsonSchema(files, options);
    case Format::kOData: return ImportOData(files, options);
    case Format::kNetSuite: return ImportNetSuite(files, options);
    case Format::kOracleDescribe: return ImportOracleDescribe(files, options);
    case Format::kQuickBooksXsd: return ImportQuickBooksXsd(files, options);
    case Format::kHubSpot: return ImportHubSpot(files, options);
  }
  ImportResult r;
  r.error = ImportError{"", "", "unknown schema format", false};
  return r;
}

ImportResult ImportAuto(const std::vector<std::string>& files, const ImportOptions& options) {
  ImportResult r;
  if (files.empty()) {
    r.error = ImportError{"", "", "no schema files given", true};
    return r;
  }
  std::optional<Format> first;
  for (const auto& file : files) {
    std::string text;
    std::string err;
    std::ifstream probe(file, std::ios::binary);
    if (!probe) {
      std::string msg;
      detail::ReadFile(file, text, msg);
      r.error = ImportError{file, "", msg.empty() ? "cannot read `" + file + "`" : msg, true};
      return r;
    }
    auto format = DetectFormatOfFile(file);
    if (!format) {
      r.error = ImportError{file, "", "cannot tell the schema format of `" + file +
                                          "`: expected a Salesforce describe, OpenAPI 3, JSON "
                                          "Schema, OData EDMX, NetSuite records.json or crmx "
                                          "schema; name it with --from", false};
      return r;
    }
    if (first && *format != *first) {
      r.error = ImportError{file, "", "`" + file + "` is " + std::string(FormatName(*format)) +
                                          " but `" + files.front() + "` is " +
                                          std::string(FormatName(*first)) +
                                          ": import each format separately", false};
      return r;
    }
    first = format;
  }
  return Import(*first, files, options);
}

GlobResult ExpandGlob(const std::string& base_dir, const std::string& pattern) {
  namespace fs = std::filesystem;
  GlobResult out;
  fs::path pat(pattern);
  fs::path root = pat.is_absolute() ? pat.root_path() : fs::path(base_dir);
  fs::path rel = pat.is_absolute() ? pat.relative_path() : pat;
  std::vector<fs::path> current{root};
  std::error_code ec;
  for (const auto& seg_path : rel) {
    std::string seg = seg_path.string();
    if (seg.empty() || seg == ".") continue;
    std::vector<fs::path> next;
    for (const auto& dir : current) {
      if (!HasWildcard(seg)) {
        fs::path p = dir.empty() ? fs::path(seg) : dir / seg;
        if (fs::exists(p, ec)) next.push_back(p);
        continue;
      }
      if (seg == "**") {
        out.error = "`**` is not supported in schema paths (`" + pattern + "`)";
        return out;
      }
      fs::path d = dir.empty() ? fs::path(".") : dir;
      if (!fs::is_directory(d, ec)) continue;
      for (const auto& entry : fs::directory_iterator(d, ec)) {
        std::string name = entry.path().filename().string();
        // Like the shell: wildcards do not match a leading dot unless the pattern has one.
        if (!name.empty() && name[0] == '.' && seg[0] != '.') continue;
        if (fnmatch(seg.c_str(), name.c_str(), 0) == 0) {
          next.push_back(dir.empty() ? fs::path(name) : dir / name);
        }
      }
    }
    current = std::move(next);
    if (current.empty()) break;
  }
  for (const auto& p : current) {
    if (fs::is_regular_file(p, ec)) out.files.push_back(p.string());
  }
  std::sort(out.files.begin(), out.files.end());
  if (out.files.empty()) {
    out.error = "no schema file matches `" + pattern + "`" +
                (pat.is_absolute() || base_dir.empty() ? "" : " (relative to `" + base_dir + "`)");
  }
  return out;
}

}  // namespace crmx::schema
