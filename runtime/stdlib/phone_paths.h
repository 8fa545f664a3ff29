// Defines the two paths behind std.phone's E164 (phone.h): libphonenumber itself, and a fast
// path that reproduces libphonenumber's answers from its own metadata for the common shapes of
// input (phone_fast.cpp). E164 asks the fast path first and libphonenumber when it declines.
// Exposed for the differential test (tests/unit/stdlib) and the benchmark (bench/phone).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "runtime/stdlib/result.h"

namespace crmx::stdlib::phone {

// libphonenumber's parse errors (PhoneNumberUtil::ErrorType), so that both paths word their
// failures alike.
enum class ParseError { kInvalidCountryCode, kNotANumber, kTooShortAfterIdd, kTooShortNsn, kTooLongNsn };

// The failure reasons of E164. `region_given`: a default region was passed.
Failure ParseFailure(std::string_view phone, ParseError error, bool region_given);
// `region_of_code`: libphonenumber's GetRegionCodeForCountryCode of the number ("ZZ" for none).
Failure InvalidNumberFailure(std::string_view phone, std::string_view region_of_code);
Failure UnknownRegionFailure(std::string_view region);

// E164 through libphonenumber: Parse, IsValidNumber, Format(E164). The reference answer.
Result<std::string> SlowE164(std::string_view phone, std::string_view region);

// The same answer as SlowE164, or nullopt when the input is outside the fast path: not only
// ASCII digits, spaces, ( ) - . and one leading '+' (text without any digit is accepted too),
// longer than 128 bytes or 24 digits, or parsed with a region rule the fast path does not
// reproduce (national_prefix_transform_rule).
std::optional<Result<std::string>> FastE164(std::string_view phone, std::string_view region);

}  // namespace crmx::stdlib::phone
