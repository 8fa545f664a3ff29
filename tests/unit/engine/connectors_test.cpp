// Tests the connectors (JSONL and CSV directories, SQLite) and the projection: a plan built
// from the north-star spec reads only the fields its maps use, and a connector read returns
// only those.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "compiler/check/type_check.h"
#include "compiler/driver/pipeline.h"
#include "compiler/ir/plan_builder.h"
#include "runtime/connectors/connector.h"
#include "runtime/engine/engine.h"
#include "runtime/state/state.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx;

fs::path TempDir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("crmx_engine_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void Write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

std::string Text(const value::Value& v) { return value::Display(v); }

// Builds the plan of a spec as `crmxc build` does.
plan::Plan BuildSpec(const std::string& spec) {
  driver::Compilation comp;
  std::string io_error;
  REQUIRE(comp.CheckFile(spec, io_error));
  REQUIRE(comp.sink().error_count() == 0);
  const ast::Module* root = comp.ParseOnly(spec, io_error);
  ir::BuildInput in;
  in.root = root;
  in.spec_dir = fs::path(spec).parent_path().string();
  std::vector<const ast::Module*> imports;
  for (const ast::ImportDecl* imp : root->All<ast::ImportDecl>()) {
    fs::path target = fs::path(in.spec_dir) / imp->path;
    const ast::Module* m = comp.ParseOnly(target.string(), io_error);
    REQUIRE(m != nullptr);
    imports.push_back(m);
    in.imports.emplace_back(m, target.parent_path().string());
  }
  auto systems = comp.LoadSystems(spec, io_error);
  REQUIRE(systems != nullptr);
  diag::DiagnosticSink scratch;
  std::vector<check::Typed> types = check::CheckTypes(*root, imports, *systems, scratch);
  in.systems = systems.get();
  in.types = &types;
  in.compiler_version = "test";
  std::vector<std::string> errors, warnings;
  plan::Plan p = ir::BuildPlan(in, errors, warnings);
  CHECK(errors.empty());
  return p;
}

}  // namespace

TEST_CASE("a JSONL directory: projected reads, malformed lines with their line number") {
  fs::path d = TempDir("jsonl");
  Write(d / "Account.jsonl",
        "{\"Id\":\"1\",\"Name\":\"A\",\"Phone\":\"x\",\"Amount\":1.5,\"N\":3}\n"
        "{not json\n"
        "\n"
        "{\"Id\":\"2\",\"Name\":null}\n");
  std::string error;
  auto c = connectors::Open(d.string(), error);
  REQUIRE_MESSAGE(c, error);
  connectors::ReadResult r;
  REQUIRE(c->Read("Account", {"Id", "Name", "Amount"}, r, error));
  CHECK(r.lines == 3);
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[0].fields.size() == 3);  // only the projected fields
  CHECK(r.records[0].fields.count("Phone") == 0);
  CHECK(Text(r.records[0].fields["Amount"]) == "1.5");
  CHECK(r.records[1].fields["Amount"].IsNull());  // absent: null
  CHECK(r.records[1].line == 4);
  REQUIRE(r.bad.size() == 1);
  CHECK(r.bad[0].line == 2);
  CHECK(r.bad[0].file == "Account.jsonl");
  CHECK(r.bad[0].reason == "malformed JSON");
  CHECK_FALSE(c->Read("Nope", {}, r, error));
  CHECK(error.find("Nope.jsonl") != std::string::npos);
  // Upsert: updates the record with the key, appends a new one.
  std::string id;
  REQUIRE(c->Upsert("Account", "Id", {{"Id", value::Value::String("2")}, {"Name", value::Value::String("B")}}, id, error));
  CHECK(id == "2");
  REQUIRE(c->Upsert("Account", "Id", {{"Id", value::Value::String("3")}}, id, error));
  REQUIRE(c->Commit(error));
  connectors::ReadResult again;
  REQUIRE(c->Read("Account", {"Id", "Name"}, again, error));
  REQUIRE(again.records.size() == 3);
  CHECK(Text(again.records[1].fields["Name"]) == "\"B\"");
  CHECK(again.bad.size() == 1);  // the malformed line is kept as it was
  fs::remove_all(d);
}

TEST_CASE("a CSV directory") {
  fs::path d = TempDir("csv");
  Write(d / "Item.csv", "sku,itemId,note\nGC1,1001,\"a, b\"\nGC2,,x\nbroken\n");
  std::string error;
  auto c = connectors::Open("dir:" + d.string(), error);
  REQUIRE(c);
  connectors::ReadResult r;
  REQUIRE(c->Read("Item", {"sku", "note"}, r, error));
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[0].fields.size() == 2);
  CHECK(Text(r.records[0].fields["note"]) == "\"a, b\"");
  REQUIRE(r.bad.size() == 1);
  CHECK(r.bad[0].line == 4);
  connectors::ReadResult all;
  REQUIRE(c->Read("Item", {}, all, error));
  CHECK(all.records[1].fields["itemId"].IsNull());
  fs::remove_all(d);
}

TEST_CASE("a SQLite database: upsert on the key, projected reads") {
  fs::path d = TempDir("sqlite");
  std::string error;
  auto c = connectors::Open((d / "erp.db").string(), error);
  REQUIRE_MESSAGE(c, error);
  std::string id1, id2, id3;
  c->Begin();
  REQUIRE(c->Upsert("Customer", "externalId",
                    {{"externalId", value::Value::String("A")}, {"companyName", value::Value::String("Acme")},
                     {"lines", value::Value::List({value::Value::Int(1)})}},
                    id1, error));
  REQUIRE(c->Upsert("Customer", "externalId", {{"externalId", value::Value::String("B")}}, id2, error));
  REQUIRE(c->Upsert("Customer", "externalId",
                    {{"externalId", value::Value::String("A")}, {"companyName", value::Value::String("Acme 2")}}, id3,
                    error));
  REQUIRE(c->Commit(error));
  CHECK(id1 == id3);  // the same record: idempotent upsert
  CHECK(id1 != id2);
  connectors::ReadResult r;
  REQUIRE(c->Read("Customer", {"externalId", "companyName", "missing"}, r, error));
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[0].fields.size() == 3);
  CHECK(Text(r.records[0].fields["companyName"]) == "\"Acme 2\"");
  CHECK(r.records[0].fields["missing"].IsNull());
  CHECK(r.records[1].fields["companyName"].IsNull());
  connectors::ReadResult none;
  REQUIRE(c->Read("SalesOrder", {}, none, error));  // no table yet: no records
  CHECK(none.records.empty());
  fs::remove_all(d);
}

TEST_CASE("the projection: a plan reads only the fields its maps use") {
  plan::Plan p = BuildSpec(std::string(CRMX_SOURCE_DIR) + "/examples/acme-salesforce-netsuite/acme.crmx");
  REQUIRE(p.maps.size() == 3);
  CHECK(p.maps[0].name == "account_to_customer");
  CHECK(p.maps[1].name == "won_to_order");  // after the map it refs
  CHECK(p.maps[1].depends_on == std::vector<std::string>{"account_to_customer"});
  const plan::Map& a = p.maps[0];
  CHECK(a.projection.fields == std::vector<std::string>{"BillingCountry", "BillingState", "Id", "Name",
                                                        "PaymentTerms__c", "Phone", "ShippingCountry",
                                                        "ShippingState", "Subsidiary__c"});
  const plan::Map& o = p.maps[1];
  CHECK(o.projection.fields == std::vector<std::string>{"AccountId", "Amount", "CurrencyIsoCode", "Id", "StageName"});
  REQUIRE(o.projection.relations.size() == 2);
  CHECK(o.projection.relations[0].name == "Account");
  CHECK(o.projection.relations[0].via == "AccountId");
  CHECK(o.projection.relations[0].fields == std::vector<std::string>{"BillingCountry"});
  CHECK(o.projection.relations[1].name == "OpportunityLineItems");
  CHECK(o.projection.relations[1].child);
  CHECK(o.projection.relations[1].via == "OpportunityId");
  CHECK(o.projection.relations[1].fields == std::vector<std::string>{"ProductCode", "Quantity", "UnitPrice"});
  CHECK(p.FindSync("won_to_order")->when.size() == 2);
  CHECK(p.FindSync("won_to_order")->when[0].reason == "StageName is not Closed Won");
  CHECK(p.FindSync("won_to_order")->when[1].reason == "Amount is not > 0");
  const plan::Table* t = p.FindTable("item_by_sku");
  REQUIRE(t != nullptr);
  CHECK(!t->entries.empty());
  // The connector's read of Account returns those fields only, of the 38 in the file.
  std::string error;
  auto c = connectors::Open(std::string(CRMX_SOURCE_DIR) + "/examples/acme-salesforce-netsuite/data/crm", error);
  REQUIRE(c);
  connectors::ReadResult all, projected;
  REQUIRE(c->Read("Account", {}, all, error));
  REQUIRE(c->Read("Account", a.projection.fields, projected, error));
  CHECK(all.records[0].fields.size() == 38);
  CHECK(projected.records[0].fields.size() == 9);
  CHECK(projected.lines == 300);
  CHECK(projected.bad.size() == 1);
}

TEST_CASE("the engine: every record ends in exactly one place; waiting on refs; state kept") {
  fs::path d = TempDir("engine");
  fs::create_directories(d / "crm");
  plan::Plan p = BuildSpec(std::string(CRMX_SOURCE_DIR) + "/examples/acme-salesforce-netsuite/acme.crmx");
  fs::copy(std::string(CRMX_SOURCE_DIR) + "/examples/acme-salesforce-netsuite/data/crm", d / "crm");
  std::string error;
  auto crm = connectors::Open((d / "crm").string(), error);
  auto erp = connectors::Open((d / "erp.db").string(), error);
  auto st = state::StateStore::Open((d / "state.db").string(), error);
  REQUIRE(st);
  engine::Systems systems;
  systems.by_name["crm"] = crm.get();
  systems.by_name["erp"] = erp.get();
  engine::RunReport rep;
  REQUIRE_MESSAGE(engine::Run(p, systems, st.get(), rep, error), error);
  REQUIRE(rep.maps.size() == 3);
  for (const engine::MapReport& m : rep.maps) {
    CAPTURE(m.name);
    CHECK(m.written + m.skipped.count + m.data_quality.count + m.held.count + m.waiting.count + m.error.count ==
          m.input_lines);
  }
  CHECK(rep.maps[0].input_lines == 300);
  CHECK(rep.maps[0].error.count >= 1);
  CHECK(rep.maps[0].error.records[0].line == 137);
  CHECK(rep.maps[1].input_lines == 400);
  CHECK(rep.maps[1].skipped.by_reason["StageName is not Closed Won"] == 174);
  CHECK(rep.maps[1].skipped.by_reason["Amount is not > 0"] == 8);
  CHECK(rep.maps[1].data_quality.by_reason["no account"] == 4);
  CHECK(rep.maps[2].input_lines == rep.maps[1].written);
  fs::remove_all(d);
}

TEST_CASE("the engine on a small spec: every outcome, reasons, flags, refs, the state file") {
  std::string dir = std::string(CRMX_SOURCE_DIR) + "/tests/unit/engine/mini";
  plan::Plan p = BuildSpec(dir + "/mini.crmx");
  // The plan survives its file format.
  plan::Plan back;
  std::string error;
  REQUIRE_MESSAGE(plan::ReadPlan(plan::WritePlan(p), back, error), error);
  fs::path d = TempDir("mini");
  auto crm = connectors::Open(dir + "/crm", error);
  auto erp = connectors::Open((d / "erp.db").string(), error);
  auto st = state::StateStore::Open((d / "state.db").string(), error);
  REQUIRE(crm);
  REQUIRE(erp);
  REQUIRE(st);
  engine::Systems systems;
  systems.by_name["crm"] = crm.get();
  systems.by_name["erp"] = erp.get();
  engine::RunReport rep;
  REQUIRE_MESSAGE(engine::Run(back, systems, st.get(), rep, error), error);
  REQUIRE(rep.maps.size() == 2);
  const engine::MapReport& a = rep.maps[0];
  CHECK(a.name == "acct");
  CHECK(a.input_lines == 6);
  CHECK(a.written == 3);
  CHECK(a.data_quality.count == 1);
  REQUIRE(a.data_quality.records.size() == 1);
  CHECK(a.data_quality.records[0].id == "A3");
  CHECK(a.data_quality.records[0].line == 3);
  CHECK(a.data_quality.records[0].reasons == std::vector<std::string>{"missing Name", "no country"});
  CHECK(a.held.by_reason == std::map<std::string, int64_t>{{"Pending Review", 1}});
  CHECK(a.error.count == 1);
  CHECK(a.error.records[0].line == 5);
  CHECK(a.error.records[0].reasons[0] == "malformed JSON");
  CHECK(a.flags_on_written == std::map<std::string, int64_t>{{"finance:default_terms", 2}});
  const engine::MapReport& o = rep.maps[1];
  CHECK(o.input_lines == 8);
  CHECK(o.written == 2);
  CHECK(o.skipped.by_reason ==
        std::map<std::string, int64_t>{{"StageName is not Closed Won", 1}, {"Amount is not > 0", 1}});
  CHECK(o.data_quality.by_reason == std::map<std::string, int64_t>{{"no account", 1}});
  CHECK(o.waiting.by_reason == std::map<std::string, int64_t>{
                                   {"account data-quality", 1}, {"account held", 1}, {"account not found", 1}});
  CHECK(o.error.count == 0);
  // The orders reference the customers' ids in the ERP.
  connectors::ReadResult orders, customers;
  REQUIRE(erp->Read("SalesOrder", {"externalId", "entity", "total"}, orders, error));
  REQUIRE(erp->Read("Customer", {"id", "externalId", "terms"}, customers, error));
  REQUIRE(orders.records.size() == 2);
  REQUIRE(customers.records.size() == 3);
  CHECK(Text(orders.records[0].fields["entity"]) == "\"" + Text(customers.records[0].fields["id"]) + "\"");
  CHECK(Text(orders.records[0].fields["total"]) == "100.5");
  CHECK(Text(customers.records[1].fields["terms"]) == "\"Net 30\"");
  // A second run is idempotent: the same records, updated in place.
  engine::RunReport again;
  REQUIRE(engine::Run(back, systems, st.get(), again, error));
  CHECK(again.run == rep.run + 1);
  connectors::ReadResult customers2;
  REQUIRE(erp->Read("Customer", {"id"}, customers2, error));
  CHECK(customers2.records.size() == 3);
  fs::remove_all(d);
}
