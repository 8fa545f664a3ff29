// Tests whole reads and writes of the Salesforce and NetSuite connectors against a local HTTP
// server answering canned vendor bodies (fake_vendor.h): paging, logins and re-logins, the
// limits header, retries of reads, per-record results of writes, batches, concurrency.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <tuple>

#include "runtime/connectors/api/open_api.h"
#include "runtime/connectors/netsuite/netsuite.h"
#include "runtime/connectors/salesforce/salesforce.h"
#include "tests/unit/api_connectors/fake_vendor.h"
#include "tests/unit/api_connectors/test_support.h"

namespace api = crmx::connectors::api;
namespace connectors = crmx::connectors;
using crmx::plan::FieldType;
using crmx::plan::TargetField;
using crmx::profile::Secret;
using crmx::profile::SystemProfile;
using crmx::testing::Answer;
using crmx::testing::FakeVendor;
using crmx::testing::Seen;
using crmx::testing::TestSession;
using crmx::value::Value;

namespace {

SystemProfile SalesforceProfile(const std::string& url) {
  SystemProfile p;
  p.name = "crm";
  p.kind = "salesforce";
  p.base_url = url;
  p.api_version = "v61.0";
  p.auth.method = "oauth2_client_credentials";
  p.auth.params["client_id"] = "client-1";
  p.auth.secrets["client_secret"] = Secret("env:SF_CLIENT_SECRET", "very-secret-value");
  return p;
}

SystemProfile NetSuiteProfile(const std::string& url, int concurrency) {
  SystemProfile p;
  p.name = "erp";
  p.kind = "netsuite";
  p.base_url = url;
  p.account_id = "123456_SB1";
  p.concurrency = concurrency;
  p.auth.method = "tba";
  p.auth.params["consumer_key"] = "ck";
  p.auth.params["token_id"] = "tid";
  p.auth.secrets["consumer_secret"] = Secret("env:NS_CS", "consumer-secret");
  p.auth.secrets["token_secret"] = Secret("env:NS_TS", "token-secret");
  return p;
}

std::string TokenBody(const FakeVendor& v, int n) {
  return R"({"access_token":"tok-)" + std::to_string(n) + R"(","instance_url":")" + v.Url() +
         R"(","token_type":"Bearer"})";
}

TargetField Field(const std::string& name, FieldType type, bool reference = false) {
  TargetField f;
  f.name = name;
  f.path = {name};
  f.type = type;
  f.reference = reference;
  return f;
}

// Every record of a read, row by row (values owned).
std::vector<std::vector<Value>> ReadAll(connectors::RecordReader& r, size_t& batches) {
  std::vector<std::vector<Value>> rows;
  connectors::RecordBatch b;
  batches = 0;
  while (r.Next(b)) {
    ++batches;
    for (size_t i = 0; i < b.size(); ++i) {
      std::vector<Value> row;
      for (size_t j = 0; j < b.width; ++j) row.push_back(b.Row(i)[j].Owned());
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

}  // namespace

TEST_CASE("Salesforce: a read logs in, follows nextRecordsUrl until done and keeps the limits") {
  std::atomic<int> logins{0};
  FakeVendor* self = nullptr;
  FakeVendor v([&](const Seen& s) -> Answer {
    if (s.path == "/services/oauth2/token") return {200, TokenBody(*self, ++logins), {}};
    if (s.path == "/services/data/v61.0/query")
      return {200,
              R"({"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v61.0/query/01gX-2000","records":[
                {"attributes":{"type":"Opportunity","url":"/x"},"Id":"006A","Amount":9999999999999999.99,"Account":{"attributes":{},"Name":"Acme"}},
                {"attributes":{"type":"Opportunity"},"Id":"006B","Amount":null,"Account":null}]})",
              {{"Sforce-Limit-Info", "api-usage=10/15000"}}};
    if (s.path == "/services/data/v61.0/query/01gX-2000")
      return {200,
              R"({"totalSize":3,"done":true,"records":[{"attributes":{},"Id":"006C","Amount":12.5,"Account":{"Name":"O'Brien"}}]})",
              {{"Sforce-Limit-Info", "api-usage=11/15000"}}};
    return {404, R"([{"errorCode":"NOT_FOUND","message":"no such resource"}])", {}};
  });
  self = &v;
  auto conn = connectors::salesforce::Open(TestSession(SalesforceProfile(v.Url())));
  connectors::ReadRequest req;
  req.object = "Opportunity";
  req.fields = {"Id", "Amount", "Account.Name"};
  req.types = {FieldType::kString, FieldType::kDecimal, FieldType::kString};
  req.batch = 2;
  std::string error;
  auto reader = conn->OpenReader(req, error);
  REQUIRE(reader);
  size_t batches = 0;
  auto rows = ReadAll(*reader, batches);
  CHECK(reader->error() == "");
  REQUIRE(rows.size() == 3);
  CHECK(batches == 2);
  CHECK(rows[0][0].AsText() == "006A");
  CHECK(rows[0][1].AsDecimal().ToString() == "9999999999999999.99");
  CHECK(rows[0][2].AsText() == "Acme");
  CHECK(rows[1][1].IsNull());
  CHECK(rows[1][2].IsNull());
  CHECK(rows[2][1].AsDecimal().ToString() == "12.5");
  CHECK(rows[2][2].AsText() == "O'Brien");
  CHECK(reader->Total() == 3);

  auto queries = v.Requests("/services/data/");
  REQUIRE(queries.size() == 2);
  CHECK(queries[0].Param("q") == "SELECT Id, Amount, Account.Name FROM Opportunity");
  CHECK(queries[0].Header("Authorization") == "Bearer tok-1");
  CHECK(queries[0].Header("Sforce-Query-Options") == "batchSize=200");  // 200..2000
  CHECK(queries[1].path == "/services/data/v61.0/query/01gX-2000");
  CHECK(logins == 1);
  CHECK(reader->Calls() == 3);  // the login and two pages
  CHECK(conn->Limits() == "api-usage=11/15000");
}

TEST_CASE("Salesforce: an expired session logs in again once") {
  std::atomic<int> logins{0};
  std::atomic<int> queries{0};
  FakeVendor* self = nullptr;
  FakeVendor v([&](const Seen& s) -> Answer {
    if (s.path == "/services/oauth2/token") return {200, TokenBody(*self, ++logins), {}};
    if (++queries == 1) return {401, R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])", {}};
    return {200, R"({"totalSize":1,"done":true,"records":[{"Id":"001A"}]})", {}};
  });
  self = &v;
  auto conn = connectors::salesforce::Open(TestSession(SalesforceProfile(v.Url())));
  connectors::ReadRequest req;
  req.object = "Account";
  req.fields = {"Id"};
  req.types = {FieldType::kString};
  std::string error;
  auto reader = conn->OpenReader(req, error);
  size_t batches = 0;
  auto rows = ReadAll(*reader, batches);
  REQUIRE(rows.size() == 1);
  CHECK(logins == 2);
  auto sent = v.Requests("/services/data/");
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].Header("Authorization") == "Bearer tok-1");
  CHECK(sent[1].Header("Authorization") == "Bearer tok-2");
}

TEST_CASE("Salesforce: a read retries 503 after Retry-After, a bounded number of times") {
  std::atomic<int> queries{0};
  std::atomic<int> fail_first{1};
  FakeVendor* self = nullptr;
  FakeVendor v([&](const Seen& s) -> Answer {
    if (s.path == "/services/oauth2/token") return {200, TokenBody(*self, 1), {}};
    if (++queries <= fail_first)
      return {503, R"([{"errorCode":"SERVER_UNAVAILABLE","message":"busy"}])", {{"Retry-After", "2"}}};
    return {200, R"({"totalSize":1,"done":true,"records":[{"Id":"001A"}]})", {}};
  });
  self = &v;
  std::vector<int64_t> waits;
  auto conn = connectors::salesforce::Open(TestSession(SalesforceProfile(v.Url()), &waits));
  connectors::ReadRequest req;
  req.object = "Account";
  req.fields = {"Id"};
  req.types = {FieldType::kString};
  std::string error;
  size_t batches = 0;
  auto reader = conn->OpenReader(req, error);
  CHECK(ReadAll(*reader, batches).size() == 1);
  CHECK(waits == std::vector<int64_t>{2000});

  queries = 0;
  fail_first = 100;
  waits.clear();
  reader = conn->OpenReader(req, error);
  CHECK(ReadAll(*reader, batches).empty());
  CHECK(queries == 4);  // CallPolicy::attempts
  CHECK(waits.size() == 3);
  CHECK(reader->error().find("HTTP 503: SERVER_UNAVAILABLE: busy") != std::string::npos);
}

TEST_CASE("Salesforce: a lost query locator restarts the query without handing a record out twice") {
  std::atomic<int> second_pages{0};
  FakeVendor* self = nullptr;
  FakeVendor v([&](const Seen& s) -> Answer {
    if (s.path == "/services/oauth2/token") return {200, TokenBody(*self, 1), {}};
    if (s.path == "/services/data/v61.0/query")
      return {200,
              R"({"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v61.0/query/01g-2","records":[{"Id":"001A"},{"Id":"001B"}]})",
              {}};
    if (++second_pages == 1) return {400, R"([{"errorCode":"INVALID_QUERY_LOCATOR","message":"invalid query locator"}])", {}};
    return {200, R"({"totalSize":3,"done":true,"records":[{"Id":"001C"}]})", {}};
  });
  self = &v;
  auto conn = connectors::salesforce::Open(TestSession(SalesforceProfile(v.Url())));
  connectors::ReadRequest req;
  req.object = "Account";
  req.fields = {"Id"};
  req.types = {FieldType::kString};
  req.id_field = "Id";
  std::string error;
  auto reader = conn->OpenReader(req, error);
  size_t batches = 0;
  auto rows = ReadAll(*reader, batches);
  CHECK(reader->error() == "");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0][0].AsText() == "001A");
  CHECK(rows[1][0].AsText() == "001B");
  CHECK(rows[2][0].AsText() == "001C");
  CHECK(v.Requests("/services/data/v61.0/query").size() == 4);  // query, lost locator, query again, locator
}

TEST_CASE("Salesforce: a read that projects IsDeleted uses queryAll and hands out deleted records; others use query") {
  FakeVendor* self = nullptr;
  FakeVendor v([&](const Seen& s) -> Answer {
    if (s.path == "/services/oauth2/token") return {200, TokenBody(*self, 1), {}};
    // queryAll: a live record and one in the recycle bin; its nextRecordsUrl says `query`, as
    // Salesforce's does (the locator carries on the queryAll).
    if (s.path == "/services/data/v61.0/queryAll")
      return {200,
              R"({"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v61.0/query/01gALL-2","records":[
                {"attributes":{"type":"Account"},"Id":"001A","Name":"Live","IsDeleted":false,"SystemModstamp":"2024-01-02T00:00:00.000+0000"},
                {"attributes":{"type":"Account"},"Id":"001B","Name":"Gone","IsDeleted":true,"SystemModstamp":"2024-03-04T05:06:07.000+0000"}]})",
              {}};
    if (s.path == "/services/data/v61.0/query/01gALL-2")
      return {200,
              R"({"totalSize":3,"done":true,"records":[
                {"attributes":{"type":"Account"},"Id":"001C","Name":"Also gone","IsDeleted":true,"SystemModstamp":"2024-03-05T00:00:00.000+0000"}]})",
              {}};
    if (s.path == "/services/data/v61.0/query")
      return {200, R"({"totalSize":1,"done":true,"records":[{"attributes":{"type":"Account"},"Id":"001A","Name":"Live"}]})", {}};
    return {404, R"([{"errorCode":"NOT_FOUND","message":"no such resource"}])", {}};
  });
  self = &v;
  auto conn = connectors::salesforce::Open(TestSession(SalesforceProfile(v.Url())));
  connectors::ReadRequest req;
  req.object = "Account";
  req.fields = {"Id", "Name", "IsDeleted", "SystemModstamp"};
  req.types = {FieldType::kString, FieldType::kString, FieldType::kBool, FieldType::kDateTime};
  req.id_field = "Id";
  req.cursor = "SystemModstamp";
  req.since = "2024-01-01T00:00:00Z";
  std::string error;
  auto reader = conn->OpenReader(req, error);
  REQUIRE(reader);
  size_t batches = 0;
  auto rows = ReadAll(*reader, batches);
  CHECK(reader->error() == "");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0][0].AsText() == "001A");
  CHECK(rows[0][2].AsBool() == false);
  CHECK(rows[1][0].AsText() == "001B");
  CHECK(rows[1][2].AsBool() == true);
  CHECK(rows[2][0].AsText() == "001C");
  CHECK(rows[2][2].AsBool() == true);
  auto calls = v.Requests("/services/data/");
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].path == "/services/data/v61.0/queryAll");
  // The same SOQL as a query would send: the cursor with ties, ordered by it.
  CHECK(calls[0].Param("q") ==
        "SELECT Id, Name, IsDeleted, SystemModstamp FROM Account WHERE SystemModstamp >= 2024-01-01T00:00:00Z"
        " ORDER BY SystemModstamp");
  CHECK(calls[1].path == "/services/data/v61.0/query/01gALL-2");

  // Without IsDeleted in the projection: the query resource, which leaves deleted records out.
  req.fields = {"Id", "Name"};
  req.types = {FieldType::kString, FieldType::kString};
  req.cursor.clear();
  req.since.clear();
  reader = conn->OpenReader(req, error);
  REQUIRE(reader);
  rows = ReadAll(*reader, batches);
  CHECK(reader->error() == "");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0].AsText() == "001A");
  calls = v.Requests("/services/data/");
  REQUIRE(calls.size() == 3);
  CHECK(calls[2].path == "/services/data/v61.0/query");
  CHECK(calls[2].Param("q") == "SELECT Id, Name FROM Account");
}

TEST_CASE("Salesforce: a lost queryAll locator restarts the queryAll, not a query") {
  std::atomic<int> pages{0};
  FakeVendor* self = nullptr;
  FakeVendor v([&](const Seen& s) -> Answer {
    if (s.path == "/services/oauth2/token") return {200, TokenBody(*self, 1), {}};
    if (s.path == "/services/data/v61.0/queryAll")
      return {200,
              R"({"totalSize":2,"done":false,"nextRecordsUrl":"/services/data/v61.0/query/01g-1","records":[{"Id":"001A","IsDeleted":true}]})",
              {}};
    if (s.path == "/services/data/v61.0/query/01g-1") {
      if (++pages == 1) return {400, R"([{"errorCode":"INVALID_QUERY_LOCATOR","message":"invalid query locator"}])", {}};
      return {200, R"({"totalSize":2,"done":true,"records":[{"Id":"001B","IsDeleted":false}]})", {}};
    }
    return {404, R"([{"errorCode":"NOT_FOUND","message":"no such resource"}])", {}};
  });
  self = &v;
  auto conn = connectors::salesforce::Open(TestSession(SalesforceProfile(v.Url())));
  connectors::ReadRequest req;
  req.object = "Account";
  req.fields = {"Id", "IsDeleted"};
  req.types = {FieldType::kString, FieldType::kBool};
  req.id_field = "Id";
  std::string error;
  auto reader = conn->OpenReader(req, error);
  size_t batches = 0;
  auto rows = ReadAll(*reader, batches);
  CHECK(reader->error() == "");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0][0].AsText() == "001A");
  CHECK(rows[0][1].AsBool());
  CHECK(rows[1][0].AsText() == "001B");
  std::vector<std::string> paths;
  for (const Seen& s : v.Requests("/services/data/")) paths.push_back(s.path);
  // The first queryAll, the lost locator, the queryAll again (never a query), the locator.
  CHECK(paths == std::vector<std::string>{"/services/data/v61.0/queryAll", "/services/data/v61.0/query/01g-1",
                                          "/services/data/v61.0/queryAll", "/services/data/v61.0/query/01g-1"});
}

TEST_CASE("Salesforce: writes go 200 to a collection upsert, each result back to its record") {
  FakeVendor* self = nullptr;
  FakeVendor v([&](const Seen& s) -> Answer {
    if (s.path == "/services/oauth2/token") return {200, TokenBody(*self, 1), {}};
    api::JsonNode body;
    std::string error;
    if (s.method != "PATCH" || !api::ParseJson(s.body, body, error)) return {400, "[]", {}};
    std::string out = "[";
    const api::JsonNode* records = body.Find("records");
    for (size_t i = 0; i < records->items.size(); ++i) {
      std::string key = records->items[i].Find("ERP_Id__c")->Text();
      if (i) out += ",";
      if (key == "K-7")
        out += R"({"id":null,"success":false,"errors":[{"statusCode":"DUPLICATE_VALUE","message":"duplicate value found","fields":["ERP_Id__c"]}]})";
      else
        out += R"({"id":"a0)" + key + R"(","success":true,"errors":[],"created":true})";
    }
    return {200, out + "]", {{"Sforce-Limit-Info", "api-usage=3/15000"}}};
  });
  self = &v;
  auto conn = connectors::salesforce::Open(TestSession(SalesforceProfile(v.Url())));
  connectors::WriteRequest req;
  req.object = "Order__c";
  req.key_field = "ERP_Id__c";
  req.id_field = "Id";
  req.fields = {Field("ERP_Id__c", FieldType::kString), Field("Name", FieldType::kString)};
  std::string error;
  auto w = conn->OpenWriter(req, error);
  REQUIRE(w);
  std::vector<connectors::WriteResult> done;
  for (uint64_t i = 0; i < 250; ++i) {
    std::vector<Value> row = {Value::String("K-" + std::to_string(i)), Value::String("n")};
    REQUIRE(w->Add(row.data(), 1000 + i, done, error));
  }
  CHECK(done.size() == 200);  // the first full batch was sent
  // A record without its key fails at once.
  std::vector<Value> keyless = {Value::Null(), Value::String("n")};
  REQUIRE(w->Add(keyless.data(), 5000, done, error));
  REQUIRE(w->Commit(done, error));
  REQUIRE(done.size() == 251);
  std::vector<uint64_t> tags;
  for (const auto& r : done) tags.push_back(r.tag);
  std::sort(tags.begin(), tags.end());
  CHECK(std::adjacent_find(tags.begin(), tags.end()) == tags.end());  // each record exactly once
  for (const auto& r : done) {
    if (r.tag == 1007) {
      CHECK_FALSE(r.ok);
      CHECK(r.code == "DUPLICATE_VALUE");
      CHECK(r.fields == std::vector<std::string>{"ERP_Id__c"});
    } else if (r.tag == 5000) {
      CHECK_FALSE(r.ok);
      CHECK(r.code == "MISSING_KEY");
    } else {
      CHECK(r.ok);
      CHECK(r.id == "a0K-" + std::to_string(r.tag - 1000));
    }
  }
  auto patches = v.Requests("/services/data/v61.0/composite/sobjects/Order__c/ERP_Id__c");
  REQUIRE(patches.size() == 2);
  api::JsonNode first, second;
  REQUIRE(api::ParseJson(patches[0].body, first, error));
  REQUIRE(api::ParseJson(patches[1].body, second, error));
  CHECK(first.Find("records")->items.size() == 200);
  CHECK(second.Find("records")->items.size() == 50);
  CHECK(first.Find("allOrNone")->text == "false");
  CHECK(first.Find("records")->items[0].Path("attributes.type")->text == "Order__c");
  CHECK(w->Calls() == 3);
  CHECK(conn->Limits() == "api-usage=3/15000");
}

TEST_CASE("Salesforce: a whole batch's 503 or a lost answer fails each record, retriable; writes are not resent") {
  std::atomic<int> patches{0};
  FakeVendor* self = nullptr;
  FakeVendor v([&](const Seen& s) -> Answer {
    if (s.path == "/services/oauth2/token") return {200, TokenBody(*self, 1), {}};
    ++patches;
    return {503, R"([{"errorCode":"SERVER_UNAVAILABLE","message":"Service Unavailable"}])", {{"Retry-After", "1"}}};
  });
  self = &v;
  auto conn = connectors::salesforce::Open(TestSession(SalesforceProfile(v.Url())));
  connectors::WriteRequest req;
  req.object = "Opportunity";
  req.key_field = "Id";
  req.id_field = "Id";
  req.fields = {Field("Id", FieldType::kString), Field("ERP_Status__c", FieldType::kString)};
  std::string error;
  auto w = conn->OpenWriter(req, error);
  std::vector<connectors::WriteResult> done;
  for (uint64_t i = 0; i < 3; ++i) {
    std::vector<Value> row = {Value::String("006" + std::to_string(i)), Value::String("Billed")};
    REQUIRE(w->Add(row.data(), i, done, error));
  }
  REQUIRE(w->Flush(done, error));
  REQUIRE(done.size() == 3);
  for (uint64_t i = 0; i < 3; ++i) {
    CHECK(done[i].tag == i);
    CHECK_FALSE(done[i].ok);
    CHECK(done[i].http_status == 503);
    CHECK(done[i].code == "SERVER_UNAVAILABLE");
    CHECK(done[i].retriable);
  }
  CHECK(patches == 1);
  // Key `Id`: the update-by-Id collection, the Id in each record.
  auto sent = v.Requests("/services/data/");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].path == "/services/data/v61.0/composite/sobjects");
  CHECK(sent[0].body ==
        R"({"allOrNone":false,"records":[{"attributes":{"type":"Opportunity"},"Id":"0060","ERP_Status__c":"Billed"},)"
        R"({"attributes":{"type":"Opportunity"},"Id":"0061","ERP_Status__c":"Billed"},)"
        R"({"attributes":{"type":"Opportunity"},"Id":"0062","ERP_Status__c":"Billed"}]})");
}

TEST_CASE("Salesforce: an instance that does not answer gives every record a retriable transport failure") {
  FakeVendor v([&](const Seen&) -> Answer {
    // Logs in, but sends the API calls to a port nothing listens on.
    return {200, R"({"access_token":"t","instance_url":"http://127.0.0.1:1"})", {}};
  });
  auto conn = connectors::salesforce::Open(TestSession(SalesforceProfile(v.Url())));
  connectors::WriteRequest req;
  req.object = "Account";
  req.key_field = "Ext__c";
  req.fields = {Field("Ext__c", FieldType::kString)};
  std::string error;
  auto w = conn->OpenWriter(req, error);
  std::vector<connectors::WriteResult> done;
  std::vector<Value> row = {Value::String("x")};
  REQUIRE(w->Add(row.data(), 7, done, error));
  REQUIRE(w->Commit(done, error));
  REQUIRE(done.size() == 1);
  CHECK(done[0].tag == 7);
  CHECK_FALSE(done[0].ok);
  CHECK(done[0].http_status == 0);
  CHECK(done[0].code == "connection refused");
  CHECK(done[0].retriable);
}

TEST_CASE("a login that fails is a failed result per record, never a lost one") {
  FakeVendor v([&](const Seen&) -> Answer {
    return {400, R"({"error":"invalid_client","error_description":"invalid client credentials"})", {}};
  });
  auto conn = connectors::salesforce::Open(TestSession(SalesforceProfile(v.Url())));
  connectors::WriteRequest req;
  req.object = "Account";
  req.key_field = "Ext__c";
  req.fields = {Field("Ext__c", FieldType::kString)};
  std::string error;
  auto w = conn->OpenWriter(req, error);
  std::vector<connectors::WriteResult> done;
  std::vector<Value> row = {Value::String("x")};
  REQUIRE(w->Add(row.data(), 1, done, error));
  REQUIRE(w->Add(row.data(), 2, done, error));
  REQUIRE(w->Flush(done, error));
  REQUIRE(done.size() == 2);
  CHECK(done[1].code == "LOGIN_FAILED");
  CHECK_FALSE(done[1].retriable);
  CHECK(done[1].message.find("invalid_client") != std::string::npos);
  CHECK(done[1].message.find("very-secret-value") == std::string::npos);
}

TEST_CASE("NetSuite: SuiteQL pages with limit/offset while hasMore, columns matched without case") {
  FakeVendor v([&](const Seen& s) -> Answer {
    if (s.path != "/services/rest/query/v1/suiteql") return {404, "{}", {}};
    if (s.Param("offset") == "0")
      return {200, R"({"links":[],"count":2,"hasMore":true,"offset":0,"totalResults":3,"items":[
        {"links":[],"id":"101","companyname":"Acme","isperson":"F","balance":"1234.50","lastmodifieddate":"2024-01-02 03:04:05"},
        {"links":[],"id":"102","companyname":"O'Brien","isperson":"T","balance":null,"lastmodifieddate":"2024-01-03 00:00:00"}]})",
              {}};
    return {200, R"({"links":[],"count":1,"hasMore":false,"offset":2,"totalResults":3,"items":[
        {"links":[],"id":"103","companyname":"Zed","isperson":"F","balance":"0.10","lastmodifieddate":"2024-01-04 00:00:00"}]})",
            {}};
  });
  auto conn = connectors::netsuite::Open(TestSession(NetSuiteProfile(v.Url(), 2)));
  connectors::ReadRequest req;
  req.object = "Customer";
  req.fields = {"id", "companyName", "isPerson", "balance", "lastModifiedDate"};
  req.types = {FieldType::kString, FieldType::kString, FieldType::kBool, FieldType::kDecimal, FieldType::kDateTime};
  req.batch = 2;
  req.id_field = "id";
  req.cursor = "lastModifiedDate";
  req.since = "2024-01-01T00:00:00Z";
  std::string error;
  auto reader = conn->OpenReader(req, error);
  size_t batches = 0;
  auto rows = ReadAll(*reader, batches);
  CHECK(reader->error() == "");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0][1].AsText() == "Acme");
  CHECK(rows[0][2].IsFalse());
  CHECK(rows[1][2].IsTrue());
  CHECK(rows[0][3].AsDecimal().ToString() == "1234.50");
  CHECK(rows[1][3].IsNull());
  REQUIRE(rows[0][4].kind() == crmx::value::Kind::kTimestamp);
  CHECK(crmx::value::FormatTimestamp(rows[0][4].AsTime()) == "2024-01-02T03:04:05Z");
  auto sent = v.Requests();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].method == "POST");
  CHECK(sent[0].Param("limit") == "2");
  CHECK(sent[0].Param("offset") == "0");
  CHECK(sent[1].Param("offset") == "2");
  CHECK(sent[0].Header("Prefer") == "transient");
  CHECK(sent[0].Header("Authorization").rfind("OAuth realm=\"123456_SB1\"", 0) == 0);
  api::JsonNode body;
  REQUIRE(api::ParseJson(sent[0].body, body, error));
  CHECK(body.Find("q")->text ==
        "SELECT id, companyname, isperson, balance, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD\"T\"HH24:MI:SS') AS "
        "lastmodifieddate FROM customer WHERE lastmodifieddate >= TO_TIMESTAMP('2024-01-01 00:00:00', "
        "'YYYY-MM-DD HH24:MI:SS') ORDER BY lastmodifieddate");
  CHECK(reader->Calls() == 2);
}

namespace {

// A getDeleted answer: page `index` of `pages`, `total` records in all, these records (internal
// id, external id or "", deleted date).
std::string DeletedAnswer(int total, int pages, int index,
                          const std::vector<std::tuple<std::string, std::string, std::string>>& records) {
  std::string list;
  for (const auto& [id, eid, when] : records)
    list += "<platformCore:deletedRecord><platformCore:deletedDate>" + when +
            "</platformCore:deletedDate><platformCore:record internalId=\"" + id + "\"" +
            (eid.empty() ? "" : " externalId=\"" + eid + "\"") +
            " type=\"salesOrder\"><platformCore:name>SO</platformCore:name></platformCore:record></platformCore:deletedRecord>";
  return R"(<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>)"
         R"(<getDeletedResponse xmlns="urn:messages_2024_2.platform.webservices.netsuite.com">)"
         R"(<platformCore:getDeletedResult xmlns:platformCore="urn:core_2024_2.platform.webservices.netsuite.com">)"
         R"(<platformCore:status isSuccess="true"/><platformCore:totalRecords>)" +
         std::to_string(total) + "</platformCore:totalRecords><platformCore:pageSize>2</platformCore:pageSize>" +
         "<platformCore:totalPages>" + std::to_string(pages) + "</platformCore:totalPages><platformCore:pageIndex>" +
         std::to_string(index) + "</platformCore:pageIndex><platformCore:deletedRecordList>" + list +
         "</platformCore:deletedRecordList></platformCore:getDeletedResult></getDeletedResponse></soapenv:Body>"
         "</soapenv:Envelope>";
}

// The text of element `name` (any prefix) in `xml`, "" when absent.
std::string XmlText(const std::string& xml, const std::string& name) {
  size_t at = xml.find(":" + name + ">");
  if (at == std::string::npos) return {};
  at += name.size() + 2;
  return xml.substr(at, xml.find('<', at) - at);
}

connectors::ReadRequest SalesOrderRead() {
  connectors::ReadRequest req;
  req.object = "SalesOrder";
  req.fields = {crmx::plan::kDeletedMarker, "externalId", "id", "lastModifiedDate", "status"};
  req.types = {FieldType::kBool, FieldType::kString, FieldType::kString, FieldType::kDateTime, FieldType::kString};
  req.batch = 2;
  req.id_field = "id";
  return req;
}

}  // namespace

TEST_CASE("NetSuite: a read with the deletion marker follows SuiteQL with getDeleted, page by page") {
  FakeVendor v([&](const Seen& s) -> Answer {
    if (s.path == "/services/rest/query/v1/suiteql")
      return {200, R"({"links":[],"count":1,"hasMore":false,"offset":0,"totalResults":1,"items":[
        {"links":[],"id":"100","externalid":"006L","lastmodifieddate":"2024-01-02T03:04:05","status":"Billed"}]})",
              {}};
    if (s.path != "/services/NetSuitePort_2024_2") return {404, "{}", {}};
    if (XmlText(s.body, "pageIndex") == "1")
      return {200, DeletedAnswer(3, 2, 1, {{"101", "006A", "2024-03-15T10:30:00.000-07:00"}, {"102", "", "2024-03-16T08:00:00Z"}}), {}};
    return {200, DeletedAnswer(3, 2, 2, {{"103", "006C", "2024-03-17T08:00:00Z"}}), {}};
  });
  auto conn = connectors::netsuite::Open(TestSession(NetSuiteProfile(v.Url(), 2)));
  connectors::ReadRequest req = SalesOrderRead();
  req.cursor = "lastModifiedDate";
  req.since = "2024-01-01T00:00:00Z";
  std::string error;
  auto reader = conn->OpenReader(req, error);
  REQUIRE_MESSAGE(reader, error);
  size_t batches = 0;
  auto rows = ReadAll(*reader, batches);
  CHECK(reader->error() == "");
  REQUIRE(rows.size() == 4);
  // The record SuiteQL read is not deleted; the three getDeleted listed are, keyed by their ids.
  CHECK(rows[0][0].IsFalse());
  CHECK(rows[0][1].AsText() == "006L");
  for (size_t i = 1; i < 4; ++i) {
    CHECK(rows[i][0].IsTrue());
    CHECK(rows[i][4].IsNull());
  }
  CHECK(rows[1][1].AsText() == "006A");
  CHECK(rows[1][2].AsText() == "101");
  CHECK(crmx::value::FormatTimestamp(rows[1][3].AsTime()) == "2024-03-15T17:30:00Z");
  CHECK(rows[2][1].IsNull());  // no external id
  CHECK(rows[2][2].AsText() == "102");
  CHECK(rows[3][2].AsText() == "103");
  CHECK(reader->Done() == 4);
  CHECK(reader->Calls() == 3);

  auto suiteql = v.Requests("/services/rest/query");
  REQUIRE(suiteql.size() == 1);
  CHECK(suiteql[0].body.find("@deleted") == std::string::npos);
  auto soap = v.Requests("/services/NetSuitePort_");
  REQUIRE(soap.size() == 2);
  for (const Seen& s : soap) {
    CHECK(s.method == "POST");
    CHECK(s.Header("SOAPAction") == "getDeleted");
    CHECK(s.Header("Content-Type").rfind("text/xml", 0) == 0);
    // Signed in the SOAP header, not by the REST Authorization header.
    CHECK(s.Header("Authorization").empty());
    CHECK(XmlText(s.body, "account") == "123456_SB1");
    CHECK(XmlText(s.body, "consumerKey") == "ck");
    CHECK(XmlText(s.body, "token") == "tid");
    CHECK(s.body.find("deletedDate operator=\"onOrAfter\"><platformCore:searchValue>2024-01-01T00:00:00Z<") !=
          std::string::npos);
    CHECK(XmlText(s.body, "searchValue2").empty());
    CHECK(s.body.find("consumer-secret") == std::string::npos);
    CHECK(s.body.find("token-secret") == std::string::npos);
    // The signature checks out against the passport's own nonce and timestamp.
    auto p = crmx::auth::MakePassport("123456_SB1", "ck", "consumer-secret", "tid", "token-secret",
                                      XmlText(s.body, "nonce"), std::stoll(XmlText(s.body, "timestamp")));
    CHECK(s.body.find(">" + p.signature + "</platformCore:signature>") != std::string::npos);
  }
  CHECK(XmlText(soap[0].body, "pageIndex") == "1");
  CHECK(XmlText(soap[1].body, "pageIndex") == "2");
  CHECK(XmlText(soap[0].body, "nonce") != XmlText(soap[1].body, "nonce"));
}

TEST_CASE("NetSuite: a getDeleted fault fails the read with its code; 503 is retried with a fresh passport") {
  std::atomic<int> soap_calls{0};
  std::atomic<bool> permission{false};
  FakeVendor v([&](const Seen& s) -> Answer {
    if (s.path == "/services/rest/query/v1/suiteql")
      return {200, R"({"links":[],"count":0,"hasMore":false,"offset":0,"totalResults":0,"items":[]})", {}};
    if (!permission)
      return {500,
              R"(<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>)"
              R"(<faultcode>soapenv:Server.userException</faultcode><faultstring>Permission Violation</faultstring><detail>)"
              R"(<platformFaults:insufficientPermissionFault xmlns:platformFaults="urn:faults_2024_2.platform.webservices.netsuite.com">)"
              R"(<platformFaults:code>INSUFFICIENT_PERMISSION</platformFaults:code><platformFaults:message>Permission Violation: )"
              R"(You need the 'Deleted Records' permission</platformFaults:message></platformFaults:insufficientPermissionFault>)"
              R"(</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>)",
              {}};
    if (++soap_calls == 1) return {503, "Service Unavailable", {{"Retry-After", "1"}}};
    return {200, DeletedAnswer(0, 0, 1, {}), {}};
  });
  std::vector<int64_t> waits;
  auto conn = connectors::netsuite::Open(TestSession(NetSuiteProfile(v.Url(), 2), &waits));
  std::string error;
  auto reader = conn->OpenReader(SalesOrderRead(), error);
  REQUIRE(reader);
  size_t batches = 0;
  CHECK(ReadAll(*reader, batches).empty());
  CHECK(reader->error() ==
        "NetSuite getDeleted of SalesOrder failed: HTTP 500: INSUFFICIENT_PERMISSION: Permission Violation: You need the "
        "'Deleted Records' permission");
  // Faults are not sent again.
  CHECK(v.Requests("/services/NetSuitePort_").size() == 1);

  permission = true;
  reader = conn->OpenReader(SalesOrderRead(), error);
  CHECK(ReadAll(*reader, batches).empty());
  CHECK(reader->error() == "");
  CHECK(soap_calls == 2);
  CHECK(waits == std::vector<int64_t>{1000});
  auto soap = v.Requests("/services/NetSuitePort_");
  REQUIRE(soap.size() == 3);
  CHECK(XmlText(soap[1].body, "nonce") != XmlText(soap[2].body, "nonce"));
  // No cursor: every deletion the account keeps.
  CHECK(soap[2].body.find("deletedDate") == std::string::npos);
}

TEST_CASE("NetSuite: deletions need token-based auth; `deletions: skip` reads without them") {
  FakeVendor v([&](const Seen& s) -> Answer {
    if (s.path == "/services/rest/query/v1/suiteql")
      return {200, R"({"links":[],"count":1,"hasMore":false,"offset":0,"totalResults":1,"items":[{"links":[],"id":"100"}]})",
              {}};
    return {500, "", {}};
  });
  SystemProfile m2m = NetSuiteProfile(v.Url(), 2);
  m2m.auth.method = "oauth2_m2m";
  m2m.auth.params = {{"client_id", "cid"}, {"certificate_id", "kid"}};
  m2m.auth.secrets = {{"private_key", Secret("file:k.pem", "-----BEGIN PRIVATE KEY-----")}};
  std::string error;
  auto conn = connectors::netsuite::Open(TestSession(m2m));
  CHECK(conn->OpenReader(SalesOrderRead(), error) == nullptr);
  CHECK(error.find("NetSuite deletions need token-based auth (SOAP getDeleted)") != std::string::npos);
  CHECK(error.find("`oauth2_m2m`") != std::string::npos);
  CHECK(error.find("deletions: skip") != std::string::npos);
  CHECK(v.Requests().empty());

  // Opting out: the OAuth 2.0 system opens its read (reading it would need a real key); the
  // tba one reads SuiteQL only, nothing deleted.
  m2m.options["deletions"] = "skip";
  CHECK(connectors::netsuite::Open(TestSession(m2m))->OpenReader(SalesOrderRead(), error) != nullptr);
  SystemProfile tba = NetSuiteProfile(v.Url(), 2);
  tba.options["deletions"] = "skip";
  auto reader = connectors::netsuite::Open(TestSession(tba))->OpenReader(SalesOrderRead(), error);
  REQUIRE(reader);
  size_t batches = 0;
  auto rows = ReadAll(*reader, batches);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0].IsFalse());
  CHECK(v.Requests("/services/NetSuitePort_").empty());

  SystemProfile bad = NetSuiteProfile(v.Url(), 2);
  bad.options["soap_version"] = "2024.2";
  error.clear();
  CHECK(connectors::netsuite::Open(TestSession(bad))->OpenReader(SalesOrderRead(), error) == nullptr);
  CHECK(error.find("soap_version") != std::string::npos);
}

TEST_CASE("NetSuite: upserts run at most `concurrency` at a time; ids from Location; errors and limits per record") {
  std::atomic<int> in_flight{0}, most{0};
  std::atomic<int> limited{0};
  FakeVendor v([&](const Seen& s) -> Answer {
    int now = ++in_flight;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    --in_flight;
    std::string eid = s.path.substr(s.path.find("eid:") + 4);
    if (eid == "C-5")
      return {400, R"({"type":"x","title":"Bad Request","status":400,"o:errorDetails":[{"detail":"Invalid Field Value 9 for the following field: entity","o:errorPath":"entity","o:errorCode":"INVALID_VALUE"}]})", {}};
    if (eid == "C-7" && ++limited == 1)
      return {429, R"({"title":"Too Many Requests","status":429,"o:errorDetails":[{"detail":"Concurrent request limit exceeded","o:errorCode":"CONCURRENCY_LIMIT_EXCEEDED"}]})",
              {{"Retry-After", "0"}}};
    return {204, "", {{"Location", "http://127.0.0.1/services/rest/record/v1/customer/" + std::to_string(1000 + eid[2] - '0')}}};
  });
  std::vector<int64_t> waits;
  auto conn = connectors::netsuite::Open(TestSession(NetSuiteProfile(v.Url(), 3), &waits));
  connectors::WriteRequest req;
  req.object = "Customer";
  req.key_field = "externalId";
  req.id_field = "id";
  req.fields = {Field("externalId", FieldType::kString), Field("companyName", FieldType::kString),
                Field("subsidiary", FieldType::kString, true)};
  std::string error;
  auto w = conn->OpenWriter(req, error);
  std::vector<connectors::WriteResult> done;
  for (int i = 0; i < 10; ++i) {
    std::vector<Value> row = {Value::String("C-" + std::to_string(i)), Value::String("Co " + std::to_string(i)),
                              Value::Int(1)};
    REQUIRE(w->Add(row.data(), static_cast<uint64_t>(i), done, error));
  }
  CHECK(done.empty());
  REQUIRE(w->Commit(done, error));
  REQUIRE(done.size() == 10);
  for (int i = 0; i < 10; ++i) {
    CAPTURE(i);
    CHECK(done[static_cast<size_t>(i)].tag == static_cast<uint64_t>(i));
    if (i == 5) {
      CHECK_FALSE(done[5].ok);
      CHECK(done[5].code == "INVALID_VALUE");
      CHECK(done[5].fields == std::vector<std::string>{"entity"});
      CHECK_FALSE(done[5].retriable);
    } else {
      CHECK(done[static_cast<size_t>(i)].ok);
      CHECK(done[static_cast<size_t>(i)].id == std::to_string(1000 + i));
    }
  }
  CHECK(most <= 3);
  CHECK(most >= 2);
  CHECK(limited == 2);  // C-7 was refused once, then sent again
  CHECK(waits == std::vector<int64_t>{0});
  auto puts = v.Requests("/services/rest/record/v1/customer/eid:C-0");
  REQUIRE(puts.size() == 1);
  CHECK(puts[0].method == "PUT");
  CHECK(puts[0].body == R"({"companyName":"Co 0","subsidiary":{"id":"1"}})");
  CHECK(w->Calls() == 11);
}

TEST_CASE("the profile's retry_attempts bounds the retries of a read") {
  std::atomic<int> queries{0};
  FakeVendor* self = nullptr;
  FakeVendor v([&](const Seen& s) -> Answer {
    if (s.path == "/services/oauth2/token") return {200, TokenBody(*self, 1), {}};
    ++queries;
    return {503, R"([{"errorCode":"SERVER_UNAVAILABLE","message":"busy"}])", {{"Retry-After", "0"}}};
  });
  self = &v;
  SystemProfile p = SalesforceProfile(v.Url());
  p.options["retry_attempts"] = "2";
  std::string error;
  auto conn = connectors::OpenApi(p, error);
  REQUIRE_MESSAGE(conn, error);
  connectors::ReadRequest req;
  req.object = "Account";
  req.fields = {"Id"};
  req.types = {FieldType::kString};
  auto reader = conn->OpenReader(req, error);
  size_t batches = 0;
  CHECK(ReadAll(*reader, batches).empty());
  CHECK(queries == 2);
  CHECK(reader->error().find("503") != std::string::npos);
}

TEST_CASE("OpenApi opens the API kinds and says what is missing") {
  std::string error;
  SystemProfile files;
  files.name = "crm";
  files.kind = "files";
  CHECK(connectors::OpenApi(files, error) == nullptr);
  CHECK(error.find("not an API connector") != std::string::npos);
  SystemProfile ns = NetSuiteProfile("", 0);
  ns.account_id = "";
  error.clear();
  CHECK(connectors::OpenApi(ns, error) == nullptr);
  CHECK(error.find("base_url") != std::string::npos);
  ns = NetSuiteProfile("", 0);
  auto c = connectors::OpenApi(ns, error);
  REQUIRE(c);
  CHECK(c->Describe() == "netsuite https://123456-sb1.suitetalk.api.netsuite.com");
  ns.options["retry_attempts"] = "many";
  error.clear();
  CHECK(connectors::OpenApi(ns, error) == nullptr);
  CHECK(error.find("retry_attempts") != std::string::npos);
  SystemProfile sf = SalesforceProfile("https://login.salesforce.com");
  sf.auth.secrets.clear();
  error.clear();
  CHECK(connectors::OpenApi(sf, error) == nullptr);
  CHECK(error.find("client_secret") != std::string::npos);
}
