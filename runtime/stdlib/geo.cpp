// Implements std.geo (geo.h): indexes over the generated iso-codes tables, built once on first
// use, keyed by GeoKey; currencies from ICU (CLDR's region -> currency data).
#include "runtime/stdlib/geo.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/ucurr.h>
#include <unicode/unistr.h>

#include <unordered_map>

#include "runtime/stdlib/geo_data.h"

namespace crmx::stdlib {

namespace {

using Index = std::unordered_map<std::string, std::string>;

// Adds key -> code; a key that already means another code is a broken invariant of the data
// (tests/unit/stdlib checks there is none), and the first entry wins.
void Add(Index* index, std::string_view name, std::string_view code) {
  if (name.empty()) return;
  index->emplace(GeoKey(name), std::string(code));
}

const Index& Countries() {
  static const Index* index = [] {
    auto* m = new Index();
    for (size_t i = 0; i < geo_data::kCountryCount; ++i) {
      const auto& c = geo_data::kCountries[i];
      Add(m, c.alpha2, c.alpha2);
      Add(m, c.alpha3, c.alpha2);
    }
    for (size_t i = 0; i < geo_data::kCountryCount; ++i) {
      const auto& c = geo_data::kCountries[i];
      Add(m, c.name, c.alpha2);
      Add(m, c.common_name, c.alpha2);
      Add(m, c.official_name, c.alpha2);
    }
    for (size_t i = 0; i < geo_data::kCountryAliasCount; ++i) {
      Add(m, geo_data::kCountryAliases[i].alias, geo_data::kCountryAliases[i].code);
    }
    return m;
  }();
  return *index;
}

// Keys: state names and codes ("california", "ca", "us ca") -> "CA".
const Index& States() {
  static const Index* index = [] {
    auto* m = new Index();
    for (size_t i = 0; i < geo_data::kSubdivisionCount; ++i) {
      const auto& s = geo_data::kSubdivisions[i];
      std::string_view code = s.code.substr(3);
      Add(m, code, code);
      Add(m, s.code, code);
      Add(m, s.name, code);
    }
    for (size_t i = 0; i < geo_data::kStateAliasCount; ++i) {
      Add(m, geo_data::kStateAliases[i].alias, geo_data::kStateAliases[i].code.substr(3));
    }
    return m;
  }();
  return *index;
}

}  // namespace

namespace {

// GeoKey of ASCII text, without ICU: for ASCII, NFKD changes nothing, there are no combining
// marks, and alphanumerics and case folding are the ASCII ones. Same rules as below.
std::string AsciiGeoKey(std::string_view name) {
  std::string key;
  bool space = false;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\'' || c == '.') continue;
    if (c == '&') {
      if (!key.empty()) key.push_back(' ');
      key += "and";
      space = true;
      continue;
    }
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum) {
      space = true;
      continue;
    }
    if (space && !key.empty()) key.push_back(' ');
    space = false;
    key.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : static_cast<char>(c));
  }
  return key;
}

bool IsAscii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

}  // namespace

std::string GeoKey(std::string_view name) {
  if (IsAscii(name)) return AsciiGeoKey(name);
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkd = icu::Normalizer2::getNFKDInstance(status);
  icu::UnicodeString source = icu::UnicodeString::fromUTF8(icu::StringPiece(name.data(), static_cast<int32_t>(name.size())));
  icu::UnicodeString decomposed = U_SUCCESS(status) ? nfkd->normalize(source, status) : source;
  if (U_FAILURE(status)) decomposed = source;
  icu::UnicodeString key;
  bool space = false;
  for (int32_t i = 0; i < decomposed.length();) {
    UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    if (u_charType(c) == U_NON_SPACING_MARK) continue;
    // Apostrophes and periods join: "Côte d'Ivoire" -> "cote divoire", "U.S." -> "us".
    if (c == '\'' || c == 0x2019 || c == '.') continue;
    if (c == '&') {
      if (!key.isEmpty()) key.append(u' ');
      key.append(icu::UnicodeString(u"and"));
      space = true;
      continue;
    }
    if (u_isalnum(c)) {
      if (space && !key.isEmpty()) key.append(u' ');
      space = false;
      key.append(u_foldCase(c, U_FOLD_CASE_DEFAULT));
    } else {
      space = true;
    }
  }
  std::string out;
  key.toUTF8String(out);
  return out;
}

// The codes are views of the static indexes: valid for the life of the program, so the VM
// hands them out without copying.
Result<std::string_view> StateCode(std::string_view name) {
  auto it = States().find(GeoKey(name));
  if (it == States().end()) return Fail("unknown state or province " + Quote(name));
  return std::string_view(it->second);
}

Result<std::string_view> CountryCode(std::string_view name) {
  auto it = Countries().find(GeoKey(name));
  if (it == Countries().end()) return Fail("unknown country " + Quote(name));
  return std::string_view(it->second);
}

bool IsCurrencyCode(std::string_view code) {
  for (size_t i = 0; i < geo_data::kCurrencyCount; ++i) {
    if (geo_data::kCurrencies[i].alpha3 == code) return true;
  }
  return false;
}

Result<std::string> CurrencyOf(std::string_view country) {
  auto found = CountryCode(country);
  if (!found) return Fail(std::string(found.reason()));
  std::string code(*found);
  std::string locale = "und_" + code;
  UErrorCode status = U_ZERO_ERROR;
  UChar buffer[8];
  int32_t length = ucurr_forLocale(locale.c_str(), buffer, 8, &status);
  std::string currency;
  if (U_SUCCESS(status) && length == 3) {
    for (int32_t i = 0; i < 3; ++i) currency.push_back(static_cast<char>(buffer[i]));
  }
  // ICU answers XXX ("no currency") for Antarctica and the like.
  if (currency.empty() || currency == "XXX" || !IsCurrencyCode(currency)) {
    return Fail("no currency is known for country `" + code + "`");
  }
  return currency;
}

}  // namespace crmx::stdlib
