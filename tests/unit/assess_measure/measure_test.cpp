// Tests of `crmx-run assess`'s measuring (runtime/assess/measure.h): the name, website, street and
// postal normalisers, the duplicate finder's blocking (same name and one second key; transitive
// groups; no match across names), the field roles, and Measure over a directory of files.
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "runtime/assess/measure.h"
#include "runtime/connectors/connector.h"
#include "tests/unit/support/files.h"

namespace {

using namespace crmx;
namespace fs = std::filesystem;

TEST_CASE("NormalizeName drops punctuation, case and legal suffixes") {
  CHECK(assess::NormalizeName("Acme, Inc.") == "acme");
  CHECK(assess::NormalizeName("  ACME   Widgets L.L.C. ") == "acme widgets");
  CHECK(assess::NormalizeName("Müller GmbH") == "müller");
  CHECK(assess::NormalizeName("Smith & Sons Co Ltd") == "smith and sons");
  CHECK(assess::NormalizeName("Incorporated Inc") == "incorporated");  // one word stays
  CHECK(assess::NormalizeName("LLC") == "llc");
  CHECK(assess::NormalizeName(" -- ") == "");
  CHECK(assess::NormalizeName("Company Store") == "company store");  // only at the end
}

TEST_CASE("WebsiteDomain, NormalizeStreet, NormalizePostal, Present") {
  CHECK(assess::WebsiteDomain("https://www.Acme.com/about?x=1") == "acme.com");
  CHECK(assess::WebsiteDomain("www.acme.co.uk") == "acme.co.uk");
  CHECK(assess::WebsiteDomain("http://user@shop.acme.com:8080") == "shop.acme.com");
  CHECK(assess::WebsiteDomain("n/a") == "");
  CHECK(assess::NormalizeStreet("123 North Main Street, Suite 4") == "123 n main st ste 4");
  CHECK(assess::NormalizeStreet("123 N. MAIN ST") == "123 n main st");
  CHECK(assess::NormalizePostal("94105-1234") == "94105");
  CHECK(assess::NormalizePostal("sw1a 1aa") == "SW1A1AA");
  CHECK_FALSE(assess::Present("   "));
  CHECK(assess::Present(" x "));
}

TEST_CASE("DuplicateFinder blocks on the name and matches on one second key") {
  assess::DuplicateFinder f(10);
  f.Add("a1", "acme", "acme.com", "", "");
  f.Add("a2", "acme", "acme.com", "+14155550100", "");  // website rule -> a1
  f.Add("a3", "acme", "", "+14155550100", "1 main st|94105");  // phone rule -> a2 (same group)
  f.Add("b1", "beta", "acme.com", "+14155550100", "");  // another name: no match
  f.Add("a4", "acme", "other.com", "", "");             // same name, nothing else in common
  f.Add("n1", "", "acme.com", "", "");                  // no name: never a duplicate
  f.Add("a5", "acme", "", "", "1 main st|94105");       // address rule -> a3
  CHECK(f.records() == 7);
  CHECK(f.duplicates() == 3);  // a2, a3, a5 beyond a1
  CHECK(f.groups() == 1);
  CHECK(f.matched(assess::DupRule::kWebsite) == 1);
  CHECK(f.matched(assess::DupRule::kPhone) == 1);
  CHECK(f.matched(assess::DupRule::kAddress) == 1);
  REQUIRE(f.examples().size() == 3);
  CHECK(f.examples()[0].first == "a1");
  CHECK(f.examples()[0].second == "a2");
  CHECK(f.examples()[1].first == "a2");
  CHECK(f.examples()[1].rule == assess::DupRule::kPhone);
  CHECK(f.examples()[2].first == "a3");
  CHECK(f.examples()[2].second == "a5");
}

TEST_CASE("DuplicateFinder joins two groups a later record links") {
  assess::DuplicateFinder f;
  f.Add("x", "acme", "acme.com", "", "");
  f.Add("y", "acme", "", "+14155550100", "");
  f.Add("z", "acme", "acme.com", "+14155550100", "");  // links x and y
  CHECK(f.duplicates() == 2);
  CHECK(f.groups() == 1);
}

TEST_CASE("RolesOf finds name, billing address, phone, website and format fields") {
  assess::FieldRoles r = assess::RolesOf({"Id", "Name", "BillingStreet", "BillingCity", "BillingPostalCode",
                                          "BillingState", "BillingCountry", "ShippingState", "Phone", "Fax",
                                          "Website", "CurrencyIsoCode", "StageName", "Status"});
  CHECK(r.name == "Name");
  CHECK(r.website == "Website");
  CHECK(r.phone == "Phone");
  CHECK(r.street == "BillingStreet");
  CHECK(r.postal == "BillingPostalCode");
  CHECK(r.address == std::vector<std::string>{"BillingStreet", "BillingCity", "BillingPostalCode", "BillingState",
                                              "BillingCountry"});
  CHECK(r.states == std::vector<std::string>{"BillingState", "ShippingState"});
  CHECK(r.countries == std::vector<std::string>{"BillingCountry"});
  CHECK(r.phones == std::vector<std::string>{"Phone"});
  CHECK(r.currencies == std::vector<std::string>{"CurrencyIsoCode"});
}

TEST_CASE("Measure reads a file source and counts completeness, duplicates and formats") {
  fs::path dir = testing::FreshDir("assess_measure", "files");
  testing::WriteWhole(dir / "Account.jsonl",
                   "{\"Id\":\"1\",\"Name\":\"Acme Inc\",\"Website\":\"acme.com\",\"BillingState\":\"CA\","
                   "\"BillingCountry\":\"US\",\"Phone\":\"(415) 555-0100\",\"CurrencyIsoCode\":\"USD\"}\n"
                   "{\"Id\":\"2\",\"Name\":\"ACME\",\"Website\":\"https://www.acme.com\",\"BillingState\":\"Atlantis\","
                   "\"BillingCountry\":\"US\",\"CurrencyIsoCode\":\"usd\"}\n"
                   "{\"Id\":\"3\",\"Name\":\"  \",\"BillingState\":\"Texas\",\"BillingCountry\":\"Narnia\","
                   "\"Phone\":\"TBD\"}\n");
  plan::Plan p;
  p.integration = "t";
  plan::Map m;
  m.name = "acc";
  m.source = {"crm", "Account"};
  m.target = {"erp", "Customer"};
  m.source_id = "Id";
  m.projection.fields = {"Id", "Name"};
  m.projection.types = {plan::FieldType::kString, plan::FieldType::kString};
  plan::Step key;
  key.kind = plan::StepKind::kKey;
  key.target = "externalId";
  key.bindings = {{"Id", plan::BindingKind::kField, "", "Id"}};
  m.steps.push_back(key);
  p.maps.push_back(m);
  std::string error;
  std::unique_ptr<connectors::Connector> crm = connectors::Open(dir.string(), error);
  REQUIRE(crm);
  engine::Systems systems;
  systems.by_name["crm"] = crm.get();
  assess::Measurement out;
  REQUIRE(assess::Measure(p, systems, assess::Options{}, out, error));
  REQUIRE(out.objects.size() == 1);
  const assess::ObjectMeasure& o = out.objects[0];
  CHECK(o.records == 3);
  // Key fields: Id (key), Name (name), BillingState and BillingCountry (address: the others are
  // absent from every record, so the object does not have them).
  REQUIRE(o.completeness.size() == 4);
  CHECK(o.completeness[0].field == "Id");
  CHECK(o.completeness[1].field == "Name");
  CHECK(o.completeness[1].present == 2);
  CHECK(o.complete == 2);
  CHECK(o.duplicates_measured);
  CHECK(o.duplicates == 1);
  REQUIRE(o.examples.size() == 1);
  CHECK(o.examples[0].first == "1");
  CHECK(o.examples[0].second == "2");
  for (const assess::FormatField& f : o.formats) {
    if (f.field == "BillingState") {
      CHECK(f.non_empty == 3);
      CHECK(f.valid == 2);
      REQUIRE(f.invalid.size() == 1);
      CHECK(f.invalid[0].first == "Atlantis");
    } else if (f.field == "BillingCountry") {
      CHECK(f.valid == 2);
    } else if (f.field == "Phone") {
      CHECK(f.non_empty == 2);
      CHECK(f.valid == 1);
    } else if (f.field == "CurrencyIsoCode") {
      CHECK(f.valid == 1);  // "usd" is not upper case
    }
  }
  CHECK(out.format_consistency > 0);
  nlohmann::json j = nlohmann::json::parse(assess::MeasurementJson(out));
  CHECK(j["objects"][0]["duplicates"]["duplicates"] == 1);
  CHECK(assess::MeasurementText(out).find("crm.Account (3 records") != std::string::npos);
}

}  // namespace
