// Defines std.id: Salesforce record ids. A 15-character id is case-sensitive; its 18-character
// form appends three characters that encode the case of the first fifteen, so the 18-character
// form survives systems that ignore case (Excel, NetSuite external ids, SQL collations).
#pragma once

#include <string>
#include <string_view>

#include "runtime/stdlib/result.h"

namespace crmx::stdlib {

// The 18-character form of a Salesforce id. A 15-character id gets its suffix; an 18-character
// id is checked and returned in its canonical case (the suffix restores the case of the first 15
// characters, so "001d000000xyzabcaa" becomes "001d000000XyzAbCAA" when the suffix says so).
// Fails on other lengths, on characters other than A-Z, a-z, 0-9, and on an 18-character id whose
// suffix marks a digit as upper case (not a Salesforce id).
Result<std::string> SfId18(std::string_view id);
// Whether two ids (15 or 18 characters) name the same record; false when either is not an id.
bool SfIdEquals(std::string_view a, std::string_view b);

}  // namespace crmx::stdlib
