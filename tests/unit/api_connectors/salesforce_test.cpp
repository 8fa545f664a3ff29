// Tests the Salesforce REST connector's text: SOQL (projection, pushdown, change cursor,
// escaping), the sObject Collections body and URL, and the parsing of its answers.
#include <doctest/doctest.h>

#include "runtime/connectors/salesforce/salesforce.h"
#include "tests/unit/api_connectors/query_text.h"
#include "tests/unit/api_connectors/test_support.h"

namespace sf = crmx::connectors::salesforce;
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

Value Day(int64_t days) { return Value::Timestamp(crmx::value::Time{days * 86400, 0}); }

ReadRequest Opportunities() {
  ReadRequest req;
  req.object = "Opportunity";
  req.fields = {"Account.Name", "Amount", "CloseDate", "Id", "IsWon", "StageName", "SystemModstamp"};
  req.types = {FieldType::kString, FieldType::kDecimal, FieldType::kDate, FieldType::kString,
               FieldType::kBool,   FieldType::kString,  FieldType::kDateTime};
  req.id_field = "Id";
  return req;
}

api::CallResult Answer(long status, std::string body) {
  api::CallResult c;
  c.response.status = status;
  c.response.body = std::move(body);
  c.attempts = 1;
  return c;
}

}  // namespace

TEST_CASE("SOQL selects the projection, pushes the `when` down and reads from the cursor with ties") {
  ReadRequest req = Opportunities();
  req.pushdown = {
      SourceCondition{"StageName", FilterOp::kEq, Value::String("Closed Won"), 0},
      SourceCondition{"Amount", FilterOp::kGt, Value::Int(0), 1},
      SourceCondition{"CloseDate", FilterOp::kGe, Day(19723), 2},  // 2024-01-01
      SourceCondition{"IsWon", FilterOp::kEq, Value::Bool(true), 3},
      // SOQL compares text without case: `!=` would drop records the VM keeps.
      SourceCondition{"StageName", FilterOp::kNe, Value::String("Lost"), 4},
      SourceCondition{"Amount", FilterOp::kIn, Value::List({Dec("10.50"), Value::Int(20), Value::String("x")}), 5},
      // A comparison the VM cannot make (text with a number) stays with the engine.
      SourceCondition{"StageName", FilterOp::kEq, Value::Int(3), 6},
  };
  req.cursor = "SystemModstamp";
  req.since = "2024-01-01T00:00:00.250Z";
  CHECK(sf::BuildSoql(req) ==
        "SELECT Account.Name, Amount, CloseDate, Id, IsWon, StageName, SystemModstamp FROM Opportunity"
        " WHERE StageName = 'Closed Won'"
        " AND (Amount > 0 OR Amount = null)"
        " AND (CloseDate >= 2024-01-01 OR CloseDate = null)"
        " AND IsWon = true"
        " AND Amount IN (10.50, 20)"  // `null in [...]` is false: nulls may go
        " AND SystemModstamp >= 2024-01-01T00:00:00Z"
        " ORDER BY SystemModstamp");
}

TEST_CASE("SOQL without pushdown or cursor is the projection alone") {
  ReadRequest req;
  req.object = "OpportunityLineItem";
  req.fields = {"OpportunityId", "Quantity", "UnitPrice", "Product2.ProductCode"};
  req.types = {FieldType::kString, FieldType::kDecimal, FieldType::kDecimal, FieldType::kString};
  CHECK(sf::BuildSoql(req) ==
        "SELECT OpportunityId, Quantity, UnitPrice, Product2.ProductCode FROM OpportunityLineItem");
}

TEST_CASE("a name with a quote, a backslash, a percent and a newline stays one SOQL literal") {
  const std::string name = "O'Brien \\ 100% _x\n\"y\"";
  ReadRequest req = Opportunities();
  req.pushdown = {SourceCondition{"StageName", FilterOp::kEq, Value::String(name), 0}};
  std::string q = sf::BuildSoql(req);
  CHECK(q ==
        "SELECT Account.Name, Amount, CloseDate, Id, IsWon, StageName, SystemModstamp FROM Opportunity"
        " WHERE StageName = 'O\\'Brien \\\\ 100% _x\\n\\\"y\\\"'");
  size_t open = q.find("StageName = '") + 12;
  crmx::testing::Literal lit = crmx::testing::ReadSoqlLiteral(q, open);
  REQUIRE(lit.ok);
  CHECK(lit.text == name);
  CHECK(lit.end == q.size());  // nothing of the value leaks out after the literal
  // In a LIKE pattern, % and _ match themselves.
  CHECK(sf::QuoteSoql("100%_off", true) == "'100\\%\\_off'");
  crmx::testing::Literal like = crmx::testing::ReadSoqlLiteral(sf::QuoteSoql(name, true), 0);
  REQUIRE(like.ok);
  CHECK(like.text == name);
}

TEST_CASE("a read that projects IsDeleted goes to queryAll with the same SOQL; any other read to query") {
  ReadRequest req = Opportunities();
  CHECK(sf::QueryResource(req) == "query");
  // A parent's deletion marker is a field of the parent: the read still leaves deleted rows out.
  req.fields.push_back("Account.IsDeleted");
  req.types.push_back(FieldType::kBool);
  CHECK(sf::QueryResource(req) == "query");
  for (const char* name : {"IsDeleted", "isdeleted", "ISDELETED"}) {
    ReadRequest r = req;
    r.fields.push_back(name);
    r.types.push_back(FieldType::kBool);
    CHECK(sf::QueryResource(r) == "queryAll");
  }
  req.fields.push_back("IsDeleted");
  req.types.push_back(FieldType::kBool);
  req.cursor = "SystemModstamp";
  req.since = "2024-01-01T00:00:00Z";
  req.pushdown = {SourceCondition{"StageName", FilterOp::kEq, Value::String("Closed Won"), 0}};
  CHECK(sf::BuildSoql(req) ==
        "SELECT Account.Name, Amount, CloseDate, Id, IsWon, StageName, SystemModstamp, Account.IsDeleted, IsDeleted"
        " FROM Opportunity WHERE StageName = 'Closed Won' AND SystemModstamp >= 2024-01-01T00:00:00Z"
        " ORDER BY SystemModstamp");
}

TEST_CASE("an upsert by external id goes to the collection of its field; a key of Id updates by Id") {
  WriteRequest req;
  req.object = "Customer__c";
  req.key_field = "ExternalId__c";
  req.id_field = "Id";
  CHECK(sf::WritePath("v61.0", req) == "/services/data/v61.0/composite/sobjects/Customer__c/ExternalId__c");
  req.object = "Opportunity";
  req.key_field = "Id";
  CHECK(sf::WritePath("61.0", req) == "/services/data/v61.0/composite/sobjects");
}

TEST_CASE("the collection body has attributes, nested paths as objects and exact decimals at the target scale") {
  WriteRequest req;
  req.object = "Opportunity";
  req.key_field = "ERP_Id__c";
  req.fields = {Field("ERP_Id__c", FieldType::kString), Field("Amount", FieldType::kDecimal, 2),
                Field("CloseDate", FieldType::kDate), Field("Billing.city", FieldType::kString),
                Field("Billing.geo.lat", FieldType::kDecimal), Field("Description", FieldType::kString)};
  std::vector<std::vector<Value>> rows = {
      {Value::String("SO-1"), Dec("9999999999999999.5"), Day(19813), Value::String("Zürich \"HQ\""), Dec("47.376887"),
       Value::Null()},
      {Value::String("SO-2"), Value::Int(12), Day(0), Value::String("Oslo"), Dec("59.9"), Value::String("a\nb")},
  };
  CHECK(sf::BuildCollectionBody(req, rows) ==
        R"({"allOrNone":false,"records":[)"
        R"({"attributes":{"type":"Opportunity"},"ERP_Id__c":"SO-1","Amount":9999999999999999.50,"CloseDate":"2024-03-31",)"
        R"("Billing":{"city":"Zürich \"HQ\"","geo":{"lat":47.376887}},"Description":null},)"
        R"({"attributes":{"type":"Opportunity"},"ERP_Id__c":"SO-2","Amount":12,"CloseDate":"1970-01-01",)"
        R"("Billing":{"city":"Oslo","geo":{"lat":59.9}},"Description":"a\nb"}]})");
}

TEST_CASE("each record's UpsertResult goes back to its tag, in order") {
  api::CallResult call = Answer(200, R"([
    {"id":"006A","success":true,"errors":[],"created":true},
    {"id":null,"success":false,"errors":[{"statusCode":"REQUIRED_FIELD_MISSING","message":"Required fields are missing: [Name]","fields":["Name"]}]},
    {"id":"006C","success":true,"errors":[],"created":false},
    {"success":false,"errors":[{"statusCode":"UNABLE_TO_LOCK_ROW","message":"unable to obtain exclusive access to this record","fields":[]}]}
  ])");
  std::vector<WriteResult> r = sf::ParseCollectionAnswer(call, {10, 11, 12, 13, 14});
  REQUIRE(r.size() == 5);
  CHECK(r[0].tag == 10);
  CHECK(r[0].ok);
  CHECK(r[0].id == "006A");
  CHECK(r[0].created);
  CHECK(r[1].tag == 11);
  CHECK_FALSE(r[1].ok);
  CHECK(r[1].code == "REQUIRED_FIELD_MISSING");
  CHECK(r[1].message == "Required fields are missing: [Name]");
  CHECK(r[1].fields == std::vector<std::string>{"Name"});
  CHECK_FALSE(r[1].retriable);
  CHECK(r[2].ok);
  CHECK_FALSE(r[2].created);
  CHECK(r[3].code == "UNABLE_TO_LOCK_ROW");
  CHECK(r[3].retriable);
  // An answer shorter than the request: the missing record is a failure, never dropped.
  CHECK(r[4].tag == 14);
  CHECK_FALSE(r[4].ok);
  CHECK(r[4].code == "NO_RESULT");
}

TEST_CASE("a whole request's failure fails every record of the batch with the vendor's reason") {
  std::vector<uint64_t> tags = {1, 2, 3};
  std::vector<WriteResult> r =
      sf::ParseCollectionAnswer(Answer(503, R"([{"errorCode":"SERVER_UNAVAILABLE","message":"try later"}])"), tags);
  REQUIRE(r.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(r[i].tag == tags[i]);
    CHECK_FALSE(r[i].ok);
    CHECK(r[i].http_status == 503);
    CHECK(r[i].code == "SERVER_UNAVAILABLE");
    CHECK(r[i].message == "try later");
    CHECK(r[i].retriable);
  }
  r = sf::ParseCollectionAnswer(
      Answer(403, R"([{"errorCode":"REQUEST_LIMIT_EXCEEDED","message":"TotalRequests Limit exceeded."}])"), tags);
  CHECK(r[0].retriable);
  r = sf::ParseCollectionAnswer(Answer(400, R"([{"errorCode":"INVALID_FIELD","message":"No such column 'Foo'"}])"),
                                tags);
  CHECK_FALSE(r[2].retriable);
  CHECK(r[2].Describe() == "HTTP 400: INVALID_FIELD: No such column 'Foo'");
  api::CallResult lost = Answer(0, "");
  lost.response.transport_error = "timeout: Operation timed out after 60000 milliseconds";
  r = sf::ParseCollectionAnswer(lost, tags);
  REQUIRE(r.size() == 3);
  CHECK(r[1].code == "timeout");
  CHECK(r[1].http_status == 0);
  CHECK(r[1].retriable);
}
