// Guards the schemas of examples/acme-salesforce-netsuite: imports them the way the compiler
// does for acme.crmx (the systems' globs, relative to the spec's folder, through ImportAuto)
// and checks that every object, field, relationship and literal value the spec relies on
// exists with the type facts the spec assumes. A schema edit that breaks the example fails
// here, with the object and field named.
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "compiler/schema/import.h"
#include "compiler/schema/schema_json.h"

using namespace crmx::schema;

namespace {

const std::string kExampleDir = std::string(CRMX_SOURCE_DIR) + "/examples/acme-salesforce-netsuite";

// Loads one system's schema as `system NAME { schema "PATTERN" }` in acme.crmx does.
ImportResult LoadSystem(const std::string& pattern, const std::string& system) {
  GlobResult files = ExpandGlob(kExampleDir, pattern);
  REQUIRE_MESSAGE(files.error.empty(), pattern << ": " << files.error);
  ImportOptions options;
  options.system = system;
  ImportResult r = ImportAuto(files.files, options);
  REQUIRE_MESSAGE(r.ok(), r.error->file << ": " << r.error->position << ": " << r.error->message);
  for (const ImportWarning& w : r.warnings) {
    FAIL_CHECK("unexpected import warning: " << w.file << " " << w.pointer << ": " << w.message);
  }
  return r;
}

const Schema& Crm() {
  static const ImportResult r = LoadSystem("schemas/salesforce/*.describe.json", "crm");
  return r.schema;
}

const Schema& Erp() {
  static const ImportResult r = LoadSystem("schemas/netsuite/*.json", "erp");
  return r.schema;
}

const Object& Obj(const Schema& s, const std::string& name) {
  const Object* o = s.FindObject(name);
  REQUIRE_MESSAGE(o != nullptr, s.system << "." << name << " is missing");
  return *o;
}

const Field& Fld(const Object& o, const std::string& name) {
  const Field* f = o.FindField(name);
  REQUIRE_MESSAGE(f != nullptr, o.name << "." << name << " is missing");
  return *f;
}

void CheckText(const Field& f, TypeKind kind, uint32_t length) {
  CAPTURE(f.name);
  CHECK(f.type.kind == kind);
  REQUIRE(f.length.has_value());
  CHECK(*f.length == length);
}

void CheckMoney(const Field& f, uint32_t precision, uint32_t scale) {
  CAPTURE(f.name);
  CHECK(f.type.kind == TypeKind::kCurrency);
  REQUIRE(f.precision.has_value());
  REQUIRE(f.scale.has_value());
  CHECK(*f.precision == precision);
  CHECK(*f.scale == scale);
}

std::vector<std::string> Values(const Field& f) {
  std::vector<std::string> out;
  for (const auto& v : f.picklist.values) out.push_back(v.value);
  return out;
}

void CheckHasValues(const Field& f, const std::vector<std::string>& values) {
  CAPTURE(f.name);
  for (const auto& v : values) CHECK_MESSAGE(f.picklist.Contains(v), "`" << v << "` is not a value");
}

const ChildRelationship* FindChild(const Object& o, const std::string& name) {
  for (const auto& c : o.child_relationships) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("example schemas: formats are detected and every file imports without warnings") {
  for (const char* f : {"Account", "Opportunity", "OpportunityLineItem", "Product2"}) {
    std::string path = kExampleDir + "/schemas/salesforce/" + f + ".describe.json";
    CAPTURE(path);
    CHECK(DetectFormatOfFile(path) == Format::kSalesforce);
  }
  for (const char* f : {"customer", "salesOrder", "invoice"}) {
    std::string path = kExampleDir + "/schemas/netsuite/" + f + ".json";
    CAPTURE(path);
    CHECK(DetectFormatOfFile(path) == Format::kCrmxSchema);
  }
  CHECK(Crm().source_format == "salesforce");
  CHECK(Crm().objects.size() == 4);
  CHECK(Erp().objects.size() == 3);
  for (const Schema* s : {&Crm(), &Erp()}) {
    for (const Object& o : s->objects) {
      CAPTURE(o.name);
      // Small but realistic: the fields a sync needs plus the system fields around them.
      CHECK(o.fields.size() >= 15);
      CHECK(o.fields.size() <= 40);
      REQUIRE(o.key_fields.size() == 1);
      const Field& key = Fld(o, o.key_fields[0]);
      CHECK(key.type.kind == TypeKind::kId);
      CHECK(key.IsReadOnly());
    }
  }
}

TEST_CASE("example schemas: the spec's objects exist under the names it uses") {
  for (const char* name : {"Account", "Opportunity", "OpportunityLineItem", "Product2"}) {
    CHECK_MESSAGE(Crm().FindObject(name) != nullptr, "crm." << name);
  }
  for (const char* name : {"Customer", "SalesOrder", "Invoice"}) {
    CHECK_MESSAGE(Erp().FindObject(name) != nullptr, "erp." << name);
  }
  // Every field acme.crmx names, object by object.
  const std::vector<std::pair<std::string, std::vector<std::string>>> crm = {
      {"Account", {"Id", "Name", "Phone", "Website", "Industry", "BillingAddress", "BillingState",
                   "BillingCountry", "ShippingState", "ShippingCountry", "PaymentTerms__c",
                   "Subsidiary__c", "OwnerId"}},
      {"Opportunity", {"Id", "Amount", "AccountId", "CurrencyIsoCode", "StageName",
                       "ERP_Status__c", "ERP_Order_Number__c", "OwnerId"}},
      {"OpportunityLineItem", {"ProductCode", "Quantity", "UnitPrice"}},
  };
  for (const auto& [object, fields] : crm) {
    const Object& o = Obj(Crm(), object);
    for (const auto& f : fields) CHECK_MESSAGE(o.FindField(f) != nullptr, object << "." << f);
  }
  const std::vector<std::pair<std::string, std::vector<std::string>>> erp = {
      {"Customer", {"externalId", "companyName", "state", "country", "phone", "terms",
                    "subsidiary", "creditLimit", "balance"}},
      {"SalesOrder", {"externalId", "entity", "currency", "total", "lines", "status", "tranId"}},
      {"Invoice", {"externalId", "entity", "createdFrom", "total", "amountRemaining", "status",
                   "tranDate", "dueDate"}},
  };
  for (const auto& [object, fields] : erp) {
    const Object& o = Obj(Erp(), object);
    for (const auto& f : fields) CHECK_MESSAGE(o.FindField(f) != nullptr, object << "." << f);
  }
}

TEST_CASE("example schemas: Salesforce Account matches the real describe") {
  const Object& account = Obj(Crm(), "Account");
  const Field& id = Fld(account, "Id");
  CHECK(id.key);
  CHECK(id.createable == false);
  CHECK(id.nullable == false);

  const Field& name = Fld(account, "Name");
  CheckText(name, TypeKind::kString, 255);
  CHECK(name.nullable == false);
  CHECK(name.required_on_create == true);

  CheckText(Fld(account, "Phone"), TypeKind::kPhone, 40);
  CheckText(Fld(account, "Website"), TypeKind::kUrl, 255);
  CheckText(Fld(account, "BillingState"), TypeKind::kString, 80);
  CheckText(Fld(account, "BillingCountry"), TypeKind::kString, 80);
  CheckText(Fld(account, "ShippingState"), TypeKind::kString, 80);
  CheckText(Fld(account, "ShippingCountry"), TypeKind::kString, 80);
  CheckMoney(Fld(account, "AnnualRevenue"), 18, 0);

  const Field& industry = Fld(account, "Industry");
  CHECK(industry.type.kind == TypeKind::kPicklist);
  CHECK(industry.picklist.restricted == false);
  CHECK(industry.picklist.Contains("Technology"));

  const Field& billing = Fld(account, "BillingAddress");
  CHECK(billing.type.kind == TypeKind::kAddress);
  CHECK(billing.IsReadOnly());
  for (const char* c : {"BillingStreet", "BillingCity", "BillingState", "BillingPostalCode",
                        "BillingCountry"}) {
    CHECK_MESSAGE(Fld(account, c).compound_parent == "BillingAddress", c);
    CHECK_MESSAGE(std::find(billing.compound_components.begin(), billing.compound_components.end(),
                            c) != billing.compound_components.end(),
                  c);
  }
  CHECK(Fld(account, "ShippingCountry").compound_parent == "ShippingAddress");
  CHECK(Fld(account, "ShippingAddress").type.kind == TypeKind::kAddress);

  const Field& owner = Fld(account, "OwnerId");
  CHECK(owner.type.kind == TypeKind::kReference);
  CHECK(owner.references.targets == std::vector<std::string>{"User"});
  CHECK(owner.references.relationship_name == "Owner");
  CHECK(owner.required_on_create == false);  // defaulted to the creating user

  // Multi-currency org.
  const Field& iso = Fld(account, "CurrencyIsoCode");
  CHECK(iso.type.kind == TypeKind::kPicklist);
  CHECK(iso.picklist.restricted == true);
  CheckHasValues(iso, {"USD", "CAD", "GBP", "EUR"});

  const Field& terms = Fld(account, "PaymentTerms__c");
  CHECK(terms.type.kind == TypeKind::kPicklist);
  CHECK(terms.nullable == true);
  CHECK(terms.extensions.count("custom") == 1);
  CHECK(Values(terms) == std::vector<std::string>{"Net 15", "Net 30", "Net 45", "Net 60"});

  const Field& subsidiary = Fld(account, "Subsidiary__c");
  CheckText(subsidiary, TypeKind::kString, 80);
  CHECK(subsidiary.nullable == true);

  const ChildRelationship* opps = FindChild(account, "Opportunities");
  REQUIRE(opps != nullptr);
  CHECK(opps->child_object == "Opportunity");
  CHECK(opps->field == "AccountId");
}

TEST_CASE("example schemas: Salesforce Opportunity and its line items") {
  const Object& opp = Obj(Crm(), "Opportunity");
  CheckMoney(Fld(opp, "Amount"), 18, 2);

  const Field& stage = Fld(opp, "StageName");
  CHECK(stage.type.kind == TypeKind::kPicklist);
  CHECK(stage.picklist.restricted == false);
  CHECK(stage.required_on_create == true);
  CheckHasValues(stage, {"Closed Won", "Closed Lost"});

  const Field& account = Fld(opp, "AccountId");
  CHECK(account.type.kind == TypeKind::kReference);
  CHECK(account.references.targets == std::vector<std::string>{"Account"});
  CHECK(account.references.relationship_name == "Account");  // Account.BillingCountry

  CHECK(Fld(opp, "CloseDate").type.kind == TypeKind::kDate);
  CHECK(Fld(opp, "CloseDate").required_on_create == true);
  CHECK(Fld(opp, "IsWon").type.kind == TypeKind::kBool);
  CHECK(Fld(opp, "IsWon").IsReadOnly());
  CHECK(Fld(opp, "LastModifiedDate").type.kind == TypeKind::kDateTime);
  CheckHasValues(Fld(opp, "CurrencyIsoCode"), {"EUR"});  // the spec test's order

  // Written back from NetSuite by order_status_back.
  // ERP_Order_Number__c holds NetSuite's tranId, up to 45 characters.
  for (auto [name, length] : {std::pair{"ERP_Status__c", 40}, std::pair{"ERP_Order_Number__c", 45}}) {
    const Field& f = Fld(opp, name);
    CheckText(f, TypeKind::kString, length);
    CHECK(f.nullable == true);
    CHECK(f.IsUpdateable());
    CHECK(f.external_id == false);
  }

  const ChildRelationship* lines = FindChild(opp, "OpportunityLineItems");
  REQUIRE(lines != nullptr);
  CHECK(lines->child_object == "OpportunityLineItem");
  CHECK(lines->field == "OpportunityId");
  CHECK(lines->cascade_delete == true);

  const Object& item = Obj(Crm(), "OpportunityLineItem");
  const Field& parent = Fld(item, "OpportunityId");
  CHECK(parent.references.targets == std::vector<std::string>{"Opportunity"});
  CHECK(parent.required_on_create == true);
  CheckText(Fld(item, "ProductCode"), TypeKind::kString, 255);
  const Field& quantity = Fld(item, "Quantity");
  CHECK(quantity.type.kind == TypeKind::kDouble);
  CHECK(quantity.precision.value_or(0) == 18);
  CHECK(quantity.scale.value_or(0) == 2);
  CHECK(quantity.required_on_create == true);
  CheckMoney(Fld(item, "UnitPrice"), 18, 2);
  const Field& product = Fld(item, "Product2Id");
  CHECK(product.type.kind == TypeKind::kReference);
  CHECK(product.references.targets == std::vector<std::string>{"Product2"});

  const Object& product2 = Obj(Crm(), "Product2");
  CheckText(Fld(product2, "ProductCode"), TypeKind::kString, 255);
  CheckText(Fld(product2, "Name"), TypeKind::kString, 255);
}

TEST_CASE("example schemas: NetSuite Customer") {
  const Object& customer = Obj(Erp(), "Customer");
  const Field& ext = Fld(customer, "externalId");
  CHECK(ext.IsExternalId());
  CHECK(ext.unique == true);
  CHECK(ext.type.kind == TypeKind::kString);

  const Field& company = Fld(customer, "companyName");
  CheckText(company, TypeKind::kString, 83);  // the spec truncates Name to 83
  CHECK(company.required_on_create == true);

  CHECK(Fld(customer, "state").type.kind == TypeKind::kString);
  CheckText(Fld(customer, "phone"), TypeKind::kPhone, 32);

  const Field& country = Fld(customer, "country");
  CHECK(country.type.kind == TypeKind::kPicklist);
  CHECK(country.picklist.restricted == true);
  CheckHasValues(country, {"US", "CA", "GB", "DE"});  // lib/common.crmx's keys
  CHECK(!country.picklist.Contains("Germany"));

  const Field& subsidiary = Fld(customer, "subsidiary");
  CHECK(subsidiary.type.kind == TypeKind::kPicklist);
  CHECK(subsidiary.picklist.restricted == true);
  CHECK(subsidiary.required_on_create == true);
  CheckHasValues(subsidiary, {"Acme Inc", "Acme Canada", "Acme UK Ltd", "Acme GmbH"});

  // Every Salesforce payment term, and the spec's default, is a NetSuite term.
  const Field& terms = Fld(customer, "terms");
  CHECK(terms.type.kind == TypeKind::kPicklist);
  CHECK(terms.picklist.restricted == true);
  CheckHasValues(terms, Values(Fld(Obj(Crm(), "Account"), "PaymentTerms__c")));
  CheckHasValues(terms, {"Net 30"});

  const Field& limit = Fld(customer, "creditLimit");
  CheckMoney(limit, 18, 2);
  CHECK(!limit.IsReadOnly());
  const Field& balance = Fld(customer, "balance");
  CheckMoney(balance, 18, 2);
  CHECK(balance.IsReadOnly());

  const Field& currency = Fld(customer, "currency");
  CHECK(currency.type.kind == TypeKind::kPicklist);
  CHECK(currency.required_on_create == false);
  CHECK(currency.defaulted_on_create == true);
  // Nothing the spec leaves unset may be required on create.
  for (const Field& f : customer.fields) {
    if (!f.IsRequiredOnCreate()) continue;
    CAPTURE(f.name);
    CHECK((f.name == "companyName" || f.name == "subsidiary"));
  }
}

TEST_CASE("example schemas: NetSuite SalesOrder and its item lines") {
  const Object& order = Obj(Erp(), "SalesOrder");
  CHECK(Fld(order, "externalId").IsExternalId());

  const Field& entity = Fld(order, "entity");
  CHECK(entity.type.kind == TypeKind::kReference);
  CHECK(entity.references.targets == std::vector<std::string>{"Customer"});
  CHECK(entity.required_on_create == true);

  const Field& currency = Fld(order, "currency");
  CHECK(currency.type.kind == TypeKind::kPicklist);
  CheckHasValues(currency, Values(Fld(Obj(Crm(), "Opportunity"), "CurrencyIsoCode")));

  const Field& total = Fld(order, "total");
  CheckMoney(total, 18, 2);

  const Field& status = Fld(order, "status");
  CHECK(status.type.kind == TypeKind::kPicklist);
  CHECK(status.IsReadOnly());
  CheckHasValues(status, {"Pending Approval", "Pending Fulfillment", "Billed", "Closed"});

  const Field& tran = Fld(order, "tranId");
  CheckText(tran, TypeKind::kString, 45);
  CHECK(tran.IsReadOnly());

  const Field& lines = Fld(order, "lines");
  REQUIRE(lines.type.kind == TypeKind::kList);
  REQUIRE(lines.type.element);
  REQUIRE(lines.type.element->kind == TypeKind::kObject);
  const Object* row = Erp().Resolve(*lines.type.element);
  REQUIRE(row != nullptr);
  CHECK(row->name == "SalesOrderItem");
  const Field& item = Fld(*row, "item");
  CHECK(item.type.kind == TypeKind::kReference);
  CHECK(item.required_on_create == true);
  CHECK(Fld(*row, "quantity").type.kind == TypeKind::kDouble);
  CHECK(IsDecimal(Fld(*row, "rate").type.kind));
  CheckMoney(Fld(*row, "amount"), 18, 2);
  for (const Field& f : row->fields) {
    if (!f.IsRequiredOnCreate()) continue;
    CAPTURE(f.name);
    CHECK(f.name == "item");  // the spec's line literal sets item, quantity and rate only
  }
  for (const Field& f : order.fields) {
    if (!f.IsRequiredOnCreate()) continue;
    CAPTURE(f.name);
    CHECK(f.name == "entity");
  }
}

TEST_CASE("example schemas: NetSuite Invoice") {
  const Object& invoice = Obj(Erp(), "Invoice");
  CHECK(Fld(invoice, "externalId").IsExternalId());
  CHECK(Fld(invoice, "entity").references.targets == std::vector<std::string>{"Customer"});
  CHECK(Fld(invoice, "createdFrom").references.targets == std::vector<std::string>{"SalesOrder"});
  CheckMoney(Fld(invoice, "total"), 18, 2);
  CHECK(Fld(invoice, "amountRemaining").IsReadOnly());
  CHECK(Fld(invoice, "dueDate").type.kind == TypeKind::kDate);
  CHECK(Fld(invoice, "tranDate").type.kind == TypeKind::kDate);
  CheckHasValues(Fld(invoice, "status"), {"Open", "Paid In Full"});
}

TEST_CASE("example schemas: both systems survive the crmx JSON form") {
  for (const Schema* s : {&Crm(), &Erp()}) {
    CAPTURE(s->system);
    std::string once = WriteSchemaJson(*s);
    ImportResult back = ReadSchemaJson(once, "roundtrip.json");
    REQUIRE(back.ok());
    CHECK(back.warnings.empty());
    CHECK(WriteSchemaJson(back.schema) == once);
  }
}
