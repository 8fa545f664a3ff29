// Defines ParseExact/DumpExact: numbers travel as tagged strings between the two.
#include "emulators/exact_json.h"

#include <cstdlib>

namespace crmx::emulate {
namespace {

// The tag starting a kept number. A control character, so no JSON text can hold it unescaped,
// and a dump always writes it as the escape below.
constexpr char kTag = '\x01';
constexpr std::string_view kDumpedTag = "\"\\u0001";

bool IsNumberStart(char c) { return c == '-' || (c >= '0' && c <= '9'); }
bool IsNumberChar(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

}  // namespace

Json ParseExact(std::string_view text) {
  // Rewrites every number outside strings as "\u0001<digits>", then parses: nlohmann keeps
  // strings as they are. The parser still rejects malformed numbers through the digits check.
  std::string rewritten;
  rewritten.reserve(text.size() + text.size() / 8);
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      rewritten += c;
      if (c == '\\' && i + 1 < text.size()) {
        rewritten += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      rewritten += c;
      continue;
    }
    if (!IsNumberStart(c)) {
      rewritten += c;
      continue;
    }
    size_t end = i;
    while (end < text.size() && IsNumberChar(text[end])) ++end;
    std::string_view digits = text.substr(i, end - i);
    // Let nlohmann judge whether the digits are a JSON number.
    if (Json::parse(digits, nullptr, false).is_discarded()) return Json(Json::value_t::discarded);
    rewritten += "\"\\u0001";
    rewritten += digits;
    rewritten += '"';
    i = end - 1;
  }
  return Json::parse(rewritten, nullptr, false);
}

std::string DumpExact(const Json& j) {
  std::string dumped = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string out;
  out.reserve(dumped.size());
  size_t pos = 0;
  while (true) {
    size_t tag = dumped.find(kDumpedTag, pos);
    if (tag == std::string::npos) break;
    // Only a string that starts with the tag is a kept number: the tag sits right after a
    // quote that opens a string (an escaped \u0001 inside a string is preceded by other text).
    size_t close = dumped.find('"', tag + kDumpedTag.size());
    out.append(dumped, pos, tag - pos);
    out.append(dumped, tag + kDumpedTag.size(), close - tag - kDumpedTag.size());
    pos = close + 1;
  }
  out.append(dumped, pos, std::string::npos);
  return out;
}

bool IsNumber(const Json& j) {
  if (j.is_number()) return true;
  if (!j.is_string()) return false;
  const std::string& s = j.get_ref<const std::string&>();
  return !s.empty() && s[0] == kTag;
}

std::string NumberText(const Json& j) {
  if (j.is_string()) return j.get<std::string>().substr(1);
  return j.dump();
}

Json Number(std::string_view digits) { return Json(std::string(1, kTag) + std::string(digits)); }

std::optional<long double> NumberValue(const Json& j) {
  if (!IsNumber(j)) return std::nullopt;
  std::string text = NumberText(j);
  char* end = nullptr;
  long double v = std::strtold(text.c_str(), &end);
  if (end == text.c_str()) return std::nullopt;
  return v;
}

std::optional<std::string> ScalarText(const Json& j) {
  if (IsNumber(j)) return NumberText(j);
  if (j.is_string()) return j.get<std::string>();
  if (j.is_boolean()) return j.get<bool>() ? "true" : "false";
  return std::nullopt;
}

}  // namespace crmx::emulate
