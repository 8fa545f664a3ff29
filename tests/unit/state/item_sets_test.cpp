// Tests of the records a state keeps as entries of item sets (runtime/state/item_sets.h), on
// SQLite and, when the test cluster is there (ctest's test_state_postgres), on PostgreSQL: a
// record queued for the first time is an entry of a set of at most 4,096, an item of
// `queued_items` and of `crmx-run queue list` with an id of its own from the counter of `items`;
// queued again in its queue it keeps its id and first run; moved, written or skipped it leaves a
// stay in the queues' history; a person's resolve makes it a row with the same id; a rollback
// keeps nothing; keys of any text round-trip; the sets read stay bounded in memory.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "runtime/state/alert_book.h"
#include "runtime/state/queue_book.h"
#include "runtime/state/state.h"
#include "runtime/state/statement.h"
#include "tests/unit/state/both_databases.h"

namespace {

using namespace crmx;
using crmx::testing::K;
using crmx::testing::OnBothDatabases;
using crmx::testing::Scalar;

state::QueueEntry Entry(const std::string& key, const std::string& queue, int64_t line = 7) {
  return state::QueueEntry{"m", queue, key, "Account.jsonl", line, {"missing Name", "bad \"phone\""}, {"Name", "Phone"}};
}

// The open items of map "m" but flags, by record key, as `crmx-run queue list` reads them.
std::map<std::string, state::Item> Items(state::StateStore& st, const std::string& status = "open") {
  std::vector<state::Item> items;
  std::string error;
  state::ItemFilter f;
  f.map = "m";
  f.status = status;
  REQUIRE_MESSAGE(state::ListItems(st, f, items, error), error);
  std::map<std::string, state::Item> out;
  for (state::Item& it : items) {
    INFO(it.record_id);
    CHECK(out.count(it.record_id) == 0);  // one item a record
    out[it.record_id] = std::move(it);
  }
  return out;
}

std::string Text(state::StateStore& st, const std::string& sql) {
  state::Statement q(st.db(), sql);
  REQUIRE_MESSAGE(q.Row(), q.Error());
  return q.Null(0) ? "NULL" : q.Text(0);
}

}  // namespace

TEST_CASE("records queued for the first time are entries of sets of 4,096, each an item with an id from the items' counter") {
  OnBothDatabases("items_sets", [](state::StateStore& st) {
    REQUIRE(st.BeginRun("h") == 1);
    REQUIRE(st.Begin());
    for (int i = 0; i < 10000; ++i) REQUIRE(st.PutItem(1, Entry(K(i), "held", i + 1), "S" + std::to_string(i), true));
    for (int i = 0; i < 3; ++i) REQUIRE(st.PutItem(1, Entry("Q" + std::to_string(i), "data_quality"), "", true));
    REQUIRE(st.Commit());
    CHECK(Scalar(st, "SELECT count(*) FROM item_sets") == 4);
    CHECK(Scalar(st, "SELECT sum(n) FROM item_sets") == 10003);
    CHECK(Scalar(st, "SELECT max(n) FROM item_sets") == 4096);
    CHECK(Scalar(st, "SELECT count(*) FROM items") == 0);
    CHECK(Scalar(st, "SELECT count(*) FROM queued_items") == 10003);
    CHECK(Scalar(st, "SELECT count(DISTINCT id) FROM queued_items") == 10003);
    CHECK(st.OpenItemCounts()["held"] == 10000);
    CHECK(st.OpenItemCounts()["data_quality"] == 3);
    auto items = Items(st);
    REQUIRE(items.size() == 10003);
    const state::Item& k4097 = items["K4097"];
    CHECK(k4097.queue == "held");
    CHECK(k4097.source_id == "S4097");
    CHECK(k4097.reasons == std::vector<std::string>{"missing Name", "bad \"phone\""});
    CHECK(k4097.fields == std::vector<std::string>{"Name", "Phone"});
    CHECK(k4097.file == "Account.jsonl");
    CHECK(k4097.line == 4098);
    CHECK(k4097.first_run == 1);
    CHECK(k4097.last_run == 1);
    CHECK(k4097.status == "open");
    CHECK(items["Q1"].source_id.empty());
    // Read by id: the same item as listed.
    std::string error;
    auto got = state::GetItem(st, k4097.id, error);
    REQUIRE_MESSAGE(got, error);
    CHECK(got->record_id == "K4097");
    CHECK(got->line == 4098);
    CHECK(state::FindItem(st, "m", "K4097", "held", error) == k4097.id);
    // A row written later takes the next id of the same counter: no id names two items.
    const int64_t top = Scalar(st, "SELECT max(id) FROM queued_items");
    REQUIRE(st.Begin());
    REQUIRE(st.PutItem(1, Entry("R1", "waiting")));  // not fresh: a row
    REQUIRE(st.Commit());
    CHECK(Scalar(st, "SELECT count(*) FROM items") == 1);
    CHECK(Scalar(st, "SELECT id FROM items WHERE record_id = 'R1'") > top);
    // A set's entry as stored: [id, record_id, source_id, reasons, fields, file, line, first_run].
    CHECK(Scalar(st, "SELECT count(*) FROM item_sets WHERE queue = 'data_quality' AND entries LIKE "
                     "'[[%,\"Q0\",null,[\"missing Name\",\"bad \\\"phone\\\"\"],[\"Name\",\"Phone\"],\"Account.jsonl\",7,1]%' ESCAPE '!'") == 1);  // (PostgreSQL's LIKE escapes with \\ unless told)
  });
}

TEST_CASE("queued again in its queue an entry keeps its id and first run; moved, written or resolved it leaves a stay") {
  OnBothDatabases("items_moves", [](state::StateStore& st) {
    REQUIRE(st.BeginRun("h") == 1);
    REQUIRE(st.Begin());
    for (int i = 0; i < 5000; ++i) REQUIRE(st.PutItem(1, Entry(K(i), "held"), "", true));
    REQUIRE(st.Commit());
    auto before = Items(st);
    REQUIRE(before.size() == 5000);
    REQUIRE(st.FinishRun(1, "{}"));

    REQUIRE(st.BeginRun("h") == 2);
    REQUIRE(st.Begin());
    // As a run does: the map's keys with items, then the records again.
    std::set<std::string> rows, flags;
    st.ItemKeys("m", [&](std::string_view k) { rows.insert(std::string(k)); },
                [&](std::string_view k) { flags.insert(std::string(k)); });
    CHECK(rows.size() == 5000);
    CHECK(flags.empty());
    REQUIRE(st.PutItem(2, Entry("K1", "held", 99)));         // still held (first set)
    REQUIRE(st.PutItem(2, Entry("K4500", "held", 98)));      // still held (second set)
    REQUIRE(st.PutItem(2, Entry("K2", "data_quality")));    // moved
    REQUIRE(st.ClearItems("m", "K3", true));                 // written
    REQUIRE(st.ClearItems("m", "K4501", true));              // written
    REQUIRE(st.ClearItems("m", "NEVER", true));              // in no queue: nothing
    REQUIRE(st.Commit());
    auto after = Items(st);
    CHECK(after.size() == 4998);
    CHECK(after.count("K3") == 0);
    CHECK(after.count("K4501") == 0);
    CHECK(after["K1"].id == before["K1"].id);
    CHECK(after["K1"].first_run == 1);
    CHECK(after["K1"].last_run == 2);
    CHECK(after["K1"].line == 99);
    CHECK(after["K4500"].id == before["K4500"].id);
    CHECK(after["K4500"].last_run == 2);
    CHECK(after["K2"].queue == "data_quality");
    CHECK(after["K2"].id != before["K2"].id);
    CHECK(after["K2"].first_run == 2);
    CHECK(after["K5"].id == before["K5"].id);  // untouched
    CHECK(after["K5"].last_run == 1);
    // Only the moved record is a row; the others are entries still.
    CHECK(Scalar(st, "SELECT count(*) FROM items") == 1);
    CHECK(Scalar(st, "SELECT sum(n) FROM item_sets") == 4997);
    // The stays that ended: the moved and the written ones, their items' ids, from run 1 to run 2.
    CHECK(Scalar(st, "SELECT count(*) FROM item_stays") == 3);
    for (const char* k : {"K2", "K3", "K4501"}) {
      INFO(k);
      CHECK(Text(st, std::string("SELECT item || ' ' || queue || ' ' || entered_run || '-' || left_run || ' ' || how "
                                 "FROM item_stays WHERE record_id = '") + k + "'") ==
            std::to_string(before[k].id) + " held 1-2 run");
    }
    REQUIRE(st.FinishRun(2, "{}"));

    // A person resolves an entry: a row with the same id, its stay ended as resolved.
    std::string error;
    state::ActResult act;
    bool refused = false;
    const int64_t id = before["K7"].id;
    REQUIRE_MESSAGE(state::Act(st, id, "resolved", "fixed by hand", "ann", false, act, refused, error), error);
    CHECK(act.before.record_id == "K7");
    CHECK(Scalar(st, "SELECT count(*) FROM items WHERE id = " + std::to_string(id) + " AND status = 'resolved'") == 1);
    CHECK(Scalar(st, "SELECT count(*) FROM queued_items WHERE record_id = 'K7'") == 1);
    CHECK(Scalar(st, "SELECT sum(n) FROM item_sets") == 4996);
    CHECK(Text(st, "SELECT how || ' ' || entered_run FROM item_stays WHERE record_id = 'K7'") == "resolved 1");
    // The open counts (status, serve's metrics, the alerts) add the entries, the rows and the flags.
    REQUIRE(st.PutFlag(2, "m", "K9999", "review"));
    auto counts = st.OpenItemCounts();
    CHECK(counts == std::map<std::string, int64_t>{{"data_quality", 1}, {"flag", 1}, {"held", 4996}});
    CHECK(counts["held"] == Scalar(st, "SELECT count(*) FROM queue_items WHERE queue = 'held' AND status = 'open'"));
    std::map<std::string, int64_t> by_map;
    REQUIRE_MESSAGE(state::OpenItemsByMap(st, "held", by_map, error), error);
    CHECK(by_map == std::map<std::string, int64_t>{{"m", 4996}});
    REQUIRE_MESSAGE(state::OpenItemsByMap(st, "flag", by_map, error), error);
    CHECK(by_map == std::map<std::string, int64_t>{{"m", 1}});
    auto resolved = Items(st, "resolved");
    REQUIRE(resolved.count("K7") == 1);
    CHECK(resolved["K7"].note == "fixed by hand");
    CHECK(resolved["K7"].first_run == 1);
    // Acting again on it is refused (it is resolved), and its id names it still.
    CHECK_FALSE(state::Act(st, id, "discarded", "", "bob", false, act, refused, error));
    CHECK(refused);
    // The next run queues K7 again: the row re-opens (same id), as rows do.
    REQUIRE(st.BeginRun("h") == 3);
    REQUIRE(st.Begin());
    REQUIRE(st.PutItem(3, Entry("K7", "held")));
    REQUIRE(st.Commit());
    auto third = Items(st);
    CHECK(third["K7"].id == id);
    CHECK(third["K7"].status == "open");
  });
}

TEST_CASE("a record twice in a run: its pending entry moves or leaves a stay; a rollback keeps no entry") {
  OnBothDatabases("items_pending", [](state::StateStore& st) {
    REQUIRE(st.BeginRun("h") == 1);
    REQUIRE(st.Begin());
    // As a run starts: the map's keys read (none), its index kept; the set written below is read
    // into it only when K10 is looked for.
    int keys = 0;
    st.ItemKeys("m", [&](std::string_view) { ++keys; }, [&](std::string_view) { ++keys; });
    CHECK(keys == 0);
    for (int i = 0; i < 4100; ++i) REQUIRE(st.PutItem(1, Entry(K(i), "held"), "", true));  // a set written, 4 pending
    REQUIRE(st.PutItem(1, Entry("K4099", "held", 50)));          // pending, queued again: kept once
    REQUIRE(st.PutItem(1, Entry("K4098", "data_quality")));      // pending, moved: a stay of run 1
    REQUIRE(st.PutItem(1, Entry("K10", "held", 51)));            // in the written set, same transaction
    REQUIRE(st.ClearItems("m", "K4097", true));                  // pending, written
    REQUIRE(st.Commit());
    auto items = Items(st);
    CHECK(items.size() == 4099);
    CHECK(items["K4099"].line == 50);
    CHECK(items["K10"].line == 51);
    CHECK(items["K4098"].queue == "data_quality");
    CHECK(Scalar(st, "SELECT count(*) FROM item_stays WHERE entered_run = 1 AND left_run = 1 AND how = 'run'") == 2);
    CHECK(Scalar(st, "SELECT count(DISTINCT id) FROM queued_items") == 4099);

    // A rollback: the sets written in the transaction and the pending ones go; the earlier ones stay.
    const int64_t sets = Scalar(st, "SELECT count(*) FROM item_sets");
    REQUIRE(st.Begin());
    for (int i = 0; i < 5000; ++i) REQUIRE(st.PutItem(1, Entry("X" + std::to_string(i), "held"), "", true));
    REQUIRE(st.ClearItems("m", "K11", true));
    st.Rollback();
    CHECK(Scalar(st, "SELECT count(*) FROM item_sets") == sets);
    CHECK(Items(st).size() == 4099);
    CHECK(Items(st).count("K11") == 1);
    // And the store goes on: what was cached before the rollback is not trusted after it.
    REQUIRE(st.Begin());
    REQUIRE(st.ClearItems("m", "K11", true));
    REQUIRE(st.PutItem(1, Entry("Y1", "held"), "", true));
    REQUIRE(st.Commit());
    CHECK(Items(st).count("K11") == 0);
    CHECK(Items(st).count("Y1") == 1);
    CHECK(Scalar(st, "SELECT count(DISTINCT id) FROM queued_items") == 4099);
  });
}

TEST_CASE("item keys of any text round-trip through the sets; the sets read stay bounded in memory") {
  OnBothDatabases("items_keys", [](state::StateStore& st) {
    const std::vector<std::string> keys = {"a\"b", "c\\d", "e\nf", "tab\there", "\x01", "ü✓ 名前", "{\"k\":[1]}", "'; --"};
    REQUIRE(st.BeginRun("h") == 1);
    REQUIRE(st.Begin());
    for (const std::string& k : keys) REQUIRE(st.PutItem(1, Entry(k, "held"), k, true));
    // More entries than the sets kept in memory (ItemSets::kMaxLoaded), so that taking them all
    // again writes and forgets sets on the way.
    const int n = static_cast<int>(state::ItemSets::kMaxLoaded) + 5000;
    for (int i = 0; i < n; ++i) REQUIRE(st.PutItem(1, Entry(K(i), "data_quality"), "", true));
    REQUIRE(st.Commit());
    auto items = Items(st);
    REQUIRE(items.size() == keys.size() + static_cast<size_t>(n));
    for (const std::string& k : keys) {
      INFO(k);
      REQUIRE(items.count(k) == 1);
      CHECK(items[k].source_id == k);
    }
    REQUIRE(st.BeginRun("h") == 2);
    REQUIRE(st.Begin());
    for (const std::string& k : keys) REQUIRE(st.PutItem(2, Entry(k, "held")));
    // Every 16th written (a row each, deleted), the others queued again (entries, moved).
    int cleared = 0;
    for (int i = 0; i < n; ++i) {
      if (i % 16 == 1) {
        REQUIRE(st.ClearItems("m", K(i), true));
        ++cleared;
      } else {
        REQUIRE(st.PutItem(2, Entry(K(i), "data_quality")));
      }
    }
    REQUIRE(st.Commit());
    auto after = Items(st);
    CHECK(after.size() == keys.size() + static_cast<size_t>(n - cleared));
    for (const std::string& k : keys) {
      INFO(k);
      REQUIRE(after.count(k) == 1);
      CHECK(after[k].id == items[k].id);
      CHECK(after[k].last_run == 2);
    }
    for (int i : {0, 2, 4096, n - 1}) {
      INFO(K(i));
      REQUIRE(after.count(K(i)) == 1);
      CHECK(after[K(i)].id == items[K(i)].id);
      CHECK(after[K(i)].last_run == 2);
    }
    CHECK(after.count(K(1)) == 0);
    CHECK(Scalar(st, "SELECT count(*) FROM items") == 0);
    CHECK(Scalar(st, "SELECT count(*) FROM item_stays") == cleared);
    CHECK(Scalar(st, "SELECT sum(n) FROM item_sets") == static_cast<int64_t>(keys.size()) + n - cleared);
  });
}

TEST_CASE("new item ids are past every set's ids when the counter was set back (a copy of the state)") {
  OnBothDatabases("items_counter", [](state::StateStore& st) {
    REQUIRE(st.BeginRun("h") == 1);
    REQUIRE(st.Begin());
    for (int i = 0; i < 10; ++i) REQUIRE(st.PutItem(1, Entry(K(i), "held"), "", true));
    REQUIRE(st.Commit());
    const int64_t top = Scalar(st, "SELECT max(hi) FROM item_sets");
    if (st.db().engine() == state::db::Engine::kSqlite) {
      // A copy (crmx-run run --dry-run's, queue_book.cpp) carries the rows' counter only.
      std::string error;
      REQUIRE_MESSAGE(st.db().Exec("DELETE FROM sqlite_sequence WHERE name = 'items'", error), error);
    }
    REQUIRE(st.Begin());
    for (int i = 10; i < 20; ++i) REQUIRE(st.PutItem(1, Entry(K(i), "held"), "", true));
    REQUIRE(st.Commit());
    CHECK(Scalar(st, "SELECT min(lo) FROM item_sets WHERE id = (SELECT max(id) FROM item_sets)") > top);
    CHECK(Scalar(st, "SELECT count(DISTINCT id) FROM queued_items") == 20);
  });
}

TEST_CASE("an item set that is not a JSON array of entries: the store fails and says which, nothing is written") {
  OnBothDatabases("items_garbage", [](state::StateStore& st) {
    REQUIRE(st.BeginRun("h") == 1);
    REQUIRE(st.Begin());
    for (int i = 0; i < 3; ++i) REQUIRE(st.PutItem(1, Entry(K(i), "held"), "", true));
    REQUIRE(st.Commit());
    const int64_t set = Scalar(st, "SELECT max(id) FROM item_sets");
    // Garbage where the entries were (a hand edit, a broken disk block read back).
    std::string error;
    REQUIRE_MESSAGE(st.db().Exec("UPDATE item_sets SET entries = '[[1,\"K0\",null' WHERE id = " + std::to_string(set),
                                 error),
                    error);
    REQUIRE(st.Begin());
    st.ItemKeys("m", [](std::string_view) {}, [](std::string_view) {});
    CHECK_FALSE(st.ok());
    CHECK(st.error().find("item set " + std::to_string(set) + " is not a JSON array of entries") != std::string::npos);
    // Refused from then on: the record's write is not recorded, the transaction rolls back whole.
    CHECK_FALSE(st.PutItem(1, Entry("K9", "held"), "", true));
    CHECK_FALSE(st.Commit());
    CHECK(Scalar(st, "SELECT count(*) FROM item_sets") == 1);
  });
}
