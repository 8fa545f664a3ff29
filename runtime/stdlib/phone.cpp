// Implements std.phone (phone.h) with libphonenumber.
#include "runtime/stdlib/phone.h"

#include <phonenumbers/phonenumberutil.h>

namespace crmx::stdlib {

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

std::string ParseReason(PhoneNumberUtil::ErrorType error) {
  switch (error) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR: return "has no valid country code";
    case PhoneNumberUtil::NOT_A_NUMBER: return "is not a phone number";
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD: return "is too short after the international prefix";
    case PhoneNumberUtil::TOO_SHORT_NSN: return "is too short";
    case PhoneNumberUtil::TOO_LONG_NSN: return "is too long";
    default: return "is not a phone number";
  }
}

}  // namespace

Result<std::string> E164(std::string_view phone, std::string_view region) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::string upper_region;
  for (char c : region) upper_region.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  if (!upper_region.empty() && util.GetCountryCodeForRegion(upper_region) == 0) {
    return Fail("unknown region " + Quote(region) + " (expected an ISO 3166-1 alpha-2 code such as `US`)");
  }
  std::string text(phone);
  PhoneNumber number;
  // libphonenumber reads a region of "ZZ" as unknown: then only +... numbers parse.
  PhoneNumberUtil::ErrorType error = util.Parse(text, upper_region.empty() ? "ZZ" : upper_region, &number);
  if (error == PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR && upper_region.empty()) {
    return Fail("phone number " + Quote(phone) + " has no country code and no default region was given");
  }
  if (error != PhoneNumberUtil::NO_PARSING_ERROR) return Fail("phone number " + Quote(phone) + " " + ParseReason(error));
  if (!util.IsValidNumber(number)) {
    std::string where;
    util.GetRegionCodeForCountryCode(number.country_code(), &where);
    return Fail("phone number " + Quote(phone) + " is not a valid number" +
                (where.empty() || where == "ZZ" ? std::string() : " for region `" + where + "`"));
  }
  std::string out;
  util.Format(number, PhoneNumberUtil::E164, &out);
  return out;
}

}  // namespace crmx::stdlib
