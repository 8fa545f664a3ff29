// Defines the QuickBooks Online importer: the v3 data model as XML Schema (Finance.xsd and the
// files it includes: IntuitBaseTypes.xsd, IntuitNamesTypes.xsd; intuit/QuickBooks-V3-Java-SDK,
// ipp-v3-java-data/src/main/xsd). Every named complexType becomes an object: the types derived
// from IntuitEntity (Customer, Invoice, Item, SalesReceipt, Payment ...) are entities, the rest
// (Line, SalesItemLineDetail, ReferenceType, PhysicalAddress ...) complex types the entities
// name. An extension chain is flattened base first (IntuitEntity -> NameBase -> Customer), so
// Customer has Id, SyncToken and MetaData; `xs:choice` members (Line's detail elements) are
// optional fields; `xs:group ref` is expanded; attributes are fields (`domain`, `status`, and a
// `*Ref`'s `name`); a simpleContent type (ReferenceType) has its text as the field `value`,
// as the JSON API writes it (`"CustomerRef": {"value": "42", "name": "Acme"}`).
//
// Types: xs:string/decimal/boolean/date/dateTime/int... map to the model's kinds; a simpleType
// with enumerations is a restricted picklist; `maxLength` is the field's length; maxOccurs > 1
// is a list. minOccurs (default 1) says `required`.
//
// What the XSD does not say: it marks almost nothing required and nothing read-only. The two
// small tables below (kReadOnly, kRequired) add those facts from Intuit's public API reference
// (docs/schema-format.md, "QuickBooks Online XSD", lists them with the pages).
#include <pugixml.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "compiler/schema/import.h"
#include "compiler/schema/import_util.h"

namespace crmx::schema {
namespace {

using detail::Warner;

// Fields the system computes or assigns: neither createable nor updateable. Source: Intuit's
// QuickBooks Online Accounting API reference, entity pages (developer.intuit.com/app/developer/
// qbo/docs/api/accounting/all-entities/{customer,invoice,item,salesreceipt,payment}), where
// these attributes are "read only" / "system defined", and the v3 .NET SDK reference
// (static.developer.intuit.com/sdkdocs/qbv3doc/ippdotnetdevkitv3, Customer.BalanceWithJobs
// "Cannot be written"). "*" applies to every entity. `createable` true: settable on create only
// (Customer.Balance is the opening balance when created, computed after).
struct ReadOnlyFact {
  const char* object;
  const char* field;
  bool calculated;  // computed from other data (an amount), not merely assigned
  bool createable;
};
constexpr ReadOnlyFact kReadOnly[] = {
    {"*", "Id", false, false},           {"*", "SyncToken", false, false},
    {"*", "MetaData", false, false},     {"*", "domain", false, false},
    {"*", "status", false, false},       {"Customer", "FullyQualifiedName", true, false},
    {"Customer", "Level", true, false},  {"Customer", "BalanceWithJobs", true, false},
    {"Customer", "Balance", true, true}, {"Customer", "IsProject", false, false},
    {"Item", "FullyQualifiedName", true, false}, {"Item", "Level", true, false},
    {"Invoice", "TotalAmt", true, false},        {"Invoice", "Balance", true, false},
    {"Invoice", "HomeBalance", true, false},     {"Invoice", "HomeTotalAmt", true, false},
    {"Invoice", "InvoiceLink", true, false},     {"SalesReceipt", "TotalAmt", true, false},
    {"SalesReceipt", "Balance", true, false},    {"SalesReceipt", "HomeBalance", true, false},
    {"SalesReceipt", "HomeTotalAmt", true, false}, {"Payment", "UnappliedAmt", true, false},
};

// Fields a create must supply, per the same reference ("Required" / "required for create"):
// the XSD has minOccurs="0" on all of them.
constexpr std::pair<const char*, const char*> kRequired[] = {
    {"Invoice", "CustomerRef"}, {"Invoice", "Line"},      {"SalesReceipt", "Line"}, {"Payment", "CustomerRef"},
    {"Payment", "TotalAmt"},    {"Item", "Name"},         {"Line", "DetailType"},   {"Line", "Amount"},
};

constexpr const char* kXs = "xs:";

// The local name of a QName ("xs:string" -> "string", "Customer" -> "Customer").
std::string Local(std::string_view qname) {
  size_t colon = qname.find(':');
  return std::string(colon == std::string_view::npos ? qname : qname.substr(colon + 1));
}
bool IsXs(std::string_view qname) { return qname.substr(0, 3) == kXs || qname.substr(0, 4) == "xsd:"; }
bool Is(const pugi::xml_node& n, const char* local) { return Local(n.name()) == local; }

struct Builtin {
  const char* name;
  TypeKind kind;
};
constexpr Builtin kBuiltins[] = {
    {"string", TypeKind::kString},       {"normalizedString", TypeKind::kString}, {"token", TypeKind::kString},
    {"anyURI", TypeKind::kUrl},          {"boolean", TypeKind::kBool},            {"decimal", TypeKind::kDecimal},
    {"int", TypeKind::kInt},             {"integer", TypeKind::kInt},             {"long", TypeKind::kInt},
    {"short", TypeKind::kInt},           {"byte", TypeKind::kInt},                {"positiveInteger", TypeKind::kInt},
    {"nonNegativeInteger", TypeKind::kInt}, {"unsignedInt", TypeKind::kInt},      {"unsignedLong", TypeKind::kInt},
    {"double", TypeKind::kDouble},       {"float", TypeKind::kDouble},            {"date", TypeKind::kDate},
    {"dateTime", TypeKind::kDateTime},   {"time", TypeKind::kTime},               {"base64Binary", TypeKind::kBinary},
    {"hexBinary", TypeKind::kBinary},    {"anyType", TypeKind::kAny},
};

struct Document {
  std::string file;
  pugi::xml_document doc;
};

class XsdReader {
 public:
  explicit XsdReader(std::vector<ImportWarning>& warnings) : warnings_(warnings) {}

  // Loads `path` and, recursively, the files it includes (relative to it), once each.
  std::optional<ImportError> Load(const std::string& path) {
    std::error_code ec;
    std::string canonical = std::filesystem::weakly_canonical(path, ec).string();
    if (ec) canonical = path;
    if (!loaded_.insert(canonical).second) return std::nullopt;
    std::string text, error;
    if (!detail::ReadFile(path, text, error)) return ImportError{path, "", error, true};
    auto d = std::make_unique<Document>();
    d->file = path;
    pugi::xml_parse_result parsed = d->doc.load_buffer(text.data(), text.size());
    if (!parsed) {
      return ImportError{path, detail::PositionOf(text, static_cast<size_t>(parsed.offset)),
                         std::string("malformed XML: ") + parsed.description(), false};
    }
    pugi::xml_node root = d->doc.document_element();
    if (!Is(root, "schema")) {
      return ImportError{path, "/", "not an XML Schema: the root element is `" + std::string(root.name()) + "`",
                         false};
    }
    Document* doc = d.get();
    docs_.push_back(std::move(d));
    for (pugi::xml_node n : root.children()) {
      std::string name = n.attribute("name").value();
      if (Is(n, "complexType") && !name.empty()) {
        if (!complex_.emplace(name, Located{doc, n}).second) Warn(doc, "/schema/complexType[@name='" + name + "']", "complexType `" + name + "` is defined twice; the first is kept");
        else order_.push_back(name);
      } else if (Is(n, "simpleType") && !name.empty()) {
        simple_.emplace(name, Located{doc, n});
      } else if (Is(n, "group") && !name.empty()) {
        groups_.emplace(name, Located{doc, n});
      }
    }
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    for (pugi::xml_node n : root.children()) {
      if (!Is(n, "include") && !Is(n, "import")) continue;
      std::string loc = n.attribute("schemaLocation").value();
      if (loc.empty()) continue;
      std::filesystem::path inc = dir / loc;
      if (!std::filesystem::exists(inc, ec)) {
        Warn(doc, "/schema/include[@schemaLocation='" + loc + "']", "included file `" + inc.string() + "` not found; its types are missing");
        continue;
      }
      if (auto err = Load(inc.string())) return err;
    }
    return std::nullopt;
  }

  void Build(Schema& schema) {
    for (const std::string& name : order_) {
      const Located& at = complex_.at(name);
      Object o;
      o.name = name;
      o.description = Documentation(at.node);
      o.kind = DerivesFrom(name, "IntuitEntity") ? ObjectKind::kEntity : ObjectKind::kComplex;
      o.source = {at.doc->file, "/schema/complexType[@name='" + name + "']"};
      if (at.node.attribute("abstract").as_bool()) o.extensions["xsd:abstract"] = "true";
      std::set<std::string> seen;
      CollectComplex(at, o, seen, 0);
      for (Field& f : o.fields) ApplyTables(o.name, f);
      if (o.FindField("Id") != nullptr && o.kind == ObjectKind::kEntity) o.key_fields = {"Id"};
      o.Reindex();
      Warner w(at.doc->file, warnings_);
      detail::AddObjectOrWarn(schema, std::move(o), w);
    }
  }

 private:
  struct Located {
    Document* doc = nullptr;
    pugi::xml_node node;
  };

  void Warn(const Document* doc, std::string pointer, std::string message) {
    warnings_.push_back({doc->file, std::move(pointer), std::move(message)});
  }

  static std::string Documentation(const pugi::xml_node& n) {
    pugi::xml_node doc = n.child("xs:annotation").child("xs:documentation");
    std::string text = doc.text().get();
    // "Description: ..." is the useful line of Intuit's annotation blocks.
    size_t at = text.find("Description:");
    if (at != std::string::npos) {
      size_t end = text.find('\n', at);
      text = text.substr(at + 12, end == std::string::npos ? std::string::npos : end - at - 12);
    }
    size_t b = text.find_first_not_of(" \t\r\n");
    size_t e = text.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? std::string() : text.substr(b, e - b + 1);
  }

  bool DerivesFrom(const std::string& name, const std::string& base) const {
    std::string cur = name;
    for (int depth = 0; depth < 32; ++depth) {
      if (cur == base) return true;
      auto it = complex_.find(cur);
      if (it == complex_.end()) return false;
      pugi::xml_node ext = it->second.node.child("xs:complexContent").child("xs:extension");
      if (!ext) return false;
      cur = Local(ext.attribute("base").value());
    }
    return false;
  }

  // The fields of complexType `at` into `o`: the base's first (extension chains), then the
  // sequence/choice/all particles and the attributes.
  void CollectComplex(const Located& at, Object& o, std::set<std::string>& seen, int depth) {
    if (depth > 32) return;
    const pugi::xml_node& n = at.node;
    if (pugi::xml_node cc = n.child("xs:complexContent")) {
      pugi::xml_node der = cc.child("xs:extension");
      if (!der) der = cc.child("xs:restriction");
      std::string base = Local(der.attribute("base").value());
      auto it = complex_.find(base);
      if (it != complex_.end() && Is(der, "extension")) CollectComplex(it->second, o, seen, depth + 1);
      else if (it == complex_.end() && !base.empty()) Warn(at.doc, o.source.pointer, "base type `" + base + "` is not defined");
      CollectParticles(at.doc, der, o, seen, false);
      return;
    }
    if (pugi::xml_node sc = n.child("xs:simpleContent")) {
      pugi::xml_node der = sc.child("xs:extension");
      if (!der) der = sc.child("xs:restriction");
      Field v;
      v.name = "value";
      v.source = {at.doc->file, o.source.pointer + "/simpleContent"};
      SetType(at.doc, der.attribute("base").value(), v);
      AddField(o, std::move(v), seen);
      CollectParticles(at.doc, der, o, seen, false);
      return;
    }
    CollectParticles(at.doc, n, o, seen, false);
  }

  void CollectParticles(Document* doc, const pugi::xml_node& parent, Object& o, std::set<std::string>& seen,
                        bool optional) {
    for (pugi::xml_node c : parent.children()) {
      if (Is(c, "sequence") || Is(c, "all")) {
        CollectParticles(doc, c, o, seen, optional || c.attribute("minOccurs").value() == std::string("0"));
      } else if (Is(c, "choice")) {
        // One of the members at most: none of them is required on its own.
        CollectParticles(doc, c, o, seen, true);
      } else if (Is(c, "group")) {
        std::string ref = Local(c.attribute("ref").value());
        auto it = groups_.find(ref);
        if (it == groups_.end()) {
          Warn(doc, o.source.pointer + "/group[@ref='" + ref + "']", "group `" + ref + "` is not defined; its elements are missing");
          continue;
        }
        CollectParticles(it->second.doc, it->second.node, o, seen,
                         optional || c.attribute("minOccurs").value() == std::string("0"));
      } else if (Is(c, "element")) {
        AddField(o, ElementField(doc, c, o, optional), seen);
      } else if (Is(c, "attribute")) {
        Field f;
        f.name = c.attribute("name").value();
        if (f.name.empty()) continue;
        f.description = Documentation(c);
        f.source = {doc->file, o.source.pointer + "/attribute[@name='" + f.name + "']"};
        SetType(doc, c.attribute("type").value(), f);
        f.required = std::string(c.attribute("use").value()) == "required";
        AddField(o, std::move(f), seen);
      } else if (Is(c, "any")) {
        Warn(doc, o.source.pointer + "/any", "`xs:any` (any element) is not modelled");
      }
    }
  }

  Field ElementField(Document* doc, const pugi::xml_node& e, const Object& o, bool optional) {
    Field f;
    f.name = e.attribute("name").value();
    if (f.name.empty()) f.name = Local(e.attribute("ref").value());
    f.description = Documentation(e);
    f.source = {doc->file, o.source.pointer + "/element[@name='" + f.name + "']"};
    std::string type = e.attribute("type").value();
    if (type.empty() && e.attribute("ref")) type = Local(e.attribute("ref").value());
    if (pugi::xml_node inline_complex = e.child("xs:complexType")) {
      Object inner;
      inner.name = o.name + "." + f.name;
      inner.kind = ObjectKind::kComplex;
      inner.source = f.source;
      std::set<std::string> seen;
      CollectComplex(Located{doc, inline_complex}, inner, seen, 1);
      inner.Reindex();
      f.type = Type::Inline(std::move(inner));
      f.source_type = "complexType";
    } else if (pugi::xml_node inline_simple = e.child("xs:simpleType")) {
      ApplySimple(doc, inline_simple, f, 0);
    } else {
      SetType(doc, type, f);
    }
    std::string min = e.attribute("minOccurs").value();
    std::string max = e.attribute("maxOccurs").value();
    bool required = !optional && min != "0";
    f.required = required;
    if (required) f.required_on_create = true;
    if (max == "unbounded" || (!max.empty() && max != "0" && max != "1")) {
      f.type = Type::List(std::move(f.type));
    }
    if (f.name == "Id" && f.type.kind == TypeKind::kString) f.type = Type(TypeKind::kId);
    return f;
  }

  void AddField(Object& o, Field f, std::set<std::string>& seen) {
    if (f.name.empty()) return;
    if (!seen.insert(f.name).second) {
      // A derived type restating its base's element: the derived one's facts win.
      for (Field& x : o.fields)
        if (x.name == f.name) x = std::move(f);
      return;
    }
    o.fields.push_back(std::move(f));
  }

  // The field's type from a type QName: a built-in, a named simpleType or a named complexType.
  void SetType(Document* doc, const std::string& qname, Field& f) {
    f.source_type = qname;
    if (qname.empty()) {
      f.type = Type(TypeKind::kAny);
      return;
    }
    std::string local = Local(qname);
    if (IsXs(qname)) {
      f.type = Type(BuiltinKind(local));
      return;
    }
    if (auto it = simple_.find(local); it != simple_.end()) {
      ApplySimple(it->second.doc, it->second.node, f, 0);
      f.source_type = qname;
      return;
    }
    if (complex_.count(local)) {
      f.type = Type::Named(local);
      return;
    }
    Warn(doc, f.source.pointer, "type `" + qname + "` is not defined; the field is `any`");
    f.type = Type(TypeKind::kAny);
  }

  static TypeKind BuiltinKind(const std::string& local) {
    for (const Builtin& b : kBuiltins)
      if (local == b.name) return b.kind;
    return TypeKind::kString;
  }

  // A simpleType: its base's kind, enumerations as a restricted picklist, maxLength.
  void ApplySimple(Document* doc, const pugi::xml_node& st, Field& f, int depth) {
    pugi::xml_node r = st.child("xs:restriction");
    if (!r) {
      // xs:list / xs:union: text.
      f.type = Type(TypeKind::kString);
      return;
    }
    std::string base = r.attribute("base").value();
    if (IsXs(base) || base.empty()) {
      f.type = Type(BuiltinKind(Local(base)));
    } else if (auto it = simple_.find(Local(base)); it != simple_.end() && depth < 16) {
      ApplySimple(it->second.doc, it->second.node, f, depth + 1);
    } else {
      f.type = Type(TypeKind::kString);
    }
    bool any_enum = false;
    for (pugi::xml_node facet : r.children()) {
      if (Is(facet, "enumeration")) {
        if (!any_enum) f.picklist.values.clear();
        any_enum = true;
        f.picklist.values.push_back({facet.attribute("value").value(), "", true, false});
      } else if (Is(facet, "maxLength")) {
        f.length = static_cast<uint32_t>(facet.attribute("value").as_uint());
      } else if (Is(facet, "totalDigits")) {
        f.precision = static_cast<uint32_t>(facet.attribute("value").as_uint());
      } else if (Is(facet, "fractionDigits")) {
        f.scale = static_cast<uint32_t>(facet.attribute("value").as_uint());
      }
    }
    if (any_enum) {
      f.type = Type(TypeKind::kPicklist);
      f.picklist.restricted = true;
    }
    (void)doc;
  }

  static void ApplyTables(const std::string& object, Field& f) {
    for (const ReadOnlyFact& r : kReadOnly) {
      if ((std::string_view(r.object) == "*" || object == r.object) && f.name == r.field) {
        f.createable = r.createable;
        f.updateable = false;
        if (r.calculated) f.calculated = !r.createable;
        f.extensions["quickbooks:readonly"] = "Intuit API reference";
      }
    }
    for (const auto& [o, name] : kRequired) {
      if (object == o && f.name == name) f.required_on_create = true;
    }
    // `*Ref` elements hold another entity's id: `CustomerRef` -> Customer.
    if (f.type.kind == TypeKind::kObject && f.type.object_name == "ReferenceType" && f.name.size() > 3 &&
        f.name.ends_with("Ref")) {
      f.extensions["quickbooks:references"] = f.name.substr(0, f.name.size() - 3);
    }
  }

  std::vector<ImportWarning>& warnings_;
  std::vector<std::unique_ptr<Document>> docs_;
  std::set<std::string> loaded_;
  std::map<std::string, Located> complex_;
  std::map<std::string, Located> simple_;
  std::map<std::string, Located> groups_;
  std::vector<std::string> order_;
};

}  // namespace

ImportResult ImportQuickBooksXsd(const std::vector<std::string>& files, const ImportOptions& options) {
  ImportResult r;
  r.schema.system = options.system.empty() ? "quickbooks" : options.system;
  r.schema.source_format = "quickbooks-xsd";
  XsdReader reader(r.warnings);
  for (const std::string& file : files) {
    r.schema.source_files.push_back(file);
    if (auto err = reader.Load(file)) {
      r.error = std::move(err);
      return r;
    }
  }
  reader.Build(r.schema);
  r.schema.Reindex();
  return r;
}

}  // namespace crmx::schema
