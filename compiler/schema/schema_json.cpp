// Defines the reader and writer of the crmx schema JSON form (docs/schema-format.md).
#include "compiler/schema/schema_json.h"

#include <fstream>
#include <set>

#include "compiler/schema/import_util.h"

namespace crmx::schema {
namespace {

using detail::Child;
using detail::Json;

// ---- writing ----

void PutOpt(Json& j, const char* key, const std::optional<bool>& v) {
  if (v) j[key] = *v;
}
void PutOpt(Json& j, const char* key, const std::optional<uint32_t>& v) {
  if (v) j[key] = *v;
}
void PutStr(Json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}
void PutExt(Json& j, const std::map<std::string, std::string>& ext) {
  if (ext.empty()) return;
  Json e = Json::object();
  for (const auto& [k, v] : ext) e[k] = v;
  j["extensions"] = std::move(e);
}

Json WriteObjectBody(const Object& o, const std::string& file);

Json WriteType(const Type& t, const std::string& file) {
  switch (t.kind) {
    case TypeKind::kList:
    case TypeKind::kMap: {
      Json j = Json::object();
      j["kind"] = std::string(TypeKindName(t.kind));
      j["element"] = t.element ? WriteType(*t.element, file) : Json("any");
      return j;
    }
    case TypeKind::kObject: {
      if (!t.object_name.empty()) {
        Json j = Json::object();
        j["kind"] = "object";
        j["name"] = t.object_name;
        return j;
      }
      Json j = Json::object();
      j["kind"] = "object";
      if (t.object && !t.object->name.empty()) j["name"] = t.object->name;
      if (t.object) {
        Json body = WriteObjectBody(*t.object, file);
        for (auto& [k, v] : body.items()) j[k] = v;
      }
      return j;
    }
    default:
      return std::string(TypeKindName(t.kind));
  }
}

Json WriteField(const Field& f, const std::string& file) {
  Json j = Json::object();
  j["name"] = f.name;
  PutStr(j, "label", f.label);
  PutStr(j, "description", f.description);
  j["type"] = WriteType(f.type, file);
  PutStr(j, "source_type", f.source_type);
  PutStr(j, "format", f.format);
  PutStr(j, "encoding", f.encoding);
  PutOpt(j, "nullable", f.nullable);
  PutOpt(j, "required_on_create", f.required_on_create);
  PutOpt(j, "required", f.required);
  PutOpt(j, "createable", f.createable);
  PutOpt(j, "updateable", f.updateable);
  PutOpt(j, "calculated", f.calculated);
  PutOpt(j, "external_id", f.external_id);
  PutOpt(j, "unique", f.unique);
  if (f.key) j["key"] = true;
  if (f.navigation) j["navigation"] = true;
  PutOpt(j, "length", f.length);
  PutOpt(j, "precision", f.precision);
  PutOpt(j, "scale", f.scale);
  if (f.scale_variable) j["scale_variable"] = true;
  if (!f.picklist.values.empty() || f.picklist.restricted || !f.picklist.controller.empty()) {
    Json p = Json::object();
    Json values = Json::array();
    for (const auto& v : f.picklist.values) {
      Json pv = Json::object();
      pv["value"] = v.value;
      if (!v.label.empty() && v.label != v.value) pv["label"] = v.label;
      if (!v.active) pv["active"] = false;
      if (v.is_default) pv["default"] = true;
      values.push_back(std::move(pv));
    }
    p["values"] = std::move(values);
    PutOpt(p, "restricted", f.picklist.restricted);
    PutStr(p, "controller", f.picklist.controller);
    j["picklist"] = std::move(p);
  }
  if (!f.references.targets.empty() || !f.references.relationship_name.empty()) {
    Json r = Json::object();
    r["targets"] = f.references.targets;
    PutStr(r, "relationship_name", f.references.relationship_name);
    j["references"] = std::move(r);
  }
  PutStr(j, "compound_parent", f.compound_parent);
  if (!f.compound_components.empty()) j["compound_components"] = f.compound_components;
  PutStr(j, "default", f.default_value);
  PutOpt(j, "defaulted_on_create", f.defaulted_on_create);
  if (f.source.file == file || f.source.file.empty()) {
    PutStr(j, "source", f.source.pointer);
  } else {
    Json s = Json::object();
    s["file"] = f.source.file;
    s["pointer"] = f.source.pointer;
    j["source"] = std::move(s);
  }
  PutExt(j, f.extensions);
  return j;
}

Json WriteObjectBody(const Object& o, const std::string& file) {
  Json j = Json::object();
  PutStr(j, "label", o.label);
  PutStr(j, "description", o.description);
  if (o.kind == ObjectKind::kComplex) j["object_kind"] = "complex";
  if (!o.key_fields.empty()) j["key"] = o.key_fields;
  PutOpt(j, "createable", o.createable);
  PutOpt(j, "updateable", o.updateable);
  PutOpt(j, "deletable", o.deletable);
  if (o.source.file != file && !o.source.file.empty()) {
    Json s = Json::object();
    s["file"] = o.source.file;
    s["pointer"] = o.source.pointer;
    j["source"] = std::move(s);
  } else {
    PutStr(j, "source", o.source.pointer);
  }
  PutExt(j, o.extensions);
  Json fields = Json::array();
  for (const auto& f : o.fields) fields.push_back(WriteField(f, o.source.file));
  j["fields"] = std::move(fields);
  if (!o.child_relationships.empty()) {
    Json rels = Json::array();
    for (const auto& c : o.child_relationships) {
      Json r = Json::object();
      r["name"] = c.name;
      r["child_object"] = c.child_object;
      PutStr(r, "field", c.field);
      PutOpt(r, "cascade_delete", c.cascade_delete);
      rels.push_back(std::move(r));
    }
    j["child_relationships"] = std::move(rels);
  }
  return j;
}

// ---- reading ----

class Reader {
 public:
  Reader(const std::string& path, std::vector<ImportWarning>& warnings)
      : path_(path), warnings_(warnings) {}

  // Returns false (with error_ set) on a structural error.
  bool ReadSchema(const Json& root, Schema& out);
  ImportError error_;

 private:
  bool ReadObjectBody(const Json& j, const std::string& ptr, const SourceRef& parent, Object& o);
  bool ReadField(const Json& j, const std::string& ptr, const std::string& file, Field& f);
  bool ReadType(const Json& j, const std::string& ptr, const std::string& file, Type& t);
  void Unknown(const Json& j, const std::string& ptr, const std::set<std::string>& known);
  bool Fail(const std::string& ptr, std::string message) {
    error_ = ImportError{path_, ptr, std::move(message), false};
    return false;
  }
  static std::optional<bool> Bool(const Json& j, const char* k) { return detail::GetBool(j, k); }
  static std::optional<uint32_t> Uint(const Json& j, const char* k) { return detail::GetUint(j, k); }
  static std::string Str(const Json& j, const char* k) {
    return detail::GetString(j, k).value_or("");
  }
  void ReadExt(const Json& j, std::map<std::string, std::string>& ext) {
    if (auto it = j.find("extensions"); it != j.end() && it->is_object()) {
      for (const auto& [k, v] : it->items()) ext[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
  }
  SourceRef ReadSource(const Json& j, const std::string& file) {
    auto it = j.find("source");
    if (it == j.end()) return {file, ""};
    if (it->is_string()) return {file, it->get<std::string>()};
    return {Str(*it, "file"), Str(*it, "pointer")};
  }

  std::string path_;
  std::vector<ImportWarning>& warnings_;
};

void Reader::Unknown(const Json& j, const std::string& ptr, const std::set<std::string>& known) {
  for (const auto& [k, v] : j.items()) {
    (void)v;
    if (!known.count(k)) {
      warnings_.push_back({path_, Child(ptr, k), "unknown key `" + k + "` is ignored"});
    }
  }
}

bool Reader::ReadType(const Json& j, const std::string& ptr, const std::string& file, Type& t) {
  if (j.is_string()) {
    auto kind = ParseTypeKind(j.get<std::string>());
    if (!kind || *kind == TypeKind::kList || *kind == TypeKind::kMap) {
      return Fail(ptr, "`" + j.get<std::string>() + "` is not a scalar type kind");
    }
    t = Type(*kind);
    return true;
  }
  if (!j.is_object()) return Fail(ptr, "a type is a kind name or an object");
  auto kind = ParseTypeKind(Str(j, "kind"));
  if (!kind) return Fail(Child(ptr, "kind"), "unknown type kind `" + Str(j, "kind") + "`");
  t = Type(*kind);
  if (*kind == TypeKind::kList || *kind == TypeKind::kMap) {
    if (!j.contains("element")) return Fail(ptr, "a list or map type needs `element`");
    Type e;
    if (!ReadType(j["element"], Child(ptr, "element"), file, e)) return false;
    t.element = Box<Type>(std::move(e));
    return true;
  }
  if (*kind == TypeKind::kObject) {
    if (j.contains("fields")) {
      Object o;
      o.name = Str(j, "name");
      if (!ReadObjectBody(j, ptr, {file, ""}, o)) return false;
      t.object = Box<Object>(std::move(o));
    } else {
      t.object_name = Str(j, "name");
      if (t.object_name.empty()) return Fail(ptr, "an object type needs `name` or `fields`");
    }
  }
  return true;
}

bool Reader::ReadField(const Json& j, const std::string& ptr, const std::string& file, Field& f) {
  static const std::set<std::string> kKnown = {
      "name", "label", "description", "type", "source_type", "format", "encoding", "nullable",
      "required_on_create", "required", "createable", "updateable", "calculated", "external_id",
      "unique", "key", "navigation", "length", "precision", "scale", "scale_variable", "picklist",
      "references", "compound_parent", "compound_components", "default", "defaulted_on_create",
      "source", "extensions"};
  if (!j.is_object()) return Fail(ptr, "a field is an object");
  f.name = Str(j, "name");
  if (f.name.empty()) return Fail(ptr, "a field needs a `name`");
  if (!j.contains("type")) return Fail(ptr, "field `" + f.name + "` has no `type`");
  if (!ReadType(j["type"], Child(ptr, "type"), file, f.type)) return false;
  f.label = Str(j, "label");
  f.description = Str(j, "description");
  f.source_type = Str(j, "source_type");
  f.format = Str(j, "format");
  f.encoding = Str(j, "encoding");
  f.nullable = Bool(j, "nullable");
  f.required_on_create = Bool(j, "required_on_create");
  f.required = Bool(j, "required");
  f.createable = Bool(j, "createable");
  f.updateable = Bool(j, "updateable");
  f.calculated = Bool(j, "calculated");
  f.external_id = Bool(j, "external_id");
  f.unique = Bool(j, "unique");
  f.key = Bool(j, "key").value_or(false);
  f.navigation = Bool(j, "navigation").value_or(false);
  f.length = Uint(j, "length");
  f.precision = Uint(j, "precision");
  f.scale = Uint(j, "scale");
  f.scale_variable = Bool(j, "scale_variable").value_or(false);
  if (auto p = j.find("picklist"); p != j.end() && p->is_object()) {
    if (auto vs = p->find("values"); vs != p->end() && vs->is_array()) {
      f.picklist.values.reserve(vs->size());
      for (const auto& v : *vs) {
        PicklistValue pv;
        pv.value = Str(v, "value");
        pv.label = detail::GetString(v, "label").value_or(pv.value);
        pv.active = Bool(v, "active").value_or(true);
        pv.is_default = Bool(v, "default").value_or(false);
        f.picklist.values.push_back(std::move(pv));
      }
    }
    f.picklist.restricted = Bool(*p, "restricted");
    f.picklist.controller = Str(*p, "controller");
  }
  if (auto r = j.find("references"); r != j.end() && r->is_object()) {
    if (auto ts = r->find("targets"); ts != r->end() && ts->is_array()) {
      for (const auto& t : *ts) {
        if (t.is_string()) f.references.targets.push_back(t.get<std::string>());
      }
    }
    f.references.relationship_name = Str(*r, "relationship_name");
  }
  f.compound_parent = Str(j, "compound_parent");
  if (auto c = j.find("compound_components"); c != j.end() && c->is_array()) {
    for (const auto& n : *c) {
      if (n.is_string()) f.compound_components.push_back(n.get<std::string>());
    }
  }
  f.default_value = Str(j, "default");
  f.defaulted_on_create = Bool(j, "defaulted_on_create");
  f.source = ReadSource(j, file);
  ReadExt(j, f.extensions);
  Unknown(j, ptr, kKnown);
  return true;
}

bool Reader::ReadObjectBody(const Json& j, const std::string& ptr, const SourceRef& parent,
                            Object& o) {
  static const std::set<std::string> kKnown = {
      "kind", "name", "label", "description", "object_kind", "key", "createable", "updateable",
      "deletable", "source", "extensions", "fields", "child_relationships"};
  if (!j.is_object()) return Fail(ptr, "an object is a JSON object");
  o.label = Str(j, "label");
  o.description = Str(j, "description");
  o.kind = Str(j, "object_kind") == "complex" ? ObjectKind::kComplex : ObjectKind::kEntity;
  if (auto k = j.find("key"); k != j.end() && k->is_array()) {
    for (const auto& n : *k) {
      if (n.is_string()) o.key_fields.push_back(n.get<std::string>());
    }
  }
  o.createable = Bool(j, "createable");
  o.updateable = Bool(j, "updateable");
  o.deletable = Bool(j, "deletable");
  o.source = ReadSource(j, parent.file);
  ReadExt(j, o.extensions);
  auto fs = j.find("fields");
  if (fs == j.end() || !fs->is_array()) return Fail(ptr, "object has no `fields` array");
  o.fields.resize(fs->size());
  std::string fptr = Child(ptr, "fields");
  for (size_t i = 0; i < fs->size(); ++i) {
    if (!ReadField((*fs)[i], Child(fptr, i), o.source.file, o.fields[i])) return false;
  }
  if (auto rs = j.find("child_relationships"); rs != j.end() && rs->is_array()) {
    for (const auto& r : *rs) {
      o.child_relationships.push_back(
          {Str(r, "name"), Str(r, "child_object"), Str(r, "field"), Bool(r, "cascade_delete")});
    }
  }
  Unknown(j, ptr, kKnown);
  o.Reindex();
  return true;
}

bool Reader::ReadSchema(const Json& root, Schema& out) {
  if (!root.is_object()) return Fail("", "not a crmx schema: not a JSON object");
  auto v = root.find("crmx_schema");
  if (v == root.end() || !v->is_number_integer()) {
    return Fail("", "not a crmx schema: no `crmx_schema` version number");
  }
  if (v->get<int64_t>() != Schema::kFormatVersion) {
    return Fail("/crmx_schema", "crmx schema version " + std::to_string(v->get<int64_t>()) +
                                    " is not supported (this crmxc reads version " +
                                    std::to_string(Schema::kFormatVersion) + ")");
  }
  out.system = Str(root, "system");
  out.source_format = Str(root, "source_format");
  if (auto sf = root.find("source_files"); sf != root.end() && sf->is_array()) {
    for (const auto& f : *sf) {
      if (f.is_string()) out.source_files.push_back(f.get<std::string>());
    }
  }
  auto objs = root.find("objects");
  if (objs == root.end() || !objs->is_object()) return Fail("", "no `objects` map");
  std::string default_file = out.source_files.empty() ? "" : out.source_files.front();
  out.objects.reserve(objs->size());
  for (const auto& [name, body] : objs->items()) {
    Object o;
    o.name = name;
    if (!ReadObjectBody(body, Child("/objects", name), {default_file, ""}, o)) return false;
    out.objects.push_back(std::move(o));
  }
  Unknown(root, "", {"crmx_schema", "system", "source_format", "source_files", "objects"});
  out.Reindex();
  return true;
}

}  // namespace

std::string WriteSchemaJson(const Schema& schema) {
  Json root = Json::object();
  root["crmx_schema"] = Schema::kFormatVersion;
  root["system"] = schema.system;
  root["source_format"] = schema.source_format;
  root["source_files"] = schema.source_files;
  std::string default_file = schema.source_files.empty() ? "" : schema.source_files.front();
  Json objs = Json::object();
  for (const auto& o : schema.objects) {
    // Object sources are relative to the first source file when they share it.
    Json body = WriteObjectBody(o, default_file);
    objs[o.name] = std::move(body);
  }
  root["objects"] = std::move(objs);
  return root.dump(2) + "\n";
}

bool WriteSchemaFile(const Schema& schema, const std::string& path, std::string& error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    error = "cannot write `" + path + "`";
    return false;
  }
  out << WriteSchemaJson(schema);
  out.close();
  if (!out) {
    error = "cannot write `" + path + "`";
    return false;
  }
  return true;
}

ImportResult ReadSchemaJson(std::string_view text, const std::string& path) {
  ImportResult r;
  Json root;
  if (auto err = detail::ParseJson(text, path, root)) {
    r.error = std::move(err);
    return r;
  }
  Reader reader(path, r.warnings);
  if (!reader.ReadSchema(root, r.schema)) r.error = reader.error_;
  return r;
}

ImportResult ReadSchemaFile(const std::string& path) {
  std::string text;
  std::string err;
  if (!detail::ReadFile(path, text, err)) {
    ImportResult r;
    r.error = ImportError{path, "", err, true};
    return r;
  }
  return ReadSchemaJson(text, path);
}

}  // namespace crmx::schema
