// Implements std.phone (phone.h): the fast path first (phone_fast.cpp), libphonenumber for
// whatever the fast path declines, and the failure reasons both paths share (phone_paths.h).
#include "runtime/stdlib/phone.h"

#include <phonenumbers/phonenumberutil.h>

#include "runtime/stdlib/phone_paths.h"

namespace crmx::stdlib {

namespace phone {

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

ParseError FromLibphonenumber(PhoneNumberUtil::ErrorType error) {
  switch (error) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR: return ParseError::kInvalidCountryCode;
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD: return ParseError::kTooShortAfterIdd;
    case PhoneNumberUtil::TOO_SHORT_NSN: return ParseError::kTooShortNsn;
    case PhoneNumberUtil::TOO_LONG_NSN: return ParseError::kTooLongNsn;
    default: return ParseError::kNotANumber;
  }
}

std::string ParseReason(ParseError error) {
  switch (error) {
    case ParseError::kInvalidCountryCode: return "has no valid country code";
    case ParseError::kNotANumber: return "is not a phone number";
    case ParseError::kTooShortAfterIdd: return "is too short after the international prefix";
    case ParseError::kTooShortNsn: return "is too short";
    case ParseError::kTooLongNsn: return "is too long";
  }
  return "is not a phone number";
}

}  // namespace

Failure ParseFailure(std::string_view phone, ParseError error, bool region_given) {
  if (error == ParseError::kInvalidCountryCode && !region_given) {
    return Fail("phone number " + Quote(phone) + " has no country code and no default region was given");
  }
  return Fail("phone number " + Quote(phone) + " " + ParseReason(error));
}

Failure InvalidNumberFailure(std::string_view phone, std::string_view region_of_code) {
  std::string where;
  if (!region_of_code.empty() && region_of_code != "ZZ") where = " for region `" + std::string(region_of_code) + "`";
  return Fail("phone number " + Quote(phone) + " is not a valid number" + where);
}

Failure UnknownRegionFailure(std::string_view region) {
  return Fail("unknown region " + Quote(region) + " (expected an ISO 3166-1 alpha-2 code such as `US`)");
}

Result<std::string> SlowE164(std::string_view phone, std::string_view region) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::string upper_region;
  for (char c : region) upper_region.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  if (!upper_region.empty() && util.GetCountryCodeForRegion(upper_region) == 0) return UnknownRegionFailure(region);
  std::string text(phone);
  PhoneNumber number;
  // libphonenumber reads a region of "ZZ" as unknown: then only +... numbers parse.
  PhoneNumberUtil::ErrorType error = util.Parse(text, upper_region.empty() ? "ZZ" : upper_region, &number);
  if (error != PhoneNumberUtil::NO_PARSING_ERROR) {
    return ParseFailure(phone, FromLibphonenumber(error), !upper_region.empty());
  }
  if (!util.IsValidNumber(number)) {
    std::string where;
    util.GetRegionCodeForCountryCode(number.country_code(), &where);
    return InvalidNumberFailure(phone, where);
  }
  std::string out;
  util.Format(number, PhoneNumberUtil::E164, &out);
  return out;
}

}  // namespace phone

Result<std::string> E164(std::string_view phone, std::string_view region) {
  if (std::optional<Result<std::string>> fast = phone::FastE164(phone, region)) return *std::move(fast);
  return phone::SlowE164(phone, region);
}

}  // namespace crmx::stdlib
