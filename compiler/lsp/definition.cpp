// Defines textDocument/definition of `crmxc lsp` (features.h): a map, table or system name to
// its declaration (in the document or an imported module), an import's path to the imported
// file, an object to its schema file and a field to the line of its schema file that names it
// (or to the `field` overlay that added it). The schema model keeps a field's file but no line
// numbers, so the line is found by searching the file's text: the object's name first, then the
// field's name after it.
#include <filesystem>
#include <string_view>

#include "compiler/lsp/analysis.h"
#include "compiler/lsp/features.h"
#include "compiler/schema/import.h"

namespace crmx::lsp {

namespace {

namespace fs = std::filesystem;

nlohmann::json FileStart(const std::string& path) {
  Position p;
  return {{"uri", UriFromPath(path)}, {"range", {{"start", ToJson(p)}, {"end", ToJson(p)}}}};
}

// The offset of the first occurrence of `name` as a name in a schema file's text, at or after
// `from`: `"name": "X"` (Salesforce describe, crmx schema), `Name="X"` / `name="X"` (EDMX, XSD),
// `"X":` (a JSON object key: OpenAPI, JSON Schema), then `"X"` anywhere. npos when absent.
size_t FindName(std::string_view text, const std::string& name, size_t from) {
  const std::string quoted = "\"" + name + "\"";
  size_t best = std::string_view::npos;
  // `"name": "X"` with any spacing around the colon.
  for (size_t i = text.find(quoted, from); i != std::string_view::npos; i = text.find(quoted, i + 1)) {
    size_t j = i;
    while (j > 0 && (text[j - 1] == ' ' || text[j - 1] == '\t' || text[j - 1] == '\n' || text[j - 1] == '\r')) --j;
    if (j > 0 && (text[j - 1] == ':' || text[j - 1] == '=')) {
      size_t k = j - 1;
      while (k > 0 && (text[k - 1] == ' ' || text[k - 1] == '\t')) --k;
      std::string_view before = text.substr(0, k);
      for (std::string_view key : {std::string_view("\"name\""), std::string_view("Name"), std::string_view("name")}) {
        if (before.size() >= key.size() && before.substr(before.size() - key.size()) == key) return i;
      }
    }
    size_t after = i + quoted.size();
    while (after < text.size() && (text[after] == ' ' || text[after] == '\t')) ++after;
    if (after < text.size() && text[after] == ':' && best == std::string_view::npos) best = i;
  }
  if (best != std::string_view::npos) return best;
  return text.find(quoted, from);
}

// A Location in `path` at the line naming `field` of `object` (the object's first mention when
// `field` is empty); the file's start when neither is found.
nlohmann::json SchemaLocation(const std::string& path, const std::string& object, const std::string& field) {
  std::string text = ReadFileText(path);
  if (text.empty()) return FileStart(path);
  size_t at = FindName(text, object, 0);
  size_t from = at == std::string::npos ? 0 : at;
  if (!field.empty()) {
    size_t f = FindName(text, field, from);
    if (f == std::string::npos) f = FindName(text, field, 0);
    at = f;
  }
  if (at == std::string::npos) return FileStart(path);
  Document file(UriFromPath(path), path, std::move(text), 0);
  // Past the opening quote: the range is the name itself.
  size_t begin = at + 1;
  return {{"uri", file.uri()}, {"range", file.Range(begin, begin + (field.empty() ? object : field).size())}};
}

std::string Absolute(const Analysis& a, const std::string& path) {
  // Schema files are found relative to the spec's folder, which may itself be relative.
  fs::path p(path);
  std::error_code ec;
  if (p.is_relative() && !fs::exists(p, ec) && !a.base_dir.empty()) p = fs::path(a.base_dir) / p;
  return fs::absolute(p, ec).lexically_normal().string();
}

// The schema file that describes `object` of `system`: the file its schema model names when it
// exists, else the first of the system's `schema` files whose text names the object (a schema
// in crmx's own form names the vendor's files it came from, not itself). "" when none does.
std::string SchemaFileOf(const Analysis& a, const check::LoadedSystem* system, const schema::Object& object,
                         const std::string& named) {
  std::error_code ec;
  if (!named.empty()) {
    std::string p = Absolute(a, named);
    if (fs::is_regular_file(p, ec)) return p;
  }
  if (system == nullptr || system->decl == nullptr) return "";
  for (const ast::SchemaSetting& setting : system->decl->schemas) {
    for (const std::string& file : schema::ExpandGlob(a.base_dir, setting.path).files) {
      if (FindName(ReadFileText(file), object.name, 0) != std::string::npos) return Absolute(a, file);
    }
  }
  return "";
}

}  // namespace

nlohmann::json Definition(const Document& doc, Position pos) {
  std::shared_ptr<const Analysis> a = Analyze(doc);
  Hit h = FindAt(*a, doc.Offset(pos));
  switch (h.kind) {
    case HitKind::Map:
      if (h.map != nullptr) return LocationOf(*a, doc, h.map->name.span);
      return nullptr;
    case HitKind::Table:
      if (h.table != nullptr) return LocationOf(*a, doc, h.table->name.span);
      return nullptr;
    case HitKind::System: {
      const ast::SystemDecl* d = a->FindSystem(h.name);
      if (d != nullptr) return LocationOf(*a, doc, d->name.span);
      return nullptr;
    }
    case HitKind::Import: {
      fs::path target = fs::path(a->base_dir) / h.name;
      std::error_code ec;
      if (!fs::is_regular_file(target, ec)) return nullptr;
      return FileStart(target.lexically_normal().string());
    }
    case HitKind::Object: {
      if (h.object == nullptr) return nullptr;
      std::string file = SchemaFileOf(*a, h.system, *h.object, h.object->source.file);
      if (file.empty()) return nullptr;
      return SchemaLocation(file, h.object->name, "");
    }
    case HitKind::Field: {
      if (h.field == nullptr) {
        // A relationship: the related object's schema.
        if (h.object == nullptr) return nullptr;
        std::string file = SchemaFileOf(*a, h.system, *h.object, h.object->source.file);
        if (file.empty()) return nullptr;
        return SchemaLocation(file, h.object->name, "");
      }
      // A field an overlay added (or changed) is defined where the spec says so when the
      // schema file does not have it.
      if (h.system != nullptr && h.object != nullptr) {
        auto it = h.system->overlays.find(h.object->name + "." + h.field->name);
        if (it != h.system->overlays.end() && h.field->source.file.empty()) return LocationOf(*a, doc, it->second);
      }
      if (h.object == nullptr) return nullptr;
      std::string named = !h.field->source.file.empty() ? h.field->source.file : h.object->source.file;
      std::string file = SchemaFileOf(*a, h.system, *h.object, named);
      if (file.empty()) return nullptr;
      return SchemaLocation(file, h.object->name, h.field->name);
    }
    case HitKind::None:
    case HitKind::Function:
    case HitKind::Macro:
    case HitKind::Variable:
      return nullptr;
  }
  return nullptr;
}

}  // namespace crmx::lsp
