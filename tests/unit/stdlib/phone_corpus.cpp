// Implements the differential corpus of std.phone (phone_corpus.h) with libphonenumber's public
// API: its example numbers and its own formats (national, international, E.164, RFC 3966, and
// as dialled from other regions, which brings every region's international prefix).
#include "tests/unit/stdlib/phone_corpus.h"

#include <phonenumbers/phonenumberutil.h>

#include <cstdint>
#include <set>

namespace crmx::test {

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// splitmix64: fixed seed, no <random> distributions, so every platform draws the same numbers.
class Rng {
 public:
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  char Digit() { return static_cast<char>('0' + Below(10)); }
  template <class T>
  const T& Pick(const std::vector<T>& items) { return items[Below(items.size())]; }

 private:
  uint64_t state_ = 20261127;
};

const PhoneNumberUtil::PhoneNumberType kTypes[] = {
    PhoneNumberUtil::FIXED_LINE, PhoneNumberUtil::MOBILE,          PhoneNumberUtil::TOLL_FREE,
    PhoneNumberUtil::PREMIUM_RATE, PhoneNumberUtil::SHARED_COST,   PhoneNumberUtil::VOIP,
    PhoneNumberUtil::PERSONAL_NUMBER, PhoneNumberUtil::PAGER,      PhoneNumberUtil::UAN,
    PhoneNumberUtil::VOICEMAIL};

// Regions people dial from: their international prefixes are 00, 011, 0011, 010, 001, 810...
const std::vector<std::string> kCallingFrom = {"US", "DE", "GB", "AU", "JP", "RU", "BR", "KR", "CN", "SG", "IN"};

// Text that is not a phone number, or not one the fast path reads (extensions, letters, other
// scripts, RFC 3966), or at the edges of libphonenumber's limits.
std::vector<std::string> JunkTexts() {
  std::vector<std::string> junk = {
      "", " ", "N/A", "none", "TBD", "ask reception", "-", "+", "++", "+ ", "()", "12", "1", "+1", "+12",
      "+123", "(12)", "1 2", "12 ", " 12", "1.2", "123", "+ 1 2", "0", "00", "000", "0000000", "+0",
      "+00 123", "+0049 30 123456", "+011 44 20 7946 0958", "1-800-FLOWERS", "+1 415 555 2671 ext. 12",
      "415 555 2671 x12", "tel:+1-415-555-2671", "+1 415 555 2671;ext=12",
      "\xEF\xBC\x94\xEF\xBC\x91\xEF\xBC\x95 555 2671",  // full-width digits
      "+1\xC2\xA0" "415 555 2671", "415/555/2671", "\t415 555 2671", "+1 (415) 555-2671 / 415 555 2672",
      "++1 415 555 2671", "1+415", "+1+415 555", "415 555 2671 #", "415 555 2671,,12", "\xFF" "415",
      std::string("415\0 555 2671", 13), "(+44) 20 7946 0958", "+(44) 20 7946 0958", "+44 (0)20 7946 0958",
      "0044 20 7946 0958", "44 20 7946 0958", "1(415)555-2671", "1 415 555 2671", "011 1 415 555 2671",
      "+1 800 FLOWERS", "phone: 415 555 2671", "415-555-2671 (office)", "999", "911", "112", "+800 1234 5678",
      "+979 123 456 789", "+882 13 0000 0000", "+39 06 6988 0000", "06 6988 0000", "+39 0 123", "+3900123"};
  junk.push_back(std::string(30, '1'));
  junk.push_back(std::string(24, '2'));
  junk.push_back(std::string(25, '3'));
  std::string spaced;
  for (int i = 0; i < 70; ++i) spaced += "1 ";
  junk.push_back(spaced);                  // 140 bytes: beyond the fast path's length
  junk.push_back(std::string(260, '5'));   // beyond libphonenumber's input limit
  junk.push_back(std::string(129, ' ') + "415 555 2671");
  return junk;
}

const std::vector<std::string> kOddRegions = {"", "us", "Us", "de", "XX", "USA", "001", "ZZ", "u", "\xC3\xBC", "gb "};

class CorpusBuilder {
 public:
  std::vector<PhoneCase> Build() {
    std::set<std::string> regions;
    util_.GetSupportedRegions(&regions);
    regions_.assign(regions.begin(), regions.end());
    for (const std::string& region : regions_) AddRegion(region);
    std::set<int> codes;
    util_.GetSupportedGlobalNetworkCallingCodes(&codes);
    for (int code : codes) AddNonGeographic(code);
    AddJunk();
    AddRandomDigits(30000);
    return std::move(cases_);
  }

 private:
  void Add(std::string text, std::string region) { cases_.push_back({std::move(text), std::move(region)}); }

  // A region other than `home`, or no region, or an odd spelling.
  std::string OtherRegion() {
    size_t pick = rng_.Below(10);
    if (pick == 0) return "";
    if (pick == 1) return rng_.Pick(kOddRegions);
    return rng_.Pick(regions_);
  }

  void AddRegion(const std::string& region) {
    std::set<std::string> seen;
    for (PhoneNumberUtil::PhoneNumberType type : kTypes) {
      PhoneNumber number;
      if (!util_.GetExampleNumberForType(region, type, &number)) continue;
      std::string nsn;
      util_.GetNationalSignificantNumber(number, &nsn);
      if (seen.insert(nsn).second) AddNumber(number, region);
    }
  }

  void AddNonGeographic(int code) {
    PhoneNumber number;
    if (!util_.GetExampleNumberForNonGeoEntity(code, &number)) return;
    for (int round = 0; round < 4; ++round) AddNumber(number, kCallingFrom[static_cast<size_t>(round)]);
  }

  // One example number of `home` in every form, spoiled, and with separators.
  void AddNumber(const PhoneNumber& number, const std::string& home) {
    std::string nsn;
    util_.GetNationalSignificantNumber(number, &nsn);
    std::string prefix;
    util_.GetNddPrefixForRegion(home, true, &prefix);
    std::string cc = std::to_string(number.country_code());
    AddFormatted(number, home);
    AddDigitForms(nsn, cc, prefix, home);
    for (int round = 0; round < 12; ++round) AddDigitForms(Mutate(nsn), cc, prefix, home);
    for (int round = 0; round < 12; ++round) AddSeparated(nsn, cc, prefix, home);
  }

  // libphonenumber's own formats of the number, read at home, abroad and without a region.
  void AddFormatted(const PhoneNumber& number, const std::string& home) {
    for (PhoneNumberUtil::PhoneNumberFormat format :
         {PhoneNumberUtil::E164, PhoneNumberUtil::INTERNATIONAL, PhoneNumberUtil::NATIONAL, PhoneNumberUtil::RFC3966}) {
      std::string text;
      util_.Format(number, format, &text);
      Add(text, home);
      Add(text, OtherRegion());
    }
    for (const std::string& from : kCallingFrom) {
      std::string text;
      util_.FormatOutOfCountryCallingNumber(number, from, &text);
      Add(text, from);
      Add(text, home);
    }
  }

  // The digits as people type them: national, with the national prefix, '+cc', the calling code
  // without '+', behind common international prefixes.
  void AddDigitForms(const std::string& nsn, const std::string& cc, const std::string& prefix,
                     const std::string& home) {
    for (const std::string& text :
         {nsn, prefix + nsn, "+" + cc + nsn, "+" + cc + " " + prefix + nsn, cc + nsn, cc + prefix + nsn,
          "00" + cc + nsn, "011" + cc + nsn, "+" + nsn, "0" + nsn}) {
      Add(text, home);
      Add(text, OtherRegion());
    }
  }

  // A spoiled copy: a digit changed, inserted or dropped, digits cut off or added.
  std::string Mutate(std::string digits) {
    switch (rng_.Below(6)) {
      case 0: if (!digits.empty()) digits[rng_.Below(digits.size())] = rng_.Digit(); break;
      case 1: digits.insert(rng_.Below(digits.size() + 1), 1, rng_.Digit()); break;
      case 2: if (!digits.empty()) digits.erase(rng_.Below(digits.size()), 1); break;
      case 3: digits.resize(digits.size() - std::min(digits.size(), 1 + rng_.Below(4))); break;
      case 4: for (size_t i = 1 + rng_.Below(3); i > 0; --i) digits.push_back(rng_.Digit()); break;
      default: for (size_t i = 0; i < digits.size(); ++i) if (rng_.Below(4) == 0) digits[i] = rng_.Digit();
    }
    return digits;
  }

  // A digit form with random separators (space ( ) - .) between and around the digits.
  void AddSeparated(const std::string& nsn, const std::string& cc, const std::string& prefix,
                    const std::string& home) {
    static const std::vector<std::string> kSeparators = {" ", "-", ".", "(", ")", "  ", " - ", ") ", " ("};
    const std::string forms[] = {nsn, prefix + nsn, cc + nsn, "+" + cc + nsn, "00" + cc + nsn};
    const std::string& digits = forms[rng_.Below(5)];
    std::string text = rng_.Below(4) == 0 ? rng_.Pick(kSeparators) : "";
    for (size_t i = 0; i < digits.size(); ++i) {
      text += digits[i];
      if (i + 1 < digits.size() && rng_.Below(3) == 0) text += rng_.Pick(kSeparators);
    }
    if (rng_.Below(4) == 0) text += rng_.Pick(kSeparators);
    Add(text, home);
    Add(text, OtherRegion());
  }

  void AddJunk() {
    for (const std::string& text : JunkTexts()) {
      for (const char* region : {"US", "DE", "GB", "IT", "AR", "BR", "JP", "AU"}) Add(text, region);
      for (const std::string& region : kOddRegions) Add(text, region);
    }
  }

  // Digit strings of 1 to 20 digits, sometimes with '+', read in random regions.
  void AddRandomDigits(int count) {
    for (int i = 0; i < count; ++i) {
      std::string text = rng_.Below(3) == 0 ? "+" : "";
      for (size_t n = 1 + rng_.Below(20); n > 0; --n) text += rng_.Digit();
      Add(text, OtherRegion());
    }
  }

  const PhoneNumberUtil& util_ = *PhoneNumberUtil::GetInstance();
  Rng rng_;
  std::vector<std::string> regions_;
  std::vector<PhoneCase> cases_;
};

}  // namespace

std::vector<PhoneCase> MakePhoneCorpus() { return CorpusBuilder().Build(); }

}  // namespace crmx::test
