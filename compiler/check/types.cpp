// Defines the type model of crmx expressions (see types.h).
#include "compiler/check/types.h"

#include <algorithm>

namespace crmx::check {

Type Type::Decimal(std::optional<uint32_t> precision, std::optional<uint32_t> scale) {
  Type t(TypeKind::kDecimal);
  t.precision = precision;
  t.scale = scale;
  return t;
}

Type Type::String(std::optional<uint32_t> length) {
  Type t(TypeKind::kString);
  t.length = length;
  return t;
}

Type Type::List(Type element) {
  Type t(TypeKind::kList);
  t.element = std::make_shared<const Type>(std::move(element));
  return t;
}

Type Type::Map(Type key, Type value) {
  Type t(TypeKind::kMap);
  t.key = std::make_shared<const Type>(std::move(key));
  t.element = std::make_shared<const Type>(std::move(value));
  return t;
}

Type Type::Record(const schema::Object* object, const schema::Schema* schema) {
  Type t(TypeKind::kRecord);
  t.object = object;
  t.schema = schema;
  return t;
}

Type Type::Id(std::vector<std::string> targets, std::optional<uint32_t> length) {
  Type t(TypeKind::kId);
  t.targets = std::move(targets);
  t.length = length;
  return t;
}

std::string Type::ToString() const {
  switch (kind) {
    case TypeKind::kError: return "<error>";
    case TypeKind::kDyn: return "dyn";
    case TypeKind::kHold: return "hold";
    case TypeKind::kNull: return "null";
    case TypeKind::kBool: return "bool";
    case TypeKind::kInt: return "int";
    case TypeKind::kUint: return "uint";
    case TypeKind::kDouble: return "double";
    case TypeKind::kDecimal:
      if (precision && scale) return "decimal(" + std::to_string(*precision) + "," + std::to_string(*scale) + ")";
      return "decimal";
    case TypeKind::kString: return "string";
    case TypeKind::kBytes: return "bytes";
    case TypeKind::kDate: return "date";
    case TypeKind::kDateTime: return "datetime";
    case TypeKind::kTime: return "time";
    case TypeKind::kDuration: return "duration";
    case TypeKind::kPicklist: return "picklist";
    case TypeKind::kId: {
      if (targets.empty()) return "id";
      std::string out = "id<";
      for (size_t i = 0; i < targets.size(); ++i) out += (i ? "|" : "") + targets[i];
      return out + ">";
    }
    case TypeKind::kList: return "list<" + element->ToString() + ">";
    case TypeKind::kMap: return "map<" + key->ToString() + ", " + element->ToString() + ">";
    case TypeKind::kRecord: return object->name.empty() ? std::string("record") : object->name;
  }
  return "dyn";
}

std::string Article(std::string_view word) {
  if (word.empty()) return "a";
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  // An acronym (`SKU`, `ERP`, `URL`): the name of its first letter decides.
  if (word.size() >= 2 && upper(word[0]) && upper(word[1])) {
    return std::string_view("AEFHILMNORSX").find(word[0]) != std::string_view::npos ? "an" : "a";
  }
  char c = static_cast<char>(word[0] | 0x20);
  if (std::string_view("aeio").find(c) != std::string_view::npos) return "an";
  if (c != 'u') return "a";
  // A `u` read "you" (uint, unique, user, usage, utility, URL) takes "a"; "unpaid", "update" take "an".
  std::string lower;
  for (char x : word.substr(0, 3)) lower.push_back(static_cast<char>(x | 0x20));
  static const char* const kYou[] = {"uin", "uni", "use", "usa", "usu", "uti", "uri", "url", "ure", "uro"};
  for (const char* y : kYou) {
    if (lower == y) return "a";
  }
  return "an";
}

std::string WithArticle(const std::string& word) { return Article(word) + " `" + word + "`"; }

std::string Type::Described() const {
  std::string s = ToString();
  if (kind == TypeKind::kRecord) return WithArticle(s) + " record";
  if (kind == TypeKind::kNull) return "null";
  return Article(s) + " " + s;
}

std::optional<uint32_t> PicklistMaxLength(const schema::Picklist& picklist) {
  if (picklist.values.empty()) return std::nullopt;
  uint32_t n = 0;
  for (const schema::PicklistValue& v : picklist.values) {
    // Characters, not bytes: count the bytes that do not continue a UTF-8 sequence.
    uint32_t chars = 0;
    for (unsigned char c : v.value) chars += (c & 0xC0) != 0x80;
    n = std::max(n, chars);
  }
  return n;
}

namespace {

Type FromSchemaType(const schema::Type& st, const schema::Field& field, const schema::Schema& schema) {
  using K = schema::TypeKind;
  switch (st.kind) {
    case K::kString:
    case K::kText:
    case K::kEmail:
    case K::kPhone:
    case K::kUrl:
    case K::kMultiPicklist:
      return Type::String(field.length);
    case K::kBool: return Type(TypeKind::kBool);
    case K::kInt: return Type(TypeKind::kInt);
    case K::kDouble: return Type(TypeKind::kDouble);
    case K::kDecimal:
    case K::kCurrency:
    case K::kPercent:
      if (field.scale_variable) return Type::Decimal(field.precision, std::nullopt);
      return Type::Decimal(field.precision, field.scale);
    case K::kDate: return Type(TypeKind::kDate);
    case K::kDateTime: return Type(TypeKind::kDateTime);
    case K::kTime: return Type(TypeKind::kTime);
    case K::kPicklist: {
      Type t(TypeKind::kPicklist);
      t.picklist = &field.picklist;
      t.length = PicklistMaxLength(field.picklist);
      if (!t.length) t.length = field.length;
      return t;
    }
    case K::kId: return Type::Id({}, field.length);
    case K::kReference: return Type::Id(field.references.targets, field.length);
    case K::kBinary: return Type(TypeKind::kBytes);
    case K::kObject: {
      const schema::Object* obj = schema.Resolve(st);
      return obj ? Type::Record(obj, &schema) : Type(TypeKind::kDyn);
    }
    case K::kList: return Type::List(FromSchemaType(*st.element, field, schema));
    case K::kMap: return Type::Map(Type::String(), FromSchemaType(*st.element, field, schema));
    case K::kAddress:
    case K::kLocation:
    case K::kAny:
      return Type(TypeKind::kDyn);
  }
  return Type(TypeKind::kDyn);
}

bool SameObject(const Type& a, const Type& b) { return a.object == b.object || a.object->name == b.object->name; }

}  // namespace

Type FromField(const schema::Field& field, const schema::Schema& schema) {
  return FromSchemaType(field.type, field, schema);
}

bool Assignable(const Type& from, const Type& to) {
  if (from.IsPermissive() || to.IsPermissive()) return true;
  if (from.kind == TypeKind::kNull) return true;
  if (from.IsText() && to.IsText()) return true;
  switch (to.kind) {
    case TypeKind::kInt:
    case TypeKind::kUint:
      return from.IsIntegral();
    case TypeKind::kDouble:
      return from.IsNumeric();
    case TypeKind::kDecimal:
      return from.IsIntegral() || from.kind == TypeKind::kDecimal;
    case TypeKind::kList:
      return from.kind == TypeKind::kList && Assignable(*from.element, *to.element);
    case TypeKind::kMap:
      return from.kind == TypeKind::kMap && Assignable(*from.key, *to.key) && Assignable(*from.element, *to.element);
    case TypeKind::kRecord:
      if (from.kind == TypeKind::kRecord) return SameObject(from, to);
      // A map built without a target in view (`{item: x}` in a table) fills a record.
      return from.kind == TypeKind::kMap && from.key->IsText();
    default:
      return from.kind == to.kind;
  }
}

bool Comparable(const Type& a, const Type& b) {
  if (a.IsPermissive() || b.IsPermissive()) return true;
  if (a.kind == TypeKind::kNull || b.kind == TypeKind::kNull) return true;
  if (a.IsNumeric() && b.IsNumeric()) return true;
  if (a.IsText() && b.IsText()) return true;
  if (a.kind != b.kind) return false;
  if (a.kind == TypeKind::kList) return Comparable(*a.element, *b.element);
  if (a.kind == TypeKind::kMap) return Comparable(*a.key, *b.key) && Comparable(*a.element, *b.element);
  if (a.kind == TypeKind::kRecord) return SameObject(a, b);
  return true;
}

bool Orderable(const Type& a, const Type& b) {
  if (a.IsPermissive() || b.IsPermissive()) return true;
  if (a.IsNumeric() && b.IsNumeric()) return true;
  if (a.IsText() && b.IsText()) return true;
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case TypeKind::kBool:
    case TypeKind::kBytes:
    case TypeKind::kDate:
    case TypeKind::kDateTime:
    case TypeKind::kTime:
    case TypeKind::kDuration:
      return true;
    default:
      return false;
  }
}

namespace {
std::optional<uint32_t> MaxOpt(std::optional<uint32_t> a, std::optional<uint32_t> b) {
  if (!a || !b) return std::nullopt;
  return std::max(*a, *b);
}
}  // namespace

Type Join(const Type& a, const Type& b) {
  if (a.kind == TypeKind::kError || b.kind == TypeKind::kError) return Type(TypeKind::kError);
  if (a.kind == TypeKind::kHold || a.kind == TypeKind::kNull) return b.kind == TypeKind::kHold ? a : b;
  if (b.kind == TypeKind::kHold || b.kind == TypeKind::kNull) return a;
  if (a.kind == TypeKind::kDyn || b.kind == TypeKind::kDyn) return Type(TypeKind::kDyn);
  if (a.IsText() && b.IsText()) {
    if (a.kind == b.kind && a.kind != TypeKind::kPicklist) {
      Type t = a;
      t.length = MaxOpt(a.length, b.length);
      if (a.kind == TypeKind::kId && a.targets != b.targets) t.targets.clear();
      return t;
    }
    return Type::String(MaxOpt(a.length, b.length));
  }
  if (a.IsNumeric() && b.IsNumeric()) {
    if (a.kind == b.kind) {
      if (a.kind != TypeKind::kDecimal) return a;
      std::optional<uint32_t> scale = MaxOpt(a.scale, b.scale);
      std::optional<uint32_t> ints;
      if (a.precision && a.scale && b.precision && b.scale) ints = std::max(*a.precision - *a.scale, *b.precision - *b.scale);
      return Type::Decimal(ints && scale ? std::optional<uint32_t>(*ints + *scale) : std::nullopt, scale);
    }
    if (a.kind == TypeKind::kDecimal && b.IsIntegral()) return a;
    if (b.kind == TypeKind::kDecimal && a.IsIntegral()) return b;
    if (a.IsIntegral() && b.IsIntegral()) return Type(TypeKind::kInt);
    return Type(TypeKind::kDouble);
  }
  if (a.kind != b.kind) return Type(TypeKind::kDyn);
  if (a.kind == TypeKind::kList) return Type::List(Join(*a.element, *b.element));
  if (a.kind == TypeKind::kMap) return Type::Map(Join(*a.key, *b.key), Join(*a.element, *b.element));
  if (a.kind == TypeKind::kRecord && !SameObject(a, b)) return Type(TypeKind::kDyn);
  return a;
}

}  // namespace crmx::check
