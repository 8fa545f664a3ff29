// The integration-rule check (compiler/check/integration*) on small specs checked in memory
// against the fixture schemas of tests/ui/integration/schemas: the decisions that the golden
// tests do not show on their own (what silences a rule, what a rule must not report).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "compiler/driver/pipeline.h"

namespace {

// Checked as if it were tests/ui/integration/spec.crmx, so `schemas/...` resolves there.
std::vector<std::string> Codes(const std::string& items) {
  std::string text = "integration t {\n"
                     "  system crm: salesforce { schema \"schemas/crm.json\" }\n"
                     "  system erp: netsuite { schema \"schemas/erp.json\" }\n" +
                     items + "\n}\n";
  crmx::driver::Compilation c;
  c.CheckText(CRMX_SOURCE_DIR "/tests/ui/integration/spec.crmx", text);
  std::vector<std::string> out;
  for (const crmx::diag::Diagnostic& d : c.SortedDiagnostics()) out.emplace_back(d.code());
  return out;
}

const std::string kCustomer =
    "  map a2c: crm.Account -> erp.Customer {\n"
    "    key externalId = Id\n"
    "    companyName = Name\n"
    "    subsidiary = Subsidiary__c ?? hold \"r\"\n"
    "    comments = Description\n"
    "  }\n"
    "  sync a2c every 1h\n";

const std::string kEcho =
    "  map o2s: crm.Opportunity -> erp.SalesOrder {\n"
    "    key externalId = Id\n"
    "    entity = AccountId ?? hold \"r\"\n"
    "    memo = Description\n"
    "  }\n"
    "  map s2o: erp.SalesOrder -> crm.Opportunity {\n"
    "    key Id = externalId\n"
    "    Description = memo\n"
    "  }\n"
    "  sync o2s on change\n"
    "  sync s2o on change\n";

}  // namespace

TEST_CASE("a spec without owner blocks gets no unowned-field warning") {
  CHECK(Codes(kCustomer).empty());
}

TEST_CASE("an owner block makes an unowned mapped field a warning, and a copy of an owned field is fine") {
  CHECK(Codes("  owner crm { Account { Name, Subsidiary__c } }\n" + kCustomer) == std::vector<std::string>{"E0404"});
  CHECK(Codes("  owner crm { Account { Name, Subsidiary__c, Description } }\n" + kCustomer).empty());
}

TEST_CASE("a conflicts rule decides the fields without an owner") {
  CHECK(Codes("  owner crm { Account { Name } }\n  conflicts latest_wins grace 60s\n" + kCustomer).empty());
  CHECK(Codes(kEcho) == std::vector<std::string>{"E0403"});
  CHECK(Codes("  conflicts latest_wins grace 60s\n" + kEcho).empty());
}

TEST_CASE("an echo loop with an owner is a write into an owned field, reported once") {
  CHECK(Codes("  owner crm { Opportunity { Description, AccountId } }\n" + kEcho) == std::vector<std::string>{"E0402"});
}

TEST_CASE("a map keyed on the record's own id only updates: no field is required") {
  CHECK(Codes("  map s2o: erp.SalesOrder -> crm.Opportunity {\n    key Id = externalId\n"
              "    ERP_Status__c = status\n  }\n  sync s2o on change\n")
            .empty());
}

TEST_CASE("a map that creates customers must set their required fields") {
  // Customer requires companyName and subsidiary on create; the map sets neither.
  CHECK(Codes("  map a2c: crm.Account -> erp.Customer {\n    key externalId = Id\n    phone = Phone\n  }\n"
              "  sync a2c every 1h\n") == std::vector<std::string>{"E0405"});
}

TEST_CASE("a misspelled table is the type checker's unknown name, not an unused table") {
  std::vector<std::string> codes = Codes(
      "  table subsidiary_by_country = {\"US\": \"Acme Inc\"}\n"
      "  map a2c: crm.Account -> erp.Customer {\n    key externalId = Id\n    companyName = Name\n"
      "    subsidiary = subsidiary_by_contry[BillingCountry] ?? hold \"r\"\n  }\n  sync a2c every 1h\n");
  for (const std::string& c : codes) CHECK(c != "E0413");
}

TEST_CASE("a csv table is read at check time: a missing file is E0417, not a picklist error") {
  CHECK(Codes("  table subs = csv(\"subs.csv\", key: \"country\", value: \"name\")\n"
              "  map a2c: crm.Account -> erp.Customer {\n    key externalId = Id\n    companyName = Name\n"
              "    subsidiary = subs[BillingCountry] ?? hold \"r\"\n  }\n  sync a2c every 1h\n") ==
        std::vector<std::string>{"E0417"});
}
