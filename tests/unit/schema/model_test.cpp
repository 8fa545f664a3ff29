#include <doctest/doctest.h>

#include "compiler/schema/model.h"

using namespace crmx::schema;

TEST_CASE("type kinds round-trip through their names") {
  for (int k = 0; k <= static_cast<int>(TypeKind::kAny); ++k) {
    auto kind = static_cast<TypeKind>(k);
    auto parsed = ParseTypeKind(TypeKindName(kind));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == kind);
  }
  CHECK_FALSE(ParseTypeKind("varchar").has_value());
}

TEST_CASE("nested types print and copy deeply") {
  Object row;
  row.name = "Line";
  Field qty;
  qty.name = "qty";
  qty.type = Type(TypeKind::kDecimal);
  row.fields.push_back(qty);
  Type t = Type::List(Type::Inline(row));
  CHECK(t.ToString() == "list<object{1 fields}>");
  Type copy = t;
  copy.element->object->fields.clear();
  CHECK(t.element->object->fields.size() == 1);
  CHECK(Type::Map(Type(TypeKind::kString)).ToString() == "map<string>");
  CHECK(Type::Named("Contact").ToString() == "object<Contact>");
}

TEST_CASE("lookups use the index and fall back to scanning") {
  Schema s;
  Object a;
  a.name = "Account";
  Field name;
  name.name = "Name";
  a.fields.push_back(name);
  CHECK(s.AddObject(a));
  CHECK_FALSE(s.AddObject(a));
  REQUIRE(s.FindObject("Account") != nullptr);
  CHECK(s.FindObject("account") == nullptr);
  CHECK(s.FindObjectIgnoreCase("account") != nullptr);
  const Object* acc = s.FindObject("Account");
  CHECK(acc->FindField("Name") != nullptr);
  CHECK(acc->FindFieldIgnoreCase("name") != nullptr);
  CHECK(acc->FindField("Missing") == nullptr);
  // Adding without Reindex still finds (scan fallback).
  Object* mut = s.FindObject("Account");
  Field extra;
  extra.name = "Extra";
  mut->fields.push_back(extra);
  CHECK(mut->FindField("Extra") != nullptr);
}

TEST_CASE("unknown facts read permissively") {
  Field f;
  CHECK(f.IsNullable());
  CHECK(f.IsCreateable());
  CHECK(f.IsUpdateable());
  CHECK_FALSE(f.IsRequiredOnCreate());
  f.calculated = true;
  CHECK_FALSE(f.IsCreateable());
  CHECK(f.IsReadOnly());
  CHECK(IsDecimal(TypeKind::kCurrency));
  CHECK(IsNumeric(TypeKind::kInt));
  CHECK_FALSE(IsNumeric(TypeKind::kString));
}
