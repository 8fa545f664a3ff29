// Imports the real QuickBooks Online v3 XSD (../shared/real/other/quickbooks-xsd) and checks
// the entities the connectors write: real field names, extension chains flattened, `*Ref`s,
// Line nested with its detail, enumerations as picklists, and the read-only / required facts
// the importer adds from Intuit's API reference. Skips loudly when the XSD is absent.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "compiler/schema/import.h"

using namespace crmx::schema;
namespace fs = std::filesystem;

namespace {

std::string Xsd(const std::string& file) { return std::string(CRMX_SHARED_DIR) + "/real/other/quickbooks-xsd/" + file; }

bool HaveXsd() {
  if (fs::exists(Xsd("Finance.xsd"))) return true;
  MESSAGE("SKIPPED: " << Xsd("Finance.xsd") << " not found: the QuickBooks XSD importer test did not run");
  return false;
}

}  // namespace

TEST_CASE("QuickBooks XSD: detected, and Customer, Invoice, Item with the vendor's field names") {
  if (!HaveXsd()) return;
  CHECK(DetectFormatOfFile(Xsd("Finance.xsd")) == Format::kQuickBooksXsd);
  CHECK(ParseFormat("quickbooks") == Format::kQuickBooksXsd);
  // Finance.xsd alone: its includes are followed.
  ImportResult r = ImportAuto({Xsd("Finance.xsd")}, {});
  REQUIRE_MESSAGE(r.ok(), (r.error ? r.error->message : ""));
  CHECK(r.schema.system == "quickbooks");
  const Object* customer = r.schema.FindObject("Customer");
  const Object* invoice = r.schema.FindObject("Invoice");
  const Object* item = r.schema.FindObject("Item");
  REQUIRE(customer != nullptr);
  REQUIRE(invoice != nullptr);
  REQUIRE(item != nullptr);
  for (const char* e : {"SalesReceipt", "Payment"}) {
    const Object* o = r.schema.FindObject(e);
    REQUIRE_MESSAGE(o != nullptr, e);
    CHECK(o->kind == ObjectKind::kEntity);
  }
  CHECK(customer->kind == ObjectKind::kEntity);
  // IntuitEntity -> NameBase -> Customer: the base's fields first.
  REQUIRE(customer->FindField("Id") != nullptr);
  CHECK(customer->fields.front().name == "Id");
  CHECK(customer->FindField("Id")->type.kind == TypeKind::kId);
  CHECK(customer->key_fields == std::vector<std::string>{"Id"});
  for (const char* f : {"SyncToken", "MetaData", "DisplayName", "GivenName", "CompanyName", "PrimaryEmailAddr", "BillAddr",
                        "Taxable", "Balance", "Active"})
    CHECK_MESSAGE(customer->FindField(f) != nullptr, f);
  CHECK(customer->FindField("Taxable")->type.kind == TypeKind::kBool);
  CHECK(customer->FindField("BillAddr")->type.object_name == "PhysicalAddress");
  // Read-only per Intuit's reference, not the XSD.
  CHECK_FALSE(customer->FindField("Id")->IsCreateable());
  CHECK_FALSE(customer->FindField("SyncToken")->IsUpdateable());
  CHECK(customer->FindField("MetaData")->IsReadOnly());
  CHECK(customer->FindField("FullyQualifiedName")->IsReadOnly());
  CHECK(customer->FindField("Balance")->IsCreateable());
  CHECK_FALSE(customer->FindField("Balance")->IsUpdateable());
  CHECK(customer->FindField("DisplayName")->IsCreateable());

  const Field* total = invoice->FindField("TotalAmt");
  REQUIRE(total != nullptr);
  CHECK(total->type.kind == TypeKind::kDecimal);
  CHECK_FALSE(total->IsCreateable());
  CHECK_FALSE(total->IsUpdateable());
  CHECK(total->calculated == true);
  CHECK_FALSE(invoice->FindField("Balance")->IsCreateable());
  CHECK(invoice->FindField("TxnDate")->type.kind == TypeKind::kDate);
  CHECK(invoice->FindField("DocNumber") != nullptr);
  // Payment's TotalAmt is what the payer paid: writable, and required.
  const Field* paid = r.schema.FindObject("Payment")->FindField("TotalAmt");
  REQUIRE(paid != nullptr);
  CHECK(paid->IsCreateable());
  CHECK(paid->IsRequiredOnCreate());

  // *Ref: a ReferenceType {value, name}, naming its entity.
  const Field* cref = invoice->FindField("CustomerRef");
  REQUIRE(cref != nullptr);
  CHECK(cref->type.object_name == "ReferenceType");
  CHECK(cref->extensions.at("quickbooks:references") == "Customer");
  CHECK(cref->IsRequiredOnCreate());
  const Object* ref = r.schema.FindObject("ReferenceType");
  REQUIRE(ref != nullptr);
  CHECK(ref->FindField("value") != nullptr);
  CHECK(ref->FindField("name") != nullptr);

  // Line: a list of Line objects; the detail a choice, SalesItemLineDetail with ItemRef.
  const Field* line = invoice->FindField("Line");
  REQUIRE(line != nullptr);
  REQUIRE(line->type.kind == TypeKind::kList);
  CHECK(line->type.element->object_name == "Line");
  CHECK(line->IsRequiredOnCreate());
  const Object* l = r.schema.FindObject("Line");
  REQUIRE(l != nullptr);
  CHECK(l->kind == ObjectKind::kComplex);
  REQUIRE(l->FindField("DetailType") != nullptr);
  CHECK(l->FindField("DetailType")->type.kind == TypeKind::kPicklist);
  CHECK(l->FindField("DetailType")->picklist.Contains("SalesItemLineDetail"));
  CHECK(l->FindField("DetailType")->picklist.restricted == true);
  CHECK(l->FindField("Amount")->type.kind == TypeKind::kDecimal);
  REQUIRE(l->FindField("SalesItemLineDetail") != nullptr);
  CHECK_FALSE(l->FindField("SalesItemLineDetail")->IsRequiredOnCreate());
  const Object* sild = r.schema.FindObject("SalesItemLineDetail");
  REQUIRE(sild != nullptr);
  CHECK(sild->FindField("ItemRef") != nullptr);
  CHECK(sild->FindField("Qty") != nullptr);
  CHECK(sild->FindField("UnitPrice") != nullptr);

  CHECK(item->FindField("Name") != nullptr);
  CHECK(item->FindField("Name")->IsRequiredOnCreate());
  REQUIRE(item->FindField("Type") != nullptr);
  CHECK(item->FindField("Type")->type.kind == TypeKind::kPicklist);
  CHECK(item->FindField("Type")->picklist.Contains("Inventory"));
}

TEST_CASE("QuickBooks XSD: not an XSD, and a missing file, are errors") {
  fs::path dir = fs::temp_directory_path() / "crmx-qbo-xsd-test";
  fs::create_directories(dir);
  std::string bad = (dir / "bad.xsd").string();
  {
    std::FILE* f = std::fopen(bad.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs("<root xmlns=\"http://schema.intuit.com/finance/v3\">", f);
    std::fclose(f);
  }
  ImportResult r = Import(Format::kQuickBooksXsd, {bad}, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error->message.find("malformed XML") != std::string::npos);
  r = Import(Format::kQuickBooksXsd, {(dir / "absent.xsd").string()}, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error->unreadable);
  fs::remove_all(dir);
}
