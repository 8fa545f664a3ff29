// Defines the normalized schema model: what one external system (a CRM or an ERP) says about
// its objects and fields, independent of the format it was described in (Salesforce describe,
// OpenAPI, JSON Schema, OData CSDL, NetSuite records browser).
//
// One Schema = one system's objects. Importers (import.h) build it; the type checker reads it.
// The JSON form written and loaded by schema_json.h is documented in docs/schema-format.md.
//
// Unknown is not false: many sources omit facts (a trimmed Salesforce describe has no
// `createable`). Such facts are std::optional and stay empty when the source did not say;
// the Is*() helpers give the permissive reading that checks should use ("treat as createable")
// while diagnostics can still tell "the schema says no" from "the schema does not say".
//
// All types are plain values (copyable, movable); nothing points into an importer's input.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace crmx::schema {

// The kind of value a field holds. Names in comments are the spellings used in the JSON form
// (TypeKindName / ParseTypeKind).
enum class TypeKind : uint8_t {
  kString,         // "string": short text; Field::length when known
  kText,           // "text": long text (textarea, Edm.String without MaxLength is still kString)
  kBool,           // "bool"
  kInt,            // "int": integral; Field::precision may hold the digit count (SF `digits`)
  kDouble,         // "double": binary floating point
  kDecimal,        // "decimal": exact; Field::precision / Field::scale when known
  kCurrency,       // "currency": a decimal that is money (IsDecimal() is true)
  kPercent,        // "percent": a decimal holding a percentage (IsDecimal() is true)
  kDate,           // "date": calendar date without time
  kDateTime,       // "datetime": instant (or local timestamp; see Field::format)
  kTime,           // "time": time of day
  kPicklist,       // "picklist": one value of Field::picklist
  kMultiPicklist,  // "multipicklist": several values of Field::picklist
  kId,             // "id": the record's own identifier
  kReference,      // "reference": identifier of another record; Field::references
  kEmail,          // "email"
  kPhone,          // "phone"
  kUrl,            // "url"
  kAddress,        // "address": compound; components in Field::compound_components
  kLocation,       // "location": compound latitude/longitude
  kObject,         // "object": nested structure: Type::object (inline) or Type::object_name
  kList,           // "list": Type::element holds the element type
  kMap,            // "map": string keys, Type::element holds the value type
  kBinary,         // "binary": bytes (base64 on the wire)
  kAny,            // "any": the source does not constrain it (or a union we do not model)
};

std::string_view TypeKindName(TypeKind kind);
// Parses a JSON-form kind name; nullopt when unknown.
std::optional<TypeKind> ParseTypeKind(std::string_view name);

struct Object;
struct Type;

// A heap box with value semantics (deep copy), so Type and Object can nest recursively.
template <typename T>
class Box {
 public:
  Box() = default;
  explicit Box(T value) : p_(std::make_unique<T>(std::move(value))) {}
  Box(const Box& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  Box(Box&&) noexcept = default;
  Box& operator=(const Box& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  Box& operator=(Box&&) noexcept = default;
  ~Box() = default;

  explicit operator bool() const { return p_ != nullptr; }
  T* get() const { return p_.get(); }
  T& operator*() const { return *p_; }
  T* operator->() const { return p_.get(); }

 private:
  std::unique_ptr<T> p_;
};

// The structural type of a field. Scalar facets (length, precision, picklist...) live on the
// Field; for a list or map they describe the innermost element.
struct Type {
  TypeKind kind = TypeKind::kAny;
  // kList / kMap: the element (value) type. Always set for those kinds.
  Box<Type> element;
  // kObject: exactly one of these is set.
  //   object: an inline nested structure (JSON Schema nested object, NetSuite sublist row,
  //           a sub-schema without a name).
  //   object_name: a named structure of the same Schema (Schema::FindObject), used for
  //           OpenAPI `$ref`s to components and OData complex/entity types; naming instead of
  //           inlining keeps recursive schemas finite.
  Box<Object> object;
  std::string object_name;

  Type() = default;
  explicit Type(TypeKind k) : kind(k) {}
  static Type List(Type element);
  static Type Map(Type value);
  static Type Named(std::string object_name);
  static Type Inline(Object object);

  // "string", "list<decimal>", "map<string>", "object<Contact>", "object{...}".
  std::string ToString() const;
};

struct PicklistValue {
  std::string value;  // what goes on the wire
  std::string label;  // display label; empty when the source has none
  bool active = true;
  bool is_default = false;
};

struct Picklist {
  std::vector<PicklistValue> values;
  // True when the system rejects values outside `values` (Salesforce restrictedPicklist, any
  // OpenAPI/JSON Schema enum, OData EnumType). Unknown when the source does not say.
  std::optional<bool> restricted;
  // Salesforce dependent picklists: the controlling field.
  std::string controller;

  bool empty() const { return values.empty(); }
  bool Contains(std::string_view v) const;
};

struct References {
  // Target objects. More than one = polymorphic (Salesforce OwnerId -> Group, User).
  // Empty with a kReference field = target unknown (NetSuite `select` fields).
  std::vector<std::string> targets;
  // Name to traverse the relationship from this side (Salesforce `Owner` for OwnerId,
  // OData navigation property); empty when none.
  std::string relationship_name;

  bool polymorphic() const { return targets.size() > 1; }
};

// Where a fact came from: the file and a JSON pointer ("/fields/3") or, for XML, an XPath-ish
// path ("/edmx:Edmx/.../EntityType[@Name='X']/Property[@Name='Y']").
struct SourceRef {
  std::string file;
  std::string pointer;
};

struct Field {
  std::string name;
  std::string label;
  std::string description;
  Type type;
  // The source's own type spelling ("currency", "Edm.Decimal", "select", "string/date-time"),
  // kept so messages can say what the vendor called it.
  std::string source_type;
  // Format hint from the source that does not change the kind ("uuid", "int64", "float",
  // "byte", "ssn"...); empty when none.
  std::string format;
  // How the value is written on the wire when it differs from the natural JSON form:
  //   "msdate"         Microsoft JSON date `/Date(1492041600000)/` (Xero x-is-msdate, SAP v2)
  //   "string"         a number carried as a JSON string (SAP decimals, int64 as string)
  //   "string|number"  either (OData v4 IEEE754Compatible)
  // Empty = natural encoding.
  std::string encoding;

  // May the value be null/empty? Unknown when the source does not say.
  std::optional<bool> nullable;
  // Must a create (insert) supply a value? Salesforce: !nillable && !defaultedOnCreate &&
  // createable. Unknown when an input to that rule is absent (trimmed describes).
  std::optional<bool> required_on_create;
  // Is the key always present in the payload (JSON Schema / OpenAPI `required` list)? This is a
  // statement about the document shape, not about creates.
  std::optional<bool> required;
  std::optional<bool> createable;
  std::optional<bool> updateable;
  // Computed by the system (formula, roll-up, Core.Computed, readOnly): never writable.
  std::optional<bool> calculated;
  std::optional<bool> external_id;
  std::optional<bool> unique;
  // Part of the object's key (OData Key, record id).
  bool key = false;
  // OData navigation property: a traversal to related records, not a stored value.
  bool navigation = false;

  std::optional<uint32_t> length;     // max characters
  std::optional<uint32_t> precision;  // total digits
  std::optional<uint32_t> scale;      // digits after the point
  bool scale_variable = false;        // OData Scale="variable": any scale up to precision

  Picklist picklist;
  References references;

  // Compound fields (Salesforce address/location): a component names its parent
  // ("BillingStreet" -> "BillingAddress"); the parent lists its components.
  std::string compound_parent;
  std::vector<std::string> compound_components;

  // Default value as the source wrote it (JSON text for JSON sources); empty = none known.
  std::string default_value;
  // Defaulted by the system on create (Salesforce defaultedOnCreate). Unknown when absent.
  std::optional<bool> defaulted_on_create;

  SourceRef source;
  // Vendor facts with no model slot, as text ("sap:display-format" -> "UpperCase").
  std::map<std::string, std::string> extensions;

  // Permissive readings for checks: unknown counts as allowed / not required.
  bool IsNullable() const { return nullable.value_or(true); }
  bool IsCreateable() const { return createable.value_or(true) && !calculated.value_or(false); }
  bool IsUpdateable() const { return updateable.value_or(true) && !calculated.value_or(false); }
  bool IsRequiredOnCreate() const { return required_on_create.value_or(false); }
  bool IsExternalId() const { return external_id.value_or(false); }
  bool IsReadOnly() const { return !IsCreateable() && !IsUpdateable(); }
  // Kind after unwrapping lists/maps.
  TypeKind ElementKind() const;
};

bool IsDecimal(TypeKind kind);  // kDecimal, kCurrency, kPercent
bool IsNumeric(TypeKind kind);  // IsDecimal or kInt or kDouble
bool IsText(TypeKind kind);     // kString, kText, kEmail, kPhone, kUrl, kId, kPicklist

// A one-to-many relationship seen from the parent (Salesforce childRelationships,
// OData collection-valued navigation properties).
struct ChildRelationship {
  std::string name;          // "OpportunityLineItems"; may be empty (not traversable)
  std::string child_object;  // "OpportunityLineItem"
  std::string field;         // the child's field pointing back ("OpportunityId"); may be empty
  std::optional<bool> cascade_delete;
};

enum class ObjectKind : uint8_t {
  kEntity,   // a record type with its own identity (sObject, EntityType, OpenAPI schema)
  kComplex,  // a structure only used inside others (OData ComplexType)
};

struct Object {
  std::string name;
  std::string label;
  std::string description;
  ObjectKind kind = ObjectKind::kEntity;
  std::vector<Field> fields;  // in source order
  std::vector<std::string> key_fields;
  std::vector<ChildRelationship> child_relationships;
  std::optional<bool> createable;
  std::optional<bool> updateable;
  std::optional<bool> deletable;
  SourceRef source;
  std::map<std::string, std::string> extensions;

  // Field lookup by exact name; nullptr when absent. Uses the index built by Reindex() when it
  // is current, else scans.
  const Field* FindField(std::string_view field_name) const;
  Field* FindField(std::string_view field_name);
  // Case-insensitive (ASCII) lookup, for "did you mean" and case-insensitive systems.
  const Field* FindFieldIgnoreCase(std::string_view field_name) const;
  // Rebuilds the name index; call after changing `fields`. Importers and the loader do.
  void Reindex();

 private:
  std::unordered_map<std::string, uint32_t> index_;
};

struct Schema {
  static constexpr int kFormatVersion = 1;

  std::string system;         // "salesforce", "xero", user-chosen with --system
  std::string source_format;  // "salesforce", "openapi", "jsonschema", "odata", "netsuite"
  std::vector<std::string> source_files;
  std::vector<Object> objects;  // in source order

  const Object* FindObject(std::string_view name) const;
  Object* FindObject(std::string_view name);
  const Object* FindObjectIgnoreCase(std::string_view name) const;
  // Resolves a kObject type to its structure: the inline object or the named one; nullptr when
  // `type` is not kObject or names a missing object.
  const Object* Resolve(const Type& type) const;
  // Adds an object or, when the name is taken, returns false and leaves the schema unchanged.
  bool AddObject(Object object);
  void Reindex();

 private:
  std::unordered_map<std::string, uint32_t> index_;
};

}  // namespace crmx::schema
