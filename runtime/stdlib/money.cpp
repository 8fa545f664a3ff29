// Implements std.money (money.h).
#include "runtime/stdlib/money.h"

namespace crmx::stdlib {

using decimal::Decimal;

Result<Decimal> Round(const Decimal& amount, int64_t scale, decimal::Rounding rounding) {
  if (scale < 0 || scale > Decimal::kMaxScale) {
    return Fail("round: scale " + std::to_string(scale) + " is outside 0..38");
  }
  auto r = amount.Round(static_cast<int>(scale), rounding);
  if (!r) return Fail("round: " + std::string(r.reason()));
  return *r;
}

namespace {

std::string UpperCode(std::string_view code) {
  std::string out;
  for (char c : code) out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  return out;
}

Result<Decimal> RateOf(const std::string& code, const RateTable& rates) {
  auto it = rates.find(code);
  if (it == rates.end()) return Fail("no exchange rate for " + Quote(code));
  if (it->second.Sign() <= 0) return Fail("the exchange rate for " + Quote(code) + " is not positive");
  return it->second;
}

}  // namespace

Result<Decimal> Convert(const Decimal& amount, std::string_view from, std::string_view to, const RateTable& rates) {
  std::string source = UpperCode(from);
  std::string target = UpperCode(to);
  if (source == target) return amount;
  auto from_rate = RateOf(source, rates);
  if (!from_rate) return from_rate;
  auto to_rate = RateOf(target, rates);
  if (!to_rate) return to_rate;
  // amount * to / from in one rounding: the exact product, then the division at a scale that
  // keeps the quotient exact to kConvertScale places before the final rounding.
  auto product = amount.Mul(*to_rate);
  if (!product) return Fail("convert: " + std::string(product.reason()));
  auto result = product->Div(*from_rate, kConvertScale, decimal::Rounding::kHalfUp);
  if (!result) return Fail("convert: " + std::string(result.reason()));
  return result->Normalize();
}

}  // namespace crmx::stdlib
