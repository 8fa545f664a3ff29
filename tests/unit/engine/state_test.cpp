// Tests of the state file's reliability (docs/operations.md, "The state file"): a write SQLite
// refuses stops the run with its message and leaves the state as before the map; one run at a
// time per state file; the file's version and its migrations; a state path that is some other
// database is refused; a failed run leaves the previous queue files in place.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "tests/unit/support/files.h"
#include "tests/unit/support/sqlite_file.h"
#include "runtime/connectors/connector.h"
#include "runtime/engine/engine.h"
#include "runtime/engine/queue_files.h"
#include "runtime/state/queue_book.h"
#include "runtime/state/reconcile_book.h"
#include "runtime/state/state.h"
#include "runtime/state/status_book.h"
#include "tests/unit/support/example_spec.h"
#include "tests/unit/support/mini_spec.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx;

fs::path Fresh(const std::string& name) { return testing::FreshDir("state_test", name); }

std::string Slurp(const fs::path& p) { return testing::ReadWhole(p); }

// SQL on a file with a connection of the test's own (tests/unit/support/sqlite_file.h).
using testing::Exec;
using testing::Scalar;

using testing::Mini;

}  // namespace

TEST_CASE("a state file another connection has locked: the run fails with SQLite's message and the path") {
  fs::path d = Fresh("locked");
  fs::path path = d / "state.db";
  std::string error;
  {
    auto st = state::StateStore::Open(path.string(), error);
    REQUIRE_MESSAGE(st, error);
  }
  Mini mini(d);
  state::OpenOptions options;
  options.busy_timeout_ms = 100;
  auto st = state::StateStore::Open(path.string(), error, options);
  REQUIRE_MESSAGE(st, error);
  // Someone else (a `sqlite3` shell, a backup) holds the write lock for the whole run.
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(path.string().c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
  error.clear();
  bool ran = mini.Run(st.get(), error);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  CHECK_FALSE(ran);
  CHECK_MESSAGE(error.find("state " + path.string() + ": database is locked") != std::string::npos, error);
  st.reset();
  CHECK(Scalar(path, "SELECT count(*) FROM xref") == "0");
  CHECK(Scalar(path, "SELECT count(*) FROM queued_items") == "0");
  fs::remove_all(d);
}

// Fills the last page of the state file's `xref` table with rows of another map, so the next
// row needs a new page (which a store opened with max_page_count cannot add).
void FillXrefPage(const fs::path& path) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(path.string().c_str(), &h) == SQLITE_OK);
  auto pages = [h] {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(h, "PRAGMA page_count", -1, &s, nullptr);
    sqlite3_step(s);
    int64_t n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
  };
  int n = 0;
  for (size_t size : {1000, 300, 100, 30, 10, 1}) {
    while (true) {
      int64_t before = pages();
      std::string sql = "SAVEPOINT f; INSERT INTO xref (map, source_key, target_id, updated) VALUES ('f', '" +
                        std::to_string(n++) + "', '" + std::string(size, 'x') + "', '')";
      REQUIRE(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
      bool grew = pages() > before;
      sqlite3_exec(h, grew ? "ROLLBACK TO f; RELEASE f" : "RELEASE f", nullptr, nullptr, nullptr);
      if (grew) break;
    }
  }
  sqlite3_close(h);
}

TEST_CASE("a full disk in the middle of a map: the run fails, and nothing of the map is kept in the state") {
  fs::path d = Fresh("full");
  fs::path path = d / "state.db";
  std::string error;
  {
    auto st = state::StateStore::Open(path.string(), error);
    REQUIRE_MESSAGE(st, error);
  }
  FillXrefPage(path);
  std::string xref_before = Scalar(path, "SELECT count(*) || ':' || group_concat(source_key) FROM xref");
  Mini mini(d);
  // The file cannot grow: the first map's queue rows fit, its first cross-reference does not.
  state::OpenOptions options;
  options.max_page_count = 1;
  auto st = state::StateStore::Open(path.string(), error, options);
  REQUIRE_MESSAGE(st, error);
  fs::path queues = d / "queues";
  fs::create_directories(queues);
  std::ofstream(queues / "held.jsonl") << "{\"previous\":true}\n";
  auto sink = engine::QueueFiles::Open(queues.string(), error);
  REQUIRE(sink);
  error.clear();
  CHECK_FALSE(mini.Run(st.get(), error, sink.get()));
  CHECK(error == "map `acct`: state " + path.string() + ": database or disk is full");
  CHECK_FALSE(st->ok());
  // Every later write is refused too.
  CHECK_FALSE(st->PutXref("acct", "Z", "1"));
  sink.reset();
  st.reset();
  // As before the map: no cross-reference, no queue row of the failed run.
  CHECK(Scalar(path, "SELECT count(*) || ':' || group_concat(source_key) FROM xref") == xref_before);
  CHECK(Scalar(path, "SELECT count(*) FROM queued_items") == "0");
  // The previous queue files stay.
  CHECK(Slurp(queues / "held.jsonl") == "{\"previous\":true}\n");
  // With room again, the same run completes.
  st = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(st, error);
  CHECK_MESSAGE(mini.Run(st.get(), error), error);
  CHECK(st->LoadXref("acct").size() == 3);
  st.reset();
  fs::remove_all(d);
}

TEST_CASE("one run at a time: a second store on the same state file is refused, naming the holder's pid") {
  fs::path d = Fresh("lock");
  fs::path path = d / "state.db";
  std::string error;
  auto first = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(first, error);
  auto second = state::StateStore::Open(path.string(), error);
  CHECK_FALSE(second);
  CHECK_MESSAGE(error.find("state file " + path.string() + " is in use by another run (pid " +
                           std::to_string(::getpid()) + ", started ") == 0,
                error);
  // Released with the first store: the next one opens.
  first.reset();
  second.reset();
  error.clear();
  auto third = state::StateStore::Open(path.string(), error);
  CHECK_MESSAGE(third, error);
  third.reset();
  fs::remove_all(d);
}

TEST_CASE("one run at a time: with `wait`, the second store waits for the first to end") {
  fs::path d = Fresh("wait");
  fs::path path = d / "state.db";
  std::string error;
  auto first = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(first, error);
  std::string holder;
  state::OpenOptions options;
  options.wait = true;
  options.waiting = [&holder](const std::string& h) { holder = h; };
  std::thread release([&first] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    first.reset();
  });
  std::string error2;
  auto second = state::StateStore::Open(path.string(), error2, options);
  release.join();
  CHECK_MESSAGE(second, error2);
  CHECK(holder.find("pid " + std::to_string(::getpid()) + ", started ") == 0);
  second.reset();
  fs::remove_all(d);
}

TEST_CASE("the state file's version: a new file is at kVersion") {
  fs::path d = Fresh("version_new");
  fs::path path = d / "state.db";
  std::string error;
  auto st = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(st, error);
  st.reset();
  CHECK(Scalar(path, "PRAGMA user_version") == std::to_string(state::kVersion));
  CHECK(Scalar(path, "SELECT count(*) FROM sqlite_master WHERE name = 'queue'") == "0");
  fs::remove_all(d);
}

TEST_CASE("the state file's version: an unversioned file (before versions) migrates to kVersion, rows kept") {
  fs::path d = Fresh("version_old");
  fs::path path = d / "state.db";
  // The tables as crmx-run wrote them before the version, xref without `external_id`.
  Exec(path,
       "CREATE TABLE runs (run INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT NOT NULL, finished TEXT, "
       "plan_hash TEXT NOT NULL, summary TEXT);"
       "CREATE TABLE xref (map TEXT NOT NULL, source_key TEXT NOT NULL, target_id TEXT NOT NULL, "
       "updated TEXT NOT NULL, PRIMARY KEY (map, source_key));"
       "CREATE TABLE queue (run INTEGER NOT NULL, map TEXT NOT NULL, queue TEXT NOT NULL, record_id TEXT NOT NULL, "
       "file TEXT, line INTEGER, reasons TEXT NOT NULL, fields TEXT, status TEXT NOT NULL DEFAULT 'open');"
       "CREATE TABLE cursors (map TEXT PRIMARY KEY, value TEXT NOT NULL, updated TEXT NOT NULL);"
       "CREATE TABLE written (map TEXT NOT NULL, source_key TEXT NOT NULL, hash TEXT NOT NULL, "
       "updated TEXT NOT NULL, PRIMARY KEY (map, source_key));"
       "INSERT INTO runs (started, finished, plan_hash) VALUES ('2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 'h');"
       "INSERT INTO xref VALUES ('acct', 'A1', '7', '2026-01-01T00:00:00Z');"
       "INSERT INTO cursors VALUES ('acct', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');"
       "INSERT INTO written VALUES ('acct', 'A1', 'abc123', '2026-01-01T00:00:00Z');");
  std::string error;
  auto st = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(st, error);
  CHECK(st->LoadXref("acct").at("A1") == "7");
  // Version 2: what was written is a done delivery of the ledger.
  CHECK(st->LoadWritten("acct").at("A1") == "abc123");
  CHECK(st->LedgerCounts().at("done") == 1);
  CHECK(st->LoadCursor("acct") == "2026-01-01T00:00:00Z");
  st->PutXref("acct", "A2", "8", "A2");
  CHECK(st->XrefExternalId("acct", "A2") == "A2");
  CHECK(st->BeginRun("h2") == 2);
  st.reset();
  CHECK(Scalar(path, "PRAGMA user_version") == std::to_string(state::kVersion));
  CHECK(Scalar(path, "SELECT count(*) FROM sqlite_master WHERE name = 'written'") == "0");
  fs::remove_all(d);
}

TEST_CASE("the state file's version: a file of a newer crmx-run is refused") {
  fs::path d = Fresh("version_newer");
  fs::path path = d / "state.db";
  std::string error;
  {
    auto st = state::StateStore::Open(path.string(), error);
    REQUIRE_MESSAGE(st, error);
  }
  const std::string newer = std::to_string(state::kVersion + 1);
  Exec(path, "PRAGMA user_version = " + newer);
  error.clear();
  auto st = state::StateStore::Open(path.string(), error);
  CHECK_FALSE(st);
  CHECK(error == "state file " + path.string() + " was written by a newer crmx-run (state version " + newer +
                     "; this one reads up to " + std::to_string(state::kVersion) + ")");
  st.reset();
  // Left as it was.
  CHECK(Scalar(path, "PRAGMA user_version") == newer);
  fs::remove_all(d);
}

TEST_CASE("a SQLite file with tables that are not the state's is refused as a state file") {
  fs::path d = Fresh("foreign");
  fs::path path = d / "erp.db";
  Exec(path, "CREATE TABLE Customer (id INTEGER PRIMARY KEY, externalId TEXT); INSERT INTO Customer VALUES (1, 'A1');");
  std::string error;
  auto st = state::StateStore::Open(path.string(), error);
  CHECK_FALSE(st);
  CHECK_MESSAGE(error.find("give the state its own file") != std::string::npos, error);
  st.reset();
  // Nothing of the state's was added to it.
  CHECK(Scalar(path, "SELECT count(*) FROM sqlite_master WHERE name = 'xref'") == "0");
  fs::remove_all(d);
}

TEST_CASE("queue files: a run that does not finish leaves the previous run's files in place") {
  fs::path d = Fresh("queues");
  std::string error;
  {
    auto q = engine::QueueFiles::Open(d.string(), error);
    REQUIRE_MESSAGE(q, error);
    q->Add("acct", "held", engine::QueueItem{"A1", "Account.jsonl", 1, {"Pending Review"}, {}, {}});
    REQUIRE(q->Finish(error));
  }
  std::string held = Slurp(d / "held.jsonl");
  REQUIRE(held.find("\"key\":\"A1\"") != std::string::npos);
  {
    // The next run fails before its end: its queue files are never finished.
    auto q = engine::QueueFiles::Open(d.string(), error);
    REQUIRE_MESSAGE(q, error);
    q->Add("acct", "held", engine::QueueItem{"A9", "Account.jsonl", 9, {"Pending Review"}, {}, {}});
  }
  CHECK(Slurp(d / "held.jsonl") == held);
  {
    auto q = engine::QueueFiles::Open(d.string(), error);
    REQUIRE_MESSAGE(q, error);
    q->Add("acct", "held", engine::QueueItem{"A2", "Account.jsonl", 2, {"Pending Review"}, {}, {}});
    REQUIRE(q->Finish(error));
  }
  CHECK(Slurp(d / "held.jsonl").find("\"key\":\"A2\"") != std::string::npos);
  CHECK(Slurp(d / "held.jsonl").find("\"key\":\"A1\"") == std::string::npos);
  // Only the eight queue files: no temporary left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(d)) {
    (void)e;
    ++files;
  }
  CHECK(files == 8);
  fs::remove_all(d);
}

TEST_CASE("queue files: the temporary files of a run that was killed are removed by the next one") {
  fs::path d = Fresh("queues_stale");
  // A process that has ended: its pid names the temporary files a killed run would leave.
  pid_t dead = ::fork();
  REQUIRE(dead >= 0);
  if (dead == 0) ::_exit(0);
  int status = 0;
  REQUIRE(::waitpid(dead, &status, 0) == dead);
  auto write = [&](const std::string& name) { std::ofstream(d / name) << "{\"map\":\"acct\",\"key\":\"K\"}\n"; };
  const std::string gone = std::to_string(dead), alive = std::to_string(::getppid());
  write("flags.jsonl.tmp-" + gone);
  write("held.jsonl.tmp-" + gone);
  write("flags.jsonl.tmp-" + alive);  // a run still going: not touched
  write("flags.jsonl.tmp-12x");       // not a pid: not ours to remove
  write("notes.txt.tmp-" + gone);     // not a queue file
  std::string error;
  {
    auto q = engine::QueueFiles::Open(d.string(), error);
    REQUIRE_MESSAGE(q, error);
    REQUIRE(q->Finish(error));
  }
  CHECK_FALSE(fs::exists(d / ("flags.jsonl.tmp-" + gone)));
  CHECK_FALSE(fs::exists(d / ("held.jsonl.tmp-" + gone)));
  CHECK(fs::exists(d / ("flags.jsonl.tmp-" + alive)));
  CHECK(fs::exists(d / "flags.jsonl.tmp-12x"));
  CHECK(fs::exists(d / ("notes.txt.tmp-" + gone)));
  CHECK(fs::exists(d / "flags.jsonl"));
  fs::remove_all(d);
}

TEST_CASE("queue rows keep reasons and fields as JSON arrays of strings, any text escaped as nlohmann writes it") {
  fs::path d = Fresh("strings_json");
  fs::path path = d / "state.db";
  std::string error;
  auto st = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(st, error);
  std::vector<std::string> reasons{"plain", "quote \" and \\ backslash", "line\nbreak\ttab\r\b\f", std::string("nul\x01\x1f", 5),
                                   "caf\xc3\xa9 \xe2\x82\xac", ""};
  state::QueueEntry e{"m", "held", "K1", "f.jsonl", 3, reasons, {"Name", "A\"B"}};
  REQUIRE(st->PutItem(1, e));
  st.reset();
  std::string stored = Scalar(path, "SELECT reasons FROM queued_items WHERE record_id = 'K1'");
  CHECK(stored == nlohmann::json(reasons).dump());
  CHECK(nlohmann::json::parse(stored).get<std::vector<std::string>>() == reasons);
  CHECK(Scalar(path, "SELECT fields FROM queued_items WHERE record_id = 'K1'") == nlohmann::json(std::vector<std::string>{"Name", "A\"B"}).dump());
  fs::remove_all(d);
}

TEST_CASE("the state file's version: a version 2 file migrates on (3: slimmer items), its queues kept (flags' reasons are their flag)") {
  fs::path d = Fresh("version_2to3");
  fs::path path = d / "state.db";
  std::string error;
  {
    auto st = state::StateStore::Open(path.string(), error);
    REQUIRE_MESSAGE(st, error);
  }
  // Version 2's tables, as a version-2 crmx-run left them: the tables of later versions go.
  {
    const std::set<std::string> v2 = {"runs",   "xref",       "cursors", "deliveries",   "attempts",
                                      "items",  "actions",    "events",  "usage",        "field_values",
                                      "audit",  "target_marks", "tombstones", "cursor_keys", "sqlite_sequence"};
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(path.string().c_str(), &h) == SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(h, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &q, nullptr);
    std::vector<std::string> later;
    while (sqlite3_step(q) == SQLITE_ROW) {
      std::string name = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
      if (!v2.count(name)) later.push_back(name);
    }
    sqlite3_finalize(q);
    sqlite3_close(h);
    Exec(path, "DROP VIEW queue_items; DROP VIEW queued_items; DROP VIEW flag_items");  // version 10's, over tables dropped here
    for (const std::string& t : later) Exec(path, "DROP TABLE " + t);
  }
  Exec(path,
       "DROP TABLE items;"
       "CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, map TEXT NOT NULL, record_id TEXT NOT NULL, "
       "queue TEXT NOT NULL, source_id TEXT, reasons TEXT NOT NULL, fields TEXT, file TEXT, line INTEGER, "
       "first_run INTEGER NOT NULL, last_run INTEGER NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, "
       "status TEXT NOT NULL DEFAULT 'open', note TEXT, actor TEXT, acted TEXT, flag TEXT NOT NULL DEFAULT '', "
       "UNIQUE (map, record_id, queue, flag));"
       "CREATE TABLE queue (run INTEGER NOT NULL, map TEXT NOT NULL, queue TEXT NOT NULL, record_id TEXT NOT NULL, "
       "file TEXT, line INTEGER, reasons TEXT NOT NULL, fields TEXT, status TEXT NOT NULL DEFAULT 'open');"
       "INSERT INTO runs (started, finished, plan_hash) VALUES ('2026-01-01T00:00:00Z', '2026-01-01T00:00:09Z', 'h');"
       "INSERT INTO runs (started, finished, plan_hash) VALUES ('2026-02-01T00:00:00Z', '2026-02-01T00:00:09Z', 'h');"
       "INSERT INTO items (id, map, record_id, queue, reasons, fields, file, line, first_run, last_run, first_seen, "
       "last_seen, status, note, actor, acted) VALUES (7, 'acct', 'A1', 'held', '[\"Unknown country\"]', '[]', "
       "'a.jsonl', 3, 1, 2, '2026-01-01T00:00:05Z', '2026-02-01T00:00:05Z', 'resolved', 'fixed', 'ann', 'x');"
       "INSERT INTO items (id, map, record_id, queue, reasons, fields, first_run, last_run, first_seen, last_seen, flag) "
       "VALUES (9, 'acct', 'A2', 'flag', '[\"finance:terms\"]', '[]', 2, 2, '2026-02-01T00:00:05Z', "
       "'2026-02-01T00:00:05Z', 'finance:terms');"
       "INSERT INTO queue VALUES (1, 'acct', 'held', 'A1', 'a.jsonl', 3, '[]', '[]', 'open');"
       "PRAGMA user_version = 2;");
  auto st = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(st, error);
  state::ItemFilter all;
  all.status = "all";
  std::vector<state::Item> held;
  REQUIRE_MESSAGE(state::ListItems(*st, all, held, error), error);
  REQUIRE(held.size() == 1);
  CHECK(held[0].id == 7);
  CHECK(held[0].reasons == std::vector<std::string>{"Unknown country"});
  CHECK(held[0].fields.empty());
  CHECK(held[0].status == "resolved");
  CHECK(held[0].note == "fixed");
  // When it was first and last seen: when its runs started.
  CHECK(held[0].first_seen == "2026-01-01T00:00:00Z");
  CHECK(held[0].last_seen == "2026-02-01T00:00:00Z");
  all.queue = "flag";
  std::vector<state::Item> flags;
  REQUIRE_MESSAGE(state::ListItems(*st, all, flags, error), error);
  REQUIRE(flags.size() == 1);
  CHECK(flags[0].id == 9);
  CHECK(flags[0].reasons == std::vector<std::string>{"finance:terms"});
  // New ids go on after the old ones (AUTOINCREMENT's sequence kept).
  REQUIRE(st->Begin());
  state::QueueEntry a3{"acct", "held", "A3", "a.jsonl", 4, {"Unknown country"}, {}};
  REQUIRE(st->PutItem(3, a3, "A3", true));
  REQUIRE(st->Commit());
  st.reset();
  CHECK(Scalar(path, "PRAGMA user_version") == std::to_string(state::kVersion));
  CHECK(Scalar(path, "SELECT count(*) FROM sqlite_master WHERE name = 'queue'") == "0");
  CHECK(Scalar(path, "SELECT reasons IS NULL FROM items WHERE id = 9") == "1");
  CHECK(Scalar(path, "SELECT id FROM queued_items WHERE record_id = 'A3'") == "10");
  fs::remove_all(d);
}

TEST_CASE("item rows are batched in a transaction: more than a batch all reach the file, a rollback drops them") {
  fs::path d = Fresh("item_batches");
  fs::path path = d / "state.db";
  std::string error;
  auto st = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(st, error);
  REQUIRE(st->Begin());
  // 70 flags (two full batches and 6 more) and a held record put twice (it stays one row).
  for (int i = 0; i < 70; ++i) REQUIRE(st->PutFlag(1, "m", "K" + std::to_string(i), "review"));
  state::QueueEntry held{"m", "held", "H1", "f.jsonl", 2, {"Unknown country"}, {}};
  REQUIRE(st->PutItem(1, held, "H1", true));
  REQUIRE(st->PutItem(1, held, "H1", false));
  // Read back inside the transaction: what is batched is seen.
  std::set<std::string> keys;
  std::set<std::string> flagged;
  st->ItemKeys("m", [&](std::string_view k) { keys.emplace(k); }, [&](std::string_view k) { flagged.emplace(k); });
  // The held record has a row, the flagged ones are in the flag sets.
  CHECK(keys == std::set<std::string>{"H1"});
  CHECK(flagged.size() == 70);
  CHECK(flagged.count("K69") == 1);
  REQUIRE(st->Commit());
  CHECK(Scalar(path, "SELECT count(*) FROM queue_items WHERE queue = 'flag'") == "70");
  CHECK(Scalar(path, "SELECT count(*) FROM items WHERE queue = 'flag'") == "0");  // in flag_sets
  CHECK(Scalar(path, "SELECT count(*) FROM queued_items WHERE queue = 'held'") == "1");
  // A map that failed: its rows, batched or not, are not kept.
  REQUIRE(st->Begin());
  for (int i = 0; i < 40; ++i) REQUIRE(st->PutFlag(2, "m", "L" + std::to_string(i), "review"));
  st->Rollback();
  REQUIRE(st->Begin());
  REQUIRE(st->Commit());
  CHECK(Scalar(path, "SELECT count(*) FROM queue_items") == "71");
  fs::remove_all(d);
}

TEST_CASE("flags and queue items batched side by side: every one kept, a flag raised again reopens") {
  fs::path d = Fresh("flag_batches");
  fs::path path = d / "state.db";
  std::string error;
  auto st = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(st, error);
  REQUIRE(st->Begin());
  // Interleaved: 75 records flagged (two full flag batches and 11 more), 45 held (one full item
  // batch and 13 more), each batch written when it fills, the rest by the commit.
  for (int i = 0; i < 75; ++i) {
    REQUIRE(st->PutFlag(1, "m", "F" + std::to_string(i), "finance:terms"));
    if (i < 45) {
      state::QueueEntry held{"m", "held", "H" + std::to_string(i), "f.jsonl", i + 1, {"Unknown country"}, {"Country"}};
      REQUIRE(st->PutItem(1, held, "S" + std::to_string(i), true));
    }
  }
  REQUIRE(st->Commit());
  CHECK(Scalar(path, "SELECT count(*) FROM queue_items WHERE queue = 'flag' AND flag = 'finance:terms'") == "75");
  CHECK(Scalar(path, "SELECT count(*) FROM queued_items WHERE queue = 'held' AND reasons = '[\"Unknown country\"]' "
                     "AND fields = '[\"Country\"]' AND file = 'f.jsonl' AND source_id = 'S' || substr(record_id, 2)") == "45");
  CHECK(Scalar(path, "SELECT line FROM queued_items WHERE record_id = 'H44'") == "45");
  // A flag has no source id, reasons, fields or place.
  CHECK(Scalar(path, "SELECT count(*) FROM queue_items WHERE queue = 'flag' AND source_id IS NULL AND reasons IS NULL "
                     "AND fields IS NULL AND file IS NULL AND line = 0 AND first_run = 1 AND last_run = 1 AND status = 'open'") == "75");
  // Resolved, then raised again by run 2 (in a full batch and in the short rest): open again,
  // last seen by run 2, first seen by run 1, still one row each.
  REQUIRE(st->Begin());
  REQUIRE(st->Commit());
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.string().c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "INSERT INTO flag_acts (item, status) SELECT id, 'resolved' FROM queue_items WHERE queue = 'flag'",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  REQUIRE(st->Begin());
  for (int i = 0; i < 40; ++i) REQUIRE(st->PutFlag(2, "m", "F" + std::to_string(i), "finance:terms"));
  REQUIRE(st->Commit());
  CHECK(Scalar(path, "SELECT count(*) FROM queue_items WHERE queue = 'flag'") == "75");
  CHECK(Scalar(path, "SELECT count(*) FROM queue_items WHERE queue = 'flag' AND status = 'open' AND first_run = 1 AND last_run = 2") == "40");
  CHECK(Scalar(path, "SELECT count(*) FROM queue_items WHERE queue = 'flag' AND status = 'resolved' AND last_run = 1") == "35");
  fs::remove_all(d);
}

TEST_CASE("the syncs serve ran are kept, and read back by name") {
  fs::path d = Fresh("syncs");
  fs::path path = d / "state.db";
  std::string error;
  auto st = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(st, error);
  REQUIRE(st->SaveSync({"won_to_order", 1000, 1001, 1500, "ok", "webhook", 7, 61000}));
  REQUIRE(st->SaveSync({"won_to_order", 2000, 2001, 2500, "map failed", "schedule", 8, 62000}));
  REQUIRE(st->SaveSync({"account_to_customer", 3600000, 3600001, 3600900, "ok", "schedule", 9, 7200000}));
  auto syncs = st->LoadSyncs();
  REQUIRE(syncs.size() == 2);
  CHECK(syncs["won_to_order"].last_due == 2000);
  CHECK(syncs["won_to_order"].last_result == "map failed");
  CHECK(syncs["won_to_order"].last_why == "schedule");
  CHECK(syncs["won_to_order"].next_due == 62000);
  CHECK(syncs["account_to_customer"].last_run == 9);
  fs::remove_all(d);
}

TEST_CASE("the state file's version: a version 6 file migrates to 7 (a delivery's source change time), its rows kept") {
  fs::path d = Fresh("version_6to7");
  fs::path path = d / "state.db";
  std::string error;
  state::Delivery old;
  old.map = "won_to_order";
  old.source_key = "006A";
  old.hash = "h1";
  old.state = "in_flight";
  old.payload = "{}";
  old.run = 1;
  {
    auto st = state::StateStore::Open(path.string(), error);
    REQUIRE_MESSAGE(st, error);
    REQUIRE(st->BeginRun("h") == 1);
    REQUIRE(st->Decide(old) > 0);
  }
  // As a version-6 crmx-run left it: deliveries without source_changed.
  Exec(path, "ALTER TABLE deliveries DROP COLUMN source_changed; PRAGMA user_version = 6;");
  CHECK(Scalar(path, "SELECT count(*) FROM pragma_table_info('deliveries') WHERE name = 'source_changed'") == "0");
  auto st = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(st, error);
  CHECK(Scalar(path, "PRAGMA user_version") == std::to_string(state::kVersion));
  // The old delivery is kept, without a change time; a new decision keeps its own.
  std::vector<state::Delivery> open = st->OpenDeliveries("won_to_order");
  REQUIRE(open.size() == 1);
  CHECK(open[0].source_key == "006A");
  CHECK(open[0].source_changed_ms == 0);
  state::Delivery next = old;
  next.source_key = "006B";
  next.source_changed_ms = 1796563746123;
  REQUIRE(st->Decide(next) > 0);
  open = st->OpenDeliveries("won_to_order");
  REQUIRE(open.size() == 2);
  CHECK(open[1].source_key == "006B");
  CHECK(open[1].source_changed_ms == 1796563746123);
  // Decided again without a change time (a replay): the column follows the decision.
  next.source_changed_ms = 0;
  REQUIRE(st->Decide(next) > 0);
  CHECK(Scalar(path, "SELECT coalesce(source_changed, 'null') FROM deliveries WHERE source_key = '006B'") == "null");
}

TEST_CASE("the state file's version: a version 4 file migrates to 5 (reconciliation history), its rows kept") {
  fs::path d = Fresh("version_4to5");
  fs::path path = d / "state.db";
  std::string error;
  {
    auto st = state::StateStore::Open(path.string(), error);
    REQUIRE_MESSAGE(st, error);
    REQUIRE(st->BeginRun("h") == 1);
  }
  // As a version-4 crmx-run left it: none of the tables later versions add (5: reconciliations,
  // discrepancies; and whatever came after).
  const std::set<std::string> v4{"runs", "xref", "cursors", "deliveries", "attempts", "items", "actions", "events",
                                 "usage", "field_values", "audit", "target_marks", "tombstones", "cursor_keys", "syncs"};
  std::string drop;
  for (int i = 0;; ++i) {
    std::string t = Scalar(path, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                                 "ORDER BY name LIMIT 1 OFFSET " + std::to_string(i));
    if (t.empty()) break;
    if (!v4.count(t)) drop += "DROP TABLE " + t + ";";
  }
  CHECK(drop.find("DROP TABLE reconciliations;") != std::string::npos);
  Exec(path, "DROP VIEW queue_items; DROP VIEW queued_items; DROP VIEW flag_items;" + drop + "PRAGMA user_version = 4;");
  auto st = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(st, error);
  CHECK(st->BeginRun("h") == 2);
  state::ReconciliationRow r{0, "crm.Opportunity~erp.SalesOrder", "2026-12-06T02:00:00Z", "2026-12-06T02:00:05Z",
                             "sha256:x", 177, 1, "{}"};
  std::vector<state::DiscrepancyRow> rows{{"field", "006A", "Amount ~ total", "92000.00", "94760.00", "+2760.00 (+3.00%)",
                                           "2% (1840.00)", 0, ""}};
  REQUIRE_MESSAGE(state::AddReconciliation(*st, r, rows, error), error);
  CHECK(r.id == 1);
  state::ReconciliationRow last;
  std::vector<state::DiscrepancyRow> back;
  REQUIRE_MESSAGE(state::LastReconciliation(*st, r.name, last, back, error), error);
  CHECK(last.matched == 177);
  REQUIRE(back.size() == 1);
  // A new discrepancy is first seen by the reconciliation that found it.
  CHECK(back[0].first_reconciliation == 1);
  CHECK(back[0].first_seen == "2026-12-06T02:00:00Z");
  CHECK(back[0].left_value == "92000.00");
  st.reset();
  CHECK(Scalar(path, "PRAGMA user_version") == std::to_string(state::kVersion));
  fs::remove_all(d);
}

TEST_CASE("the status book: latest run per map, failure rates, budgets, and error resolution times") {
  fs::path d = Fresh("status_book");
  fs::path path = d / "state.db";
  std::string error;
  {
    auto st = state::StateStore::Open(path.string(), error);
    REQUIRE_MESSAGE(st, error);
  }
  // Two runs of acct (the later counts), one of order; a delivery that failed at 10:00 and was
  // done at 12:00 (2 h), an item queued by run 1 (started 09:00) and resolved at 13:00 (4 h).
  Exec(path,
       "INSERT INTO runs (started, finished, plan_hash, summary) VALUES ('2026-12-01T09:00:00Z', "
       "'2026-12-01T09:01:00Z', 'h', '{\"maps\":{\"acct\":{\"input_lines\":100,\"written\":50,\"skipped\":{\"count\":0},"
       "\"data_quality\":{\"count\":50},\"failure_rate\":0.5}}}');"
       "INSERT INTO runs (started, finished, plan_hash, summary) VALUES ('2026-12-01T10:00:00Z', "
       "'2026-12-01T10:01:00Z', 'h', '{\"budgets\":{\"crm\":\"api_calls 120 of 1000 per 24h\"},\"maps\":{\"acct\":"
       "{\"input_lines\":100,\"written\":98,\"skipped\":{\"count\":0},\"held\":{\"count\":2},\"failure_rate\":0.02},"
       "\"order\":{\"input_lines\":10,\"written\":10,\"failure_rate\":0}}}');"
       "INSERT INTO deliveries (id, map, source_key, idem_key, hash, state, run, decided, updated) VALUES "
       "(1, 'order', 'O1', 'k', 'h', 'done', 2, '2026-12-01T10:00:00Z', '2026-12-01T12:00:00Z');"
       "INSERT INTO attempts (delivery, attempt, run, at, ok) VALUES (1, 1, 2, '2026-12-01T10:00:00Z', 0);"
       "INSERT INTO attempts (delivery, attempt, run, at, ok) VALUES (1, 2, 2, '2026-12-01T11:00:00Z', 0);"
       "INSERT INTO items (id, map, record_id, queue, reasons, first_run, last_run, status) VALUES "
       "(5, 'acct', 'A1', 'data_quality', '[\"missing Name\"]', 1, 1, 'resolved');"
       "INSERT INTO items (id, map, record_id, queue, reasons, first_run, last_run) VALUES "
       "(6, 'acct', 'A2', 'data_quality', '[\"missing Name\"]', 1, 2);"
       "INSERT INTO actions (item, map, record_id, queue, action, actor, at) VALUES "
       "(5, 'acct', 'A1', 'data_quality', 'resolve', 'ann', '2026-12-01T13:00:00Z');"
       // Change to delivery: deals changed at 10:00, 10:10 and 10:02 done 5, 10 and 1 minutes
       // later; one changed before the first run (the backfill) and one not done: not counted.
       "INSERT INTO deliveries (map, source_key, idem_key, hash, state, run, decided, updated, source_changed) VALUES "
       "('won', 'W1', 'k1', 'h', 'done', 2, '2026-12-01T10:00:00Z', '2026-12-01T10:05:00Z', 1796119200000),"
       "('won', 'W2', 'k2', 'h', 'done', 2, '2026-12-01T10:10:00Z', '2026-12-01T10:20:00Z', 1796119800000),"
       "('won', 'W3', 'k3', 'h', 'done', 2, '2026-12-01T10:02:00Z', '2026-12-01T10:03:00Z', 1796119320000),"
       "('won', 'W4', 'k4', 'h', 'done', 2, '2026-12-01T10:02:00Z', '2026-12-01T10:03:00Z', 1793491200000),"
       "('won', 'W5', 'k5', 'h', 'in_flight', 2, '2026-12-01T10:02:00Z', '2026-12-01T10:03:00Z', 1796119320000);");
  state::OpenOptions ro;
  ro.read_only = true;
  auto st = state::StateStore::Open(path.string(), error, ro);
  REQUIRE_MESSAGE(st, error);
  state::StatusFigures f;
  // Now: 2026-12-02T00:00:00Z; a 7-day window.
  REQUIRE_MESSAGE(state::LoadStatus(*st, 1796169600000LL, 7 * 86400000LL, f, error), error);
  CHECK(f.runs == 2);
  REQUIRE(f.maps.size() == 2);
  for (const state::MapFigures& m : f.maps) {
    if (m.map == "acct") {
      CHECK(m.run == 2);
      CHECK(m.queued == 2);
      CHECK(m.failure_rate == doctest::Approx(0.02));
    } else {
      CHECK(m.map == "order");
    }
  }
  CHECK(f.budgets.at("crm") == "api_calls 120 of 1000 per 24h");
  CHECK(f.open_items.at("data_quality") == 1);
  CHECK(f.resolutions == 2);
  REQUIRE(f.resolution_median_s.has_value());
  CHECK(*f.resolution_median_s == doctest::Approx(3 * 3600.0).epsilon(0.001));  // median of 2 h and 4 h
  REQUIRE(f.change_to_done.size() == 1);
  const state::StatusFigures::ChangeToDone& won = f.change_to_done.at("won");
  CHECK(won.n == 3);
  CHECK(won.median_s == doctest::Approx(300.0));
  CHECK(won.p95_s == doctest::Approx(600.0));
  // A month later, the window holds none of them.
  state::StatusFigures later;
  REQUIRE_MESSAGE(state::LoadStatus(*st, 1796169600000LL + 30 * 86400000LL, 7 * 86400000LL, later, error), error);
  CHECK(later.resolutions == 0);
  CHECK(later.change_to_done.empty());
  CHECK(f.open_alerts.empty());
  CHECK(f.reconciliations.empty());
  CHECK_FALSE(later.resolution_median_s.has_value());
  // Read-only: nothing can be written, and no run lock was taken (a writer opens beside it).
  auto writer = state::StateStore::Open(path.string(), error);
  CHECK_MESSAGE(writer, error);
  fs::remove_all(d);
}
