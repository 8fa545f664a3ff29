// The type model (assignability, comparison, join, schema field types) and the function table.
#include <doctest/doctest.h>

#include "compiler/check/functions.h"
#include "compiler/check/types.h"

using namespace crmx::check;

TEST_CASE("assignability follows the documented conversions") {
  Type str = Type::String(80), dec = Type::Decimal(18, 2), i(TypeKind::kInt), d(TypeKind::kDouble);
  Type pick(TypeKind::kPicklist), id = Type::Id({"Account"});
  CHECK(Assignable(str, pick));
  CHECK(Assignable(pick, str));
  CHECK(Assignable(id, str));
  CHECK(Assignable(i, dec));
  CHECK(Assignable(i, d));
  CHECK(Assignable(dec, d));
  CHECK_FALSE(Assignable(d, dec));  // only double literals, contextually
  CHECK_FALSE(Assignable(str, dec));
  CHECK_FALSE(Assignable(dec, str));
  CHECK_FALSE(Assignable(dec, i));
  CHECK(Assignable(Type(TypeKind::kHold), dec));
  CHECK(Assignable(Type(TypeKind::kNull), dec));
  CHECK(Assignable(Type(TypeKind::kError), str));
  CHECK(Assignable(Type::List(i), Type::List(dec)));
  CHECK_FALSE(Assignable(Type::List(str), Type::List(dec)));
  CHECK_FALSE(Assignable(Type(TypeKind::kDate), Type(TypeKind::kDateTime)));
}

TEST_CASE("comparison and ordering") {
  CHECK(Comparable(Type::Decimal(18, 2), Type(TypeKind::kInt)));
  CHECK(Comparable(Type(TypeKind::kPicklist), Type::String()));
  CHECK(Comparable(Type(TypeKind::kNull), Type(TypeKind::kDate)));
  CHECK_FALSE(Comparable(Type::String(), Type(TypeKind::kInt)));
  CHECK(Orderable(Type(TypeKind::kDate), Type(TypeKind::kDate)));
  CHECK_FALSE(Orderable(Type(TypeKind::kBool), Type(TypeKind::kInt)));
}

TEST_CASE("join widens facets") {
  Type j = Join(Type::String(40), Type::String(80));
  CHECK(j.kind == TypeKind::kString);
  CHECK(j.length == 80u);
  Type d = Join(Type::Decimal(18, 2), Type::Decimal(10, 4));
  CHECK(d.scale == 4u);
  CHECK(d.precision == 20u);
  CHECK(Join(Type(TypeKind::kHold), Type::String(3)).kind == TypeKind::kString);
  CHECK(Join(Type::String(), Type(TypeKind::kInt)).kind == TypeKind::kDyn);
  CHECK(Type::Decimal(18, 2).ToString() == "decimal(18,2)");
  CHECK(Type(TypeKind::kInt).Described() == "an int");
}

TEST_CASE("schema fields become types with their facets") {
  crmx::schema::Schema s;
  crmx::schema::Object o;
  o.name = "Opportunity";
  crmx::schema::Field amount;
  amount.name = "Amount";
  amount.type = crmx::schema::Type(crmx::schema::TypeKind::kCurrency);
  amount.precision = 18;
  amount.scale = 2;
  crmx::schema::Field stage;
  stage.name = "StageName";
  stage.type = crmx::schema::Type(crmx::schema::TypeKind::kPicklist);
  stage.picklist.values = {{"Prospecting", "", true, false}, {"Closed Won", "", true, false}};
  crmx::schema::Field account;
  account.name = "AccountId";
  account.type = crmx::schema::Type(crmx::schema::TypeKind::kReference);
  account.references.targets = {"Account"};
  Type ta = FromField(amount, s), ts = FromField(stage, s), tr = FromField(account, s);
  CHECK(ta.ToString() == "decimal(18,2)");
  CHECK(ts.kind == TypeKind::kPicklist);
  CHECK(ts.length == 11u);
  CHECK(tr.ToString() == "id<Account>");
}

TEST_CASE("the function table: modules, arity, fallibility") {
  auto sc = FindFunctions("state_code");
  REQUIRE(sc.size() == 1);
  CHECK(sc[0]->module == "std.geo");
  CHECK(sc[0]->fallible);
  auto trunc = FindFunctions("truncate");
  REQUIRE(trunc.size() == 1);
  CHECK_FALSE(trunc[0]->fallible);
  Type t = ResultType(*trunc[0], {Typed{Type::String(255), false}, Typed{Type(TypeKind::kInt), false}}, {std::nullopt, 83});
  CHECK(t.length == 83u);
  auto dec = FindFunctions("decimal");
  REQUIRE(dec.size() == 2);
  CHECK(FindFunctions("size")[0]->module.empty());
  CHECK(FindFunctions("nope").empty());
  CHECK(Accepts(Param::kText, Type(TypeKind::kPicklist)));
  CHECK_FALSE(Accepts(Param::kText, Type::Decimal(18, 2)));
}
