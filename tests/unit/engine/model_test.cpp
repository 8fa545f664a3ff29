// Tests the data model end to end: nested target fields (JSONL, SQLite), record identity from
// the schema (ids the writers return and assign, the plan's id fields), `ref` inside an object
// literal, exact values through a JSONL merge, and the state file's external-id column.
#include <doctest/doctest.h>

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/unit/support/files.h"
#include "runtime/connectors/connector.h"
#include "runtime/engine/engine.h"
#include "runtime/state/state.h"
#include "tests/unit/support/example_spec.h"
#include "tests/unit/support/writer.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx;
using value::Value;

fs::path TempDir(const std::string& name) { return testing::FreshDir("model_test", name); }

std::string Slurp(const fs::path& p) { return testing::ReadWhole(p); }

void Put(const fs::path& p, const std::string& text) { testing::WriteWhole(p, text); }

plan::TargetField Field(const std::string& name, plan::FieldType type = plan::FieldType::kAny,
                        std::optional<int> scale = std::nullopt) {
  plan::TargetField f;
  f.name = name;
  for (size_t start = 0;;) {
    size_t dot = name.find('.', start);
    f.path.push_back(name.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  f.type = type;
  f.scale = scale;
  return f;
}

connectors::WriteRequest Request(const std::string& object, const std::string& key, std::vector<plan::TargetField> fields,
                                 const std::string& id_field = {}) {
  return connectors::WriteRequest{object, key, std::move(fields), id_field, 0};
}

std::string SqliteText(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.string().c_str(), &h) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE_MESSAGE(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK, sqlite3_errmsg(h));
  std::string out;
  while (sqlite3_step(st) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      const unsigned char* t = sqlite3_column_text(st, i);
      out += (i ? "|" : "") + std::string(t ? reinterpret_cast<const char*>(t) : "NULL");
    }
    out += "\n";
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

}  // namespace

TEST_CASE("a JSONL merge keeps the digits and the member order of what it does not write") {
  fs::path d = TempDir("fidelity");
  Put(d / "Opportunity.jsonl",
      "{\"Id\":\"006A\",\"Amount\":9999999999999999.99,\"Zeta\":1,\"Alpha\":8700.0}\n"
      "{\"Id\":\"006B\", \"Amount\": 1e2 ,\"Nested\":{\"b\":[1,{\"c\":\"}\\\"\"}],\"a\":2.50},\"ERP_Status__c\":\"old\"}\n"
      "{\"Id\":\"006C\",\"Amount\":0.10}\n");
  std::string error;
  auto c = connectors::Open(d.string(), error);
  REQUIRE(c);
  {
    auto w = c->OpenWriter(Request("Opportunity", "Id", {Field("Id"), Field("ERP_Status__c")}, "Id"), error);
    REQUIRE_MESSAGE(w, error);
    Value a[] = {Value::String("006A"), Value::String("Billed")};
    Value b[] = {Value::String("006B"), Value::String("Paid")};
    // The map writes the id field itself (the key): that is the record's id.
    CHECK(testing::PutOk(*w, a) == "006A");
    CHECK(testing::PutOk(*w, b) == "006B");
    REQUIRE(testing::CommitAll(*w, error));
  }
  CHECK(Slurp(d / "Opportunity.jsonl") ==
        "{\"Id\":\"006A\",\"Amount\":9999999999999999.99,\"Zeta\":1,\"Alpha\":8700.0,\"ERP_Status__c\":\"Billed\"}\n"
        "{\"Id\":\"006B\", \"Amount\": 1e2 ,\"Nested\":{\"b\":[1,{\"c\":\"}\\\"\"}],\"a\":2.50},\"ERP_Status__c\":\"Paid\"}\n"
        "{\"Id\":\"006C\",\"Amount\":0.10}\n");
  fs::remove_all(d);
}

TEST_CASE("the JSONL writer nests dotted target fields and merges nested objects member by member") {
  fs::path d = TempDir("nested");
  std::string error;
  auto c = connectors::Open(d.string(), error);
  REQUIRE(c);
  std::vector<plan::TargetField> fields{Field("externalId"), Field("CustomerRef.value"), Field("BillAddr.City"),
                                        Field("BillAddr.Line1"), Field("TotalAmt", plan::FieldType::kDecimal, 2)};
  {
    auto w = c->OpenWriter(Request("Invoice", "externalId", fields), error);
    REQUIRE_MESSAGE(w, error);
    Value a[] = {Value::String("d1"), Value::String("7"), Value::String("Berlin"), Value::Null(),
                 Value::Dec(*decimal::Decimal::Parse("10.5"))};
    CHECK(testing::PutOk(*w, a) == "d1");  // no id field: the key
    REQUIRE(testing::CommitAll(*w, error));
  }
  CHECK(Slurp(d / "Invoice.jsonl") ==
        "{\"externalId\":\"d1\",\"CustomerRef\":{\"value\":\"7\"},\"BillAddr\":{\"City\":\"Berlin\",\"Line1\":null},"
        "\"TotalAmt\":10.50}\n");
  // Written again: the new members replace theirs in place, others stay.
  Put(d / "Invoice.jsonl",
      "{\"externalId\":\"d1\",\"CustomerRef\":{\"name\":\"Acme\",\"value\":\"3\"},\"Memo\":\"keep\"}\n");
  {
    auto w = c->OpenWriter(Request("Invoice", "externalId", {Field("externalId"), Field("CustomerRef.value")}), error);
    REQUIRE_MESSAGE(w, error);
    Value a[] = {Value::String("d1"), Value::String("9")};
    testing::PutOk(*w, a);
    REQUIRE(testing::CommitAll(*w, error));
  }
  CHECK(Slurp(d / "Invoice.jsonl") ==
        "{\"externalId\":\"d1\",\"CustomerRef\":{\"name\":\"Acme\",\"value\":\"9\"},\"Memo\":\"keep\"}\n");
  fs::remove_all(d);
}

TEST_CASE("the JSONL writer gives records of a target with an id field their own ids") {
  fs::path d = TempDir("ids");
  // An older file: ids 5 and "x" (not numeric), and a line without an id.
  Put(d / "Customer.jsonl",
      "{\"id\":\"5\",\"externalId\":\"a\",\"companyName\":\"A\"}\n"
      "{\"externalId\":\"b\",\"id\":\"x\"}\n"
      "{\"externalId\":\"c\"}\n");
  std::string error;
  auto c = connectors::Open(d.string(), error);
  REQUIRE(c);
  {
    auto w = c->OpenWriter(Request("Customer", "externalId", {Field("externalId"), Field("companyName")}, "id"), error);
    REQUIRE_MESSAGE(w, error);
    Value a[] = {Value::String("a"), Value::String("A2")};
    Value b[] = {Value::String("b"), Value::String("B")};
    Value c1[] = {Value::String("c"), Value::String("C")};
    Value n[] = {Value::String("n"), Value::String("N")};
    CHECK(testing::PutOk(*w, a) == "5");   // kept
    CHECK(testing::PutOk(*w, b) == "x");   // kept, whatever its form
    CHECK(testing::PutOk(*w, c1) == "6");  // the next after the largest numeric id
    CHECK(testing::PutOk(*w, n) == "7");
    CHECK(testing::PutOk(*w, n) == "7");  // the same key again in the run: the same id
    REQUIRE(testing::CommitAll(*w, error));
  }
  CHECK(Slurp(d / "Customer.jsonl") ==
        "{\"id\":\"5\",\"externalId\":\"a\",\"companyName\":\"A2\"}\n"
        "{\"externalId\":\"b\",\"id\":\"x\",\"companyName\":\"B\"}\n"
        "{\"externalId\":\"c\",\"companyName\":\"C\",\"id\":\"6\"}\n"
        "{\"externalId\":\"n\",\"companyName\":\"N\",\"id\":\"7\"}\n");
  // A fresh file starts at 1.
  {
    auto w = c->OpenWriter(Request("Vendor", "externalId", {Field("externalId")}, "id"), error);
    REQUIRE_MESSAGE(w, error);
    Value a[] = {Value::String("v")};
    CHECK(testing::PutOk(*w, a) == "1");
    REQUIRE(testing::CommitAll(*w, error));
  }
  CHECK(Slurp(d / "Vendor.jsonl") == "{\"externalId\":\"v\",\"id\":\"1\"}\n");
  fs::remove_all(d);
}

TEST_CASE("SQLite: a nested field is a JSON column; a Salesforce `Id` does not collide with the row id") {
  fs::path d = TempDir("sqlite_model");
  fs::path db = d / "t.db";
  std::string error;
  auto c = connectors::Open(db.string(), error);
  REQUIRE(c);
  {
    std::vector<plan::TargetField> fields{Field("externalId"), Field("BillAddr.City"), Field("BillAddr.Line1"),
                                          Field("Total", plan::FieldType::kDecimal, 2)};
    auto w = c->OpenWriter(Request("Customer", "externalId", fields, "Id"), error);
    REQUIRE_MESSAGE(w, error);
    Value a[] = {Value::String("a"), Value::String("Berlin"), Value::String("Main St 1"),
                 Value::Dec(*decimal::Decimal::Parse("9999999999999999.99"))};
    CHECK(testing::PutOk(*w, a) == "1");
    REQUIRE(testing::CommitAll(*w, error));
  }
  {
    // Written again with one member: the other stays.
    auto w = c->OpenWriter(Request("Customer", "externalId", {Field("externalId"), Field("BillAddr.City")}, "Id"), error);
    REQUIRE_MESSAGE(w, error);
    Value a[] = {Value::String("a"), Value::String("Hamburg")};
    CHECK(testing::PutOk(*w, a) == "1");
    REQUIRE(testing::CommitAll(*w, error));
  }
  // The row id column is named after the schema's id field.
  CHECK(SqliteText(db, "SELECT Id, externalId, BillAddr, Total FROM Customer") ==
        "1|a|{\"City\":\"Hamburg\",\"Line1\":\"Main St 1\"}|9999999999999999.99\n");
  // A dotted projection field reads inside the JSON column, a decimal exactly.
  auto r = c->OpenReader(connectors::ReadRequest{"Customer", {"BillAddr.Line1", "Total"},
                                                 {plan::FieldType::kString, plan::FieldType::kDecimal}, 10, {}, {}, {}, {}},
                         error);
  REQUIRE_MESSAGE(r, error);
  connectors::RecordBatch b;
  REQUIRE(r->Next(b));
  REQUIRE(b.size() == 1);
  CHECK(value::Display(b.Row(0)[0]) == "\"Main St 1\"");
  CHECK(b.Row(0)[1].AsDecimal().ToString() == "9999999999999999.99");
  {
    // A map that writes Salesforce's `Id` itself (a write-back keyed by Id): the row id
    // column is `crmx_id`, the record's id is its `Id`.
    auto w = c->OpenWriter(Request("Opportunity", "Id", {Field("Id"), Field("ERP_Status__c")}, "Id"), error);
    REQUIRE_MESSAGE(w, error);
    Value a[] = {Value::String("006A"), Value::String("Billed")};
    CHECK(testing::PutOk(*w, a) == "1");
    REQUIRE(testing::CommitAll(*w, error));
  }
  CHECK(SqliteText(db, "SELECT crmx_id, Id, ERP_Status__c FROM Opportunity") == "1|006A|Billed\n");
  {
    // A table created by an older crmx-run has `id`: a field `Id` would be that column.
    auto w = c->OpenWriter(Request("Customer", "Id", {Field("Id")}, ""), error);
    CHECK(w == nullptr);
  }
  auto old = connectors::Open((d / "old.db").string(), error);
  {
    auto w = old->OpenWriter(Request("Account", "Name", {Field("Name")}, ""), error);
    REQUIRE_MESSAGE(w, error);
    REQUIRE(testing::CommitAll(*w, error));
  }
  {
    auto w = old->OpenWriter(Request("Account", "Id", {Field("Id"), Field("Name")}, "Id"), error);
    CHECK(w == nullptr);
    CHECK(error.find("SQLite column names ignore case") != std::string::npos);
  }
  fs::remove_all(d);
}

TEST_CASE("the state file keeps the external id with the cross-reference, and migrates older files") {
  fs::path d = TempDir("state");
  fs::path path = d / "state.db";
  {
    // A state file as an earlier crmx-run wrote it: xref without `external_id`.
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(path.string().c_str(), &h) == SQLITE_OK);
    REQUIRE(sqlite3_exec(h,
                         "CREATE TABLE xref (map TEXT NOT NULL, source_key TEXT NOT NULL, target_id TEXT NOT NULL, "
                         "updated TEXT NOT NULL, PRIMARY KEY (map, source_key));"
                         "INSERT INTO xref VALUES ('m', 'k0', '41', '2024-01-01T00:00:00Z');",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(h);
  }
  std::string error;
  auto st = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(st, error);
  CHECK(st->LoadXref("m").at("k0") == "41");
  CHECK(st->XrefExternalId("m", "k0").empty());
  st->PutXref("m", "k1", "42", "001A");
  CHECK(st->LoadXref("m").at("k1") == "42");
  CHECK(st->XrefExternalId("m", "k1") == "001A");
  st.reset();
  // Opened again: nothing to migrate.
  st = state::StateStore::Open(path.string(), error);
  REQUIRE_MESSAGE(st, error);
  CHECK(st->XrefExternalId("m", "k1") == "001A");
  st.reset();
  fs::remove_all(d);
}

TEST_CASE("the plan carries record identity, nesting, references and sublists from the schemas") {
  plan::Plan p = testing::BuildSpecPlanOrFail(testing::kExample);
  const plan::Map* order = p.FindMap("won_to_order");
  REQUIRE(order);
  CHECK(order->source_id == "Id");  // Salesforce
  CHECK(order->target_id == "id");  // NetSuite
  for (const plan::Relation& r : order->projection.relations) {
    CAPTURE(r.name);
    CHECK(r.id_field == "Id");
  }
  const plan::TargetField* entity = nullptr;
  const plan::TargetField* lines = nullptr;
  for (const plan::TargetField& f : order->target_fields) {
    if (f.name == "entity") entity = &f;
    if (f.name == "lines") lines = &f;
  }
  REQUIRE(entity);
  CHECK(entity->reference);
  CHECK(entity->path == std::vector<std::string>{"entity"});
  REQUIRE(lines);
  CHECK(lines->sublist == "item");
  std::vector<std::string> element;
  for (const plan::TargetField& e : lines->element) element.push_back(e.name);
  CHECK(element == std::vector<std::string>{"item", "quantity", "rate"});
  const plan::Map* back = p.FindMap("order_status_back");
  REQUIRE(back);
  CHECK(back->source_id == "id");
  CHECK(back->target_id == "Id");

  plan::Plan n = testing::BuildSpecPlanOrFail(CRMX_SOURCE_DIR "/tests/unit/engine/nested/nested.crmx");
  const plan::Map* customer = n.FindMap("company_to_customer");
  REQUIRE(customer);
  // A nested source path is one projected field; a nested change stamp is the cursor.
  CHECK(customer->projection.fields ==
        std::vector<std::string>{"MetaData.LastUpdatedTime", "id", "properties.city", "properties.name"});
  CHECK(customer->projection.types[0] == plan::FieldType::kDateTime);
  CHECK(customer->cursor == "MetaData.LastUpdatedTime");
  CHECK(customer->source_id == "id");
  CHECK(customer->target_id == "Id");
  std::vector<std::vector<std::string>> paths;
  for (const plan::TargetField& f : customer->target_fields) paths.push_back(f.path);
  CHECK(paths == std::vector<std::vector<std::string>>{{"externalId"}, {"DisplayName"}, {"BillAddr", "City"},
                                                       {"BillAddr", "Line1"}});
  // `ref` inside an object literal: a local ref step the assignment loads.
  const plan::Map* invoice = n.FindMap("deal_to_invoice");
  REQUIRE(invoice);
  CHECK(invoice->depends_on == std::vector<std::string>{"company_to_customer"});
  REQUIRE(invoice->steps.size() == 4);
  CHECK(invoice->steps[1].kind == plan::StepKind::kRef);
  CHECK(invoice->steps[1].local);
  CHECK(invoice->steps[1].ref_map == "company_to_customer");
  CHECK(invoice->steps[2].target == "CustomerRef");
  REQUIRE(invoice->steps[2].bindings.size() == 1);
  CHECK(invoice->steps[2].bindings[0].kind == plan::BindingKind::kAssigned);
  CHECK(invoice->target_fields.size() == 3);  // the local value is not a target field
  // The plan file keeps all of it.
  plan::Plan back_again;
  std::string error;
  REQUIRE_MESSAGE(plan::ReadPlan(plan::WritePlan(n), back_again, error), error);
  CHECK(back_again.FindMap("deal_to_invoice")->steps[1].local);
  CHECK(plan::WritePlan(back_again) == plan::WritePlan(n));
}

TEST_CASE("the checker resolves dotted source and target paths through object-typed fields") {
  std::string spec = CRMX_SOURCE_DIR "/tests/unit/engine/nested/nested.crmx";
  std::string text = testing::ReadFile(spec);
  auto check = [&](const std::string& t) {
    driver::Compilation c;
    c.CheckText(spec, t);
    std::vector<std::string> out;
    for (const diag::Diagnostic& x : c.SortedDiagnostics()) out.push_back(std::string(x.code()) + " " + x.message);
    return out;
  };
  CHECK(check(text).empty());
  std::string bad = testing::Replace(text, "= properties.name", "= properties.nope");
  bad = testing::Replace(bad, "BillAddr.City  =", "BillAddr.Town  =");
  CHECK(check(bad) == std::vector<std::string>{"E0301 `nope` is not a field of `CompanyProperties`",
                                               "E0301 `Town` is not a field of `PhysicalAddress`"});
}

TEST_CASE("a run writes nested objects and resolves a `ref` inside an object literal to the target's own id") {
  fs::path d = TempDir("run_nested");
  fs::create_directories(d / "crm");
  fs::create_directories(d / "erp");
  Put(d / "crm" / "Company.jsonl",
      "{\"id\":\"c1\",\"properties\":{\"name\":\"Acme\"},\"MetaData\":{\"LastUpdatedTime\":\"2024-01-01T00:00:00Z\"}}\n"
      "{\"id\":\"c2\",\"properties\":{\"name\":\"Globex\",\"city\":\"Berlin\"},"
      "\"MetaData\":{\"LastUpdatedTime\":\"2024-01-02T00:00:00Z\"}}\n");
  Put(d / "crm" / "Deal.jsonl",
      "{\"id\":\"d1\",\"companyId\":\"c2\",\"amount\":9999999999999999.99}\n"
      "{\"id\":\"d2\",\"companyId\":\"c9\",\"amount\":1}\n");
  plan::Plan p = testing::BuildSpecPlanOrFail(CRMX_SOURCE_DIR "/tests/unit/engine/nested/nested.crmx");
  std::string error;
  auto crm = connectors::Open((d / "crm").string(), error);
  auto erp = connectors::Open((d / "erp").string(), error);
  auto st = state::StateStore::Open((d / "state.db").string(), error);
  REQUIRE(st);
  engine::Systems systems;
  systems.by_name["crm"] = crm.get();
  systems.by_name["erp"] = erp.get();
  engine::RunReport rep;
  REQUIRE_MESSAGE(engine::Run(p, systems, st.get(), engine::RunOptions{}, rep, error), error);
  REQUIRE(rep.maps.size() == 2);
  CHECK(rep.maps[0].written == 2);
  CHECK(rep.maps[1].written == 1);
  CHECK(rep.maps[1].waiting.count == 1);  // d2's company was never written
  std::string customers = Slurp(d / "erp" / "Customer.jsonl");
  CHECK(customers.find("\"BillAddr\":{\"City\":") != std::string::npos);
  CHECK(customers.find("BillAddr.") == std::string::npos);  // never a flat dotted key
  CHECK(customers.find("\"externalId\":\"c2\"") != std::string::npos);
  CHECK(customers.find("\"Id\":\"2\"") != std::string::npos);
  // The invoice references c2's own id in the ERP ("2"), not its CRM key.
  CHECK(Slurp(d / "erp" / "Invoice.jsonl") ==
        "{\"externalId\":\"d1\",\"CustomerRef\":{\"value\":\"2\"},\"TotalAmt\":9999999999999999.99,\"Id\":\"1\"}\n");
  CHECK(st->LoadXref("company_to_customer").at("c2") == "2");
  CHECK(st->XrefExternalId("company_to_customer", "c2") == "c2");
  // Nested source values (read by the JSONL reader at their paths) reach nested targets.
  CHECK(customers.find("{\"externalId\":\"c2\",\"DisplayName\":\"Globex\",\"BillAddr\":{\"City\":\"Berlin\",\"Line1\":\"n/a\"},"
                       "\"Id\":\"2\"}") != std::string::npos);
  // The nested change stamp is the cursor: a second run skips the companies not changed, and
  // the ids stay (the customers' lines keep theirs).
  engine::RunReport again;
  REQUIRE_MESSAGE(engine::Run(p, systems, st.get(), engine::RunOptions{}, again, error), error);
  CHECK(again.maps[0].skipped.by_reason["unchanged since the last run"] == 2);
  engine::RunOptions full;
  full.full = true;
  engine::RunReport all;
  REQUIRE_MESSAGE(engine::Run(p, systems, st.get(), full, all, error), error);
  CHECK(all.maps[0].written == 2);
  CHECK(Slurp(d / "erp" / "Customer.jsonl") == customers);
  fs::remove_all(d);
}
