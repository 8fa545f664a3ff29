// Defines the JSON string writer of json_string.h.
#include "runtime/value/json_string.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace crmx::value {
namespace {

constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;

// Whether one of the eight bytes of `x` needs escaping in a JSON string (a control
// character, `"` or `\`): a SWAR test, no branch per byte.
inline bool Special(uint64_t x) {
  uint64_t quote = x ^ (kOnes * '"'), backslash = x ^ (kOnes * '\\');
  return ((((x - kOnes * 0x20) & ~x) | ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash)) & kHighs) != 0;
}

// Per byte, how a JSON string writes it: 0 as itself, 'u' as \u00XX, else `\` and that letter.
constexpr std::array<char, 256> kEscapes = [] {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<size_t>(c)] = 'u';
  t['\b'] = 'b';
  t['\f'] = 'f';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}();

// One byte of a string at `p`, escaped as kEscapes says.
inline char* PutByte(char* p, unsigned char c) {
  static const char* kHex = "0123456789abcdef";
  char e = kEscapes[c];
  if (e == 0) {
    *p++ = static_cast<char>(c);
  } else if (e == 'u') {
    std::memcpy(p, "\\u00", 4);
    p[4] = kHex[c >> 4];
    p[5] = kHex[c & 15];
    p += 6;
  } else {
    p[0] = '\\';
    p[1] = e;
    p += 2;
  }
  return p;
}

}  // namespace

char* WriteJsonString(char* p, std::string_view s) {
  const char* in = s.data();
  const size_t n = s.size();
  *p++ = '"';
  if (n < 8) {
    // Short text (codes, states, currencies): its bytes gathered into one word, with plain
    // bytes in the gaps, tested at once; copied in two overlapping halves when none needs
    // escaping.
    uint64_t x = kOnes * 'a';
    if (n >= 4) {
      uint32_t lo, hi;
      std::memcpy(&lo, in, 4);
      std::memcpy(&hi, in + n - 4, 4);
      x = lo | (uint64_t{hi} << 32);
    } else if (n > 0) {
      x = (x & ~uint64_t{0xffffff}) | static_cast<unsigned char>(in[0]) |
          (uint64_t{static_cast<unsigned char>(in[n / 2])} << 8) | (uint64_t{static_cast<unsigned char>(in[n - 1])} << 16);
    }
    if (!Special(x)) {
      if (n >= 4) {
        std::memcpy(p, in, 4);
        std::memcpy(p + n - 4, in + n - 4, 4);
      } else if (n > 0) {
        p[0] = in[0];
        p[n / 2] = in[n / 2];
        p[n - 1] = in[n - 1];
      }
      p[n] = '"';
      return p + n + 1;
    }
    for (size_t i = 0; i < n; ++i) p = PutByte(p, static_cast<unsigned char>(in[i]));
    *p++ = '"';
    return p;
  }
  size_t i = 0;
  // Eight bytes at a time: a block with nothing to escape (most text) is copied whole, one
  // that has something byte by byte.
  while (i + 8 <= n) {
    uint64_t x;
    std::memcpy(&x, in + i, 8);
    if (!Special(x)) {
      std::memcpy(p, &x, 8);
      p += 8;
    } else {
      for (size_t j = 0; j < 8; ++j) p = PutByte(p, static_cast<unsigned char>(in[i + j]));
    }
    i += 8;
  }
  if (i < n) {
    // The last (overlapping) eight bytes: when none needs escaping, the ones before the tail
    // were written as themselves just before `p`, so the block is written over them whole.
    uint64_t x;
    std::memcpy(&x, in + n - 8, 8);
    if (!Special(x)) {
      size_t back = i - (n - 8);
      std::memcpy(p - back, &x, 8);
      p += 8 - back;
      i = n;
    }
  }
  for (; i < n; ++i) p = PutByte(p, static_cast<unsigned char>(in[i]));
  *p++ = '"';
  return p;
}

void AppendJsonString(std::string& out, std::string_view s) {
  size_t at = out.size();
  // Text with nothing to escape (most text): the quotes and the text in one growth of `out`.
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    if (Special(x)) break;
  }
  bool plain = i == s.size();
  if (!plain && i + 8 > s.size()) {
    plain = true;
    for (size_t j = i; j < s.size() && plain; ++j) plain = kEscapes[static_cast<unsigned char>(s[j])] == 0;
  }
  if (plain) {
    out.resize(at + s.size() + 2);
    char* p = out.data() + at;
    p[0] = '"';
    if (!s.empty()) std::memcpy(p + 1, s.data(), s.size());
    p[s.size() + 1] = '"';
    return;
  }
  out.resize(at + JsonStringBound(s.size()));
  char* end = WriteJsonString(out.data() + at, s);
  out.resize(static_cast<size_t>(end - out.data()));
}

}  // namespace crmx::value
