// Implements std.text (text.h) with ICU's code point properties and RE2.
#include "runtime/stdlib/text.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <charconv>
#include <cmath>
#include <memory>
#include <re2/re2.h>
#include <unordered_map>

namespace crmx::stdlib {

namespace {

// Steps over one code point starting at `i`; returns it (U+FFFD for ill-formed bytes).
UChar32 Next(std::string_view s, size_t* i) {
  int32_t pos = static_cast<int32_t>(*i);
  int32_t len = static_cast<int32_t>(s.size());
  UChar32 c = 0;
  U8_NEXT(reinterpret_cast<const uint8_t*>(s.data()), pos, len, c);
  *i = static_cast<size_t>(pos);
  return c < 0 ? 0xFFFD : c;
}

void Append(std::string* out, UChar32 c) {
  char buf[4];
  int32_t n = 0;
  UBool error = false;
  U8_APPEND(reinterpret_cast<uint8_t*>(buf), n, 4, c, error);
  if (!error) out->append(buf, static_cast<size_t>(n));
}

template <class Map>
std::string MapCase(std::string_view text, Map map) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    int32_t pos = static_cast<int32_t>(i);
    UChar32 c = 0;
    U8_NEXT(reinterpret_cast<const uint8_t*>(text.data()), pos, static_cast<int32_t>(text.size()), c);
    i = static_cast<size_t>(pos);
    // Ill-formed bytes are kept as they are.
    if (c < 0) {
      out.append(text.substr(start, i - start));
    } else {
      Append(&out, map(c));
    }
  }
  return out;
}

}  // namespace

std::string Quote(std::string_view text) {
  constexpr int kMax = 60;
  // At most kMax bytes are at most kMax characters: all of the text, without counting.
  if (text.size() <= static_cast<size_t>(kMax)) {
    std::string out;
    out.reserve(text.size() + 2);
    out.append(1, '`').append(text).append(1, '`');
    return out;
  }
  size_t i = 0;
  int n = 0;
  while (i < text.size() && n < kMax) {
    Next(text, &i);
    ++n;
  }
  std::string out = "`";
  out.append(text.substr(0, i));
  if (i < text.size()) out.append("…");
  out.append("`");
  return out;
}

std::string Trim(std::string_view text) { return std::string(TrimView(text)); }

std::string_view TrimView(std::string_view text) {
  // Fast path: ASCII at both ends (the ASCII characters with White_Space are \t \n \v \f \r and
  // space). Anything else takes the Unicode scan below.
  auto ascii_space = [](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  size_t b = 0, e = text.size();
  while (b < e && static_cast<unsigned char>(text[b]) < 0x80 && ascii_space(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && static_cast<unsigned char>(text[e - 1]) < 0x80 && ascii_space(static_cast<unsigned char>(text[e - 1]))) --e;
  if ((b == e || static_cast<unsigned char>(text[b]) < 0x80) && (e == b || static_cast<unsigned char>(text[e - 1]) < 0x80))
    return text.substr(b, e - b);
  size_t begin = 0;
  while (begin < text.size()) {
    size_t next = begin;
    if (!u_isUWhiteSpace(Next(text, &next))) break;
    begin = next;
  }
  size_t end = begin;
  size_t i = begin;
  while (i < text.size()) {
    if (!u_isUWhiteSpace(Next(text, &i))) end = i;
  }
  return text.substr(begin, end - begin);
}

std::string Upper(std::string_view text) { return MapCase(text, [](UChar32 c) { return u_toupper(c); }); }
std::string Lower(std::string_view text) { return MapCase(text, [](UChar32 c) { return u_tolower(c); }); }

std::string Truncate(std::string_view text, int64_t max_code_points) {
  size_t i = 0;
  for (int64_t n = 0; n < max_code_points && i < text.size(); ++n) Next(text, &i);
  return std::string(text.substr(0, i));
}

std::string Replace(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  if (from.empty()) {
    size_t i = 0;
    out.append(to);
    while (i < text.size()) {
      size_t start = i;
      Next(text, &i);
      out.append(text.substr(start, i - start));
      out.append(to);
    }
    return out;
  }
  size_t pos = 0;
  while (true) {
    size_t hit = text.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

std::vector<std::string_view> SplitViews(std::string_view text, std::string_view separator) {
  std::vector<std::string_view> parts;
  if (separator.empty()) {
    size_t i = 0;
    while (i < text.size()) {
      size_t start = i;
      Next(text, &i);
      parts.push_back(text.substr(start, i - start));
    }
    return parts;
  }
  size_t pos = 0;
  while (true) {
    size_t hit = text.find(separator, pos);
    if (hit == std::string_view::npos) break;
    parts.push_back(text.substr(pos, hit - pos));
    pos = hit + separator.size();
  }
  parts.push_back(text.substr(pos));
  return parts;
}

std::vector<std::string> Split(std::string_view text, std::string_view separator) {
  std::vector<std::string> parts;
  for (std::string_view p : SplitViews(text, separator)) parts.emplace_back(p);
  return parts;
}

std::string Join(std::span<const std::string> parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.append(separator);
    out.append(parts[i]);
  }
  return out;
}

namespace {

// The compiled `pattern`, from a small per-thread cache (the same few patterns run for every
// record); null with `error` set when it is not a valid RE2 expression.
const RE2* Compiled(std::string_view pattern, std::string& error) {
  thread_local std::unordered_map<std::string, std::unique_ptr<RE2>> cache;
  auto it = cache.find(std::string(pattern));
  if (it == cache.end()) {
    if (cache.size() >= 64) cache.clear();
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
    it = cache.emplace(std::string(pattern), std::move(re)).first;
  }
  const RE2& re = *it->second;
  if (!re.ok()) {
    error = "invalid regular expression " + Quote(pattern) + ": " + re.error();
    return nullptr;
  }
  return &re;
}

}  // namespace

Result<bool> Matches(std::string_view text, std::string_view pattern) {
  std::string error;
  const RE2* re = Compiled(pattern, error);
  if (re == nullptr) return Fail(error);
  return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *re);
}

std::string Digits(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c >= '0' && c <= '9') out += c;
  }
  return out;
}

Result<std::string> ReReplace(std::string_view text, std::string_view pattern, std::string_view replacement) {
  std::string error;
  const RE2* re = Compiled(pattern, error);
  if (re == nullptr) return Fail(error);
  re2::StringPiece rewrite(replacement.data(), replacement.size());
  if (!re->CheckRewriteString(rewrite, &error)) {
    return Fail("invalid replacement " + Quote(replacement) + " for " + Quote(pattern) + ": " + error);
  }
  std::string out(text);
  RE2::GlobalReplace(&out, *re, rewrite);
  return out;
}

Result<std::string> ReExtract(std::string_view text, std::string_view pattern) {
  std::string error;
  const RE2* re = Compiled(pattern, error);
  if (re == nullptr) return Fail(error);
  re2::StringPiece input(text.data(), text.size());
  re2::StringPiece groups[2];
  int n = re->NumberOfCapturingGroups() > 0 ? 2 : 1;
  if (!re->Match(input, 0, input.size(), RE2::UNANCHORED, groups, n)) {
    return Fail(Quote(text) + " does not match " + Quote(pattern));
  }
  const re2::StringPiece& got = groups[n - 1];
  if (got.data() == nullptr) return Fail("the first group of " + Quote(pattern) + " took no part in the match of " + Quote(text));
  return std::string(got.data(), got.size());
}

namespace {

// CEL's string(double): Go's strconv.FormatFloat(v, 'g', -1, 64): shortest digits, exponent
// form when the decimal exponent is below -4 or at least 6 (1e+06, 123456).
std::string DoubleText(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  size_t e = sci.find('e');
  int exponent = std::stoi(sci.substr(e + 1));
  if (exponent < -4 || exponent >= 6) {
    // Go writes at least two exponent digits: 1e+06, 1e-07.
    std::string mantissa = sci.substr(0, e);
    char sign = exponent < 0 ? '-' : '+';
    int a = exponent < 0 ? -exponent : exponent;
    std::string digits = std::to_string(a);
    if (digits.size() < 2) digits = "0" + digits;
    return mantissa + "e" + sign + digits;
  }
  r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

std::string IntegerText(uint64_t magnitude, bool negative, int base, bool upper_case) {
  char buf[80];
  auto r = std::to_chars(buf, buf + sizeof buf, magnitude, base);
  std::string s(buf, r.ptr);
  if (upper_case) {
    for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
  }
  return negative ? "-" + s : s;
}

const char* KindName(const FormatArg& arg) {
  switch (arg.index()) {
    case 0: return "null";
    case 1: return "a bool";
    case 2: return "an int";
    case 3: return "a uint";
    case 4: return "a double";
    case 5: return "a decimal";
    case 6: return "a string";
    case 7: return "a date";
    case 8: return "a datetime";
  }
  return "a value";
}

// %f and %e of a number with `precision` places.
Result<std::string> FixedText(const FormatArg& arg, int precision, char verb) {
  if (const auto* d = std::get_if<decimal::Decimal>(&arg); d && verb == 'f') {
    auto r = d->Round(precision, decimal::Rounding::kHalfUp);
    if (!r) return Fail(std::string("format: ") + std::string(r.reason()));
    return r->ToString();
  }
  double v = 0;
  if (const auto* d = std::get_if<double>(&arg)) {
    v = *d;
  } else if (const auto* i = std::get_if<int64_t>(&arg)) {
    v = static_cast<double>(*i);
  } else if (const auto* u = std::get_if<uint64_t>(&arg)) {
    v = static_cast<double>(*u);
  } else if (const auto* dec = std::get_if<decimal::Decimal>(&arg)) {
    v = dec->ToDouble();
  } else {
    return Fail(std::string("format: `%") + verb + "` needs a number, got " + KindName(arg));
  }
  if (std::isnan(v)) return std::string("NaN");
  if (std::isinf(v)) return std::string(v > 0 ? "Infinity" : "-Infinity");
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof buf, v,
                         verb == 'f' ? std::chars_format::fixed : std::chars_format::scientific, precision);
  if (r.ec != std::errc()) return Fail("format: number too long");
  // C++ writes exponents as C and Go do (1.5e+06).
  return std::string(buf, r.ptr);
}

}  // namespace

std::string ToText(const FormatArg& arg) {
  switch (arg.index()) {
    case 0: return "null";
    case 1: return std::get<bool>(arg) ? "true" : "false";
    case 2: return std::to_string(std::get<int64_t>(arg));
    case 3: return std::to_string(std::get<uint64_t>(arg));
    case 4: return DoubleText(std::get<double>(arg));
    case 5: return std::get<decimal::Decimal>(arg).ToString();
    case 6: return std::string(std::get<std::string_view>(arg));
    case 7: {
      auto r = FormatDate(std::get<Date>(arg), "%Y-%m-%d");
      return r ? *r : std::string();
    }
    case 8: return TimestampText(std::get<DateTime>(arg));
  }
  return {};
}

Result<std::string> Format(std::string_view format, std::span<const FormatArg> args) {
  std::string out;
  size_t next_arg = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (++i >= format.size()) return Fail("format: the format ends inside a `%` directive");
    if (format[i] == '%') {
      out.push_back('%');
      continue;
    }
    int precision = -1;
    if (format[i] == '.') {
      precision = 0;
      size_t start = ++i;
      while (i < format.size() && format[i] >= '0' && format[i] <= '9' && i - start < 3) {
        precision = precision * 10 + (format[i] - '0');
        ++i;
      }
      if (i == start || i >= format.size()) return Fail("format: a precision needs digits and a verb, as in `%.2f`");
    }
    char verb = format[i];
    if (std::string_view("sdfexXob").find(verb) == std::string_view::npos) {
      return Fail(std::string("format: unknown directive `%") + verb + "`");
    }
    if (precision >= 0 && verb != 'f' && verb != 'e') {
      return Fail(std::string("format: a precision is only allowed with `%f` and `%e`, not `%") + verb + "`");
    }
    if (next_arg >= args.size()) {
      return Fail("format: too few arguments: the format needs more than " + std::to_string(args.size()));
    }
    const FormatArg& arg = args[next_arg++];
    switch (verb) {
      case 's': out += ToText(arg); break;
      case 'd':
        if (const auto* v = std::get_if<int64_t>(&arg)) {
          out += std::to_string(*v);
        } else if (const auto* u = std::get_if<uint64_t>(&arg)) {
          out += std::to_string(*u);
        } else {
          return Fail(std::string("format: `%d` needs an integer, got ") + KindName(arg));
        }
        break;
      case 'f':
      case 'e': {
        auto r = FixedText(arg, precision < 0 ? 6 : precision, verb);
        if (!r) return r;
        out += *r;
        break;
      }
      case 'x':
      case 'X':
      case 'o':
      case 'b': {
        int base = verb == 'o' ? 8 : verb == 'b' ? 2 : 16;
        if (const auto* v = std::get_if<int64_t>(&arg)) {
          uint64_t m = *v < 0 ? uint64_t(0) - static_cast<uint64_t>(*v) : static_cast<uint64_t>(*v);
          out += IntegerText(m, *v < 0, base, verb == 'X');
        } else if (const auto* u = std::get_if<uint64_t>(&arg)) {
          out += IntegerText(*u, false, base, verb == 'X');
        } else if (const auto* s = std::get_if<std::string_view>(&arg); s && base == 16) {
          static const char* kLower = "0123456789abcdef";
          static const char* kUpper = "0123456789ABCDEF";
          const char* digits = verb == 'X' ? kUpper : kLower;
          for (unsigned char b : *s) {
            out.push_back(digits[b >> 4]);
            out.push_back(digits[b & 15]);
          }
        } else {
          return Fail(std::string("format: `%") + verb + "` needs an integer" + (base == 16 ? " or a string" : "") +
                      ", got " + KindName(arg));
        }
        break;
      }
      default: return Fail(std::string("format: unknown directive `%") + verb + "`");
    }
  }
  if (next_arg < args.size()) {
    return Fail("format: too many arguments: the format uses " + std::to_string(next_arg) + " of " +
                std::to_string(args.size()));
  }
  return out;
}

}  // namespace crmx::stdlib
