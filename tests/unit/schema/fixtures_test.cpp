// Importers against small self-written fixtures (tests/fixtures/schemas) covering edge cases.
#include <doctest/doctest.h>

#include <string>

#include "compiler/schema/import.h"

using namespace crmx::schema;

namespace {

std::string Fx(const std::string& rel) {
  return std::string(CRMX_SOURCE_DIR) + "/tests/fixtures/schemas/" + rel;
}

bool Warned(const ImportResult& r, const std::string& needle) {
  for (const auto& w : r.warnings) {
    if (w.message.find(needle) != std::string::npos || w.pointer.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("salesforce fixture: full describe facts") {
  auto r = ImportSalesforce({Fx("salesforce/Opportunity.describe.json")}, {});
  REQUIRE(r.ok());
  const Object* o = r.schema.FindObject("Opportunity");
  REQUIRE(o);
  const Field* amount = o->FindField("Amount");
  CHECK(amount->type.kind == TypeKind::kCurrency);
  CHECK(amount->precision == 18u);
  CHECK(amount->scale == 2u);
  CHECK(o->FindField("Name")->required_on_create == true);
  CHECK(o->FindField("Id")->required_on_create == false);
  const Field* stage = o->FindField("StageName");
  CHECK(stage->picklist.restricted == false);
  CHECK(stage->picklist.values.size() == 3);
  CHECK(stage->picklist.values[0].is_default);
  CHECK_FALSE(stage->picklist.values[2].active);
  const Field* owner = o->FindField("OwnerId");
  CHECK(owner->references.polymorphic());
  CHECK(owner->required_on_create == false);
  CHECK(o->FindField("ShippingStreet")->compound_parent == "ShippingAddress");
  CHECK(o->FindField("ShippingAddress")->compound_components ==
        std::vector<std::string>{"ShippingStreet", "ShippingCity"});
  CHECK(o->FindField("ERP_Id__c")->external_id == true);
  CHECK(o->FindField("Margin__c")->calculated == true);
  CHECK(o->FindField("Margin__c")->extensions.at("calculatedFormula") == "Amount * 0.1");
  CHECK(o->FindField("Quantity__c")->precision == 9u);
  CHECK(o->FindField("Quantity__c")->extensions.at("fancyNewAttribute") == "7");
  REQUIRE(o->child_relationships.size() == 1);
  CHECK(o->child_relationships[0].name == "OpportunityLineItems");
  CHECK(o->key_fields == std::vector<std::string>{"Id"});
}

TEST_CASE("salesforce fixture: trimmed describe and unknown type") {
  auto r = ImportSalesforce({Fx("salesforce/Trimmed.json")}, {});
  REQUIRE(r.ok());
  const Object* o = r.schema.FindObject("Trimmed");
  const Field* name = o->FindField("Name");
  CHECK_FALSE(name->createable.has_value());
  CHECK(name->IsCreateable());
  CHECK_FALSE(name->required_on_create.has_value());
  CHECK(o->FindField("Note")->required_on_create == false);
  CHECK(o->FindField("Weird")->type.kind == TypeKind::kAny);
  CHECK(Warned(r, "hologram"));
}

TEST_CASE("openapi fixture: 3.1 type arrays, allOf, relative $ref, unions") {
  auto r = ImportOpenApi({Fx("openapi/api31.yaml")}, {});
  REQUIRE(r.ok());
  CHECK(r.schema.system == "Fixture 3.1");
  const Object* c = r.schema.FindObject("Customer");
  REQUIRE(c);
  // allOf merged: Base's fields first.
  REQUIRE(c->fields.size() >= 2);
  CHECK(c->fields[0].name == "id");
  CHECK(c->FindField("id")->required == true);
  CHECK(c->FindField("id")->required_on_create == false);  // readOnly
  CHECK(c->FindField("id")->format == "uuid");
  const Field* name = c->FindField("name");
  CHECK(name->nullable == true);
  CHECK(name->length == 80u);
  CHECK(name->required_on_create == true);
  CHECK(c->FindField("balance")->type.kind == TypeKind::kCurrency);
  const Field* rate = c->FindField("rate");
  CHECK(rate->type.kind == TypeKind::kDecimal);
  CHECK(rate->precision == 9u);
  CHECK(rate->scale == 4u);
  const Field* status = c->FindField("status");
  CHECK(status->type.kind == TypeKind::kPicklist);
  CHECK(status->picklist.values.size() == 2);
  const Field* kind = c->FindField("kind");
  CHECK(kind->type.kind == TypeKind::kPicklist);
  CHECK(kind->picklist.values.size() == 2);
  CHECK(c->FindField("tags")->type.ToString() == "list<string>");
  CHECK(c->FindField("attrs")->type.ToString() == "map<string>");
  // Relative-file $ref: pulled in as a named object.
  CHECK(c->FindField("address")->type.object_name == "Address");
  const Object* addr = r.schema.FindObject("Address");
  REQUIRE(addr);
  CHECK(addr->FindField("city")->nullable == true);
  CHECK(c->FindField("shape")->type.kind == TypeKind::kAny);
  CHECK(Warned(r, "oneOf"));
  CHECK(c->FindField("since")->encoding == "msdate");
  CHECK(c->FindField("parent")->type.object_name == "Customer");  // recursion stays finite
  CHECK(r.schema.FindObject("Status") == nullptr);  // enums are inlined
}

TEST_CASE("jsonschema fixture: nullables, singer.decimal, relative $ref, $id, airbyte_type") {
  auto r = ImportJsonSchema({Fx("jsonschema/orders.json")}, {});
  REQUIRE(r.ok());
  const Object* o = r.schema.FindObject("orders");
  REQUIRE(o);
  CHECK(o->FindField("id")->nullable == false);
  CHECK(o->FindField("id")->required_on_create.has_value() == false);
  const Field* total = o->FindField("total");
  CHECK(total->type.kind == TypeKind::kDecimal);
  CHECK(total->nullable == true);
  CHECK(o->FindField("big")->type.kind == TypeKind::kDecimal);
  const Field* lines = o->FindField("lines");
  REQUIRE(lines->type.kind == TypeKind::kList);
  REQUIRE(lines->type.element->object);
  CHECK(lines->type.element->object->fields.size() == 2);
  CHECK(o->FindField("anything")->type.ToString() == "list<any>");
  CHECK(Warned(r, "without `items`"));
  CHECK(o->FindField("customer.name") != nullptr);
  CHECK(o->FindField("self")->type.kind == TypeKind::kDecimal);  // own absolute $id
  CHECK(o->FindField("remote")->type.kind == TypeKind::kAny);
  CHECK(Warned(r, "remote `$ref`"));
  CHECK(o->FindField("mixed")->type.kind == TypeKind::kAny);
}

TEST_CASE("odata fixture: v2 with sap annotations and associations") {
  auto r = ImportOData({Fx("odata/v2.edmx")}, {});
  REQUIRE(r.ok());
  const Object* o = r.schema.FindObject("Order");
  REQUIRE(o);
  CHECK(o->label == "Sales Order");
  const Field* id = o->FindField("OrderID");
  CHECK(id->key);
  CHECK(id->createable == false);
  CHECK(id->label == "Order");
  CHECK(id->length == 10u);
  const Field* amount = o->FindField("Amount");
  CHECK(amount->type.kind == TypeKind::kDecimal);
  CHECK(amount->precision == 16u);
  CHECK(amount->scale == 3u);
  CHECK(amount->encoding == "string");
  CHECK(o->FindField("OrderDate")->type.kind == TypeKind::kDate);
  CHECK(o->FindField("Changed")->type.kind == TypeKind::kDateTime);
  CHECK(o->FindField("At")->type.kind == TypeKind::kTime);
  CHECK(o->FindField("Guid")->format == "uuid");
  CHECK(o->FindField("Big")->encoding == "string");
  CHECK(o->FindField("Blob")->type.kind == TypeKind::kBinary);
  CHECK(o->FindField("to_Item")->type.ToString() == "list<object<Item>>");
  CHECK(r.schema.FindObject("Item")->FindField("to_Order")->type.ToString() == "object<Order>");
  CHECK(r.schema.FindObject("Item")->key_fields.size() == 2);
  CHECK(o->child_relationships.size() == 1);
}

TEST_CASE("odata fixture: v4 enums, complex types, annotations") {
  auto r = ImportOData({Fx("odata/v4.edmx")}, {});
  REQUIRE(r.ok());
  const Object* o = r.schema.FindObject("Order");
  REQUIRE(o);
  CHECK(o->label == "Orders");
  const Field* id = o->FindField("ID");
  CHECK(id->label == "Order ID");
  CHECK(id->calculated == true);
  CHECK(o->FindField("Status")->picklist.values.size() == 2);
  CHECK(o->FindField("Total")->type.object_name == "Money");
  CHECK(r.schema.FindObject("Money")->kind == ObjectKind::kComplex);
  CHECK(r.schema.FindObject("Money")->FindField("Amount")->scale_variable);
  CHECK(o->FindField("Tags")->type.ToString() == "list<string>");
  CHECK(o->FindField("Day")->type.kind == TypeKind::kDate);
  CHECK(o->FindField("At")->type.kind == TypeKind::kTime);
  CHECK(o->FindField("Note")->updateable == false);
  CHECK(o->FindField("Items")->type.ToString() == "list<object<Item>>");
  const Field* back = r.schema.FindObject("Item")->FindField("Order");
  CHECK(back->nullable == false);
  CHECK(back->extensions.at("ReferentialConstraint") == "OrderID=ID");
}

TEST_CASE("netsuite fixture: types, required strings, sublists, select targets") {
  auto r = ImportNetSuite({Fx("netsuite/records.json")}, {});
  REQUIRE(r.ok());
  const Object* c = r.schema.FindObject("customer");
  REQUIRE(c);
  CHECK(c->FindField("companyname")->required_on_create == true);
  CHECK(c->FindField("currency")->references.targets == std::vector<std::string>{"currency"});
  CHECK(c->FindField("category")->references.targets.empty());
  CHECK(Warned(r, "unknown target"));
  CHECK(c->FindField("creditlimit")->type.kind == TypeKind::kCurrency);
  CHECK(c->FindField("isperson")->type.kind == TypeKind::kBool);
  CHECK(c->FindField("oddity")->type.kind == TypeKind::kAny);
  CHECK(Warned(r, "hologram"));
  CHECK(Warned(r, "maybe"));
  const Field* ab = c->FindField("addressbook");
  REQUIRE(ab);
  REQUIRE(ab->type.kind == TypeKind::kList);
  CHECK(ab->type.element->object->fields.size() == 2);
}

TEST_CASE("errors are values with file and position") {
  auto missing = ImportSalesforce({Fx("salesforce/nope.json")}, {});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error->unreadable);
  auto wrong = ImportSalesforce({Fx("openapi/api31.yaml")}, {});
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error->message.find("malformed JSON") != std::string::npos);
  CHECK(wrong.error->position.find("line 1") != std::string::npos);
  auto xml = ImportOData({Fx("salesforce/Trimmed.json")}, {});
  REQUIRE_FALSE(xml.ok());
  auto yaml = ImportOpenApi({Fx("jsonschema/orders.json")}, {});
  REQUIRE_FALSE(yaml.ok());
  CHECK(yaml.error->message.find("OpenAPI") != std::string::npos);
}

TEST_CASE("format detection and globbing") {
  CHECK(DetectFormat("x.json", "{\"crmx_schema\": 1}") == Format::kCrmxSchema);
  CHECK(DetectFormat("x.yaml", "openapi: 3.1.0\n") == Format::kOpenApi);
  CHECK(DetectFormat("x.edmx", "<?xml version=\"1.0\"?><edmx:Edmx>") == Format::kOData);
  CHECK(DetectFormat("x.txt", "hello") == std::nullopt);
  CHECK(DetectFormatOfFile(Fx("salesforce/Trimmed.json")) == Format::kSalesforce);
  CHECK(DetectFormatOfFile(Fx("netsuite/records.json")) == Format::kNetSuite);
  CHECK(DetectFormatOfFile(Fx("jsonschema/orders.json")) == Format::kJsonSchema);
  CHECK(DetectFormatOfFile(Fx("odata/v4.edmx")) == Format::kOData);

  auto g = ExpandGlob(std::string(CRMX_SOURCE_DIR) + "/tests/fixtures", "schemas/salesforce/*.json");
  CHECK(g.error.empty());
  REQUIRE(g.files.size() == 2);
  CHECK(g.files[0] < g.files[1]);
  auto one = ExpandGlob(std::string(CRMX_SOURCE_DIR) + "/tests/fixtures", "schemas/*/v?.edmx");
  CHECK(one.files.size() == 2);
  auto none = ExpandGlob(std::string(CRMX_SOURCE_DIR), "tests/fixtures/schemas/*.describe.json");
  CHECK(none.files.empty());
  CHECK(none.error.find("no schema file matches") != std::string::npos);

  auto all = ImportAuto(g.files, {});
  CHECK(all.ok());
  CHECK(all.schema.objects.size() == 2);
  auto mixed = ImportAuto({Fx("salesforce/Trimmed.json"), Fx("odata/v4.edmx")}, {});
  CHECK_FALSE(mixed.ok());
}
