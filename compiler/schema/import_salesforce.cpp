// Defines the Salesforce importer: sObject describe JSON (REST `/sobjects/X/describe`), full
// (41 attributes per field) or trimmed (the 15-attribute soqlMetadata form), any API version.
// One file holds one object. Absent attributes stay unknown in the model; nothing is invented.
#include <algorithm>

#include "compiler/schema/import.h"
#include "compiler/schema/import_util.h"

namespace crmx::schema {
namespace {

using detail::Child;
using detail::GetBool;
using detail::GetString;
using detail::GetUint;
using detail::Json;
using detail::Warner;

struct KindMap {
  const char* sf;
  TypeKind kind;
};

// Salesforce field types (FieldType enum, lowercase in REST describes).
constexpr KindMap kKinds[] = {
    {"string", TypeKind::kString},         {"textarea", TypeKind::kText},
    {"boolean", TypeKind::kBool},          {"int", TypeKind::kInt},
    {"long", TypeKind::kInt},              {"double", TypeKind::kDouble},
    {"currency", TypeKind::kCurrency},     {"percent", TypeKind::kPercent},
    {"date", TypeKind::kDate},             {"datetime", TypeKind::kDateTime},
    {"time", TypeKind::kTime},             {"picklist", TypeKind::kPicklist},
    {"multipicklist", TypeKind::kMultiPicklist}, {"combobox", TypeKind::kPicklist},
    {"id", TypeKind::kId},                 {"reference", TypeKind::kReference},
    {"email", TypeKind::kEmail},           {"phone", TypeKind::kPhone},
    {"url", TypeKind::kUrl},               {"address", TypeKind::kAddress},
    {"location", TypeKind::kLocation},     {"base64", TypeKind::kBinary},
    {"encryptedstring", TypeKind::kString}, {"json", TypeKind::kAny},
    {"anyType", TypeKind::kAny},           {"complexvalue", TypeKind::kAny},
};

std::optional<TypeKind> MapKind(const std::string& sf) {
  for (const auto& k : kKinds) {
    if (sf == k.sf) return k.kind;
  }
  return std::nullopt;
}

// Describe attributes that have a model slot or that we deliberately ignore (UI and query
// capabilities); anything else goes into Field::extensions so it is not lost.
bool KnownFieldKey(const std::string& k) {
  static const char* const kKeys[] = {
      "name", "label", "type", "length", "byteLength", "precision", "scale", "digits",
      "nillable", "createable", "updateable", "externalId", "unique", "defaultedOnCreate",
      "picklistValues", "restrictedPicklist", "referenceTo", "relationshipName",
      "compoundFieldName", "calculated", "calculatedFormula", "defaultValue",
      "defaultValueFormula", "controllerName", "dependentPicklist", "inlineHelpText",
      "soapType", "idLookup", "autoNumber", "custom", "filterable", "sortable", "groupable",
      "aggregatable", "caseSensitive", "nameField", "namePointing", "htmlFormatted",
      "deprecatedAndHidden", "relationshipOrder", "writeRequiresMasterRead", "cascadeDelete",
      "restrictedDelete", "extraTypeInfo", "queryByDistance", "searchPrefilterable",
      "permissionable", "polymorphicForeignKey", "encrypted", "highScaleNumber",
      "displayLocationInDecimal", "mask", "maskType", "filteredLookupInfo", "referenceTargetField",
      "formulaTreatNullNumberAsZero", "sortable", "aiPredictionField"};
  for (const char* key : kKeys) {
    if (k == key) return true;
  }
  return false;
}

Field ImportField(const Json& jf, const std::string& ptr, Warner& w) {
  Field f;
  f.name = GetString(jf, "name").value_or("");
  f.label = GetString(jf, "label").value_or("");
  f.description = GetString(jf, "inlineHelpText").value_or("");
  f.source = {w.file(), ptr};
  std::string sf_type = GetString(jf, "type").value_or("");
  f.source_type = sf_type;
  if (auto k = MapKind(sf_type)) {
    f.type = Type(*k);
  } else {
    f.type = Type(TypeKind::kAny);
    w.Warn(Child(ptr, "type"), "unknown Salesforce field type `" + sf_type + "` of `" + f.name +
                                   "` is modelled as `any`");
  }

  if (auto len = GetUint(jf, "length"); len && *len > 0) f.length = len;
  bool decimal = IsDecimal(f.type.kind) || f.type.kind == TypeKind::kDouble;
  if (decimal) {
    if (jf.contains("precision")) f.precision = GetUint(jf, "precision");
    if (jf.contains("scale")) f.scale = GetUint(jf, "scale");
  }
  if (f.type.kind == TypeKind::kInt) {
    if (auto d = GetUint(jf, "digits"); d && *d > 0) f.precision = d;
    f.scale = 0;
  }

  f.nullable = GetBool(jf, "nillable");
  f.createable = GetBool(jf, "createable");
  f.updateable = GetBool(jf, "updateable");
  f.external_id = GetBool(jf, "externalId");
  f.unique = GetBool(jf, "unique");
  f.defaulted_on_create = GetBool(jf, "defaultedOnCreate");
  f.calculated = GetBool(jf, "calculated");
  if (f.type.kind == TypeKind::kId) f.key = true;
  if (auto it = jf.find("defaultValue"); it != jf.end() && !it->is_null()) {
    f.default_value = it->is_string() ? it->get<std::string>() : it->dump();
  }
  if (auto formula = GetString(jf, "defaultValueFormula")) {
    f.extensions["defaultValueFormula"] = *formula;
  }
  if (auto formula = GetString(jf, "calculatedFormula")) {
    f.extensions["calculatedFormula"] = *formula;
  }
  if (GetBool(jf, "autoNumber") == true) f.extensions["autoNumber"] = "true";
  if (GetBool(jf, "custom") == true) f.extensions["custom"] = "true";
  if (GetBool(jf, "idLookup") == true) f.extensions["idLookup"] = "true";
  if (GetBool(jf, "cascadeDelete") == true) f.extensions["cascadeDelete"] = "true";
  if (auto extra = GetString(jf, "extraTypeInfo")) f.extensions["extraTypeInfo"] = *extra;
  // An autonumber or formula field is system-computed even when `calculated` is absent.

  if (auto it = jf.find("picklistValues"); it != jf.end() && it->is_array()) {
    for (const auto& pv : *it) {
      PicklistValue v;
      v.value = GetString(pv, "value").value_or("");
      v.label = GetString(pv, "label").value_or("");
      v.active = GetBool(pv, "active").value_or(true);
      v.is_default = GetBool(pv, "defaultValue").value_or(false);
      f.picklist.values.push_back(std::move(v));
    }
  }
  f.picklist.restricted = GetBool(jf, "restrictedPicklist");
  if (auto ctl = GetString(jf, "controllerName")) f.picklist.controller = *ctl;
  if (!f.picklist.empty() && f.type.kind != TypeKind::kPicklist &&
      f.type.kind != TypeKind::kMultiPicklist) {
    f.extensions["picklistValuesOn"] = sf_type;
  }

  if (auto it = jf.find("referenceTo"); it != jf.end() && it->is_array()) {
    for (const auto& t : *it) {
      if (t.is_string()) f.references.targets.push_back(t.get<std::string>());
    }
  }
  if (auto rel = GetString(jf, "relationshipName")) f.references.relationship_name = *rel;
  if (auto parent = GetString(jf, "compoundFieldName")) f.compound_parent = *parent;

  for (const auto& [key, value] : jf.items()) {
    if (!KnownFieldKey(key) && !value.is_null()) {
      f.extensions[key] = value.is_string() ? value.get<std::string>() : value.dump();
    }
  }
  detail::DeriveRequiredOnCreate(f);
  return f;
}

std::optional<ImportError> ImportFile(const std::string& path, Schema& schema,
                                      std::vector<ImportWarning>& warnings) {
  Json doc;
  if (auto err = detail::LoadJsonFile(path, doc, false)) return err;
  Warner w(path, warnings);
  if (!doc.is_object() || !doc.contains("fields") || !doc["fields"].is_array()) {
    return ImportError{path, "", "not a Salesforce describe: no `fields` array", false};
  }
  Object obj;
  obj.name = GetString(doc, "name").value_or(detail::Stem(path));
  if (!doc.contains("name")) {
    w.Warn("", "describe has no `name`; the object is named `" + obj.name + "` from the file");
  }
  obj.label = GetString(doc, "label").value_or("");
  obj.source = {path, ""};
  obj.createable = GetBool(doc, "createable");
  obj.updateable = GetBool(doc, "updateable");
  obj.deletable = GetBool(doc, "deletable");
  if (GetBool(doc, "custom") == true) obj.extensions["custom"] = "true";
  if (auto kp = GetString(doc, "keyPrefix")) obj.extensions["keyPrefix"] = *kp;
  if (auto lp = GetString(doc, "labelPlural")) obj.extensions["labelPlural"] = *lp;

  const Json& fields = doc["fields"];
  obj.fields.reserve(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string ptr = Child("/fields", i);
    if (!fields[i].is_object() || !fields[i].contains("name")) {
      w.Warn(ptr, "field entry without a `name` is skipped");
      continue;
    }
    obj.fields.push_back(ImportField(fields[i], ptr, w));
    if (obj.fields.back().key) obj.key_fields.push_back(obj.fields.back().name);
  }
  // A trimmed describe (soqlMetadata) omits these; say once per file that they are unknown.
  std::string absent;
  for (const char* key : {"createable", "updateable", "length", "externalId", "defaultedOnCreate"}) {
    bool any = false;
    for (const auto& jf : fields) any = any || (jf.is_object() && jf.contains(key));
    if (!any && !fields.empty()) absent += std::string(absent.empty() ? "" : ", ") + "`" + key + "`";
  }
  if (!absent.empty()) {
    w.Warn("/fields", "trimmed describe: no field states " + absent +
                          "; these facts are unknown (createable/updateable are assumed, "
                          "required-on-create is unknown for non-nillable fields)");
  }
  // Compound parents list their components (the describe only links child -> parent).
  for (const auto& f : obj.fields) {
    if (f.compound_parent.empty()) continue;
    auto parent = std::find_if(obj.fields.begin(), obj.fields.end(),
                               [&](const Field& p) { return p.name == f.compound_parent; });
    if (parent != obj.fields.end()) {
      parent->compound_components.push_back(f.name);
    } else {
      w.Warn(f.source.pointer, "compound parent `" + f.compound_parent + "` of `" + f.name +
                                   "` is not a field of `" + obj.name + "`");
    }
  }

  if (auto it = doc.find("childRelationships"); it != doc.end() && it->is_array()) {
    for (const auto& cr : *it) {
      ChildRelationship rel;
      rel.name = GetString(cr, "relationshipName").value_or("");
      rel.child_object = GetString(cr, "childSObject").value_or("");
      rel.field = GetString(cr, "field").value_or("");
      rel.cascade_delete = GetBool(cr, "cascadeDelete");
      obj.child_relationships.push_back(std::move(rel));
    }
  }
  detail::AddObjectOrWarn(schema, std::move(obj), w);
  return std::nullopt;
}

}  // namespace

ImportResult ImportSalesforce(const std::vector<std::string>& files, const ImportOptions& options) {
  return detail::ImportEachFile(files, options, "salesforce", ImportFile);
}

}  // namespace crmx::schema
