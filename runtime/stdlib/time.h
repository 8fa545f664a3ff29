// Defines std.time: dates and datetimes, their parsing and formatting with strftime-style
// formats, and time zones by IANA name ("America/New_York").
//
// A `Date` is a calendar date, days since 1970-01-01; a `DateTime` is an instant, microseconds
// since 1970-01-01T00:00:00Z (UTC). Years 0001..9999.
//
// Time zones come from the system's tz database (Debian tzdata, /usr/share/zoneinfo), read
// through Abseil's time zone library (cctz): GCC 12's <chrono> has no tzdb, and ICU carries its
// own, older copy of the rules. A local time that does not exist (skipped by a daylight-saving
// change, 02:30 on a spring-forward night) is read with the offset before the change, so it
// lands after the gap (03:30); a local time that occurs twice is read as the first occurrence.
//
// The format language is documented in docs/stdlib.md ("Format directives").
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/stdlib/result.h"

namespace crmx::stdlib {

struct Date {
  int32_t days = 0;  // since 1970-01-01
  friend auto operator<=>(const Date&, const Date&) = default;
};

struct DateTime {
  int64_t micros = 0;  // since 1970-01-01T00:00:00Z
  friend auto operator<=>(const DateTime&, const DateTime&) = default;
};

// Proleptic Gregorian calendar. DateFromCivil fails on a day that does not exist
// ("2023-02-29") and on years outside 1..9999.
Result<Date> DateFromCivil(int year, int month, int day);
struct Civil {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, micros = 0;
};
Civil CivilFromDate(Date date);

// The text read with `format`; the whole text must match. Time fields in the format are read
// and ignored; the date is the one written in the text (no time zone conversion).
Result<Date> ParseDate(std::string_view text, std::string_view format);
// The instant the text names. Its offset (%z) or zone (%Z) when the format reads one, otherwise
// the local time in `zone` (an IANA name; "UTC" by default). Missing fields are the start of
// the day (00:00:00).
Result<DateTime> ParseDateTime(std::string_view text, std::string_view format, std::string_view zone = "UTC");
// RFC 3339 ("2024-01-19T09:42:24Z", "2024-01-19T09:42:24.5+01:00"), as CEL's timestamp().
Result<DateTime> ParseTimestamp(std::string_view text);

// A date as text; time fields print as midnight, %z as +0000 and %Z as UTC. Fails only on an
// unknown directive.
Result<std::string> FormatDate(Date date, std::string_view format);
// An instant as text in the local time of `zone` (UTC by default). Fails on an unknown zone and
// an unknown directive.
Result<std::string> FormatDateTime(DateTime datetime, std::string_view format, std::string_view zone = "UTC");
// RFC 3339 in UTC: "2024-01-19T09:42:24Z", with 3 or 6 fraction digits when not whole seconds.
std::string TimestampText(DateTime datetime);
// The calendar date of an instant in `zone`.
Result<Date> DateOf(DateTime datetime, std::string_view zone = "UTC");

}  // namespace crmx::stdlib
