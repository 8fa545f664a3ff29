// Tests the NetSuite REST connector's text: SuiteQL (tables of transactions, pushdown, cursor,
// escaping), the upsert URL and record body (references, the item sublist), and the parsing
// of its answers (Location ids, o:errorDetails, the limits that mean "not applied").
#include <doctest/doctest.h>

#include "runtime/connectors/netsuite/netsuite.h"
#include "tests/unit/api_connectors/query_text.h"
#include "tests/unit/api_connectors/test_support.h"

namespace ns = crmx::connectors::netsuite;
namespace api = crmx::connectors::api;
using crmx::connectors::ReadRequest;
using crmx::connectors::WriteRequest;
using crmx::connectors::WriteResult;
using crmx::plan::FieldType;
using crmx::plan::FilterOp;
using crmx::plan::SourceCondition;
using crmx::plan::TargetField;
using crmx::testing::Dec;
using crmx::testing::Field;
using crmx::value::Value;

namespace {

WriteRequest SalesOrders() {
  WriteRequest req;
  req.object = "SalesOrder";
  req.key_field = "externalId";
  req.id_field = "id";
  TargetField lines = Field("lines", FieldType::kAny);
  lines.sublist = "item";
  lines.element = {Field("item", FieldType::kString, std::nullopt, true), Field("quantity", FieldType::kDecimal),
                   Field("rate", FieldType::kDecimal, 2), Field("description", FieldType::kString)};
  req.fields = {Field("externalId", FieldType::kString), Field("entity", FieldType::kString, std::nullopt, true),
                Field("tranDate", FieldType::kDate),     Field("memo", FieldType::kString),
                lines,                                    Field("billingAddress.city", FieldType::kString)};
  return req;
}

Value Line(std::vector<std::pair<const char*, Value>> entries) {
  std::vector<std::pair<Value, Value>> m;
  for (auto& [k, v] : entries) m.emplace_back(Value::String(k), v);
  return Value::Map(std::move(m));
}

api::CallResult Answer(long status, std::string body, crmx::http::Headers headers = {}) {
  api::CallResult c;
  c.response.status = status;
  c.response.body = std::move(body);
  c.response.headers = std::move(headers);
  c.attempts = 1;
  return c;
}

}  // namespace

TEST_CASE("crmx objects map to SuiteQL tables and REST record types") {
  CHECK(ns::TableFor("Customer").table == "customer");
  CHECK(ns::TableFor("Customer").record_type == "customer");
  CHECK(ns::TableFor("SalesOrder").table == "transaction");
  CHECK(ns::TableFor("SalesOrder").filter == "type = 'SalesOrd'");
  CHECK(ns::TableFor("SalesOrder").record_type == "salesOrder");
  CHECK(ns::TableFor("Invoice").filter == "type = 'CustInvc'");
  CHECK(ns::TableFor("customrecord_acme").table == "customrecord_acme");
}

TEST_CASE("SuiteQL selects lowercase columns, filters the transaction type, pushes down and reads from the cursor") {
  ReadRequest req;
  req.object = "SalesOrder";
  req.fields = {"entity", "externalId", "id", "isClosed", "lastModifiedDate", "status", "total", "tranDate"};
  req.types = {FieldType::kString, FieldType::kString, FieldType::kString, FieldType::kBool,
               FieldType::kDateTime, FieldType::kString, FieldType::kDecimal, FieldType::kDate};
  req.id_field = "id";
  req.pushdown = {
      SourceCondition{"status", FilterOp::kEq, Value::String("Pending Approval"), 0},
      SourceCondition{"total", FilterOp::kGe, Dec("100.5"), 1},
      SourceCondition{"status", FilterOp::kNe, Value::String("Closed"), 2},
      SourceCondition{"isClosed", FilterOp::kEq, Value::Bool(false), 3},
      SourceCondition{"tranDate", FilterOp::kLt, Value::Timestamp(crmx::value::Time{19723 * 86400, 0}), 4},
      SourceCondition{"status", FilterOp::kLt, Value::String("B"), 5},  // collation: left to the engine
      SourceCondition{"status", FilterOp::kEq, Value::String(""), 6},   // '' is NULL in SuiteQL
  };
  req.cursor = "lastModifiedDate";
  req.since = "2024-01-01T00:00:00Z";
  CHECK(ns::BuildSuiteQl(req) ==
        "SELECT entity, externalid, id, isclosed, lastmodifieddate, status, total, trandate FROM transaction"
        " WHERE type = 'SalesOrd'"
        " AND status = 'Pending Approval'"
        " AND (total >= 100.5 OR total IS NULL)"
        " AND (status <> 'Closed' OR status IS NULL)"
        " AND isclosed = 'F'"
        " AND (trandate < TO_DATE('2024-01-01', 'YYYY-MM-DD') OR trandate IS NULL)"
        " AND lastmodifieddate >= TO_TIMESTAMP('2024-01-01 00:00:00', 'YYYY-MM-DD HH24:MI:SS')"
        " ORDER BY lastmodifieddate");
  req.cursor.clear();
  req.pushdown.clear();
  req.object = "Customer";
  req.fields = {"companyName", "id"};
  req.types = {FieldType::kString, FieldType::kString};
  CHECK(ns::BuildSuiteQl(req) == "SELECT companyname, id FROM customer ORDER BY id");
}

TEST_CASE("dates can be selected in ISO form, whatever the account's date format") {
  ReadRequest req;
  req.object = "SalesOrder";
  req.fields = {"id", "lastModifiedDate", "tranDate"};
  req.types = {FieldType::kString, FieldType::kDateTime, FieldType::kDate};
  req.cursor = "lastModifiedDate";
  CHECK(ns::BuildSuiteQl(req, true) ==
        "SELECT id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD\"T\"HH24:MI:SS') AS lastmodifieddate,"
        " TO_CHAR(trandate, 'YYYY-MM-DD') AS trandate FROM transaction WHERE type = 'SalesOrd'"
        " ORDER BY lastmodifieddate");
}

TEST_CASE("a name with a quote, a backslash, a percent and a newline stays one SuiteQL literal") {
  const std::string name = "O'Brien \\ 100% _x\n'; DROP TABLE customer --";
  ReadRequest req;
  req.object = "Customer";
  req.fields = {"companyName"};
  req.types = {FieldType::kString};
  req.pushdown = {SourceCondition{"companyName", FilterOp::kEq, Value::String(name), 0}};
  std::string q = ns::BuildSuiteQl(req);
  CHECK(q == "SELECT companyname FROM customer WHERE companyname = 'O''Brien \\ 100% _x\n''; DROP TABLE customer --'");
  size_t open = q.find("companyname = '") + 14;
  crmx::testing::Literal lit = crmx::testing::ReadSqlLiteral(q, open);
  REQUIRE(lit.ok);
  CHECK(lit.text == name);
  CHECK(lit.end == q.size());
}

TEST_CASE("the upsert URL names the record type and the external id, replacing sublist lines") {
  WriteRequest req;
  req.object = "Customer";
  req.key_field = "externalId";
  req.fields = {Field("externalId", FieldType::kString), Field("companyName", FieldType::kString)};
  CHECK(ns::UpsertPath(req, "C-1/ä b") == "/services/rest/record/v1/customer/eid:C-1%2F%C3%A4%20b");
  CHECK(ns::UpsertPath(SalesOrders(), "006A") == "/services/rest/record/v1/salesOrder/eid:006A?replace=item");
}

TEST_CASE("the record body leaves out the key, writes references as {id} and the item sublist as items") {
  WriteRequest req = SalesOrders();
  std::vector<Value> values = {
      Value::String("006A"),
      Value::String("1234"),
      Value::Timestamp(crmx::value::Time{19813 * 86400, 0}),
      Value::String("Rush \"asap\""),
      Value::List({Line({{"item", Value::Int(55)}, {"quantity", Value::Int(2)}, {"rate", Dec("19.9")}}),
                   Line({{"item", Value::String("56")},
                         {"quantity", Dec("1.5")},
                         {"rate", Dec("5")},
                         {"description", Value::String("x")}})}),
      Value::String("Oslo"),
  };
  CHECK(ns::BuildRecordBody(req, values.data()) ==
        R"({"entity":{"id":"1234"},"tranDate":"2024-03-31","memo":"Rush \"asap\"","billingAddress":{"city":"Oslo"},)"
        R"("item":{"items":[{"item":{"id":"55"},"quantity":2,"rate":19.90},)"
        R"({"item":{"id":"56"},"quantity":1.5,"rate":5.00,"description":"x"}]}})");
  // A record without lines leaves the sublist alone; a null reference clears the field.
  values[4] = Value::Null();
  values[1] = Value::Null();
  CHECK(ns::BuildRecordBody(req, values.data()) ==
        R"({"entity":null,"tranDate":"2024-03-31","memo":"Rush \"asap\"","billingAddress":{"city":"Oslo"}})");
}

TEST_CASE("the internal id comes from the Location header") {
  CHECK(ns::IdFromLocation("https://123.suitetalk.api.netsuite.com/services/rest/record/v1/customer/1234") == "1234");
  CHECK(ns::IdFromLocation("/services/rest/record/v1/salesOrder/77/") == "77");
  CHECK(ns::IdFromLocation("") == "");
  WriteResult r = ns::ParseRecordAnswer(
      Answer(204, "", {{"Location", "http://127.0.0.1:1/services/rest/record/v1/customer/4321"}}), 9);
  CHECK(r.ok);
  CHECK(r.tag == 9);
  CHECK(r.id == "4321");
}

TEST_CASE("o:errorDetails become the result's code, message and fields") {
  WriteResult r = ns::ParseRecordAnswer(Answer(400, R"({
    "type":"https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1","title":"Bad Request","status":400,
    "o:errorDetails":[{"detail":"Please enter value(s) for: Company Name","o:errorPath":"companyName",
                       "o:errorCode":"USER_ERROR"}]})"),
                                        4);
  CHECK_FALSE(r.ok);
  CHECK(r.tag == 4);
  CHECK(r.http_status == 400);
  CHECK(r.code == "USER_ERROR");
  CHECK(r.message == "Please enter value(s) for: Company Name");
  CHECK(r.fields == std::vector<std::string>{"companyName"});
  CHECK_FALSE(r.retriable);
  CHECK(r.Describe() == "HTTP 400: USER_ERROR: Please enter value(s) for: Company Name (companyName)");
}

TEST_CASE("the request and concurrency limits mean \"not applied\"; validation errors do not") {
  crmx::http::Response r;
  r.status = 429;
  CHECK(ns::NotApplied(r));
  r.status = 400;
  r.body = R"({"title":"Bad Request","status":400,"o:errorDetails":[{"detail":"Concurrent request limit exceeded","o:errorCode":"CONCURRENCY_LIMIT_EXCEEDED"}]})";
  CHECK(ns::NotApplied(r));
  r.body = R"({"status":400,"o:errorDetails":[{"detail":"x","o:errorCode":"SSS_REQUEST_LIMIT_EXCEEDED"}]})";
  CHECK(ns::NotApplied(r));
  r.body = R"({"status":400,"o:errorDetails":[{"detail":"x","o:errorCode":"USER_ERROR"}]})";
  CHECK_FALSE(ns::NotApplied(r));
  WriteResult w = ns::ParseRecordAnswer(Answer(429, R"({"status":429,"title":"Too Many Requests"})"), 1);
  CHECK(w.retriable);
  CHECK(w.message == "Too Many Requests");
}
