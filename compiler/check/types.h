// Defines the type model of crmx expressions: CEL's core types (bool, int, uint, double,
// string, bytes, null_type, list, map, dyn) plus what record mapping needs: exact decimals
// with precision and scale, dates, datetimes, times, durations, picklists, ids (references to
// records of named objects), records typed by a schema object, and `hold`, the bottom type.
//
// A Type is a small value. Facets (length, precision, scale, picklist values, reference
// targets) come from the schema and are used for the lossy-assignment warnings. Record and
// picklist types point into a schema::Schema: they live as long as the check::Systems (or the
// test fixture) that owns the schemas.
//
// Nullability is not part of Type: every checked expression has a Typed = Type + nullable.
// docs/types.md describes the rules.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/schema/model.h"

namespace crmx::check {

enum class TypeKind : uint8_t {
  kError,     // the expression has an error already reported: accepted everywhere, silently
  kDyn,       // not known statically (schema `any`, addresses, CEL dyn): accepted everywhere
  kHold,      // `hold "reason"`: never produces a value, so it is assignable to anything
  kNull,      // `null`
  kBool,
  kInt,
  kUint,
  kDouble,
  kDecimal,   // exact; precision/scale when known
  kString,    // length = maximum characters when known
  kBytes,
  kDate,
  kDateTime,
  kTime,
  kDuration,
  kPicklist,  // one value of `picklist`; string-compatible
  kId,        // a record id; `targets` the objects it may identify; string-compatible
  kList,      // element
  kMap,       // key, element (the value)
  kRecord,    // a record of `object`
};

struct Type {
  TypeKind kind = TypeKind::kDyn;
  // kString, kPicklist, kId: maximum characters, when known.
  std::optional<uint32_t> length;
  // kDecimal: total digits and digits after the point, when known.
  std::optional<uint32_t> precision;
  std::optional<uint32_t> scale;
  // kPicklist: the allowed values (points into a schema); may be null (values unknown).
  const schema::Picklist* picklist = nullptr;
  // kId: the objects the id may identify (empty: unknown or any).
  std::vector<std::string> targets;
  // kList, kMap: the element (value) type; kMap: the key type. Never null for those kinds.
  std::shared_ptr<const Type> element;
  std::shared_ptr<const Type> key;
  // kRecord: the object and the schema its named objects resolve in. Never null for kRecord.
  const schema::Object* object = nullptr;
  const schema::Schema* schema = nullptr;

  Type() = default;
  explicit Type(TypeKind k) : kind(k) {}

  static Type Decimal(std::optional<uint32_t> precision, std::optional<uint32_t> scale);
  static Type String(std::optional<uint32_t> length = std::nullopt);
  static Type List(Type element);
  static Type Map(Type key, Type value);
  static Type Record(const schema::Object* object, const schema::Schema* schema);
  static Type Id(std::vector<std::string> targets, std::optional<uint32_t> length = std::nullopt);

  // Accepted anywhere without a diagnostic (an error already reported, dyn, hold).
  bool IsPermissive() const { return kind == TypeKind::kError || kind == TypeKind::kDyn || kind == TypeKind::kHold; }
  bool IsText() const { return kind == TypeKind::kString || kind == TypeKind::kPicklist || kind == TypeKind::kId; }
  bool IsNumeric() const {
    return kind == TypeKind::kInt || kind == TypeKind::kUint || kind == TypeKind::kDouble || kind == TypeKind::kDecimal;
  }
  bool IsIntegral() const { return kind == TypeKind::kInt || kind == TypeKind::kUint; }

  // "string", "decimal(18,2)", "list<OpportunityLineItem>", "map<string, string>",
  // "id<Account>", "picklist", "record `Account`" is written as "Account".
  std::string ToString() const;
  // ToString with an article: "a string", "an int", "a decimal(18,2)".
  std::string Described() const;
};

// An expression's static type and whether it may be null at run time.
struct Typed {
  Type type;
  bool nullable = false;

  static Typed Error() { return Typed{Type(TypeKind::kError), false}; }
};

// The type of a schema field, with its facets (length, precision, scale, picklist, targets).
// Addresses, locations and `any` become dyn; objects become records (dyn when a named object
// is missing from `schema`).
Type FromField(const schema::Field& field, const schema::Schema& schema);

// The maximum length of a picklist's values, when it has values.
std::optional<uint32_t> PicklistMaxLength(const schema::Picklist& picklist);

// "a" or "an" for `word` as it is read aloud: "an `Invoice`", "a `Customer`", "a uint", "a
// `User`", "an `SKU`" (an acronym is read letter by letter). Every message that puts an
// article before a name or a type uses it.
std::string Article(std::string_view word);
// `word` in backticks after its article: "an `Invoice`".
std::string WithArticle(const std::string& word);

// Can `from` be assigned to a place of type `to` without an explicit conversion? (Facets are
// not considered: lengths and scales are checked separately, as warnings.) Permissive types
// are assignable both ways; int and uint widen to double and decimal; string, picklist and id
// are interchangeable; a decimal may go into a double; lists and maps by element.
bool Assignable(const Type& from, const Type& to);

// Can values of the two types be compared with `==` / `!=` (and `~` in a reconcile)? Numbers
// compare with numbers, text with text, null with anything.
bool Comparable(const Type& a, const Type& b);

// Can values of the two types be ordered with `<` `<=` `>` `>=`?
bool Orderable(const Type& a, const Type& b);

// The least common type of two branches (conditional, `??`, list elements): the same kind
// with widened facets, a number for mixed numbers, a string for mixed text, else dyn.
Type Join(const Type& a, const Type& b);

}  // namespace crmx::check
