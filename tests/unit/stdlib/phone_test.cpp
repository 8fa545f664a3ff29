// Tests std.phone: E.164 through libphonenumber, with and without a default region.
#include "runtime/stdlib/phone.h"

#include <doctest/doctest.h>

using namespace crmx::stdlib;

TEST_CASE("phone: e164 formats valid numbers") {
  CHECK(*E164("+1 (415) 555-2671") == "+14155552671");
  CHECK(*E164("415-555-2671", "US") == "+14155552671");
  CHECK(*E164("1-415-555-2671", "US") == "+14155552671");
  CHECK(*E164("+49 30 123456") == "+4930123456");
  CHECK(*E164("0049 30 123456", "DE") == "+4930123456");
  CHECK(*E164("011 44 20 7946 0958", "US") == "+442079460958");
  CHECK(*E164("(02) 9876 5432", "AU") == "+61298765432");
  CHECK(*E164("06 12 34 56 78", "fr") == "+33612345678");
  // A region given, but the number carries its own country code.
  CHECK(*E164("+44 20 7946 0958", "US") == "+442079460958");
}

TEST_CASE("phone: e164 failures carry reasons") {
  CHECK(E164("", "US").reason() == "phone number `` is not a phone number");
  CHECK(E164("abc", "US").reason() == "phone number `abc` is not a phone number");
  CHECK(E164("12", "US").reason().find("phone number `12`") == 0);
  CHECK(E164("+999 123 4567").reason().find("phone number `+999 123 4567`") == 0);
  CHECK(E164("4155552671").reason() == "phone number `4155552671` has no country code and no default region was given");
  CHECK(E164("4155552671", "USA").reason().find("unknown region `USA`") == 0);
  CHECK(E164("+1 415 555 267", "US").reason().find("is not a valid number") != std::string_view::npos);
  CHECK(E164("12345678901234567890", "US").reason().find("phone number") == 0);
}
