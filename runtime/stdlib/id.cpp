// Implements std.id (id.h): the Salesforce 18-character id suffix. Each of the three 5-character
// chunks of a 15-character id gives one suffix character: bit i is set when character i of the
// chunk is an upper-case letter, and the 5-bit number indexes "A..Z0..5".
#include "runtime/stdlib/id.h"

namespace crmx::stdlib {

namespace {

constexpr std::string_view kSuffixAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

bool IsAlnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLetter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

std::string Suffix(std::string_view id15) {
  std::string suffix;
  for (size_t chunk = 0; chunk < 3; ++chunk) {
    unsigned bits = 0;
    for (size_t i = 0; i < 5; ++i) {
      if (IsUpper(id15[chunk * 5 + i])) bits |= 1U << i;
    }
    suffix.push_back(kSuffixAlphabet[bits]);
  }
  return suffix;
}

}  // namespace

Result<std::string> SfId18(std::string_view id) {
  if (id.size() != 15 && id.size() != 18) {
    return Fail(Quote(id) + " is not a Salesforce id (15 or 18 characters, not " + std::to_string(id.size()) + ")");
  }
  for (char c : id) {
    if (!IsAlnum(c)) return Fail(Quote(id) + " is not a Salesforce id (only letters and digits)");
  }
  if (id.size() == 15) return std::string(id) + Suffix(id);
  // Restore the case of the first 15 characters from the (case-insensitive) suffix.
  std::string out(id);
  for (size_t chunk = 0; chunk < 3; ++chunk) {
    char s = out[15 + chunk];
    if (s >= 'a' && s <= 'z') s = static_cast<char>(s - 'a' + 'A');
    out[15 + chunk] = s;
    size_t bits = kSuffixAlphabet.find(s);
    if (bits == std::string_view::npos) {
      return Fail(Quote(id) + " is not a Salesforce id (its checksum character `" + std::string(1, id[15 + chunk]) +
                  "` is not one of A-Z, 0-5)");
    }
    for (size_t i = 0; i < 5; ++i) {
      char& c = out[chunk * 5 + i];
      bool upper = (bits >> i) & 1U;
      if (upper && !IsLetter(c)) {
        return Fail(Quote(id) + " is not a Salesforce id (its checksum does not match its first 15 characters)");
      }
      if (IsLetter(c)) {
        char lower = IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c;
        c = upper ? static_cast<char>(lower - 'a' + 'A') : lower;
      }
    }
  }
  return out;
}

bool SfIdEquals(std::string_view a, std::string_view b) {
  auto x = SfId18(a);
  auto y = SfId18(b);
  return x && y && *x == *y;
}

}  // namespace crmx::stdlib
