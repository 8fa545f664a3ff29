// Tests a spec's reconciles end to end without a network: built into the plan (name, schedule,
// each side's projection with the carrying map's `when` fields, key pairs either way round,
// exact tolerances; what this version refuses to build), read back from the plan file, then
// run over local files and kept in a state file: new, persistent since, known from the queues,
// resolved.
#include <doctest/doctest.h>

#include <filesystem>

#include "compiler/driver/pipeline.h"
#include "compiler/driver/spec_plan.h"
#include "runtime/state/reconcile_book.h"
#include "runtime/watch/reconcile.h"
#include "tests/unit/support/files.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx;

const std::string kSchemas = CRMX_SOURCE_DIR "/examples/acme-salesforce-netsuite/schemas";

// An integration over the north star's schemas with `body` inside.
std::string Spec(const std::string& body) {
  return "integration recon {\n  use std.text\n"
         "  system crm: salesforce { schema \"" + kSchemas + "/salesforce/*.describe.json\" }\n"
         "  system erp: netsuite { schema \"" + kSchemas + "/netsuite/*.json\" }\n" + body + "}\n";
}

const std::string kMap = R"(
  map opp: crm.Opportunity -> erp.SalesOrder {
    key externalId = Id
    entity = "1"
    memo = Name
  }
  sync opp on change when StageName == "Closed Won"
)";

const std::string kBody = kMap + R"(
  reconcile daily at 02:30 crm.Opportunity ~ erp.SalesOrder by Id == externalId {
    Amount ~ total within 2%,
    Name.trim() ~ memo,
  }
  reconcile every 6h crm.Opportunity ~ erp.SalesOrder by externalId == Id { Amount ~ total within 100 }
)";

// Checks and builds `text` (written as `dir`/recon.crmx); the spec must check without errors.
driver::SpecPlan Build(const fs::path& dir, const std::string& text) {
  fs::path spec = dir / "recon.crmx";
  testing::WriteWhole(spec, text);
  driver::Compilation comp;
  std::string error;
  REQUIRE_MESSAGE(comp.CheckFile(spec.string(), error), error);
  std::string diags;
  for (const diag::Diagnostic& d : comp.SortedDiagnostics()) diags += std::string(d.code()) + " " + d.message + "\n";
  REQUIRE_MESSAGE(comp.sink().error_count() == 0, diags);
  driver::SpecPlan built;
  bool usage = false;
  REQUIRE_MESSAGE(driver::BuildSpecPlan(comp, spec.string(), built, error, usage), error);
  return built;
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

TEST_CASE("a spec's reconciles in its plan: names, schedules, projections, keys either way round, exact tolerances") {
  fs::path d = testing::FreshDir("watch", "plan");
  driver::SpecPlan built = Build(d, Spec(kBody));
  REQUIRE_MESSAGE(built.errors.empty(), Joined(built.errors));
  plan::Plan& p = built.plan;
  REQUIRE(p.reconciles.size() == 2);
  const plan::Reconcile& a = p.reconciles[0];
  CHECK(a.name == "crm.Opportunity~erp.SalesOrder");
  CHECK(p.reconciles[1].name == "crm.Opportunity~erp.SalesOrder#2");
  CHECK(a.schedule == "daily");
  CHECK(a.at == "02:30");
  CHECK(p.reconciles[1].schedule == "every");
  CHECK(p.reconciles[1].every_ms == 6 * 3600 * 1000);
  // The left side also reads StageName: the carrying map's `when` says which opportunities
  // NetSuite should have.
  CHECK(Joined(a.left.fields) == "Amount,Id,Name,StageName");
  CHECK(Joined(a.right.fields) == "externalId,memo,total");
  CHECK(a.left.carried_by == "opp");
  CHECK(a.right.carried_by.empty());
  CHECK(a.left.id_field == "Id");
  CHECK(a.right.id_field == "id");
  CHECK(a.left.read_batch == 2000);
  REQUIRE(a.keys.size() == 1);
  CHECK(a.keys[0].left.text == "Id");
  CHECK(a.keys[0].right.text == "externalId");
  REQUIRE(a.rules.size() == 2);
  CHECK(a.rules[0].tolerance == plan::ToleranceKind::kPercent);
  CHECK(a.rules[0].within.ToString() == "2");
  CHECK(a.rules[1].tolerance == plan::ToleranceKind::kExact);
  CHECK(a.rules[1].left.text == "Name.trim()");
  // `externalId == Id`: the operands go to their sides.
  const plan::Reconcile& b = p.reconciles[1];
  CHECK(b.keys[0].left.text == "Id");
  CHECK(b.keys[0].right.text == "externalId");
  CHECK(b.rules[0].tolerance == plan::ToleranceKind::kAbsolute);
  CHECK(b.rules[0].within.ToString() == "100");
  // Through the file format and back.
  plan::Plan back;
  std::string error;
  REQUIRE_MESSAGE(plan::ReadPlan(plan::WritePlan(p), back, error), error);
  REQUIRE(back.reconciles.size() == 2);
  CHECK(plan::ContentHash(back) == plan::ContentHash(p));
  CHECK(back.reconciles[0].left.carried_by == "opp");
  CHECK(back.reconciles[0].rules[0].within.ToString() == "2");
  fs::remove_all(d);
}

TEST_CASE("reconciles this version does not build are build errors, each saying why") {
  fs::path d = testing::FreshDir("watch", "refused");
  driver::SpecPlan built = Build(d, Spec(kMap + R"(
  reconcile daily crm.Opportunity ~ erp.SalesOrder by Id != externalId { Amount ~ total }
  reconcile daily crm.Opportunity ~ erp.SalesOrder by Id == externalId { CloseDate ~ tranDate within 1 }
)"));
  REQUIRE(built.errors.size() == 2);
  CHECK(built.errors[0].find("reconcile `crm.Opportunity~erp.SalesOrder`: `by` matches records on `==` comparisons") == 0);
  CHECK_MESSAGE(built.errors[0].find("`Id != externalId` is not one") != std::string::npos, built.errors[0]);
  CHECK(built.errors[1].find("reconcile `crm.Opportunity~erp.SalesOrder#2`: `within` on `CloseDate`") == 0);
  fs::remove_all(d);
}

TEST_CASE("a reconcile over local files kept in a state file: new, persistent since, known from a queue, resolved") {
  fs::path d = testing::FreshDir("watch", "run");
  driver::SpecPlan built = Build(d, Spec(kBody));
  REQUIRE(built.errors.empty());
  const plan::Plan& p = built.plan;
  const plan::Reconcile& r = p.reconciles[0];
  fs::create_directories(d / "crm");
  fs::create_directories(d / "erp");
  testing::WriteWhole(d / "crm" / "Opportunity.jsonl",
                      "{\"Id\":\"O1\",\"Name\":\" Big deal \",\"StageName\":\"Closed Won\",\"Amount\":92000.00}\n"
                      "{\"Id\":\"O2\",\"Name\":\"Small\",\"StageName\":\"Closed Won\",\"Amount\":100}\n"
                      "{\"Id\":\"O3\",\"Name\":\"Open\",\"StageName\":\"Prospecting\",\"Amount\":5}\n"
                      "{\"Id\":\"O4\",\"Name\":\"Held\",\"StageName\":\"Closed Won\",\"Amount\":10}\n"
                      "not json\n");
  auto orders = [&](const char* o2_total) {
    testing::WriteWhole(d / "erp" / "SalesOrder.jsonl",
                        std::string("{\"externalId\":\"O1\",\"memo\":\"Big deal\",\"total\":93840.00}\n") +
                            "{\"externalId\":\"O2\",\"memo\":\"Small\",\"total\":" + o2_total + "}\n" +
                            "{\"externalId\":\"X9\",\"memo\":\"stray\",\"total\":1}\n");
  };
  orders("103.00");
  std::string error;
  std::unique_ptr<connectors::Connector> crm = connectors::Open("dir:" + (d / "crm").string(), error);
  std::unique_ptr<connectors::Connector> erp = connectors::Open("dir:" + (d / "erp").string(), error);
  REQUIRE_MESSAGE((crm && erp), error);
  std::map<std::string, connectors::Connector*> systems{{"crm", crm.get()}, {"erp", erp.get()}};
  std::unique_ptr<state::StateStore> st = state::StateStore::Open((d / "state.db").string(), error);
  REQUIRE_MESSAGE(st, error);
  // A run held O4 (won_to_order's queue in the north star; `opp` here).
  int64_t run = st->BeginRun("sha256:x");
  REQUIRE(st->Begin());
  REQUIRE(st->PutItem(run, state::QueueEntry{"opp", "held", "O4", "", 0, {"Unknown SKU"}, {}}));
  REQUIRE(st->Commit());

  auto reconcile = [&]() {
    watch::Result res;
    REQUIRE_MESSAGE(watch::Reconcile(p, r, systems, res, error), error);
    REQUIRE_MESSAGE(watch::Keep(*st, plan::ContentHash(p), res, error), error);
    return res;
  };
  watch::Result first = reconcile();
  CHECK(first.id == 1);
  CHECK(first.previous_id == 0);
  CHECK(first.left_read == 4);
  CHECK(first.right_read == 3);
  CHECK(first.matched == 2);
  CHECK(first.left_not_expected == 1);  // O3: not closed won
  REQUIRE(first.notes.size() == 1);     // the malformed line
  CHECK(first.notes[0].find("crm.Opportunity: Opportunity.jsonl line 5 is not a record") == 0);
  // O1 is exactly 2% off and its name the same once trimmed; O2 is 3% off.
  REQUIRE(first.fields.size() == 1);
  CHECK(first.fields[0].key == "O2");
  CHECK(first.fields[0].left == "100");
  CHECK(first.fields[0].right == "103.00");
  CHECK(first.fields[0].difference == "+3.00 (+3.00%)");
  CHECK_FALSE(first.fields[0].seen.persistent);
  CHECK(first.fields[0].seen.since_reconciliation == 1);
  REQUIRE(first.missing_left.size() == 1);
  CHECK(first.missing_left[0].key == "X9");
  CHECK(first.missing_right.empty());
  REQUIRE(first.known.size() == 1);
  CHECK(first.known[0].key == "O4");
  CHECK(first.known[0].queue == "held");

  watch::Result second = reconcile();
  CHECK(second.id == 2);
  CHECK(second.previous_id == 1);
  CHECK(second.previous_started == first.started);
  REQUIRE(second.fields.size() == 1);
  CHECK(second.fields[0].seen.persistent);
  CHECK(second.fields[0].seen.since_reconciliation == 1);
  CHECK(second.fields[0].seen.since == first.started);
  CHECK(second.Persistent() == 2);
  CHECK(second.resolved.empty());

  orders("100.00");
  watch::Result third = reconcile();
  CHECK(third.fields.empty());
  CHECK(third.Discrepancies() == 1);  // X9
  REQUIRE(third.resolved.size() == 1);
  CHECK(third.resolved[0].key == "O2");
  CHECK(third.resolved[0].field == "Amount ~ total");
  CHECK(third.resolved[0].since_reconciliation == 1);

  // The history as kept.
  state::ReconciliationRow last;
  std::vector<state::DiscrepancyRow> rows;
  REQUIRE_MESSAGE(state::LastReconciliation(*st, r.name, last, rows, error), error);
  CHECK(last.id == 3);
  CHECK(last.matched == 2);
  CHECK(last.discrepancies == 1);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].kind == "missing_left");
  CHECK(rows[0].record_key == "X9");
  CHECK(rows[0].first_reconciliation == 1);
  // Another reconcile's history is its own.
  REQUIRE_MESSAGE(state::LastReconciliation(*st, p.reconciles[1].name, last, rows, error), error);
  CHECK(last.id == 0);
  st.reset();
  fs::remove_all(d);
}

TEST_CASE("a side that cannot be read fails the reconcile, naming the system and object") {
  fs::path d = testing::FreshDir("watch", "unreadable");
  driver::SpecPlan built = Build(d, Spec(kBody));
  fs::create_directories(d / "crm");
  std::string error;
  std::unique_ptr<connectors::Connector> crm = connectors::Open("dir:" + (d / "crm").string(), error);
  std::map<std::string, connectors::Connector*> systems{{"crm", crm.get()}};
  watch::Result res;
  CHECK_FALSE(watch::Reconcile(built.plan, built.plan.reconciles[0], systems, res, error));
  CHECK(error.find("cannot read crm.Opportunity: ") == 0);
  testing::WriteWhole(d / "crm" / "Opportunity.jsonl", "");
  CHECK_FALSE(watch::Reconcile(built.plan, built.plan.reconciles[0], systems, res, error));
  CHECK(error == "system erp is not configured (no --system and no entry in the profile's target)");
  fs::remove_all(d);
}
