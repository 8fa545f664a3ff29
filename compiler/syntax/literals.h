// Defines the decoding of literal tokens (strings with CEL escapes, numbers, durations) into
// values. Pure functions on token text: no ANTLR, unit-tested directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crmx::syntax {

// Where in the token text a decoding problem starts and ends (byte offsets into the token).
struct LiteralError {
  uint32_t begin = 0;
  uint32_t end = 0;
  std::string message;
};

// Decodes a string or bytes literal as written (quotes, prefixes r/R and b/B included) into
// its UTF-8 value. Returns the first invalid escape as an error.
std::optional<LiteralError> DecodeString(std::string_view token, std::string& out);

// Parses CEL integer literals (decimal or 0x hex). `negative` folds a leading minus so that
// -9223372036854775808 is representable. nullopt on overflow.
std::optional<int64_t> ParseInt(std::string_view token, bool negative);
std::optional<uint64_t> ParseUint(std::string_view token);  // token includes the `u` suffix
std::optional<double> ParseDouble(std::string_view token);
// A duration such as 48h, 60s, 10m, 500ms, 7d, in milliseconds; nullopt on overflow.
std::optional<int64_t> ParseDurationMs(std::string_view token);

// Appends the UTF-8 encoding of a code point.
void AppendUtf8(std::string& out, uint32_t cp);
// Length of the valid UTF-8 sequence at byte `i` of `s`, or 0 when the byte there starts none
// (a stray continuation byte, an overlong form, a surrogate, a truncated sequence).
size_t Utf8SequenceLength(const std::string& s, size_t i);
// The value of a hexadecimal digit, or -1.
int HexValue(char c);

}  // namespace crmx::syntax
