// Declares the geographic tables generated at build time from Debian's iso-codes
// (gen/geo_data_gen.cpp writes geo_data.cpp into the build tree). Internal to std.geo and its
// tests.
#pragma once

#include <cstddef>
#include <string_view>

namespace crmx::stdlib::geo_data {

// ISO 3166-1; official_name and common_name are empty when iso-codes has none.
struct CountryRow {
  std::string_view alpha2, alpha3, name, official_name, common_name;
};
// ISO 3166-2, US and Canada only: code "US-CA", name "California", type "State".
struct SubdivisionRow {
  std::string_view code, name, type;
};
// ISO 4217 (active currencies).
struct CurrencyRow {
  std::string_view alpha3, name;
};
// data/country_aliases.tsv (code: alpha-2) and data/state_aliases.tsv (code: "US-DC").
struct AliasRow {
  std::string_view alias, code;
};

extern const CountryRow kCountries[];
extern const size_t kCountryCount;
extern const SubdivisionRow kSubdivisions[];
extern const size_t kSubdivisionCount;
extern const CurrencyRow kCurrencies[];
extern const size_t kCurrencyCount;
extern const AliasRow kCountryAliases[];
extern const size_t kCountryAliasCount;
extern const AliasRow kStateAliases[];
extern const size_t kStateAliasCount;

}  // namespace crmx::stdlib::geo_data
