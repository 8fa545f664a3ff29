// Implements Decimal (decimal.h): 128-bit coefficient arithmetic, with a small 256-bit unsigned
// integer for exact products and for division, so that no intermediate result loses digits.
#include "runtime/decimal/decimal.h"

#include <array>
#include <charconv>
#include <cstring>

namespace crmx::decimal {

namespace {

constexpr Uint128 Pow10(int n) {
  Uint128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

constexpr std::array<Uint128, 39> kPow10 = [] {
  std::array<Uint128, 39> a{};
  for (int i = 0; i <= 38; ++i) a[static_cast<size_t>(i)] = Pow10(i);
  return a;
}();

// 10^38: coefficients stay strictly below it.
constexpr Uint128 kLimit = kPow10[38];

Uint128 Magnitude(Int128 v) { return v < 0 ? Uint128(0) - static_cast<Uint128>(v) : static_cast<Uint128>(v); }

// A 256-bit unsigned integer, little-endian 64-bit limbs. Only what Decimal needs.
struct U256 {
  std::array<uint64_t, 4> limb{};

  static U256 From(Uint128 v) {
    U256 r;
    r.limb[0] = static_cast<uint64_t>(v);
    r.limb[1] = static_cast<uint64_t>(v >> 64);
    return r;
  }
  bool IsZero() const { return (limb[0] | limb[1] | limb[2] | limb[3]) == 0; }
  bool FitsU128() const { return limb[2] == 0 && limb[3] == 0; }
  Uint128 Low() const { return (static_cast<Uint128>(limb[1]) << 64) | limb[0]; }

  // this * m; false on overflow past 256 bits.
  bool MulSmall(Uint128 m, U256* out) const {
    const uint64_t ml[2] = {static_cast<uint64_t>(m), static_cast<uint64_t>(m >> 64)};
    std::array<uint64_t, 6> acc{};
    for (size_t i = 0; i < 4; ++i) {
      Uint128 carry = 0;
      for (size_t j = 0; j < 2; ++j) {
        Uint128 cur = static_cast<Uint128>(limb[i]) * ml[j] + acc[i + j] + carry;
        acc[i + j] = static_cast<uint64_t>(cur);
        carry = cur >> 64;
      }
      size_t k = i + 2;
      while (carry != 0 && k < acc.size()) {
        Uint128 cur = static_cast<Uint128>(acc[k]) + carry;
        acc[k] = static_cast<uint64_t>(cur);
        carry = cur >> 64;
        ++k;
      }
    }
    if (acc[4] != 0 || acc[5] != 0) return false;
    for (size_t i = 0; i < 4; ++i) out->limb[i] = acc[i];
    return true;
  }

  bool Bit(int i) const { return (limb[static_cast<size_t>(i / 64)] >> (i % 64)) & 1U; }
  void SetBit(int i) { limb[static_cast<size_t>(i / 64)] |= uint64_t{1} << (i % 64); }

  // Quotient and remainder by d (0 < d < 2^127, so that the running remainder fits).
  U256 DivRem(Uint128 d, Uint128* rem) const {
    U256 q;
    Uint128 r = 0;
    for (int i = 255; i >= 0; --i) {
      r = (r << 1) | (Bit(i) ? 1 : 0);
      if (r >= d) {
        r -= d;
        q.SetBit(i);
      }
    }
    *rem = r;
    return q;
  }

  friend bool operator<(const U256& a, const U256& b) {
    for (size_t i = 4; i-- > 0;) {
      if (a.limb[i] != b.limb[i]) return a.limb[i] < b.limb[i];
    }
    return false;
  }
  friend bool operator==(const U256& a, const U256& b) { return a.limb == b.limb; }
};

// x * 10^n with n up to 76; false on overflow.
bool MulPow10(U256 x, int n, U256* out) {
  while (n > 0) {
    int step = n > 38 ? 38 : n;
    if (!x.MulSmall(kPow10[static_cast<size_t>(step)], &x)) return false;
    n -= step;
  }
  *out = x;
  return true;
}

// How a discarded remainder compares to half of one unit of the last kept digit.
enum class Tail { kZero, kBelowHalf, kHalf, kAboveHalf };

Uint128 ApplyRounding(Uint128 q, Tail tail, Rounding rounding) {
  switch (rounding) {
    case Rounding::kDown: return q;
    case Rounding::kHalfUp: return (tail == Tail::kHalf || tail == Tail::kAboveHalf) ? q + 1 : q;
    case Rounding::kHalfEven:
      if (tail == Tail::kAboveHalf) return q + 1;
      if (tail == Tail::kHalf) return (q & 1) ? q + 1 : q;
      return q;
  }
  return q;
}

// Compares remainder r of a division by d with d/2; `sticky` says a further, smaller remainder
// was discarded before.
Tail TailOf(Uint128 r, Uint128 d, bool sticky) {
  if (r == 0) return sticky ? Tail::kBelowHalf : Tail::kZero;
  // 2r may not fit when d is close to 2^127: compare r with d - r instead.
  Uint128 other = d - r;
  if (r < other) return Tail::kBelowHalf;
  if (r > other) return Tail::kAboveHalf;
  return sticky ? Tail::kAboveHalf : Tail::kHalf;
}

// Magnitude and sign into a Decimal, checking the 38-digit limit.
DecimalResult<Decimal> Make(Uint128 magnitude, bool negative, int scale) {
  if (magnitude >= kLimit) return Errc::kOverflow;
  if (scale < 0 || scale > Decimal::kMaxScale) return Errc::kOverflow;
  Int128 c = static_cast<Int128>(magnitude);
  return Decimal::FromParts(negative ? -c : c, scale);
}

// magnitude / 10^k (k <= 38) rounded.
Uint128 DivPow10Rounded(Uint128 magnitude, int k, Rounding rounding, bool sticky = false) {
  if (k == 0) return magnitude;
  Uint128 d = kPow10[static_cast<size_t>(k)];
  return ApplyRounding(magnitude / d, TailOf(magnitude % d, d, sticky), rounding);
}

// A 256-bit magnitude divided by 10^k (k up to 76), rounded; false when the result does not fit
// 128 bits.
bool DivPow10Rounded256(U256 x, int k, Rounding rounding, Uint128* out) {
  bool sticky = false;
  // Divide by 10^(k-1) exactly (in steps), remembering whether anything nonzero was dropped;
  // the last digit then decides the rounding together with the sticky bit.
  int rest = k;
  while (rest > 38) {
    Uint128 r = 0;
    x = x.DivRem(kPow10[38], &r);
    sticky = sticky || r != 0;
    rest -= 38;
  }
  if (rest > 0) {
    Uint128 d = kPow10[static_cast<size_t>(rest)];
    Uint128 r = 0;
    U256 q = x.DivRem(d, &r);
    if (!q.FitsU128()) return false;
    *out = ApplyRounding(q.Low(), TailOf(r, d, sticky), rounding);
    return true;
  }
  if (!x.FitsU128()) return false;
  *out = x.Low();
  return true;
}

}  // namespace

std::string_view Reason(Errc errc) {
  switch (errc) {
    case Errc::kInvalid: return "not a decimal number";
    case Errc::kOverflow: return "decimal overflow (more than 38 digits or a scale above 38)";
    case Errc::kDivideByZero: return "division by zero";
    case Errc::kNotFinite: return "not a finite number";
    case Errc::kBadScale: return "scale outside 0..38";
  }
  return "decimal error";
}

Decimal Decimal::FromInt(int64_t value) { return Decimal(value, 0); }

DecimalResult<Decimal> Decimal::FromParts(Int128 coefficient, int scale) {
  if (scale < 0 || scale > kMaxScale) return Errc::kBadScale;
  if (Magnitude(coefficient) >= kLimit) return Errc::kOverflow;
  return Decimal(coefficient, scale);
}

DecimalResult<Decimal> Decimal::Parse(std::string_view text) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  Uint128 coefficient = 0;
  int digits = 0;
  int fraction = 0;
  bool any = false;
  bool point = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    any = true;
    if (point) ++fraction;
    if (coefficient != 0 || c != '0') ++digits;
    if (digits > kMaxDigits) return Errc::kOverflow;
    coefficient = coefficient * 10 + static_cast<Uint128>(c - '0');
  }
  if (!any) return Errc::kInvalid;
  int exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      exp_negative = text[i] == '-';
      ++i;
    }
    size_t start = i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (exponent > 1000) return Errc::kOverflow;
      exponent = exponent * 10 + (text[i] - '0');
    }
    if (i == start) return Errc::kInvalid;
    if (exp_negative) exponent = -exponent;
  }
  if (i != text.size()) return Errc::kInvalid;
  int scale = fraction - exponent;
  if (scale < 0) {
    if (coefficient != 0) {
      if (-scale > kMaxDigits) return Errc::kOverflow;
      U256 scaled;
      if (!MulPow10(U256::From(coefficient), -scale, &scaled) || !scaled.FitsU128()) return Errc::kOverflow;
      coefficient = scaled.Low();
    }
    scale = 0;
  }
  if (scale > kMaxScale) return Errc::kOverflow;
  return Make(coefficient, negative, scale);
}

DecimalResult<Decimal> Decimal::FromDouble(double value) {
  if (value != value || value - value != 0) return Errc::kNotFinite;
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) return Errc::kInvalid;
  return Parse(std::string_view(buf, static_cast<size_t>(end - buf)));
}

int Decimal::Digits() const {
  Uint128 m = Magnitude(coefficient_);
  int n = 1;
  while (n < 39 && m >= kPow10[static_cast<size_t>(n)]) ++n;
  return n;
}

char* Decimal::ToChars(char* first) const {
  // The digits, from the last, into the end of `digits` (16 bytes spare after them: the copies
  // below move whole 16-byte blocks).
  char digits[48 + 16];
  char* const end = digits + 48;
  std::memset(end, '0', 16);  // copied past the digits, never past the end returned
  char* d = end;
  Uint128 m = Magnitude(coefficient_);
  // Past 64 bits, one digit at a time in 128 bits (a library call per division); below, two
  // at a time in 64 bits, which the compiler turns into multiplications (money is that size).
  while (m > UINT64_MAX) {
    *--d = static_cast<char>('0' + static_cast<int>(m % 10));
    m /= 10;
  }
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  uint64_t u = static_cast<uint64_t>(m);
  while (u >= 100) {
    d -= 2;
    std::memcpy(d, kPairs + (u % 100) * 2, 2);
    u /= 100;
  }
  if (u >= 10) {
    d -= 2;
    std::memcpy(d, kPairs + u * 2, 2);
  } else {
    *--d = static_cast<char>('0' + u);
  }
  const size_t scale = static_cast<size_t>(scale_);
  while (static_cast<size_t>(end - d) < scale + 1) *--d = '0';  // "0.05": a digit before the point
  const size_t whole = static_cast<size_t>(end - d) - scale;
  char* out = first;
  if (coefficient_ < 0) *out++ = '-';
  // Up to 16 digits each side of the point (money) as one block each: out + 16 stays within
  // the kMaxChars the caller gave (sign + 16 + point + 16), d + 16 within `digits`.
  auto copy = [](char* to, const char* from, size_t n) {
    if (n <= 16) std::memcpy(to, from, 16);
    else std::memcpy(to, from, n);
    return to + n;
  };
  out = copy(out, d, whole);
  if (scale > 0) {
    *out++ = '.';
    out = copy(out, d + whole, scale);
  }
  return out;
}

std::string Decimal::ToString() const {
  char buf[kMaxChars];
  char* end = ToChars(buf);
  return std::string(buf, end);
}

double Decimal::ToDouble() const {
  char buf[kMaxChars];
  char* end = ToChars(buf);
  double d = 0;
  std::from_chars(buf, end, d);
  return d;
}

DecimalResult<int64_t> Decimal::ToInt64() const {
  Int128 v = coefficient_ / static_cast<Int128>(kPow10[static_cast<size_t>(scale_)]);
  if (v > INT64_MAX || v < INT64_MIN) return Errc::kOverflow;
  return static_cast<int64_t>(v);
}

DecimalResult<Decimal> Decimal::Add(const Decimal& other) const {
  int scale = scale_ > other.scale_ ? scale_ : other.scale_;
  Int128 a = coefficient_;
  Int128 b = other.coefficient_;
  // Both magnitudes are below 10^38 < 2^127, and scaling one by 10^k for k <= 38 may overflow:
  // __builtin_mul_overflow catches it.
  if (scale != scale_ && __builtin_mul_overflow(a, static_cast<Int128>(kPow10[static_cast<size_t>(scale - scale_)]), &a)) {
    return Errc::kOverflow;
  }
  if (scale != other.scale_ &&
      __builtin_mul_overflow(b, static_cast<Int128>(kPow10[static_cast<size_t>(scale - other.scale_)]), &b)) {
    return Errc::kOverflow;
  }
  Int128 sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return Errc::kOverflow;
  return FromParts(sum, scale);
}

DecimalResult<Decimal> Decimal::Sub(const Decimal& other) const { return Add(other.Negate()); }

DecimalResult<Decimal> Decimal::Mul(const Decimal& other) const {
  U256 product;
  U256::From(Magnitude(coefficient_)).MulSmall(Magnitude(other.coefficient_), &product);
  bool negative = (coefficient_ < 0) != (other.coefficient_ < 0);
  int scale = scale_ + other.scale_;
  // Drop trailing zeros of the fraction only when the exact product would not fit otherwise.
  while ((!product.FitsU128() || product.Low() >= kLimit || scale > kMaxScale) && scale > 0) {
    Uint128 r = 0;
    U256 q = product.DivRem(10, &r);
    if (r != 0) break;
    product = q;
    --scale;
  }
  if (!product.FitsU128() || scale > kMaxScale) return Errc::kOverflow;
  return Make(product.Low(), negative && !product.IsZero(), scale);
}

DecimalResult<Decimal> Decimal::MulRounded(const Decimal& other, int scale, Rounding rounding) const {
  if (scale < 0 || scale > kMaxScale) return Errc::kBadScale;
  U256 product;
  U256::From(Magnitude(coefficient_)).MulSmall(Magnitude(other.coefficient_), &product);
  bool negative = (coefficient_ < 0) != (other.coefficient_ < 0);
  int product_scale = scale_ + other.scale_;
  Uint128 magnitude = 0;
  if (scale >= product_scale) {
    U256 scaled;
    if (!MulPow10(product, scale - product_scale, &scaled) || !scaled.FitsU128()) return Errc::kOverflow;
    magnitude = scaled.Low();
  } else if (!DivPow10Rounded256(product, product_scale - scale, rounding, &magnitude)) {
    return Errc::kOverflow;
  }
  return Make(magnitude, negative && magnitude != 0, scale);
}

DecimalResult<Decimal> Decimal::Div(const Decimal& other, int scale, Rounding rounding) const {
  if (scale < 0 || scale > kMaxScale) return Errc::kBadScale;
  if (other.coefficient_ == 0) return Errc::kDivideByZero;
  bool negative = (coefficient_ < 0) != (other.coefficient_ < 0);
  Uint128 divisor = Magnitude(other.coefficient_);
  // result = a.c * 10^e / b.c with e = scale + b.scale - a.scale.
  int e = scale + other.scale_ - scale_;
  Uint128 magnitude = 0;
  if (e >= 0) {
    U256 numerator;
    if (!MulPow10(U256::From(Magnitude(coefficient_)), e, &numerator)) return Errc::kOverflow;
    Uint128 r = 0;
    U256 q = numerator.DivRem(divisor, &r);
    if (!q.FitsU128()) return Errc::kOverflow;
    magnitude = ApplyRounding(q.Low(), TailOf(r, divisor, false), rounding);
  } else {
    // Divide by b.c first, then by 10^-e (at most 10^38), carrying the first remainder as a
    // sticky bit into the rounding.
    Uint128 a = Magnitude(coefficient_);
    Uint128 q1 = a / divisor;
    Uint128 r1 = a % divisor;
    magnitude = DivPow10Rounded(q1, -e, rounding, r1 != 0);
  }
  return Make(magnitude, negative && magnitude != 0, scale);
}

Decimal Decimal::Negate() const { return Decimal(-coefficient_, scale_); }
Decimal Decimal::Abs() const { return Decimal(coefficient_ < 0 ? -coefficient_ : coefficient_, scale_); }

DecimalResult<Decimal> Decimal::Round(int scale, Rounding rounding) const {
  if (scale < 0 || scale > kMaxScale) return Errc::kBadScale;
  if (scale >= scale_) {
    Int128 c = 0;
    if (__builtin_mul_overflow(coefficient_, static_cast<Int128>(kPow10[static_cast<size_t>(scale - scale_)]), &c)) {
      return Errc::kOverflow;
    }
    return FromParts(c, scale);
  }
  Uint128 m = DivPow10Rounded(Magnitude(coefficient_), scale_ - scale, rounding);
  return Make(m, coefficient_ < 0 && m != 0, scale);
}

Decimal Decimal::Normalize() const {
  Int128 c = coefficient_;
  int s = scale_;
  while (s > 0 && c % 10 == 0) {
    c /= 10;
    --s;
  }
  return Decimal(c, s);
}

std::strong_ordering operator<=>(const Decimal& a, const Decimal& b) {
  int sa = a.Sign();
  int sb = b.Sign();
  if (sa != sb) return sa <=> sb;
  if (sa == 0) return std::strong_ordering::equal;
  int scale = a.scale_ > b.scale_ ? a.scale_ : b.scale_;
  U256 ma;
  U256 mb;
  MulPow10(U256::From(Magnitude(a.coefficient_)), scale - a.scale_, &ma);
  MulPow10(U256::From(Magnitude(b.coefficient_)), scale - b.scale_, &mb);
  std::strong_ordering m = ma == mb ? std::strong_ordering::equal : ma < mb ? std::strong_ordering::less : std::strong_ordering::greater;
  if (sa > 0) return m;
  return 0 <=> m;
}

}  // namespace crmx::decimal
