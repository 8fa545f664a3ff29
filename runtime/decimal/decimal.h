// Defines `Decimal`, the exact decimal number of crmx (money, quantities, exchange rates), and
// `DecimalResult`, the value-or-error its fallible operations return.
//
// Representation: a signed 128-bit coefficient and a scale (digits after the point), the value
// being coefficient / 10^scale. At most 38 significant digits (|coefficient| < 10^38) and a
// scale of 0..38, the precision of SQL `DECIMAL(38, s)`, Salesforce currency fields (18) and
// NetSuite amounts. A Decimal keeps its scale: "1.50" stays "1.50" (`Scale()` is 2) and compares
// equal to "1.5".
//
// No operation allocates or throws: invalid text, overflow past 38 digits and division by zero
// are `DecimalResult` errors with a reason (`Reason()`).
//
// Rounding (`Round`, `Div`, `MulRounded`, `FromDouble`): `kHalfUp` rounds ties away from zero
// (2.345 -> 2.35, -2.345 -> -2.35: commercial rounding, what Salesforce and NetSuite do);
// `kHalfEven` rounds ties to the even digit (2.345 -> 2.34, 2.355 -> 2.36: banker's rounding);
// `kDown` truncates toward zero.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace crmx::decimal {

// GCC's 128-bit integers (`__extension__` keeps -Wpedantic quiet).
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 Uint128;

enum class Errc : uint8_t {
  kInvalid,       // text that is not a decimal number
  kOverflow,      // more than 38 digits, or a scale above 38
  kDivideByZero,
  kNotFinite,     // a double that is NaN or infinite
  kBadScale,      // a requested scale outside 0..38
};

// "not a decimal number", "decimal overflow (more than 38 digits)", ...
std::string_view Reason(Errc errc);

enum class Rounding : uint8_t { kHalfUp, kHalfEven, kDown };

// A value or an error code. `value()` on an error is a broken invariant (it aborts).
template <class T>
class [[nodiscard]] DecimalResult {
 public:
  DecimalResult(T value) : value_(value), ok_(true) {}       // NOLINT: implicit by design
  DecimalResult(Errc errc) : errc_(errc), ok_(false) {}      // NOLINT: implicit by design
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const T& value() const;
  const T& operator*() const { return value(); }
  const T* operator->() const { return &value(); }
  Errc error() const { return errc_; }
  std::string_view reason() const { return Reason(errc_); }

 private:
  T value_{};
  Errc errc_ = Errc::kInvalid;
  bool ok_;
};

class Decimal {
 public:
  static constexpr int kMaxDigits = 38;
  static constexpr int kMaxScale = 38;
  // The longest text ToChars writes: sign, 38 digits, point, leading "0." digits.
  static constexpr size_t kMaxChars = 1 + kMaxDigits + 2 + kMaxScale;

  // Zero with scale 0.
  constexpr Decimal() = default;

  // An integer (scale 0). Every int64 fits.
  static Decimal FromInt(int64_t value);
  // coefficient / 10^scale; fails when |coefficient| >= 10^38 or scale is outside 0..38.
  static DecimalResult<Decimal> FromParts(Int128 coefficient, int scale);
  // Decimal text: optional sign, digits with an optional point and fraction ("12", "-0.50",
  // "+3.", ".5"), an optional exponent ("1.5e3" is 1500, "15e-1" is 1.5). No spaces, no
  // thousands separators. The scale is the number of fraction digits written (after the
  // exponent: "1.50e1" is 15.0). Fails on anything else and above 38 digits.
  static DecimalResult<Decimal> Parse(std::string_view text);
  // The shortest decimal text that reads back as `value` ("0.1" for 0.1), so 0.1 is 0.1 and not
  // 0.1000000000000000055...; fails on NaN and infinities and beyond 38 digits.
  static DecimalResult<Decimal> FromDouble(double value);

  Int128 Coefficient() const { return coefficient_; }
  int Scale() const { return scale_; }
  bool IsZero() const { return coefficient_ == 0; }
  bool IsNegative() const { return coefficient_ < 0; }
  // -1, 0 or 1.
  int Sign() const { return coefficient_ < 0 ? -1 : coefficient_ > 0 ? 1 : 0; }
  // Digits of the coefficient (1 for zero).
  int Digits() const;

  // Plain notation with exactly Scale() fraction digits: "-1234.50", "0.05", "7". Never uses an
  // exponent.
  std::string ToString() const;
  // Writes the text of ToString into [first, first + kMaxChars); returns the end.
  char* ToChars(char* first) const;
  // The nearest double (correctly rounded from the exact text).
  double ToDouble() const;
  // The integer part (truncated toward zero) when it fits an int64.
  DecimalResult<int64_t> ToInt64() const;

  // Exact results; the scale of a sum is the larger scale, of a product the sum of the scales.
  // They fail on overflow (more than 38 digits or a product scale above 38).
  DecimalResult<Decimal> Add(const Decimal& other) const;
  DecimalResult<Decimal> Sub(const Decimal& other) const;
  DecimalResult<Decimal> Mul(const Decimal& other) const;
  // this * other, rounded to `scale` (the full product is computed exactly first, in 256 bits).
  DecimalResult<Decimal> MulRounded(const Decimal& other, int scale, Rounding rounding) const;
  // this / other, rounded to `scale`. Fails on a zero divisor and on overflow.
  DecimalResult<Decimal> Div(const Decimal& other, int scale, Rounding rounding) const;
  Decimal Negate() const;
  Decimal Abs() const;

  // The same value with `scale` fraction digits: rounding when fewer, padding with zeros when
  // more (which fails when the padded coefficient passes 38 digits).
  DecimalResult<Decimal> Round(int scale, Rounding rounding) const;
  // The same value with trailing fraction zeros removed ("1.500" -> "1.5", "2.00" -> "2").
  Decimal Normalize() const;

  // Numeric comparison across scales: 1.5 == 1.50, -0.0 == 0.
  friend std::strong_ordering operator<=>(const Decimal& a, const Decimal& b);
  friend bool operator==(const Decimal& a, const Decimal& b) { return (a <=> b) == 0; }
  // Same value and same scale ("1.5" and "1.50" differ).
  bool Identical(const Decimal& other) const {
    return coefficient_ == other.coefficient_ && scale_ == other.scale_;
  }

 private:
  constexpr Decimal(Int128 coefficient, int scale) : coefficient_(coefficient), scale_(scale) {}
  Int128 coefficient_ = 0;
  int scale_ = 0;
};

template <class T>
const T& DecimalResult<T>::value() const {
  if (!ok_) __builtin_trap();
  return value_;
}

}  // namespace crmx::decimal
