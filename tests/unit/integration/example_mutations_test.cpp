// The mutation bar of the integration check: examples/acme-salesforce-netsuite/acme.crmx, and
// each single realistic ownership mistake applied to it in memory, which must yield exactly one
// new diagnostic with the expected code on the offending line.
//
// The example is checked as if at its own path, so its schemas and imports resolve. Other
// phases' diagnostics (the type checker's) are compared against the unmodified text: only what
// a mutation adds or removes counts.
#include <doctest/doctest.h>

#include <string>

#include "tests/unit/support/example_spec.h"

namespace {

using namespace crmx::testing;

std::multiset<Key> Check(const std::string& text) { return CheckExample(text); }

std::multiset<Key> IntegrationOnly(const std::multiset<Key>& all) {
  std::multiset<Key> out;
  for (const Key& k : all) {
    if (std::get<0>(k).rfind("E04", 0) == 0) out.insert(k);
  }
  return out;
}

struct Mutation {
  const char* name;
  const char* from;
  const char* to;
  const char* code;
  const char* line_of;  // a text on the line the diagnostic must point at, in the mutated spec
};

const Mutation kMutations[] = {
    {"a field with two owners: BillingCountry again, already owned as part of BillingAddress",
     "BillingAddress, PaymentTerms__c }", "BillingAddress, PaymentTerms__c, BillingCountry }", "E0401",
     "PaymentTerms__c, BillingCountry }"},
    {"the CRM writes the ERP-owned order status", "    entity   = ref(account_to_customer, AccountId)",
     "    status   = StageName\n    entity   = ref(account_to_customer, AccountId)", "E0402", "status   = StageName"},
    {"the CRM claims the status copy that the ERP writes back", "* except ERP_Status__c, ERP_Order_Number__c",
     "* except ERP_Order_Number__c", "E0402", "ERP_Status__c       = status"},
};

}  // namespace

TEST_CASE("the north-star example checks clean") {
  std::string text = ReadFile(kExample);
  CHECK(Check(text).empty());
  // Had the ERP owned the customer's terms, the CRM's write into them would be E0402.
  std::string erp_owns_terms = Replace(text, "Customer   { creditLimit, balance }", "Customer   { terms, creditLimit, balance }");
  std::multiset<Key> expected{{"E0402", LineOf(erp_owns_terms, "terms       = PaymentTerms__c")}};
  CHECK(IntegrationOnly(Check(erp_owns_terms)) == expected);
}

TEST_CASE("each ownership mistake in the north-star example yields exactly its one diagnostic") {
  // Both as written and with the terms fixed: the mutation adds one diagnostic and removes none.
  const std::string original = ReadFile(kExample);
  for (const std::string& base : {original}) {
    const std::multiset<Key> unshifted = Check(base);
    for (const Mutation& m : kMutations) {
      CAPTURE(m.name);
      std::string mutated = Replace(base, m.from, m.to);
      // A mutation that adds lines moves the diagnostics below it.
      const std::string from = m.from, to = m.to;
      uint32_t at = LineOf(base, from);
      uint32_t shift = static_cast<uint32_t>(std::count(to.begin(), to.end(), '\n') - std::count(from.begin(), from.end(), '\n'));
      std::multiset<Key> before;
      for (const auto& [code, line] : unshifted) before.insert({code, line > at ? line + shift : line});
      std::multiset<Key> after = Check(mutated);
      std::multiset<Key> added = Minus(after, before);
      std::multiset<Key> removed = Minus(before, after);
      CHECK(removed.empty());
      REQUIRE(added.size() == 1);
      CHECK(std::get<0>(*added.begin()) == m.code);
      CHECK(std::get<1>(*added.begin()) == LineOf(mutated, m.line_of));
    }
  }
}
