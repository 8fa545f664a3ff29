// Tests of the queue history a state file keeps (state version 8, table item_stays, kept by
// triggers on items) and what the report book reads of it (runtime/state/report_book.h): a record
// written by a run leaves at that run, one put in another queue is moved, one replayed by a person
// is replayed, a resolve closes the stay at the time acted and a later run re-opens it as a new
// stay, its reasons follow the latest run, flags are not queues; the period and map filters; a
// version 7 file migrates with a stay for each item it has.
#include <doctest/doctest.h>

#include <filesystem>

#include "runtime/state/queue_book.h"
#include "runtime/state/report_book.h"
#include "runtime/state/state.h"
#include "tests/unit/support/files.h"
#include "tests/unit/support/sqlite_file.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx;
using testing::Exec;
using testing::Scalar;

state::QueueEntry Dq(const std::string& key, std::vector<std::string> reasons = {"missing Name"},
                     std::vector<std::string> fields = {"Name"}, const std::string& queue = "data_quality") {
  return state::QueueEntry{"account_to_customer", queue, key, "Account.jsonl", 1, std::move(reasons), std::move(fields)};
}

// Runs `body` as run `n` of the store, then dates the run at `started`.
template <typename F>
void Run(state::StateStore& st, const fs::path& path, int64_t n, const std::string& started, F body) {
  REQUIRE(st.BeginRun("h") == n);
  body();
  REQUIRE(st.FinishRun(n, "{}"));
  REQUIRE_MESSAGE(st.ok(), st.error());
  Exec(path, "UPDATE runs SET started = '" + started + "', finished = '" + started + "' WHERE run = " + std::to_string(n));
}

const state::StayRow* Find(const state::QueueHistory& h, const std::string& key, int64_t entered_run) {
  for (const state::StayRow& s : h.stays)
    if (s.record_id == key && s.entered_run == entered_run) return &s;
  return nullptr;
}

}  // namespace

TEST_CASE("the queue history: written, moved, replayed, resolved then re-opened, reasons updated, flags apart") {
  fs::path d = testing::FreshDir("report_book", "history");
  fs::path path = d / "state.db";
  std::string error;
  auto st = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(st, error);
  Run(*st, path, 1, "2026-11-01T10:00:00Z", [&] {
    for (const char* k : {"A", "B", "C", "E"}) REQUIRE(st->PutItem(1, Dq(k)));
    REQUIRE(st->PutFlag(1, "account_to_customer", "F", "finance:default_terms"));
    REQUIRE(st->PutItem(1, Dq("H", {"Pending Review"}, {}, "held")));
  });
  int64_t item_e = state::FindItem(*st, "account_to_customer", "E", "data_quality", error);
  REQUIRE(item_e > 0);
  Run(*st, path, 2, "2026-11-08T10:00:00Z", [&] {
    REQUIRE(st->ClearItems("account_to_customer", "A", true));  // written: fixed at the source
    REQUIRE(st->PutItem(2, Dq("B", {"account missing"}, {}, "waiting")));  // moved
    REQUIRE(st->PutItem(2, Dq("C", {"missing Name", "no country"}, {"Name", "BillingCountry"})));  // still failing
    REQUIRE(st->PutItem(2, Dq("D", {"no country"}, {"BillingCountry"})));  // new
  });
  // A person resolves C between runs; replays E, which a run writes.
  state::ActResult act;
  bool refused = false;
  int64_t item_c = state::FindItem(*st, "account_to_customer", "C", "data_quality", error);
  REQUIRE(item_c > 0);
  REQUIRE_MESSAGE(state::Act(*st, item_c, "resolved", "fixed by hand", "ann", false, act, refused, error), error);
  std::string acted = Scalar(path, "SELECT acted FROM items WHERE id = " + std::to_string(item_c));
  REQUIRE_FALSE(acted.empty());
  Run(*st, path, 3, "2026-11-15T10:00:00Z", [&] {
    REQUIRE(st->PutItem(3, Dq("C", {"no country"}, {"BillingCountry"})));  // read again, still failing: back
    REQUIRE(st->ClearItems("account_to_customer", "E", true));
  });
  // The replay action comes after its run started (as `crmx-run queue replay` records it).
  Exec(path, "INSERT INTO actions (item, map, record_id, queue, action, note, actor, at) VALUES (" +
                 std::to_string(item_e) + ", 'account_to_customer', 'E', 'data_quality', 'replay', 'written (run 3)', "
                 "'dana', '2026-11-15T10:00:05Z')");

  state::QueueHistory h;
  REQUIRE_MESSAGE(state::LoadQueueHistory(*st, "data_quality", {}, "2026-10-01T00:00:00Z", "2026-12-01T00:00:00Z", h,
                                          error),
                  error);
  CHECK(h.runs == 3);
  CHECK(h.first_run_started == "2026-11-01T10:00:00Z");
  CHECK(h.run_starts == std::vector<std::string>{"2026-11-01T10:00:00Z", "2026-11-08T10:00:00Z", "2026-11-15T10:00:00Z"});
  // No flag, no held record: only data-quality stays.
  for (const state::StayRow& s : h.stays) CHECK(s.queue == "data_quality");
  CHECK(h.stays.size() == 6);  // A, B, C (twice), D, E
  const state::StayRow* a = Find(h, "A", 1);
  REQUIRE(a);
  CHECK(a->how == "fixed");
  CHECK(a->left_run == 2);
  CHECK(a->entered == "2026-11-01T10:00:00Z");
  CHECK(a->left == "2026-11-08T10:00:00Z");
  const state::StayRow* b = Find(h, "B", 1);
  REQUIRE(b);
  CHECK(b->how == "moved");
  CHECK(b->moved_to == "waiting");
  const state::StayRow* c1 = Find(h, "C", 1);
  REQUIRE(c1);
  CHECK(c1->how == "resolved");
  CHECK(c1->left == acted);
  CHECK(c1->reasons == std::vector<std::string>{"missing Name", "no country"});  // what run 2 said
  CHECK(c1->fields == std::vector<std::string>{"Name", "BillingCountry"});
  const state::StayRow* c3 = Find(h, "C", 3);
  REQUIRE(c3);
  CHECK(c3->how.empty());
  CHECK(c3->left.empty());
  CHECK(c3->entered == "2026-11-15T10:00:00Z");
  CHECK(c3->reasons == std::vector<std::string>{"no country"});
  const state::StayRow* dd = Find(h, "D", 2);
  REQUIRE(dd);
  CHECK(dd->how.empty());
  const state::StayRow* e = Find(h, "E", 1);
  REQUIRE(e);
  CHECK(e->how == "replayed");
  CHECK(e->left_run == 3);

  // The period: stays that left by `from` are not read, nor those entered after `to`.
  state::QueueHistory late;
  REQUIRE(state::LoadQueueHistory(*st, "data_quality", {}, "2026-11-08T10:00:00Z", "2026-11-14T00:00:00Z", late, error));
  CHECK_FALSE(Find(late, "A", 1));  // left at exactly `from`
  CHECK(Find(late, "D", 2));
  CHECK_FALSE(Find(late, "C", 3));  // entered after `to`
  CHECK(late.run_starts.empty());   // run 2 started at `from` exactly: not in (from, to]
  // The map filter.
  state::QueueHistory other;
  REQUIRE(state::LoadQueueHistory(*st, "data_quality", {"won_to_order"}, "2026-10-01T00:00:00Z", "2026-12-01T00:00:00Z",
                                  other, error));
  CHECK(other.stays.empty());
  // Held has its own history.
  state::QueueHistory held;
  REQUIRE(state::LoadQueueHistory(*st, "held", {}, "2026-10-01T00:00:00Z", "2026-12-01T00:00:00Z", held, error));
  REQUIRE(held.stays.size() == 1);
  CHECK(held.stays[0].record_id == "H");
  st.reset();
  fs::remove_all(d);
}

TEST_CASE("state version 8: a version 7 file migrates, each item it has getting its stay") {
  fs::path d = testing::FreshDir("report_book", "v7");
  fs::path path = d / "state.db";
  std::string error;
  {
    auto st = state::StateStore::Open(path.string(), error);
    REQUIRE_MESSAGE(st, error);
    REQUIRE(st->BeginRun("h") == 1);
    REQUIRE(st->PutItem(1, Dq("A")));
    REQUIRE(st->PutItem(1, Dq("B")));
    REQUIRE(st->PutFlag(1, "account_to_customer", "F", "finance:default_terms"));
    REQUIRE(st->FinishRun(1, "{}"));
  }
  // As a version 7 crmx-run left it: no item_stays, no stay_run, no triggers; B resolved by then.
  Exec(path,
       "DROP TRIGGER items_stay_reopen; DROP TRIGGER items_stay_close; DROP TRIGGER items_stay_leave; "
       "DROP VIEW queue_items; DROP VIEW queued_items; DROP VIEW flag_items; DROP TABLE item_sets; DROP TABLE item_stays; ALTER TABLE items DROP COLUMN stay_run; "
       "UPDATE items SET status = 'resolved', acted = '2026-11-02T00:00:00Z' WHERE record_id = 'B'; "
       "PRAGMA user_version = 7;");
  CHECK(Scalar(path, "SELECT count(*) FROM sqlite_master WHERE name = 'item_stays'") == "0");
  // Read-only, the file is refused (a run migrates it); opened as a run does, it migrates.
  state::OpenOptions ro;
  ro.read_only = true;
  CHECK_FALSE(state::StateStore::Open(path.string(), error, ro));
  auto st = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(st, error);
  CHECK(Scalar(path, "PRAGMA user_version") == std::to_string(state::kVersion));
  CHECK(state::kVersion >= 8);
  // A, open, is an open stay (its item); B, resolved, an ended one.
  CHECK(Scalar(path, "SELECT count(*) FROM item_stays") == "1");
  CHECK(Scalar(path, "SELECT count(*) FROM items WHERE record_id = 'A' AND status = 'open' AND stay_run IS NULL") == "1");
  CHECK(Scalar(path, "SELECT how || ' ' || left FROM item_stays WHERE record_id = 'B'") == "resolved 2026-11-02T00:00:00Z");
  // The triggers are there: a run that writes A closes its stay.
  REQUIRE(st->BeginRun("h") == 2);
  REQUIRE(st->ClearItems("account_to_customer", "A", true));
  CHECK(Scalar(path, "SELECT how || ' ' || left_run FROM item_stays WHERE record_id = 'A'") == "run 2");
  // Opening it again (a newer file set back to 7 keeps its table) migrates without a second stay.
  st.reset();
  Exec(path, "PRAGMA user_version = 7;");
  st = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(st, error);
  CHECK(Scalar(path, "SELECT count(*) FROM item_stays") == "2");
  st.reset();
  fs::remove_all(d);
}
