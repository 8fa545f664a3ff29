// Defines the JSON-Schema walker shared by the OpenAPI and JSON Schema importers.
#include "compiler/schema/schema_walker.h"

#include <filesystem>

namespace crmx::schema::detail {
namespace {

constexpr int kMaxDepth = 48;
constexpr const char* kComponents = "/components/schemas/";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Splits "file#/ptr" into its parts.
void SplitRef(const std::string& ref, std::string& file, std::string& pointer) {
  auto hash = ref.find('#');
  file = ref.substr(0, hash);
  pointer = hash == std::string::npos ? "" : ref.substr(hash + 1);
}

// Percent-decodes a URI fragment ("%24" -> "$").
std::string PercentDecode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The `type` keyword as a list of names (3.1 / JSON Schema allow arrays).
std::vector<std::string> TypeNames(const Json& s) {
  std::vector<std::string> out;
  auto it = s.find("type");
  if (it == s.end()) return out;
  if (it->is_string()) {
    out.push_back(it->get<std::string>());
  } else if (it->is_array()) {
    for (const auto& t : *it) {
      if (t.is_string()) out.push_back(t.get<std::string>());
    }
  }
  return out;
}

bool IsNullSchema(const Json& s) {
  auto names = TypeNames(s);
  return names.size() == 1 && names[0] == "null";
}

// Keywords that describe only documentation or validation we keep as extensions.
bool IsValidationKeyword(const std::string& k) {
  static const char* const kKeys[] = {"pattern",   "minimum",   "maximum",  "exclusiveMinimum",
                                      "exclusiveMaximum", "minLength", "multipleOf", "minItems",
                                      "maxItems",  "uniqueItems", "deprecated", "writeOnly",
                                      "const",     "minProperties", "maxProperties"};
  for (const char* key : kKeys) {
    if (k == key) return true;
  }
  return false;
}

}  // namespace

const Doc* SchemaWalker::AddDoc(std::string path, Json root) {
  std::string key = path;
  std::error_code ec;
  auto canon = std::filesystem::weakly_canonical(path, ec);
  if (!ec) key = canon.string();
  auto doc = std::make_unique<Doc>(Doc{std::move(path), std::move(root)});
  const Doc* raw = doc.get();
  docs_[key] = std::move(doc);
  root_docs_.insert(raw);
  return raw;
}

void SchemaWalker::Warn(const Loc& loc, std::string message) {
  Warn(loc.doc, loc.pointer, std::move(message));
}

void SchemaWalker::Warn(const Doc* doc, std::string pointer, std::string message) {
  warnings_.push_back({doc ? doc->path : std::string(), std::move(pointer), std::move(message)});
}

const Doc* SchemaWalker::LoadDoc(const std::string& file, const Loc& from) {
  namespace fs = std::filesystem;
  fs::path base = fs::path(from.doc->path).parent_path();
  fs::path target = base / file;
  std::error_code ec;
  auto canon = fs::weakly_canonical(target, ec);
  std::string key = ec ? target.string() : canon.string();
  if (auto it = docs_.find(key); it != docs_.end()) return it->second.get();
  if (failed_docs_.count(key)) return nullptr;
  Json root;
  if (auto err = LoadJsonFile(target.string(), root, true)) {
    failed_docs_.insert(key);
    Warn(from, "`$ref` to `" + file + "` cannot be followed: " + err->message +
                   (err->position.empty() ? "" : " at " + err->position));
    return nullptr;
  }
  auto doc = std::make_unique<Doc>(Doc{target.string(), std::move(root)});
  const Doc* raw = doc.get();
  docs_[key] = std::move(doc);
  return raw;
}

std::optional<Loc> SchemaWalker::Resolve(const Loc& from, const std::string& ref) {
  std::string file;
  std::string pointer;
  SplitRef(ref, file, pointer);
  const Doc* doc = from.doc;
  if (!file.empty()) {
    bool remote = StartsWith(file, "http://") || StartsWith(file, "https://");
    if (remote) {
      // A reference to the document's own absolute $id is local.
      auto id = GetString(from.doc->root, "$id");
      std::string own_id;
      std::string own_fragment;
      if (id) SplitRef(*id, own_id, own_fragment);
      if (!id || own_id != file) {
        Warn(from, "remote `$ref` `" + ref + "` is not fetched; the value is modelled as `any`");
        return std::nullopt;
      }
    } else {
      doc = LoadDoc(file, from);
      if (doc == nullptr) return std::nullopt;
    }
  }
  pointer = PercentDecode(pointer);
  if (pointer.empty()) return Loc{doc, &doc->root, ""};
  try {
    Json::json_pointer jp(pointer);
    if (!doc->root.contains(jp)) {
      Warn(from, "`$ref` `" + ref + "` points to nothing; the value is modelled as `any`");
      return std::nullopt;
    }
    return Loc{doc, &doc->root.at(jp), pointer};
  } catch (const std::exception&) {
    Warn(from, "`$ref` `" + ref + "` is not a valid JSON pointer; the value is modelled as `any`");
    return std::nullopt;
  }
}

std::string SchemaWalker::NamedObject(const Loc& loc) {
  if (dialect_ == Dialect::kJsonSchema) return "";
  if (!StartsWith(loc.pointer, kComponents)) return "";
  std::string rest = loc.pointer.substr(std::string_view(kComponents).size());
  if (rest.empty() || rest.find('/') != std::string::npos) return "";
  if (!IsObjectLike(loc)) return "";
  // Unescape the pointer token (~1 -> /, ~0 -> ~).
  std::string name;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '~' && i + 1 < rest.size()) {
      name += rest[i + 1] == '1' ? '/' : '~';
      ++i;
    } else {
      name += rest[i];
    }
  }
  // Objects from another file are added to the schema under their component name.
  if (root_docs_.count(loc.doc) == 0 && queued_.insert(name).second) {
    pending_.push_back({name, loc});
  }
  return name;
}

bool SchemaWalker::IsObjectLike(const Loc& loc, int depth) {
  const Json& s = *loc.node;
  if (!s.is_object() || depth > kMaxDepth) return false;
  if (auto ref = GetString(s, "$ref")) {
    auto target = Resolve(loc, *ref);
    return target && IsObjectLike(*target, depth + 1);
  }
  if (s.contains("properties")) return true;
  for (const auto& t : TypeNames(s)) {
    if (t == "object") {
      // A bare map (only additionalProperties) is a map, not an object.
      return !s.contains("additionalProperties") || s.contains("properties");
    }
  }
  if (auto it = s.find("allOf"); it != s.end() && it->is_array()) {
    for (size_t i = 0; i < it->size(); ++i) {
      if (IsObjectLike(Loc{loc.doc, &(*it)[i], Child(Child(loc.pointer, "allOf"), i)}, depth + 1)) {
        return true;
      }
    }
  }
  return false;
}

void SchemaWalker::CollectProperties(const Loc& loc, Object& obj, std::set<std::string>& required,
                                     int depth) {
  const Json& s = *loc.node;
  if (!s.is_object()) return;
  if (depth > kMaxDepth) {
    Warn(loc, "schema nesting deeper than " + std::to_string(kMaxDepth) + " levels is cut off");
    return;
  }
  if (auto ref = GetString(s, "$ref")) {
    if (auto target = Resolve(loc, *ref)) CollectProperties(*target, obj, required, depth + 1);
  }
  if (auto it = s.find("allOf"); it != s.end() && it->is_array()) {
    std::string base = Child(loc.pointer, "allOf");
    for (size_t i = 0; i < it->size(); ++i) {
      CollectProperties(Loc{loc.doc, &(*it)[i], Child(base, i)}, obj, required, depth + 1);
    }
  }
  for (const char* kw : {"oneOf", "anyOf"}) {
    if (s.contains(kw)) {
      Warn(Loc{loc.doc, &s, Child(loc.pointer, kw)},
           std::string("`") + kw + "` inside an object's definition is not merged: only the "
           "properties common to every alternative would be safe, the alternatives' own "
           "properties are not fields of `" + obj.name + "`");
    }
  }
  if (auto it = s.find("required"); it != s.end() && it->is_array()) {
    for (const auto& r : *it) {
      if (r.is_string()) required.insert(r.get<std::string>());
    }
  }
  if (auto it = s.find("properties"); it != s.end() && it->is_object()) {
    std::string base = Child(loc.pointer, "properties");
    for (const auto& [key, value] : it->items()) {
      Loc ploc{loc.doc, &value, Child(base, key)};
      // `required` is resolved after all parts are merged (see BuildObject).
      Field f = BuildField(key, ploc, false);
      if (Field* existing = obj.FindField(key)) {
        *existing = std::move(f);  // a later allOf part refines an earlier one
      } else {
        obj.fields.push_back(std::move(f));
        obj.Reindex();
      }
    }
  }
  if (auto it = s.find("additionalProperties");
      it != s.end() && it->is_object() && s.contains("properties")) {
    Warn(Loc{loc.doc, &*it, Child(loc.pointer, "additionalProperties")},
         "`additionalProperties` beside `properties` is not modelled: extra keys of `" + obj.name +
             "` are not checked");
  }
  if (auto it = s.find("patternProperties"); it != s.end()) {
    Warn(Loc{loc.doc, &*it, Child(loc.pointer, "patternProperties")},
         "`patternProperties` is not modelled: keys matching it are not fields of `" + obj.name +
             "`");
  }
}

Object SchemaWalker::BuildObject(const std::string& name, const Loc& loc) {
  Object obj;
  obj.name = name;
  obj.source = {loc.doc->path, loc.pointer};
  if (auto t = GetString(*loc.node, "title")) obj.label = *t;
  if (auto d = GetString(*loc.node, "description")) obj.description = *d;
  std::set<std::string> required;
  CollectProperties(loc, obj, required, 0);
  for (auto& f : obj.fields) {
    bool is_required = required.count(f.name) > 0;
    f.required = is_required;
    // OpenAPI: a required property must be sent on create unless the server sets it.
    // JSON Schema stream schemas describe records read, so nothing about creates follows.
    if (dialect_ != Dialect::kJsonSchema) {
      f.required_on_create = is_required && f.createable != false;
    }
  }
  for (const auto& r : required) {
    if (obj.FindField(r) == nullptr) {
      Warn(loc, "`required` names `" + r + "`, which is not a property of `" + name + "`");
    }
  }
  for (const auto& [key, value] : loc.node->items()) {
    if (StartsWith(key, "x-")) obj.extensions[key] = value.is_string() ? value.get<std::string>()
                                                                       : value.dump();
  }
  obj.Reindex();
  return obj;
}

Field SchemaWalker::BuildField(const std::string& name, const Loc& loc, bool required) {
  Field f;
  f.name = name;
  f.source = {loc.doc->path, loc.pointer};
  // OpenAPI 3.0 and JSON Schema: not nullable unless said so.
  f.nullable = false;
  f.type = Describe(loc, f, 0);
  f.required = required;
  if (f.type.kind == TypeKind::kMap && f.type.element &&
      f.type.element->kind == TypeKind::kString && name == "properties") {
    Warn(loc, "`properties` is a map from property names to string values: the names and real "
              "types of these properties are not in this file (HubSpot: they come from the "
              "Properties API, `GET /crm/v3/properties/{objectType}`); values are checked as "
              "strings only");
  }
  return f;
}

void SchemaWalker::DrainPending() {
  while (!pending_.empty()) {
    Pending p = std::move(pending_.back());
    pending_.pop_back();
    if (schema_.FindObject(p.name)) continue;
    Object obj = BuildObject(p.name, p.loc);
    schema_.AddObject(std::move(obj));
  }
}

void SchemaWalker::ApplyFacets(const Loc& loc, Field& f) {
  const Json& s = *loc.node;
  if (f.label.empty()) {
    if (auto t = GetString(s, "title")) f.label = *t;
  }
  if (f.description.empty()) {
    if (auto d = GetString(s, "description")) f.description = *d;
  }
  if (GetBool(s, "nullable") == true) f.nullable = true;
  if (GetBool(s, "readOnly") == true) {
    f.createable = false;
    f.updateable = false;
    f.calculated = true;
  }
  if (auto it = s.find("default"); it != s.end() && f.default_value.empty()) {
    f.default_value = it->is_string() ? it->get<std::string>() : it->dump();
  }
  if (auto len = GetUint(s, "maxLength")) f.length = len;
  for (const auto& [key, value] : s.items()) {
    if (IsValidationKeyword(key) || (StartsWith(key, "x-") && key != "x-is-money" &&
                                     key != "x-is-msdate" && key != "x-is-msdate-time" &&
                                     key != "x-sap-precision" && key != "x-sap-scale")) {
      f.extensions[key] = value.is_string() ? value.get<std::string>() : value.dump();
    }
  }
  if (auto it = s.find("not"); it != s.end()) {
    Warn(Loc{loc.doc, &*it, Child(loc.pointer, "not")},
         "`not` is not modelled: values it excludes are not rejected by the checker");
  }
}

Type SchemaWalker::Describe(const Loc& loc, Field& f, int depth) {
  const Json& s = *loc.node;
  if (s.is_boolean()) return Type(TypeKind::kAny);  // `true` / `false` schemas
  if (!s.is_object()) {
    Warn(loc, "schema is not an object; modelled as `any`");
    return Type(TypeKind::kAny);
  }
  if (depth > kMaxDepth) {
    Warn(loc, "schema nesting deeper than " + std::to_string(kMaxDepth) +
                  " levels (recursive `$ref`?) is modelled as `any`");
    return Type(TypeKind::kAny);
  }
  ApplyFacets(loc, f);
  if (s.contains("$ref")) return DescribeRef(loc, f, depth);
  if (auto it = s.find("allOf"); it != s.end() && it->is_array()) {
    if (it->size() == 1 && !s.contains("properties")) {
      return Describe(Loc{loc.doc, &(*it)[0], Child(Child(loc.pointer, "allOf"), 0)}, f, depth + 1);
    }
    return Type::Inline(BuildObject(f.name, loc));
  }
  if (s.contains("oneOf")) return DescribeUnion(loc, "oneOf", f, depth);
  if (s.contains("anyOf")) return DescribeUnion(loc, "anyOf", f, depth);

  std::vector<std::string> names = TypeNames(s);
  std::vector<std::string> non_null;
  for (auto& n : names) {
    if (n == "null") {
      f.nullable = true;
    } else {
      non_null.push_back(n);
    }
  }
  if (non_null.size() > 1) {
    // ["string", "number"] and the like: one value of several JSON types.
    bool numeric_string = non_null.size() == 2 &&
                          ((non_null[0] == "string" && non_null[1] == "number") ||
                           (non_null[0] == "number" && non_null[1] == "string"));
    if (numeric_string && GetString(s, "format") == std::string("decimal")) {
      f.encoding = "string|number";
      return DescribeTyped(loc, "number", f, depth);
    }
    std::string list;
    for (auto& n : non_null) list += (list.empty() ? "" : ", ") + n;
    Warn(Loc{loc.doc, loc.node, Child(loc.pointer, "type")},
         "a value of several types (" + list + ") is modelled as `any`");
    return Type(TypeKind::kAny);
  }
  if (non_null.empty()) {
    if (s.contains("properties")) return DescribeTyped(loc, "object", f, depth);
    if (s.contains("items")) return DescribeTyped(loc, "array", f, depth);
    if (s.contains("enum")) return DescribeTyped(loc, "string", f, depth);
    if (!names.empty()) return Type(TypeKind::kAny);  // only "null"
    if (s.contains("additionalProperties")) return DescribeTyped(loc, "object", f, depth);
    return Type(TypeKind::kAny);
  }
  return DescribeTyped(loc, non_null[0], f, depth);
}

Type SchemaWalker::DescribeRef(const Loc& loc, Field& f, int depth) {
  const Json& s = *loc.node;
  std::string ref = GetString(s, "$ref").value_or("");
  auto target = Resolve(loc, ref);
  if (!target) return Type(TypeKind::kAny);
  Type result;
  std::string named = NamedObject(*target);
  if (!named.empty()) {
    result = Type::Named(named);
    if (f.source_type.empty()) f.source_type = "$ref " + named;
  } else {
    result = Describe(*target, f, depth + 1);
  }
  // Siblings of $ref: 3.0 says they are ignored, but real specs (Xero: `type` beside `$ref`,
  // `nullable`, `readOnly`, `description`) mean them; the facets were applied above. Check a
  // sibling `type` against what the reference resolved to.
  if (auto t = GetString(s, "type")) {
    bool object_ref = result.kind == TypeKind::kObject;
    bool compatible = (*t == "object") == object_ref;
    if (!compatible && !(*t == "array" && result.kind == TypeKind::kList)) {
      Warn(Loc{loc.doc, loc.node, Child(loc.pointer, "type")},
           "`type: " + *t + "` beside `$ref` disagrees with the referenced schema (" +
               result.ToString() + "); the referenced schema wins");
    }
  }
  return result;
}

Type SchemaWalker::DescribeUnion(const Loc& loc, const char* keyword, Field& f, int depth) {
  const Json& alts = (*loc.node)[keyword];
  std::string base = Child(loc.pointer, keyword);
  if (!alts.is_array() || alts.empty()) {
    Warn(Loc{loc.doc, loc.node, base}, std::string("`") + keyword + "` without alternatives is "
                                                                      "modelled as `any`");
    return Type(TypeKind::kAny);
  }
  std::vector<Loc> rest;
  for (size_t i = 0; i < alts.size(); ++i) {
    if (IsNullSchema(alts[i])) {
      f.nullable = true;
    } else {
      rest.push_back(Loc{loc.doc, &alts[i], Child(base, i)});
    }
  }
  if (rest.size() == 1) return Describe(rest[0], f, depth + 1);
  // OData-as-OpenAPI (IEEE754Compatible): number or string, format decimal.
  bool number_or_string = rest.size() == 2;
  std::set<std::string> kinds;
  for (const auto& r : rest) {
    auto names = TypeNames(*r.node);
    if (names.size() != 1 || r.node->contains("$ref")) number_or_string = false;
    if (names.size() == 1) kinds.insert(names[0]);
  }
  if (number_or_string && kinds == std::set<std::string>{"number", "string"}) {
    f.encoding = "string|number";
    std::string format = GetString(*loc.node, "format").value_or("");
    Type t = DescribeTyped(loc, "number", f, depth);
    if (format.empty() && t.kind == TypeKind::kDouble) f.format = "number|string";
    return t;
  }
  // Alternatives that are all string enums: one picklist with every value (QuickBooks).
  bool all_enums = true;
  for (const auto& r : rest) {
    auto names = TypeNames(*r.node);
    if (!r.node->contains("enum") || (names.size() == 1 && names[0] != "string")) {
      all_enums = false;
    }
  }
  if (all_enums) {
    Type t(TypeKind::kPicklist);
    for (const auto& r : rest) {
      for (const auto& v : (*r.node)["enum"]) {
        if (v.is_null()) {
          f.nullable = true;
          continue;
        }
        std::string text = ScalarText(v);
        if (!f.picklist.Contains(text)) f.picklist.values.push_back({text, "", true, false});
      }
    }
    f.picklist.restricted = true;
    f.source_type = std::string(keyword) + " of enums";
    return t;
  }
  std::string list;
  for (const auto& r : rest) {
    std::string what;
    if (auto ref = GetString(*r.node, "$ref")) {
      what = ref->substr(ref->find_last_of('/') + 1);
    } else {
      auto names = TypeNames(*r.node);
      what = names.empty() ? "schema" : names[0];
    }
    list += (list.empty() ? "" : ", ") + what;
  }
  Warn(Loc{loc.doc, loc.node, base},
       std::string("`") + keyword + "` of " + std::to_string(rest.size()) + " alternatives (" +
           list + ") is modelled as `any`: the checker cannot tell which alternative a value "
           "takes");
  f.source_type = keyword;
  return Type(TypeKind::kAny);
}

Type SchemaWalker::DescribeTyped(const Loc& loc, const std::string& type, Field& f, int depth) {
  const Json& s = *loc.node;
  std::string format = GetString(s, "format").value_or("");
  if (f.source_type.empty()) f.source_type = format.empty() ? type : type + "/" + format;
  auto enum_values = [&](Type t) {
    auto it = s.find("enum");
    if (it == s.end() || !it->is_array()) return t;
    for (const auto& v : *it) {
      if (v.is_null()) {
        f.nullable = true;
        continue;
      }
      f.picklist.values.push_back({ScalarText(v), "", true, false});
    }
    f.picklist.restricted = true;
    if (t.kind == TypeKind::kString) t.kind = TypeKind::kPicklist;
    return t;
  };
  auto sap_digits = [&]() {
    if (auto p = GetUint(s, "x-sap-precision")) f.precision = p;
    if (auto sc = GetUint(s, "x-sap-scale")) f.scale = sc;
  };

  if (auto at = GetString(s, "airbyte_type")) {
    // Airbyte's refinement of JSON types (airbyte-protocol "Data Types").
    f.extensions["airbyte_type"] = *at;
    if (*at == "integer" || *at == "big_integer") {
      if (type == "string") f.encoding = "string";
      return Type(TypeKind::kInt);
    }
    if (*at == "big_number") {
      if (type == "string") f.encoding = "string";
      return Type(TypeKind::kDecimal);
    }
    if (*at == "timestamp_with_timezone") return Type(TypeKind::kDateTime);
    if (*at == "timestamp_without_timezone") {
      f.format = "local";
      return Type(TypeKind::kDateTime);
    }
    if (*at == "time_with_timezone" || *at == "time_without_timezone") {
      return Type(TypeKind::kTime);
    }
    Warn(Loc{loc.doc, loc.node, Child(loc.pointer, "airbyte_type")},
         "unknown `airbyte_type: " + *at + "` is ignored; the JSON `type` is used");
  }
  if (type == "string") {
    if (GetBool(s, "x-is-msdate") == true) {
      f.encoding = "msdate";
      f.format = "date";
      return Type(TypeKind::kDateTime);
    }
    if (GetBool(s, "x-is-msdate-time") == true) {
      f.encoding = "msdate";
      f.format = "date-time";
      return Type(TypeKind::kDateTime);
    }
    if (format == "date") return Type(TypeKind::kDate);
    if (format == "date-time") return Type(TypeKind::kDateTime);
    if (format == "time" || format == "partial-time") return Type(TypeKind::kTime);
    if (format == "email") return Type(TypeKind::kEmail);
    if (format == "uri" || format == "url" || format == "uri-reference") {
      return Type(TypeKind::kUrl);
    }
    if (format == "byte" || format == "binary" || format == "base64") {
      f.format = format;
      return Type(TypeKind::kBinary);
    }
    if (format == "decimal" || format == "singer.decimal") {
      f.encoding = "string";
      f.format = format;
      sap_digits();
      return Type(GetBool(s, "x-is-money") == true ? TypeKind::kCurrency : TypeKind::kDecimal);
    }
    if (format == "int64" || format == "int32" || format == "integer") {
      f.encoding = "string";
      f.format = format;
      return Type(TypeKind::kInt);
    }
    if (format == "double" || format == "float") {
      f.encoding = "string";
      f.format = format;
      return Type(TypeKind::kDouble);
    }
    if (!format.empty()) f.format = format;  // uuid, password, phone, ...
    if (format == "phone") return Type(TypeKind::kPhone);
    return enum_values(Type(TypeKind::kString));
  }
  if (type == "integer") {
    if (!format.empty()) f.format = format;
    return enum_values(Type(TypeKind::kInt));
  }
  if (type == "number") {
    if (!format.empty() && format != "decimal") f.format = format;
    sap_digits();
    if (GetBool(s, "x-is-money") == true) return Type(TypeKind::kCurrency);
    if (format == "decimal" || format == "singer.decimal" || f.precision || f.scale) {
      return Type(TypeKind::kDecimal);
    }
    return enum_values(Type(TypeKind::kDouble));
  }
  if (type == "boolean") return Type(TypeKind::kBool);
  if (type == "array") {
    auto it = s.find("items");
    if (it == s.end()) {
      Warn(loc, "array without `items`: elements are modelled as `any`");
      return Type::List(Type(TypeKind::kAny));
    }
    if (it->is_array()) {
      Warn(Loc{loc.doc, &*it, Child(loc.pointer, "items")},
           "tuple `items` (an array of schemas) is modelled as a list of `any`");
      return Type::List(Type(TypeKind::kAny));
    }
    Loc item{loc.doc, &*it, Child(loc.pointer, "items")};
    // Element nullability is not the list's: describe the element into a scratch field and
    // keep its facets (they describe the innermost element, see model.h).
    std::optional<bool> list_nullable = f.nullable;
    Type element = Describe(item, f, depth + 1);
    f.nullable = list_nullable;
    return Type::List(std::move(element));
  }
  if (type == "object") {
    bool has_props = s.contains("properties");
    if (!has_props) {
      auto ap = s.find("additionalProperties");
      if (ap != s.end() && ap->is_object()) {
        Field scratch;
        scratch.name = f.name;
        Type value = Describe(Loc{loc.doc, &*ap, Child(loc.pointer, "additionalProperties")},
                              scratch, depth + 1);
        return Type::Map(std::move(value));
      }
      // A free-form object: any keys, any values.
      return Type::Map(Type(TypeKind::kAny));
    }
    return Type::Inline(BuildObject(f.name, loc));
  }
  if (type == "null") return Type(TypeKind::kAny);
  Warn(Loc{loc.doc, loc.node, Child(loc.pointer, "type")},
       "unknown type `" + type + "` is modelled as `any`");
  return Type(TypeKind::kAny);
}

}  // namespace crmx::schema::detail
