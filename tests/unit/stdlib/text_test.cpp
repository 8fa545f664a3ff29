// Tests std.text: Unicode trimming and case mapping, code point truncation, replace/split/join
// edge cases, RE2 matching, and format.
#include "runtime/stdlib/text.h"

#include <doctest/doctest.h>

using namespace crmx::stdlib;
using crmx::decimal::Decimal;

TEST_CASE("text: trim strips Unicode white space only at the ends") {
  CHECK(Trim("  a b  ") == "a b");
  CHECK(Trim("\t\r\n a \n") == "a");
  CHECK(Trim("\u00a0\u2003a\u3000") == "a");
  CHECK(Trim("   ") == "");
  CHECK(Trim("") == "");
  CHECK(Trim("\u200bx") == "\u200bx");  // zero-width space is not White_Space
  CHECK(Trim("é ") == "é");
}

TEST_CASE("text: TrimView is Trim without the copy: a view of its input") {
  for (std::string text : {"  a b  ", "\t\r\n a \n", "\u00a0\u2003a\u3000", "", "   ", "x", " \u00e9t\u00e9 ", "\u3000 a"}) {
    std::string_view v = TrimView(text);
    CHECK(std::string(v) == Trim(text));
    CHECK(v.data() >= text.data());
    CHECK(v.data() + v.size() <= text.data() + text.size());
  }
}

TEST_CASE("text: upper and lower keep the code point count") {
  CHECK(Upper("abc xyz") == "ABC XYZ");
  CHECK(Upper("straße") == "STRAßE");
  CHECK(Upper("ǆ") == "Ǆ");
  CHECK(Lower("ÀÉÎ") == "àéî");
  CHECK(Lower("ΣΑΣ") == "σασ");
  CHECK(Upper("日本") == "日本");
  CHECK(Upper("a\xff" "b") == "A\xff" "B");  // ill-formed bytes are kept
}

TEST_CASE("text: truncate counts code points") {
  CHECK(Truncate("hello", 3) == "hel");
  CHECK(Truncate("héllo", 2) == "hé");
  CHECK(Truncate("😀😀😀", 2) == "😀😀");
  CHECK(Truncate("abc", 0) == "");
  CHECK(Truncate("abc", -5) == "");
  CHECK(Truncate("abc", 100) == "abc");
  CHECK(Truncate("", 3) == "");
}

TEST_CASE("text: replace, split, join") {
  CHECK(Replace("a-b-c", "-", "") == "abc");
  CHECK(Replace("aaaa", "aa", "b") == "bb");
  CHECK(Replace("abc", "x", "y") == "abc");
  CHECK(Replace("", "", "x") == "x");
  CHECK(Replace("é", "", "|") == "|é|");
  CHECK(Split("a,b", ",") == std::vector<std::string>{"a", "b"});
  CHECK(Split(",", ",") == std::vector<std::string>{"", ""});
  CHECK(Split("a--b", "--") == std::vector<std::string>{"a", "b"});
  CHECK(Split("", "") == std::vector<std::string>{});
  CHECK(Split("日本", "") == std::vector<std::string>{"日", "本"});
  std::vector<std::string> parts{"a", "", "b"};
  CHECK(Join(parts, "/") == "a//b");
  CHECK(Join(Split("x y z", " "), "+") == "x+y+z");
}

TEST_CASE("text: matches is an RE2 partial match") {
  CHECK(*Matches("hello world", "o w"));
  CHECK_FALSE(*Matches("hello", "^ello"));
  CHECK(*Matches("ABC-123", "^[A-Z]+-\\d+$"));
  CHECK(*Matches("Zürich", "^Z.rich$"));  // . is one code point
  CHECK(*Matches("", ""));
  auto bad = Matches("x", "a(");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.reason().find("invalid regular expression `a(`") == 0);
  // The cache does not confuse patterns.
  for (int i = 0; i < 100; ++i) CHECK(*Matches(std::to_string(i), "^" + std::to_string(i) + "$"));
}

TEST_CASE("text: format") {
  std::vector<FormatArg> args{std::string_view("Acme"), int64_t{3}, *Decimal::Parse("2.345")};
  CHECK(*Format("%s: %d at %.2f", args) == "Acme: 3 at 2.35");
  CHECK(*Format("%.0f", std::vector<FormatArg>{2.5}) == "2");  // doubles as printf (ties to even)
  CHECK(*Format("%.0f", std::vector<FormatArg>{*Decimal::Parse("2.5")}) == "3");
  CHECK(*Format("%d", std::vector<FormatArg>{uint64_t{18446744073709551615ULL}}) == "18446744073709551615");
  CHECK(*Format("%x", std::vector<FormatArg>{int64_t{-255}}) == "-ff");
  CHECK(*Format("%X", std::vector<FormatArg>{std::string_view("Hi")}) == "4869");
  CHECK(*Format("%s", std::vector<FormatArg>{1.5}) == "1.5");
  CHECK(*Format("%s", std::vector<FormatArg>{0.00001}) == "1e-05");
  CHECK(*Format("%s", std::vector<FormatArg>{123456.0}) == "123456");
  CHECK(*Format("%s", std::vector<FormatArg>{DateTime{1705657344000000}}) == "2024-01-19T09:42:24Z");
  CHECK(*Format("%s", std::vector<FormatArg>{std::monostate{}}) == "null");
  CHECK(*Format("no directives", {}) == "no directives");
  CHECK(Format("%", {}).reason() == "format: the format ends inside a `%` directive");
  CHECK(Format("%.2d", std::vector<FormatArg>{int64_t{1}}).reason() ==
        "format: a precision is only allowed with `%f` and `%e`, not `%d`");
  CHECK(Format("%f", std::vector<FormatArg>{std::string_view("x")}).reason() == "format: `%f` needs a number, got a string");
  CHECK(Format("%d", std::vector<FormatArg>{1.5}).reason() == "format: `%d` needs an integer, got a double");
  CHECK(Format("%o", std::vector<FormatArg>{true}).reason() == "format: `%o` needs an integer, got a bool");
}

TEST_CASE("text: Quote shortens long text") {
  CHECK(Quote("abc") == "`abc`");
  std::string long_text(100, 'x');
  CHECK(Quote(long_text) == "`" + std::string(60, 'x') + "…`");
}
