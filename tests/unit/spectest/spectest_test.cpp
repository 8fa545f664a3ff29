// Tests the spec test runner: plans carry the spec's tests (typed, in the plan file, under the
// content hash), the in-memory connector reads and writes as a connector does, and the runner
// passes and fails tests for the right reasons (tests/spectest/shop.crmx fails some on purpose).
#include <doctest/doctest.h>

#include <filesystem>
#include <map>

#include "compiler/check/type_check.h"
#include "compiler/driver/pipeline.h"
#include "compiler/ir/plan_builder.h"
#include "runtime/spectest/memory_connector.h"
#include "runtime/spectest/report.h"
#include "runtime/spectest/spectest.h"
#include "tests/unit/support/example_spec.h"
#include "tests/unit/support/writer.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx;
using value::Kind;
using value::Value;

constexpr const char* kShop = "tests/spectest/shop.crmx";
constexpr const char* kNorthStar = "examples/acme-salesforce-netsuite/acme.crmx";

plan::Plan BuildSpec(const std::string& spec) { return testing::BuildSpecPlanOrFail(spec); }

const Value* FieldOf(const std::vector<std::pair<std::string, Value>>& fields, const std::string& name) {
  for (const auto& [n, v] : fields)
    if (n == name) return &v;
  return nullptr;
}

std::map<std::string, spectest::TestResult> ByName(const std::vector<spectest::TestResult>& results) {
  std::map<std::string, spectest::TestResult> out;
  for (const spectest::TestResult& r : results) out[r.name] = r;
  return out;
}

const spectest::TestResult& Result(const std::map<std::string, spectest::TestResult>& results, const std::string& name) {
  auto it = results.find(name);
  REQUIRE_MESSAGE(it != results.end(), "no result for test " << name);
  return it->second;
}

bool Mentions(const std::vector<std::string>& lines, const std::string& text) {
  for (const std::string& l : lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("the plan carries the spec's tests, given values typed by the schema") {
  plan::Plan p = BuildSpec(kNorthStar);
  REQUIRE(p.tests.size() == 2);
  const plan::SpecTest& won = p.tests[0];
  CHECK(won.name == "closed-won opportunity becomes a sales order");
  REQUIRE(won.given.size() == 2);
  CHECK(won.given[1].system == "crm");
  CHECK(won.given[1].object == "Opportunity");
  const Value* amount = FieldOf(won.given[1].fields, "Amount");
  REQUIRE(amount != nullptr);
  CHECK(amount->kind() == Kind::kDecimal);
  CHECK(amount->AsDecimal().ToString() == "92000.00");
  REQUIRE(won.expect.size() == 1);
  CHECK(won.expect[0].kind == plan::ExpectKind::kRecord);
  CHECK(won.expect[0].object == "SalesOrder");
  const Value* currency = FieldOf(won.expect[0].fields, "currency");
  REQUIRE(currency != nullptr);
  CHECK(currency->kind() == Kind::kString);
  CHECK(FieldOf(won.expect[0].fields, "total") == nullptr);
  REQUIRE(p.tests[1].expect.size() == 1);
  CHECK(p.tests[1].expect[0].kind == plan::ExpectKind::kException);
  CHECK(p.tests[1].expect[0].text == "missing Name");
}

TEST_CASE("tests survive the plan file, and the content hash covers them") {
  plan::Plan p = BuildSpec(kShop);
  plan::Plan back;
  std::string error;
  REQUIRE_MESSAGE(plan::ReadPlan(plan::WritePlan(p), back, error), error);
  REQUIRE(back.tests.size() == p.tests.size());
  for (size_t i = 0; i < p.tests.size(); ++i) {
    CHECK(back.tests[i].name == p.tests[i].name);
    CHECK(back.tests[i].given.size() == p.tests[i].given.size());
    REQUIRE(back.tests[i].expect.size() == p.tests[i].expect.size());
    for (size_t j = 0; j < p.tests[i].expect.size(); ++j) {
      CHECK(back.tests[i].expect[j].kind == p.tests[i].expect[j].kind);
      CHECK(back.tests[i].expect[j].text == p.tests[i].expect[j].text);
      CHECK(back.tests[i].expect[j].fields.size() == p.tests[i].expect[j].fields.size());
    }
  }
  // The spec's order of fields is kept (the file's objects have sorted keys).
  CHECK(back.tests[0].given[0].fields[0].first == "Id");
  CHECK(back.tests[0].given[0].fields[1].first == "Name");
  CHECK(plan::ContentHash(back) == plan::ContentHash(p));
  back.tests[1].expect[0].fields[1].second = Value::Int(92000);
  CHECK(plan::ContentHash(back) != plan::ContentHash(p));
}

TEST_CASE("the memory connector reads the requested fields, converted, in batches") {
  spectest::MemoryConnector c("crm");
  for (int i = 0; i < 5; ++i)
    c.Add("Account", {{"Id", Value::String("a" + std::to_string(i))}, {"Amount", Value::Int(10 + i)},
                      {"Qty", Value::String("7")}, {"Other", Value::Bool(true)}});
  connectors::ReadRequest req{"Account", {"Amount", "Id", "Missing", "Qty"},
                              {plan::FieldType::kDecimal, plan::FieldType::kString, plan::FieldType::kString,
                               plan::FieldType::kInt},
                              2,
                              {},
                              {},
                              {},
                              {}};
  std::string error;
  auto reader = c.OpenReader(req, error);
  REQUIRE(reader != nullptr);
  connectors::RecordBatch batch;
  std::vector<size_t> sizes;
  std::vector<Value> amounts;
  while (reader->Next(batch)) {
    sizes.push_back(batch.size());
    CHECK(batch.width == 4);
    for (size_t i = 0; i < batch.size(); ++i) {
      amounts.push_back(batch.Row(i)[0]);
      CHECK(batch.Row(i)[2].IsNull());
      CHECK(batch.Row(i)[3].kind() == Kind::kInt);
    }
  }
  CHECK(sizes == std::vector<size_t>{2, 2, 1});
  REQUIRE(amounts.size() == 5);
  CHECK(amounts[0].kind() == Kind::kDecimal);
  CHECK(amounts[4].AsDecimal().ToString() == "14");
  // An object nobody gave reads as empty.
  auto none = c.OpenReader(connectors::ReadRequest{"Contact", {"Id"}, {plan::FieldType::kString}, 10, {}, {}, {}, {}}, error);
  REQUIRE(none != nullptr);
  CHECK_FALSE(none->Next(batch));
}

TEST_CASE("the memory connector converts as the JSON Lines reader does") {
  using plan::FieldType;
  CHECK(spectest::ConvertAsRead(Value::Double(92000.5), FieldType::kDecimal, "f").AsDecimal().ToString() == "92000.5");
  CHECK(spectest::ConvertAsRead(Value::String("19.90"), FieldType::kDecimal, "f").AsDecimal().ToString() == "19.90");
  CHECK(spectest::ConvertAsRead(Value::Int(3), FieldType::kDouble, "f").kind() == Kind::kDouble);
  CHECK(spectest::ConvertAsRead(Value::Int(3), FieldType::kString, "f").AsText() == "3");
  CHECK(spectest::ConvertAsRead(Value::String("x"), FieldType::kInt, "f").IsError());
  CHECK(spectest::ConvertAsRead(Value::Double(1.5), FieldType::kInt, "f").IsError());
  // A date field's text is a date (a timestamp at midnight UTC), as the readers give it.
  CHECK(value::Display(spectest::ConvertAsRead(Value::String("2024-01-31"), FieldType::kDate, "f")) ==
        "timestamp(\"2024-01-31T00:00:00Z\")");
}

TEST_CASE("the memory connector upserts by key at commit and keeps every write") {
  spectest::MemoryConnector c("erp");
  c.Add("Customer", {{"externalId", Value::String("k1")}, {"creditLimit", Value::Int(5)}});
  connectors::WriteRequest req{"Customer", "externalId", {}, {}, 0};
  for (const char* name : {"externalId", "companyName"}) {
    plan::TargetField f;
    f.name = name;
    f.path = {name};
    f.type = plan::FieldType::kString;
    req.fields.push_back(f);
  }
  std::string error, id;
  auto w = c.OpenWriter(req, error);
  REQUIRE(w != nullptr);
  Value rec1[] = {Value::String("k1"), Value::String("Acme")};
  Value rec2[] = {Value::String("k2"), Value::String("Globex")};
  Value no_key[] = {Value::Null(), Value::String("Nobody")};
  id = testing::PutOk(*w, rec1);
  CHECK(id == "k1");
  id = testing::PutOk(*w, rec2);
  error = testing::PutFails(*w, no_key);
  CHECK(error.find("externalId") != std::string::npos);
  CHECK(c.Records("Customer").size() == 1);  // not committed yet
  REQUIRE(testing::CommitAll(*w, error));
  const auto& records = c.Records("Customer");
  REQUIRE(records.size() == 2);
  // k1 got the written field and kept its other one.
  CHECK(records[0].size() == 3);
  CHECK(FieldOf(records[0], "companyName")->AsText() == "Acme");
  CHECK(FieldOf(records[0], "creditLimit")->AsInt() == 5);
  REQUIRE(c.writes().size() == 2);
  CHECK(c.writes()[1].key == "k2");
}

TEST_CASE("passing tests of every kind of expectation") {
  auto results = ByName(spectest::RunSpecTests(BuildSpec(kShop), {}));
  for (const char* name : {"a closed-won opportunity becomes a sales order",
                           "an account without a name goes to the data-quality queue",
                           "an account of an unknown country is held",
                           "missing terms default to Net 30 and are flagged"}) {
    const spectest::TestResult& r = Result(results, name);
    CHECK_MESSAGE(r.passed, name << ": " << spectest::FailureText(r));
  }
}

TEST_CASE("a wrong expected value fails with a diff naming the field") {
  auto results = ByName(spectest::RunSpecTests(BuildSpec(kShop), {}));
  const spectest::TestResult& r = Result(results, "a wrong total is reported field by field");
  CHECK_FALSE(r.passed);
  REQUIRE(r.expectations.size() == 1);
  const spectest::ExpectationResult& e = r.expectations[0];
  CHECK_FALSE(e.passed);
  CHECK(e.message.find("erp.SalesOrder") != std::string::npos);
  REQUIRE(e.diff.size() == 1);  // externalId matches: only total differs
  CHECK(e.diff[0].field == "total");
  CHECK(e.diff[0].expected == "91000.00");
  CHECK(e.diff[0].got == "92000.00");
  CHECK(Mentions(r.happened, "opp: wrote erp.SalesOrder"));
}

TEST_CASE("an exception that does not happen fails") {
  auto results = ByName(spectest::RunSpecTests(BuildSpec(kShop), {}));
  const spectest::TestResult& r = Result(results, "an exception that does not happen");
  CHECK_FALSE(r.passed);
  REQUIRE(r.expectations.size() == 1);
  CHECK(r.expectations[0].message.find("\"missing Name\"") != std::string::npos);
  CHECK(Mentions(r.happened, "acct: wrote erp.Customer"));
}

TEST_CASE("a hold expected but the record was written fails") {
  auto results = ByName(spectest::RunSpecTests(BuildSpec(kShop), {}));
  const spectest::TestResult& r = Result(results, "a hold expected but the record is written");
  CHECK_FALSE(r.passed);
  REQUIRE(r.expectations.size() == 1);
  CHECK(r.expectations[0].message.find("held") != std::string::npos);
  CHECK(Mentions(r.happened, "acct: wrote erp.Customer { externalId: \"001E\""));
}

TEST_CASE("a test with no expectation fails") {
  auto results = ByName(spectest::RunSpecTests(BuildSpec(kShop), {}));
  const spectest::TestResult& r = Result(results, "a test that asserts nothing");
  CHECK_FALSE(r.passed);
  CHECK(r.error.find("asserts nothing") != std::string::npos);
}

TEST_CASE("numbers compare by value, whatever their kind") {
  plan::Plan p = BuildSpec(kShop);
  plan::Expectation& e = p.tests[0].expect[1];
  REQUIRE(e.object == "SalesOrder");
  for (Value total : {Value::Int(92000), Value::Double(92000.0), Value::Dec(*decimal::Decimal::Parse("92000.000"))}) {
    e.fields[1].second = total;
    auto results = spectest::RunSpecTests(p, {"a closed-won"});
    REQUIRE(results.size() == 1);
    CHECK_MESSAGE(results[0].passed, value::Display(total) << ": " << spectest::FailureText(results[0]));
  }
  e.fields[1].second = Value::String("92000.00");
  CHECK_FALSE(spectest::RunSpecTests(p, {"a closed-won"})[0].passed);
}

TEST_CASE("a given value that failed at build time fails its test") {
  plan::Plan p = BuildSpec(kShop);
  p.tests[0].given[0].fields[1].second = Value::Error("division by zero");
  auto results = spectest::RunSpecTests(p, {"a closed-won"});
  REQUIRE(results.size() == 1);
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].error.find("`Name` fails: division by zero") != std::string::npos);
}

TEST_CASE("the filter selects tests by name") {
  plan::Plan p = BuildSpec(kShop);
  CHECK(spectest::RunSpecTests(p, {"held"}).size() == 1);
  CHECK(spectest::RunSpecTests(p, {"no such test"}).empty());
  CHECK(spectest::RunSpecTests(p, {}).size() == p.tests.size());
}

TEST_CASE("the reports: a summary line, JUnit XML escaped") {
  std::vector<spectest::TestResult> results(2);
  results[0].name = "ok <one>";
  results[0].passed = true;
  results[1].name = "bad & \"two\"";
  spectest::ExpectationResult e;
  e.expectation = "expect erp.X { a: 1 }";
  e.message = "no record written to erp.X has these values";
  e.diff.push_back(spectest::FieldDiff{"a", "1", "2"});
  results[1].expectations.push_back(e);
  std::string text = spectest::ResultsText(results);
  CHECK(text.find("ok     ok <one>\n") != std::string::npos);
  CHECK(text.find("FAILED bad & \"two\"\n") != std::string::npos);
  CHECK(text.find("      field  expected  got\n      a      1         2\n") != std::string::npos);
  CHECK(text.substr(text.size() - 19) == "1 passed, 1 failed\n");
  std::string xml = spectest::JUnitXml(results, "shop");
  CHECK(xml.find("<testsuite name=\"shop\" tests=\"2\" failures=\"1\"") != std::string::npos);
  CHECK(xml.find("name=\"ok &lt;one&gt;\"/>") != std::string::npos);
  CHECK(xml.find("name=\"bad &amp; &quot;two&quot;\"") != std::string::npos);
  CHECK(spectest::XmlEscape(std::string("a\x01z")) == "a\\x01z");
}

TEST_CASE("nested objects are expected by their entries; a ref is the target's own id") {
  plan::Plan p = BuildSpec("tests/unit/engine/nested/nested.crmx");
  REQUIRE(p.tests.size() == 1);
  auto results = spectest::RunSpecTests(p, {});
  REQUIRE(results.size() == 1);
  CHECK_MESSAGE(results[0].passed, spectest::FailureText(results[0]));
  // The memory system numbered the customer "1": the invoice's CustomerRef holds that.
  CHECK(Mentions(results[0].happened, "CustomerRef: {\"value\": \"1\"}"));
  CHECK(Mentions(results[0].happened, "BillAddr: {\"City\": \"Berlin\", \"Line1\": \"n/a\"}"));
  // An expected object matches by its entries: one entry is enough ...
  plan::Expectation& customer = p.tests[0].expect[0];
  REQUIRE(customer.fields[2].first == "BillAddr");
  customer.fields[2].second = Value::Map({{Value::String("City"), Value::String("Berlin")}});
  CHECK(spectest::RunSpecTests(p, {})[0].passed);
  // ... but each must be as expected.
  customer.fields[2].second = Value::Map({{Value::String("City"), Value::String("Paris")}});
  CHECK_FALSE(spectest::RunSpecTests(p, {})[0].passed);
  customer.fields[2].second = Value::Map({{Value::String("Zip"), Value::String("10115")}});
  CHECK_FALSE(spectest::RunSpecTests(p, {})[0].passed);
  // A dotted field name reads inside the written object.
  customer.fields[2] = {"BillAddr.City", Value::String("Berlin")};
  CHECK(spectest::RunSpecTests(p, {})[0].passed);
  // The CRM's key is not what a ref resolves to.
  plan::Plan q = BuildSpec("tests/unit/engine/nested/nested.crmx");
  plan::Expectation& invoice = q.tests[0].expect[1];
  REQUIRE(invoice.fields[1].first == "CustomerRef");
  invoice.fields[1].second = Value::Map({{Value::String("value"), Value::String("c1")}});
  auto failed = spectest::RunSpecTests(q, {});
  CHECK_FALSE(failed[0].passed);
}

TEST_CASE("the memory connector writes nested fields and numbers records of a target with an id field") {
  spectest::MemoryConnector c("erp");
  c.Add("Invoice", {{"Id", Value::String("7")},
                    {"externalId", Value::String("k1")},
                    {"CustomerRef", Value::Map({{Value::String("name"), Value::String("Acme")},
                                                {Value::String("value"), Value::String("3")}})}});
  connectors::WriteRequest req{"Invoice", "externalId", {}, "Id", 0};
  for (const char* name : {"externalId", "CustomerRef.value"}) {
    plan::TargetField f;
    f.name = name;
    f.path = std::string(name) == "externalId" ? std::vector<std::string>{"externalId"}
                                               : std::vector<std::string>{"CustomerRef", "value"};
    req.fields.push_back(f);
  }
  std::string error;
  auto w = c.OpenWriter(req, error);
  REQUIRE(w != nullptr);
  Value k1[] = {Value::String("k1"), Value::String("9")};
  Value k2[] = {Value::String("k2"), Value::String("4")};
  CHECK(testing::PutOk(*w, k1) == "7");  // the id it has
  CHECK(testing::PutOk(*w, k2) == "8");  // the next after the largest
  REQUIRE(testing::CommitAll(*w, error));
  const auto& records = c.Records("Invoice");
  REQUIRE(records.size() == 2);
  const Value* ref = FieldOf(records[0], "CustomerRef");
  REQUIRE(ref != nullptr);
  // The written member replaced, the other kept.
  CHECK(value::Display(*ref) == "{\"name\": \"Acme\", \"value\": \"9\"}");
  CHECK(value::Display(*FieldOf(records[1], "CustomerRef")) == "{\"value\": \"4\"}");
  CHECK(value::Display(*FieldOf(records[1], "Id")) == "\"8\"");
}

TEST_CASE("a flag on an object literal is raised only when a fallback inside it was used") {
  plan::Plan p = BuildSpec("tests/unit/spectest/flags/flags.crmx");
  std::map<std::string, spectest::TestResult> results = ByName(spectest::RunSpecTests(p, {}));
  const spectest::TestResult& with_city = Result(results, "a company with a city is not flagged");
  CHECK_MESSAGE(with_city.passed, spectest::FailureText(with_city));
  CHECK(Mentions(with_city.happened, "wrote erp.Customer"));
  CHECK_FALSE(Mentions(with_city.happened, "flagged"));
  const spectest::TestResult& without = Result(results, "a company without a city is flagged");
  CHECK_MESSAGE(without.passed, spectest::FailureText(without));
  CHECK(Mentions(without.happened, "flagged \"address:no_city\""));
}

TEST_CASE("a CSV table's key cells are converted by the declared key type") {
  plan::Plan p = BuildSpec("tests/unit/spectest/csv_keys/csv_keys.crmx");
  REQUIRE(p.tables.size() == 1);
  REQUIRE(p.tables[0].entries.size() == 2);
  CHECK(p.tables[0].entries[1].first.kind() == Kind::kInt);
  auto results = spectest::RunSpecTests(p, {});
  REQUIRE(results.size() == 1);
  CHECK_MESSAGE(results[0].passed, spectest::FailureText(results[0]));
}
