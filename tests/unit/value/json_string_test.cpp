// Tests the JSON string writer (runtime/value/json_string.h) that every JSON text crmx writes by
// hand goes through (target and queue files, API requests, the state's reasons and flag-set keys).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "runtime/value/json_string.h"

namespace {

TEST_CASE("JSON strings are escaped as JSON requires, wherever the special byte falls") {
  // Every position of each special byte in strings of several lengths (the writer scans eight
  // bytes at a time), against nlohmann::json's encoder.
  const std::string specials[] = {"\"", "\\", "\n", std::string(1, '\0'), "\x1f", "\t", "\x7f", "\xc3\xa9", "/"};
  for (size_t len : {0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 14u, 15u, 16u, 17u, 23u, 24u, 40u}) {
    for (const std::string& sp : specials) {
      for (size_t at = 0; at <= len; ++at) {
        std::string text = std::string(at, 'a') + sp + std::string(len - at, 'b');
        std::string ours;
        crmx::value::AppendJsonString(ours, text);
        CAPTURE(text);
        CHECK(ours == nlohmann::json(text).dump());
        // The writers' raw form: the same bytes, within its bound (a guard byte past it).
        std::string raw(crmx::value::JsonStringBound(text.size()) + 1, '\x5a');
        char* end = crmx::value::WriteJsonString(raw.data(), text);
        CHECK(std::string(raw.data(), end) == ours);
        CHECK(raw.back() == '\x5a');
      }
    }
  }
}

TEST_CASE("AppendJsonString appends after what is there") {
  std::string out = "[";
  crmx::value::AppendJsonString(out, "0015e0000000003AAA");
  out += ',';
  crmx::value::AppendJsonString(out, "a\"b");
  CHECK(out == "[\"0015e0000000003AAA\",\"a\\\"b\"");
}

}  // namespace
