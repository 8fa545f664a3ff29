// Tests crmx::decimal::Decimal: parsing, text, arithmetic at the 38-digit limit, rounding modes,
// comparison across scales, and errors as values.
#include "runtime/decimal/decimal.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using crmx::decimal::Decimal;
using crmx::decimal::Errc;
using crmx::decimal::Rounding;

namespace {

Decimal D(const char* text) {
  auto r = Decimal::Parse(text);
  REQUIRE_MESSAGE(r.ok(), text);
  return *r;
}

}  // namespace

TEST_CASE("decimal: parse and print keep the scale") {
  CHECK(D("19.99").ToString() == "19.99");
  CHECK(D("-0.50").ToString() == "-0.50");
  CHECK(D("0.50").Scale() == 2);
  CHECK(D("+3.").ToString() == "3");
  CHECK(D(".5").ToString() == "0.5");
  CHECK(D("007").ToString() == "7");
  CHECK(D("1.5e3").ToString() == "1500");
  CHECK(D("15e-1").ToString() == "1.5");
  CHECK(D("1.50E1").ToString() == "15.0");
  CHECK(D("0.000001").ToString() == "0.000001");
  CHECK(D("-0").ToString() == "0");
  std::string max38(38, '9');
  CHECK(D(max38.c_str()).ToString() == max38);
  CHECK(D(("-0." + max38).c_str()).ToString() == "-0." + max38);
}

TEST_CASE("decimal: printed digits on either side of 16 (ToChars copies up to 16 as a block) and of 64 bits") {
  // Every split of up to 38 digits between the whole part and the fraction, both signs, and
  // leading zeros of the fraction: the text comes back as it was parsed.
  for (size_t whole = 0; whole <= 38; ++whole) {
    for (size_t frac = 0; whole + frac <= 38; ++frac) {
      if (whole + frac == 0) continue;
      std::string digits;
      for (size_t i = 0; i < whole + frac; ++i) digits.push_back(static_cast<char>('1' + (i * 7) % 9));
      for (bool negative : {false, true}) {
        std::string text = (negative ? "-" : "") + (whole ? digits.substr(0, whole) : "0") +
                           (frac ? "." + digits.substr(whole) : "");
        CAPTURE(text);
        CHECK(D(text.c_str()).ToString() == text);
        if (frac > 1) {
          std::string small = (negative ? "-0." : "0.") + std::string(frac - 1, '0') + "7";
          CHECK(D(small.c_str()).ToString() == small);
        }
      }
    }
  }
  CHECK(D("18446744073709551615").ToString() == "18446744073709551615");
  CHECK(D("18446744073709551616").ToString() == "18446744073709551616");
  CHECK(D("1844674407370955161.6").ToString() == "1844674407370955161.6");
}

TEST_CASE("decimal: invalid text and overflow are errors with reasons") {
  for (const char* bad : {"", "-", ".", "abc", "1.2.3", "1,000", " 1", "1 ", "1e", "1e+", "--1", "0x10"}) {
    auto r = Decimal::Parse(bad);
    CHECK_MESSAGE(!r.ok(), bad);
    CHECK(r.error() == Errc::kInvalid);
    CHECK(r.reason() == "not a decimal number");
  }
  std::string digits39(39, '9');
  CHECK(Decimal::Parse(digits39).error() == Errc::kOverflow);
  CHECK(Decimal::Parse("1e38").error() == Errc::kOverflow);
  CHECK(Decimal::Parse("1e37").ok());
  CHECK(Decimal::Parse("1e-39").error() == Errc::kOverflow);
  CHECK(Decimal::FromParts(1, 39).error() == Errc::kBadScale);
}

TEST_CASE("decimal: add and sub align scales") {
  CHECK((*D("1.5").Add(D("2.25"))).ToString() == "3.75");
  CHECK((*D("0.1").Add(D("0.2"))).ToString() == "0.3");
  CHECK((*D("10").Sub(D("0.01"))).ToString() == "9.99");
  CHECK((*D("-5.5").Add(D("5.5"))).ToString() == "0.0");
  std::string max38(38, '9');
  CHECK(D(max38.c_str()).Add(D("1")).error() == Errc::kOverflow);
  CHECK(D(max38.c_str()).Sub(D("1")).ok());
  // Aligning 1 (scale 0) to scale 38 would need 39 digits.
  CHECK(D("10").Add(D("0.00000000000000000000000000000000000001")).error() == Errc::kOverflow);
}

TEST_CASE("decimal: mul is exact") {
  CHECK((*D("19.99").Mul(D("3"))).ToString() == "59.97");
  CHECK((*D("1.1").Mul(D("1.1"))).ToString() == "1.21");
  CHECK((*D("-2").Mul(D("0.5"))).ToString() == "-1.0");
  CHECK((*D("0").Mul(D("-3.5"))).ToString() == "0.0");
  // 10^19 * 10^19 needs 39 digits.
  CHECK(D("10000000000000000000").Mul(D("10000000000000000000")).error() == Errc::kOverflow);
  // Scales 20 + 20 exceed 38, but the trailing zeros can go.
  auto r = D("0.10000000000000000000").Mul(D("0.10000000000000000000"));
  REQUIRE(r.ok());
  CHECK(*r == D("0.01"));
  CHECK((*D("19.99").MulRounded(D("1.0825"), 2, Rounding::kHalfUp)).ToString() == "21.64");
}

TEST_CASE("decimal: div rounds at the requested scale") {
  CHECK((*D("1").Div(D("3"), 4, Rounding::kHalfUp)).ToString() == "0.3333");
  CHECK((*D("2").Div(D("3"), 4, Rounding::kHalfUp)).ToString() == "0.6667");
  CHECK((*D("2").Div(D("3"), 4, Rounding::kDown)).ToString() == "0.6666");
  CHECK((*D("-2").Div(D("3"), 2, Rounding::kHalfUp)).ToString() == "-0.67");
  CHECK((*D("1").Div(D("8"), 2, Rounding::kHalfEven)).ToString() == "0.12");
  CHECK((*D("3").Div(D("8"), 2, Rounding::kHalfEven)).ToString() == "0.38");
  CHECK((*D("1").Div(D("8"), 2, Rounding::kHalfUp)).ToString() == "0.13");
  CHECK((*D("100.00").Div(D("1.0856"), 10, Rounding::kHalfUp)).ToString() == "92.1149594694");
  // Scale below the operands' (e < 0): 1.23456 / 1 at scale 2.
  CHECK((*D("1.23456").Div(D("1"), 2, Rounding::kHalfUp)).ToString() == "1.23");
  CHECK((*D("1.235").Div(D("1.000"), 2, Rounding::kHalfEven)).ToString() == "1.24");
  CHECK((*D("1.225").Div(D("1.000"), 2, Rounding::kHalfEven)).ToString() == "1.22");
  // A sticky remainder breaks a seeming tie: 0.2500001 / 1 at scale 1 is above the tie.
  CHECK((*D("0.2500001").Div(D("1"), 1, Rounding::kHalfEven)).ToString() == "0.3");
  CHECK(D("1").Div(D("0"), 2, Rounding::kHalfUp).error() == Errc::kDivideByZero);
  CHECK(D("1").Div(D("0.00"), 2, Rounding::kHalfUp).reason() == "division by zero");
  CHECK(D("1").Div(D("0.0000000000000000000000000000000000001"), 2, Rounding::kHalfUp).error() == Errc::kOverflow);
  CHECK(D("1").Div(D("3"), 39, Rounding::kHalfUp).error() == Errc::kBadScale);
}

TEST_CASE("decimal: round half up, half even, down") {
  CHECK((*D("2.345").Round(2, Rounding::kHalfUp)).ToString() == "2.35");
  CHECK((*D("-2.345").Round(2, Rounding::kHalfUp)).ToString() == "-2.35");
  CHECK((*D("2.345").Round(2, Rounding::kHalfEven)).ToString() == "2.34");
  CHECK((*D("2.355").Round(2, Rounding::kHalfEven)).ToString() == "2.36");
  CHECK((*D("-2.355").Round(2, Rounding::kHalfEven)).ToString() == "-2.36");
  CHECK((*D("2.349").Round(2, Rounding::kDown)).ToString() == "2.34");
  CHECK((*D("-2.349").Round(2, Rounding::kDown)).ToString() == "-2.34");
  CHECK((*D("-0.004").Round(2, Rounding::kHalfUp)).ToString() == "0.00");
  CHECK((*D("9.995").Round(2, Rounding::kHalfUp)).ToString() == "10.00");
  CHECK((*D("1.5").Round(3, Rounding::kHalfUp)).ToString() == "1.500");
  CHECK(D(std::string(38, '9').c_str()).Round(1, Rounding::kHalfUp).error() == Errc::kOverflow);
  CHECK(D(("0." + std::string(38, '9')).c_str()).Round(0, Rounding::kHalfUp)->ToString() == "1");
}

TEST_CASE("decimal: comparison is numeric across scales") {
  CHECK(D("1.5") == D("1.50"));
  CHECK_FALSE(D("1.5").Identical(D("1.50")));
  CHECK(D("-0.00") == D("0"));
  CHECK(D("0.1") < D("0.10000000000000000000000000000000000001"));
  CHECK(D("-2") < D("-1.99"));
  CHECK(D("100") > D("99.999999"));
  CHECK(D(std::string(38, '9').c_str()) > D(("0." + std::string(38, '9')).c_str()));
  CHECK(D("1.500").Normalize().ToString() == "1.5");
  CHECK(D("2.00").Normalize().ToString() == "2");
}

TEST_CASE("decimal: doubles and integers") {
  CHECK((*Decimal::FromDouble(0.1)).ToString() == "0.1");
  CHECK((*Decimal::FromDouble(-1234.5)).ToString() == "-1234.5");
  CHECK((*Decimal::FromDouble(1e20)).ToString() == "100000000000000000000");
  CHECK((*Decimal::FromDouble(0.0)).ToString() == "0");
  CHECK(Decimal::FromDouble(1e300).error() == Errc::kOverflow);
  CHECK(Decimal::FromDouble(0.0 / 0.0).error() == Errc::kNotFinite);
  CHECK(Decimal::FromDouble(1.0 / 0.0).error() == Errc::kNotFinite);
  CHECK(D("0.1").ToDouble() == 0.1);
  CHECK(D("-19.99").ToDouble() == -19.99);
  CHECK(Decimal::FromInt(INT64_MIN).ToString() == "-9223372036854775808");
  CHECK(*D("-12.99").ToInt64() == -12);
  CHECK(D("99999999999999999999").ToInt64().error() == Errc::kOverflow);
  char buf[Decimal::kMaxChars];
  std::string longest = "-0." + std::string(38, '1');
  char* end = D(longest.c_str()).ToChars(buf);
  CHECK(std::string(buf, end) == longest);
}

// ToChars writes two digits at a time below 2^64 and one at a time above: both against a
// digit-by-digit reference, at the boundaries of the two (2^64, 10^19, 10^20) and of the pairs.
TEST_CASE("decimal: text of coefficients around 64 bits and every digit count") {
  using crmx::decimal::Int128;
  using crmx::decimal::Uint128;
  auto reference = [](Int128 c, int scale) {
    Uint128 m = c < 0 ? Uint128(0) - static_cast<Uint128>(c) : static_cast<Uint128>(c);
    std::string digits;
    do {
      digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(m % 10)));
      m /= 10;
    } while (m != 0);
    while (digits.size() < static_cast<size_t>(scale) + 1) digits.insert(digits.begin(), '0');
    if (scale > 0) digits.insert(digits.size() - static_cast<size_t>(scale), ".");
    return (c < 0 ? "-" : "") + digits;
  };
  std::vector<Uint128> magnitudes;
  Uint128 p = 1;
  for (int k = 0; k <= 38; ++k, p *= 10) {
    for (Uint128 d : {Uint128(0), Uint128(1), Uint128(9), Uint128(10), Uint128(99)}) {
      if (p > d) magnitudes.push_back(p - d);
      magnitudes.push_back(p + d);
    }
  }
  Uint128 two64 = Uint128(1) << 64;
  for (Uint128 d = 0; d < 12; ++d) magnitudes.push_back(two64 - 6 + d);
  magnitudes.push_back(123456789012345678ull);
  Uint128 limit = p / 10;  // 10^38
  for (Uint128 m : magnitudes) {
    if (m >= limit) continue;
    for (int scale : {0, 1, 2, 5, 19, 20, 38}) {
      for (int sign : {1, -1}) {
        Int128 c = static_cast<Int128>(m) * sign;
        auto d = Decimal::FromParts(c, scale);
        REQUIRE(d.ok());
        CHECK(d->ToString() == reference(c, scale));
      }
    }
  }
}

// Parse at the edges of 64 and 128 bits: numbers either side of 19 digits and of 2^64,
// leading zeros past them (they are not significant digits), 38 digits and 39.
TEST_CASE("decimal: parse across the 19th digit") {
  CHECK(D("1234567890123456789").ToString() == "1234567890123456789");
  CHECK(D("12345678901234567890").ToString() == "12345678901234567890");
  CHECK(D("9999999999999999999.9").ToString() == "9999999999999999999.9");
  CHECK(D("-18446744073709551616").ToString() == "-18446744073709551616");
  CHECK(D("0.00000000000000000001").ToString() == "0.00000000000000000001");
  std::string zeros(30, '0');
  CHECK(D((zeros + "5").c_str()).ToString() == "5");
  CHECK(D((zeros + "12345678901234567890123456789012345678").c_str()).ToString() ==
        "12345678901234567890123456789012345678");
  CHECK(D(("0." + zeros + "12345678").c_str()).Scale() == 38);
  std::string d38(38, '9');
  CHECK(D(d38.c_str()).ToString() == d38);
  CHECK(Decimal::Parse(d38 + "9").error() == Errc::kOverflow);
  CHECK(Decimal::Parse(zeros + d38 + "9").error() == Errc::kOverflow);
  CHECK(D((zeros + d38).c_str()).ToString() == d38);
  CHECK(D("12345678901234567890e3").ToString() == "12345678901234567890000");
}
