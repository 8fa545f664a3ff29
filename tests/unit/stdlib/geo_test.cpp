// Tests std.geo: the generated iso-codes tables, name normalization, aliases, and currencies.
#include "runtime/stdlib/geo.h"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "runtime/stdlib/geo_data.h"

using namespace crmx::stdlib;
namespace gd = crmx::stdlib::geo_data;

TEST_CASE("geo: the generated tables hold iso-codes data") {
  CHECK(gd::kCountryCount >= 249);
  CHECK(gd::kCurrencyCount >= 150);
  size_t us = 0, ca = 0;
  for (size_t i = 0; i < gd::kSubdivisionCount; ++i) {
    if (gd::kSubdivisions[i].code.substr(0, 3) == "US-") ++us;
    if (gd::kSubdivisions[i].code.substr(0, 3) == "CA-") ++ca;
  }
  CHECK(us == 57);  // 50 states, DC, 6 outlying areas
  CHECK(ca == 13);
}

TEST_CASE("geo: GeoKey folds case, accents and punctuation") {
  CHECK(GeoKey("Québec") == "quebec");
  CHECK(GeoKey("  CÔTE d'Ivoire ") == "cote divoire");
  CHECK(GeoKey("U.S.A.") == "usa");
  CHECK(GeoKey("Korea, Republic of") == "korea republic of");
  CHECK(GeoKey("Trinidad & Tobago") == "trinidad and tobago");
  CHECK(GeoKey("Guinea-Bissau") == "guinea bissau");
  CHECK(GeoKey("ＵＳ") == "us");  // full-width letters (NFKD)
}

TEST_CASE("geo: no name means two different countries or states") {
  std::map<std::string, std::string> seen;
  auto add = [&](std::string_view name, std::string_view code) {
    if (name.empty()) return;
    auto [it, inserted] = seen.emplace(GeoKey(name), std::string(code));
    CHECK_MESSAGE(it->second == code, (std::string(name) + " means " + it->second + " and " + std::string(code)));
  };
  for (size_t i = 0; i < gd::kCountryCount; ++i) {
    const auto& c = gd::kCountries[i];
    add(c.alpha2, c.alpha2);
    add(c.alpha3, c.alpha2);
    add(c.name, c.alpha2);
    add(c.official_name, c.alpha2);
    add(c.common_name, c.alpha2);
  }
  // Every alias adds a name iso-codes lacks (the alias list stays minimal) and names a country.
  for (size_t i = 0; i < gd::kCountryAliasCount; ++i) {
    const auto& a = gd::kCountryAliases[i];
    CHECK_MESSAGE(seen.count(GeoKey(a.alias)) == 0, (std::string(a.alias) + " is already in iso-codes"));
    CHECK_MESSAGE(CountryCode(a.code).ok(), std::string(a.code));
  }
  for (size_t i = 0; i < gd::kStateAliasCount; ++i) {
    CHECK(StateCode(gd::kStateAliases[i].code).ok());
  }
}

TEST_CASE("geo: state_code") {
  CHECK(*StateCode("New York") == "NY");
  CHECK(*StateCode("new york") == "NY");
  CHECK(*StateCode("NEW  YORK") == "NY");
  CHECK(*StateCode("us-tx") == "TX");
  CHECK(*StateCode("QUÉBEC") == "QC");
  CHECK(*StateCode("Yukon") == "YT");
  CHECK(*StateCode("Guam") == "GU");
  CHECK(*StateCode("Washington") == "WA");
  CHECK(*StateCode("Washington DC") == "DC");
  CHECK(StateCode("").reason() == "unknown state or province ``");
  CHECK(StateCode("Ontario, Canada").reason() == "unknown state or province `Ontario, Canada`");
}

TEST_CASE("geo: country_code and currency_of") {
  CHECK(*CountryCode("France") == "FR");
  CHECK(*CountryCode("fra") == "FR");
  CHECK(*CountryCode("French Republic") == "FR");
  CHECK(*CountryCode("Viet Nam") == "VN");
  CHECK(*CountryCode("Vietnam") == "VN");
  CHECK(*CountryCode("Czechia") == "CZ");
  CHECK(*CountryCode("Czech Republic") == "CZ");
  CHECK(*CountryCode("Österreich") == "AT");
  CHECK(*CountryCode("Russian Federation") == "RU");
  CHECK(*CountryCode("Taiwan") == "TW");
  CHECK(CountryCode("Korea").reason() == "unknown country `Korea`");  // ambiguous: not an alias
  CHECK(*CurrencyOf("France") == "EUR");
  CHECK(*CurrencyOf("CA") == "CAD");
  CHECK(*CurrencyOf("India") == "INR");
  CHECK(*CurrencyOf("Brazil") == "BRL");
  CHECK(*CurrencyOf("Mexico") == "MXN");
  CHECK(IsCurrencyCode("USD"));
  CHECK_FALSE(IsCurrencyCode("usd"));
  CHECK_FALSE(IsCurrencyCode("XYZ"));
  // Every country but a handful without a currency in CLDR gets one.
  size_t missing = 0;
  for (size_t i = 0; i < gd::kCountryCount; ++i) missing += CurrencyOf(gd::kCountries[i].alpha2).ok() ? 0 : 1;
  CHECK(missing <= 3);
}

TEST_CASE("geo: GeoKey's ASCII path agrees with its ICU path") {
  // A trailing combining acute accent sends the text through ICU, which drops the mark: both
  // paths must then give the same key, for every pair of ASCII characters and some names.
  const std::string mark = "\xCC\x81";
  std::vector<std::string> texts = {"  CÔTE d'Ivoire ", "U.S.A.", "Trinidad & Tobago", "&x", "x&", "a - b", "St. John's",
                                    "Nord-Pas-de-Calais", "1st & 2nd", "'", "..", "Z"};
  for (int a = 1; a < 128; ++a) {
    for (int b = 1; b < 128; ++b) texts.push_back({static_cast<char>(a), static_cast<char>(b)});
  }
  size_t bad = 0;
  for (const std::string& text : texts) {
    if (GeoKey(text) != GeoKey(text + mark) && ++bad <= 5) FAIL_CHECK("`" << text << "`: " << GeoKey(text) << " vs " << GeoKey(text + mark));
  }
  CHECK(bad == 0);
}

TEST_CASE("geo: remembered answers are the answers") {
  // The memo of state_code and country_code (geo.cpp) by raw text: the same answers and failure
  // reasons on first and later calls, for names that share memo slots, long names (not
  // remembered) and non-ASCII ones.
  std::vector<std::pair<std::string, std::string>> countries;  // name, expected code ("" = unknown)
  for (size_t i = 0; i < gd::kCountryCount; ++i) {
    const auto& c = gd::kCountries[i];
    for (std::string_view name : {c.alpha2, c.alpha3, c.name, c.official_name, c.common_name}) {
      if (!name.empty()) countries.emplace_back(std::string(name), std::string(*CountryCode(name)));
    }
  }
  countries.emplace_back("Atlantis", "");
  countries.emplace_back("Österreich", "AT");
  countries.emplace_back("United Kingdom of Great Britain and Northern Ireland", "GB");
  countries.emplace_back(std::string(100, 'x'), "");
  for (int pass = 0; pass < 3; ++pass) {
    for (size_t i = 0; i < countries.size(); ++i) {
      // Forwards, backwards, and every other name, so that slots are reused.
      const auto& [name, code] = countries[pass == 1 ? countries.size() - 1 - i : (i * 7) % countries.size()];
      Result<std::string_view> found = CountryCode(name);
      if (code.empty()) {
        CHECK(found.reason() == "unknown country `" + (name.size() > 60 ? name.substr(0, 60) + "…" : name) + "`");
      } else {
        CHECK_MESSAGE(found.ok(), name);
        if (found.ok()) CHECK(*found == code);
      }
      // The state index has its own memo: a country name is no state.
      if (name == "Atlantis") CHECK_FALSE(StateCode(name).ok());
    }
  }
  for (int pass = 0; pass < 2; ++pass) {
    CHECK(*StateCode("Québec") == "QC");
    CHECK(*StateCode("quebec") == "QC");
    CHECK(*StateCode("US-TX") == "TX");
    CHECK(StateCode("Ontario, Canada").reason() == "unknown state or province `Ontario, Canada`");
  }
  // Each thread has its own memo.
  std::vector<std::thread> threads;
  std::vector<int> right(4, 0);
  for (size_t t = 0; t < right.size(); ++t) {
    threads.emplace_back([&right, t] {
      for (int i = 0; i < 1000; ++i) right[t] += *StateCode(i % 2 ? "Texas" : "New York") == (i % 2 ? "TX" : "NY") ? 1 : 0;
    });
  }
  for (std::thread& t : threads) t.join();
  for (int r : right) CHECK(r == 1000);
}
