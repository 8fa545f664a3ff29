// Defines the OData importer: CSDL metadata in EDMX XML, OData v2 (EDMX 1.0, SAP Gateway with
// `sap:` attributes, Association/AssociationSet navigation) and v4 (EDMX 4.0/4.01, labels and
// Core.Computed/Immutable in `<Annotations>` blocks or inline `<Annotation>`s).
//
// EntityType -> object (kEntity); ComplexType -> object (kComplex) referenced by name;
// EnumType -> picklist at each use; NavigationProperty -> a field with `navigation` set whose
// type names the target (a list for to-many), plus a ChildRelationship for to-many.
#include <pugixml.hpp>

#include <map>
#include <set>

#include "compiler/schema/import.h"
#include "compiler/schema/import_util.h"

namespace crmx::schema {
namespace {

using detail::Warner;

// Element name without its namespace prefix ("edmx:Edmx" -> "Edmx").
std::string_view LocalName(const pugi::xml_node& n) {
  std::string_view name = n.name();
  auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

bool Is(const pugi::xml_node& n, std::string_view local) { return LocalName(n) == local; }

std::string Attr(const pugi::xml_node& n, const char* name) { return n.attribute(name).value(); }

std::optional<uint32_t> UintAttr(const pugi::xml_node& n, const char* name) {
  pugi::xml_attribute a = n.attribute(name);
  if (!a) return std::nullopt;
  std::string v = a.value();
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return static_cast<uint32_t>(std::stoul(v));
}

std::string Path(const std::string& parent, std::string_view element, const std::string& name) {
  return parent + "/" + std::string(element) + "[@Name='" + name + "']";
}

struct EnumInfo {
  std::vector<PicklistValue> values;
  bool flags = false;
};

class ODataImporter {
 public:
  ODataImporter(const std::string& path, Schema& schema, std::vector<ImportWarning>& warnings)
      : path_(path), schema_(schema), w_(path, warnings) {}

  std::optional<ImportError> Run(const std::string& text);

 private:
  // "Alias.Name" / "Namespace.Name" -> "Name"; Collection(...) is unwrapped by the caller.
  std::string Unqualify(const std::string& qualified) const;
  std::string ResolveTerm(const std::string& term) const;
  Field ImportProperty(const pugi::xml_node& p, const std::string& ptr);
  void ImportNavigation(const pugi::xml_node& n, const std::string& ptr, Object& obj);
  void ApplyAnnotation(const pugi::xml_node& a, Field* field, Object* obj, const std::string& ptr);
  void ApplySapAttributes(const pugi::xml_node& p, Field& f);
  Object ImportStructured(const pugi::xml_node& t, ObjectKind kind, const std::string& ptr);

  std::string path_;
  Schema& schema_;
  Warner w_;
  int version_ = 4;
  std::map<std::string, std::string> alias_to_ns_;  // also namespace -> itself
  std::map<std::string, EnumInfo> enums_;
  std::set<std::string> complex_names_;
  std::set<std::string> entity_names_;
  // v2: association name -> role -> (type, multiplicity)
  std::map<std::string, std::map<std::string, std::pair<std::string, std::string>>> assocs_;
};

std::string ODataImporter::Unqualify(const std::string& qualified) const {
  auto dot = qualified.rfind('.');
  return dot == std::string::npos ? qualified : qualified.substr(dot + 1);
}

std::string ODataImporter::ResolveTerm(const std::string& term) const {
  auto dot = term.rfind('.');
  if (dot == std::string::npos) return term;
  std::string prefix = term.substr(0, dot);
  auto it = alias_to_ns_.find(prefix);
  return (it != alias_to_ns_.end() ? it->second : prefix) + term.substr(dot);
}

void ODataImporter::ApplySapAttributes(const pugi::xml_node& p, Field& f) {
  for (pugi::xml_attribute a : p.attributes()) {
    std::string_view name = a.name();
    if (name.substr(0, 4) != "sap:") continue;
    std::string value = a.value();
    if (name == "sap:label") {
      f.label = value;
    } else if (name == "sap:quickinfo") {
      f.description = value;
    } else if (name == "sap:creatable") {
      f.createable = value != "false";
    } else if (name == "sap:updatable") {
      f.updateable = value != "false";
    } else if (name == "sap:nullable") {
      f.nullable = value != "false";
    } else {
      f.extensions[std::string(name)] = value;
    }
  }
  // SAP v2 dates are Edm.DateTime with display-format Date.
  if (f.type.kind == TypeKind::kDateTime && f.extensions.count("sap:display-format") &&
      f.extensions["sap:display-format"] == "Date") {
    f.type.kind = TypeKind::kDate;
  }
}

Field ODataImporter::ImportProperty(const pugi::xml_node& p, const std::string& ptr) {
  Field f;
  f.name = Attr(p, "Name");
  f.source = {path_, ptr};
  std::string type = Attr(p, "Type");
  f.source_type = type;
  bool collection = false;
  if (type.rfind("Collection(", 0) == 0 && type.back() == ')') {
    collection = true;
    type = type.substr(11, type.size() - 12);
  }
  TypeKind kind = TypeKind::kAny;
  if (type.rfind("Edm.", 0) == 0) {
    std::string edm = type.substr(4);
    if (edm == "String") {
      kind = TypeKind::kString;
    } else if (edm == "Boolean") {
      kind = TypeKind::kBool;
    } else if (edm == "Byte" || edm == "SByte" || edm == "Int16" || edm == "Int32" ||
               edm == "Int64") {
      kind = TypeKind::kInt;
      f.format = edm;
      if (edm == "Int64" && version_ == 2) f.encoding = "string";
    } else if (edm == "Decimal") {
      kind = TypeKind::kDecimal;
      if (version_ == 2) f.encoding = "string";
    } else if (edm == "Double" || edm == "Single") {
      kind = TypeKind::kDouble;
      f.format = edm;
    } else if (edm == "Date") {
      kind = TypeKind::kDate;
    } else if (edm == "DateTime") {
      kind = TypeKind::kDateTime;
      f.format = "local";
      if (version_ == 2) f.encoding = "msdate";
    } else if (edm == "DateTimeOffset") {
      kind = TypeKind::kDateTime;
      if (version_ == 2) f.encoding = "msdate";
    } else if (edm == "TimeOfDay" || edm == "Time") {
      kind = TypeKind::kTime;
      // v2 Edm.Time is a duration on the wire (PT12H30M00S).
      if (edm == "Time") f.encoding = "duration";
    } else if (edm == "Guid") {
      kind = TypeKind::kString;
      f.format = "uuid";
    } else if (edm == "Binary" || edm == "Stream") {
      kind = TypeKind::kBinary;
    } else if (edm == "Duration") {
      kind = TypeKind::kString;
      f.format = "duration";
    } else if (edm.rfind("Geography", 0) == 0 || edm.rfind("Geometry", 0) == 0) {
      kind = TypeKind::kLocation;
      f.format = edm;
    } else {
      w_.Warn(ptr, "unknown type `" + type + "` of `" + f.name + "` is modelled as `any`");
    }
    f.type = Type(kind);
  } else {
    std::string local = Unqualify(type);
    if (auto e = enums_.find(local); e != enums_.end()) {
      f.type = Type(e->second.flags ? TypeKind::kMultiPicklist : TypeKind::kPicklist);
      f.picklist.values = e->second.values;
      f.picklist.restricted = true;
    } else if (complex_names_.count(local) || entity_names_.count(local)) {
      f.type = Type::Named(local);
    } else {
      w_.Warn(ptr, "type `" + type + "` of `" + f.name + "` is not defined in this file; "
                   "modelled as `any`");
      f.type = Type(TypeKind::kAny);
    }
  }
  if (collection) f.type = Type::List(std::move(f.type));

  // Nullable defaults to true in CSDL (both versions).
  f.nullable = Attr(p, "Nullable") != "false";
  if (auto len = UintAttr(p, "MaxLength")) f.length = len;
  if (IsDecimal(f.type.kind) || f.ElementKind() == TypeKind::kDecimal) {
    f.precision = UintAttr(p, "Precision");
    std::string scale = Attr(p, "Scale");
    if (scale == "variable" || scale == "floating") {
      f.scale_variable = true;
    } else if (auto s = UintAttr(p, "Scale")) {
      f.scale = s;
    } else if (scale.empty()) {
      f.scale = 0;  // CSDL: Scale defaults to 0
    }
  } else if (f.ElementKind() == TypeKind::kDateTime || f.ElementKind() == TypeKind::kTime) {
    if (auto pr = UintAttr(p, "Precision")) f.extensions["Precision"] = std::to_string(*pr);
  }
  if (auto d = p.attribute("DefaultValue")) f.default_value = d.value();
  if (auto fc = p.attribute("ConcurrencyMode")) f.extensions["ConcurrencyMode"] = fc.value();
  ApplySapAttributes(p, f);
  for (pugi::xml_node a : p.children()) {
    if (Is(a, "Annotation")) ApplyAnnotation(a, &f, nullptr, ptr);
  }
  return f;
}

void ODataImporter::ImportNavigation(const pugi::xml_node& n, const std::string& ptr,
                                     Object& obj) {
  Field f;
  f.name = Attr(n, "Name");
  f.source = {path_, ptr};
  f.navigation = true;
  // A navigation creates its targets with the parent (deep insert: a sales order's `to_Item`)
  // unless SAP's `sap:creatable="false"` says not; no OData service updates them with it.
  f.createable = Attr(n, "sap:creatable") != "false";
  f.updateable = false;
  std::string target;
  bool many = false;
  if (version_ == 2 || n.attribute("Relationship")) {
    std::string assoc = Unqualify(Attr(n, "Relationship"));
    std::string to_role = Attr(n, "ToRole");
    auto a = assocs_.find(assoc);
    if (a == assocs_.end() || !a->second.count(to_role)) {
      w_.Warn(ptr, "navigation `" + f.name + "`: association `" + assoc + "` or its role `" +
                       to_role + "` is not defined; the navigation is skipped");
      return;
    }
    const auto& [type, multiplicity] = a->second.at(to_role);
    target = Unqualify(type);
    many = multiplicity == "*";
    f.nullable = multiplicity != "1";
    f.source_type = "Association " + multiplicity;
  } else {
    std::string type = Attr(n, "Type");
    f.source_type = type;
    if (type.rfind("Collection(", 0) == 0 && type.back() == ')') {
      many = true;
      type = type.substr(11, type.size() - 12);
    }
    target = Unqualify(type);
    f.nullable = many || Attr(n, "Nullable") != "false";
    if (auto partner = n.attribute("Partner")) f.extensions["Partner"] = partner.value();
    std::string constraints;
    for (pugi::xml_node rc : n.children()) {
      if (Is(rc, "ReferentialConstraint")) {
        constraints += (constraints.empty() ? "" : ",") + Attr(rc, "Property") + "=" +
                       Attr(rc, "ReferencedProperty");
      } else if (Is(rc, "OnDelete")) {
        f.extensions["OnDelete"] = Attr(rc, "Action");
      }
    }
    if (!constraints.empty()) f.extensions["ReferentialConstraint"] = constraints;
  }
  f.type = many ? Type::List(Type::Named(target)) : Type::Named(target);
  f.references.targets.push_back(target);
  f.references.relationship_name = f.name;
  if (many) obj.child_relationships.push_back({f.name, target, "", std::nullopt});
  obj.fields.push_back(std::move(f));
}

void ODataImporter::ApplyAnnotation(const pugi::xml_node& a, Field* field, Object* obj,
                                    const std::string& ptr) {
  std::string term = ResolveTerm(Attr(a, "Term"));
  std::string str = Attr(a, "String");
  bool bool_false = Attr(a, "Bool") == "false";
  if (term == "com.sap.vocabularies.Common.v1.Label") {
    if (field) field->label = str;
    if (obj) obj->label = str;
  } else if (term == "com.sap.vocabularies.Common.v1.QuickInfo") {
    if (field) field->description = str;
  } else if (term == "Org.OData.Core.V1.Computed" && !bool_false) {
    if (field) {
      field->calculated = true;
      field->createable = false;
      field->updateable = false;
    }
  } else if (term == "Org.OData.Core.V1.Immutable" && !bool_false) {
    if (field) field->updateable = false;
  } else if (term == "Org.OData.Core.V1.Description") {
    if (field && field->description.empty()) field->description = str;
    if (obj && obj->description.empty()) obj->description = str;
  } else if (term == "com.sap.vocabularies.Common.v1.IsUpperCase" && field) {
    field->extensions["IsUpperCase"] = "true";
  } else if (term == "Org.OData.Measures.V1.ISOCurrency" && field) {
    // An amount whose currency is given: money.
    if (field->type.kind == TypeKind::kDecimal) field->type.kind = TypeKind::kCurrency;
    std::string path = Attr(a, "Path");
    field->extensions["ISOCurrency"] = path.empty() ? str : path;
  } else if (term == "Org.OData.Measures.V1.Unit" && field) {
    std::string path = Attr(a, "Path");
    field->extensions["Unit"] = path.empty() ? str : path;
  }
  // Other terms (UI hints, capabilities, value lists) carry nothing the model keeps.
  (void)ptr;
}

Object ODataImporter::ImportStructured(const pugi::xml_node& t, ObjectKind kind,
                                       const std::string& ptr) {
  Object obj;
  obj.name = Attr(t, "Name");
  obj.kind = kind;
  obj.source = {path_, ptr};
  if (auto label = t.attribute("sap:label")) obj.label = label.value();
  for (pugi::xml_attribute a : t.attributes()) {
    std::string_view name = a.name();
    if (name.substr(0, 4) == "sap:" && name != "sap:label") {
      obj.extensions[std::string(name)] = a.value();
    }
  }
  if (auto base = t.attribute("BaseType")) {
    w_.Warn(ptr, "`BaseType` " + std::string(base.value()) + " of `" + obj.name +
                     "` is not merged: inherited properties are not fields of it");
  }
  std::set<std::string> keys;
  for (pugi::xml_node c : t.children()) {
    if (Is(c, "Key")) {
      for (pugi::xml_node pr : c.children()) {
        if (Is(pr, "PropertyRef")) {
          obj.key_fields.push_back(Attr(pr, "Name"));
          keys.insert(Attr(pr, "Name"));
        }
      }
    } else if (Is(c, "Property")) {
      obj.fields.push_back(ImportProperty(c, Path(ptr, "Property", Attr(c, "Name"))));
    } else if (Is(c, "NavigationProperty")) {
      ImportNavigation(c, Path(ptr, "NavigationProperty", Attr(c, "Name")), obj);
    } else if (Is(c, "Annotation")) {
      ApplyAnnotation(c, nullptr, &obj, ptr);
    } else if (c.type() == pugi::node_element && !Is(c, "Documentation")) {
      w_.Warn(ptr + "/" + std::string(LocalName(c)),
              "element `" + std::string(LocalName(c)) + "` in `" + obj.name + "` is not modelled");
    }
  }
  for (auto& f : obj.fields) {
    if (keys.count(f.name)) f.key = true;
  }
  obj.Reindex();
  for (const auto& k : obj.key_fields) {
    if (!obj.FindField(k)) w_.Warn(ptr, "key `" + k + "` is not a property of `" + obj.name + "`");
  }
  return obj;
}

std::optional<ImportError> ODataImporter::Run(const std::string& text) {
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(text.data(), text.size());
  if (!parsed) {
    return ImportError{path_, detail::PositionOf(text, static_cast<size_t>(parsed.offset)),
                       std::string("malformed XML: ") + parsed.description(), false};
  }
  pugi::xml_node edmx = doc.document_element();
  std::vector<pugi::xml_node> schemas;
  if (Is(edmx, "Edmx")) {
    std::string version = Attr(edmx, "Version");
    version_ = version.rfind("4", 0) == 0 ? 4 : 2;
    for (pugi::xml_node c : edmx.children()) {
      if (Is(c, "Reference")) {
        for (pugi::xml_node inc : c.children()) {
          if (Is(inc, "Include")) {
            alias_to_ns_[Attr(inc, "Alias")] = Attr(inc, "Namespace");
          }
        }
      } else if (Is(c, "DataServices")) {
        for (pugi::xml_node s : c.children()) {
          if (Is(s, "Schema")) schemas.push_back(s);
        }
      }
    }
  } else if (Is(edmx, "Schema")) {
    schemas.push_back(edmx);  // a bare CSDL schema
    std::string ns = edmx.attribute("xmlns").value();
    version_ = ns.find("docs.oasis-open.org") != std::string::npos ? 4 : 2;
  } else {
    return ImportError{path_, "", "not OData metadata: the root element is `" +
                                      std::string(edmx.name()) + "`, not `edmx:Edmx`", false};
  }
  if (schemas.empty()) {
    return ImportError{path_, "/Edmx/DataServices", "no `Schema` element in the metadata", false};
  }
  // Pass 1: names, aliases, enums, associations.
  for (pugi::xml_node s : schemas) {
    std::string ns = Attr(s, "Namespace");
    alias_to_ns_[ns] = ns;
    if (auto alias = s.attribute("Alias")) alias_to_ns_[alias.value()] = ns;
    for (pugi::xml_node c : s.children()) {
      if (Is(c, "EntityType")) {
        entity_names_.insert(Attr(c, "Name"));
      } else if (Is(c, "ComplexType")) {
        complex_names_.insert(Attr(c, "Name"));
      } else if (Is(c, "EnumType")) {
        EnumInfo info;
        info.flags = Attr(c, "IsFlags") == "true";
        for (pugi::xml_node m : c.children()) {
          if (Is(m, "Member")) info.values.push_back({Attr(m, "Name"), Attr(m, "Value"), true, false});
        }
        enums_[Attr(c, "Name")] = std::move(info);
      } else if (Is(c, "Association")) {
        auto& roles = assocs_[Attr(c, "Name")];
        for (pugi::xml_node e : c.children()) {
          if (Is(e, "End")) roles[Attr(e, "Role")] = {Attr(e, "Type"), Attr(e, "Multiplicity")};
        }
      }
    }
  }
  // Pass 2: structured types.
  for (pugi::xml_node s : schemas) {
    std::string sptr = "/Schema[@Namespace='" + Attr(s, "Namespace") + "']";
    for (pugi::xml_node c : s.children()) {
      if (Is(c, "EntityType")) {
        detail::AddObjectOrWarn(
            schema_, ImportStructured(c, ObjectKind::kEntity, Path(sptr, "EntityType", Attr(c, "Name"))), w_);
      } else if (Is(c, "ComplexType")) {
        detail::AddObjectOrWarn(
            schema_, ImportStructured(c, ObjectKind::kComplex, Path(sptr, "ComplexType", Attr(c, "Name"))), w_);
      }
    }
  }
  // Pass 3: out-of-line annotations (v4, and v2 files carrying v4 vocabularies).
  for (pugi::xml_node s : schemas) {
    std::string sptr = "/Schema[@Namespace='" + Attr(s, "Namespace") + "']";
    for (pugi::xml_node c : s.children()) {
      if (!Is(c, "Annotations")) continue;
      std::string target = Attr(c, "Target");
      std::string aptr = sptr + "/Annotations[@Target='" + target + "']";
      auto slash = target.find('/');
      std::string type_name = Unqualify(target.substr(0, slash));
      Object* obj = schema_.FindObject(type_name);
      // Targets on the entity container, actions or parameters are not about our objects.
      if (obj == nullptr || target.find('(') != std::string::npos) continue;
      Field* field = nullptr;
      if (slash != std::string::npos) {
        std::string prop = target.substr(slash + 1);
        field = obj->FindField(prop);
        if (field == nullptr) {
          w_.Warn(aptr, "annotation target `" + target + "` names no property of `" + obj->name + "`");
          continue;
        }
      }
      for (pugi::xml_node a : c.children()) {
        if (Is(a, "Annotation")) ApplyAnnotation(a, field, field ? nullptr : obj, aptr);
      }
    }
  }
  // Pass 4: the entity sets a service exposes its types as (`A_SalesOrder` of
  // `A_SalesOrderType`): what a request's URL names, kept as the type's `EntitySet` extension.
  for (pugi::xml_node s : schemas) {
    for (pugi::xml_node c : s.children()) {
      if (!Is(c, "EntityContainer")) continue;
      for (pugi::xml_node es : c.children()) {
        if (!Is(es, "EntitySet")) continue;
        Object* obj = schema_.FindObject(Unqualify(Attr(es, "EntityType")));
        if (obj != nullptr && !obj->extensions.count("EntitySet")) obj->extensions["EntitySet"] = Attr(es, "Name");
      }
    }
  }
  return std::nullopt;
}

}  // namespace

ImportResult ImportOData(const std::vector<std::string>& files, const ImportOptions& options) {
  ImportResult r;
  r.schema.system = options.system.empty() ? "odata" : options.system;
  r.schema.source_format = "odata";
  for (const auto& file : files) {
    r.schema.source_files.push_back(file);
    std::string text;
    std::string err;
    if (!detail::ReadFile(file, text, err)) {
      r.error = ImportError{file, "", err, true};
      return r;
    }
    ODataImporter importer(file, r.schema, r.warnings);
    if (auto e = importer.Run(text)) {
      r.error = std::move(e);
      return r;
    }
  }
  r.schema.Reindex();
  return r;
}

}  // namespace crmx::schema
