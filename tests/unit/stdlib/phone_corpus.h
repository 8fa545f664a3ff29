// Defines the differential corpus of std.phone: (text, default region) pairs generated from
// libphonenumber's own example numbers for every region and non-geographic calling code, in
// the ways people write them (national, with and without the national prefix, '+cc', IDD, the
// calling code without '+', separators) and spoiled (digit mutations, truncations, extra digits),
// plus junk and random digit strings. Deterministic: the same corpus on every machine.
// Used by phone_differential_test.cpp and bench/phone.
#pragma once

#include <string>
#include <vector>

namespace crmx::test {

struct PhoneCase {
  std::string text;
  std::string region;  // empty: no default region
};

// About 390,000 cases.
std::vector<PhoneCase> MakePhoneCorpus();

}  // namespace crmx::test
