// The mutation bar of the type checker: examples/acme-salesforce-netsuite/acme.crmx checks
// without type diagnostics, and each single realistic mistake applied to it in memory yields
// exactly one new diagnostic, with the expected code, on the expected line.
//
// The example is read from disk and checked as if at its own path, so its schemas and imports
// resolve (tests/unit/support/example_spec.h).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/unit/support/example_spec.h"

namespace {

using namespace crmx::testing;

std::multiset<Key> Check(const std::string& text) { return CheckExample(text); }
std::string Baseline() { return ReadFile(kExample); }

struct Mutation {
  const char* name;
  const char* from;
  const char* to;
  const char* code;
};

}  // namespace

TEST_CASE("the north-star example checks clean") {
  CHECK(Check(Baseline()).empty());
}

TEST_CASE("each single mistake in the example yields exactly its one diagnostic") {
  const std::string base_text = Baseline();
  const std::multiset<Key> base = Check(base_text);
  const Mutation mutations[] = {
      {"misspelled source field", "state_code(BillingState)", "state_code(BillingStat)", "E0301"},
      // (`companyName` would also be reported as required and unmapped, E04xx: a second, true finding.)
      {"misspelled target field", "state       = state_code", "stat        = state_code", "E0301"},
      {"misspelled relationship path", "currency_of(Account.BillingCountry)", "currency_of(Account.BillingCntry)", "E0301"},
      {"string into decimal", "rate: li.UnitPrice,", "rate: li.Name,", "E0307"},
      {"nullable into required without fallback",
       "subsidiary  = Subsidiary__c ?? subsidiary_by_country[country] ?? hold \"Pending Review\"",
       "subsidiary  = Subsidiary__c", "E0308"},
      {"table lookup without fallback", "item: item_by_sku[li.ProductCode] ?? hold \"Unknown SKU\"",
       "item: item_by_sku[li.ProductCode]", "E0309"},
      {"fallible call without fallback", "e164(Phone, country) ?? null", "e164(Phone, country)", "E0309"},
      {"non-bool when", "when StageName == \"Closed Won\" && Amount > 0", "when Amount", "E0310"},
      {"non-bool require", "require Name.trim() != \"\" else", "require Name.trim() else", "E0310"},
      {"unknown function", "Name.trim().truncate(83)", "Name.trim().truncat(83)", "E0303"},
      {"wrong argument count", "Name.trim().truncate(83)", "Name.trim().truncate(83, 1)", "E0305"},
      {"argument of the wrong type", "Name.trim().truncate(83)", "Name.trim().truncate(\"83\")", "E0306"},
      {"unknown test record field", "BillingCountry: \"Germany\"", "BillingCountri: \"Germany\"", "E0301"},
      {"test record value of the wrong type", "Amount: 92000.00,", "Amount: \"92000\",", "E0307"},
  };
  for (const Mutation& m : mutations) {
    CAPTURE(std::string(m.name));
    std::string text = base_text;
    size_t at = text.find(m.from);
    REQUIRE(at != std::string::npos);
    uint32_t line = LineOf(text, m.from);
    text.replace(at, std::string(m.from).size(), m.to);
    std::multiset<Key> got = Check(text);
    std::vector<Key> added, removed;
    for (const Key& k : got) {
      if (got.count(k) > base.count(k) && (added.empty() || added.back() != k)) added.push_back(k);
    }
    for (const Key& k : base) {
      if (base.count(k) > got.count(k)) removed.push_back(k);
    }
    CHECK(removed.empty());
    if (added.size() != 1) for (const Key& k : added) MESSAGE(std::string(m.name) << ": " << std::get<0>(k) << " at line " << std::get<1>(k));
    REQUIRE(added.size() == 1);
    CHECK(got.size() == base.size() + 1);
    CHECK(std::get<0>(added[0]) == m.code);
    CHECK(std::get<1>(added[0]) == line);
  }
}

TEST_CASE("a 10,000-line spec of the example's maps type-checks") {
  // Many maps over the example's schemas, each with fields, functions, lookups and fallbacks.
  std::string text =
      "integration big {\n"
      "  import \"lib/common.crmx\"\n"
      "  use std.text, std.geo, std.money, std.phone\n"
      "  system crm: salesforce { schema \"schemas/salesforce/*.describe.json\" }\n"
      "  system erp: netsuite { schema \"schemas/netsuite/*.json\" }\n";
  int lines = 5, n = 0;
  while (lines < 10000) {
    std::string m = "m" + std::to_string(n++);
    text += "  map " + m + ": crm.Account -> erp.Customer {\n"
            "    key externalId = Id\n"
            "    require Name.trim() != \"\" && BillingCountry != null else \"missing\"\n"
            "    companyName = Name.trim().truncate(83)\n"
            "    state       = state_code(BillingState) ?? state_code(ShippingState) ?? null\n"
            "    country     = country_code(BillingCountry) ?? hold \"country\"\n"
            "    phone       = e164(Phone, country) ?? null\n"
            "    terms       = PaymentTerms__c ?? \"Net 30\"\n"
            "    subsidiary  = Subsidiary__c ?? subsidiary_by_country[country] ?? hold \"Pending Review\"\n"
            "    url         = Website\n"
            "  }\n"
            "  sync " + m + " every 1h\n";
    lines += 12;
  }
  text += "}\n";
  // Speed is measured in bench/ (bench_check), not asserted here: this checks that a large
  // spec of the example's own maps type-checks without type errors.
  crmx::driver::Compilation c;
  c.CheckText(CRMX_SOURCE_DIR "/examples/acme-salesforce-netsuite/big.crmx", text);
  MESSAGE("checked " << lines << " lines");
  std::vector<crmx::diag::Diagnostic> diags = c.SortedDiagnostics();
  for (const auto& d : diags) {
    if (std::string(d.code()).substr(0, 3) == "E03") FAIL_CHECK(d.message);
  }
  CHECK(lines > 10000);
}
