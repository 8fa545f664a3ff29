// Imports every real schema under ../shared/real/schemas and checks counts and facts against
// ../shared/real/MANIFEST.md. Skips loudly (without failing) when ../shared is absent.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>

#include "compiler/schema/import.h"
#include "compiler/schema/schema_json.h"

using namespace crmx::schema;
namespace fs = std::filesystem;

namespace {

std::string Real(const std::string& rel) {
  return std::string(CRMX_SHARED_DIR) + "/real/schemas/" + rel;
}

bool HaveReal() {
  if (fs::exists(Real(""))) return true;
  MESSAGE("SKIPPED: ../shared/real not found (" << CRMX_SHARED_DIR << "): real-schema tests did not run");
  return false;
}

ImportResult Must(Format format, const std::vector<std::string>& files) {
  ImportResult r = Import(format, files, {});
  if (!r.ok()) {
    FAIL_CHECK(r.error->file << ": " << r.error->position << ": " << r.error->message);
  }
  return r;
}

size_t EntityCount(const Schema& s) {
  size_t n = 0;
  for (const auto& o : s.objects) n += o.kind == ObjectKind::kEntity;
  return n;
}

size_t StoredFields(const Object& o) {
  size_t n = 0;
  for (const auto& f : o.fields) n += !f.navigation;
  return n;
}

// Why each non-schema file in the tree is skipped.
std::optional<std::string> SkipReason(const fs::path& p) {
  std::string name = p.filename().string();
  if (name.rfind("LICENSE", 0) == 0) return "license text";
  if (name == "REUSE.toml") return "licensing metadata";
  if (name == "metadata.yaml") return "Airbyte connector metadata, not a schema";
  if (name == "README.md" || name == "sanitations.md") return "documentation";
  if (p.extension() == ".md") return "documentation";
  return std::nullopt;
}

}  // namespace

TEST_CASE("every real schema file imports without error") {
  if (!HaveReal()) return;
  size_t imported = 0;
  size_t skipped = 0;
  for (const auto& entry : fs::recursive_directory_iterator(Real(""))) {
    if (!entry.is_regular_file()) continue;
    const fs::path& p = entry.path();
    if (auto reason = SkipReason(p)) {
      ++skipped;
      continue;
    }
    CAPTURE(p.string());
    auto format = DetectFormatOfFile(p.string());
    REQUIRE_MESSAGE(format.has_value(), "format not detected: " << p.string());
    ImportResult r = Import(*format, {p.string()}, {});
    CHECK_MESSAGE(r.ok(), p.string() << ": " << (r.ok() ? "" : r.error->message));
    CHECK(!r.schema.objects.empty());
    // Every real schema survives the crmx JSON form unchanged.
    std::string once = WriteSchemaJson(r.schema);
    ImportResult back = ReadSchemaJson(once, "roundtrip.json");
    REQUIRE(back.ok());
    CHECK(back.warnings.empty());
    CHECK(WriteSchemaJson(back.schema) == once);
    ++imported;
  }
  MESSAGE("imported " << imported << " real schema files, skipped " << skipped
                      << " non-schema files (licenses, metadata, docs)");
  CHECK(imported >= 40);
}

TEST_CASE("format detection of the real files") {
  if (!HaveReal()) return;
  CHECK(DetectFormatOfFile(Real("salesforce-describe/spring-social-v37/account_desc.json")) == Format::kSalesforce);
  CHECK(DetectFormatOfFile(Real("salesforce-describe/lwrfileupload-trimmed/Account.json")) == Format::kSalesforce);
  CHECK(DetectFormatOfFile(Real("openapi/xero/xero_accounting.yaml")) == Format::kOpenApi);
  CHECK(DetectFormatOfFile(Real("openapi/quickbooks/qbo.oas.json")) == Format::kOpenApi);
  CHECK(DetectFormatOfFile(Real("jsonschema/airbyte-source-netsuite/schemas/customers.json")) == Format::kJsonSchema);
  CHECK(DetectFormatOfFile(Real("jsonschema/matatika-tap-quickbooks/schemas/Customer.json")) == Format::kJsonSchema);
  CHECK(DetectFormatOfFile(Real("odata/sap/S4HC_API_BUSINESS_PARTNER.edmx")) == Format::kOData);
  CHECK(DetectFormatOfFile(Real("netsuite-records/records.json")) == Format::kNetSuite);
}

TEST_CASE("Salesforce v37 full describe of Account") {
  if (!HaveReal()) return;
  auto r = Must(Format::kSalesforce, {Real("salesforce-describe/spring-social-v37/account_desc.json")});
  const Object* acc = r.schema.FindObject("Account");
  REQUIRE(acc);
  CHECK(acc->fields.size() == 45);
  const Field* state = acc->FindField("BillingState");
  REQUIRE(state);
  CHECK(state->length == 20u);
  CHECK(state->createable == true);
  // v37 has no compound address fields (compoundFieldName is tested with a fixture).
  CHECK(acc->FindField("BillingAddress") == nullptr);
  const Field* name = acc->FindField("Name");
  REQUIRE(name);
  CHECK(name->required_on_create == true);
  const Field* rev = acc->FindField("AnnualRevenue");
  REQUIRE(rev);
  CHECK(rev->type.kind == TypeKind::kCurrency);
  CHECK(rev->precision == 18u);
  CHECK(rev->scale == 0u);
  const Field* owner = acc->FindField("OwnerId");
  REQUIRE(owner);
  CHECK(owner->type.kind == TypeKind::kReference);
  CHECK(owner->references.relationship_name == "Owner");
  CHECK(owner->required_on_create == false);  // defaultedOnCreate
  const Field* id = acc->FindField("Id");
  REQUIRE(id);
  CHECK(id->key);
  CHECK(id->required_on_create == false);  // not createable
  CHECK(acc->child_relationships.size() == 36);
}

TEST_CASE("Salesforce trimmed describes keep absent facts unknown") {
  if (!HaveReal()) return;
  std::map<std::string, size_t> expected = {
      {"Account", 70}, {"Contact", 63}, {"Lead", 60}, {"Opportunity", 46},
      {"OpportunityLineItem", 21}, {"Order", 53}, {"OrderItem", 20}, {"Pricebook2", 14},
      {"PricebookEntry", 15}, {"Product2", 22}};
  std::vector<std::string> files;
  for (const auto& [name, n] : expected) {
    files.push_back(Real("salesforce-describe/lwrfileupload-trimmed/" + name + ".json"));
  }
  auto r = Must(Format::kSalesforce, files);
  CHECK(r.schema.objects.size() == 10);
  for (const auto& [name, n] : expected) {
    const Object* o = r.schema.FindObject(name);
    REQUIRE_MESSAGE(o, name);
    CHECK_MESSAGE(o->fields.size() == n, name);
  }
  const Object* opp = r.schema.FindObject("Opportunity");
  const Field* amount = opp->FindField("Amount");
  REQUIRE(amount);
  CHECK(amount->type.kind == TypeKind::kCurrency);
  CHECK_FALSE(amount->precision.has_value());  // the trimmed form has no precision
  CHECK_FALSE(amount->createable.has_value());
  CHECK(amount->IsCreateable());
  const Field* stage = opp->FindField("StageName");
  REQUIRE(stage);
  CHECK(stage->type.kind == TypeKind::kPicklist);
  CHECK(stage->picklist.values.size() == 10);
  CHECK(stage->picklist.restricted != true);
  CHECK(stage->nullable == false);
  const Field* billing = r.schema.FindObject("Account")->FindField("BillingAddress");
  REQUIRE(billing);
  CHECK(billing->type.kind == TypeKind::kAddress);
  const Field* lead_owner = r.schema.FindObject("Lead")->FindField("OwnerId");
  REQUIRE(lead_owner);
  CHECK(lead_owner->references.polymorphic());
  CHECK(lead_owner->references.targets == std::vector<std::string>{"Group", "User"});
  // nillable=false but defaultedOnCreate absent: required-on-create is unknown, not invented.
  const Field* name = r.schema.FindObject("Account")->FindField("Name");
  REQUIRE(name);
  CHECK(name->nullable == false);
  CHECK_FALSE(name->required_on_create.has_value());
}

TEST_CASE("OpenAPI: Xero accounting (YAML 3.0)") {
  if (!HaveReal()) return;
  auto r = Must(Format::kOpenApi, {Real("openapi/xero/xero_accounting.yaml")});
  const Object* contact = r.schema.FindObject("Contact");
  const Object* invoice = r.schema.FindObject("Invoice");
  REQUIRE(contact);
  REQUIRE(invoice);
  CHECK(contact->fields.size() == 43);
  CHECK(invoice->fields.size() == 42);
  CHECK(r.schema.FindObject("Item")->fields.size() == 16);
  CHECK(r.schema.FindObject("Payment")->fields.size() == 29);
  CHECK(r.schema.FindObject("LineItem")->fields.size() == 18);
  const Field* cc = invoice->FindField("CurrencyCode");
  REQUIRE(cc);
  CHECK(cc->type.kind == TypeKind::kPicklist);
  CHECK(cc->picklist.values.size() == 168);
  CHECK(cc->picklist.restricted == true);
  const Field* sub = invoice->FindField("SubTotal");
  REQUIRE(sub);
  CHECK(sub->type.kind == TypeKind::kCurrency);
  CHECK(sub->createable == false);  // readOnly
  const Field* date = invoice->FindField("Date");
  REQUIRE(date);
  CHECK(date->type.kind == TypeKind::kDateTime);
  CHECK(date->encoding == "msdate");
  const Field* lines = invoice->FindField("LineItems");
  REQUIRE(lines);
  CHECK(lines->type.kind == TypeKind::kList);
  CHECK(lines->type.element->object_name == "LineItem");
  const Field* c = invoice->FindField("Contact");
  REQUIRE(c);
  CHECK(c->type.object_name == "Contact");
  MESSAGE("xero: " << r.schema.objects.size() << " objects, " << r.warnings.size() << " warnings");
}

TEST_CASE("OpenAPI: HubSpot objects keep `properties` as a map and say why") {
  if (!HaveReal()) return;
  auto r = Must(Format::kOpenApi, {Real("openapi/hubspot/hubspot_crm_companies.oas.json")});
  const Object* spo = r.schema.FindObject("SimplePublicObject");
  REQUIRE(spo);
  const Field* props = spo->FindField("properties");
  REQUIRE(props);
  CHECK(props->type.kind == TypeKind::kMap);
  CHECK(props->type.element->kind == TypeKind::kString);
  bool noted = false;
  for (const auto& w : r.warnings) {
    if (w.message.find("Properties API") != std::string::npos) noted = true;
  }
  CHECK(noted);
}

TEST_CASE("OpenAPI: Salesforce subset, QuickBooks 3.1, SAP S/4HANA") {
  if (!HaveReal()) return;
  auto sf = Must(Format::kOpenApi, {Real("openapi/salesforce/salesforce.oas.crm-subset.json")});
  CHECK(sf.schema.objects.size() == 15);
  REQUIRE(sf.schema.FindObject("AccountSObject") != nullptr);
  CHECK(sf.schema.FindObject("OpportunitySObject")->FindField("Amount")->type.kind == TypeKind::kDouble);
  auto qbo = Must(Format::kOpenApi, {Real("openapi/quickbooks/qbo.oas.json")});
  CHECK(qbo.schema.objects.size() == 11);  // 12 schemas, one is a string enum
  CHECK(qbo.schema.FindObject("Customer") == nullptr);
  auto so = Must(Format::kOpenApi, {Real("openapi/sap-s4hana/API_SALES_ORDER_SRV.json")});
  const Object* a = so.schema.FindObject("A_SalesOrder");
  REQUIRE(a);
  CHECK(a->fields.size() == 93);
  CHECK(so.schema.FindObject("A_SalesOrderItem")->fields.size() == 104);
  const Field* net = a->FindField("TotalNetAmount");
  REQUIRE(net);
  CHECK(net->type.kind == TypeKind::kDecimal);
  CHECK(net->precision == 16u);
  CHECK(net->scale == 3u);
  CHECK(net->encoding == "string");
  CHECK(a->FindField("SalesOrder")->length == 10u);
  CHECK(a->FindField("SalesOrderType")->nullable == true);
  auto ce = Must(Format::kOpenApi, {Real("openapi/sap-s4hana/CE_SALESORDER_0001.json")});
  const Object* ceso = ce.schema.FindObject("SalesOrder");
  REQUIRE(ceso);
  const Field* ceamount = ceso->FindField("TotalNetAmount");
  REQUIRE(ceamount);
  CHECK(ceamount->type.kind == TypeKind::kDecimal);
  CHECK(ceamount->encoding == "string|number");
  CHECK(ceamount->precision == 15u);
}

TEST_CASE("JSON Schema streams: Airbyte and Matatika") {
  if (!HaveReal()) return;
  auto ns = Must(Format::kJsonSchema, {Real("jsonschema/airbyte-source-netsuite/schemas/customers.json")});
  REQUIRE(ns.schema.FindObject("customers"));
  CHECK(ns.schema.FindObject("customers")->fields.size() == 138);
  auto qb = Must(Format::kJsonSchema,
                 {Real("jsonschema/airbyte-source-quickbooks/schemas/customers.json"),
                  Real("jsonschema/airbyte-source-quickbooks/schemas/invoices.json"),
                  Real("jsonschema/airbyte-source-quickbooks/schemas/items.json")});
  CHECK(qb.schema.FindObject("customers")->fields.size() == 33);
  CHECK(qb.schema.FindObject("invoices")->fields.size() == 33);
  CHECK(qb.schema.FindObject("items")->fields.size() == 21);
  const Field* ref = qb.schema.FindObject("invoices")->FindField("CustomerRef");
  REQUIRE(ref);
  CHECK(ref->type.kind == TypeKind::kObject);
  REQUIRE(ref->type.object);
  CHECK(ref->type.object->fields.size() == 2);
  CHECK(ref->nullable == true);
  auto mt = Must(Format::kJsonSchema,
                 {Real("jsonschema/matatika-tap-quickbooks/schemas/Customer.json"),
                  Real("jsonschema/matatika-tap-quickbooks/schemas/Invoice.json"),
                  Real("jsonschema/matatika-tap-quickbooks/schemas/Item.json")});
  const Object* cust = mt.schema.FindObject("Customer");
  REQUIRE(cust);
  CHECK(cust->fields.size() == 39);
  CHECK(mt.schema.FindObject("Invoice")->fields.size() == 40);
  CHECK(mt.schema.FindObject("Item")->fields.size() == 26);
  const Field* dotted = cust->FindField("MetaData.CreateTime");
  REQUIRE(dotted);
  CHECK(dotted->type.kind == TypeKind::kDateTime);
  CHECK(dotted->nullable == true);
}

TEST_CASE("OData v2: SAP business partner") {
  if (!HaveReal()) return;
  auto r = Must(Format::kOData, {Real("odata/sap/S4HC_API_BUSINESS_PARTNER.edmx")});
  CHECK(EntityCount(r.schema) == 60);
  size_t props = 0;
  for (const auto& o : r.schema.objects) props += StoredFields(o);
  CHECK(props == 1049);
  const Object* bp = r.schema.FindObject("A_BusinessPartnerType");
  REQUIRE(bp);
  CHECK(bp->key_fields == std::vector<std::string>{"BusinessPartner"});
  const Field* key = bp->FindField("BusinessPartner");
  REQUIRE(key);
  CHECK(key->key);
  CHECK(key->nullable == false);
  CHECK(key->length == 10u);
  CHECK_FALSE(key->label.empty());
  const Field* nav = bp->FindField("to_BusinessPartnerAddress");
  REQUIRE(nav);
  CHECK(nav->navigation);
  CHECK(nav->type.kind == TypeKind::kList);
  CHECK(nav->type.element->object_name == "A_BusinessPartnerAddressType");
  MESSAGE("bp edmx: " << r.warnings.size() << " warnings");
}

TEST_CASE("OData v4: SAP CE sales order") {
  if (!HaveReal()) return;
  auto r = Must(Format::kOData, {Real("odata/sap/S4HC_CE_SALESORDER_0001.edmx")});
  CHECK(EntityCount(r.schema) == 13);
  size_t props = 0;
  for (const auto& o : r.schema.objects) {
    if (o.kind == ObjectKind::kEntity) props += StoredFields(o);
  }
  CHECK(props == 294);
  const Object* msg = r.schema.FindObject("SAP__Message");
  REQUIRE(msg);
  CHECK(msg->kind == ObjectKind::kComplex);
  const Object* pe = r.schema.FindObject("SalesOrderPricingElement_Type");
  REQUIRE(pe);
  const Field* amount = pe->FindField("ConditionAmount");
  REQUIRE(amount);
  CHECK(IsDecimal(amount->type.kind));
  CHECK(amount->precision == 15u);
  CHECK(amount->scale_variable);
  const Field* so = r.schema.FindObject("SalesOrderItemText_Type")->FindField("SalesOrder");
  REQUIRE(so);
  CHECK(so->label == "Sales Order");     // from an <Annotations> block
  CHECK(so->calculated == true);         // Core.Computed
  const Field* nav = r.schema.FindObject("SalesOrder_Type")->FindField("_Item");
  REQUIRE(nav);
  CHECK(nav->type.kind == TypeKind::kList);
}

TEST_CASE("NetSuite records catalog") {
  if (!HaveReal()) return;
  auto r = Must(Format::kNetSuite, {Real("netsuite-records/records.json")});
  CHECK(r.schema.objects.size() == 272);
  const Object* cust = r.schema.FindObject("customer");
  REQUIRE(cust);
  CHECK(cust->fields.size() == 124);
  // `externalid` is NetSuite's upsert key: an external id, unique per record type.
  REQUIRE(cust->FindField("externalid"));
  CHECK(cust->FindField("externalid")->IsExternalId());
  CHECK(cust->FindField("externalid")->unique == true);
  CHECK(cust->label != "Fields");
  const Object* so = r.schema.FindObject("salesorder");
  REQUIRE(so);
  size_t sublists = 0;
  for (const auto& f : so->fields) sublists += f.source_type == "sublist";
  CHECK(so->fields.size() - sublists == 173);
  CHECK(sublists == 7);
  const Field* item = so->FindField("item");
  REQUIRE(item);
  CHECK(item->type.kind == TypeKind::kList);
  REQUIRE(item->type.element->object);
  CHECK(item->type.element->object->fields.size() == 82);
  const Object* inv = r.schema.FindObject("invoice");
  size_t inv_body = 0;
  for (const auto& f : inv->fields) inv_body += f.source_type != "sublist";
  CHECK(inv_body == 139);
  CHECK(r.schema.FindObject("subsidiary")->fields.size() >= 54);
  CHECK(r.schema.FindObject("subsidiary") != nullptr);
  CHECK(r.schema.FindObject("currency")->fields.size() >= 12);
  CHECK(r.schema.FindObject("inventoryitem") == nullptr);
  const Field* currency = cust->FindField("currency");
  REQUIRE(currency);
  CHECK(currency->type.kind == TypeKind::kReference);
  CHECK(currency->references.targets == std::vector<std::string>{"currency"});
}
