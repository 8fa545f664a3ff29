// Tests the alert book (runtime/state/alert_book.h) and state version 6: a version 5 file
// migrates (its rows kept, the alerts' tables added), a notification decided twice is one row,
// a clear is recorded, and the engine's events are marked delivered once their notifications
// are settled.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "runtime/state/alert_book.h"
#include "runtime/state/state.h"
#include "tests/unit/support/files.h"
#include "tests/unit/support/sqlite_file.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx;

using testing::Exec;
using testing::Scalar;

state::NotificationRow Row(const std::string& dedup, int64_t event = 0) {
  state::NotificationRow n;
  n.dedup = dedup;
  n.alert = "pending_approval";
  n.record_key = "17";
  n.target = "finance-ops";
  n.channel = "webhook:finance-ops";
  n.subject = "s";
  n.body = "b";
  n.status = "pending";
  n.created = n.updated = n.due = 1000;
  n.event = event;
  return n;
}

}  // namespace

TEST_CASE("state version 6: a version 5 file migrates, its rows kept, the alerts' tables added") {
  fs::path d = testing::FreshDir("alert_state", "v5");
  fs::path path = d / "state.db";
  std::string error;
  {
    auto st = state::StateStore::Open(path.string(), error);
    REQUIRE_MESSAGE(st, error);
    REQUIRE(st->AddEvent(1, "notify", "opp", "006A", "finance-ops", "opp 006A: write failed"));
  }
  // As a version 5 crmx-run left it: without the tables of version 6.
  Exec(path, "DROP TABLE alert_timers; DROP TABLE alert_clears; DROP TABLE notifications; PRAGMA user_version = 5;");
  CHECK(Scalar(path, "SELECT count(*) FROM sqlite_master WHERE name = 'notifications'") == "0");
  {
    auto st = state::StateStore::Open(path.string(), error);
    REQUIRE_MESSAGE(st, error);
  }
  CHECK(Scalar(path, "PRAGMA user_version") == std::to_string(state::kVersion));
  for (const char* t : {"alert_timers", "alert_clears", "notifications"})
    CHECK(Scalar(path, std::string("SELECT count(*) FROM sqlite_master WHERE name = '") + t + "'") == "1");
  CHECK(Scalar(path, "SELECT message FROM events") == "opp 006A: write failed");
  fs::remove_all(d);
}

TEST_CASE("alert book: a notification decided twice is one row; timers kept and cleared; events marked delivered") {
  fs::path d = testing::FreshDir("alert_state", "book");
  fs::path path = d / "state.db";
  std::string error;
  auto st = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(st, error);
  REQUIRE(st->AddEvent(1, "notify", "opp", "006A", "finance-ops", "failed"));
  int64_t event = std::stoll(Scalar(path, "SELECT id FROM events"));
  state::AlertTimer t{"pending_approval", "17", 1000, 1000, 3000, 3000, 1, "006A", "status = Pending Approval"};
  REQUIRE_MESSAGE(state::RecordAlert(*st, {t}, {}, {Row("a|17|1000|1|x"), Row("e|1", event)}, 3000, error), error);
  REQUIRE_MESSAGE(state::RecordAlert(*st, {t}, {}, {Row("a|17|1000|1|x"), Row("e|1", event)}, 4000, error), error);
  std::vector<state::NotificationRow> rows;
  REQUIRE(state::ListNotifications(*st, "", 0, rows, error));
  CHECK(rows.size() == 2);
  std::map<std::string, state::AlertTimer> timers;
  REQUIRE(state::LoadTimers(*st, "pending_approval", timers, error));
  REQUIRE(timers.size() == 1);
  CHECK(timers["17"].fired == 3000);
  CHECK(timers["17"].link == "006A");
  // Due at 1000: both; the event is delivered once its notification is settled.
  std::vector<state::NotificationRow> due;
  REQUIRE(state::DueNotifications(*st, 2000, 10, due, error));
  REQUIRE(due.size() == 2);
  REQUIRE(state::MarkEventsDelivered(*st, 5000, error));
  CHECK(Scalar(path, "SELECT delivered IS NULL FROM events") == "1");
  for (state::NotificationRow& n : due) {
    n.status = "sent";
    n.sent = n.updated = 5000;
    n.attempts = 1;
    REQUIRE(state::SettleNotification(*st, n, error));
  }
  REQUIRE(state::MarkEventsDelivered(*st, 5000, error));
  CHECK(Scalar(path, "SELECT delivered FROM events") == "1970-01-01T00:00:05Z");
  // Decided again after they were sent (a restart deciding the same round): nothing changes.
  REQUIRE_MESSAGE(state::RecordAlert(*st, {t}, {}, {Row("a|17|1000|1|x"), Row("e|1", event)}, 7000, error), error);
  REQUIRE(state::ListNotifications(*st, "sent", 0, rows, error));
  CHECK(rows.size() == 2);
  CHECK(Scalar(path, "SELECT group_concat(id) FROM notifications") == "1,2");
  REQUIRE(state::DueNotifications(*st, 9000, 10, due, error));
  CHECK(due.empty());
  // Cleared: recorded, gone.
  REQUIRE(state::RecordAlert(*st, {}, {t}, {}, 6000, error));
  REQUIRE(state::LoadTimers(*st, "pending_approval", timers, error));
  CHECK(timers.empty());
  CHECK(Scalar(path, "SELECT alert || ' ' || record_key || ' ' || since || ' ' || cleared FROM alert_clears") ==
        "pending_approval 17 1000 6000");
  st.reset();
  fs::remove_all(d);
}
