// Tests of the flags a state keeps in sets (runtime/state/flag_sets.h), on SQLite and, when the
// test cluster is there (ctest's test_state_postgres), on PostgreSQL: a set per 4,096 keys, each
// flag an item of `queue_items` with its own id; a flag goes when its record is written again,
// from a pending set or from a written one (which is written again under a new id, what people did
// on the flags it keeps carried over); a rollback keeps nothing; keys of any text round-trip; the
// same flag raised twice on a record is one item.
#include <doctest/doctest.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "runtime/state/queue_book.h"
#include "runtime/state/state.h"
#include "runtime/state/statement.h"
#include "tests/unit/state/both_databases.h"

namespace {

using namespace crmx;
using crmx::testing::K;
using crmx::testing::OnBothDatabases;
using crmx::testing::Scalar;

// The open flags of map "m": record key -> item, as `crmx-run queue list --queue flag` reads them.
std::map<std::string, std::vector<state::Item>> Flags(state::StateStore& st, const std::string& status = "open") {
  std::vector<state::Item> items;
  std::string error;
  state::ItemFilter f;
  f.queue = "flag";
  f.map = "m";
  f.status = status;
  REQUIRE_MESSAGE(state::ListItems(st, f, items, error), error);
  std::map<std::string, std::vector<state::Item>> out;
  for (state::Item& it : items) out[it.record_id].push_back(std::move(it));
  return out;
}

}  // namespace

TEST_CASE("flags in sets of 4,096 keys, each an item; cleared ones go, the others get new ids, old ids name nothing") {
  OnBothDatabases("flags_sets", [](state::StateStore& st) {
    REQUIRE(st.Begin());
    for (int i = 0; i < 10000; ++i) REQUIRE(st.PutFlag(1, "m", K(i), "review"));
    for (int i = 0; i < 3; ++i) REQUIRE(st.PutFlag(1, "m", K(i), "terms"));
    REQUIRE(st.Commit());
    CHECK(Scalar(st, "SELECT count(*) FROM flag_sets") == 4);
    CHECK(Scalar(st, "SELECT sum(n) FROM flag_sets") == 10003);
    CHECK(Scalar(st, "SELECT max(n) FROM flag_sets") == 4096);
    // A set's keys are a JSON array of its keys in the order raised (the last set of "review"
    // and the set of "terms" as whole texts).
    CHECK(Scalar(st, "SELECT count(*) FROM flag_sets WHERE flag = 'terms' AND keys = '[\"K0\",\"K1\",\"K2\"]'") == 1);
    CHECK(Scalar(st, "SELECT count(*) FROM flag_sets WHERE flag = 'review' AND n = 4096 AND keys LIKE '[\"K0\",\"K1\",%\"K4095\"]'") == 1);
    CHECK(Scalar(st, "SELECT count(*) FROM items") == 0);
    CHECK(st.OpenItemCounts()["flag"] == 10003);
    auto before = Flags(st);
    REQUIRE(before.size() == 10000);
    REQUIRE(before["K0"].size() == 2);
    const state::Item k1 = before["K1"].front().reasons.front() == "review" ? before["K1"].front() : before["K1"].back();
    const state::Item k9999 = before["K9999"].front();
    CHECK(state::FlagSets::IsFlagItem(k1.id));
    CHECK(k1.reasons == std::vector<std::string>{"review"});
    CHECK(k1.first_run == 1);
    CHECK(k1.last_run == 1);
    // Read by id from its set: the same item as listed.
    std::string error;
    auto got = state::GetItem(st, k9999.id, error);
    REQUIRE_MESSAGE(got, error);
    CHECK(got->record_id == "K9999");
    CHECK(got->queue == "flag");
    CHECK(got->reasons == std::vector<std::string>{"review"});
    CHECK(got->status == "open");

    // Run 2 writes K0 and K5 again (cleared), and flags K5 again after: K0 has no flag left, K5
    // one, raised by run 2.
    REQUIRE(st.Begin());
    REQUIRE(st.ClearItems("m", "K5", true));
    REQUIRE(st.ClearItems("m", "K0", true));
    REQUIRE(st.PutFlag(2, "m", "K5", "review"));
    REQUIRE(st.Commit());
    auto after = Flags(st);
    CHECK(after.size() == 9999);
    CHECK(after.count("K0") == 0);
    REQUIRE(after["K5"].size() == 1);
    CHECK(after["K5"].front().first_run == 2);
    CHECK(st.OpenItemCounts()["flag"] == 10001);
    CHECK(state::FindItem(st, "m", "K0", "flag", error) == 0);
    // The first set (K0..K4095) and the terms set were written again: their ids changed, and the
    // old ones name no item; the other sets kept theirs.
    CHECK(after["K1"].front().id != k1.id);
    CHECK_FALSE(state::GetItem(st, k1.id, error));
    CHECK(error.empty());
    CHECK(after["K9999"].front().id == k9999.id);
    CHECK(Scalar(st, "SELECT count(*) FROM flag_sets") == 5);
    CHECK(Scalar(st, "SELECT sum(n) FROM flag_sets") == 10001);
  });
}

TEST_CASE("more keys cleared than the store keeps in memory: the rest wait in a temporary table, all go") {
  OnBothDatabases("flags_many_clears", [](state::StateStore& st) {
    // 70,000 flags (18 sets), then a run that writes 69,990 of their records again (65,536 clears
    // are kept in memory, the others in flag_clears) and flags 5 of them again.
    REQUIRE(st.Begin());
    for (int i = 0; i < 70000; ++i) REQUIRE(st.PutFlag(1, "m", K(i), "review"));
    REQUIRE(st.Commit());
    REQUIRE(st.Begin());
    for (int i = 10; i < 70000; ++i) REQUIRE(st.ClearItems("m", K(i), true));
    for (int i = 69995; i < 70000; ++i) REQUIRE(st.PutFlag(2, "m", K(i), "review"));
    REQUIRE(st.Commit());
    auto flags = Flags(st);
    CHECK(flags.size() == 15);
    for (int i = 0; i < 10; ++i) CHECK(flags.count(K(i)) == 1);
    for (int i = 69995; i < 70000; ++i) {
      REQUIRE(flags.count(K(i)) == 1);
      CHECK(flags[K(i)].front().first_run == 2);
    }
    CHECK(Scalar(st, "SELECT sum(n) FROM flag_sets") == 15);
    // Nothing is left behind for the next run.
    CHECK(Scalar(st, "SELECT count(*) FROM flag_clears") == 0);
  });
}

TEST_CASE("a flag people resolved stays resolved when its set is written again; the record written again loses it") {
  OnBothDatabases("flags_acts", [](state::StateStore& st) {
    REQUIRE(st.Begin());
    for (int i = 0; i < 10; ++i) REQUIRE(st.PutFlag(1, "m", K(i), "review"));
    REQUIRE(st.Commit());
    std::string error;
    auto flags = Flags(st);
    state::ActResult r;
    bool refused = false;
    REQUIRE_MESSAGE(state::Act(st, flags["K3"].front().id, "resolved", "checked with finance", "ana", false, r, refused, error),
                    error);
    REQUIRE_MESSAGE(state::Act(st, flags["K7"].front().id, "discarded", "", "ana", false, r, refused, error), error);
    CHECK(r.before.record_id == "K7");
    // Acting twice is refused, as for any item.
    CHECK_FALSE(state::Act(st, flags["K3"].front().id, "resolved", "", "bo", false, r, refused, error));
    CHECK(refused);
    error.clear();
    CHECK(st.OpenItemCounts()["flag"] == 8);
    // Run 2 writes K4 and K7 again: their set is written again without them.
    REQUIRE(st.Begin());
    REQUIRE(st.ClearItems("m", "K4", true));
    REQUIRE(st.ClearItems("m", "K7", true));
    REQUIRE(st.Commit());
    auto all = Flags(st, "all");
    CHECK(all.size() == 8);
    CHECK(all.count("K4") == 0);
    CHECK(all.count("K7") == 0);
    REQUIRE(all["K3"].size() == 1);
    const state::Item& k3 = all["K3"].front();
    CHECK(k3.id != flags["K3"].front().id);
    CHECK(k3.status == "resolved");
    CHECK(k3.note == "checked with finance");
    CHECK(k3.actor == "ana");
    CHECK_FALSE(k3.acted.empty());
    CHECK(Flags(st).size() == 7);
    CHECK(st.OpenItemCounts()["flag"] == 7);
    CHECK(Scalar(st, "SELECT count(*) FROM flag_acts") == 1);
    auto detail = state::GetItem(st, k3.id, error);
    REQUIRE_MESSAGE(detail, error);
    CHECK(detail->status == "resolved");
  });
}

TEST_CASE("flags cleared while pending, and a rolled-back map's flags and clears, leave nothing") {
  OnBothDatabases("flags_pending", [](state::StateStore& st) {
    REQUIRE(st.Begin());
    for (int i = 1; i <= 5; ++i) REQUIRE(st.PutFlag(1, "m", K(i), "review"));
    REQUIRE(st.ClearItems("m", "K2", true));  // pending: dropped before any set is written
    REQUIRE(st.Commit());
    CHECK(Scalar(st, "SELECT sum(n) FROM flag_sets") == 4);
    // A map that failed: its flag on K9 and its clear of K1 are not kept.
    REQUIRE(st.Begin());
    REQUIRE(st.PutFlag(2, "m", K(9), "review"));
    for (int i = 100; i < 5000; ++i) REQUIRE(st.PutFlag(2, "m", K(i), "review"));  // a full set written
    REQUIRE(st.ClearItems("m", "K1", true));
    st.Rollback();
    REQUIRE(st.Begin());
    REQUIRE(st.Commit());
    auto flags = Flags(st);
    CHECK(flags.size() == 4);
    for (const char* k : {"K1", "K3", "K4", "K5"}) CHECK(flags.count(k) == 1);
    // A clear, then the same flag raised again in the same transaction (a key twice in a run):
    // the flag stands.
    REQUIRE(st.Begin());
    REQUIRE(st.ClearItems("m", "K3", true));
    REQUIRE(st.PutFlag(3, "m", "K3", "review"));
    REQUIRE(st.Commit());
    flags = Flags(st);
    REQUIRE(flags["K3"].size() == 1);
    CHECK(flags["K3"].front().first_run == 3);
    // Raised twice while pending (stored twice: a set has no table of its keys before its first
    // clear), then cleared: both go.
    REQUIRE(st.Begin());
    REQUIRE(st.PutFlag(3, "m", "D1", "review"));
    REQUIRE(st.PutFlag(3, "m", "D2", "review"));
    REQUIRE(st.PutFlag(3, "m", "D1", "review"));
    REQUIRE(st.ClearItems("m", "D1", true));
    REQUIRE(st.PutFlag(3, "m", "D2", "review"));  // the set has its table now: kept once
    REQUIRE(st.Commit());
    flags = Flags(st);
    CHECK(flags.count("D1") == 0);
    CHECK(flags.count("D2") == 1);
    CHECK(Scalar(st, "SELECT n FROM flag_sets WHERE run = 3 AND keys LIKE '%D2%'") == 1);
    // Written without the cleared entries and without the one raised again: the whole text.
    CHECK(Scalar(st, "SELECT count(*) FROM flag_sets WHERE run = 3 AND keys = '[\"D2\"]'") == 1);
    // Outside a transaction a flag is written at once.
    REQUIRE(st.PutFlag(4, "m", "K50", "review"));
    CHECK(Flags(st).count("K50") == 1);
  });
}

TEST_CASE("ClearFlags takes a record's flags and leaves its rows in the queues") {
  OnBothDatabases("flags_clear_flags", [](state::StateStore& st) {
    REQUIRE(st.Begin());
    REQUIRE(st.PutFlag(1, "m", "K1", "review"));
    REQUIRE(st.PutFlag(1, "m", "K2", "review"));
    REQUIRE(st.PutItem(1, state::QueueEntry{"m", "held", "K1", "f.jsonl", 1, {"Unknown country"}, {}}, "K1", true));
    REQUIRE(st.Commit());
    REQUIRE(st.Begin());
    REQUIRE(st.ClearFlags("m", "K1"));
    REQUIRE(st.Commit());
    auto flags = Flags(st);
    CHECK(flags.count("K1") == 0);
    CHECK(flags.count("K2") == 1);
    // K1's held row stays: only ClearItems takes it.
    CHECK(Scalar(st, "SELECT count(*) FROM queued_items WHERE record_id = 'K1' AND queue = 'held'") == 1);
  });
}

TEST_CASE("flag keys of any text round-trip; the same flag raised twice on a record is one item") {
  OnBothDatabases("flags_keys", [](state::StateStore& st) {
    const std::vector<std::string> keys = {"a\"b", "c\\d", "e\nf", "tab\there", "\x01", "ü✓ 名前", "{\"k\":[1]}", "'; --"};
    REQUIRE(st.Begin());
    for (const std::string& k : keys) REQUIRE(st.PutFlag(1, "m", k, "review"));
    for (const std::string& k : keys) REQUIRE(st.PutFlag(1, "m", k, "review"));  // in the pending set: kept once
    for (int i = 0; i < 5000; ++i) REQUIRE(st.PutFlag(1, "m", K(i), "review"));
    REQUIRE(st.PutFlag(1, "m", keys[0], "review"));  // in a later set: listed once all the same
    REQUIRE(st.Commit());
    // Stored as raised (queue_items shows each once).
    CHECK(Scalar(st, "SELECT sum(n) FROM flag_sets") == 2 * static_cast<int64_t>(keys.size()) + 5001);
    auto flags = Flags(st);
    CHECK(flags.size() == keys.size() + 5000);
    for (const std::string& k : keys) {
      INFO(k);
      REQUIRE(flags.count(k) == 1);
      CHECK(flags[k].size() == 1);
    }
    CHECK(st.OpenItemCounts()["flag"] == static_cast<int64_t>(keys.size()) + 5000);
    std::set<std::string> seen;
    size_t rows = 0;
    st.ItemKeys("m", [&](std::string_view) { ++rows; }, [&](std::string_view k) { seen.emplace(k); });
    CHECK(rows == 0);  // flags only, all in sets
    for (const std::string& k : keys) CHECK(seen.count(k) == 1);
    // Each is cleared by its exact key.
    REQUIRE(st.Begin());
    for (const std::string& k : keys) REQUIRE(st.ClearItems("m", k, true));
    REQUIRE(st.Commit());
    flags = Flags(st);
    CHECK(flags.size() == 5000);
    for (const std::string& k : keys) CHECK(flags.count(k) == 0);
  });
}

TEST_CASE("a flag an older state file keeps as a row of items is listed with the others and cleared like them") {
  auto dir = testing::FreshDir("flag_sets_test", "legacy");
  std::string error;
  auto st = state::StateStore::Open((dir / "state.db").string(), error);
  REQUIRE_MESSAGE(st, error);
  {
    state::Statement q(st->db(),
                       "INSERT INTO items (map, record_id, queue, line, first_run, last_run, flag) "
                       "VALUES ('m', 'OLD', 'flag', 0, 1, 1, 'review')");
    REQUIRE(q.Done());
  }
  REQUIRE(st->Begin());
  REQUIRE(st->PutFlag(2, "m", "NEW", "review"));
  REQUIRE(st->Commit());
  auto flags = Flags(*st);
  CHECK(flags.size() == 2);
  REQUIRE(flags.count("OLD") == 1);
  CHECK_FALSE(state::FlagSets::IsFlagItem(flags["OLD"].front().id));
  CHECK(st->OpenItemCounts()["flag"] == 2);
  REQUIRE(st->Begin());
  REQUIRE(st->ClearItems("m", "OLD", true));
  REQUIRE(st->Commit());
  CHECK(Flags(*st).count("OLD") == 0);
}
