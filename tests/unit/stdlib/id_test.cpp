// Tests std.id: Salesforce 15- to 18-character ids.
#include "runtime/stdlib/id.h"

#include <doctest/doctest.h>

using namespace crmx::stdlib;

TEST_CASE("id: sf_id18 appends the case checksum") {
  CHECK(*SfId18("001D000000IRt53") == "001D000000IRt53IAD");
  CHECK(*SfId18("0015000000aBcDe") == "0015000000aBcDeAAK");
  CHECK(*SfId18("000000000000000") == "000000000000000AAA");
  CHECK(*SfId18("ABCDEABCDEABCDE") == "ABCDEABCDEABCDE555");
  CHECK(*SfId18("abcdeabcdeabcde") == "abcdeabcdeabcdeAAA");
}

TEST_CASE("id: 18-character ids are checked and their case restored") {
  CHECK(*SfId18("001D000000IRt53IAD") == "001D000000IRt53IAD");
  CHECK(*SfId18("001D000000IRT53IAD") == "001D000000IRt53IAD");
  CHECK(*SfId18("001d000000irt53iad") == "001D000000IRt53IAD");
  CHECK(*SfId18("ABCDEABCDEABCDE555") == "ABCDEABCDEABCDE555");
  // The suffix says character 0 is upper case, but it is a digit.
  CHECK(SfId18("001D000000IRt53BAD").reason().find("checksum does not match") != std::string_view::npos);
  CHECK(SfId18("001D000000IRt53I9D").reason().find("checksum character `9`") != std::string_view::npos);
  CHECK(SfId18("").reason() == "`` is not a Salesforce id (15 or 18 characters, not 0)");
  CHECK(SfId18("001D000000IRt53IA").reason().find("not 17") != std::string_view::npos);
  CHECK(SfId18("001D00000 IRt53").reason().find("only letters and digits") != std::string_view::npos);
  CHECK(SfId18("001D00000éRt5").reason().find("Salesforce id") != std::string_view::npos);
}

TEST_CASE("id: SfIdEquals compares across lengths and case") {
  CHECK(SfIdEquals("001D000000IRt53", "001D000000IRt53IAD"));
  CHECK(SfIdEquals("001D000000IRt53", "001d000000irt53iad"));
  CHECK_FALSE(SfIdEquals("001D000000IRt53", "001d000000IRt53"));
  CHECK_FALSE(SfIdEquals("001D000000IRt53", "nonsense"));
}
