// Imports Xero's own Accounting OpenAPI (../shared/real/schemas/openapi/xero/xero_accounting.yaml)
// and checks what the Xero connector and emulator rely on: Contact, Invoice, Item, Payment and
// LineItem with money as currency (`x-is-money`), `/Date(ms)/` dates (`x-is-msdate`,
// `x-is-msdate-time`), restricted enums (CurrencyCode, Invoice Status and Type), read-only
// fields (Total, AmountDue, UpdatedDateUTC) not writable, and each object's `<Object>ID` as its
// record id. Skips loudly when the file is absent.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "compiler/schema/import.h"

using namespace crmx::schema;

namespace {

const std::string kXero = std::string(CRMX_SHARED_DIR) + "/real/schemas/openapi/xero/xero_accounting.yaml";

bool HaveXero() {
  if (std::filesystem::exists(kXero)) return true;
  MESSAGE("SKIPPED: " << kXero << " not found: the Xero schema tests did not run");
  return false;
}

const Field& Must(const Object* o, const char* name) {
  REQUIRE(o != nullptr);
  const Field* f = o->FindField(name);
  REQUIRE_MESSAGE(f != nullptr, o->name << "." << name);
  return *f;
}

bool HasValue(const Field& f, const std::string& v) { return f.picklist.Contains(v); }

}  // namespace

TEST_CASE("Xero's OpenAPI: the objects, money, dates, enums and read-only fields the connector relies on") {
  if (!HaveXero()) return;
  ImportResult r = Import(Format::kOpenApi, {kXero}, {});
  REQUIRE_MESSAGE(r.ok(), (r.error ? r.error->message : ""));
  const Object* contact = r.schema.FindObject("Contact");
  const Object* invoice = r.schema.FindObject("Invoice");
  const Object* item = r.schema.FindObject("Item");
  const Object* payment = r.schema.FindObject("Payment");
  const Object* line = r.schema.FindObject("LineItem");

  // Ids: the record's own id, a uuid, not required on create.
  for (auto [o, id] : {std::pair{contact, "ContactID"}, std::pair{invoice, "InvoiceID"}, std::pair{item, "ItemID"},
                       std::pair{payment, "PaymentID"}}) {
    const Field& f = Must(o, id);
    CHECK_MESSAGE(f.key, id);
    CHECK(f.type.kind == TypeKind::kString);
    CHECK(f.format == "uuid");
    CHECK_FALSE(f.required_on_create.value_or(false));
  }
  CHECK(Must(line, "LineItemID").key);  // a line's own id: an update names the line by it
  // Contact: Name is a plain string of at most 255; ContactStatus a restricted enum.
  CHECK(Must(contact, "Name").type.kind == TypeKind::kString);
  CHECK(Must(contact, "Name").length == 255u);
  CHECK(HasValue(Must(contact, "ContactStatus"), "ARCHIVED"));
  CHECK(Must(contact, "UpdatedDateUTC").encoding == "msdate");
  CHECK(Must(contact, "UpdatedDateUTC").type.kind == TypeKind::kDateTime);
  CHECK(Must(contact, "UpdatedDateUTC").createable == false);

  // Invoice: money is currency, computed totals are read-only, dates are /Date(ms)/.
  for (const char* money : {"SubTotal", "TotalTax", "Total", "AmountDue", "AmountPaid"}) {
    const Field& f = Must(invoice, money);
    CHECK_MESSAGE(f.type.kind == TypeKind::kCurrency, money);
  }
  for (const char* computed : {"SubTotal", "TotalTax", "Total", "AmountDue", "AmountPaid", "UpdatedDateUTC"}) {
    const Field& f = Must(invoice, computed);
    CHECK_MESSAGE(f.createable == false, computed);
    CHECK_MESSAGE(f.updateable == false, computed);
  }
  CHECK(Must(invoice, "Date").encoding == "msdate");
  CHECK(Must(invoice, "Date").format == "date");
  CHECK(Must(invoice, "UpdatedDateUTC").format == "date-time");
  const Field& status = Must(invoice, "Status");
  CHECK(status.type.kind == TypeKind::kPicklist);
  CHECK(status.picklist.restricted == true);
  for (const char* s : {"DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED"}) CHECK_MESSAGE(HasValue(status, s), s);
  const Field& type = Must(invoice, "Type");
  CHECK(HasValue(type, "ACCREC"));
  CHECK(HasValue(type, "ACCPAY"));
  const Field& cc = Must(invoice, "CurrencyCode");
  CHECK(cc.type.kind == TypeKind::kPicklist);
  CHECK(cc.picklist.values.size() == 168);
  CHECK(HasValue(cc, "NZD"));
  CHECK(Must(invoice, "InvoiceNumber").length == 255u);
  const Field& lines = Must(invoice, "LineItems");
  REQUIRE(lines.type.kind == TypeKind::kList);
  CHECK(lines.type.element->object_name == "LineItem");
  CHECK(Must(invoice, "Contact").type.object_name == "Contact");

  // LineItem: amounts are money; LineAmount is sent (Xero checks it against Quantity x UnitAmount).
  CHECK(Must(line, "UnitAmount").type.kind == TypeKind::kCurrency);
  CHECK(Must(line, "LineAmount").type.kind == TypeKind::kCurrency);
  CHECK(Must(line, "TaxAmount").type.kind == TypeKind::kCurrency);
  CHECK(Must(line, "Quantity").type.kind != TypeKind::kString);

  // Item: Code, at most 30 characters; Payment: Amount money, Invoice and Account nested.
  CHECK(Must(item, "Code").type.kind == TypeKind::kString);
  CHECK(Must(item, "UpdatedDateUTC").createable == false);
  CHECK(Must(payment, "Amount").type.kind == TypeKind::kCurrency);
  CHECK(Must(payment, "Invoice").type.object_name == "Invoice");
  CHECK(Must(payment, "Account").type.object_name == "Account");
  CHECK(Must(payment, "Date").encoding == "msdate");
  MESSAGE("xero: " << r.schema.objects.size() << " objects, " << r.warnings.size() << " warnings");
}
