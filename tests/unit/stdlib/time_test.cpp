// Tests std.time: the civil calendar, parsing and formatting with every directive, time zones and
// daylight-saving edges.
#include "runtime/stdlib/time.h"

#include <doctest/doctest.h>

using namespace crmx::stdlib;

namespace {
int64_t Micros(const char* rfc3339) {
  auto r = ParseTimestamp(rfc3339);
  REQUIRE_MESSAGE(r.ok(), rfc3339);
  return r->micros;
}
}  // namespace

TEST_CASE("time: civil calendar") {
  CHECK(DateFromCivil(1970, 1, 1)->days == 0);
  CHECK(DateFromCivil(2000, 3, 1)->days == 11017);
  CHECK(DateFromCivil(1969, 12, 31)->days == -1);
  CHECK(DateFromCivil(1, 1, 1)->days == -719162);
  CHECK(DateFromCivil(2024, 2, 29).ok());
  CHECK(DateFromCivil(1900, 2, 29).reason() == "1900-02-29 is not a date");
  CHECK(DateFromCivil(2000, 2, 29).ok());
  CHECK(DateFromCivil(10000, 1, 1).reason() == "10000-01-01 is not a date");
  for (int32_t d = -719162; d <= 2932896; d += 997) {  // 0001-01-01 .. 9999-12-31
    Civil c = CivilFromDate(Date{d});
    CHECK(DateFromCivil(c.year, c.month, c.day)->days == d);
  }
}

TEST_CASE("time: timestamps") {
  CHECK(Micros("1970-01-01T00:00:00Z") == 0);
  CHECK(Micros("2024-01-19T09:42:24Z") == 1705657344000000);
  CHECK(Micros("2024-01-19T10:42:24+01:00") == 1705657344000000);
  CHECK(Micros("2024-01-19t09:42:24.5z") == 1705657344500000);
  CHECK(Micros("1969-12-31T23:59:59.999999Z") == -1);
  CHECK(TimestampText(DateTime{-1}) == "1969-12-31T23:59:59.999999Z");
  CHECK(TimestampText(DateTime{1705657344123000}) == "2024-01-19T09:42:24.123Z");
  CHECK(ParseTimestamp("2024-01-19").reason() == "`2024-01-19` is not an RFC 3339 timestamp");
  CHECK_FALSE(ParseTimestamp("2024-01-19T09:42:24").ok());
}

TEST_CASE("time: parse_datetime directives") {
  auto at = [](const char* text, const char* format, const char* zone = "UTC") {
    auto r = ParseDateTime(text, format, zone);
    REQUIRE_MESSAGE(r.ok(), std::string(r.reason()));
    return TimestampText(*r);
  };
  CHECK(at("2024-01-19T09:42:24.000+0000", "%Y-%m-%dT%H:%M:%S.%L%z") == "2024-01-19T09:42:24Z");
  CHECK(at("2024-01-19T09:42:24.123456789Z", "%Y-%m-%dT%H:%M:%S.%f%z") == "2024-01-19T09:42:24.123456Z");
  CHECK(at("19 JAN 2024 9:05:03 am", "%d %b %Y %I:%M:%S %p") == "2024-01-19T09:05:03Z");
  CHECK(at("12:30 AM 2024-01-19", "%I:%M %p %F") == "2024-01-19T00:30:00Z");
  CHECK(at("12:30 PM 2024-01-19", "%I:%M %p %F") == "2024-01-19T12:30:00Z");
  CHECK(at("2024-01-19 09:42+05:30", "%F %H:%M%z") == "2024-01-19T04:12:00Z");
  CHECK(at("2024-01-19 09:42 -08", "%F %H:%M %z") == "2024-01-19T17:42:00Z");
  CHECK(at("2024-01-19   09:42", "%F %H:%M") == "2024-01-19T09:42:00Z");
  CHECK(at("2024-01-1909:42", "%F %H:%M") == "2024-01-19T09:42:00Z");
  CHECK(at("99-12-31", "%y-%m-%d") == "1999-12-31T00:00:00Z");
  CHECK(at("68-01-01", "%y-%m-%d") == "2068-01-01T00:00:00Z");
  CHECK(at("2024 100%", "%Y %j%%") == "2024-04-09T00:00:00Z");
  CHECK(at("2024-01-19 09:42 UTC", "%F %H:%M %Z", "Asia/Tokyo") == "2024-01-19T09:42:00Z");
  CHECK(at("2024-01-19 09:42", "%F %H:%M", "Asia/Kolkata") == "2024-01-19T04:12:00Z");
  // Fall back: 01:30 happens twice in New York on 2024-11-03; the first (EDT, -4) is taken.
  CHECK(at("2024-11-03 01:30", "%F %H:%M", "America/New_York") == "2024-11-03T05:30:00Z");
  // Spring forward: 02:30 does not exist; read with the offset before (EST), it is 03:30 EDT.
  CHECK(at("2024-03-10 02:30", "%F %H:%M", "America/New_York") == "2024-03-10T07:30:00Z");
}

TEST_CASE("time: parse failures") {
  auto why = [](const char* text, const char* format) { return std::string(ParseDateTime(text, format).reason()); };
  CHECK(why("09:42", "%H:%M") == "`09:42` does not match the format `%H:%M`: the format reads no year (`%Y` or `%y`)");
  CHECK(why("2024", "%Y-%m") == "`2024` does not match the format `%Y-%m`: expected `-` at the end");
  CHECK(why("2024-1", "%Y-%m%") == "`2024-1` does not match the format `%Y-%m%`: the format ends inside a `%` directive");
  CHECK(why("2024 x", "%Y %q") == "`2024 x` does not match the format `%Y %q`: unknown directive `%q` in the format");
  CHECK(why("2024 13:00 PM", "%Y %I:%M %p").find("`%I` is 13, outside 1..12") != std::string::npos);
  CHECK(why("2024 09:00 PM", "%Y %H:%M %p").find("`%p` needs a 12-hour clock") != std::string::npos);
  CHECK(why("2024-01-01 09:61", "%F %H:%M").find("`%M` is 61") != std::string::npos);
  CHECK(why("2024-01-01 09:00:60", "%F %T").find("`%S` is 60") != std::string::npos);
  CHECK(why("2024-01-01 +2500", "%F %z").find("UTC offset is out of range") != std::string::npos);
  CHECK(why("2024-01-01 Mars/X", "%F %Z").find("unknown time zone `Mars/X`") != std::string::npos);
  CHECK(why("2023-366", "%Y-%j").find("day 366 does not exist in 2023") != std::string::npos);
  CHECK(why("Smarch 1 2024", "%B %d %Y").find("expected a month name") != std::string::npos);
  CHECK(why("", "%Y").find("expected digits for `%Y` at the end") != std::string::npos);
  CHECK(ParseDateTime("2024-01-01", "%F", "Nowhere/Land").reason() == "unknown time zone `Nowhere/Land`");
}

TEST_CASE("time: parse_date ignores time and zone") {
  CHECK(ParseDate("2024-01-19T23:59:59-1200", "%Y-%m-%dT%H:%M:%S%z")->days == DateFromCivil(2024, 1, 19)->days);
  CHECK(ParseDate("2024-01", "%Y-%m")->days == DateFromCivil(2024, 1, 1)->days);
  CHECK(ParseDate(" 2024-01-19", "%F").reason().find("expected digits for `%Y` at position 1") != std::string_view::npos);
}

TEST_CASE("time: formatting") {
  Date d = *DateFromCivil(2024, 1, 9);
  CHECK(*FormatDate(d, "%Y-%m-%d %H:%M:%S %z %Z") == "2024-01-09 00:00:00 +0000 UTC");
  CHECK(*FormatDate(d, "%e|%j|%a|%A|%b|%B|%y|%I%p|%%") == " 9|009|Tue|Tuesday|Jan|January|24|12AM|%");
  CHECK(*FormatDate(*DateFromCivil(1, 1, 1), "%Y") == "0001");
  DateTime t{Micros("2024-07-01T12:00:00.5Z")};
  CHECK(*FormatDateTime(t, "%F %T.%L %z %Z", "Europe/Berlin") == "2024-07-01 14:00:00.500 +0200 CEST");
  CHECK(*FormatDateTime(t, "%F %T %:z", "Asia/Kolkata") == "2024-07-01 17:30:00 +05:30");
  CHECK(*FormatDateTime(t, "%F %T %z", "America/St_Johns") == "2024-07-01 09:30:00 -0230");
  CHECK(*FormatDateTime(t, "%I:%M %p", "America/Los_Angeles") == "05:00 AM");
  CHECK(*FormatDateTime(DateTime{-1}, "%F %T.%f") == "1969-12-31 23:59:59.999999");
  CHECK(FormatDateTime(t, "%F", "Bogus/Zone").reason() == "unknown time zone `Bogus/Zone`");
  CHECK(FormatDate(d, "%").reason() == "the format `%` ends inside a `%` directive");
  CHECK(DateOf(t, "Pacific/Kiritimati")->days == DateFromCivil(2024, 7, 2)->days);
  CHECK(DateOf(t, "UTC")->days == DateFromCivil(2024, 7, 1)->days);
}

TEST_CASE("time: format then parse round-trips") {
  const char* format = "%Y-%m-%dT%H:%M:%S.%f%z";
  for (int64_t m : {int64_t{0}, int64_t{1705657344123456}, int64_t{-1}, int64_t{253402000000000000}}) {
    auto text = FormatDateTime(DateTime{m}, format, "Australia/Adelaide");
    REQUIRE(text.ok());
    CHECK(ParseDateTime(*text, format)->micros == m);
  }
}
