// Defines the HubSpot importer: one object per HubSpot CRM object type, from either of two
// sources (docs/schema-format.md, "HubSpot"):
//
// 1. Property definitions in the shape of the properties API's answer
//    (`GET /crm/v3/properties/{objectType}`): `{"objectType": "deals", "results": [...]}`. The
//    object type is the `objectType` member, or else the file name `<objectType>.properties.json`
//    (the answer saved as it comes). Each result is one field: `type` gives the crmx type
//    (string, number -> decimal, date, datetime, bool, enumeration -> picklist of its options'
//    values, hidden options inactive; phonenumber fields -> phone), `modificationMetadata.
//    readOnlyValue` or `calculated` makes it neither createable nor updateable, and
//    `hasUniqueValue` makes it unique and an external id (what batch upsert's `idProperty` may
//    name). `hs_object_id` is the object's key.
// 2. HubSpot's own OpenAPI file of one object type (hubspot_crm_companies.oas.json ...). Those
//    describe every object with the same generic `SimplePublicObject` (properties: a string
//    map), so the generic OpenAPI import makes companies and deals collide. Here the object type
//    comes from the file's paths (`/crm/v3/objects/companies/...`), and the fields are the
//    property names the file's examples show (`city`, `domain`, `hs_lastmodifieddate`...),
//    typed by what the examples hold only where HubSpot documents the property as a system
//    datetime; everything else is a string (the file says no more: a warning says so).
//
// Object names: the object type singular in UpperCamelCase (companies -> Company, line_items
// -> LineItem). Associations among the imported object types: an `associations` field and child
// relationships per object (AddAssociations). The object's extensions keep the wire facts the
// connector needs:
// "hubspot:objectType" (the path segment) and "hubspot:envelope" = "properties" (every field
// but `id` is written and read inside the record's `properties` member).
#include <algorithm>
#include <cctype>
#include <set>

#include "compiler/schema/import.h"
#include "compiler/schema/import_util.h"

namespace crmx::schema {
namespace {

using detail::Child;
using detail::GetBool;
using detail::GetString;
using detail::Json;
using detail::Warner;

// The crmx object name of a HubSpot object type (docs/schema-format.md).
std::string ObjectName(const std::string& object_type) {
  static const std::pair<const char*, const char*> kKnown[] = {
      {"companies", "Company"}, {"contacts", "Contact"}, {"deals", "Deal"},       {"line_items", "LineItem"},
      {"products", "Product"},  {"quotes", "Quote"},     {"tickets", "Ticket"},   {"calls", "Call"},
      {"emails", "Email"},      {"meetings", "Meeting"}, {"notes", "Note"},       {"tasks", "Task"},
  };
  for (const auto& [type, name] : kKnown)
    if (object_type == type) return name;
  // Another (custom) object type: its words capitalized, a final "s" dropped.
  std::string base = object_type;
  if (base.size() > 1 && base.back() == 's') base.pop_back();
  std::string out;
  bool upper = true;
  for (char c : base) {
    if (c == '_' || c == '-' || c == ' ') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

Object NewObject(const std::string& object_type, const std::string& file, const std::string& pointer) {
  Object o;
  o.name = ObjectName(object_type);
  o.label = object_type;
  o.source = {file, pointer};
  o.key_fields = {"hs_object_id"};
  o.extensions["hubspot:objectType"] = object_type;
  o.extensions["hubspot:envelope"] = "properties";
  return o;
}

// One property definition (a result of the properties API) as a field.
Field ImportProperty(const Json& p, const std::string& ptr, Warner& w) {
  Field f;
  f.name = GetString(p, "name").value_or("");
  f.label = GetString(p, "label").value_or("");
  f.description = GetString(p, "description").value_or("");
  f.source = {w.file(), ptr};
  const std::string type = GetString(p, "type").value_or("string");
  const std::string field_type = GetString(p, "fieldType").value_or("");
  f.source_type = field_type.empty() ? type : type + "/" + field_type;
  if (type == "string") {
    f.type = Type(field_type == "phonenumber" ? TypeKind::kPhone : field_type == "textarea" ? TypeKind::kText
                                                                                            : TypeKind::kString);
  } else if (type == "number") {
    f.type = Type(TypeKind::kDecimal);
  } else if (type == "date") {
    f.type = Type(TypeKind::kDate);
  } else if (type == "datetime") {
    f.type = Type(TypeKind::kDateTime);
  } else if (type == "bool") {
    f.type = Type(TypeKind::kBool);
  } else if (type == "enumeration") {
    // A multi-select checkbox holds several values, `;`-separated.
    f.type = Type(field_type == "checkbox" ? TypeKind::kMultiPicklist : TypeKind::kPicklist);
  } else if (type == "phone_number") {
    f.type = Type(TypeKind::kPhone);
  } else {
    f.type = Type(TypeKind::kAny);
    w.Warn(Child(ptr, "type"), "unknown HubSpot property type `" + type + "` of `" + f.name + "` is modelled as `any`");
  }
  if (type == "enumeration") {
    if (auto it = p.find("options"); it != p.end() && it->is_array()) {
      for (const Json& o : *it) {
        PicklistValue v;
        v.value = GetString(o, "value").value_or("");
        v.label = GetString(o, "label").value_or("");
        v.active = !GetBool(o, "hidden").value_or(false);
        f.picklist.values.push_back(std::move(v));
      }
    }
    // Owner and other select properties whose options are another list (external options,
    // or none listed) are not checked; listed options are what HubSpot accepts.
    bool external = GetBool(p, "externalOptions").value_or(false);
    f.picklist.restricted = !external && !f.picklist.values.empty();
  }
  bool read_only = false;
  if (auto it = p.find("modificationMetadata"); it != p.end() && it->is_object())
    read_only = GetBool(*it, "readOnlyValue").value_or(false);
  bool calculated = GetBool(p, "calculated").value_or(false);
  if (calculated) f.calculated = true;
  f.createable = !read_only && !calculated;
  f.updateable = !read_only && !calculated;
  bool unique = GetBool(p, "hasUniqueValue").value_or(false);
  f.unique = unique;
  f.external_id = unique && f.name != "hs_object_id";
  f.nullable = true;
  f.required_on_create = false;
  if (f.name == "hs_object_id") {
    f.key = true;
    f.type = Type(TypeKind::kId);
  }
  if (GetBool(p, "hidden").value_or(false)) f.extensions["hubspot:hidden"] = "true";
  if (auto g = GetString(p, "groupName")) f.extensions["hubspot:groupName"] = *g;
  return f;
}

std::optional<ImportError> ImportPropertiesFile(const std::string& file, const Json& root, Schema& schema,
                                                std::vector<ImportWarning>& warnings) {
  Warner w(file, warnings);
  std::string object_type = GetString(root, "objectType").value_or("");
  if (object_type.empty()) {
    std::string name = file.substr(file.find_last_of('/') + 1);
    const std::string suffix = ".properties.json";
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      object_type = name.substr(0, name.size() - suffix.size());
  }
  if (object_type.empty()) {
    return ImportError{file, "", "HubSpot property definitions name no object type: add `\"objectType\": "
                                 "\"companies\"` or name the file `companies.properties.json`", false};
  }
  auto results = root.find("results");
  if (results == root.end() || !results->is_array()) {
    return ImportError{file, "/results", "HubSpot property definitions have no `results` list", false};
  }
  Object o = NewObject(object_type, file, "");
  for (size_t i = 0; i < results->size(); ++i) {
    const Json& p = (*results)[i];
    std::string ptr = Child("/results", i);
    if (!p.is_object() || !GetString(p, "name")) {
      w.Warn(ptr, "a property definition without a `name` is skipped");
      continue;
    }
    Field f = ImportProperty(p, ptr, w);
    if (o.FindField(f.name) != nullptr) {
      w.Warn(ptr, "property `" + f.name + "` is defined twice: the first definition is kept");
      continue;
    }
    o.fields.push_back(std::move(f));
    o.Reindex();
  }
  if (o.FindField("hs_object_id") == nullptr) {
    // Every HubSpot record has it; the properties API lists it, a hand-written file may not.
    Field id;
    id.name = "hs_object_id";
    id.label = "Record ID";
    id.type = Type(TypeKind::kId);
    id.source_type = "number/number";
    id.key = true;
    id.createable = false;
    id.updateable = false;
    id.unique = true;
    id.source = {file, "/results"};
    o.fields.insert(o.fields.begin(), std::move(id));
  }
  o.Reindex();
  detail::AddObjectOrWarn(schema, std::move(o), w);
  return std::nullopt;
}

// The object type of a HubSpot OpenAPI file: the segment after /crm/v3/objects/ in its paths
// ("companies"); "" when the paths name none or several.
std::string OpenApiObjectType(const Json& root) {
  std::set<std::string> types;
  if (auto paths = root.find("paths"); paths != root.end() && paths->is_object()) {
    const std::string prefix = "/crm/v3/objects/";
    for (auto it = paths->begin(); it != paths->end(); ++it) {
      const std::string& path = it.key();
      if (path.rfind(prefix, 0) != 0) continue;
      std::string rest = path.substr(prefix.size());
      std::string type = rest.substr(0, rest.find('/'));
      if (!type.empty() && type.front() != '{') types.insert(type);
    }
  }
  return types.size() == 1 ? *types.begin() : "";
}

// System properties HubSpot sets itself, whose type the OpenAPI examples do not say.
bool SystemDateTime(const std::string& name) {
  return name == "createdate" || name == "hs_lastmodifieddate" || name == "lastmodifieddate" ||
         name == "hs_createdate";
}

void CollectExampleProperties(const Json& j, const std::string& ptr, std::vector<std::pair<std::string, std::string>>& out,
                              std::set<std::string>& seen, int depth) {
  if (depth > 12) return;
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      std::string child = Child(ptr, it.key());
      if (it.key() == "properties" && it->is_object() && ptr.find("/example") != std::string::npos) {
        for (auto p = it->begin(); p != it->end(); ++p) {
          // The OpenAPI's own placeholders ("property_date"...) are not HubSpot properties.
          if (p.key().rfind("property_", 0) == 0) continue;
          if (seen.insert(p.key()).second) out.emplace_back(p.key(), Child(child, p.key()));
        }
        continue;
      }
      CollectExampleProperties(*it, child, out, seen, depth + 1);
    }
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) CollectExampleProperties(j[i], Child(ptr, i), out, seen, depth + 1);
  }
}

std::optional<ImportError> ImportOpenApiFile(const std::string& file, const Json& root, Schema& schema,
                                             std::vector<ImportWarning>& warnings) {
  Warner w(file, warnings);
  std::string object_type = OpenApiObjectType(root);
  if (object_type.empty()) {
    return ImportError{file, "/paths", "this HubSpot OpenAPI file has no paths of one object type "
                                       "(`/crm/v3/objects/<objectType>/...`): import it with --from openapi",
                       false};
  }
  Object o = NewObject(object_type, file, "/paths");
  std::vector<std::pair<std::string, std::string>> names;
  std::set<std::string> seen;
  CollectExampleProperties(root, "", names, seen, 0);
  Field id;
  id.name = "hs_object_id";
  id.label = "Record ID";
  id.type = Type(TypeKind::kId);
  id.source_type = "string";
  id.key = true;
  id.createable = false;
  id.updateable = false;
  id.unique = true;
  id.source = {file, "/components/schemas/SimplePublicObject/properties/id"};
  o.fields.push_back(std::move(id));
  for (const auto& [name, ptr] : names) {
    if (name == "hs_object_id") continue;
    Field f;
    f.name = name;
    f.source = {file, ptr};
    f.source_type = "string";
    f.nullable = true;
    if (SystemDateTime(name)) {
      f.type = Type(TypeKind::kDateTime);
      f.createable = false;
      f.updateable = false;
    } else {
      f.type = Type(TypeKind::kString);
    }
    o.fields.push_back(std::move(f));
  }
  w.Warn("/components/schemas/SimplePublicObject/properties/properties",
         "HubSpot's OpenAPI gives `" + object_type + "` properties as a map of strings: the " +
             std::to_string(o.fields.size() - 1) +
             " property names come from the file's examples and are typed as strings; the real types, "
             "options and read-only flags come from the Properties API (import "
             "`GET /crm/v3/properties/" + object_type + "` saved as `" + object_type + ".properties.json`)");
  o.Reindex();
  detail::AddObjectOrWarn(schema, std::move(o), w);
  return std::nullopt;
}

// Whether HubSpot associates records of object types `a` and `b` (its default association
// types, https://developers.hubspot.com/docs/api/crm/associations): the standard pairs below;
// a custom object type with any standard one but products. Products are never associated
// (a line item names its product by `hs_product_id`).
bool Associable(const std::string& a, const std::string& b) {
  static const std::set<std::pair<std::string, std::string>> kPairs = {
      {"companies", "contacts"}, {"companies", "deals"},   {"companies", "tickets"},  {"companies", "quotes"},
      {"contacts", "deals"},     {"contacts", "tickets"},  {"contacts", "quotes"},    {"deals", "line_items"},
      {"deals", "tickets"},      {"deals", "quotes"},      {"line_items", "quotes"},
  };
  static const std::set<std::string> kStandard = {"companies", "contacts", "deals", "line_items", "products",
                                                  "quotes",    "tickets",  "calls", "emails",     "meetings",
                                                  "notes",     "tasks"};
  if (a == b || a == "products" || b == "products") return false;
  if (!kStandard.count(a) || !kStandard.count(b)) return true;
  return kPairs.count({a, b}) > 0 || kPairs.count({b, a}) > 0;
}

// `line_items` -> `LineItems`: a child relationship's name.
std::string RelationshipName(const std::string& object_type) {
  std::string out;
  bool upper = true;
  for (char c : object_type) {
    if (c == '_' || c == '-' || c == ' ') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

// The associations of the imported object types with each other (docs/schema-format.md,
// "HubSpot"): each object gets a field `associations`, an object with one `list<string>` per
// associable object type imported (`Deal.associations.companies`: the ids of the deal's
// companies, what the connector reads and writes through the associations API), and a child
// relationship per associable type (`Deal.LineItems`: the line items whose
// `associations.deals` holds the deal's id).
void AddAssociations(Schema& schema) {
  std::vector<std::pair<size_t, std::string>> types;  // object index, object type
  for (size_t i = 0; i < schema.objects.size(); ++i) {
    auto t = schema.objects[i].extensions.find("hubspot:objectType");
    if (t != schema.objects[i].extensions.end() && schema.objects[i].FindField("associations") == nullptr)
      types.emplace_back(i, t->second);
  }
  for (const auto& [i, type] : types) {
    Object inner;
    inner.name = "associations";
    inner.kind = ObjectKind::kComplex;
    Object& o = schema.objects[i];
    for (const auto& [j, other] : types) {
      if (!Associable(type, other)) continue;
      Field f;
      f.name = other;
      f.label = "Associated " + other;
      f.description = "The ids of the " + other + " records associated with this one (associations API)";
      f.type = Type::List(Type(TypeKind::kString));
      f.source_type = "association";
      f.nullable = true;
      f.required_on_create = false;
      f.references.targets = {schema.objects[j].name};
      f.source = o.source;
      inner.fields.push_back(std::move(f));
      o.child_relationships.push_back({RelationshipName(other), schema.objects[j].name, "associations." + type, std::nullopt});
    }
    if (inner.fields.empty()) continue;
    inner.Reindex();
    Field a;
    a.name = "associations";
    a.label = "Associations";
    a.description = "Associated record ids by object type (not a property: the associations API)";
    a.type = Type::Inline(std::move(inner));
    a.source_type = "associations";
    a.nullable = true;
    a.required_on_create = false;
    a.source = o.source;
    a.extensions["hubspot:associations"] = "true";
    o.fields.push_back(std::move(a));
    o.Reindex();
  }
}

}  // namespace

ImportResult ImportHubSpot(const std::vector<std::string>& files, const ImportOptions& options) {
  ImportResult result = detail::ImportEachFile(
      files, options, "hubspot",
      [](const std::string& file, Schema& schema, std::vector<ImportWarning>& warnings) -> std::optional<ImportError> {
        Json root;
        if (auto err = detail::LoadJsonFile(file, root, false)) return err;
        if (!root.is_object()) return ImportError{file, "", "not a JSON object", false};
        if (root.contains("openapi") || root.contains("swagger")) return ImportOpenApiFile(file, root, schema, warnings);
        return ImportPropertiesFile(file, root, schema, warnings);
      });
  if (result.ok()) {
    AddAssociations(result.schema);
    result.schema.Reindex();
  }
  return result;
}

}  // namespace crmx::schema
