// Defines std.phone: phone numbers in E.164 form through Google's libphonenumber.
#pragma once

#include <string>
#include <string_view>

#include "runtime/stdlib/result.h"

namespace crmx::stdlib {

// The E.164 form of `phone` ("+14155552671"). A number written without an international prefix
// is read as a number of `region` (an ISO 3166-1 alpha-2 code such as "US", any case; empty for
// none). Fails when the text is not a phone number, when the region is needed and missing or
// unknown, and when libphonenumber does not consider the number valid for its country.
Result<std::string> E164(std::string_view phone, std::string_view region = {});

}  // namespace crmx::stdlib
