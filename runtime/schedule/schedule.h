// Defines when a sync is due: the schedule of a plan's Sync (its `trigger`, `every_ms` and
// `daily_at`, docs/plan-format.md "Sync"), the instants it falls due, and the one decision
// `crmx-run serve` takes per sync and tick: run now, or sleep until when. The rules are in
// docs/serve.md ("When a sync runs"); in short:
//
// - `every P` is anchored to the Unix epoch: it falls due at every multiple of P since
//   1970-01-01T00:00:00Z (`every 1h` at the top of each UTC hour, `every 15m` at :00, :15, ...).
// - `daily_at "HH:MM [ZONE]"` falls due once per calendar day of ZONE (the default zone when
//   the plan names none) at that local time. A local time skipped by a daylight-saving change
//   falls due at the change itself (the first instant after the gap: 03:00 for 02:30 on a
//   spring-forward night in Europe/Berlin); a local time that occurs twice falls due once, at
//   its first occurrence.
// - `on_change` is polled: it falls due every `poll_ms` (serve's setting), anchored like `every`.
// - Catch-up is once: after downtime (or a run longer than the period) only the latest missed
//   instant runs; the ones before it are counted as skipped, never run one after another.
//
// Instants are Unix milliseconds (UTC). Zones come from the system's tz database
// (/usr/share/zoneinfo, Debian tzdata) through Abseil's time zone library, like std.time; no
// Abseil type appears in this header. Every function is safe to call from several threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crmx::schedule {

enum class TriggerKind { kEvery, kDailyAt, kOnChange };

struct Schedule {
  TriggerKind kind = TriggerKind::kEvery;
  int64_t period_ms = 0;  // kEvery: the period; kOnChange: the poll interval
  int hour = 0;           // kDailyAt: local time of day, 0..23
  int minute = 0;         // kDailyAt: 0..59
  std::string zone;       // kDailyAt: an IANA zone name KnownZone accepts
};

struct Options {
  // How often an `on_change` sync polls its source (serve's setting).
  int64_t poll_ms = 60000;
  // The zone of a `daily_at` written without one.
  std::string default_zone = "UTC";
};

// Whether `name` is a zone of the tz database: an IANA name such as "Europe/Berlin",
// "America/New_York" or "UTC". Names that are not plain zone names are refused without
// looking at the disk: empty, absolute or relative paths ("/etc/localtime", "../x"),
// "localtime", Abseil's "Fixed/..." forms, tzdata's leap-second "right/..." copies,
// characters outside [A-Za-z0-9/_+-].
bool KnownZone(std::string_view name);

// The schedule of a plan Sync from its fields: `trigger` is "every" (with `every_ms` > 0),
// "daily_at" (with `daily_at` "HH:MM" or "HH:MM ZONE", as crmxc writes it) or "on_change".
// Nullopt with `error` saying what is wrong, naming an unknown zone
// ("unknown time zone `Europe/Berln` in daily_at \"02:00 Europe/Berln\"").
std::optional<Schedule> Parse(std::string_view trigger, int64_t every_ms, std::string_view daily_at,
                              const Options& options, std::string& error);

// The first instant the schedule falls due strictly after `after_ms`.
int64_t NextDue(const Schedule& schedule, int64_t after_ms);
// The last instant the schedule falls due at or before `at_ms`.
int64_t LatestDue(const Schedule& schedule, int64_t at_ms);

struct Decision {
  bool run = false;
  // run: the due instant this run stands for (store it: it is the next call's `last_due_ms`).
  int64_t due_ms = 0;
  // run: due instants between the last one run and `due_ms` that are not run (catch-up: once).
  int64_t skipped = 0;
  // When to ask again: the first due instant after `now_ms` (and after `last_due_ms`).
  int64_t next_ms = 0;
};

// Whether a sync whose last run stood for `last_due_ms` runs at `now_ms`. With no last run
// (a sync serve has never run), `every` and `daily_at` wait for their next due instant, as cron
// does for a job added after its time; `on_change` polls at once. A clock that went back
// (`now_ms` before `last_due_ms`) never runs a due instant twice.
Decision Decide(const Schedule& schedule, std::optional<int64_t> last_due_ms, int64_t now_ms);

}  // namespace crmx::schedule
