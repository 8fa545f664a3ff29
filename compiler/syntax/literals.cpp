// Defines literal decoding: CEL string escapes, integer and float parsing, durations.
#include "compiler/syntax/literals.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace crmx::syntax {

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

size_t Utf8SequenceLength(const std::string& s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) n = 2, cp = c & 0x1F;
  else if ((c & 0xF0) == 0xE0) n = 3, cp = c & 0x0F;
  else if ((c & 0xF8) == 0xF0) n = 4, cp = c & 0x07;
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;  // overlong
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

std::optional<LiteralError> DecodeString(std::string_view token, std::string& out) {
  out.clear();
  size_t i = 0;
  bool raw = false;
  bool bytes = false;
  while (i < token.size() && (token[i] == 'r' || token[i] == 'R' || token[i] == 'b' || token[i] == 'B')) {
    if (token[i] == 'r' || token[i] == 'R') raw = true;
    else bytes = true;
    ++i;
  }
  if (i >= token.size()) return LiteralError{0, static_cast<uint32_t>(token.size()), "empty string token"};
  char q = token[i];
  size_t quote_len = 1;
  if (token.substr(i, 3) == std::string(3, q) && token.size() - i >= 6) quote_len = 3;
  size_t begin = i + quote_len;
  size_t end = token.size();
  // A terminated literal ends with its quotes; an unterminated one (reported elsewhere) does not.
  if (end >= begin + quote_len && token.substr(end - quote_len, quote_len) == std::string(quote_len, q)) {
    end -= quote_len;
  }
  for (size_t p = begin; p < end;) {
    char c = token[p];
    if (c != '\\' || raw) {
      out += c;
      ++p;
      continue;
    }
    size_t esc = p;
    if (p + 1 >= end) {
      return LiteralError{static_cast<uint32_t>(esc), static_cast<uint32_t>(end), "a string cannot end with a lone `\\`"};
    }
    char e = token[p + 1];
    p += 2;
    switch (e) {
      case 'a': out += '\a'; continue;
      case 'b': out += '\b'; continue;
      case 'f': out += '\f'; continue;
      case 'n': out += '\n'; continue;
      case 'r': out += '\r'; continue;
      case 't': out += '\t'; continue;
      case 'v': out += '\v'; continue;
      case '"': case '\'': case '`': case '\\': case '?': out += e; continue;
      default: break;
    }
    uint32_t cp = 0;
    size_t digits = 0;
    int base = 16;
    if (e == 'x' || e == 'X') digits = 2;
    else if (e == 'u') digits = 4;
    else if (e == 'U') digits = 8;
    else if (e >= '0' && e <= '3') {
      digits = 2;
      base = 8;
      cp = static_cast<uint32_t>(e - '0');
    } else {
      return LiteralError{static_cast<uint32_t>(esc), static_cast<uint32_t>(p),
                          std::string("`\\") + e + "` is not an escape sequence"};
    }
    for (size_t k = 0; k < digits; ++k) {
      int v = p < end ? HexValue(token[p]) : -1;
      if (v < 0 || v >= base) {
        return LiteralError{static_cast<uint32_t>(esc), static_cast<uint32_t>(p < end ? p + 1 : end),
                            std::string("`\\") + e + "` needs " + std::to_string(base == 8 ? 3 : digits) +
                                (base == 8 ? " octal digits" : " hex digits")};
      }
      cp = cp * static_cast<uint32_t>(base) + static_cast<uint32_t>(v);
      ++p;
    }
    if (bytes && (e == 'x' || e == 'X' || base == 8)) {
      out += static_cast<char>(cp);
      continue;
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return LiteralError{static_cast<uint32_t>(esc), static_cast<uint32_t>(p),
                          "escape does not name a Unicode scalar value"};
    }
    AppendUtf8(out, cp);
  }
  return std::nullopt;
}

std::optional<int64_t> ParseInt(std::string_view token, bool negative) {
  uint64_t v = 0;
  int base = 10;
  size_t i = 0;
  if (token.size() > 2 && token[0] == '0' && (token[1] == 'x' || token[1] == 'X')) {
    base = 16;
    i = 2;
  }
  if (i >= token.size()) return std::nullopt;
  for (; i < token.size(); ++i) {
    int d = HexValue(token[i]);
    if (d < 0 || d >= base) return std::nullopt;
    if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) {
      return std::nullopt;
    }
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  constexpr uint64_t kMaxPos = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (v > kMaxPos + 1) return std::nullopt;
    if (v == kMaxPos + 1) return std::numeric_limits<int64_t>::min();
    return -static_cast<int64_t>(v);
  }
  if (v > kMaxPos) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<uint64_t> ParseUint(std::string_view token) {
  if (token.empty()) return std::nullopt;
  std::string_view digits = token.substr(0, token.size() - 1);
  uint64_t v = 0;
  int base = 10;
  size_t i = 0;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    i = 2;
  }
  if (i >= digits.size()) return std::nullopt;
  for (; i < digits.size(); ++i) {
    int d = HexValue(digits[i]);
    if (d < 0 || d >= base) return std::nullopt;
    if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) {
      return std::nullopt;
    }
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  return v;
}

std::optional<double> ParseDouble(std::string_view token) {
  std::string s(token);
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  // CEL: a literal too large for a double is an error, not infinity.
  if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL)) return std::nullopt;
  return d;
}

std::optional<int64_t> ParseDurationMs(std::string_view token) {
  size_t i = 0;
  while (i < token.size() && token[i] >= '0' && token[i] <= '9') ++i;
  std::string_view unit = token.substr(i);
  int64_t mult = 0;
  if (unit == "ms") mult = 1;
  else if (unit == "s") mult = 1000;
  else if (unit == "m") mult = 60'000;
  else if (unit == "h") mult = 3'600'000;
  else if (unit == "d") mult = 86'400'000;
  else return std::nullopt;
  auto n = ParseInt(token.substr(0, i), false);
  if (!n || *n > std::numeric_limits<int64_t>::max() / mult) return std::nullopt;
  return *n * mult;
}

}  // namespace crmx::syntax
