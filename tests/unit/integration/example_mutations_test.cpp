// The mutation bar of the integration check: examples/acme-salesforce-netsuite/acme.crmx, and
// each single realistic ownership mistake applied to it in memory, which must yield exactly one
// new diagnostic with the expected code on the offending line.
//
// The example is checked as if at its own path, so its schemas and imports resolve. Other
// phases' diagnostics (the type checker's) are compared against the unmodified text: only what
// a mutation adds or removes counts.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "compiler/driver/pipeline.h"

namespace {

const std::string kExample = CRMX_SOURCE_DIR "/examples/acme-salesforce-netsuite/acme.crmx";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

using Key = std::tuple<std::string, uint32_t>;  // code, line

std::multiset<Key> Check(const std::string& text) {
  crmx::driver::Compilation c;
  c.CheckText(kExample, text);
  std::multiset<Key> out;
  for (const crmx::diag::Diagnostic& d : c.SortedDiagnostics()) out.insert({std::string(d.code()), d.primary.span.line});
  return out;
}

std::multiset<Key> IntegrationOnly(const std::multiset<Key>& all) {
  std::multiset<Key> out;
  for (const Key& k : all) {
    if (std::get<0>(k).rfind("E04", 0) == 0) out.insert(k);
  }
  return out;
}

uint32_t LineOf(const std::string& text, const std::string& needle) {
  size_t at = text.find(needle);
  REQUIRE(at != std::string::npos);
  uint32_t line = 1;
  for (size_t i = 0; i < at; ++i) line += text[i] == '\n';
  return line;
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "the example no longer contains: " << from);
  text.replace(at, from.size(), to);
  return text;
}

std::multiset<Key> Minus(const std::multiset<Key>& a, const std::multiset<Key>& b) {
  std::multiset<Key> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
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
    {"the CRM writes the ERP-owned order status", "    total     = Amount",
     "    status    = StageName\n    total     = Amount", "E0402", "status    = StageName"},
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
