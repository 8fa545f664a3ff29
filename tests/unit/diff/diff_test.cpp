// Tests of `crmx-run diff`'s parts: the engine's dry evaluation (engine::RunOptions::
// evaluate_only: nothing written, every record's outcome handed over in source order, a `ref` to
// a record it would write resolved to a placeholder), the spill files, and the per-map
// comparison (transitions, field changes, flags, added/removed fields and maps).
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "runtime/connectors/connector.h"
#include "runtime/diff/diff.h"
#include "runtime/engine/engine.h"
#include "tests/unit/support/example_spec.h"
#include "tests/unit/support/files.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx;

// A target that fails the test when anything opens a writer on it.
class NoWrites : public connectors::Connector {
 public:
  explicit NoWrites(std::unique_ptr<connectors::Connector> inner) : inner_(std::move(inner)) {}
  std::string Describe() const override { return "no writes"; }
  bool Remote() const override { return true; }  // an API: a real run would make deliveries
  std::unique_ptr<connectors::RecordReader> OpenReader(const connectors::ReadRequest& req, std::string& error) override {
    return inner_->OpenReader(req, error);
  }
  std::unique_ptr<connectors::RecordWriter> OpenWriter(const connectors::WriteRequest&, std::string& error) override {
    ++opened;
    error = "a dry evaluation opened a writer";
    return nullptr;
  }
  int opened = 0;

 private:
  std::unique_ptr<connectors::Connector> inner_;
};

struct Seen {
  std::string map, outcome, key, source_id;
  std::vector<std::string> reasons, values, flags;
};

std::vector<Seen> Evaluate(const fs::path& d) {
  plan::Plan p = testing::BuildSpecPlanOrFail(std::string(CRMX_SOURCE_DIR) + "/tests/unit/engine/mini/mini.crmx");
  std::string error;
  auto crm = connectors::Open((d / "crm").string(), error);
  REQUIRE(crm);
  fs::create_directories(d / "erp");
  NoWrites erp(connectors::Open((d / "erp").string(), error));
  engine::Systems systems;
  systems.by_name["crm"] = crm.get();
  systems.by_name["erp"] = &erp;
  std::vector<Seen> seen;
  engine::RunOptions options;
  options.evaluate_only = true;
  options.evaluated = [&](const engine::Evaluated& e) {
    Seen s{e.map->name, e.outcome, std::string(e.key), std::string(e.source_id), {}, {}, {}};
    if (e.reasons) s.reasons = *e.reasons;
    if (e.values) {
      for (size_t i = 0; i < e.map->target_fields.size(); ++i) {
        std::string t;
        connectors::AppendField(t, e.values[i], e.map->target_fields[i]);
        s.values.push_back(e.map->target_fields[i].name + "=" + t);
      }
    }
    if (e.flags)
      for (const std::string* f : *e.flags) s.flags.push_back(*f);
    seen.push_back(std::move(s));
  };
  engine::RunReport report;
  REQUIRE_MESSAGE(engine::Run(p, systems, nullptr, options, report, error), error);
  CHECK(erp.opened == 0);
  // A state file is refused: a dry evaluation keeps none.
  return seen;
}

bool Has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

TEST_CASE("a dry evaluation writes nothing and hands over every record's outcome in read order") {
  fs::path d = testing::FreshDir("diff_test", "evaluate_only");
  fs::create_directories(d / "crm");
  testing::WriteWhole(d / "crm" / "Account.jsonl",
                      "{\"Id\":\"A1\",\"Name\":\"Acme\",\"BillingCountry\":\"US\"}\n"
                      "{\"Id\":\"A2\",\"Name\":null,\"BillingCountry\":\"US\"}\n"
                      "{\"Id\":\"A3\",\"Name\":\"Initech\",\"BillingCountry\":\"FR\",\"PaymentTerms__c\":\"Net 15\"}\n"
                      "not json\n");
  testing::WriteWhole(d / "crm" / "Opportunity.jsonl",
                      "{\"Id\":\"O1\",\"AccountId\":\"A1\",\"StageName\":\"Closed Won\",\"Amount\":10}\n"
                      "{\"Id\":\"O2\",\"AccountId\":\"A3\",\"StageName\":\"Closed Won\",\"Amount\":10}\n"
                      "{\"Id\":\"O3\",\"AccountId\":\"A1\",\"StageName\":\"Prospecting\",\"Amount\":10}\n");
  std::vector<Seen> seen = Evaluate(d);
  REQUIRE(seen.size() == 7);
  // The order the records are read in: a batch's malformed lines first (the same in every
  // evaluation of the same input, which is what the diff's lockstep needs).
  CHECK(seen[0].outcome == std::string("error"));  // the malformed line
  CHECK(seen[0].key.empty());
  CHECK(seen[1].outcome == std::string("written"));
  CHECK(seen[1].key == "A1");
  CHECK(seen[1].source_id == "A1");
  CHECK(Has(seen[1].values, "terms=\"Net 30\""));
  CHECK(seen[1].flags == std::vector<std::string>{"finance:default_terms"});
  CHECK(seen[2].outcome == std::string("data_quality"));
  CHECK(seen[2].reasons == std::vector<std::string>{"missing Name"});
  CHECK(seen[3].outcome == std::string("held"));
  // The order of A1 refs an account this evaluation would write: a placeholder id, the same
  // whatever the plan (the target system assigns the real one).
  CHECK(seen[4].map == "opp");
  CHECK(seen[4].outcome == std::string("written"));
  CHECK(Has(seen[4].values, "entity=\"(new erp.Customer A1)\""));
  CHECK(seen[5].outcome == std::string("waiting"));  // A3 is held
  CHECK(seen[5].reasons.at(0) == "account held");
  // Not narrowed by the `when` pushed down: the record is read and skipped by the engine.
  CHECK(seen[6].outcome == std::string("skipped"));
  CHECK(seen[6].key == "O3");
}

TEST_CASE("a dry evaluation refuses a state file") {
  fs::path d = testing::FreshDir("diff_test", "no_state");
  plan::Plan p = testing::BuildSpecPlanOrFail(std::string(CRMX_SOURCE_DIR) + "/tests/unit/engine/mini/mini.crmx");
  std::string error;
  auto st = state::StateStore::Open((d / "state.db").string(), error);
  REQUIRE(st);
  engine::Systems systems;
  engine::RunOptions options;
  options.evaluate_only = true;
  engine::RunReport report;
  CHECK_FALSE(engine::Run(p, systems, st.get(), options, report, error));
  CHECK(error.find("keeps no state") != std::string::npos);
}

namespace {

diff::Record Rec(std::string id, std::string outcome, std::vector<std::string> reasons = {},
                 std::vector<std::string> values = {}, std::vector<std::string> flags = {}) {
  return diff::Record{id, id, std::move(outcome), std::move(reasons), std::move(values), std::move(flags)};
}

diff::MapSide Side(std::vector<std::string> fields, std::string spill = "") {
  return diff::MapSide{true, "crm.Account", "erp.Customer", std::move(fields), std::move(spill)};
}

}  // namespace

TEST_CASE("the comparison counts outcome transitions, field changes, flags and field sets") {
  diff::Options options;
  options.examples = 2;
  diff::MapSide a = Side({"externalId", "state", "terms"}), b = Side({"externalId", "state", "phone"});
  diff::MapComparer cmp("acct", a, b, options);
  cmp.Pair(Rec("K1", "written", {}, {"\"K1\"", "\"California\"", "\"Net 30\""}, {"finance:default_terms"}),
           Rec("K1", "written", {}, {"\"K1\"", "\"CA\"", "null"}));
  cmp.Pair(Rec("K2", "written", {}, {"\"K2\"", "\"Texas\"", "\"Net 30\""}),
           Rec("K2", "written", {}, {"\"K2\"", "\"TX\"", "null"}));
  cmp.Pair(Rec("K3", "written", {}, {"\"K3\"", "\"CA\"", "\"Net 30\""}), Rec("K3", "written", {}, {"\"K3\"", "\"CA\"", "1"}));
  cmp.Pair(Rec("K4", "held", {"Pending Review"}), Rec("K4", "written", {}, {"\"K4\"", "null", "null"}));
  cmp.Pair(Rec("K5", "written", {}, {"\"K5\"", "null", "null"}), Rec("K5", "data_quality", {"no phone"}));
  cmp.Pair(Rec("K6", "written", {}, {"\"K6\"", "null", "null"}), Rec("K6", "data_quality", {"no phone"}));
  cmp.Pair(Rec("K7", "data_quality", {"missing Name"}), Rec("K7", "data_quality", {"missing Name", "no phone"}));
  cmp.Pair(Rec("K8", "skipped", {"when"}), Rec("K8", "skipped", {"when"}));
  cmp.Pair(Rec("K9", "written"), Rec("OTHER", "written"));  // not the same record: not compared
  diff::MapDiff d = cmp.Finish();
  CHECK(d.status == "changed");
  CHECK(d.records_old == 9);
  CHECK(d.outcomes_old["written"] == 6);
  CHECK(d.outcomes_new["data_quality"] == 3);
  REQUIRE(d.transitions.size() == 2);
  CHECK(d.transitions[0].from == "written");
  CHECK(d.transitions[0].to == "data_quality");
  CHECK(d.transitions[0].count == 2);
  CHECK(d.transitions[0].reasons == std::map<std::string, int64_t>{{"no phone", 2}});
  CHECK(d.transitions[0].examples.size() == 2);
  CHECK(d.transitions[0].examples[0].after == "data_quality: no phone");
  CHECK(d.transitions[1].from == "held");
  CHECK(d.transitions[1].reasons == std::map<std::string, int64_t>{{"Pending Review", 1}});
  CHECK(d.outcome_changes == 3);
  REQUIRE(d.reasons_changed.size() == 1);
  CHECK(d.reasons_changed[0].examples[0].after == "data_quality: missing Name; no phone");
  CHECK(d.written_both == 3);
  CHECK(d.values_changed == 2);  // K1, K2 (state); K3's only difference is in fields of one plan
  REQUIRE(d.fields.size() == 1);
  CHECK(d.fields[0].field == "state");
  CHECK(d.fields[0].count == 2);
  CHECK(d.fields[0].examples[0].before == "\"California\"");
  CHECK(d.fields[0].examples[0].after == "\"CA\"");
  CHECK(d.fields_removed == std::vector<std::string>{"terms"});
  CHECK(d.fields_added == std::vector<std::string>{"phone"});
  REQUIRE(d.flags.size() == 1);
  CHECK(d.flags[0].cleared == 1);
  CHECK(d.flags[0].raised == 0);
  CHECK(d.unmatched == 1);
}

TEST_CASE("spill files round-trip; CompareMap reads them in lockstep; maps of one plan are added or removed") {
  fs::path d = testing::FreshDir("diff_test", "spill");
  std::string error;
  auto write = [&](const std::string& name, const std::vector<diff::Record>& records) {
    diff::SpillWriter w;
    REQUIRE(w.Open((d / name).string(), error));
    for (const diff::Record& r : records) w.Add(r);
    REQUIRE(w.Close(error));
    return (d / name).string();
  };
  std::string odd = "quote \" backslash \\ tab \t newline \n";
  std::string a = write("a.jsonl", {Rec("K1", "written", {}, {"\"x\""}), Rec("K2", "held", {odd})});
  std::string b = write("b.jsonl", {Rec("K1", "written", {}, {"\"y\""}), Rec("K2", "held", {odd})});
  diff::SpillReader r;
  REQUIRE(r.Open(a, error));
  diff::Record x;
  REQUIRE(r.Next(x));
  REQUIRE(r.Next(x));
  CHECK(x.reasons == std::vector<std::string>{odd});
  CHECK_FALSE(r.Next(x));
  CHECK(r.error().empty());
  diff::Options options;
  diff::MapDiff m;
  REQUIRE(diff::CompareMap("acct", Side({"f"}, a), Side({"f"}, b), options, m, error));
  CHECK(m.status == "changed");
  CHECK(m.transitions.empty());
  REQUIRE(m.fields.size() == 1);
  CHECK(m.fields[0].count == 1);
  REQUIRE(diff::CompareMap("acct", Side({"f"}, a), Side({"f"}, a), options, m, error));
  CHECK(m.status == "unchanged");
  REQUIRE(diff::CompareMap("acct", diff::MapSide{}, Side({"f"}, b), options, m, error));
  CHECK(m.status == "added");
  CHECK(m.records_new == 2);
  REQUIRE(diff::CompareMap("acct", Side({"f"}, a), diff::MapSide{}, options, m, error));
  CHECK(m.status == "removed");
  CHECK(m.outcomes_old == std::map<std::string, int64_t>{{"held", 1}, {"written", 1}});
  // A map with no records has no spill file: nothing to compare, no error.
  REQUIRE(diff::CompareMap("acct", Side({"f"}, (d / "none.jsonl").string()), Side({"f"}, (d / "none.jsonl").string()),
                           options, m, error));
  CHECK(m.status == "unchanged");
  diff::Report rep;
  rep.maps.push_back(m);
  CHECK_FALSE(rep.Differs());
  nlohmann::json j = nlohmann::json::parse(diff::ReportJson(rep));
  CHECK(j["differs"] == false);
  CHECK(j["summary"]["unchanged"] == 1);
}
