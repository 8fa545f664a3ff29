#include <doctest/doctest.h>

#include <limits>

#include "compiler/syntax/literals.h"

using namespace crmx::syntax;

TEST_CASE("CEL string escapes decode") {
  std::string out;
  CHECK_FALSE(DecodeString(R"("a\tb\n\"q\" \x41\u00e9\101")", out));
  CHECK(out == "a\tb\n\"q\" A\xC3\xA9" "A");
  CHECK_FALSE(DecodeString(R"(r"\d+\.")", out));
  CHECK(out == R"(\d+\.)");
  CHECK_FALSE(DecodeString("'''two\nlines'''", out));
  CHECK(out == "two\nlines");
  CHECK_FALSE(DecodeString(R"(b"\xff")", out));
  CHECK(out == "\xff");
}

TEST_CASE("invalid escapes are reported with their place") {
  std::string out;
  auto err = DecodeString(R"("ab\qc")", out);
  REQUIRE(err);
  CHECK(err->begin == 3);
  CHECK(err->end == 5);
  CHECK(err->message.find("\\q") != std::string::npos);
  CHECK(DecodeString(R"("\u12")", out));
  CHECK(DecodeString(R"("\ud800")", out));
}

TEST_CASE("integers: range, hex, the most negative int64") {
  CHECK(ParseInt("42", false) == 42);
  CHECK(ParseInt("0x1F", false) == 31);
  CHECK(ParseInt("9223372036854775807", false) == std::numeric_limits<int64_t>::max());
  CHECK_FALSE(ParseInt("9223372036854775808", false));
  CHECK(ParseInt("9223372036854775808", true) == std::numeric_limits<int64_t>::min());
  CHECK_FALSE(ParseInt("99999999999999999999", false));
  CHECK(ParseUint("18446744073709551615u") == std::numeric_limits<uint64_t>::max());
  CHECK_FALSE(ParseUint("18446744073709551616u"));
}

TEST_CASE("durations") {
  CHECK(ParseDurationMs("48h") == 48 * 3600 * 1000);
  CHECK(ParseDurationMs("500ms") == 500);
  CHECK(ParseDurationMs("10m") == 600000);
  CHECK(ParseDurationMs("7d") == 7 * 86400000LL);
  CHECK_FALSE(ParseDurationMs("99999999999999999h"));
  CHECK(ParseDouble("1e3") == 1000.0);
  CHECK_FALSE(ParseDouble("1e999"));
}
