// Tests the HubSpot connector: its request bodies and answer parsing (search, list, batch
// upsert/update, error bodies, rate-limit headers), and, when CRMX_EMULATE names the
// crmx-emulate binary, whole reads and writes against `crmx-emulate hubspot` with the project's
// property definitions (schemas/hubspot): paging past a page, a 429 TEN_SECONDLY_ROLLING waited
// out, a 429 DAILY failing clearly, a record refused for an invalid option while the rest of its
// batch is written, an upsert sent twice writing once, deal-to-company associations.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "tests/unit/api_connectors/emulator_process.h"
#include "runtime/connectors/api/open_api.h"
#include "runtime/connectors/hubspot/hubspot.h"

namespace api = crmx::connectors::api;
namespace connectors = crmx::connectors;
namespace hubspot = crmx::connectors::hubspot;
using crmx::plan::FieldType;
using crmx::plan::TargetField;
using crmx::profile::Secret;
using crmx::profile::SystemProfile;
using crmx::value::Value;

namespace {

const std::string kSchemas = std::string(CRMX_SOURCE_DIR) + "/schemas/hubspot";

TargetField Field(const std::string& name, FieldType type) {
  TargetField f;
  f.name = name;
  f.path = {name};
  f.type = type;
  return f;
}

api::CallResult Answered(long status, std::string body, crmx::http::Headers headers = {}) {
  api::CallResult c;
  c.response.status = status;
  c.response.body = std::move(body);
  c.response.headers = std::move(headers);
  c.attempts = 1;
  return c;
}

using Emulator = crmx::testing::EmulatorProcess;

bool Wanted() { return crmx::testing::EmulatorWanted(); }

SystemProfile Profile(const std::string& url) {
  SystemProfile p;
  p.name = "crm";
  p.kind = "hubspot";
  p.base_url = url;
  p.auth.method = "private_app";
  p.auth.secrets["access_token"] = Secret("env:HUBSPOT_TOKEN", "crmx-test-hubspot-token");
  p.options["retry_max_wait_ms"] = "3000";
  return p;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::vector<connectors::WriteResult> WriteAll(connectors::Connector& conn, const connectors::WriteRequest& req,
                                              const std::vector<std::vector<Value>>& rows) {
  std::string error;
  auto writer = conn.OpenWriter(req, error);
  REQUIRE_MESSAGE(writer, error);
  std::vector<connectors::WriteResult> done;
  for (size_t i = 0; i < rows.size(); ++i) REQUIRE(writer->Add(rows[i].data(), i + 1, done, error));
  REQUIRE(writer->Commit(done, error));
  std::sort(done.begin(), done.end(), [](const auto& a, const auto& b) { return a.tag < b.tag; });
  return done;
}

connectors::WriteRequest ContactWrite() {
  connectors::WriteRequest req;
  req.object = "Contact";
  req.key_field = "email";
  req.fields = {Field("email", FieldType::kString), Field("firstname", FieldType::kString),
                Field("lifecyclestage", FieldType::kString)};
  return req;
}

}  // namespace

TEST_CASE("HubSpot: object names map to object types") {
  CHECK(hubspot::ObjectType("Company") == "companies");
  CHECK(hubspot::ObjectType("LineItem") == "line_items");
  CHECK(hubspot::ObjectType("deals") == "deals");
  CHECK(hubspot::ObjectType("p_cars") == "p_cars");
}

TEST_CASE("HubSpot: a cursor read is a search on the cursor, GTE since in epoch ms, sorted, paged by after") {
  connectors::ReadRequest req;
  req.object = "Company";
  req.fields = {"id", "name", "domain", "hs_lastmodifieddate", "name"};
  req.cursor = "hs_lastmodifieddate";
  std::string since = hubspot::SinceMillis("2024-01-02T03:04:05.250Z");
  CHECK(since == "1704164645250");
  CHECK(hubspot::BuildSearchBody(req, since, "", 200) ==
        "{\"filterGroups\":[{\"filters\":[{\"propertyName\":\"hs_lastmodifieddate\",\"operator\":\"GTE\",\"value\":"
        "\"1704164645250\"}]}],\"sorts\":[{\"propertyName\":\"hs_lastmodifieddate\",\"direction\":\"ASCENDING\"}],"
        "\"properties\":[\"name\",\"domain\",\"hs_lastmodifieddate\"],\"limit\":200,\"after\":\"0\"}");
  // Every member HubSpot's OpenAPI document requires is there even when unused.
  CHECK(hubspot::BuildSearchBody(req, "", "400", 200).find("\"filterGroups\":[],") != std::string::npos);
  CHECK(hubspot::BuildSearchBody(req, "", "400", 200).find(",\"after\":\"400\"}") != std::string::npos);
  req.cursor.clear();
  CHECK(hubspot::ListPath(req, "", 100) == "/crm/v3/objects/companies?limit=100&properties=name,domain,hs_lastmodifieddate");
  CHECK(hubspot::ListPath(req, "AoJ", 100).find("&after=AoJ") != std::string::npos);
  CHECK(hubspot::SinceMillis("not a time").empty());
}

TEST_CASE("HubSpot: batch bodies put fields in the properties envelope as strings, the key as id") {
  connectors::WriteRequest req;
  req.object = "Deal";
  req.key_field = "crmx_ref";
  req.fields = {Field("crmx_ref", FieldType::kString), Field("amount", FieldType::kDecimal),
                Field("closedate", FieldType::kDate), Field("dealname", FieldType::kString),
                Field("associations.companies", FieldType::kString)};
  std::vector<std::vector<Value>> rows = {{Value::String("D-1"), Value::Dec(*crmx::value::Decimal::Parse("1500.50")),
                                           Value::Null(), Value::String("Big \"one\""), Value::String("1001")}};
  CHECK(hubspot::BuildBatchBody(req, rows, false) ==
        "{\"inputs\":[{\"idProperty\":\"crmx_ref\",\"id\":\"D-1\",\"properties\":{\"amount\":\"1500.50\","
        "\"closedate\":\"\",\"dealname\":\"Big \\\"one\\\"\"}}]}");
  req.key_field = "hs_object_id";
  req.fields[0] = Field("hs_object_id", FieldType::kString);
  rows[0][0] = Value::String("1001");
  CHECK(hubspot::BuildBatchBody(req, rows, true).rfind("{\"inputs\":[{\"id\":\"1001\",\"properties\":{", 0) == 0);
}

TEST_CASE("HubSpot: a multi-status answer gives each record its result, matched by key, errors by context") {
  std::string body = R"({"status":"COMPLETE","results":[
      {"id":"2002","properties":{"email":"b@x.example","firstname":"B"},"new":false},
      {"id":"2001","properties":{"email":"a@x.example"},"new":true}],
    "numErrors":1,"errors":[{"status":"error","category":"VALIDATION_ERROR","message":"Property values were not valid",
      "context":{"email":["c@x.example"]},
      "errors":[{"message":"bad","code":"INVALID_OPTION","context":{"propertyName":["lifecyclestage"]}}]}]})";
  auto results = hubspot::ParseBatchAnswer(Answered(207, body), "email", false,
                                           {"A@x.example", "b@x.example", "c@x.example", "d@x.example"}, {1, 2, 3, 4});
  REQUIRE(results.size() == 4);
  CHECK(results[0].ok);
  CHECK(results[0].id == "2001");  // matched without case: HubSpot lower-cases emails
  CHECK(results[0].created);
  CHECK(results[1].ok);
  CHECK_FALSE(results[1].created);
  CHECK_FALSE(results[2].ok);
  CHECK(results[2].code == "INVALID_OPTION");
  CHECK(results[2].fields == std::vector<std::string>{"lifecyclestage"});
  CHECK_FALSE(results[2].retriable);
  CHECK_FALSE(results[3].ok);
  CHECK(results[3].code == "NO_RESULT");
  CHECK(results[3].retriable);
}

TEST_CASE("HubSpot: a 429 DAILY fails every record, not retriable; TEN_SECONDLY_ROLLING is retriable") {
  auto daily = hubspot::ParseBatchAnswer(
      Answered(429, R"({"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT",)"
                    R"("correlationId":"c-1","policyName":"DAILY","category":"RATE_LIMITS"})"),
      "email", false, {"a", "b"}, {1, 2});
  REQUIRE(daily.size() == 2);
  CHECK(daily[0].code == "DAILY");
  CHECK_FALSE(daily[0].retriable);
  CHECK(daily[1].message.find("calls of the day are spent") != std::string::npos);
  auto burst = hubspot::ParseBatchAnswer(
      Answered(429, R"({"status":"error","message":"ten secondly","policyName":"TEN_SECONDLY_ROLLING"})"), "email",
      false, {"a"}, {1});
  CHECK(burst[0].code == "TEN_SECONDLY_ROLLING");
  CHECK(burst[0].retriable);
  hubspot::ErrorInfo e = hubspot::ReadError(
      R"({"status":"error","message":"m","correlationId":"x","category":"VALIDATION_ERROR","errors":[{"code":"READ_ONLY_VALUE","context":{"propertyName":["amount"]}}]})");
  CHECK(e.category == "VALIDATION_ERROR");
  CHECK(e.code == "READ_ONLY_VALUE");
  CHECK(e.properties == std::vector<std::string>{"amount"});
}

TEST_CASE("HubSpot: the rate-limit headers become the connector's limits text") {
  crmx::http::Response r;
  r.headers = {{"X-HubSpot-RateLimit-Daily", "250000"}, {"X-HubSpot-RateLimit-Daily-Remaining", "249990"},
               {"X-HubSpot-RateLimit-Interval-Milliseconds", "10000"}, {"X-HubSpot-RateLimit-Max", "100"},
               {"X-HubSpot-RateLimit-Remaining", "97"}};
  CHECK(hubspot::LimitsText(r) == "api-usage=10/250000 daily=250000 daily-remaining=249990 interval-ms=10000 max=100 remaining=97");
  CHECK(hubspot::LimitsText(crmx::http::Response{}).empty());
}

TEST_CASE("emulator: HubSpot writes contacts by email, reads them back by search and list, paging") {
  if (!Wanted()) return;
  Emulator emu({"hubspot", "--port", "0", "--schemas", kSchemas});
  REQUIRE_FALSE(emu.url().empty());
  std::string error;
  auto conn = connectors::OpenApi(Profile(emu.url()), error);
  REQUIRE_MESSAGE(conn, error);
  std::vector<std::vector<Value>> rows;
  for (int i = 0; i < 250; ++i)
    rows.push_back({Value::String("c" + std::to_string(i) + "@x.example"), Value::String("N" + std::to_string(i)),
                    Value::String(i == 7 ? "not-a-stage" : "lead")});
  auto done = WriteAll(*conn, ContactWrite(), rows);
  REQUIRE(done.size() == 250);
  size_t ok = 0;
  for (const auto& r : done) ok += r.ok;
  CHECK(ok == 249);
  // The invalid option fails its own record only, with HubSpot's code and the property.
  CHECK_FALSE(done[7].ok);
  CHECK(done[7].code == "INVALID_OPTION");
  CHECK(done[7].fields == std::vector<std::string>{"lifecyclestage"});
  CHECK(conn->Limits().find("daily=250000") != std::string::npos);

  // An upsert sent again (a retry after a lost answer) updates, never creates twice.
  auto again = WriteAll(*conn, ContactWrite(), {rows[3]});
  CHECK(again[0].ok);
  CHECK_FALSE(again[0].created);
  CHECK(again[0].id == done[3].id);
  std::string journal = emu.Get("/_emulator/journal");
  CHECK(Count(journal, "\"op\":\"created\"") == 249);
  CHECK(Count(journal, "\"key\":\"c3@x.example\"") == 2);

  for (bool with_cursor : {true, false}) {
    connectors::ReadRequest req;
    req.object = "Contact";
    req.fields = {"id", "email", "hs_lastmodifieddate"};
    req.types = {FieldType::kString, FieldType::kString, FieldType::kDateTime};
    req.batch = 64;
    if (with_cursor) {
      req.cursor = "hs_lastmodifieddate";
      req.since = "2000-01-01T00:00:00Z";
    }
    auto reader = conn->OpenReader(req, error);
    REQUIRE(reader);
    connectors::RecordBatch b;
    std::set<std::string> emails;
    while (reader->Next(b))
      for (size_t i = 0; i < b.size(); ++i) emails.insert(std::string(b.Row(i)[1].AsText()));
    CHECK_MESSAGE(reader->error().empty(), reader->error());
    CHECK(emails.size() == 249);
    // 249 records: two search pages of 200, or three list pages of 100.
    CHECK(reader->Calls() == (with_cursor ? 2u : 3u));
  }
}

TEST_CASE("emulator: HubSpot 429 TEN_SECONDLY_ROLLING is waited out; 429 DAILY fails clearly") {
  if (!Wanted()) return;
  {
    Emulator emu({"hubspot", "--port", "0", "--schemas", kSchemas, "--burst-limit", "2", "--burst-interval-ms", "500"});
    REQUIRE_FALSE(emu.url().empty());
    std::string error;
    auto conn = connectors::OpenApi(Profile(emu.url()), error);
    REQUIRE(conn);
    connectors::WriteRequest req = ContactWrite();
    req.batch = 1;  // one call a record: 5 calls against 2 per 500 ms
    std::vector<std::vector<Value>> rows;
    for (int i = 0; i < 5; ++i)
      rows.push_back({Value::String("b" + std::to_string(i) + "@x.example"), Value::String("B"), Value::String("lead")});
    auto done = WriteAll(*conn, req, rows);
    for (const auto& r : done) CHECK_MESSAGE(r.ok, r.Describe());
    CHECK(emu.Get("/_emulator/stats").find("\"rate_limited\":0") == std::string::npos);
  }
  {
    Emulator emu({"hubspot", "--port", "0", "--schemas", kSchemas, "--daily-limit", "1"});
    REQUIRE_FALSE(emu.url().empty());
    std::string error;
    auto conn = connectors::OpenApi(Profile(emu.url()), error);
    REQUIRE(conn);
    connectors::WriteRequest req = ContactWrite();
    req.batch = 1;
    auto done = WriteAll(*conn, req,
                         {{Value::String("d1@x.example"), Value::String("D"), Value::String("lead")},
                          {Value::String("d2@x.example"), Value::String("D"), Value::String("lead")}});
    CHECK(done[0].ok);
    CHECK_FALSE(done[1].ok);
    CHECK(done[1].code == "DAILY");
    CHECK_FALSE(done[1].retriable);
    CHECK(done[1].message.find("daily limit") != std::string::npos);
    connectors::ReadRequest read;
    read.object = "Contact";
    read.fields = {"email"};
    read.types = {FieldType::kString};
    auto reader = conn->OpenReader(read, error);
    connectors::RecordBatch b;
    CHECK_FALSE(reader->Next(b));
    CHECK(reader->error().find("DAILY") != std::string::npos);
    CHECK(reader->Calls() == 1);  // not sent again
  }
}

TEST_CASE("emulator: HubSpot deals associated to their company; read-only properties refused") {
  if (!Wanted()) return;
  char dir[] = "/tmp/crmx-hubspot-seed-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  {
    std::ofstream(std::string(dir) + "/companies.jsonl") << "{\"id\":\"5001\",\"name\":\"Acme\",\"domain\":\"acme.example\"}\n";
    std::ofstream(std::string(dir) + "/deals.jsonl") << "{\"id\":\"6001\",\"dealname\":\"Renewal\",\"dealstage\":\"qualifiedtobuy\"}\n";
  }
  Emulator emu({"hubspot", "--port", "0", "--schemas", kSchemas, "--data", dir});
  REQUIRE_FALSE(emu.url().empty());
  std::string error;
  auto conn = connectors::OpenApi(Profile(emu.url()), error);
  REQUIRE(conn);
  connectors::WriteRequest deal;
  deal.object = "Deal";
  deal.key_field = "hs_object_id";
  deal.fields = {Field("hs_object_id", FieldType::kString), Field("dealstage", FieldType::kString),
                 Field("associations.companies", FieldType::kString)};
  auto done = WriteAll(*conn, deal,
                       {{Value::String("6001"), Value::String("closedwon"), Value::String("5001")},
                        {Value::String("999999"), Value::String("closedwon"), Value::String("5001")}});
  CHECK_MESSAGE(done[0].ok, done[0].Describe());
  CHECK(done[0].id == "6001");
  // Update by id of a record that does not exist: OBJECT_NOT_FOUND for that record only.
  CHECK_FALSE(done[1].ok);
  CHECK(done[1].code == "OBJECT_NOT_FOUND");
  httplib::Client c(emu.url());
  auto assoc = c.Get("/crm/v4/objects/deals/6001/associations/companies",
                     httplib::Headers{{"Authorization", "Bearer crmx-test-hubspot-token"}});
  REQUIRE(assoc);
  CHECK(assoc->body.find("\"toObjectId\":\"5001\"") != std::string::npos);
  // Sent again: the association stays one.
  WriteAll(*conn, deal, {{Value::String("6001"), Value::String("closedwon"), Value::String("5001")}});
  CHECK(Count(emu.Get("/_emulator/journal"), "\"op\":\"associated\"") == 1);
  // An association to a company that does not exist fails the record, saying it was written.
  auto bad = WriteAll(*conn, deal, {{Value::String("6001"), Value::String("closedwon"), Value::String("424242")}});
  CHECK_FALSE(bad[0].ok);
  CHECK(bad[0].code == "OBJECT_NOT_FOUND");
  CHECK(bad[0].message.find("not associated to companies") != std::string::npos);
  // A read-only (calculated) property is refused with HubSpot's code.
  connectors::WriteRequest readonly = deal;
  readonly.fields = {Field("hs_object_id", FieldType::kString), Field("hs_acv", FieldType::kDecimal)};
  auto ro = WriteAll(*conn, readonly, {{Value::String("6001"), Value::Int(3)}});
  CHECK_FALSE(ro[0].ok);
  CHECK(ro[0].code == "READ_ONLY_VALUE");
  std::filesystem::remove_all(dir);
}

TEST_CASE("HubSpot: associations fields are not properties: the list asks for them, the batch read body and answer") {
  connectors::ReadRequest req;
  req.object = "Deal";
  req.fields = {"id", "dealname", "associations.companies", "associations.line_items", "associations.companies"};
  CHECK(hubspot::Properties(req) == std::vector<std::string>{"dealname"});
  CHECK(hubspot::AssociationTypes(req) == std::vector<std::string>{"companies", "line_items"});
  CHECK(hubspot::ListPath(req, "", 100) ==
        "/crm/v3/objects/deals?limit=100&properties=dealname&associations=companies,line_items");
  CHECK(hubspot::BuildSearchBody(req, "", "", 200).find("associations") == std::string::npos);
  CHECK(hubspot::BuildAssociationReadBody({{"7001", ""}, {"7002", "MC01MDA="}}) ==
        "{\"inputs\":[{\"id\":\"7001\"},{\"id\":\"7002\",\"after\":\"MC01MDA=\"}]}");

  std::map<std::string, std::vector<std::string>> ids;
  std::vector<hubspot::AssociationInput> more;
  std::string error;
  // v4's shape: toObjectId (a number or a string), a record's next page by `paging.next.after`,
  // a record with none an error naming it (not a failure), an id twice (two labels) kept once.
  CHECK(hubspot::ParseAssociationRead(
      "{\"status\":\"COMPLETE\",\"results\":[{\"from\":{\"id\":\"7001\"},\"to\":[{\"toObjectId\":3001,"
      "\"associationTypes\":[]},{\"toObjectId\":\"3001\"},{\"toObjectId\":\"3002\"}],\"paging\":{\"next\":"
      "{\"after\":\"MC0y\"}}}],\"numErrors\":1,\"errors\":[{\"status\":\"error\",\"category\":\"OBJECT_NOT_FOUND\","
      "\"subCategory\":\"crm.associations.NO_ASSOCIATIONS_FOUND\",\"context\":{\"fromObjectId\":[\"7002\"]},"
      "\"message\":\"No companies is associated with deal 7002.\"}]}",
      ids, more, error));
  CHECK(ids["7001"] == std::vector<std::string>{"3001", "3002"});
  CHECK(ids.count("7002") == 0);
  REQUIRE(more.size() == 1);
  CHECK(more[0].id == "7001");
  CHECK(more[0].after == "MC0y");
  // Another error (missing scopes) fails the read, saying what HubSpot said.
  CHECK_FALSE(hubspot::ParseAssociationRead(
      "{\"results\":[],\"errors\":[{\"category\":\"MISSING_SCOPES\",\"message\":\"This app hasn't been granted all "
      "required scopes\"}]}",
      ids, more, error));
  CHECK(error.find("MISSING_SCOPES") != std::string::npos);
  CHECK_FALSE(hubspot::ParseAssociationRead("<html>", ids, more, error));
}

TEST_CASE("emulator: HubSpot reads associations inline from the list and through the batch read, paged") {
  if (!Wanted()) return;
  char dir[] = "/tmp/crmx-hubspot-assoc-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  {
    std::ofstream companies(std::string(dir) + "/companies.jsonl");
    for (int i = 0; i < 3; ++i) companies << "{\"id\":\"" << 3001 + i << "\",\"name\":\"C" << i << "\"}\n";
    std::ofstream items(std::string(dir) + "/line_items.jsonl");
    for (int i = 0; i < 603; ++i) items << "{\"id\":\"" << 80001 + i << "\",\"name\":\"L" << i << "\"}\n";
    // Deal 7001: one company, 600 line items (past the inline 100 and the batch read's 500 a
    // page); 7002: two companies, 3 line items; 7003: none.
    std::ofstream deals(std::string(dir) + "/deals.jsonl");
    deals << "{\"id\":\"7001\",\"properties\":{\"dealname\":\"Big\"},\"associations\":{\"companies\":[\"3001\"],"
             "\"line_items\":[";
    for (int i = 0; i < 600; ++i) deals << (i ? "," : "") << "\"" << 80001 + i << "\"";
    deals << "]}}\n";
    deals << "{\"id\":\"7002\",\"properties\":{\"dealname\":\"Two\"},\"associations\":{\"companies\":[{\"id\":\"3002\"},"
             "{\"id\":\"3003\"}],\"line_items\":{\"results\":[{\"id\":\"80601\"},{\"id\":\"80602\"},{\"id\":\"80603\"}]}}}\n";
    deals << "{\"id\":\"7003\",\"properties\":{\"dealname\":\"None\"}}\n";
  }
  Emulator emu({"hubspot", "--port", "0", "--schemas", kSchemas, "--data", dir});
  REQUIRE_FALSE(emu.url().empty());
  std::string error;
  auto conn = connectors::OpenApi(Profile(emu.url()), error);
  REQUIRE_MESSAGE(conn, error);
  for (bool with_cursor : {false, true}) {
    CAPTURE(with_cursor);
    connectors::ReadRequest req;
    req.object = "Deal";
    req.fields = {"id", "associations.companies", "associations.line_items", "hs_lastmodifieddate"};
    req.types = {FieldType::kString, FieldType::kAny, FieldType::kString, FieldType::kDateTime};
    if (with_cursor) {
      req.cursor = "hs_lastmodifieddate";
      req.since = "2000-01-01T00:00:00Z";
    }
    auto reader = conn->OpenReader(req, error);
    REQUIRE_MESSAGE(reader, error);
    connectors::RecordBatch b;
    std::map<std::string, std::pair<std::vector<std::string>, size_t>> got;  // deal: companies, line items
    std::set<std::string> items;
    while (reader->Next(b)) {
      for (size_t i = 0; i < b.size(); ++i) {
        const Value* row = b.Row(i);
        REQUIRE(row[1].kind() == crmx::value::Kind::kList);
        REQUIRE(row[2].kind() == crmx::value::Kind::kList);
        std::vector<std::string> companies;
        for (const Value& v : row[1].AsList()) companies.emplace_back(v.AsText());
        for (const Value& v : row[2].AsList()) items.emplace(v.AsText());
        got[std::string(row[0].AsText())] = {companies, row[2].AsList().size()};
      }
    }
    REQUIRE_MESSAGE(reader->error().empty(), reader->error());
    CHECK(got["7001"].first == std::vector<std::string>{"3001"});
    CHECK(got["7001"].second == 600);
    CHECK(got["7002"].first == std::vector<std::string>{"3002", "3003"});
    CHECK(got["7002"].second == 3);
    CHECK(got["7003"].first.empty());
    CHECK(got["7003"].second == 0);
    CHECK(items.size() == 603);  // each once
    // List: one page with the ids inline; 7001 has more line items than the 100 inline, so all
    // of its come from the batch read (500, then the last 100 by its `after`). Search: one
    // page, companies in one batch read, line items in two (500 a record a page).
    CHECK(reader->Calls() == (with_cursor ? 4u : 3u));
  }
  // The other way: a line item's deal (associations are both ways).
  connectors::ReadRequest li;
  li.object = "LineItem";
  li.fields = {"id", "associations.deals"};
  li.types = {FieldType::kString, FieldType::kString};
  auto reader = conn->OpenReader(li, error);
  REQUIRE(reader);
  connectors::RecordBatch b;
  size_t with_deal = 0;
  while (reader->Next(b))
    for (size_t i = 0; i < b.size(); ++i)
      if (b.Row(i)[1].kind() == crmx::value::Kind::kList && b.Row(i)[1].AsList().size() == 1)
        with_deal += std::string(b.Row(i)[1].AsList()[0].AsText()) == (b.Row(i)[0].AsText() <= "80600" ? "7001" : "7002");
  CHECK_MESSAGE(reader->error().empty(), reader->error());
  CHECK(with_deal == 603);

  // The emulator's limits: more than 1,000 ids a batch read is refused; a bad `after` too.
  httplib::Client c(emu.url());
  httplib::Headers auth{{"Authorization", "Bearer crmx-test-hubspot-token"}};
  std::string big = "{\"inputs\":[";
  for (int i = 0; i < 1001; ++i) big += std::string(i ? "," : "") + "{\"id\":\"" + std::to_string(i) + "\"}";
  big += "]}";
  auto r = c.Post("/crm/v4/associations/deals/companies/batch/read", auth, big, "application/json");
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(r->body.find("VALIDATION_ERROR") != std::string::npos);
  r = c.Post("/crm/v4/associations/deals/companies/batch/read", auth, "{\"inputs\":[{\"id\":\"7001\",\"after\":\"zz\"}]}",
             "application/json");
  REQUIRE(r);
  CHECK(r->status == 400);
}
