// Tests the shared pieces of the API connectors (runtime/connectors/api): the exact JSON tree,
// rows by projection, the limits header, Retry-After and the retriable-failure table.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "runtime/connectors/api/call.h"
#include "runtime/connectors/api/json.h"

namespace api = crmx::connectors::api;
using crmx::plan::FieldType;
using crmx::value::Kind;
using crmx::value::Value;

TEST_CASE("a decimal in an answer keeps its digits, never passing through a double") {
  api::JsonNode root;
  std::string error;
  REQUIRE(api::ParseJson(R"({"Amount": 9999999999999999.99, "Rate": 0.1, "Qty": 12, "Big": 123456789012345678901234567890})",
                         root, error));
  Value amount = api::NodeValue(*root.Find("Amount"), FieldType::kDecimal, "Amount");
  REQUIRE(amount.kind() == Kind::kDecimal);
  CHECK(amount.AsDecimal().ToString() == "9999999999999999.99");
  CHECK(api::NodeValue(*root.Find("Rate"), FieldType::kDecimal, "Rate").AsDecimal().ToString() == "0.1");
  CHECK(api::NodeValue(*root.Find("Qty"), FieldType::kDecimal, "Qty").AsDecimal().ToString() == "12");
  CHECK(api::NodeValue(*root.Find("Qty"), FieldType::kInt, "Qty").AsInt() == 12);
  Value big = api::NodeValue(*root.Find("Big"), FieldType::kDecimal, "Big");
  REQUIRE(big.kind() == Kind::kDecimal);
  CHECK(big.AsDecimal().ToString() == "123456789012345678901234567890");
  // A field typed `any` is exact too.
  CHECK(api::NodeValue(*root.Find("Amount"), FieldType::kAny, "Amount").AsDecimal().ToString() ==
        "9999999999999999.99");
}

TEST_CASE("rows follow the projection: dotted names read nested objects, types convert") {
  api::JsonNode rec;
  std::string error;
  REQUIRE(api::ParseJson(R"({"attributes":{"type":"Opportunity"},"Id":"006A","Amount":"1500.50",
      "CloseDate":"2024-03-31","IsWon":true,"Account":{"attributes":{},"Name":"Acme \"Intl\""},
      "Owner":null,"LastModified":"2024-01-02T03:04:05.000+0000"})",
                         rec, error));
  std::vector<Value> row;
  api::AppendRow(rec, {"Id", "Amount", "CloseDate", "IsWon", "Account.Name", "Owner.Name", "Missing", "LastModified"},
                 {FieldType::kString, FieldType::kDecimal, FieldType::kDate, FieldType::kBool, FieldType::kString,
                  FieldType::kString, FieldType::kInt, FieldType::kDateTime},
                 row);
  REQUIRE(row.size() == 8);
  CHECK(row[0].AsText() == "006A");
  CHECK(row[1].AsDecimal().ToString() == "1500.50");
  CHECK(crmx::value::FormatTimestamp(row[2].AsTime()) == "2024-03-31T00:00:00Z");
  CHECK(row[3].IsTrue());
  CHECK(row[4].AsText() == "Acme \"Intl\"");
  CHECK_FALSE(row[4].IsBorrowed());
  CHECK(row[5].IsNull());  // a null parent
  CHECK(row[6].IsNull());  // absent
  CHECK(crmx::value::FormatTimestamp(row[7].AsTime()) == "2024-01-02T03:04:05Z");
}

TEST_CASE("a value not of the field's type is an error value naming the field") {
  api::JsonNode n;
  std::string error;
  REQUIRE(api::ParseJson(R"("abc")", n, error));
  Value v = api::NodeValue(n, FieldType::kDecimal, "Amount");
  REQUIRE(v.IsError());
  CHECK(v.ErrorReason().find("Amount") != std::string::npos);
}

TEST_CASE("malformed answers are errors, not exceptions") {
  api::JsonNode n;
  std::string error;
  CHECK_FALSE(api::ParseJson("{\"a\": ", n, error));
  CHECK_FALSE(error.empty());
  CHECK_FALSE(api::ParseJson("<html>", n, error));
}

TEST_CASE("Sforce-Limit-Info gives the calls used and allowed") {
  int64_t used = 0, max = 0;
  REQUIRE(api::ParseLimitInfo("api-usage=25/15000", used, max));
  CHECK(used == 25);
  CHECK(max == 15000);
  REQUIRE(api::ParseLimitInfo("per-app-api-usage=2/250(appName=x), api-usage=18/5000", used, max));
  CHECK(used == 18);
  CHECK(max == 5000);
  CHECK_FALSE(api::ParseLimitInfo("per-app-api-usage=2/250", used, max));
  CHECK_FALSE(api::ParseLimitInfo("", used, max));

  api::LimitsTracker t;
  crmx::http::Response r;
  r.status = 200;
  r.headers = {{"sforce-limit-info", "api-usage=7/100"}};
  t.Observe(r);
  crmx::http::Response none;
  none.status = 200;
  t.Observe(none);  // an answer without the header keeps the last value
  CHECK(t.Latest() == "api-usage=7/100");
  CHECK(t.Used() == 7);
  CHECK(t.Max() == 100);
}

TEST_CASE("Retry-After in seconds; anything else asks for no particular wait") {
  crmx::http::Response r;
  r.headers = {{"Retry-After", "3"}};
  CHECK(api::RetryAfter(r).count() == 3000);
  r.headers = {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}};
  CHECK(api::RetryAfter(r).count() == -1);
  r.headers = {};
  CHECK(api::RetryAfter(r).count() == -1);
}

TEST_CASE("one table says which failures are worth sending again") {
  CHECK(api::Retriable(0, "timeout"));
  CHECK(api::Retriable(429, ""));
  CHECK(api::Retriable(503, ""));
  CHECK(api::Retriable(502, ""));
  CHECK(api::Retriable(504, ""));
  CHECK(api::Retriable(403, "REQUEST_LIMIT_EXCEEDED"));
  CHECK(api::Retriable(200, "UNABLE_TO_LOCK_ROW"));
  CHECK(api::Retriable(400, "SSS_REQUEST_LIMIT_EXCEEDED"));
  CHECK(api::Retriable(400, "CONCURRENCY_LIMIT_EXCEEDED"));
  CHECK_FALSE(api::Retriable(400, "REQUIRED_FIELD_MISSING"));
  CHECK_FALSE(api::Retriable(400, "USER_ERROR"));
  CHECK_FALSE(api::Retriable(404, "NOT_FOUND"));
  CHECK(api::Retriable(401, "INVALID_SESSION_ID"));
  CHECK(api::Retriable(401, "INVALID_LOGIN"));
}

TEST_CASE("the failure table: each row classifies as Retriable says, and docs/operations.md lists it") {
  std::ifstream in(std::string(CRMX_SOURCE_DIR) + "/docs/operations.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  size_t at = doc.find("### Which failures are retried");
  REQUIRE(at != std::string::npos);
  std::string table = doc.substr(at, doc.find("\n### ", at + 1) - at);
  int rows = 0;
  for (const api::FailureClass& f : api::FailureTable()) {
    ++rows;
    if (f.code.empty()) {
      CHECK(api::Retriable(f.status, "") == f.retriable);
      bool listed = f.status == 0 || table.find(std::to_string(f.status)) != std::string::npos;
      CHECK_MESSAGE(listed, f.status);
    } else {
      CHECK_MESSAGE(api::Retriable(400, f.code) == f.retriable, f.code);
      CHECK_MESSAGE(table.find("`" + std::string(f.code) + "`") != std::string::npos, f.code);
    }
  }
  CHECK(rows > 20);
}
