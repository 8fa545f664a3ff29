// Tests the HubSpot importer (import_hubspot.cpp): the project's property definitions
// (schemas/hubspot, the properties API's shape) give one object per object type with crmx types,
// options, read-only and unique facts; HubSpot's own OpenAPI files in ../shared/real give
// distinct objects with the vendor's property names (skipped loudly when ../shared is absent);
// detection routes both to the HubSpot importer and leaves HubSpot's other OpenAPI files alone.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "compiler/schema/import.h"

using namespace crmx::schema;
namespace fs = std::filesystem;

namespace {

const std::string kOwn = std::string(CRMX_SOURCE_DIR) + "/schemas/hubspot/";
std::string Real(const std::string& file) {
  return std::string(CRMX_SHARED_DIR) + "/real/schemas/openapi/hubspot/" + file;
}

ImportResult Must(const std::vector<std::string>& files) {
  ImportResult r = ImportAuto(files, {});
  if (!r.ok()) FAIL_CHECK(r.error->file << ": " << r.error->position << ": " << r.error->message);
  return r;
}

}  // namespace

TEST_CASE("HubSpot property definitions: one object per object type, typed, with options and read-only facts") {
  std::vector<std::string> files;
  for (const char* t : {"companies", "contacts", "deals", "line_items", "products"})
    files.push_back(kOwn + t + ".properties.json");
  for (const auto& f : files) CHECK(DetectFormatOfFile(f) == Format::kHubSpot);
  ImportResult r = Must(files);
  REQUIRE(r.schema.objects.size() == 5);
  CHECK(r.schema.source_format == "hubspot");
  for (const char* name : {"Company", "Contact", "Deal", "LineItem", "Product"}) REQUIRE(r.schema.FindObject(name));
  const Object* deal = r.schema.FindObject("Deal");
  CHECK(deal->extensions.at("hubspot:objectType") == "deals");
  CHECK(deal->extensions.at("hubspot:envelope") == "properties");
  CHECK(deal->key_fields == std::vector<std::string>{"hs_object_id"});
  const Field* amount = deal->FindField("amount");
  REQUIRE(amount);
  CHECK(amount->type.kind == TypeKind::kDecimal);
  CHECK(amount->IsCreateable());
  const Field* stage = deal->FindField("dealstage");
  REQUIRE(stage);
  CHECK(stage->type.kind == TypeKind::kPicklist);
  CHECK(stage->picklist.Contains("closedwon"));
  CHECK(stage->picklist.restricted == true);
  const Field* close = deal->FindField("closedate");
  CHECK(close->type.kind == TypeKind::kDateTime);
  const Field* won = deal->FindField("hs_is_closed_won");
  CHECK(won->type.kind == TypeKind::kBool);
  CHECK_FALSE(won->IsCreateable());
  CHECK_FALSE(won->IsUpdateable());
  const Field* modified = deal->FindField("hs_lastmodifieddate");
  CHECK(modified->IsReadOnly());
  const Field* id = deal->FindField("hs_object_id");
  CHECK(id->key);
  CHECK_FALSE(id->IsExternalId());
  const Field* email = r.schema.FindObject("Contact")->FindField("email");
  CHECK(email->IsExternalId());
  CHECK(email->unique == true);
  CHECK_FALSE(r.schema.FindObject("LineItem")->FindField("amount")->IsCreateable());
  CHECK(r.schema.FindObject("Contact")->FindField("phone")->type.kind == TypeKind::kPhone);
}

TEST_CASE("HubSpot property definitions: the object type from the file name, or a clear error") {
  fs::path dir = fs::temp_directory_path() / "crmx-hubspot-import-test";
  fs::create_directories(dir);
  std::ofstream(dir / "p_cars.properties.json")
      << R"({"results":[{"name":"vin","label":"VIN","type":"string","fieldType":"text","hasUniqueValue":true},)"
      << R"({"name":"kind","type":"enumeration","fieldType":"select","options":[{"label":"A","value":"a","hidden":true}]},)"
      << R"({"name":"odd","type":"object_coordinates","fieldType":"text"}]})";
  ImportResult r = Must({(dir / "p_cars.properties.json").string()});
  REQUIRE(r.schema.objects.size() == 1);
  const Object& cars = r.schema.objects[0];
  CHECK(cars.name == "PCar");
  CHECK(cars.extensions.at("hubspot:objectType") == "p_cars");
  CHECK(cars.FindField("hs_object_id") != nullptr);  // every record has one
  CHECK(cars.FindField("vin")->IsExternalId());
  CHECK_FALSE(cars.FindField("kind")->picklist.values[0].active);
  CHECK(cars.FindField("odd")->type.kind == TypeKind::kAny);
  bool warned = false;
  for (const auto& w : r.warnings) warned = warned || w.message.find("object_coordinates") != std::string::npos;
  CHECK(warned);
  std::ofstream(dir / "unnamed.json") << R"({"results":[{"name":"x","type":"string","fieldType":"text"}]})";
  ImportResult bad = Import(Format::kHubSpot, {(dir / "unnamed.json").string()}, {});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error->message.find("objectType") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("HubSpot's own OpenAPI files give distinct objects with the vendor's property names") {
  if (!fs::exists(Real(""))) {
    MESSAGE("SKIPPED: ../shared/real not found (" << CRMX_SHARED_DIR << "): HubSpot OpenAPI import did not run");
    return;
  }
  std::vector<std::string> files;
  for (const char* t : {"companies", "contacts", "deals", "line_items", "products", "quotes"}) {
    files.push_back(Real(std::string("hubspot_crm_") + t + ".oas.json"));
    CHECK_MESSAGE(DetectFormatOfFile(files.back()) == Format::kHubSpot, files.back());
  }
  // HubSpot's files that describe no one object type stay generic OpenAPI.
  CHECK(DetectFormatOfFile(Real("hubspot_crm_objects.oas.json")) == Format::kOpenApi);
  CHECK(DetectFormatOfFile(Real("hubspot_crm_properties.oas.json")) == Format::kOpenApi);
  ImportResult r = Must(files);
  REQUIRE(r.schema.objects.size() == 6);
  const Object* company = r.schema.FindObject("Company");
  REQUIRE(company);
  for (const char* f : {"city", "domain", "name", "hs_lastmodifieddate", "industry", "phone"})
    CHECK_MESSAGE(company->FindField(f) != nullptr, f);
  CHECK(company->FindField("property_date") == nullptr);  // the spec's placeholders are not properties
  CHECK(company->FindField("hs_lastmodifieddate")->type.kind == TypeKind::kDateTime);
  CHECK(company->FindField("hs_lastmodifieddate")->IsReadOnly());
  const Object* deal = r.schema.FindObject("Deal");
  REQUIRE(deal);
  for (const char* f : {"amount", "dealname", "dealstage", "pipeline", "closedate"}) CHECK(deal->FindField(f) != nullptr);
  CHECK(deal->FindField("domain") == nullptr);  // companies and deals no longer collide
  CHECK(r.schema.FindObject("Contact")->FindField("email") != nullptr);
  CHECK(r.schema.FindObject("LineItem")->FindField("hs_product_id") != nullptr);
  CHECK(r.schema.FindObject("Product")->FindField("hs_sku") != nullptr);
  CHECK(r.schema.FindObject("Quote")->FindField("hs_title") != nullptr);
  CHECK(r.schema.FindObject("SimplePublicObject") == nullptr);
  size_t noted = 0;
  for (const auto& w : r.warnings) noted += w.message.find("Properties API") != std::string::npos;
  CHECK(noted == 6);
}

TEST_CASE("HubSpot associations: an `associations` object per object type and child relationships") {
  std::vector<std::string> files;
  for (const char* t : {"companies", "contacts", "deals", "line_items", "products"})
    files.push_back(kOwn + t + ".properties.json");
  ImportResult r = Must(files);
  const Object* deal = r.schema.FindObject("Deal");
  REQUIRE(deal);
  const Field* a = deal->FindField("associations");
  REQUIRE(a);
  REQUIRE(a->type.kind == TypeKind::kObject);
  const Object* inner = r.schema.Resolve(a->type);
  REQUIRE(inner);
  // Deals are associated with companies, contacts and line items; never with products.
  std::vector<std::string> names;
  for (const Field& f : inner->fields) names.push_back(f.name);
  CHECK(names == std::vector<std::string>{"companies", "contacts", "line_items"});
  const Field* companies = inner->FindField("companies");
  REQUIRE(companies);
  CHECK(companies->type.ToString() == "list<string>");
  CHECK(companies->references.targets == std::vector<std::string>{"Company"});
  // Deal.LineItems: the line items whose `associations.deals` names the deal.
  bool line_items = false;
  for (const ChildRelationship& c : deal->child_relationships) {
    if (c.name != "LineItems") continue;
    line_items = true;
    CHECK(c.child_object == "LineItem");
    CHECK(c.field == "associations.deals");
    CHECK_FALSE(c.cascade_delete.has_value());
  }
  CHECK(line_items);
  // Line items: only deals here (no company or contact association in HubSpot); products none.
  const Object* li = r.schema.FindObject("LineItem");
  REQUIRE(li);
  const Object* li_inner = r.schema.Resolve(li->FindField("associations")->type);
  REQUIRE(li_inner);
  REQUIRE(li_inner->fields.size() == 1);
  CHECK(li_inner->fields[0].name == "deals");
  CHECK(r.schema.FindObject("Product")->FindField("associations") == nullptr);
  CHECK(r.schema.FindObject("Product")->child_relationships.empty());
  // One object type alone has nothing to be associated with.
  ImportResult one = Must({kOwn + "deals.properties.json"});
  CHECK(one.schema.FindObject("Deal")->FindField("associations") == nullptr);
}
