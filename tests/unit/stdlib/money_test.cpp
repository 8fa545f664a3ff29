// Tests std.money: round and convert.
#include "runtime/stdlib/money.h"

#include <doctest/doctest.h>

using namespace crmx::stdlib;
using crmx::decimal::Decimal;
using crmx::decimal::Rounding;

namespace {
Decimal D(const char* t) { return *Decimal::Parse(t); }
}  // namespace

TEST_CASE("money: round") {
  CHECK(Round(D("2.345"), 2)->ToString() == "2.35");
  CHECK(Round(D("2.345"), 2, Rounding::kHalfEven)->ToString() == "2.34");
  CHECK(Round(D("-0.5"), 0)->ToString() == "-1");
  CHECK(Round(D("12"), 2)->ToString() == "12.00");
  CHECK(Round(D("1"), 39).reason() == "round: scale 39 is outside 0..38");
  CHECK(Round(D(std::string(38, '9').c_str()), 1).reason().find("round: decimal overflow") == 0);
}

TEST_CASE("money: convert") {
  RateTable rates{{"EUR", D("1")}, {"USD", D("1.0856")}, {"GBP", D("0.8541")}, {"JPY", D("161.23")}};
  CHECK(Convert(D("100.00"), "EUR", "USD", rates)->ToString() == "108.56");
  CHECK(Convert(D("100"), "usd", "eur", rates)->ToString() == "92.1149594694");
  CHECK(Convert(D("1000"), "JPY", "GBP", rates)->ToString() == "5.2974012281");
  CHECK(Convert(D("-10"), "EUR", "JPY", rates)->ToString() == "-1612.3");
  CHECK(Convert(D("0"), "EUR", "USD", rates)->ToString() == "0");
  CHECK(Convert(D("5.00"), "XXX", "xxx", {})->ToString() == "5.00");
  CHECK(Convert(D("1"), "CHF", "EUR", rates).reason() == "no exchange rate for `CHF`");
  rates["CHF"] = D("-1");
  CHECK(Convert(D("1"), "CHF", "EUR", rates).reason() == "the exchange rate for `CHF` is not positive");
  CHECK(Convert(D(std::string(38, '9').c_str()), "EUR", "JPY", rates).reason().find("convert: decimal overflow") == 0);
  // Round trip is exact to the kept places.
  auto there = Convert(D("250.00"), "EUR", "USD", rates);
  auto back = Convert(*there, "USD", "EUR", rates);
  CHECK(Round(*back, 2)->ToString() == "250.00");
}
