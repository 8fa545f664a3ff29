// Defines std.geo: state and province codes, ISO country codes, and the currency of a country.
// The data is Debian's iso-codes (ISO 3166-1, 3166-2, 4217), embedded at build time by
// gen/geo_data_gen.cpp, plus two small alias files in data/ for names iso-codes lacks. The
// currency of a country comes from ICU's copy of CLDR (iso-codes has no country-to-currency
// mapping). Names match case-insensitively, ignoring accents and punctuation ("québec",
// "Cote d'Ivoire", "U.S.").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/stdlib/result.h"

namespace crmx::stdlib {

// The code of a US state, DC, a US outlying area (PR, GU, VI, AS, MP, UM) or a Canadian
// province or territory: "California", "ca", "US-CA" -> "CA"; "Québec", "QC" -> "QC".
// Fails: "unknown state or province `Atlantis`".
Result<std::string_view> StateCode(std::string_view name);
// The ISO 3166-1 alpha-2 code of a country: from its alpha-2 or alpha-3 code, its ISO short
// name, official name or common name, or an alias of data/country_aliases.tsv.
// Fails: "unknown country `Atlantis`".
Result<std::string_view> CountryCode(std::string_view name);
// The ISO 4217 code of the currency a country uses today (CLDR, through ICU), the country given
// as CountryCode accepts it. Fails: "unknown country `X`", "no currency is known for country
// `AQ`".
Result<std::string> CurrencyOf(std::string_view country);
// Whether `code` is an active ISO 4217 currency code (upper case, "USD").
bool IsCurrencyCode(std::string_view code);

// How names are compared: NFKD, combining marks removed, case-folded, apostrophes and periods
// dropped, "&" read as "and", every other run of non-alphanumeric characters one space.
std::string GeoKey(std::string_view name);

}  // namespace crmx::stdlib
