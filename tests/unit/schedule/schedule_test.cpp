// Tests runtime/schedule. Expected instants are written in UTC and converted with the
// days-from-civil formula below (independent of Abseil). The local-to-UTC facts behind them were
// checked with Python's zoneinfo over the same tzdata, e.g.
//   datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("Europe/Berlin"), fold=0) -> 00:30Z (first)
//   datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("Europe/Berlin"), fold=1) -> 01:30Z (second)
// 2026 changes: Berlin springs forward 2026-03-29 01:00Z (02:00 CET -> 03:00 CEST) and falls
// back 2026-10-25 01:00Z (03:00 CEST -> 02:00 CET); New York springs forward 2026-03-08 07:00Z
// (02:00 EST -> 03:00 EDT) and falls back 2026-11-01 06:00Z (02:00 EDT -> 01:00 EST).
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "runtime/schedule/schedule.h"

namespace sch = crmx::schedule;

namespace {

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// Unix milliseconds of a UTC civil time (Hinnant's days_from_civil, proleptic Gregorian).
int64_t Utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  return ((days * 24 + hh) * 60 + mm) * kMinute + ss * 1000;
}

sch::Schedule Daily(const std::string& daily_at, const std::string& default_zone = "UTC") {
  std::string error;
  sch::Options options;
  options.default_zone = default_zone;
  auto s = sch::Parse("daily_at", 0, daily_at, options, error);
  INFO(error);
  REQUIRE(s.has_value());
  return *s;
}

sch::Schedule Every(int64_t period_ms) {
  std::string error;
  auto s = sch::Parse("every", period_ms, "", {}, error);
  REQUIRE(s.has_value());
  return *s;
}

}  // namespace

TEST_CASE("the test's own clock: known Unix instants") {
  CHECK(Utc(1970, 1, 1) == 0);
  CHECK(Utc(2000, 3, 1) == 951868800000);
  CHECK(Utc(2026, 3, 29, 1) == 1774746000000);  // date -u -d 2026-03-29T01:00:00Z +%s
}

TEST_CASE("every: anchored at multiples of the period since the epoch, strictly after") {
  sch::Schedule hourly = Every(kHour);
  CHECK(sch::NextDue(hourly, Utc(2026, 5, 4, 10, 20)) == Utc(2026, 5, 4, 11));
  // On the due instant itself, the next one is a period later.
  CHECK(sch::NextDue(hourly, Utc(2026, 5, 4, 11)) == Utc(2026, 5, 4, 12));
  CHECK(sch::NextDue(hourly, Utc(2026, 5, 4, 11) - 1) == Utc(2026, 5, 4, 11));
  CHECK(sch::LatestDue(hourly, Utc(2026, 5, 4, 10, 59, 59)) == Utc(2026, 5, 4, 10));
  CHECK(sch::LatestDue(hourly, Utc(2026, 5, 4, 11)) == Utc(2026, 5, 4, 11));
  sch::Schedule quarter = Every(15 * kMinute);
  CHECK(sch::NextDue(quarter, Utc(2026, 5, 4, 10, 31)) == Utc(2026, 5, 4, 10, 45));
  // A period that does not divide a day still lands on the same instants whoever computes it.
  sch::Schedule seven = Every(7 * kMinute);
  int64_t t = sch::NextDue(seven, Utc(2026, 5, 4, 10));
  CHECK(t % (7 * kMinute) == 0);
  CHECK(t > Utc(2026, 5, 4, 10));
  CHECK(t - Utc(2026, 5, 4, 10) <= 7 * kMinute);
  // Before 1970 the anchor holds too (floor, not truncation).
  CHECK(sch::NextDue(hourly, -1) == 0);
  CHECK(sch::LatestDue(hourly, -1) == -kHour);
}

TEST_CASE("every: elapsed time, not local clock time, across daylight-saving changes") {
  sch::Schedule hourly = Every(kHour);
  // Berlin's spring-forward night: 00:00Z, 01:00Z, 02:00Z are one hour apart although local
  // clocks read 01:00, 03:00, 04:00.
  int64_t a = sch::NextDue(hourly, Utc(2026, 3, 28, 23, 30));
  int64_t b = sch::NextDue(hourly, a);
  int64_t c = sch::NextDue(hourly, b);
  CHECK(a == Utc(2026, 3, 29, 0));
  CHECK(b - a == kHour);
  CHECK(c - b == kHour);
  // New York's fall-back night: no run is doubled or dropped.
  CHECK(sch::NextDue(hourly, Utc(2026, 11, 1, 5, 10)) == Utc(2026, 11, 1, 6));
  CHECK(sch::NextDue(hourly, Utc(2026, 11, 1, 6)) == Utc(2026, 11, 1, 7));
}

TEST_CASE("daily_at without a zone: the default zone (UTC unless the profile says otherwise)") {
  sch::Schedule s = Daily("02:00");
  CHECK(s.zone == "UTC");
  CHECK(s.hour == 2);
  CHECK(s.minute == 0);
  CHECK(sch::NextDue(s, Utc(2026, 5, 4, 1, 59)) == Utc(2026, 5, 4, 2));
  CHECK(sch::NextDue(s, Utc(2026, 5, 4, 2)) == Utc(2026, 5, 5, 2));
  CHECK(sch::LatestDue(s, Utc(2026, 5, 4, 1, 59)) == Utc(2026, 5, 3, 2));
  sch::Schedule utc = Daily("02:00 UTC");
  CHECK(sch::NextDue(utc, Utc(2026, 5, 4, 3)) == Utc(2026, 5, 5, 2));
  sch::Schedule berlin_default = Daily("02:00", "Europe/Berlin");
  CHECK(sch::NextDue(berlin_default, Utc(2026, 5, 3, 12)) == Utc(2026, 5, 4, 0));  // 02:00 CEST
  CHECK(sch::NextDue(berlin_default, Utc(2026, 1, 15)) == Utc(2026, 1, 15, 1));  // 02:00 CET
}

TEST_CASE("daily_at midnight: 00:00 is the start of the next day, not the end of this one") {
  sch::Schedule s = Daily("00:00");
  CHECK(sch::NextDue(s, Utc(2026, 12, 31, 23, 59, 59)) == Utc(2027, 1, 1));
  CHECK(sch::NextDue(s, Utc(2027, 1, 1)) == Utc(2027, 1, 2));
  CHECK(sch::NextDue(s, Utc(2028, 2, 28, 12)) == Utc(2028, 2, 29));  // leap day
  sch::Schedule last = Daily("23:59");
  CHECK(sch::NextDue(last, Utc(2026, 5, 4, 23, 59)) == Utc(2026, 5, 5, 23, 59));
  sch::Schedule ny = Daily("00:00 America/New_York");
  CHECK(sch::NextDue(ny, Utc(2026, 7, 1, 3)) == Utc(2026, 7, 1, 4));  // 00:00 EDT
  CHECK(sch::NextDue(ny, Utc(2026, 12, 1, 4)) == Utc(2026, 12, 1, 5));  // 00:00 EST
}

TEST_CASE("daily_at in Europe/Berlin across spring forward (2026-03-29): the gap runs at 03:00 local") {
  sch::Schedule two = Daily("02:00 Europe/Berlin");
  CHECK(sch::NextDue(two, Utc(2026, 3, 27, 12)) == Utc(2026, 3, 28, 1));   // 02:00 CET
  CHECK(sch::NextDue(two, Utc(2026, 3, 28, 1)) == Utc(2026, 3, 29, 1));    // 03:00 CEST, the change
  CHECK(sch::NextDue(two, Utc(2026, 3, 29, 1)) == Utc(2026, 3, 30, 0));    // 02:00 CEST
  // 02:30 does not exist either: it runs at the change too, not at 03:30 (std.time's reading).
  sch::Schedule half = Daily("02:30 Europe/Berlin");
  CHECK(sch::NextDue(half, Utc(2026, 3, 28, 12)) == Utc(2026, 3, 29, 1));
  CHECK(sch::NextDue(half, Utc(2026, 3, 29, 1)) == Utc(2026, 3, 30, 0, 30));
  // Once: nothing between the change and the next day.
  CHECK(sch::LatestDue(half, Utc(2026, 3, 29, 23)) == Utc(2026, 3, 29, 1));
  // A time just after the gap is unaffected.
  sch::Schedule three = Daily("03:00 Europe/Berlin");
  CHECK(sch::NextDue(three, Utc(2026, 3, 28, 12)) == Utc(2026, 3, 29, 1));
}

TEST_CASE("daily_at in Europe/Berlin across fall back (2026-10-25): the repeated hour runs once, first") {
  sch::Schedule half = Daily("02:30 Europe/Berlin");
  int64_t first = sch::NextDue(half, Utc(2026, 10, 24, 12));
  CHECK(first == Utc(2026, 10, 25, 0, 30));  // 02:30 CEST, the first occurrence
  // Not again at 02:30 CET (01:30Z): the next run is the next day's.
  CHECK(sch::NextDue(half, first) == Utc(2026, 10, 26, 1, 30));
  CHECK(sch::LatestDue(half, Utc(2026, 10, 25, 1, 45)) == first);
  sch::Schedule two = Daily("02:00 Europe/Berlin");
  CHECK(sch::NextDue(two, Utc(2026, 10, 24, 12)) == Utc(2026, 10, 25, 0));
  CHECK(sch::NextDue(two, Utc(2026, 10, 25, 0)) == Utc(2026, 10, 26, 1));
  // The day is 25 hours long: the instants before and after it are 25 h apart for 03:00.
  sch::Schedule three = Daily("03:00 Europe/Berlin");
  int64_t on = sch::NextDue(three, Utc(2026, 10, 24, 12));
  CHECK(on == Utc(2026, 10, 25, 2));
  CHECK(on - sch::LatestDue(three, Utc(2026, 10, 24, 12)) == 25 * kHour);
}

TEST_CASE("daily_at in America/New_York across 2026-03-08 and 2026-11-01") {
  sch::Schedule half = Daily("02:30 America/New_York");
  CHECK(sch::NextDue(half, Utc(2026, 3, 7, 12)) == Utc(2026, 3, 8, 7));  // the change, 03:00 EDT
  CHECK(sch::NextDue(half, Utc(2026, 3, 8, 7)) == Utc(2026, 3, 9, 6, 30));
  sch::Schedule one_thirty = Daily("01:30 America/New_York");
  int64_t first = sch::NextDue(one_thirty, Utc(2026, 10, 31, 12));
  CHECK(first == Utc(2026, 11, 1, 5, 30));  // 01:30 EDT
  CHECK(sch::NextDue(one_thirty, first) == Utc(2026, 11, 2, 6, 30));  // not 01:30 EST the same night
  CHECK(sch::LatestDue(one_thirty, Utc(2026, 11, 1, 6, 45)) == first);
}

TEST_CASE("daily_at on a day a zone skipped: Pacific/Apia went from 2011-12-29 to 2011-12-31") {
  // Local 2011-12-29 23:59:59 -10 was followed by 2011-12-31 00:00:00 +14 (10:00Z). The 30th's
  // 02:00 falls due at that first instant after the gap, then the 31st's 02:00 (12:00Z).
  sch::Schedule s = Daily("02:00 Pacific/Apia");
  CHECK(sch::NextDue(s, Utc(2011, 12, 29, 11)) == Utc(2011, 12, 29, 12));
  CHECK(sch::NextDue(s, Utc(2011, 12, 29, 12)) == Utc(2011, 12, 30, 10));
  CHECK(sch::NextDue(s, Utc(2011, 12, 30, 10)) == Utc(2011, 12, 30, 12));
  CHECK(sch::LatestDue(s, Utc(2011, 12, 30, 11)) == Utc(2011, 12, 30, 10));
  CHECK(sch::LatestDue(s, Utc(2011, 12, 30, 9, 59)) == Utc(2011, 12, 29, 12));
}

TEST_CASE("daily_at where the clock went back over midnight: America/Goose_Bay on 2010-11-07") {
  // 00:00:59 ADT was followed by 23:01 AST on the 6th (04:01Z): local 00:00 of the 7th came at
  // 03:00Z and again at 04:00Z. The first runs; at 03:30Z the clock reads the 6th again.
  sch::Schedule s = Daily("00:00 America/Goose_Bay");
  CHECK(sch::NextDue(s, Utc(2010, 11, 6, 12)) == Utc(2010, 11, 7, 3));
  CHECK(sch::LatestDue(s, Utc(2010, 11, 7, 3, 30)) == Utc(2010, 11, 7, 3));
  CHECK(sch::NextDue(s, Utc(2010, 11, 7, 3)) == Utc(2010, 11, 8, 4));
  auto d = sch::Decide(s, Utc(2010, 11, 7, 3), Utc(2010, 11, 7, 4, 30));
  CHECK_FALSE(d.run);
  CHECK(d.next_ms == Utc(2010, 11, 8, 4));
}

TEST_CASE("Decide: catch-up runs the latest missed instant once and counts the others") {
  sch::Schedule hourly = Every(kHour);
  // Down from 10:05 to 14:20: 11, 12, 13 and 14 were missed; 14:00 runs, three are skipped.
  auto d = sch::Decide(hourly, Utc(2026, 5, 4, 10), Utc(2026, 5, 4, 14, 20));
  CHECK(d.run);
  CHECK(d.due_ms == Utc(2026, 5, 4, 14));
  CHECK(d.skipped == 3);
  CHECK(d.next_ms == Utc(2026, 5, 4, 15));
  // Asked again after that run: nothing until 15:00.
  auto again = sch::Decide(hourly, d.due_ms, Utc(2026, 5, 4, 14, 30));
  CHECK_FALSE(again.run);
  CHECK(again.next_ms == Utc(2026, 5, 4, 15));
  // On time: no skip.
  auto on_time = sch::Decide(hourly, Utc(2026, 5, 4, 14), Utc(2026, 5, 4, 15));
  CHECK(on_time.run);
  CHECK(on_time.skipped == 0);
  // A run longer than the period (14:00's run ends at 16:10): 16:00 runs once, 15:00 skipped.
  auto long_run = sch::Decide(hourly, Utc(2026, 5, 4, 14), Utc(2026, 5, 4, 16, 10));
  CHECK(long_run.due_ms == Utc(2026, 5, 4, 16));
  CHECK(long_run.skipped == 1);
  // Daily across three days of downtime, through Berlin's spring forward.
  sch::Schedule daily = Daily("02:30 Europe/Berlin");
  auto late = sch::Decide(daily, Utc(2026, 3, 27, 1, 30), Utc(2026, 3, 30, 9));
  CHECK(late.run);
  CHECK(late.due_ms == Utc(2026, 3, 30, 0, 30));
  CHECK(late.skipped == 2);  // 03-28 01:30Z and 03-29 01:00Z
  CHECK(late.next_ms == Utc(2026, 3, 31, 0, 30));
}

TEST_CASE("Decide: first start, and a clock that went back") {
  sch::Schedule hourly = Every(kHour);
  auto fresh = sch::Decide(hourly, std::nullopt, Utc(2026, 5, 4, 10, 20));
  CHECK_FALSE(fresh.run);
  CHECK(fresh.next_ms == Utc(2026, 5, 4, 11));
  // on_change polls at once when it has never run.
  std::string error;
  sch::Options options;
  options.poll_ms = 30 * 1000;
  auto poll = sch::Parse("on_change", 0, "", options, error);
  REQUIRE(poll.has_value());
  CHECK(poll->kind == sch::TriggerKind::kOnChange);
  auto first_poll = sch::Decide(*poll, std::nullopt, Utc(2026, 5, 4, 10, 20, 10));
  CHECK(first_poll.run);
  CHECK(first_poll.due_ms == Utc(2026, 5, 4, 10, 20));
  CHECK(first_poll.next_ms == Utc(2026, 5, 4, 10, 20, 30));
  // The clock stepped back an hour after the 14:00 run: 13:00 is not run again.
  auto back = sch::Decide(hourly, Utc(2026, 5, 4, 14), Utc(2026, 5, 4, 13, 5));
  CHECK_FALSE(back.run);
  CHECK(back.next_ms == Utc(2026, 5, 4, 15));
}

TEST_CASE("Parse: the plan's forms, and what it refuses") {
  std::string error;
  sch::Options options;
  auto every = sch::Parse("every", 3600000, "", options, error);
  REQUIRE(every.has_value());
  CHECK(every->kind == sch::TriggerKind::kEvery);
  CHECK(every->period_ms == 3600000);
  CHECK_FALSE(sch::Parse("every", 0, "", options, error).has_value());
  CHECK(error.find("every_ms") != std::string::npos);
  auto berlin = sch::Parse("daily_at", 0, "02:00 Europe/Berlin", options, error);
  REQUIRE(berlin.has_value());
  CHECK(berlin->zone == "Europe/Berlin");
  CHECK(berlin->hour == 2);
  for (const char* bad : {"2:00", "24:00", "02:60", "02:00 ", "02:00  Europe/Berlin", "0200", "", "02:00Europe/Berlin"}) {
    CAPTURE(bad);
    error.clear();
    CHECK_FALSE(sch::Parse("daily_at", 0, bad, options, error).has_value());
    CHECK(error.find("daily_at") != std::string::npos);
  }
  error.clear();
  CHECK_FALSE(sch::Parse("daily_at", 0, "02:00 Europe/Berln", options, error).has_value());
  CHECK(error.find("unknown time zone `Europe/Berln`") != std::string::npos);
  options.default_zone = "Mars/Olympus";
  error.clear();
  CHECK_FALSE(sch::Parse("daily_at", 0, "02:00", options, error).has_value());
  CHECK(error.find("`Mars/Olympus`") != std::string::npos);
  CHECK(error.find("default zone") != std::string::npos);
  options = {};
  options.poll_ms = 0;
  CHECK_FALSE(sch::Parse("on_change", 0, "", options, error).has_value());
  CHECK_FALSE(sch::Parse("hourly", 0, "", {}, error).has_value());
  CHECK(error.find("unknown trigger `hourly`") != std::string::npos);
}

TEST_CASE("KnownZone: zones of the tz database, nothing else") {
  CHECK(sch::KnownZone("Europe/Berlin"));
  CHECK(sch::KnownZone("America/New_York"));
  CHECK(sch::KnownZone("America/Argentina/Buenos_Aires"));
  CHECK(sch::KnownZone("UTC"));
  CHECK(sch::KnownZone("Etc/GMT+5"));
  CHECK_FALSE(sch::KnownZone("Europe/Berln"));
  CHECK_FALSE(sch::KnownZone(""));
  CHECK_FALSE(sch::KnownZone("localtime"));
  CHECK_FALSE(sch::KnownZone("/usr/share/zoneinfo/UTC"));
  CHECK_FALSE(sch::KnownZone("../../../etc/localtime"));
  CHECK_FALSE(sch::KnownZone("Europe/../Europe/Berlin"));
  CHECK_FALSE(sch::KnownZone("Europe//Berlin"));
  CHECK_FALSE(sch::KnownZone("Europe/Berlin/"));
  CHECK_FALSE(sch::KnownZone("file:Europe/Berlin"));
  CHECK_FALSE(sch::KnownZone("Fixed/UTC+01:00"));
  CHECK_FALSE(sch::KnownZone("right/Europe/Berlin"));
  CHECK_FALSE(sch::KnownZone("zone.tab"));
  CHECK_FALSE(sch::KnownZone("leapseconds"));  // a file of tzdata that is not a zone
  CHECK_FALSE(sch::KnownZone("Europe/Berlin "));
}
