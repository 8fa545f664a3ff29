// Tests of what the run loop sends to a target: records with a field the connector could not
// convert go to the error queue (not through `??` or `when` as if the field were missing), and
// into an API target a record whose output did not change is not sent again.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/support/files.h"
#include "runtime/connectors/connector.h"
#include "runtime/engine/engine.h"
#include "runtime/state/state.h"
#include "tests/unit/support/example_spec.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx;

fs::path Fresh(const std::string& name) {
  fs::path d = testing::FreshDir("outputs_test", name);
  fs::create_directories(d / "crm");
  return d;
}

void Write(const fs::path& p, const std::string& text) { testing::WriteWhole(p, text); }

// A SQLite target that says it is an API (Connector::Remote) and counts the records it is sent.
class RemoteSqlite : public connectors::Connector {
 public:
  explicit RemoteSqlite(std::unique_ptr<connectors::Connector> inner) : inner_(std::move(inner)) {}
  std::string Describe() const override { return "remote " + inner_->Describe(); }
  bool Remote() const override { return true; }
  std::unique_ptr<connectors::RecordReader> OpenReader(const connectors::ReadRequest& req, std::string& error) override {
    return inner_->OpenReader(req, error);
  }
  std::unique_ptr<connectors::RecordWriter> OpenWriter(const connectors::WriteRequest& req, std::string& error) override {
    auto w = inner_->OpenWriter(req, error);
    return w ? std::make_unique<Counting>(std::move(w), sent) : nullptr;
  }
  int sent = 0;

 private:
  class Counting : public connectors::RecordWriter {
   public:
    Counting(std::unique_ptr<connectors::RecordWriter> w, int& n) : w_(std::move(w)), n_(n) {}
    bool Add(const value::Value* v, uint64_t tag, std::vector<connectors::WriteResult>& done, std::string& e) override {
      ++n_;
      return w_->Add(v, tag, done, e);
    }
    bool Flush(std::vector<connectors::WriteResult>& done, std::string& e) override { return w_->Flush(done, e); }
    bool Commit(std::vector<connectors::WriteResult>& done, std::string& e) override { return w_->Commit(done, e); }

   private:
    std::unique_ptr<connectors::RecordWriter> w_;
    int& n_;
  };
  std::unique_ptr<connectors::Connector> inner_;
};

const char* kAccounts =
    "{\"Id\":\"A1\",\"Name\":\"Acme\",\"BillingCountry\":\"US\",\"PaymentTerms__c\":\"Net 15\"}\n"
    "{\"Id\":\"A2\",\"Name\":\"Globex\",\"BillingCountry\":\"US\",\"PaymentTerms__c\":{\"x\":1}}\n";
const char* kOpportunities =
    "{\"Id\":\"O1\",\"AccountId\":\"A1\",\"StageName\":\"Closed Won\",\"Amount\":100.5}\n"
    "{\"Id\":\"O2\",\"AccountId\":\"A1\",\"StageName\":\"Closed Won\",\"Amount\":\"1,000.00\"}\n";

struct Run {
  engine::RunReport report;
  std::string error;
};

Run RunMini(const fs::path& d, connectors::Connector& erp, bool full = false) {
  plan::Plan p = testing::BuildSpecPlanOrFail(std::string(CRMX_SOURCE_DIR) + "/tests/unit/engine/mini/mini.crmx");
  Run r;
  auto crm = connectors::Open((d / "crm").string(), r.error);
  auto st = state::StateStore::Open((d / "state.db").string(), r.error);
  REQUIRE(crm);
  REQUIRE(st);
  engine::Systems systems;
  systems.by_name["crm"] = crm.get();
  systems.by_name["erp"] = &erp;
  engine::RunOptions options;
  options.full = full;
  REQUIRE_MESSAGE(engine::Run(p, systems, st.get(), options, r.report, r.error), r.error);
  return r;
}

}  // namespace

TEST_CASE("a field that does not convert makes the record an error, not a missing value") {
  fs::path d = Fresh("bad_fields");
  Write(d / "crm" / "Account.jsonl", kAccounts);
  Write(d / "crm" / "Opportunity.jsonl", kOpportunities);
  std::string error;
  auto erp = connectors::Open((d / "erp.db").string(), error);
  REQUIRE(erp);
  Run r = RunMini(d, *erp);
  const engine::MapReport& acct = r.report.maps[0];
  const engine::MapReport& opp = r.report.maps[1];
  // A2's terms are an object: without the check, `PaymentTerms__c ?? "Net 30"` took it for a
  // missing value, wrote "Net 30" and raised the default-terms flag.
  CHECK(acct.written == 1);
  REQUIRE(acct.error.count == 1);
  REQUIRE(acct.error.samples.size() == 1);
  CHECK(acct.error.samples[0].key == "A2");
  CHECK(acct.error.samples[0].reasons.at(0).find("PaymentTerms__c") == 0);
  CHECK(acct.flags_on_written.count("finance:default_terms") == 0);
  // O2's amount is text that is not a number: an error naming the field and the value, not a
  // record the `when` (Amount > 0) skips.
  CHECK(opp.written == 1);
  CHECK(opp.skipped.count == 0);
  REQUIRE(opp.error.count == 1);
  CHECK(opp.error.samples[0].key == "O2");
  CHECK(opp.error.samples[0].reasons.at(0) == "Amount: `1,000.00` is not a decimal number");
}

TEST_CASE("into an API, a record whose output did not change is not sent again") {
  fs::path d = Fresh("unchanged_outputs");
  Write(d / "crm" / "Account.jsonl",
        "{\"Id\":\"A1\",\"Name\":\"Acme\",\"BillingCountry\":\"US\",\"PaymentTerms__c\":\"Net 15\"}\n"
        "{\"Id\":\"A3\",\"Name\":\"Initech\",\"BillingCountry\":\"DE\",\"PaymentTerms__c\":\"Net 30\"}\n");
  Write(d / "crm" / "Opportunity.jsonl", "");
  std::string error;
  RemoteSqlite erp(connectors::Open((d / "erp.db").string(), error));
  Run first = RunMini(d, erp);
  CHECK(first.report.maps[0].written == 2);
  CHECK(erp.sent == 2);
  // The accounts have no change cursor: the second run reads both again, sends neither.
  Run second = RunMini(d, erp);
  CHECK(second.report.maps[0].written == 0);
  CHECK(second.report.maps[0].skipped.by_reason["already written with these values"] == 2);
  CHECK(erp.sent == 2);
  // One account changes: only it is sent.
  Write(d / "crm" / "Account.jsonl",
        "{\"Id\":\"A1\",\"Name\":\"Acme Corp\",\"BillingCountry\":\"US\",\"PaymentTerms__c\":\"Net 15\"}\n"
        "{\"Id\":\"A3\",\"Name\":\"Initech\",\"BillingCountry\":\"DE\",\"PaymentTerms__c\":\"Net 30\"}\n");
  Run third = RunMini(d, erp);
  CHECK(third.report.maps[0].written == 1);
  CHECK(erp.sent == 3);
  // --full sends every record again.
  Run full = RunMini(d, erp, /*full=*/true);
  CHECK(full.report.maps[0].written == 2);
  CHECK(erp.sent == 5);
}

TEST_CASE("into local files or SQLite, every run writes (no output hashes are kept)") {
  fs::path d = Fresh("local_outputs");
  Write(d / "crm" / "Account.jsonl", "{\"Id\":\"A1\",\"Name\":\"Acme\",\"BillingCountry\":\"US\",\"PaymentTerms__c\":\"Net 15\"}\n");
  Write(d / "crm" / "Opportunity.jsonl", "");
  std::string error;
  auto erp = connectors::Open((d / "erp.db").string(), error);
  REQUIRE(erp);
  CHECK(RunMini(d, *erp).report.maps[0].written == 1);
  CHECK(RunMini(d, *erp).report.maps[0].written == 1);
}
