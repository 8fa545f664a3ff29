// Defines schedule.h on Abseil's civil time and time zones (cctz over /usr/share/zoneinfo).
#include "runtime/schedule/schedule.h"

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <cstdlib>

namespace crmx::schedule {
namespace {

// Floor division: the epoch anchor must hold for instants before 1970 too.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool ZoneNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
         c == '+' || c == '-';
}

// Loads a zone Parse accepted; a zone that vanished since (tzdata removed under a running
// serve) is a broken invariant.
absl::TimeZone LoadZone(const std::string& name) {
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(name, &tz)) std::abort();
  return tz;
}

// The instant day `day`'s run falls due: its local time in `tz`, moved to the end of a
// daylight-saving gap it falls in, at its first occurrence when the clock went back over it.
absl::Time DailyInstant(const Schedule& s, const absl::TimeZone& tz, absl::CivilDay day) {
  absl::TimeZone::TimeInfo info = tz.At(absl::CivilSecond(day.year(), day.month(), day.day(), s.hour, s.minute, 0));
  switch (info.kind) {
    case absl::TimeZone::TimeInfo::SKIPPED:
      // The transition instant: the first valid local time after the gap (03:00 for 02:30).
      return info.trans;
    case absl::TimeZone::TimeInfo::REPEATED:
      // The pre-transition offset names the earlier of the two instants.
      return info.pre;
    case absl::TimeZone::TimeInfo::UNIQUE:
      break;
  }
  return info.pre;
}

// Interval schedules (every, on_change) are anchored at the Unix epoch.
int64_t PeriodicNext(int64_t period, int64_t after_ms) { return (FloorDiv(after_ms, period) + 1) * period; }
int64_t PeriodicLatest(int64_t period, int64_t at_ms) { return FloorDiv(at_ms, period) * period; }

std::optional<Schedule> ParseDailyAt(std::string_view text, const Options& options, std::string& error) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  auto fail = [&](const std::string& why) {
    error = "daily_at \"" + std::string(text) + "\" " + why;
    return std::nullopt;
  };
  if (text.size() < 5 || !digit(text[0]) || !digit(text[1]) || text[2] != ':' || !digit(text[3]) || !digit(text[4])) {
    return fail("is not HH:MM or \"HH:MM ZONE\"");
  }
  Schedule s;
  s.kind = TriggerKind::kDailyAt;
  s.hour = (text[0] - '0') * 10 + (text[1] - '0');
  s.minute = (text[3] - '0') * 10 + (text[4] - '0');
  if (s.hour > 23 || s.minute > 59) return fail("is not a time of day (00:00 to 23:59)");
  std::string_view rest = text.substr(5);
  if (rest.empty()) {
    s.zone = options.default_zone;
  } else if (rest.size() > 1 && rest[0] == ' ') {
    s.zone = std::string(rest.substr(1));
  } else {
    return fail("is not HH:MM or \"HH:MM ZONE\"");
  }
  if (!KnownZone(s.zone)) {
    error = "unknown time zone `" + s.zone + "` in daily_at \"" + std::string(text) + "\"" +
            (rest.empty() ? " (the default zone)" : "") + ": not an IANA zone of the tz database (/usr/share/zoneinfo)";
    return std::nullopt;
  }
  return s;
}

}  // namespace

bool KnownZone(std::string_view name) {
  // Zone-name characters only: no '.' ("..", "zone.tab"), no ':' (Abseil's "Fixed/UTC+01:00:00"
  // and "file:" forms). "localtime" is the machine's zone, not a name. Abseil itself refuses
  // tzdata's leap-second "right/" copies.
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.back() == '/' ||
      name.find("//") != std::string_view::npos || name == "localtime") {
    return false;
  }
  for (char c : name) {
    if (!ZoneNameChar(c)) return false;
  }
  absl::TimeZone tz;
  return absl::LoadTimeZone(std::string(name), &tz);
}

std::optional<Schedule> Parse(std::string_view trigger, int64_t every_ms, std::string_view daily_at,
                              const Options& options, std::string& error) {
  if (trigger == "every") {
    if (every_ms <= 0) {
      error = "trigger `every` needs every_ms > 0 (got " + std::to_string(every_ms) + ")";
      return std::nullopt;
    }
    return Schedule{TriggerKind::kEvery, every_ms, 0, 0, ""};
  }
  if (trigger == "daily_at") return ParseDailyAt(daily_at, options, error);
  if (trigger == "on_change") {
    if (options.poll_ms <= 0) {
      error = "trigger `on_change` needs a poll interval > 0 (got " + std::to_string(options.poll_ms) + " ms)";
      return std::nullopt;
    }
    return Schedule{TriggerKind::kOnChange, options.poll_ms, 0, 0, ""};
  }
  error = "unknown trigger `" + std::string(trigger) + "` (expected every, daily_at or on_change)";
  return std::nullopt;
}

int64_t NextDue(const Schedule& s, int64_t after_ms) {
  if (s.kind != TriggerKind::kDailyAt) return PeriodicNext(s.period_ms, after_ms);
  absl::TimeZone tz = LoadZone(s.zone);
  absl::Time after = absl::FromUnixMillis(after_ms);
  // Day d's instant is on local day d, or, pushed out of a gap that ends a day later, at the
  // first instant of local day d + 1 (Pacific/Apia skipped 2011-12-30). Either way the days
  // before `after`'s local day fall due at or before it, and the instants increase with the day.
  for (absl::CivilDay day = absl::ToCivilDay(after, tz);; ++day) {
    absl::Time t = DailyInstant(s, tz, day);
    if (t > after) return absl::ToUnixMillis(t);
  }
}

int64_t LatestDue(const Schedule& s, int64_t at_ms) {
  if (s.kind != TriggerKind::kDailyAt) return PeriodicLatest(s.period_ms, at_ms);
  absl::TimeZone tz = LoadZone(s.zone);
  absl::Time at = absl::FromUnixMillis(at_ms);
  // Start at the next local day: where the clock went back over midnight, `at` may read the
  // day before the one whose instant just passed (America/Goose_Bay fell back from 2010-11-07
  // 00:01 to 2010-11-06 23:01). The day after that falls due after `at`.
  for (absl::CivilDay day = absl::ToCivilDay(at, tz) + 1;; --day) {
    absl::Time t = DailyInstant(s, tz, day);
    if (t <= at) return absl::ToUnixMillis(t);
  }
}

Decision Decide(const Schedule& s, std::optional<int64_t> last_due_ms, int64_t now_ms) {
  Decision d;
  if (!last_due_ms) {
    d.next_ms = NextDue(s, now_ms);
    if (s.kind == TriggerKind::kOnChange) {
      d.run = true;
      d.due_ms = LatestDue(s, now_ms);
    }
    return d;
  }
  int64_t last = *last_due_ms;
  d.next_ms = NextDue(s, now_ms > last ? now_ms : last);
  int64_t latest = LatestDue(s, now_ms);
  if (latest <= last) return d;
  d.run = true;
  d.due_ms = latest;
  if (s.kind != TriggerKind::kDailyAt) {
    int64_t first = PeriodicNext(s.period_ms, last);
    d.skipped = first < latest ? (latest - first) / s.period_ms : 0;
  } else {
    // One instant per local day: a year of downtime is 365 steps.
    for (int64_t t = NextDue(s, last); t < latest; t = NextDue(s, t)) ++d.skipped;
  }
  return d;
}

}  // namespace crmx::schedule
