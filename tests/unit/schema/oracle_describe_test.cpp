// The Oracle describe importer (import_oracle_describe.cpp) against the project's describe files
// of Oracle Fusion resources (schemas/oracle-fusion) and small inline describes: objects, child
// resources nested as list<object>, read-only attributes neither createable nor updateable,
// create-only attributes, lists of values and upsert keys, detection by content.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "compiler/schema/import.h"

using namespace crmx::schema;

namespace {

std::string Oracle(const std::string& file) { return std::string(CRMX_SOURCE_DIR) + "/schemas/oracle-fusion/" + file; }

std::string WriteTemp(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / ("crmx-oracle-" + name);
  std::ofstream(path) << text;
  return path.string();
}

}  // namespace

TEST_CASE("oracle describe: sales orders with their lines nested") {
  std::string file = Oracle("salesOrdersForOrderHub.describe.json");
  REQUIRE(DetectFormatOfFile(file) == Format::kOracleDescribe);
  auto r = ImportAuto({file}, {});
  REQUIRE(r.ok());
  CHECK(r.schema.source_format == "oracle");
  REQUIRE(r.schema.objects.size() == 1);
  const Object* so = r.schema.FindObject("salesOrdersForOrderHub");
  REQUIRE(so);
  CHECK(so->label == "Sales Orders for Order Hub");

  // Read-only: assigned or computed by Order Management.
  for (const char* ro : {"HeaderId", "OrderNumber", "StatusCode", "TotalAmount", "LastUpdateDate"}) {
    const Field* f = so->FindField(ro);
    REQUIRE_MESSAGE(f, ro);
    CHECK_MESSAGE(!f->IsCreateable(), ro);
    CHECK_MESSAGE(!f->IsUpdateable(), ro);
    CHECK_MESSAGE(!f->IsRequiredOnCreate(), ro);
  }
  const Field* number = so->FindField("SourceTransactionNumber");
  REQUIRE(number);
  CHECK(number->IsCreateable());
  CHECK(number->IsRequiredOnCreate());
  CHECK(number->IsExternalId());
  CHECK(number->length == 50u);
  CHECK(number->type.kind == TypeKind::kString);
  CHECK(so->extensions.at("upsertKeys") == "SourceTransactionSystem+SourceTransactionNumber");
  CHECK(so->key_fields == std::vector<std::string>{"HeaderId"});
  CHECK(so->FindField("TransactionOn")->type.kind == TypeKind::kDateTime);
  CHECK(so->FindField("SubmittedFlag")->type.kind == TypeKind::kBool);
  const Field* total = so->FindField("TotalAmount");
  CHECK(total->type.kind == TypeKind::kDecimal);
  CHECK(total->precision == 18u);
  CHECK(total->scale == 2u);
  const Field* currency = so->FindField("TransactionalCurrencyCode");
  CHECK(currency->type.kind == TypeKind::kPicklist);
  CHECK(currency->picklist.restricted == true);
  CHECK(currency->picklist.Contains("USD"));
  CHECK(!currency->picklist.Contains("usd"));

  // The child resource: a list of inline rows in the parent's payload.
  const Field* lines = so->FindField("lines");
  REQUIRE(lines);
  CHECK(lines->source_type == "child");
  REQUIRE(lines->type.kind == TypeKind::kList);
  REQUIRE(lines->type.element->kind == TypeKind::kObject);
  const Object* line = r.schema.Resolve(*lines->type.element);
  REQUIRE(line);
  CHECK(line->name == "salesOrdersForOrderHub.lines");
  CHECK(line->key_fields == std::vector<std::string>{"LineId"});
  CHECK(line->FindField("OrderedQuantity")->type.kind == TypeKind::kDecimal);
  CHECK(line->FindField("OrderedQuantity")->IsRequiredOnCreate());
  CHECK(!line->FindField("UnitSellingPrice")->IsCreateable());
  CHECK(!line->FindField("LineId")->IsCreateable());
  CHECK(line->FindField("TransactionCategoryCode")->picklist.Contains("ORDER"));
  REQUIRE(so->child_relationships.size() == 1);
  CHECK(so->child_relationships[0].name == "lines");
}

TEST_CASE("oracle describe: accounts, a create-only key and two upsert keys") {
  auto r = ImportOracleDescribe({Oracle("accounts.describe.json")}, {});
  REQUIRE(r.ok());
  const Object* acc = r.schema.FindObject("accounts");
  REQUIRE(acc);
  const Field* party = acc->FindField("PartyNumber");
  CHECK(party->IsCreateable());
  CHECK(!party->IsUpdateable());
  CHECK(party->IsExternalId());
  CHECK(acc->FindField("SourceSystemReferenceValue")->IsExternalId());
  CHECK(!acc->FindField("OrganizationName")->IsExternalId());
  CHECK(acc->FindField("OrganizationName")->IsRequiredOnCreate());
  CHECK(!acc->FindField("PartyId")->IsCreateable());
  CHECK(acc->extensions.at("upsertKeys") == "PartyNumber,SourceSystem+SourceSystemReferenceValue");
}

TEST_CASE("oracle describe: unknown types, digit strings and bad shapes") {
  std::string file = WriteTemp("odd.json", R"({"Resources": {"things": {"title": "Thing", "attributes": [
      {"name": "Code", "type": "string", "updatable": true, "mandatory": false, "maxLength": "12"},
      {"name": "Blob", "type": "vector", "updatable": true},
      {"type": "string"},
      {"name": "Amount", "type": "number", "updatable": true, "precision": "10", "scale": 3}],
    "children": {"Code": {"attributes": [{"name": "X", "type": "integer", "updatable": false}]}}}}})");
  auto r = ImportOracleDescribe({file}, {});
  REQUIRE(r.ok());
  const Object* o = r.schema.FindObject("things");
  REQUIRE(o);
  CHECK(o->FindField("Code")->length == 12u);
  CHECK(o->FindField("Blob")->type.kind == TypeKind::kAny);
  CHECK(o->FindField("Amount")->precision == 10u);
  CHECK(o->FindField("Amount")->scale == 3u);
  // The child named like an attribute is renamed, with a warning.
  CHECK(o->FindField("Code_child") != nullptr);
  bool unknown = false, nameless = false, renamed = false;
  for (const auto& w : r.warnings) {
    unknown = unknown || w.message.find("unknown Oracle attribute type `vector`") != std::string::npos;
    nameless = nameless || w.message.find("without a `name`") != std::string::npos;
    renamed = renamed || w.message.find("`Code_child`") != std::string::npos;
  }
  CHECK(unknown);
  CHECK(nameless);
  CHECK(renamed);

  std::string bad = WriteTemp("bad.json", R"({"items": []})");
  auto e = ImportOracleDescribe({bad}, {});
  REQUIRE(!e.ok());
  CHECK(e.error->message.find("no `Resources`") != std::string::npos);
}
