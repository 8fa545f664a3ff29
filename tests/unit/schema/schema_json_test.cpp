// The crmx schema JSON form: writing, reading, round trip, errors.
#include <doctest/doctest.h>

#include "compiler/schema/import.h"
#include "compiler/schema/schema_json.h"

using namespace crmx::schema;

namespace {
std::string Fx(const std::string& rel) {
  return std::string(CRMX_SOURCE_DIR) + "/tests/fixtures/schemas/" + rel;
}
}  // namespace

TEST_CASE("every fixture round-trips through the JSON form") {
  for (const char* f : {"salesforce/Opportunity.describe.json", "openapi/api31.yaml",
                        "jsonschema/orders.json", "odata/v2.edmx", "odata/v4.edmx",
                        "netsuite/records.json"}) {
    CAPTURE(f);
    auto r = ImportAuto({Fx(f)}, {});
    REQUIRE(r.ok());
    std::string once = WriteSchemaJson(r.schema);
    auto back = ReadSchemaJson(once, "mem.json");
    REQUIRE(back.ok());
    CHECK(back.warnings.empty());
    CHECK(WriteSchemaJson(back.schema) == once);
    CHECK(back.schema.objects.size() == r.schema.objects.size());
  }
}

TEST_CASE("the JSON form keeps unknown as absent") {
  auto r = ImportSalesforce({Fx("salesforce/Trimmed.json")}, {});
  REQUIRE(r.ok());
  auto back = ReadSchemaJson(WriteSchemaJson(r.schema), "mem.json");
  REQUIRE(back.ok());
  const Field* name = back.schema.FindObject("Trimmed")->FindField("Name");
  REQUIRE(name);
  CHECK_FALSE(name->createable.has_value());
  CHECK(name->nullable == false);
  CHECK(name->source.file == Fx("salesforce/Trimmed.json"));
  CHECK(name->source.pointer == "/fields/0");
}

TEST_CASE("reading errors and warnings") {
  auto bad = ReadSchemaJson("{\"crmx_schema\": 1, ", "a.json");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error->position.find("line 1") != std::string::npos);
  auto version = ReadSchemaJson("{\"crmx_schema\": 2, \"objects\": {}}", "a.json");
  REQUIRE_FALSE(version.ok());
  CHECK(version.error->message.find("version 2") != std::string::npos);
  auto notype = ReadSchemaJson(
      R"({"crmx_schema": 1, "objects": {"A": {"fields": [{"name": "x"}]}}})", "a.json");
  REQUIRE_FALSE(notype.ok());
  CHECK(notype.error->position == "/objects/A/fields/0");
  auto extra = ReadSchemaJson(
      R"({"crmx_schema": 1, "objects": {"A": {"fields": [{"name": "x", "type": "string", "colour": 1}]}}})",
      "a.json");
  REQUIRE(extra.ok());
  REQUIRE(extra.warnings.size() == 1);
  CHECK(extra.warnings[0].pointer == "/objects/A/fields/0/colour");
  auto nested = ReadSchemaJson(
      R"({"crmx_schema": 1, "objects": {"A": {"fields": [
        {"name": "l", "type": {"kind": "list", "element": {"kind": "object", "fields": [{"name": "q", "type": "decimal", "precision": 9, "scale": 2}]}}},
        {"name": "r", "type": {"kind": "object", "name": "B"}}]}}})",
      "a.json");
  REQUIRE(nested.ok());
  const Object* a = nested.schema.FindObject("A");
  CHECK(a->FindField("l")->type.element->object->FindField("q")->scale == 2u);
  CHECK(nested.schema.Resolve(a->FindField("r")->type) == nullptr);
}
