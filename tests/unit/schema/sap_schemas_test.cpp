// Tests what SAP's own metadata gives through the importers (docs/connectors/sap.md): the V2
// EDMX of API_BUSINESS_PARTNER (sap:creatable/sap:updatable, keys, MaxLength, Edm.Decimal
// precision and scale, to-many navigation creatable for a deep insert, the entity set of each
// type), the V4 CSDL of CE_SALESORDER_0001 and the API Hub OpenAPI of API_SALES_ORDER_SRV
// (A_SalesOrder, A_SalesOrderItem, `to_Item`). Reads ../shared/real; skips loudly without it.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "compiler/schema/import.h"

using namespace crmx::schema;
namespace fs = std::filesystem;

namespace {

std::string Real(const std::string& rel) { return std::string(CRMX_SHARED_DIR) + "/real/schemas/" + rel; }

bool HaveReal(const std::string& rel) {
  if (fs::exists(Real(rel))) return true;
  MESSAGE("SKIPPED: " << Real(rel) << " not found: the SAP schema tests did not run");
  return false;
}

}  // namespace

TEST_CASE("SAP V2 EDMX: creatable/updatable, keys, lengths, decimals, deep-insert navigation, entity sets") {
  if (!HaveReal("odata/sap/S4HC_API_BUSINESS_PARTNER.edmx")) return;
  ImportResult r = Import(Format::kOData, {Real("odata/sap/S4HC_API_BUSINESS_PARTNER.edmx")}, {});
  REQUIRE(r.ok());
  const Object* bp = r.schema.FindObject("A_BusinessPartnerType");
  REQUIRE(bp);
  // The URL names the entity set, not the type.
  CHECK(bp->extensions.at("EntitySet") == "A_BusinessPartner");
  const Field* key = bp->FindField("BusinessPartner");
  REQUIRE(key);
  CHECK(key->key);
  CHECK(key->length == 10u);
  // The key says nothing (creatable: a partner number may be given); the full name is
  // sap:creatable="false" sap:updatable="false".
  CHECK_FALSE(key->createable.has_value());
  const Field* full = bp->FindField("BusinessPartnerFullName");
  REQUIRE(full);
  CHECK(full->createable == false);
  CHECK(full->updateable == false);
  const Field* name = bp->FindField("OrganizationBPName1");
  REQUIRE(name);
  CHECK(name->IsCreateable());  // nothing said: creatable
  CHECK(name->length == 40u);
  // A to-many navigation: a list of the target type, created with its parent (deep insert),
  // never updated with it.
  const Field* nav = bp->FindField("to_BusinessPartnerAddress");
  REQUIRE(nav);
  CHECK(nav->navigation);
  CHECK(nav->type.kind == TypeKind::kList);
  CHECK(nav->createable == true);
  CHECK(nav->updateable == false);
  // Edm.Decimal keeps Precision and Scale.
  bool decimal_seen = false;
  for (const Object& o : r.schema.objects)
    for (const Field& f : o.fields)
      if (f.source_type == "Edm.Decimal" && f.precision && f.scale) decimal_seen = true;
  CHECK(decimal_seen);
  const Object* customer = r.schema.FindObject("A_CustomerType");
  REQUIRE(customer);
  CHECK(customer->extensions.at("EntitySet") == "A_Customer");
  CHECK(customer->key_fields == std::vector<std::string>{"Customer"});
  // The partner's customer number is assigned by SAP: sap:creatable="false" sap:updatable="false".
  REQUIRE(bp->FindField("Customer"));
  CHECK(bp->FindField("Customer")->createable == false);
  CHECK(bp->FindField("Customer")->updateable == false);
}

TEST_CASE("SAP V4 CSDL: entity sets of the CE sales order service") {
  if (!HaveReal("odata/sap/S4HC_CE_SALESORDER_0001.edmx")) return;
  ImportResult r = Import(Format::kOData, {Real("odata/sap/S4HC_CE_SALESORDER_0001.edmx")}, {});
  REQUIRE(r.ok());
  size_t with_set = 0;
  for (const Object& o : r.schema.objects) with_set += o.extensions.count("EntitySet");
  CHECK(with_set >= 5);
}

TEST_CASE("SAP API Hub OpenAPI: API_SALES_ORDER_SRV sales orders and items") {
  if (!HaveReal("openapi/sap-s4hana/API_SALES_ORDER_SRV.json")) return;
  ImportResult r = Import(Format::kOpenApi, {Real("openapi/sap-s4hana/API_SALES_ORDER_SRV.json")}, {});
  REQUIRE(r.ok());
  const Object* so = r.schema.FindObject("A_SalesOrder");
  REQUIRE(so);
  const Field* number = so->FindField("SalesOrder");
  REQUIRE(number);
  CHECK(number->length == 10u);
  const Field* total = so->FindField("TotalNetAmount");
  REQUIRE(total);
  CHECK(IsDecimal(total->type.kind));
  CHECK(total->precision == 16u);
  CHECK(total->scale == 3u);
  const Field* items = so->FindField("to_Item");
  REQUIRE(items);
  // OData V2's `{"results": [...]}` wrapper is unwrapped: the field is the list of items.
  CHECK(items->type.kind == TypeKind::kList);
  REQUIRE(items->type.element);
  CHECK(items->type.element->object_name == "A_SalesOrderItem");
  CHECK(items->extensions.at("odata:v2-results") == "true");
  const Object* item = r.schema.FindObject("A_SalesOrderItem");
  REQUIRE(item);
  const Field* qty = item->FindField("RequestedQuantity");
  REQUIRE(qty);
  CHECK(qty->precision == 15u);
  CHECK(qty->scale == 3u);
}
