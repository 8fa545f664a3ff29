// Implements FastE164 (phone_paths.h): libphonenumber's Parse, IsValidNumber and
// Format(E164), reproduced step by step over libphonenumber's own metadata (phone_metadata.h)
// for text made of ASCII digits and the separators libphonenumber skips. The comments name the
// libphonenumber function (phonenumberutil.cc) each step reproduces; a step whose region rule
// is not reproduced answers "fall back", and E164 asks libphonenumber.
#include <algorithm>
#include <array>

#include "runtime/stdlib/phone_metadata.h"
#include "runtime/stdlib/phone_paths.h"

namespace crmx::stdlib::phone {

namespace {

// Longer text goes to libphonenumber, which has its own limit (250) on the raw input.
constexpr size_t kMaxFastLength = 128;
// More digits are rare (and mostly too long for any number): libphonenumber reads them.
constexpr size_t kMaxFastDigits = 24;
// PhoneNumberUtil's kMinLengthForNsn, kMaxLengthForNsn and kMaxLengthCountryCode.
constexpr size_t kMinLengthForNsn = 2;
constexpr size_t kMaxLengthForNsn = 17;
constexpr size_t kMaxLengthCountryCode = 3;

// What the fast path reads from the text.
struct Shape {
  enum class Kind {
    kDigits,    // digits, separators and at most one '+' before the first digit
    kNoDigits,  // ASCII text without any digit
    kOther,     // anything else: libphonenumber's business
  };
  Kind kind = Kind::kOther;
  std::array<char, kMaxFastDigits> digits{};
  size_t count = 0;
  bool plus = false;             // a '+' before the first digit
  bool inner_separator = false;  // a separator between two digits

  std::string_view Digits() const { return {digits.data(), count}; }
};

// Separators that libphonenumber's kValidPunctuation accepts and normalisation drops.
bool IsSeparator(char c) { return c == ' ' || c == '(' || c == ')' || c == '-' || c == '.'; }

Shape ReadShape(std::string_view text) {
  Shape shape;
  if (text.size() > kMaxFastLength) return shape;
  bool other = false;
  bool separator_since_digit = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (shape.count == kMaxFastDigits) return shape;
      shape.inner_separator = shape.inner_separator || separator_since_digit;
      shape.digits[shape.count++] = c;
    } else if (IsSeparator(c)) {
      separator_since_digit = shape.count > 0;
    } else if (c == '+' && shape.count == 0 && !shape.plus) {
      shape.plus = true;
    } else if (static_cast<unsigned char>(c) >= 0x80) {
      // Possibly a digit of another script, or full-width punctuation.
      return shape;
    } else {
      other = true;
    }
  }
  // Without a digit, libphonenumber's ExtractPossibleNumber and IsViablePhoneNumber reject any
  // ASCII text as "not a number", whatever else it holds.
  if (shape.count == 0) shape.kind = Shape::Kind::kNoDigits;
  else if (!other) shape.kind = Shape::Kind::kDigits;
  return shape;
}

// IsViablePhoneNumber on what ExtractPossibleNumber keeps (from the '+' or the first digit to
// the last digit): three digits or more, or exactly two digits and nothing else.
bool IsViable(const Shape& shape) {
  return shape.count >= 3 || (shape.count == 2 && !shape.plus && !shape.inner_separator);
}

// A step's answer: a national number with its calling code (null while none was found), a parse
// error, or "this needs libphonenumber".
struct Parsed {
  enum class Status { kNumber, kError, kFallBack };
  Status status = Status::kFallBack;
  ParseError error = ParseError::kNotANumber;
  const CallingCode* code = nullptr;
  std::string_view national;
};

Parsed Number(const CallingCode* code, std::string_view national) {
  return {Parsed::Status::kNumber, ParseError::kNotANumber, code, national};
}
Parsed Error(ParseError error) { return {Parsed::Status::kError, error, nullptr, {}}; }
Parsed FallBack() { return {}; }

// The rules of a region whose prefixes parse a number, or null when the fast path does not
// reproduce them.
const RegionRules* ParsingRules(const Region& region) {
  return region.has_transform_rule ? nullptr : region.Rules();
}

// TestNumberLength for the type UNKNOWN: the general desc's lengths.
enum class Length { kPossible, kPossibleLocalOnly, kTooShort, kTooLong, kInvalid };

Length TestNumberLength(std::string_view number, const RegionRules& rules) {
  const std::vector<int>& possible = rules.general.possible_lengths;
  const std::vector<int>& local = rules.local_only_lengths;
  int length = static_cast<int>(number.size());
  if (possible.front() == -1) return Length::kInvalid;
  if (std::find(local.begin(), local.end(), length) != local.end()) return Length::kPossibleLocalOnly;
  // libphonenumber reads the first length as the minimum and the last as the maximum.
  if (possible.front() == length) return Length::kPossible;
  if (possible.front() > length) return Length::kTooShort;
  if (possible.back() < length) return Length::kTooLong;
  return std::find(possible.begin() + 1, possible.end(), length) != possible.end() ? Length::kPossible
                                                                                   : Length::kInvalid;
}

// MaybeStripNationalPrefixAndCarrierCode for a region without a transform rule: the prefix
// goes, unless the number matched the general desc and would no longer match without it.
std::string_view StripNationalPrefix(const RegionRules& rules, std::string_view number) {
  if (number.empty() || !rules.has_national_prefix_for_parsing) return number;
  int prefix = rules.national_prefix_for_parsing.MatchPrefix(number);
  if (prefix < 0) return number;
  std::string_view rest = number.substr(static_cast<size_t>(prefix));
  if (rules.GeneralMatches(number) && !rules.GeneralMatches(rest)) return number;
  return rest;
}

// ExtractCountryCode after a '+' or an international prefix, with MaybeExtractCountryCode's
// length check: the first 1 to 3 digits that are a known calling code.
Parsed AfterInternationalPrefix(const PhoneTables& tables, std::string_view digits) {
  if (digits.size() <= kMinLengthForNsn) return Error(ParseError::kTooShortAfterIdd);
  if (digits[0] != '0') {
    int code = 0;
    for (size_t i = 0; i < kMaxLengthCountryCode; ++i) {
      code = code * 10 + (digits[i] - '0');
      if (const CallingCode* calling = tables.FindCallingCode(code)) return Number(calling, digits.substr(i + 1));
    }
  }
  return Error(ParseError::kInvalidCountryCode);
}

// MaybeExtractCountryCode's last rule: digits that start with the home region's calling code
// lose it when the rest matches the general desc and the whole did not, or the whole is too long.
Parsed StripOwnCallingCode(const CallingCode& own, const RegionRules& home, std::string_view digits) {
  if (digits.substr(0, own.digits.size()) != own.digits) return Number(nullptr, digits);
  std::string_view rest = StripNationalPrefix(home, digits.substr(own.digits.size()));
  if ((!home.GeneralMatches(digits) && home.GeneralMatches(rest)) ||
      TestNumberLength(digits, home) == Length::kTooLong) {
    return Number(&own, rest);
  }
  return Number(nullptr, digits);
}

// MaybeExtractCountryCode for digits without '+': the home region's international prefix
// (ParsePrefixAsIdd), else its own calling code.
Parsed ExtractWithoutPlus(const PhoneTables& tables, const Region* home, std::string_view digits) {
  if (home == nullptr) return Number(nullptr, digits);
  const RegionRules* rules = ParsingRules(*home);
  const CallingCode* own = tables.FindCallingCode(home->country_code);
  if (rules == nullptr || own == nullptr) return FallBack();
  int idd = rules->international_prefix.MatchPrefix(digits);
  // No calling code starts with 0, so a 0 after the prefix means it was not one.
  if (idd >= 0 && (static_cast<size_t>(idd) == digits.size() || digits[static_cast<size_t>(idd)] != '0')) {
    return AfterInternationalPrefix(tables, digits.substr(static_cast<size_t>(idd)));
  }
  return StripOwnCallingCode(*own, *rules, digits);
}

// MaybeExtractCountryCode as ParseHelper calls it, retry included: a '+' followed by no known
// calling code is dropped and the digits read again ("+0049 30 ..." in Germany).
Parsed ExtractCallingCode(const PhoneTables& tables, const Region* home, const Shape& shape) {
  if (!shape.plus) return ExtractWithoutPlus(tables, home, shape.Digits());
  Parsed parsed = AfterInternationalPrefix(tables, shape.Digits());
  if (parsed.status != Parsed::Status::kError || parsed.error != ParseError::kInvalidCountryCode) return parsed;
  parsed = ExtractWithoutPlus(tables, home, shape.Digits());
  if (parsed.status == Parsed::Status::kFallBack) return parsed;
  if (parsed.status == Parsed::Status::kError || parsed.code == nullptr) return Error(ParseError::kInvalidCountryCode);
  return parsed;
}

// The end of ParseHelper: the national prefix of `country` is stripped when what is left has a
// possible length (else the number may be a short one), then the NSN's length is checked.
Parsed FinishNationalNumber(const RegionRules& country, const CallingCode& code, std::string_view national) {
  if (national.size() < kMinLengthForNsn) return Error(ParseError::kTooShortNsn);
  std::string_view stripped = StripNationalPrefix(country, national);
  if (stripped.size() != national.size()) {
    Length length = TestNumberLength(stripped, country);
    if (length == Length::kPossible || length == Length::kTooLong) national = stripped;
  }
  if (national.size() < kMinLengthForNsn) return Error(ParseError::kTooShortNsn);
  if (national.size() > kMaxLengthForNsn) return Error(ParseError::kTooLongNsn);
  // The national number keeps its leading zeros (Italian leading zeros), so its digits are the
  // NSN that IsValidNumber and Format read back.
  return Number(&code, national);
}

// ParseHelper after ExtractPossibleNumber. `home`: the default region, null for none.
Parsed Parse(const PhoneTables& tables, const Region* home, const Shape& shape) {
  if (!IsViable(shape)) return Error(ParseError::kNotANumber);
  // CheckRegionForParsing: without a default region only a '+' number can be read.
  if (home == nullptr && !shape.plus) return Error(ParseError::kInvalidCountryCode);
  Parsed parsed = ExtractCallingCode(tables, home, shape);
  if (parsed.status != Parsed::Status::kNumber) return parsed;
  // A calling code found in the number brings its main region's rules; else the home region's.
  const CallingCode* code = parsed.code != nullptr ? parsed.code : tables.FindCallingCode(home->country_code);
  const RegionRules* country = ParsingRules(parsed.code != nullptr ? parsed.code->Main() : *home);
  if (code == nullptr || country == nullptr) return FallBack();
  return FinishNationalNumber(*country, *code, parsed.national);
}

// GetNumberTypeHelper(...) != UNKNOWN: the general desc, then any type. Which type matches does
// not matter, so the usual ones are tried first; mobile is skipped when its pattern is the
// fixed line's, as libphonenumber skips it.
bool HasKnownType(std::string_view nsn, const RegionRules& rules) {
  if (std::optional<uint32_t> descs = rules.MatchingDescs(nsn)) {
    // The same tests on one pass of the automaton: bit 0 the general desc, then the types.
    auto matches = [whole = *descs, length = nsn.size()](const NumberDesc& desc, size_t bit) {
      return ((whole >> bit) & 1) != 0 && desc.has_pattern && desc.AllowsLength(length);
    };
    if (!matches(rules.general, 0)) return false;
    if (matches(rules.fixed_line, 1)) return true;
    if (!rules.same_mobile_and_fixed_line_pattern && matches(rules.mobile, 2)) return true;
    for (size_t i = 0; i < rules.other_types.size(); ++i) {
      if (matches(rules.other_types[i], 3 + i)) return true;
    }
    return false;
  }
  if (!rules.general.MatchesWithLength(nsn)) return false;
  if (rules.fixed_line.MatchesWithLength(nsn)) return true;
  if (!rules.same_mobile_and_fixed_line_pattern && rules.mobile.MatchesWithLength(nsn)) return true;
  return std::any_of(rules.other_types.begin(), rules.other_types.end(),
                     [nsn](const NumberDesc& desc) { return desc.MatchesWithLength(nsn); });
}

enum class Validity { kValid, kInvalid, kFallBack };

Validity ValidIf(bool valid) { return valid ? Validity::kValid : Validity::kInvalid; }

// IsValidNumber: GetRegionCodeForNumber picks the region of a shared calling code (the first
// whose leading digits start the number, or, for a region without leading digits, whose types
// know it), and that region must know the number's type.
Validity IsValid(const CallingCode& code, std::string_view nsn) {
  for (const Region* region : code.regions) {
    const RegionRules* rules = region->Rules();
    if (rules == nullptr) return Validity::kFallBack;
    if (code.regions.size() == 1) return ValidIf(HasKnownType(nsn, *rules));
    if (rules->has_leading_digits) {
      if (rules->leading_digits.MatchesPrefix(nsn)) return ValidIf(HasKnownType(nsn, *rules));
    } else if (HasKnownType(nsn, *rules)) {
      return Validity::kValid;
    }
  }
  return Validity::kInvalid;
}

// Format(E164): '+', the calling code, the NSN.
std::string FormatE164(const CallingCode& code, std::string_view nsn) {
  std::string out;
  out.reserve(1 + code.digits.size() + nsn.size());
  out.append(1, '+').append(code.digits).append(nsn);
  return out;
}

}  // namespace

std::optional<Result<std::string>> FastE164(std::string_view phone, std::string_view region) {
  const PhoneTables* tables = PhoneTables::Get();
  if (tables == nullptr) return std::nullopt;
  const Region* home = nullptr;
  if (!region.empty()) {
    home = tables->FindRegionAnyCase(region);
    if (home == nullptr) return UnknownRegionFailure(region);
  }
  Shape shape = ReadShape(phone);
  if (shape.kind == Shape::Kind::kNoDigits) return ParseFailure(phone, ParseError::kNotANumber, home != nullptr);
  if (shape.kind == Shape::Kind::kOther) return std::nullopt;
  Parsed parsed = Parse(*tables, home, shape);
  if (parsed.status == Parsed::Status::kFallBack) return std::nullopt;
  if (parsed.status == Parsed::Status::kError) return ParseFailure(phone, parsed.error, home != nullptr);
  Validity validity = IsValid(*parsed.code, parsed.national);
  if (validity == Validity::kFallBack) return std::nullopt;
  if (validity == Validity::kInvalid) return InvalidNumberFailure(phone, parsed.code->Main().id);
  return FormatE164(*parsed.code, parsed.national);
}

}  // namespace crmx::stdlib::phone
