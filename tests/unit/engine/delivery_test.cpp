// Tests of durable delivery (docs/operations.md, "The delivery ledger", "Retries and dead
// letters"): into an API every write is a delivery in the state's ledger; a retriable failure is
// sent again per the sync's policy (now, when due within the run's wait, or by a later run), an
// exhausted or non-retriable one is dead-lettered with the system's reason and its notify
// targets recorded; the queues in the state are the queues as they stand; a change cursor
// never skips a record that arrived with the last stamp read.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>
#include <functional>
#include <map>

#include "runtime/connectors/connector.h"
#include "runtime/engine/engine.h"
#include "runtime/engine/retry_policy.h"
#include "runtime/state/state.h"
#include "tests/unit/support/example_spec.h"
#include "tests/unit/support/files.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx;
using connectors::WriteResult;

fs::path Fresh(const std::string& name) {
  fs::path d = testing::FreshDir("delivery_test", name);
  fs::create_directories(d / "crm");
  testing::WriteWhole(d / "crm" / "Opportunity.jsonl", "");
  return d;
}

// How the fake API answers the n-th send (1-based) of the record with key `key`: nullopt
// writes it (into SQLite underneath), otherwise the failure given.
using Script = std::function<std::optional<WriteResult>(const std::string& key, int n)>;

WriteResult Failure(int status, const std::string& code, bool retriable) {
  WriteResult r;
  r.http_status = status;
  r.code = code;
  r.message = code == "REQUIRED_FIELD_MISSING" ? "Required fields are missing: [companyName]" : "try later";
  r.retriable = retriable;
  return r;
}

// A SQLite target that says it is an API (Connector::Remote), answers per the script and
// counts the sends of each key. Its writer batches (results come back at Flush), as an API's.
class FakeApi : public connectors::Connector {
 public:
  FakeApi(std::unique_ptr<connectors::Connector> inner, Script script) : inner_(std::move(inner)), script_(std::move(script)) {}
  std::string Describe() const override { return "fake api"; }
  bool Remote() const override { return true; }
  std::unique_ptr<connectors::RecordReader> OpenReader(const connectors::ReadRequest& req, std::string& error) override {
    return inner_->OpenReader(req, error);
  }
  std::unique_ptr<connectors::RecordWriter> OpenWriter(const connectors::WriteRequest& req, std::string& error) override {
    auto w = inner_->OpenWriter(req, error);
    if (!w) return nullptr;
    size_t key_at = 0;
    for (size_t i = 0; i < req.fields.size(); ++i)
      if (req.fields[i].name == req.key_field) key_at = i;
    auto writer = std::make_unique<Writer>(std::move(w), *this, key_at);
    writer->base_ = writer->Calls();  // a writer counts its own calls
    return writer;
  }
  std::map<std::string, int> sends;

 private:
  class Writer : public connectors::RecordWriter {
   public:
    Writer(std::unique_ptr<connectors::RecordWriter> w, FakeApi& api, size_t key_at) : w_(std::move(w)), api_(api), key_at_(key_at) {}
    bool Add(const value::Value* v, uint64_t tag, std::vector<WriteResult>& done, std::string& e) override {
      std::string key(v[key_at_].AsText());
      int n = ++api_.sends[key];
      if (auto fail = api_.script_(key, n)) {
        fail->tag = tag;
        held_.push_back(*fail);
        return true;
      }
      std::vector<WriteResult> r;
      if (!w_->Add(v, tag, r, e)) return false;
      held_.insert(held_.end(), r.begin(), r.end());
      return true;
    }
    bool Flush(std::vector<WriteResult>& done, std::string& e) override {
      done.insert(done.end(), held_.begin(), held_.end());
      held_.clear();
      return w_->Flush(done, e);
    }
    bool Commit(std::vector<WriteResult>& done, std::string& e) override {
      return Flush(done, e) && w_->Commit(done, e);
    }
    uint64_t Calls() const override {
      uint64_t n = 0;
      for (const auto& [k, c] : api_.sends) n += static_cast<uint64_t>(c);
      return n - base_;
    }
    uint64_t base_ = 0;

   private:
    std::unique_ptr<connectors::RecordWriter> w_;
    FakeApi& api_;
    size_t key_at_;
    std::vector<WriteResult> held_;
  };
  std::unique_ptr<connectors::Connector> inner_;
  Script script_;
};

struct Clock {
  int64_t now = 1'800'000'000'000;  // Unix ms
  int64_t slept = 0;
};

struct Result {
  engine::RunReport report;
  std::string error;
  bool ok = false;
};

plan::Plan MiniPlan() {
  return testing::BuildSpecPlanOrFail(std::string(CRMX_SOURCE_DIR) + "/tests/unit/engine/mini/mini.crmx");
}

Result RunOnce(const fs::path& d, const plan::Plan& p, connectors::Connector& erp, Clock& clock, int64_t retry_wait_ms) {
  Result r;
  auto crm = connectors::Open((d / "crm").string(), r.error);
  REQUIRE(crm);
  auto st = state::StateStore::Open((d / "state.db").string(), r.error);
  REQUIRE_MESSAGE(st, r.error);
  engine::Systems systems;
  systems.by_name["crm"] = crm.get();
  systems.by_name["erp"] = &erp;
  engine::RunOptions options;
  options.retry_wait_ms = retry_wait_ms;
  options.now_ms = [&clock] { return clock.now; };
  options.sleep_ms = [&clock](int64_t ms) {
    clock.now += ms;
    clock.slept += ms;
  };
  r.ok = engine::Run(p, systems, st.get(), options, r.report, r.error);
  return r;
}

std::string Scalar(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.string().c_str(), &h) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE_MESSAGE(sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) == SQLITE_OK, sqlite3_errmsg(h));
  std::string out;
  if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0)) out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(h);
  return out;
}

const char* kTwoAccounts =
    "{\"Id\":\"A1\",\"Name\":\"Acme\",\"BillingCountry\":\"US\",\"PaymentTerms__c\":\"Net 15\"}\n"
    "{\"Id\":\"A2\",\"Name\":\"Globex\",\"BillingCountry\":\"US\",\"PaymentTerms__c\":\"Net 30\"}\n";

}  // namespace

TEST_CASE("the retry policy: exponential, linear and fixed waits, capped, jittered within half, Retry-After honoured") {
  engine::RetryPolicy p;
  p.backoff = "exponential";
  p.base_ms = 2000;
  p.cap_ms = 600000;
  p.jitter = false;
  CHECK(engine::BackoffMs(p, 1, "k", -1) == 2000);
  CHECK(engine::BackoffMs(p, 2, "k", -1) == 4000);
  CHECK(engine::BackoffMs(p, 5, "k", -1) == 32000);
  CHECK(engine::BackoffMs(p, 30, "k", -1) == 600000);
  CHECK(engine::BackoffMs(p, 1, "k", 90000) == 90000);  // Retry-After: 90
  p.backoff = "linear";
  CHECK(engine::BackoffMs(p, 3, "k", -1) == 6000);
  p.backoff = "fixed";
  CHECK(engine::BackoffMs(p, 7, "k", -1) == 2000);
  p.backoff = "exponential";
  p.jitter = true;
  std::set<int64_t> seen;
  for (int i = 0; i < 50; ++i) {
    int64_t w = engine::BackoffMs(p, 3, "key" + std::to_string(i), -1);
    CHECK(w >= 4000);
    CHECK(w <= 8000);
    seen.insert(w);
  }
  CHECK(seen.size() > 10);  // spread, not one value
  CHECK(engine::BackoffMs(p, 3, "same", -1) == engine::BackoffMs(p, 3, "same", -1));  // a restart keeps it
  // The plan's policy: `retry 5 backoff exponential(2s, 10m) jitter`; none: the default.
  plan::Sync s;
  s.retry = plan::Retry{5, "exponential", {2000, 600000}, true};
  engine::RetryPolicy from = engine::PolicyOf(&s);
  CHECK(from.retries == 5);
  CHECK(from.base_ms == 2000);
  CHECK(from.cap_ms == 600000);
  CHECK(engine::PolicyOf(nullptr).retries == 3);
}

TEST_CASE("a retriable failure is sent again within the run and written; the ledger ends done") {
  fs::path d = Fresh("retried");
  testing::WriteWhole(d / "crm" / "Account.jsonl", kTwoAccounts);
  std::string error;
  FakeApi erp(connectors::Open((d / "erp.db").string(), error), [](const std::string& key, int n) -> std::optional<WriteResult> {
    if (key == "A1" && n <= 2) return Failure(503, "SERVER_UNAVAILABLE", true);
    return std::nullopt;
  });
  Clock clock;
  Result r = RunOnce(d, MiniPlan(), erp, clock, 60000);
  REQUIRE_MESSAGE(r.ok, r.error);
  const engine::MapReport& acct = r.report.maps[0];
  CHECK(acct.written == 2);
  CHECK(acct.retries == 2);
  CHECK(acct.retrying.count == 0);
  CHECK(acct.dead_letter.count == 0);
  CHECK(erp.sends["A1"] == 3);
  CHECK(erp.sends["A2"] == 1);
  // The default policy waits exponential(1s, 1m) with jitter: 0.5-1 s, then 1-2 s.
  CHECK(clock.slept >= 1500);
  CHECK(clock.slept <= 3000);
  CHECK(r.report.ledger["done"] == 2);
  CHECK(r.report.ledger["failed"] == 0);
  CHECK(Scalar(d / "state.db", "SELECT count(*) FROM attempts") == "2");
  CHECK(Scalar(d / "state.db", "SELECT group_concat(code) FROM attempts") == "SERVER_UNAVAILABLE,SERVER_UNAVAILABLE");
  CHECK(Scalar(d / "state.db", "SELECT attempts FROM deliveries WHERE source_key = 'A1'") == "3");
  CHECK(Scalar(d / "state.db", "SELECT count(*) FROM deliveries WHERE payload IS NOT NULL") == "0");
}

TEST_CASE("retries exhausted: the record is dead-lettered with the system's reason, its notify targets recorded") {
  fs::path d = Fresh("exhausted");
  testing::WriteWhole(d / "crm" / "Account.jsonl", kTwoAccounts);
  std::string error;
  FakeApi erp(connectors::Open((d / "erp.db").string(), error), [](const std::string& key, int) -> std::optional<WriteResult> {
    if (key == "A2") return Failure(429, "REQUEST_LIMIT_EXCEEDED", true);
    return std::nullopt;
  });
  plan::Plan p = MiniPlan();
  for (plan::Sync& s : p.syncs) {
    if (s.map != "acct") continue;
    s.retry = plan::Retry{2, "exponential", {10, 100}, false};
    s.on_exhausted = {"dead_letter", "notify: finance-ops"};
  }
  Clock clock;
  Result r = RunOnce(d, p, erp, clock, 60000);
  REQUIRE_MESSAGE(r.ok, r.error);
  const engine::MapReport& acct = r.report.maps[0];
  CHECK(acct.written == 1);
  CHECK(erp.sends["A2"] == 3);  // the first send and 2 retries
  CHECK(acct.retries == 2);
  CHECK(clock.slept == 30);  // 10 ms, then 20 ms
  REQUIRE(acct.dead_letter.count == 1);
  REQUIRE(acct.dead_letter.samples.size() == 1);
  CHECK(acct.dead_letter.samples[0].key == "A2");
  CHECK(acct.dead_letter.samples[0].reasons.at(0) == "write failed: HTTP 429: REQUEST_LIMIT_EXCEEDED: try later");
  CHECK(acct.dead_letter.samples[0].reasons.at(1) == "retries exhausted: 3 sends failed");
  CHECK(r.report.ledger["dead"] == 1);
  fs::path db = d / "state.db";
  CHECK(Scalar(db, "SELECT target || ' ' || kind FROM events") == "finance-ops notify");
  CHECK(Scalar(db, "SELECT queue FROM queued_items WHERE record_id = 'A2'") == "dead_letter");
  CHECK(Scalar(db, "SELECT notify FROM deliveries WHERE source_key = 'A2'") == "[\"finance-ops\"]");
  CHECK(Scalar(db, "SELECT last_code || ' ' || last_status FROM deliveries WHERE source_key = 'A2'") ==
        "REQUEST_LIMIT_EXCEEDED 429");
  CHECK(Scalar(db, "SELECT last_request FROM deliveries WHERE source_key = 'A2'").find("\"companyName\":\"Globex\"") !=
        std::string::npos);
  // A later run does not send a dead letter again while its record is unchanged.
  Result again = RunOnce(d, p, erp, clock, 60000);
  REQUIRE_MESSAGE(again.ok, again.error);
  CHECK(erp.sends["A2"] == 3);
}

TEST_CASE("a failure that is not retriable is dead-lettered at once, after one send") {
  fs::path d = Fresh("not_retriable");
  testing::WriteWhole(d / "crm" / "Account.jsonl", kTwoAccounts);
  std::string error;
  FakeApi erp(connectors::Open((d / "erp.db").string(), error), [](const std::string& key, int) -> std::optional<WriteResult> {
    if (key == "A1") return Failure(400, "REQUIRED_FIELD_MISSING", false);
    return std::nullopt;
  });
  Clock clock;
  Result r = RunOnce(d, MiniPlan(), erp, clock, 60000);
  REQUIRE_MESSAGE(r.ok, r.error);
  const engine::MapReport& acct = r.report.maps[0];
  CHECK(erp.sends["A1"] == 1);
  CHECK(acct.retries == 0);
  CHECK(clock.slept == 0);
  REQUIRE(acct.dead_letter.count == 1);
  CHECK(acct.dead_letter.samples[0].reasons.at(1) == "not retriable");
  CHECK(acct.error.count == 0);
}

TEST_CASE("a retry due after the run's wait stays in the ledger; a later run sends it when due, not before") {
  fs::path d = Fresh("due_later");
  testing::WriteWhole(d / "crm" / "Account.jsonl", kTwoAccounts);
  std::string error;
  FakeApi erp(connectors::Open((d / "erp.db").string(), error), [](const std::string& key, int n) -> std::optional<WriteResult> {
    if (key == "A1" && n == 1) return Failure(0, "timeout", true);
    return std::nullopt;
  });
  plan::Plan p = MiniPlan();
  for (plan::Sync& s : p.syncs)
    if (s.map == "acct") s.retry = plan::Retry{5, "fixed", {600000}, false};  // 10 minutes
  Clock clock;
  Result first = RunOnce(d, p, erp, clock, /*retry_wait_ms=*/30000);
  REQUIRE_MESSAGE(first.ok, first.error);
  CHECK(first.report.maps[0].written == 1);
  REQUIRE(first.report.maps[0].retrying.count == 1);
  CHECK(first.report.maps[0].retrying.samples[0].key == "A1");
  CHECK(first.report.ledger["failed"] == 1);
  CHECK(clock.slept == 0);
  CHECK(Scalar(d / "state.db", "SELECT queue FROM queued_items WHERE record_id = 'A1'") == "retrying");
  // Five minutes later: not due yet.
  clock.now += 300000;
  Result second = RunOnce(d, p, erp, clock, 30000);
  REQUIRE_MESSAGE(second.ok, second.error);
  CHECK(erp.sends["A1"] == 1);
  CHECK(second.report.maps[0].retrying.count == 1);
  // Ten minutes after the failure: due, sent, written; out of the queues.
  clock.now += 300001;
  Result third = RunOnce(d, p, erp, clock, 30000);
  REQUIRE_MESSAGE(third.ok, third.error);
  CHECK(erp.sends["A1"] == 2);
  CHECK(third.report.maps[0].written == 1);
  CHECK(third.report.maps[0].retrying.count == 0);
  CHECK(third.report.ledger["failed"] == 0);
  CHECK(Scalar(d / "state.db", "SELECT count(*) FROM queued_items WHERE record_id = 'A1'") == "0");
}

TEST_CASE("a delivery left in flight by a run that died is sent by the next run, from the ledger") {
  fs::path d = Fresh("in_flight");
  // The source no longer has the record: what was decided is still delivered.
  testing::WriteWhole(d / "crm" / "Account.jsonl", "");
  std::string error;
  plan::Plan p = MiniPlan();
  const plan::Map* acct = p.FindMap("acct");
  REQUIRE(acct);
  {
    auto st = state::StateStore::Open((d / "state.db").string(), error);
    REQUIRE_MESSAGE(st, error);
    std::vector<value::Value> values(acct->target_fields.size(), value::Value::Null());
    for (size_t i = 0; i < values.size(); ++i) {
      if (acct->target_fields[i].name == "externalId") values[i] = value::Value::String("A9");
      if (acct->target_fields[i].name == "companyName") values[i] = value::Value::String("Initech");
    }
    state::Delivery dl;
    dl.map = "acct";
    dl.source_key = "A9";
    dl.hash = "h";
    dl.state = "in_flight";
    dl.payload = "{\"values\":" + plan::ValueToJsonText(value::Value::List(values)) + ",\"flags\":[]}";
    dl.run = 1;
    CHECK(st->Decide(dl) > 0);
  }
  FakeApi erp(connectors::Open((d / "erp.db").string(), error), [](const std::string&, int) { return std::nullopt; });
  Clock clock;
  Result r = RunOnce(d, p, erp, clock, 0);
  REQUIRE_MESSAGE(r.ok, r.error);
  CHECK(erp.sends["A9"] == 1);
  CHECK(r.report.maps[0].written == 1);
  CHECK(r.report.ledger["done"] == 1);
  CHECK(r.report.ledger["in_flight"] == 0);
}

TEST_CASE("a `when` that cannot be evaluated makes the record an error, not a skipped one") {
  fs::path d = Fresh("when_error");
  testing::WriteWhole(d / "crm" / "Account.jsonl", kTwoAccounts);
  // Amount null: `Amount > 0` has no answer (CEL: no overload for null > int).
  testing::WriteWhole(d / "crm" / "Opportunity.jsonl",
                      "{\"Id\":\"O1\",\"AccountId\":\"A1\",\"StageName\":\"Closed Won\",\"Amount\":null}\n");
  std::string error;
  auto erp = connectors::Open((d / "erp.db").string(), error);
  REQUIRE(erp);
  Clock clock;
  Result r = RunOnce(d, MiniPlan(), *erp, clock, 0);
  REQUIRE_MESSAGE(r.ok, r.error);
  const engine::MapReport& opp = r.report.maps[1];
  CHECK(opp.skipped.count == 0);
  REQUIRE(opp.error.count == 1);
  CHECK(opp.error.samples[0].key == "O1");
  CHECK(opp.error.samples[0].reasons.at(0).rfind("when: ", 0) == 0);
}

TEST_CASE("the queues in the state are the queues as they stand: a record still held is listed after the next run") {
  fs::path d = Fresh("items_present");
  // A3's country has no subsidiary: held. Unchanged, the second run does not read it again.
  std::string accounts =
      "{\"Id\":\"A1\",\"Name\":\"Acme\",\"BillingCountry\":\"US\",\"SystemModstamp\":\"2026-01-01T00:00:00Z\"}\n"
      "{\"Id\":\"A3\",\"Name\":\"Initech\",\"BillingCountry\":\"FR\",\"SystemModstamp\":\"2026-01-01T00:00:00Z\"}\n";
  testing::WriteWhole(d / "crm" / "Account.jsonl", accounts);
  std::string error;
  auto erp = connectors::Open((d / "erp.db").string(), error);
  REQUIRE(erp);
  Clock clock;
  plan::Plan p = MiniPlan();
  REQUIRE(p.FindMap("acct")->cursor == "SystemModstamp");
  Result first = RunOnce(d, p, *erp, clock, 0);
  REQUIRE_MESSAGE(first.ok, first.error);
  CHECK(first.report.maps[0].held.count == 1);
  fs::path db = d / "state.db";
  std::string held_id = Scalar(db, "SELECT id FROM queued_items WHERE record_id = 'A3'");
  Result second = RunOnce(d, p, *erp, clock, 0);
  REQUIRE_MESSAGE(second.ok, second.error);
  CHECK(second.report.maps[0].held.count == 0);  // not read again: unchanged
  CHECK(Scalar(db, "SELECT queue || ' ' || reasons || ' ' || first_run || '-' || last_run FROM queued_items WHERE record_id = 'A3'") ==
        "held [\"Pending Review\"] 1-1");
  CHECK(Scalar(db, "SELECT count(*) FROM queue_items WHERE queue = 'flag' AND record_id = 'A1'") == "1");  // default terms
  // Queued again (the record changed, still held): the same item, its first sighting kept.
  testing::WriteWhole(d / "crm" / "Account.jsonl",
                      "{\"Id\":\"A3\",\"Name\":\"Initech SA\",\"BillingCountry\":\"FR\",\"SystemModstamp\":\"2026-01-15T00:00:00Z\"}\n");
  Result requeued = RunOnce(d, p, *erp, clock, 0);
  REQUIRE_MESSAGE(requeued.ok, requeued.error);
  CHECK(requeued.report.maps[0].held.count == 1);
  CHECK(Scalar(db, "SELECT id || ' ' || first_run || '-' || last_run FROM queued_items WHERE record_id = 'A3'") == held_id + " 1-3");
  // Fixed at the source (a country with a subsidiary): written, out of the held queue.
  testing::WriteWhole(d / "crm" / "Account.jsonl",
                      "{\"Id\":\"A3\",\"Name\":\"Initech\",\"BillingCountry\":\"DE\",\"SystemModstamp\":\"2026-02-01T00:00:00Z\"}\n");
  Result third = RunOnce(d, p, *erp, clock, 0);
  REQUIRE_MESSAGE(third.ok, third.error);
  CHECK(third.report.maps[0].written == 1);
  CHECK(Scalar(db, "SELECT count(*) FROM queued_items WHERE record_id = 'A3' AND queue <> 'flag'") == "0");
}

TEST_CASE("cursor ties: a record that arrives with the last stamp read is not skipped; those read are") {
  fs::path d = Fresh("cursor_ties");
  testing::WriteWhole(d / "crm" / "Account.jsonl",
                      "{\"Id\":\"A1\",\"Name\":\"Acme\",\"BillingCountry\":\"US\",\"SystemModstamp\":\"2026-01-01T10:00:00Z\"}\n");
  std::string error;
  auto erp = connectors::Open((d / "erp.db").string(), error);
  REQUIRE(erp);
  Clock clock;
  plan::Plan p = MiniPlan();
  Result first = RunOnce(d, p, *erp, clock, 0);
  REQUIRE_MESSAGE(first.ok, first.error);
  CHECK(first.report.maps[0].written == 1);
  // A2 committed in the same second as A1, after the first run read.
  testing::WriteWhole(d / "crm" / "Account.jsonl",
                      "{\"Id\":\"A1\",\"Name\":\"Acme\",\"BillingCountry\":\"US\",\"SystemModstamp\":\"2026-01-01T10:00:00Z\"}\n"
                      "{\"Id\":\"A2\",\"Name\":\"Globex\",\"BillingCountry\":\"US\",\"SystemModstamp\":\"2026-01-01T10:00:00Z\"}\n");
  Result second = RunOnce(d, p, *erp, clock, 0);
  REQUIRE_MESSAGE(second.ok, second.error);
  CHECK(second.report.maps[0].written == 1);  // A2
  CHECK(second.report.maps[0].skipped.by_reason["unchanged since the last run"] == 1);  // A1
  Result third = RunOnce(d, p, *erp, clock, 0);
  REQUIRE_MESSAGE(third.ok, third.error);
  CHECK(third.report.maps[0].written == 0);
  CHECK(third.report.maps[0].skipped.by_reason["unchanged since the last run"] == 2);
}

TEST_CASE("deletions: a record deleted at the source is flagged for review, not written, and never written again") {
  fs::path d = Fresh("deletions");
  testing::WriteWhole(d / "crm" / "Account.jsonl",
                      "{\"Id\":\"A1\",\"Name\":\"Acme\",\"BillingCountry\":\"US\",\"IsDeleted\":false}\n"
                      "{\"Id\":\"A2\",\"Name\":\"Globex\",\"BillingCountry\":\"US\",\"IsDeleted\":false}\n");
  std::string error;
  // A2's first send is lost; then A2 is deleted at the source before its retry is due.
  FakeApi erp(connectors::Open((d / "erp.db").string(), error), [](const std::string& key, int n) -> std::optional<WriteResult> {
    if (key == "A2" && n == 1) return Failure(0, "timeout", true);
    return std::nullopt;
  });
  plan::Plan p = MiniPlan();
  REQUIRE(p.FindMap("acct")->deleted_field == "IsDeleted");
  Clock clock;
  Result first = RunOnce(d, p, erp, clock, 0);
  REQUIRE_MESSAGE(first.ok, first.error);
  CHECK(first.report.maps[0].written == 1);
  CHECK(first.report.maps[0].retrying.count == 1);
  testing::WriteWhole(d / "crm" / "Account.jsonl",
                      "{\"Id\":\"A1\",\"Name\":\"Acme\",\"BillingCountry\":\"US\",\"IsDeleted\":true}\n"
                      "{\"Id\":\"A2\",\"Name\":\"Globex\",\"BillingCountry\":\"US\",\"IsDeleted\":true}\n");
  clock.now += 3600000;
  Result second = RunOnce(d, p, erp, clock, 0);
  REQUIRE_MESSAGE(second.ok, second.error);
  const engine::MapReport& acct = second.report.maps[0];
  CHECK(acct.written == 0);
  REQUIRE(acct.deleted.count == 2);
  CHECK(acct.deleted.samples[0].reasons.at(0) ==
        "deleted in crm.Account; the erp.Customer record is left as it is: review it");
  CHECK(erp.sends["A2"] == 1);  // the open delivery was given up, not sent
  fs::path db = d / "state.db";
  CHECK(Scalar(db, "SELECT count(*) FROM queued_items WHERE queue = 'deleted'") == "2");
  CHECK(Scalar(db, "SELECT state || ' ' || last_code FROM deliveries WHERE source_key = 'A2'") == "dead DELETED_AT_SOURCE");
  // Back in the source as a live record (an old export, a restore): still not written.
  testing::WriteWhole(d / "crm" / "Account.jsonl",
                      "{\"Id\":\"A2\",\"Name\":\"Globex Corp\",\"BillingCountry\":\"US\",\"IsDeleted\":false}\n");
  Result third = RunOnce(d, p, erp, clock, 0);
  REQUIRE_MESSAGE(third.ok, third.error);
  CHECK(third.report.maps[0].written == 0);
  CHECK(third.report.maps[0].skipped.by_reason["deleted at the source: not written again"] == 1);
  CHECK(erp.sends["A2"] == 1);
}

TEST_CASE("deletions: a record deleted in the second the last run read it (a cursor tie) is still noticed") {
  fs::path d = Fresh("deletion_tie");
  const std::string a2 = "{\"Id\":\"A2\",\"Name\":\"Globex\",\"BillingCountry\":\"US\",\"IsDeleted\":false,"
                         "\"SystemModstamp\":\"2026-01-01T00:00:00Z\"}\n";
  testing::WriteWhole(d / "crm" / "Account.jsonl",
                      "{\"Id\":\"A1\",\"Name\":\"Acme\",\"BillingCountry\":\"US\",\"IsDeleted\":false,"
                      "\"SystemModstamp\":\"2026-01-01T00:00:00Z\"}\n" + a2);
  std::string error;
  FakeApi erp(connectors::Open((d / "erp.db").string(), error), [](const std::string&, int) { return std::nullopt; });
  plan::Plan p = MiniPlan();
  REQUIRE(p.FindMap("acct")->cursor == "SystemModstamp");
  Clock clock;
  Result first = RunOnce(d, p, erp, clock, 0);
  REQUIRE_MESSAGE(first.ok, first.error);
  CHECK(first.report.maps[0].written == 2);
  // A1 deleted with the stamp the first run read it at: the watermark's own second.
  testing::WriteWhole(d / "crm" / "Account.jsonl",
                      "{\"Id\":\"A1\",\"Name\":\"Acme\",\"BillingCountry\":\"US\",\"IsDeleted\":true,"
                      "\"SystemModstamp\":\"2026-01-01T00:00:00Z\"}\n" + a2);
  Result second = RunOnce(d, p, erp, clock, 0);
  REQUIRE_MESSAGE(second.ok, second.error);
  CHECK(second.report.maps[0].deleted.count == 1);
  CHECK(second.report.maps[0].skipped.by_reason["unchanged since the last run"] == 1);
  Result third = RunOnce(d, p, erp, clock, 0);
  REQUIRE_MESSAGE(third.ok, third.error);
  CHECK(third.report.maps[0].deleted.count == 0);
  CHECK(third.report.maps[0].skipped.by_reason["unchanged since the last run"] == 2);
  CHECK(erp.sends["A1"] == 1);
}

TEST_CASE("a changed child re-syncs its parent: an order line changed since the last run sends its order again") {
  fs::path d = testing::FreshDir("delivery_test", "child_changes");
  fs::copy(std::string(CRMX_SOURCE_DIR) + "/examples/acme-salesforce-netsuite/data/crm", d / "crm");
  fs::create_directories(d / "erp");
  plan::Plan p = testing::BuildSpecPlanOrFail(testing::kExample);
  const plan::Map* won = p.FindMap("won_to_order");
  REQUIRE(won);
  bool lines_have_cursor = false;
  for (const plan::Relation& r : won->projection.relations) lines_have_cursor = lines_have_cursor || (r.child && r.cursor == "SystemModstamp");
  REQUIRE(lines_have_cursor);
  std::string error;
  auto erp = connectors::Open((d / "erp").string(), error);
  REQUIRE_MESSAGE(erp, error);
  Clock clock;
  Result first = RunOnce(d, p, *erp, clock, 0);
  REQUIRE_MESSAGE(first.ok, first.error);
  int64_t orders = first.report.maps[1].written;
  CHECK(orders > 100);
  Result second = RunOnce(d, p, *erp, clock, 0);
  REQUIRE_MESSAGE(second.ok, second.error);
  CHECK(second.report.maps[1].written == 0);
  // One line of a written order changes (quantity and stamp); its opportunity does not.
  std::string orders_text = testing::ReadWhole(d / "erp" / "SalesOrder.jsonl");
  std::string opp = orders_text.substr(orders_text.find("\"externalId\":\"") + 14, 18);
  std::string lines = testing::ReadWhole(d / "crm" / "OpportunityLineItem.jsonl");
  size_t at = lines.find("\"OpportunityId\":\"" + opp + "\"");
  REQUIRE(at != std::string::npos);
  size_t q = lines.find("\"Quantity\":", at);
  REQUIRE(q != std::string::npos);
  lines.insert(q + 11, "1");  // 2.0 -> 12.0
  size_t stamp = lines.find("\"SystemModstamp\":\"", at);
  REQUIRE(stamp != std::string::npos);
  REQUIRE(stamp < lines.find('\n', at));
  lines.replace(stamp + 18, 4, "2030");
  testing::WriteWhole(d / "crm" / "OpportunityLineItem.jsonl", lines);
  Result third = RunOnce(d, p, *erp, clock, 0);
  REQUIRE_MESSAGE(third.ok, third.error);
  CHECK(third.report.maps[1].written == 1);
}

TEST_CASE("budgets: api_calls per 24h across runs; the warn level records an event, the budget pauses sending until the next window") {
  fs::path d = Fresh("budgets");
  testing::WriteWhole(d / "crm" / "Account.jsonl", kTwoAccounts);
  std::string error;
  FakeApi erp(connectors::Open((d / "erp.db").string(), error), [](const std::string&, int) { return std::nullopt; });
  plan::Plan p = MiniPlan();
  for (plan::System& s : p.systems)
    if (s.name == "erp") s.budgets = {plan::Budget{"api_calls", 3, 86400000, 50.0}, plan::Budget{"concurrency", 2, {}, {}}};
  Clock clock;
  clock.now = 1'800'000'000'000 - 1'800'000'000'000 % 86400000 + 3600000;  // 01:00 UTC
  Result first = RunOnce(d, p, erp, clock, 0);
  REQUIRE_MESSAGE(first.ok, first.error);
  CHECK(first.report.maps[0].written == 2);
  fs::path db = d / "state.db";
  CHECK(Scalar(db, "SELECT amount FROM usage WHERE system = 'erp'") == "2");
  CHECK(Scalar(db, "SELECT kind FROM events") == "budget_warn");  // 2 of 3 is past 50%
  CHECK(first.report.budgets.at("erp").rfind("api_calls 2 of 3 per 24h", 0) == 0);
  // Both accounts change: the first batch is sent (3 of 3 would be reached after it, not before).
  testing::WriteWhole(d / "crm" / "Account.jsonl",
                      "{\"Id\":\"A1\",\"Name\":\"Acme 2\",\"BillingCountry\":\"US\"}\n"
                      "{\"Id\":\"A2\",\"Name\":\"Globex 2\",\"BillingCountry\":\"US\"}\n");
  clock.now += 60000;
  Result second = RunOnce(d, p, erp, clock, 0);
  REQUIRE_MESSAGE(second.ok, second.error);
  CHECK(second.report.maps[0].written == 2);
  CHECK(Scalar(db, "SELECT amount FROM usage WHERE system = 'erp'") == "4");
  // Spent: a third change waits in the ledger, pending, with the reason.
  testing::WriteWhole(d / "crm" / "Account.jsonl", "{\"Id\":\"A1\",\"Name\":\"Acme 3\",\"BillingCountry\":\"US\"}\n");
  clock.now += 60000;
  Result third = RunOnce(d, p, erp, clock, 0);
  REQUIRE_MESSAGE(third.ok, third.error);
  CHECK(third.report.maps[0].written == 0);
  REQUIRE(third.report.maps[0].retrying.count == 1);
  CHECK(third.report.maps[0].retrying.samples[0].reasons.at(0).rfind("paused: erp budget api_calls 3 per 24h reached (4 used)", 0) == 0);
  CHECK(third.report.ledger["pending"] == 1);
  CHECK(erp.sends["A1"] == 2);
  // The next window: sent, nothing lost.
  clock.now += 86400000;
  Result fourth = RunOnce(d, p, erp, clock, 0);
  REQUIRE_MESSAGE(fourth.ok, fourth.error);
  CHECK(fourth.report.maps[0].written == 1);
  CHECK(erp.sends["A1"] == 3);
  CHECK(fourth.report.ledger["pending"] == 0);
}

TEST_CASE("state and target out of step, local: a target changed outside crmx makes every record looked at again") {
  fs::path d = Fresh("out_of_step");
  testing::WriteWhole(d / "crm" / "Account.jsonl",
                      "{\"Id\":\"A1\",\"Name\":\"Acme\",\"BillingCountry\":\"US\",\"SystemModstamp\":\"2026-01-01T00:00:00Z\"}\n"
                      "{\"Id\":\"A2\",\"Name\":\"Globex\",\"BillingCountry\":\"US\",\"SystemModstamp\":\"2026-01-01T00:00:00Z\"}\n");
  fs::create_directories(d / "erp");
  std::string error;
  plan::Plan p = MiniPlan();
  Clock clock;
  auto run = [&] {
    auto erp = connectors::Open((d / "erp").string(), error);
    REQUIRE_MESSAGE(erp, error);
    Result r = RunOnce(d, p, *erp, clock, 0);
    REQUIRE_MESSAGE(r.ok, r.error);
    return r;
  };
  CHECK(run().report.maps[0].written == 2);
  Result second = run();
  CHECK(second.report.maps[0].written == 0);  // unchanged: skipped
  CHECK(second.report.maps[0].notes.empty());
  // The target is restored from an older backup that lacks A2.
  std::string customers = testing::ReadWhole(d / "erp" / "Customer.jsonl");
  testing::WriteWhole(d / "erp" / "Customer.jsonl", customers.substr(0, customers.find('\n') + 1));
  REQUIRE(testing::ReadWhole(d / "erp" / "Customer.jsonl").find("A2") == std::string::npos);
  Result third = run();
  CHECK(third.report.maps[0].written == 2);
  REQUIRE(third.report.maps[0].notes.size() == 1);
  CHECK(third.report.maps[0].notes[0] ==
        "erp.Customer changed outside crmx since the last run (written, restored from a backup, or deleted): every record "
        "looked at again");
  CHECK(testing::ReadWhole(d / "erp" / "Customer.jsonl").find("\"externalId\":\"A2\"") != std::string::npos);
  CHECK(run().report.maps[0].written == 0);  // in step again
  // The target file deleted altogether: both written again.
  fs::remove(d / "erp" / "Customer.jsonl");
  CHECK(run().report.maps[0].written == 2);
}

TEST_CASE("state and target out of step, API: records the target no longer has are said and written again") {
  fs::path d = Fresh("out_of_step_api");
  testing::WriteWhole(d / "crm" / "Account.jsonl",
                      "{\"Id\":\"A1\",\"Name\":\"Acme\",\"BillingCountry\":\"US\",\"SystemModstamp\":\"2026-01-01T00:00:00Z\"}\n"
                      "{\"Id\":\"A2\",\"Name\":\"Globex\",\"BillingCountry\":\"US\",\"SystemModstamp\":\"2026-01-01T00:00:00Z\"}\n");
  std::string error;
  FakeApi erp(connectors::Open((d / "erp.db").string(), error), [](const std::string&, int) { return std::nullopt; });
  plan::Plan p = MiniPlan();
  Clock clock;
  CHECK(RunOnce(d, p, erp, clock, 0).report.maps[0].written == 2);
  CHECK(RunOnce(d, p, erp, clock, 0).report.maps[0].written == 0);
  // The system restored from a backup that lacks A2.
  {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open((d / "erp.db").string().c_str(), &h) == SQLITE_OK);
    REQUIRE(sqlite3_exec(h, "DELETE FROM Customer WHERE externalId = 'A2'", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(h);
  }
  Result third = RunOnce(d, p, erp, clock, 0);
  REQUIRE_MESSAGE(third.ok, third.error);
  CHECK(third.report.maps[0].written == 1);
  CHECK(erp.sends["A2"] == 2);
  CHECK(erp.sends["A1"] == 1);
  REQUIRE(third.report.maps[0].notes.size() == 1);
  CHECK(third.report.maps[0].notes[0] ==
        "1 record(s) the state says were written are not in erp.Customer (restored from a backup, or deleted there?): "
        "written again");
}

namespace {

// The line of record `key` in `file` with `edit` applied to its text.
void EditLine(const fs::path& file, const std::string& key, const std::function<std::string(std::string)>& edit) {
  std::string text = testing::ReadWhole(file);
  size_t at = text.find("\"" + key + "\"");
  REQUIRE(at != std::string::npos);
  size_t begin = text.rfind('\n', at);
  begin = begin == std::string::npos ? 0 : begin + 1;
  size_t end = text.find('\n', at);
  text.replace(begin, end - begin, edit(text.substr(begin, end - begin)));
  testing::WriteWhole(file, text);
}

// The text value of `field` on the line of record `key`, "" when the line has none.
std::string Field(const std::string& text, const std::string& key, const std::string& field) {
  size_t at = text.find("\"" + key + "\"");
  REQUIRE(at != std::string::npos);
  size_t begin = text.rfind('\n', at);
  begin = begin == std::string::npos ? 0 : begin + 1;
  std::string line = text.substr(begin, text.find('\n', at) - begin);
  size_t f = line.find("\"" + field + "\":\"");
  if (f == std::string::npos) return "";
  f += field.size() + 4;
  return line.substr(f, line.find('"', f) - f);
}

}  // namespace

TEST_CASE("conflicts: the seed's race (address changed in the CRM at 2:01 PM, terms in the ERP at 2:02 PM) keeps both; "
          "a field changed on both sides goes to the latest change, within the grace window to the record's direction; "
          "every settlement audited") {
  fs::path d = Fresh("conflicts");
  fs::create_directories(d / "erp");
  fs::path accounts = d / "crm" / "Account.jsonl", customers = d / "erp" / "Customer.jsonl";
  testing::WriteWhole(accounts,
                      "{\"Id\":\"A1\",\"Name\":\"Acme\",\"BillingState\":\"CA\",\"PaymentTerms__c\":\"Net 30\","
                      "\"SystemModstamp\":\"2026-03-02T09:00:00Z\"}\n");
  plan::Plan p = testing::BuildSpecPlanOrFail(std::string(CRMX_SOURCE_DIR) + "/tests/unit/engine/conflicts/conflicts.crmx");
  REQUIRE(p.conflicts);
  CHECK(p.conflicts->grace_ms == 60000);
  Clock clock;
  auto run = [&] {
    std::string error;
    auto erp = connectors::Open((d / "erp").string(), error);
    REQUIRE_MESSAGE(erp, error);
    Result r = RunOnce(d, p, *erp, clock, 0);
    REQUIRE_MESSAGE(r.ok, r.error);
    return r;
  };
  run();
  CHECK(Field(testing::ReadWhole(customers), "A1", "terms") == "Net 30");
  // 2:01 PM the address changes in the CRM; 2:02 PM the terms in the ERP.
  EditLine(accounts, "A1", [](std::string l) {
    l.replace(l.find("\"CA\""), 4, "\"NV\"");
    l.replace(l.find("09:00:00Z"), 9, "14:01:00Z");
    return l;
  });
  EditLine(customers, "A1", [](std::string l) {
    l.replace(l.find("\"Net 30\""), 8, "\"Net 60\"");
    return l.substr(0, l.size() - 1) + ",\"lastModifiedDate\":\"2026-03-02T14:02:00Z\"}";
  });
  run();
  std::string cust = testing::ReadWhole(customers), acct = testing::ReadWhole(accounts);
  CHECK(Field(cust, "A1", "state") == "NV");         // the CRM's change went over
  CHECK(Field(cust, "A1", "terms") == "Net 60");     // the ERP's change stayed
  CHECK(Field(acct, "A1", "PaymentTerms__c") == "Net 60");  // and went back to the CRM
  fs::path db = d / "state.db";
  CHECK(Scalar(db, "SELECT count(*) FROM audit") == "0");  // one side each: no conflict
  // Both change the terms: CRM 3:01 PM (Net 45), ERP 3:05 PM (Net 15): the ERP's is later.
  EditLine(accounts, "A1", [](std::string l) {
    l.replace(l.find("\"Net 60\""), 8, "\"Net 45\"");
    l.replace(l.find("14:01:00Z"), 9, "15:01:00Z");
    return l;
  });
  EditLine(customers, "A1", [](std::string l) {
    l.replace(l.find("\"Net 60\""), 8, "\"Net 15\"");
    l.replace(l.find("14:02:00Z"), 9, "15:05:00Z");
    return l;
  });
  run();
  cust = testing::ReadWhole(customers);
  acct = testing::ReadWhole(accounts);
  CHECK(Field(cust, "A1", "terms") == "Net 15");
  CHECK(Field(acct, "A1", "PaymentTerms__c") == "Net 15");
  CHECK(Scalar(db, "SELECT winner || ' | ' || source_value || ' | ' || target_value || ' | ' || written || ' | ' || rule "
                   "FROM audit WHERE map = 'account_to_customer'") ==
        "erp | \"Net 45\" | \"Net 15\" | \"Net 15\" | latest_wins: crm changed at 2026-03-02T15:01:00Z, erp at "
        "2026-03-02T15:05:00Z: erp's is later");
  CHECK(Scalar(db, "SELECT base FROM audit WHERE map = 'account_to_customer'") == "\"Net 60\"");
  // Both again, 30 seconds apart (CRM 4:00:00 Net 90, ERP 4:00:30 Net 10): within the grace
  // window the record's direction (the CRM's account_to_customer) wins.
  EditLine(accounts, "A1", [](std::string l) {
    l.replace(l.find("\"Net 15\""), 8, "\"Net 90\"");
    l.replace(l.find("15:01:00Z"), 9, "16:00:00Z");
    return l;
  });
  EditLine(customers, "A1", [](std::string l) {
    l.replace(l.find("\"Net 15\""), 8, "\"Net 10\"");
    l.replace(l.find("15:05:00Z"), 9, "16:00:30Z");
    return l;
  });
  run();
  cust = testing::ReadWhole(customers);
  acct = testing::ReadWhole(accounts);
  CHECK(Field(cust, "A1", "terms") == "Net 90");
  CHECK(Field(acct, "A1", "PaymentTerms__c") == "Net 90");
  CHECK(Scalar(db, "SELECT winner || ' | ' || rule FROM audit WHERE map = 'account_to_customer' ORDER BY id DESC LIMIT 1") ==
        "crm | within grace 60s (crm changed at 2026-03-02T16:00:00Z, erp at 2026-03-02T16:00:30Z): crm wins (the "
        "record's direction, account_to_customer)");
  // Settled: a further run changes nothing on either side.
  std::string before_c = testing::ReadWhole(customers), before_a = testing::ReadWhole(accounts);
  run();
  CHECK(testing::ReadWhole(customers) == before_c);
  CHECK(Field(testing::ReadWhole(accounts), "A1", "PaymentTerms__c") == "Net 90");
}

TEST_CASE("a changed plan looks again at the records it queued: a held record is written once the table knows its country") {
  fs::path d = Fresh("plan_changed");
  testing::WriteWhole(d / "crm" / "Account.jsonl",
                      "{\"Id\":\"A3\",\"Name\":\"Initech\",\"BillingCountry\":\"FR\",\"SystemModstamp\":\"2026-01-01T00:00:00Z\"}\n");
  std::string error;
  auto erp = connectors::Open((d / "erp.db").string(), error);
  REQUIRE(erp);
  Clock clock;
  plan::Plan p = MiniPlan();
  Result first = RunOnce(d, p, *erp, clock, 0);
  REQUIRE_MESSAGE(first.ok, first.error);
  CHECK(first.report.maps[0].held.count == 1);
  // The same plan again: unchanged, not looked at.
  Result same = RunOnce(d, p, *erp, clock, 0);
  REQUIRE_MESSAGE(same.ok, same.error);
  CHECK(same.report.maps[0].held.count == 0);
  CHECK(same.report.maps[0].written == 0);
  // The spec's table gains France: a new plan.
  for (plan::Table& t : p.tables)
    if (t.name == "subsidiary_by_country") t.entries.emplace_back(value::Value::String("FR"), value::Value::String("Acme France"));
  Result changed = RunOnce(d, p, *erp, clock, 0);
  REQUIRE_MESSAGE(changed.ok, changed.error);
  CHECK(changed.report.maps[0].written == 1);
  CHECK(Scalar(d / "state.db", "SELECT count(*) FROM queued_items WHERE record_id = 'A3' AND queue = 'held'") == "0");
}
