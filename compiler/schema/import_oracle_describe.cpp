// Defines the Oracle describe importer: the JSON an Oracle Fusion Cloud REST resource answers to
// `GET /fscmRestApi/resources/<version>/<resource>/describe` (the ADF REST describe:
// {"Resources": {"<resource>": {"title", "attributes": [...], "children": {...}}}}). Each
// top-level resource becomes an object; each attribute a field (`type` string, number,
// integer, boolean, date, datetime...; `updatable`, `mandatory`, `queryable`, `maxLength`,
// `precision`, `scale`); each child resource (an order's `lines`) a field of type
// list<object> whose inline object holds the child's attributes, as the parent's payload
// carries it, plus a ChildRelationship naming it.
//
// What Oracle's describe does not say and this importer reads from project annotations
// (`annotations` members starting with `crmx:`, documented in schemas/oracle-fusion/README.md):
// the values of an attribute's list of values
// (`crmx:values`; a real describe names the LOV resource, not its rows) and the resource's
// upsert keys (`crmx:upsertKeys`, lists of attribute names; their attributes are external ids).
//
// The row's id (Object::key_fields) is the first read-only integer attribute named ...Id.
//
// Create versus update: `updatable: false` is read-only unless `allowChanges` says the value
// may be set while the row is new ("while_insert", "whileNew", "create"): then createable,
// not updateable.
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

struct KindMap {
  const char* oracle;
  TypeKind kind;
};

// ADF REST attribute types, as describes spell them.
constexpr KindMap kKinds[] = {
    {"string", TypeKind::kString},     {"number", TypeKind::kDecimal},     {"integer", TypeKind::kInt},
    {"boolean", TypeKind::kBool},      {"date", TypeKind::kDate},          {"datetime", TypeKind::kDateTime},
    {"date-time", TypeKind::kDateTime}, {"timestamp", TypeKind::kDateTime}, {"time", TypeKind::kTime},
    {"clob", TypeKind::kText},         {"blob", TypeKind::kBinary},        {"object", TypeKind::kAny},
};

// `maxLength`, `precision` and `scale` come as numbers or as digit strings ("50").
std::optional<uint32_t> Digits(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (it->is_number_unsigned()) return it->get<uint32_t>();
  if (it->is_number_integer() && it->get<int64_t>() >= 0) return static_cast<uint32_t>(it->get<int64_t>());
  if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return static_cast<uint32_t>(std::stoul(s));
  }
  return std::nullopt;
}

bool CreateOnly(const std::string& allow) {
  return allow == "while_insert" || allow == "whileInsert" || allow == "whileNew" || allow == "while_new" ||
         allow == "create";
}

Field ImportAttribute(const Json& ja, const std::string& ptr, Warner& w) {
  Field f;
  f.name = GetString(ja, "name").value_or("");
  f.label = GetString(ja, "title").value_or("");
  f.source = {w.file(), ptr};
  std::string type = GetString(ja, "type").value_or("string");
  f.source_type = type;
  bool mapped = false;
  for (const auto& k : kKinds) {
    if (type == k.oracle) {
      f.type = Type(k.kind);
      mapped = true;
    }
  }
  if (!mapped) {
    f.type = Type(TypeKind::kAny);
    w.Warn(Child(ptr, "type"), "unknown Oracle attribute type `" + type + "` of `" + f.name + "` is modelled as `any`");
  }
  if (auto n = Digits(ja, "maxLength"); n && *n > 0 && (f.type.kind == TypeKind::kString)) f.length = n;
  if (f.type.kind == TypeKind::kDecimal || f.type.kind == TypeKind::kInt) {
    if (auto p = Digits(ja, "precision"); p && *p > 0) f.precision = p;
    if (auto s = Digits(ja, "scale")) f.scale = s;
    if (f.type.kind == TypeKind::kInt) f.scale = 0;
  }
  std::optional<bool> updatable = GetBool(ja, "updatable");
  std::string allow = GetString(ja, "allowChanges").value_or("");
  if (updatable == true) {
    f.createable = true;
    f.updateable = !CreateOnly(allow);
  } else if (updatable == false) {
    f.createable = CreateOnly(allow);
    f.updateable = false;
  }
  if (auto mandatory = GetBool(ja, "mandatory")) {
    // A read-only mandatory attribute (an id the system assigns) is not the writer's to give.
    f.required_on_create = *mandatory && f.createable.value_or(true);
    f.nullable = !*mandatory;
  }
  if (auto q = GetBool(ja, "queryable")) f.extensions["queryable"] = *q ? "true" : "false";
  if (!allow.empty()) f.extensions["allowChanges"] = allow;
  if (auto it = ja.find("lov"); it != ja.end() && it->is_object()) {
    if (auto ref = GetString(*it, "childRef")) f.extensions["lov"] = *ref;
  }
  if (auto it = ja.find("annotations"); it != ja.end() && it->is_object()) {
    if (auto d = GetString(*it, "description")) f.description = *d;
    if (auto v = it->find("crmx:values"); v != it->end() && v->is_array()) {
      for (const auto& item : *v) {
        if (!item.is_string()) continue;
        PicklistValue pv;
        pv.value = item.get<std::string>();
        f.picklist.values.push_back(std::move(pv));
      }
      // Oracle refuses a value outside the list of values (a validation error), so restricted.
      f.picklist.restricted = true;
      if (f.type.kind == TypeKind::kString) f.type = Type(TypeKind::kPicklist);
    }
  }
  return f;
}

// The attributes and children of one resource (top-level or child) into `obj`.
void ImportResource(const Json& jr, const std::string& ptr, Object& obj, Warner& w, int depth) {
  obj.label = GetString(jr, "title").value_or("");
  std::set<std::string> keys;
  if (auto ann = jr.find("annotations"); ann != jr.end() && ann->is_object()) {
    if (auto d = GetString(*ann, "description")) obj.description = *d;
    if (auto uk = ann->find("crmx:upsertKeys"); uk != ann->end() && uk->is_array()) {
      std::string text;
      for (const auto& key : *uk) {
        if (!key.is_array()) continue;
        std::string one;
        for (const auto& name : key) {
          if (!name.is_string()) continue;
          keys.insert(name.get<std::string>());
          one += (one.empty() ? "" : "+") + name.get<std::string>();
        }
        text += (text.empty() ? "" : ",") + one;
      }
      if (!text.empty()) obj.extensions["upsertKeys"] = text;
    }
  }
  if (auto it = jr.find("attributes"); it != jr.end() && it->is_array()) {
    for (size_t i = 0; i < it->size(); ++i) {
      std::string aptr = Child(Child(ptr, "attributes"), i);
      const Json& ja = (*it)[i];
      if (!ja.is_object() || !ja.contains("name")) {
        w.Warn(aptr, "attribute without a `name` is skipped");
        continue;
      }
      Field f = ImportAttribute(ja, aptr, w);
      if (keys.count(f.name)) f.external_id = true;
      // The row's id: the describe marks no key, so the first read-only integer attribute named
      // ...Id (HeaderId, LineId, PartyId), the surrogate the application assigns (the emulator
      // reads the same one).
      if (obj.key_fields.empty() && f.type.kind == TypeKind::kInt && f.createable == false &&
          f.name.size() > 2 && f.name.compare(f.name.size() - 2, 2, "Id") == 0) {
        f.key = true;
        obj.key_fields.push_back(f.name);
      }
      obj.fields.push_back(std::move(f));
    }
  } else {
    w.Warn(ptr, "resource `" + obj.name + "` has no `attributes` array");
  }
  auto children = jr.find("children");
  if (children == jr.end() || !children->is_object()) return;
  for (auto c = children->begin(); c != children->end(); ++c) {
    std::string cptr = Child(Child(ptr, "children"), c.key());
    if (!c.value().is_object()) {
      w.Warn(cptr, "child resource `" + c.key() + "` is not an object; skipped");
      continue;
    }
    if (depth >= 4) {
      w.Warn(cptr, "child resource `" + c.key() + "` is nested deeper than 4 levels; skipped");
      continue;
    }
    Object row;
    row.name = obj.name + "." + c.key();
    row.kind = ObjectKind::kComplex;
    row.source = {w.file(), cptr};
    ImportResource(c.value(), cptr, row, w, depth + 1);
    row.Reindex();
    Field f;
    f.name = c.key();
    f.label = row.label;
    f.source_type = "child";
    f.source = {w.file(), cptr};
    // Child rows go in the parent's payload on create and on upsert.
    f.createable = true;
    f.updateable = true;
    f.type = Type::List(Type::Inline(std::move(row)));
    if (obj.FindField(f.name) != nullptr) {
      w.Warn(cptr, "child resource `" + f.name + "` of `" + obj.name + "` has the name of an attribute; it is named `" +
                       f.name + "_child`");
      f.name += "_child";
    }
    ChildRelationship rel;
    rel.name = f.name;
    rel.child_object = obj.name + "." + c.key();
    obj.child_relationships.push_back(std::move(rel));
    obj.fields.push_back(std::move(f));
  }
}

std::optional<ImportError> ImportFile(const std::string& path, Schema& schema, std::vector<ImportWarning>& warnings) {
  Json doc;
  if (auto err = detail::LoadJsonFile(path, doc, false)) return err;
  Warner w(path, warnings);
  if (!doc.is_object() || !doc.contains("Resources") || !doc["Resources"].is_object()) {
    return ImportError{path, "", "not an Oracle REST describe: no `Resources` object", false};
  }
  const Json& resources = doc["Resources"];
  if (resources.empty()) w.Warn("/Resources", "the describe has no resources");
  for (auto it = resources.begin(); it != resources.end(); ++it) {
    std::string ptr = Child("/Resources", it.key());
    if (!it.value().is_object()) {
      w.Warn(ptr, "resource `" + it.key() + "` is not an object; skipped");
      continue;
    }
    Object obj;
    obj.name = it.key();
    obj.source = {path, ptr};
    ImportResource(it.value(), ptr, obj, w, 0);
    detail::AddObjectOrWarn(schema, std::move(obj), w);
  }
  return std::nullopt;
}

}  // namespace

ImportResult ImportOracleDescribe(const std::vector<std::string>& files, const ImportOptions& options) {
  return detail::ImportEachFile(files, options, "oracle", ImportFile);
}

}  // namespace crmx::schema
