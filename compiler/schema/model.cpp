// Defines the helpers of the schema model: kind names, lookups and type printing.
#include "compiler/schema/model.h"

#include <array>

namespace crmx::schema {
namespace {

constexpr std::array<std::string_view, 25> kKindNames = {
    "string",   "text",  "bool",          "int",   "double",  "decimal", "currency",
    "percent",  "date",  "datetime",      "time",  "picklist", "multipicklist", "id",
    "reference", "email", "phone",        "url",   "address", "location", "object",
    "list",     "map",   "binary",        "any"};
static_assert(kKindNames.size() == static_cast<size_t>(TypeKind::kAny) + 1);

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

}  // namespace

std::string_view TypeKindName(TypeKind kind) { return kKindNames[static_cast<size_t>(kind)]; }

std::optional<TypeKind> ParseTypeKind(std::string_view name) {
  for (size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name) return static_cast<TypeKind>(i);
  }
  return std::nullopt;
}

Type Type::List(Type element) {
  Type t(TypeKind::kList);
  t.element = Box<Type>(std::move(element));
  return t;
}

Type Type::Map(Type value) {
  Type t(TypeKind::kMap);
  t.element = Box<Type>(std::move(value));
  return t;
}

Type Type::Named(std::string object_name) {
  Type t(TypeKind::kObject);
  t.object_name = std::move(object_name);
  return t;
}

Type Type::Inline(Object object) {
  Type t(TypeKind::kObject);
  t.object = Box<Object>(std::move(object));
  return t;
}

std::string Type::ToString() const {
  switch (kind) {
    case TypeKind::kList:
      return "list<" + (element ? element->ToString() : std::string("any")) + ">";
    case TypeKind::kMap:
      return "map<" + (element ? element->ToString() : std::string("any")) + ">";
    case TypeKind::kObject:
      if (!object_name.empty()) return "object<" + object_name + ">";
      if (object) return "object{" + std::to_string(object->fields.size()) + " fields}";
      return "object";
    default:
      return std::string(TypeKindName(kind));
  }
}

bool Picklist::Contains(std::string_view v) const {
  for (const auto& pv : values) {
    if (pv.value == v) return true;
  }
  return false;
}

TypeKind Field::ElementKind() const {
  const Type* t = &type;
  while ((t->kind == TypeKind::kList || t->kind == TypeKind::kMap) && t->element) {
    t = t->element.get();
  }
  return t->kind;
}

bool IsDecimal(TypeKind kind) {
  return kind == TypeKind::kDecimal || kind == TypeKind::kCurrency || kind == TypeKind::kPercent;
}

bool IsNumeric(TypeKind kind) {
  return IsDecimal(kind) || kind == TypeKind::kInt || kind == TypeKind::kDouble;
}

bool IsText(TypeKind kind) {
  switch (kind) {
    case TypeKind::kString:
    case TypeKind::kText:
    case TypeKind::kEmail:
    case TypeKind::kPhone:
    case TypeKind::kUrl:
    case TypeKind::kId:
    case TypeKind::kPicklist:
      return true;
    default:
      return false;
  }
}

const Field* Object::FindField(std::string_view field_name) const {
  if (index_.size() == fields.size()) {
    auto it = index_.find(std::string(field_name));
    if (it != index_.end() && it->second < fields.size() && fields[it->second].name == field_name) {
      return &fields[it->second];
    }
    if (it == index_.end()) return nullptr;
  }
  for (const auto& f : fields) {
    if (f.name == field_name) return &f;
  }
  return nullptr;
}

Field* Object::FindField(std::string_view field_name) {
  return const_cast<Field*>(static_cast<const Object*>(this)->FindField(field_name));
}

const Field* Object::FindFieldIgnoreCase(std::string_view field_name) const {
  if (const Field* f = FindField(field_name)) return f;
  for (const auto& f : fields) {
    if (EqualsIgnoreCase(f.name, field_name)) return &f;
  }
  return nullptr;
}

void Object::Reindex() {
  index_.clear();
  index_.reserve(fields.size());
  for (uint32_t i = 0; i < fields.size(); ++i) index_.emplace(fields[i].name, i);
  // Duplicate names (which importers warn about) leave the index shorter than `fields`, so
  // FindField falls back to scanning and finds the first.
}

const Object* Schema::FindObject(std::string_view name) const {
  if (index_.size() == objects.size()) {
    auto it = index_.find(std::string(name));
    if (it == index_.end()) return nullptr;
    if (it->second < objects.size() && objects[it->second].name == name) {
      return &objects[it->second];
    }
  }
  for (const auto& o : objects) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

Object* Schema::FindObject(std::string_view name) {
  return const_cast<Object*>(static_cast<const Schema*>(this)->FindObject(name));
}

const Object* Schema::FindObjectIgnoreCase(std::string_view name) const {
  if (const Object* o = FindObject(name)) return o;
  for (const auto& o : objects) {
    if (EqualsIgnoreCase(o.name, name)) return &o;
  }
  return nullptr;
}

const Object* Schema::Resolve(const Type& type) const {
  if (type.kind != TypeKind::kObject) return nullptr;
  if (type.object) return type.object.get();
  if (!type.object_name.empty()) return FindObject(type.object_name);
  return nullptr;
}

bool Schema::AddObject(Object object) {
  if (FindObject(object.name) != nullptr) return false;
  object.Reindex();
  bool indexed = index_.size() == objects.size();
  objects.push_back(std::move(object));
  if (indexed) {
    index_.emplace(objects.back().name, static_cast<uint32_t>(objects.size() - 1));
  }
  return true;
}

void Schema::Reindex() {
  index_.clear();
  index_.reserve(objects.size());
  for (uint32_t i = 0; i < objects.size(); ++i) {
    objects[i].Reindex();
    index_.emplace(objects[i].name, i);
  }
}

}  // namespace crmx::schema
