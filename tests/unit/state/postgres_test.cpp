// Tests of the state store on PostgreSQL (runtime/state/db, postgres_schema.h, leases.h): the same
// runs give the same state on SQLite and PostgreSQL; the PostgreSQL tables are versioned and
// refuse a foreign database; the cluster's leases are exclusive, expire, and fence the commits of
// a worker that lost one; budgets shared by several connections are never exceeded; a
// PostgreSQL state copies into a SQLite file (a dry run's copy).
//
// The PostgreSQL cases need CRMX_TEST_PG_URL (and CRMX_TEST_PG_PASSWORD): ctest's
// test_state_postgres starts a throwaway cluster and sets them; without them those cases say
// they are skipped.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include "runtime/connectors/connector.h"
#include "runtime/engine/engine.h"
#include "runtime/state/alert_book.h"
#include "runtime/state/db/db.h"
#include "runtime/state/leases.h"
#include "runtime/state/postgres_schema.h"
#include "runtime/state/queue_book.h"
#include "runtime/state/reconcile_book.h"
#include "runtime/state/report_book.h"
#include "runtime/state/run_book.h"
#include "runtime/state/state.h"
#include "runtime/state/statement.h"
#include "runtime/state/status_book.h"
#include "tests/unit/support/example_spec.h"
#include "tests/unit/support/mini_spec.h"
#include "tests/unit/support/files.h"
#include "tests/unit/state/both_databases.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx;
using crmx::testing::Env;
using crmx::testing::FreshDatabase;

// `n` workers' leases on the database at `url` (each its own connection), named w0, w1, ...
std::vector<std::unique_ptr<state::Leases>> Workers(const std::string& url, int n) {
  std::vector<std::unique_ptr<state::Leases>> out;
  for (int i = 0; i < n; ++i) {
    std::string error;
    out.push_back(state::Leases::Open(url, Env("CRMX_TEST_PG_PASSWORD"), "w" + std::to_string(i), 30000, error));
    REQUIRE_MESSAGE(out.back(), error);
  }
  return out;
}

std::unique_ptr<state::StateStore> OpenPg(const std::string& url, std::string& error, state::OpenOptions o = {}) {
  o.password = Env("CRMX_TEST_PG_PASSWORD");
  return state::StateStore::Open(url, error, o);
}

using testing::Mini;

// What a state holds, as text: the cross-references, the ledger, the queues, the runs.
std::string Dump(state::StateStore& st, const plan::Plan& p) {
  std::ostringstream o;
  for (const plan::Map& m : p.maps) {
    std::map<std::string, std::string> xref;
    for (auto& [k, v] : st.LoadXref(m.name)) xref[k] = v.empty() ? "" : "id";  // ids are the target's own
    for (auto& [k, v] : xref) o << "xref " << m.name << " " << k << "\n";
    std::map<std::string, std::string> written;
    for (auto& [k, v] : st.LoadWritten(m.name)) written[k] = v;
    for (auto& [k, v] : written) o << "written " << m.name << " " << k << " " << v << "\n";
    o << "cursor " << m.name << " " << st.LoadCursor(m.name) << "\n";
  }
  std::map<std::string, int64_t> ledger;
  for (auto& [k, n] : st.LedgerCounts()) ledger[k] = n;
  for (auto& [k, n] : ledger) o << "ledger " << k << " " << n << "\n";
  for (auto& [k, n] : st.OpenItemCounts()) o << "open " << k << " " << n << "\n";
  std::vector<state::Item> items;
  std::string error;
  state::ItemFilter all;
  all.status = "all";
  REQUIRE_MESSAGE(state::ListItems(st, all, items, error), error);
  for (const state::Item& it : items) {
    o << "item " << it.map << " " << it.record_id << " " << it.queue << " " << it.status << " [";
    for (const std::string& r : it.reasons) o << r << ";";
    o << "] runs " << it.first_run << "-" << it.last_run << "\n";
  }
  REQUIRE(st.ok());
  return o.str();
}

}  // namespace

TEST_CASE("SQLite's ? and ?NNN parameters become PostgreSQL's $N; quoted text is left alone") {
  using state::db::PostgresParameters;
  CHECK(PostgresParameters("SELECT a FROM t WHERE b = ? AND c = ?") == "SELECT a FROM t WHERE b = $1 AND c = $2");
  CHECK(PostgresParameters("VALUES (?1, ?2, ?2, ?10)") == "VALUES ($1, $2, $2, $10)");
  // A bare ? after ?3 is the 4th, as SQLite numbers it.
  CHECK(PostgresParameters("?3, ?") == "$3, $4");
  CHECK(PostgresParameters("WHERE x = '?' AND y = 'it''s ?' AND z = ?") == "WHERE x = '?' AND y = 'it''s ?' AND z = $1");
  CHECK(PostgresParameters("SELECT \"a?\" FROM t WHERE a = ?") == "SELECT \"a?\" FROM t WHERE a = $1");
}

TEST_CASE("a PostgreSQL URL's password never reaches a message") {
  using state::db::RedactUrl;
  CHECK(RedactUrl("postgresql://crmx:s3cret@db.example:5432/crmx") == "postgresql://crmx@db.example:5432/crmx");
  CHECK(RedactUrl("postgresql://crmx@db.example/crmx") == "postgresql://crmx@db.example/crmx");
  CHECK(RedactUrl("postgres://db.example/crmx?sslmode=require") == "postgres://db.example/crmx?sslmode=require");
  CHECK(state::db::IsPostgresUrl("postgresql://x/y"));
  CHECK(state::db::IsPostgresUrl("postgres://x/y"));
  CHECK_FALSE(state::db::IsPostgresUrl("state.db"));
  std::string error;
  auto db = state::db::ConnectPostgres("postgresql://crmx@127.0.0.1:1/crmx", "hunter2-secret", error);
  CHECK_FALSE(db);
  CHECK(error.find("cannot connect to the state database postgresql://crmx@127.0.0.1:1/crmx") == 0);
  CHECK(error.find("hunter2-secret") == std::string::npos);
}

TEST_CASE("the same runs leave the same state on SQLite and on PostgreSQL") {
  std::string url = FreshDatabase("crmx_same_runs");
  if (url.empty()) return;
  fs::path d = testing::FreshDir("state_pg_test", "same_runs");
  std::string error;
  std::map<std::string, std::string> dumps;
  for (const std::string& where : {(d / "state.db").string(), url}) {
    fs::create_directories(d / (where == url ? "pg" : "sqlite"));
    Mini mini(d / (where == url ? "pg" : "sqlite"));
    auto st = state::db::IsPostgresUrl(where) ? OpenPg(where, error) : state::StateStore::Open(where, error);
    REQUIRE_MESSAGE(st, error);
    REQUIRE_MESSAGE(mini.Run(st.get(), error), error);
    REQUIRE_MESSAGE(mini.Run(st.get(), error), error);
    // A person resolves the first open item: the same on both (and its stay is history).
    std::vector<state::Item> items;
    REQUIRE_MESSAGE(state::ListItems(*st, state::ItemFilter{}, items, error), error);
    if (!items.empty()) {
      state::ActResult r;
      bool refused = false;
      REQUIRE_MESSAGE(state::Act(*st, items.back().id, "resolved", "fixed in the CRM", "ann", false, r, refused, error),
                      error);
    }
    dumps[where == url ? "postgresql" : "sqlite"] = Dump(*st, mini.plan);
  }
  CHECK(dumps["sqlite"].find("ledger done") != std::string::npos);
  CHECK(dumps["sqlite"].find("item ") != std::string::npos);
  CHECK(dumps["postgresql"] == dumps["sqlite"]);
  fs::remove_all(d);
}

TEST_CASE("the status book reads the same figures from PostgreSQL as from SQLite") {
  std::string url = FreshDatabase("crmx_status");
  if (url.empty()) return;
  std::string error;
  auto st = OpenPg(url, error);
  REQUIRE_MESSAGE(st, error);
  // As the SQLite case in tests/unit/engine/state_test.cpp: a delivery failed at 10:00 done at
  // 12:00; an item queued by run 1 (09:00) resolved at 13:00; changes done 5, 10 and 1 min later.
  std::string sql =
      "INSERT INTO runs (started, finished, plan_hash, summary) VALUES ('2026-12-01T09:00:00Z', "
      "'2026-12-01T09:01:00Z', 'h', '{}'), ('2026-12-01T10:00:00Z', '2026-12-01T10:01:00Z', 'h', '{}');"
      "INSERT INTO deliveries (id, map, source_key, idem_key, hash, state, run, decided, updated) VALUES "
      "(1, 'order', 'O1', 'k', 'h', 'done', 2, '2026-12-01T10:00:00Z', '2026-12-01T12:00:00Z');"
      "INSERT INTO attempts (delivery, attempt, run, at, ok) VALUES (1, 1, 2, '2026-12-01T10:00:00Z', 0),"
      "(1, 2, 2, '2026-12-01T11:00:00Z', 0);"
      "INSERT INTO items (id, map, record_id, queue, reasons, first_run, last_run, status) VALUES "
      "(5, 'acct', 'A1', 'data_quality', '[\"missing Name\"]', 1, 1, 'resolved');"
      "INSERT INTO actions (item, map, record_id, queue, action, actor, at) VALUES "
      "(5, 'acct', 'A1', 'data_quality', 'resolve', 'ann', '2026-12-01T13:00:00Z');"
      "INSERT INTO deliveries (id, map, source_key, idem_key, hash, state, run, decided, updated, source_changed) "
      "VALUES (2, 'won', 'W1', 'k1', 'h', 'done', 2, '2026-12-01T10:00:00Z', '2026-12-01T10:05:00Z', 1796119200000),"
      "(3, 'won', 'W2', 'k2', 'h', 'done', 2, '2026-12-01T10:10:00Z', '2026-12-01T10:20:00Z', 1796119800000),"
      "(4, 'won', 'W3', 'k3', 'h', 'done', 2, '2026-12-01T10:02:00Z', '2026-12-01T10:03:00Z', 1796119320000);";
  REQUIRE_MESSAGE(st->db().Exec(sql, error), error);
  state::StatusFigures f;
  REQUIRE_MESSAGE(state::LoadStatus(*st, 1796169600000LL, 7 * 86400000LL, f, error), error);
  CHECK(f.runs == 2);
  CHECK(f.resolutions == 2);
  REQUIRE(f.resolution_median_s.has_value());
  CHECK(*f.resolution_median_s == doctest::Approx(3 * 3600.0).epsilon(0.001));
  REQUIRE(f.change_to_done.count("won") == 1);
  CHECK(f.change_to_done.at("won").n == 3);
  CHECK(f.change_to_done.at("won").median_s == doctest::Approx(300.0));
}

TEST_CASE("PostgreSQL tables: versioned, opened twice without migrating twice, a foreign database refused") {
  std::string url = FreshDatabase("crmx_versions");
  if (url.empty()) return;
  std::string error;
  {
    auto st = OpenPg(url, error);
    REQUIRE_MESSAGE(st, error);
    CHECK(st->path() == url);
    state::Statement v(st->db(), "SELECT value FROM crmx_meta WHERE key = 'version'");
    REQUIRE(v.Row());
    CHECK(v.Text(0) == std::to_string(state::kPostgresVersion));
  }
  // Two stores at once: no run lock on PostgreSQL (the leases say who runs a sync).
  auto a = OpenPg(url, error);
  auto b = OpenPg(url, error);
  CHECK_MESSAGE(a, error);
  CHECK_MESSAGE(b, error);
  // A newer version is refused, naming it.
  REQUIRE(a->db().Exec("UPDATE crmx_meta SET value = '99' WHERE key = 'version'", error));
  auto newer = OpenPg(url, error);
  CHECK_FALSE(newer);
  CHECK(error.find("was written by a newer crmx-run (state version 99") != std::string::npos);
  // A database with tables of another application is not the state's.
  std::string other = FreshDatabase("crmx_foreign");
  {
    auto raw = state::db::ConnectPostgres(other, Env("CRMX_TEST_PG_PASSWORD"), error);
    REQUIRE_MESSAGE(raw, error);
    REQUIRE(raw->Exec("CREATE TABLE invoices (id int)", error));
  }
  auto foreign = OpenPg(other, error);
  CHECK_FALSE(foreign);
  CHECK(error.find("is not a crmx state database (it has the tables invoices)") != std::string::npos);
  // Read-only: writes are refused by the server.
  state::OpenOptions ro;
  ro.read_only = true;
  std::string fresh = FreshDatabase("crmx_readonly");
  { REQUIRE(OpenPg(fresh, error)); }
  auto r = OpenPg(fresh, error, ro);
  REQUIRE_MESSAGE(r, error);
  CHECK(r->BeginRun("h") == 0);
  CHECK(r->error().find("read-only") != std::string::npos);
}

TEST_CASE("leases: a claim is exclusive, expires, and a worker that lost its lease cannot commit") {
  std::string url = FreshDatabase("crmx_leases");
  if (url.empty()) return;
  std::string error;
  auto st = OpenPg(url, error);
  REQUIRE_MESSAGE(st, error);
  std::string pw = Env("CRMX_TEST_PG_PASSWORD");
  auto w1 = state::Leases::Open(url, pw, "w1", 1000, error);
  auto w2 = state::Leases::Open(url, pw, "w2", 1000, error);
  REQUIRE_MESSAGE(w1, error);
  REQUIRE_MESSAGE(w2, error);
  REQUIRE_MESSAGE(w1->Ensure({"orders"}, error), error);
  auto l1 = w1->Claim("orders", error);
  REQUIRE_MESSAGE(l1, error);
  CHECK_FALSE(w2->Claim("orders", error));
  CHECK(error.empty());
  // w1 fences its store: commits go through while it holds the lease (the heartbeat keeps it).
  st->Fence("w1", {*l1}, 1000);
  REQUIRE(st->Begin());
  REQUIRE(st->SaveCursor("orders", "2026-12-01T00:00:00Z"));
  REQUIRE(st->Commit());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK_FALSE(w2->Claim("orders", error));  // still held: the heartbeat extends it
  // w1 stops beating (as if killed): after the time to live, w2 claims it with a higher token.
  w1.reset();  // a clean stop gives it back at once...
  auto l2 = w2->Claim("orders", error);
  REQUIRE_MESSAGE(l2, error);
  CHECK(l2->token > l1->token);
  // ... and w1's store, still fenced with the old token, cannot write.
  REQUIRE(st->Begin());
  REQUIRE(st->SaveCursor("orders", "2026-12-02T00:00:00Z"));
  CHECK_FALSE(st->Commit());
  CHECK(st->fence_lost());
  CHECK(st->error().find("the lease of sync `orders`") != std::string::npos);
  st->RecoverFromLostLease();
  CHECK(st->ok());
  st->Fence("", {}, 0);
  CHECK(st->LoadCursor("orders") == "2026-12-01T00:00:00Z");  // the lost transaction wrote nothing
  // An expired lease that nobody claimed yet is lost too (a stalled worker).
  auto w3 = state::Leases::Open(url, pw, "w3", 1000, error);
  REQUIRE(w2->Release(*l2));
  auto l3 = w3->Claim("orders", error);
  REQUIRE(l3);
  st->Fence("w3", {*l3}, 1000);
  state::Statement expire(st->db(), "UPDATE leases SET expires = clock_timestamp() - interval '1 second'");
  REQUIRE(expire.Done());
  REQUIRE(st->Begin());
  REQUIRE(st->SaveCursor("orders", "2026-12-03T00:00:00Z"));
  CHECK_FALSE(st->Commit());
  CHECK(st->fence_lost());
}

TEST_CASE("a budget shared by four workers' connections is never exceeded") {
  std::string url = FreshDatabase("crmx_budget");
  if (url.empty()) return;
  std::string error;
  auto st = OpenPg(url, error);
  REQUIRE_MESSAGE(st, error);
  std::vector<std::unique_ptr<state::Leases>> workers = Workers(url, 4);
  std::atomic<int> admitted{0}, refused{0};
  std::vector<std::thread> threads;
  for (auto& w : workers)
    threads.emplace_back([&, l = w.get()] {
      for (int i = 0; i < 100; ++i) (l->Admit("erp", 0, 150).empty() ? admitted : refused)++;
    });
  for (auto& t : threads) t.join();
  CHECK(admitted.load() == 150);
  CHECK(refused.load() == 250);
  CHECK(st->Usage("erp", "api_calls", 0) == 150);
  CHECK(workers[0]->Admit("erp", 0, 150).find("budget api_calls 150 of erp reached") == 0);
}

TEST_CASE("a PostgreSQL state copies into a SQLite state file (what a dry run works on)") {
  std::string url = FreshDatabase("crmx_copy");
  if (url.empty()) return;
  fs::path d = testing::FreshDir("state_pg_test", "copy");
  std::string error;
  Mini mini(d);
  auto st = OpenPg(url, error);
  REQUIRE_MESSAGE(st, error);
  REQUIRE_MESSAGE(mini.Run(st.get(), error), error);
  std::string before = Dump(*st, mini.plan);
  REQUIRE_MESSAGE(state::BackupTo(*st, (d / "copy.db").string(), error), error);
  auto copy = state::StateStore::Open((d / "copy.db").string(), error);
  REQUIRE_MESSAGE(copy, error);
  CHECK(Dump(*copy, mini.plan) == before);
  fs::remove_all(d);
}

TEST_CASE("a concurrency limit shared by four workers: never more than its slots at once, a dead worker's freed") {
  std::string url = FreshDatabase("crmx_slots");
  if (url.empty()) return;
  std::string error;
  auto st = OpenPg(url, error);
  REQUIRE_MESSAGE(st, error);
  std::vector<std::unique_ptr<state::Leases>> workers = Workers(url, 4);
  std::atomic<int> inside{0}, most{0}, got{0};
  std::vector<std::thread> threads;
  for (auto& w : workers)
    for (int t = 0; t < 2; ++t)  // two threads per worker: its own slots are not taken twice
      threads.emplace_back([&, l = w.get()] {
        for (int i = 0; i < 15; ++i) {
          std::string e;
          int slot = l->AcquireSlot("erp", 2, 30000, e);
          if (slot < 0) continue;
          ++got;
          int now = ++inside;
          for (int m = most.load(); now > m && !most.compare_exchange_weak(m, now);) {
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
          --inside;
          l->ReleaseSlot("erp", slot);
        }
      });
  for (auto& t : threads) t.join();
  CHECK(got.load() == 120);
  CHECK(most.load() <= 2);
  CHECK(most.load() == 2);
  // A worker that holds both slots and dies: its connection ends and the slots are free again.
  int a = workers[0]->AcquireSlot("erp", 2, 1000, error);
  int b = workers[0]->AcquireSlot("erp", 2, 1000, error);
  REQUIRE(a >= 0);
  REQUIRE(b >= 0);
  CHECK(workers[1]->AcquireSlot("erp", 2, 200, error) == -1);
  workers[0].reset();
  CHECK(workers[1]->AcquireSlot("erp", 2, 5000, error) >= 0);
}

namespace {

// Every book of the state (alerts, reconciliations, the queues' history, runs) on `st` after the
// Mini spec ran twice and a person resolved an item: what each answers, as text (times left out).
std::string Books(state::StateStore& st, Mini& mini) {
  std::string error;
  std::ostringstream o;
  auto req = [&](bool ok, const char* what) {
    std::string why = std::string(what) + ": " + error;
    REQUIRE_MESSAGE(ok, why);
  };
  req(mini.Run(&st, error), "run 1");
  req(mini.Run(&st, error), "run 2");
  std::vector<state::Item> items;
  req(state::ListItems(st, state::ItemFilter{}, items, error), "ListItems");
  REQUIRE(!items.empty());
  state::ActResult act;
  bool refused = false;
  req(state::Act(st, items.back().id, "resolved", "by hand", "ann", false, act, refused, error), "Act");
  // Alerts: a timer kept, one cleared, two notifications (one of an event).
  REQUIRE(st.AddEvent(2, "notify", "acct", "A1", "finance-ops", "told"));
  std::vector<state::EventRow> events;
  req(state::UndeliveredEvents(st, {"notify"}, events, error), "UndeliveredEvents");
  REQUIRE(events.size() == 1);
  state::AlertTimer t{"stuck", "A1", 1000, 2000, 2000, 2000, 1, "L1", "status = x"};
  state::AlertTimer gone{"stuck", "A2", 1000, 1500, 0, 0, 0, "", ""};
  req(state::RecordAlert(st, {t, gone}, {}, {}, 2000, error), "RecordAlert put");
  state::NotificationRow n1;
  n1.dedup = "d1"; n1.alert = "stuck"; n1.record_key = "A1"; n1.target = "finance-ops"; n1.channel = "log";
  n1.subject = "s"; n1.body = "b"; n1.status = "pending"; n1.created = n1.updated = n1.due = 1796169600000LL;
  state::NotificationRow n2 = n1;
  n2.dedup = "d2"; n2.alert = "event:notify"; n2.event = events[0].id;
  req(state::RecordAlert(st, {}, {gone}, {n1, n2, n1}, 3000, error), "RecordAlert clear and decide");
  std::map<std::string, state::AlertTimer> timers;
  req(state::LoadTimers(st, "stuck", timers, error), "LoadTimers");
  for (auto& [k, x] : timers) o << "timer " << k << " " << x.since << " " << x.fired << " " << x.rounds << " " << x.link << "\n";
  std::vector<state::NotificationRow> due;
  req(state::DueNotifications(st, 1796169600000LL, 10, due, error), "DueNotifications");
  o << "due " << due.size() << "\n";
  for (state::NotificationRow n : due) {
    n.status = "sent";
    n.sent = n.updated = 1796169601000LL;
    n.attempts = 1;
    req(state::SettleNotification(st, n, error), "SettleNotification");
  }
  std::vector<state::NotificationRow> sent;
  req(state::ListNotifications(st, "sent", 10, sent, error), "ListNotifications");
  for (const auto& n : sent) o << "sent " << n.dedup << " " << n.alert << " " << n.attempts << "\n";
  req(state::MarkEventsDelivered(st, 1796169602000LL, error), "MarkEventsDelivered");
  events.clear();
  req(state::UndeliveredEvents(st, {"notify"}, events, error), "UndeliveredEvents after");
  o << "undelivered " << events.size() << "\n";
  req(st.AddEvent(2, "budget_warn", "", "", "crm", "80%"), "AddEvent");
  events.clear();
  req(state::UndeliveredEvents(st, {"budget_warn"}, events, error), "UndeliveredEvents budget");
  REQUIRE(events.size() == 1);
  req(state::MarkEventDelivered(st, events[0].id, 1796169603000LL, error), "MarkEventDelivered");
  std::vector<std::pair<int64_t, std::string>> summaries;
  req(state::LatestRunSummaries(st, 5, summaries, error), "LatestRunSummaries");
  o << "summaries " << summaries.size() << "\n";
  for (const char* q : {"data_quality", "held", "waiting"}) {
    std::map<std::string, int64_t> by_map;
    req(state::OpenItemsByMap(st, q, by_map, error), "OpenItemsByMap");
    for (auto& [m, c] : by_map) o << "open " << q << " " << m << " " << c << "\n";
  }
  std::string key;
  req(state::XrefSourceKey(st, "nothing", "x", key, error), "XrefSourceKey");
  std::vector<state::OpenDelivery> overdue;
  req(state::OverdueDeliveries(st, "2100-01-01T00:00:00Z", overdue, error), "OverdueDeliveries");
  o << "overdue " << overdue.size() << "\n";
  // Reconciliations: two of the same name, a discrepancy persisting.
  for (int i = 0; i < 2; ++i) {
    state::ReconciliationRow r{0, "orders", "2026-12-0" + std::to_string(i + 1) + "T00:00:00Z", "2026-12-0" +
                               std::to_string(i + 1) + "T00:01:00Z", "h", 10, 1, "{}"};
    state::ReconciliationRow last;
    std::vector<state::DiscrepancyRow> before;
    req(state::LastReconciliation(st, "orders", last, before, error), "LastReconciliation");
    std::vector<state::DiscrepancyRow> d = {{"field", "O1", "Amount ~ total", "10", "11", "1", "0", 0, ""}};
    if (!before.empty()) d[0].first_reconciliation = before[0].first_reconciliation, d[0].first_seen = before[0].first_seen;
    req(state::AddReconciliation(st, r, d, error), "AddReconciliation");
  }
  state::ReconciliationRow last;
  std::vector<state::DiscrepancyRow> ds;
  req(state::LastReconciliation(st, "orders", last, ds, error), "LastReconciliation after");
  o << "reconciliation " << last.name << " " << last.matched << " " << ds.size() << " first "
    << (ds.empty() ? "" : ds[0].first_seen) << "\n";
  // The queues' history, and the runs.
  for (const char* q : {"data_quality", "held"}) {
    state::QueueHistory h;
    req(state::LoadQueueHistory(st, q, {}, "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z", h, error), "LoadQueueHistory");
    o << "history " << q << " runs " << h.runs << " stays " << h.stays.size() << "\n";
    for (const auto& x : h.stays) o << "  " << x.map << " " << x.record_id << " " << x.how << " " << x.entered_run << "\n";
  }
  std::vector<state::RunRow> runs;
  req(state::ListRuns(st, 0, 10, runs, error), "ListRuns");
  o << "runs " << runs.size() << "\n";
  state::RunRow one;
  req(state::GetRun(st, runs.back().run, one, error), "GetRun");
  o << "run " << one.run << " " << (one.finished.empty() ? "open" : "finished") << "\n";
  REQUIRE(st.ok());
  return o.str();
}

}  // namespace

TEST_CASE("every book of the state answers the same on PostgreSQL as on SQLite") {
  std::string url = FreshDatabase("crmx_books");
  if (url.empty()) return;
  fs::path d = testing::FreshDir("state_pg_test", "books");
  std::string error;
  fs::create_directories(d / "sqlite");
  fs::create_directories(d / "pg");
  Mini on_file(d / "sqlite");
  auto file = state::StateStore::Open((d / "state.db").string(), error);
  REQUIRE_MESSAGE(file, error);
  std::string want = Books(*file, on_file);
  Mini on_pg(d / "pg");
  auto pg = OpenPg(url, error);
  REQUIRE_MESSAGE(pg, error);
  std::string got = Books(*pg, on_pg);
  CHECK(want.find("sent d1 stuck 1") != std::string::npos);
  CHECK(want.find("undelivered 0") != std::string::npos);
  CHECK(want.find("history data_quality") != std::string::npos);
  CHECK(got == want);
  fs::remove_all(d);
}
