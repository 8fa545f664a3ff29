// Defines std.money: rounding of exact decimals and currency conversion with a rate table.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "runtime/decimal/decimal.h"
#include "runtime/stdlib/result.h"

namespace crmx::stdlib {

// `amount` rounded to `scale` places, ties away from zero (2.345 -> 2.35, -2.345 -> -2.35),
// or padded with zeros when `scale` is larger than the amount's. Fails on a scale outside
// 0..38 and beyond 38 digits.
Result<decimal::Decimal> Round(const decimal::Decimal& amount, int64_t scale,
                               decimal::Rounding rounding = decimal::Rounding::kHalfUp);

// A rate table: ISO currency code -> units of that currency per one unit of the table's base
// currency (the ECB convention: {"EUR": 1, "USD": 1.0856, "GBP": 0.8541} has base EUR). The
// base need not be in the table explicitly, but then it cannot be converted from or to.
using RateTable = std::map<std::string, decimal::Decimal, std::less<>>;

// `amount` in currency `from` expressed in currency `to`: amount * rates[to] / rates[from],
// computed exactly, rounded half up to 10 decimal places, trailing zeros removed (108.56, not
// 108.5600000000; `round(x, 2)` then gives cents).
// The same currency returns the amount unchanged, without a rate. Codes are compared in upper
// case. Fails: "no exchange rate for `JPY`", "the exchange rate for `X` is not positive",
// and on overflow.
Result<decimal::Decimal> Convert(const decimal::Decimal& amount, std::string_view from, std::string_view to,
                                 const RateTable& rates);

// The number of decimal places convert() keeps.
inline constexpr int kConvertScale = 10;

}  // namespace crmx::stdlib
