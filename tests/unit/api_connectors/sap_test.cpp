// Tests the SAP S/4HANA Cloud connector (runtime/connectors/sap): the $filter/$select text, V2
// dates, SAP's V2 and V4 error bodies, the entity bodies (deep insert of items), the $batch
// multipart framing both ways; the 412 re-read against a local fake server; and whole reads
// and writes against `crmx-emulate sap` (paging by __next, CSRF refetch on 403, deep insert,
// 412/428 answers) when CRMX_EMULATE names its binary.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "tests/unit/api_connectors/emulator_process.h"
#include "runtime/auth/auth.h"
#include "runtime/connectors/api/open_api.h"
#include "runtime/connectors/sap/multipart.h"
#include "runtime/connectors/sap/sap.h"
#include "tests/unit/api_connectors/fake_vendor.h"
#include "tests/unit/api_connectors/test_support.h"

namespace sap = crmx::connectors::sap;
namespace api = crmx::connectors::api;
namespace mp = crmx::sap_multipart;
using crmx::connectors::ReadRequest;
using crmx::connectors::WriteRequest;
using crmx::connectors::WriteResult;
using crmx::plan::FieldType;
using crmx::plan::FilterOp;
using crmx::plan::SourceCondition;
using crmx::plan::TargetField;
using crmx::profile::Secret;
using crmx::profile::SystemProfile;
using crmx::testing::Cond;
using crmx::testing::Dec;
using crmx::testing::Field;
using crmx::value::Value;

namespace {

WriteRequest Orders() {
  WriteRequest req;
  req.object = "A_SalesOrder";
  req.key_field = "ExternalDocumentID";
  req.id_field = "SalesOrder";
  req.fields = {Field("ExternalDocumentID", FieldType::kString), Field("SalesOrderType", FieldType::kString),
                Field("SalesOrganization", FieldType::kString), Field("DistributionChannel", FieldType::kString),
                Field("OrganizationDivision", FieldType::kString), Field("SoldToParty", FieldType::kString)};
  TargetField items = Field("to_Item", FieldType::kAny);
  items.element = {Field("Material", FieldType::kString), Field("RequestedQuantity", FieldType::kDecimal, 3)};
  req.fields.push_back(items);
  return req;
}

Value Line(const char* material, const char* qty) {
  return Value::Map({{Value::String("Material"), Value::String(material)}, {Value::String("RequestedQuantity"), Dec(qty)}});
}

std::vector<Value> OrderRow(const std::string& ext, std::vector<Value> lines) {
  return {Value::String(ext),     Value::String("OR"),       Value::String("1710"), Value::String("10"),
          Value::String("00"),    Value::String("17100001"), Value::List(std::move(lines))};
}

}  // namespace

TEST_CASE("sap: $filter from pushdown says exactly what the VM keeps") {
  // A string equality: nulls fail it in the VM too.
  CHECK(*sap::FilterOf(Cond("StageName", FilterOp::kEq, Value::String("Won's")), FieldType::kString, 2) ==
        "StageName eq 'Won''s'");
  // Decimals carry V2's M suffix; V4 writes the digits. An ordering keeps nulls in the VM (no
  // overload: not false), so OData must keep them too.
  CHECK(*sap::FilterOf(Cond("TotalNetAmount", FilterOp::kGt, Dec("100.5")), FieldType::kDecimal, 2) ==
        "(TotalNetAmount gt 100.5M or TotalNetAmount eq null)");
  CHECK(*sap::FilterOf(Cond("TotalNetAmount", FilterOp::kGt, Dec("100.5")), FieldType::kDecimal, 4) ==
        "(TotalNetAmount gt 100.5 or TotalNetAmount eq null)");
  // A `!=` keeps nulls in the VM: OData must keep them too.
  CHECK(*sap::FilterOf(Cond("SalesOrderType", FilterOp::kNe, Value::String("OR")), FieldType::kString, 2) ==
        "(SalesOrderType ne 'OR' or SalesOrderType eq null)");
  CHECK(*sap::FilterOf(Cond("SalesOrderType", FilterOp::kIn, Value::List({Value::String("OR"), Value::String("TA")})),
                       FieldType::kString, 2) == "(SalesOrderType eq 'OR' or SalesOrderType eq 'TA')");
  // String orderings depend on the system's collation; a type OData cannot say: not pushed.
  CHECK_FALSE(sap::FilterOf(Cond("Name", FilterOp::kGt, Value::String("M")), FieldType::kString, 2));
  CHECK_FALSE(sap::FilterOf(Cond("Name", FilterOp::kEq, Value::String("M")), FieldType::kAny, 2));
  CHECK_FALSE(sap::FilterOf(Cond("Bad Name", FilterOp::kEq, Value::String("M")), FieldType::kString, 2));
  crmx::value::Time t;
  REQUIRE(crmx::value::ParseTimestamp("2024-03-01T00:00:00Z", t));
  CHECK(*sap::FilterOf(Cond("SalesOrderDate", FilterOp::kGe, Value::Timestamp(t)), FieldType::kDate, 2) ==
        "(SalesOrderDate ge datetime'2024-03-01T00:00:00' or SalesOrderDate eq null)");
}

TEST_CASE("sap: a read's query selects the projection, filters by the cursor, orders and pages") {
  ReadRequest req;
  req.object = "A_SalesOrder";
  req.fields = {"SalesOrder", "SoldToParty", "TotalNetAmount", "LastChangeDateTime"};
  req.types = {FieldType::kString, FieldType::kString, FieldType::kDecimal, FieldType::kDateTime};
  req.cursor = "LastChangeDateTime";
  req.since = "2024-05-01T10:20:30.250Z";
  req.id_field = "SalesOrder";
  req.pushdown = {Cond("SoldToParty", FilterOp::kEq, Value::String("17100001"))};
  std::string q = sap::BuildQuery(req, 2, 500, 0);
  CHECK(q == "$select=SalesOrder,SoldToParty,TotalNetAmount,LastChangeDateTime"
             "&$filter=SoldToParty%20eq%20%2717100001%27%20and%20LastChangeDateTime%20ge%20"
             "datetimeoffset%272024-05-01T10%3A20%3A30Z%27"
             "&$orderby=LastChangeDateTime%2CSalesOrder&$top=500&$inlinecount=allpages&$format=json");
  // The next page: $skip, no count again.
  CHECK(sap::BuildQuery(req, 2, 500, 500).find("$top=500&$skip=500&$format=json") != std::string::npos);
  // V4: plain instants, $count, no $format.
  std::string q4 = sap::BuildQuery(req, 4, 100, 0);
  CHECK(q4.find("LastChangeDateTime%20ge%202024-05-01T10%3A20%3A30Z") != std::string::npos);
  CHECK(q4.find("$count=true") != std::string::npos);
  CHECK(q4.find("$format") == std::string::npos);
}

TEST_CASE("sap: V2 JSON dates, with and without an offset") {
  crmx::value::Time t;
  REQUIRE(sap::ParseV2Date("/Date(1492098664000)/", t));
  CHECK(crmx::value::FormatTimestamp(t) == "2017-04-13T15:51:04Z");
  REQUIRE(sap::ParseV2Date("/Date(1492098664123+0000)/", t));
  CHECK(t.nanos == 123000000);
  REQUIRE(sap::ParseV2Date("/Date(-86400000)/", t));
  CHECK(crmx::value::FormatTimestamp(t) == "1969-12-31T00:00:00Z");
  CHECK_FALSE(sap::ParseV2Date("/Date()/", t));
  CHECK_FALSE(sap::ParseV2Date("/Date(12x)/", t));
  CHECK_FALSE(sap::ParseV2Date("2017-04-13", t));
  // Through a field's type; a bad one is an error value naming the field.
  api::JsonNode n;
  std::string err;
  REQUIRE(api::ParseJson("\"/Date(1492041600000)/\"", n, err));
  Value v = sap::FieldValue(n, FieldType::kDate, "CreationDate");
  REQUIRE(v.kind() == crmx::value::Kind::kTimestamp);
  CHECK(crmx::value::FormatTimestamp(v.AsTime()) == "2017-04-13T00:00:00Z");
  REQUIRE(api::ParseJson("\"/Date(oops)/\"", n, err));
  CHECK(sap::FieldValue(n, FieldType::kDateTime, "LastChangeDateTime").IsError());
  // Decimals arrive as strings and stay exact.
  REQUIRE(api::ParseJson("\"9999999999999.125\"", n, err));
  Value d = sap::FieldValue(n, FieldType::kDecimal, "TotalNetAmount");
  REQUIRE(d.kind() == crmx::value::Kind::kDecimal);
  CHECK(d.AsDecimal().ToString() == "9999999999999.125");
}

TEST_CASE("sap: V2 and V4 error bodies") {
  std::string code, message;
  std::vector<std::string> fields;
  sap::ReadError(R"({"error":{"code":"V1/391","message":{"lang":"en","value":"Sold-to party 99 not found"},
    "innererror":{"transactionid":"X","errordetails":[
      {"code":"V1/391","message":"Sold-to party 99 not found","propertyref":"","severity":"error","target":"SoldToParty"},
      {"code":"V1/392","message":"Enter a sales organization","severity":"error","target":"SalesOrganization"}]}}})",
                 code, message, fields);
  CHECK(code == "V1/391");
  CHECK(message == "Sold-to party 99 not found; Enter a sales organization");
  CHECK(fields == std::vector<std::string>{"SoldToParty", "SalesOrganization"});
  code.clear();
  message.clear();
  fields.clear();
  sap::ReadError(R"({"error":{"code":"SY/530","message":"Property Foo is invalid","target":"Foo",
    "details":[{"code":"X/1","message":"more","target":"Bar"}]}})", code, message, fields);
  CHECK(code == "SY/530");
  CHECK(message == "Property Foo is invalid; more");
  CHECK(fields == std::vector<std::string>{"Bar", "Foo"});
  code.clear();
  message.clear();
  sap::ReadError("<html>CSRF token validation failed</html>", code, message, fields);
  CHECK(code.empty());
  CHECK(message == "<html>CSRF token validation failed</html>");
}

TEST_CASE("sap: a create deep-inserts the items, an update leaves them and the key out") {
  WriteRequest req = Orders();
  std::vector<Value> row = OrderRow("OPP-1", {Line("TG11", "2"), Line("TG12", "1.5")});
  CHECK(sap::BuildEntityBody(req, row.data(), false, 2) ==
        R"({"ExternalDocumentID":"OPP-1","SalesOrderType":"OR","SalesOrganization":"1710","DistributionChannel":"10",)"
        R"("OrganizationDivision":"00","SoldToParty":"17100001","to_Item":{"results":[)"
        R"({"Material":"TG11","RequestedQuantity":"2.000"},{"Material":"TG12","RequestedQuantity":"1.500"}]}})");
  CHECK(sap::BuildEntityBody(req, row.data(), true, 2) ==
        R"({"SalesOrderType":"OR","SalesOrganization":"1710","DistributionChannel":"10","OrganizationDivision":"00",)"
        R"("SoldToParty":"17100001"})");
  CHECK(sap::RelativeUri("https://h/sap/opu/odata/sap/API_SALES_ORDER_SRV/A_SalesOrder('1000001')", "A_SalesOrder") ==
        "A_SalesOrder('1000001')");
  SystemProfile p;
  CHECK(sap::ServiceRoot(p, "A_SalesOrderItem") == "/sap/opu/odata/sap/API_SALES_ORDER_SRV");
  CHECK(sap::ServiceRoot(p, "A_Customer") == "/sap/opu/odata/sap/API_BUSINESS_PARTNER");
  CHECK(sap::ServiceRoot(p, "Z_Custom").empty());
  CHECK(sap::EntitySetOf(p, "A_SalesOrderType") == "A_SalesOrder");
  CHECK(sap::EntitySetOf(p, "SalesOrder_Type") == "SalesOrder");
  CHECK(sap::EntitySetOf(p, "A_SalesOrder") == "A_SalesOrder");
  p.options["entity_set.ZType"] = "ZSet";
  CHECK(sap::EntitySetOf(p, "ZType") == "ZSet");
  p.options["service.Z_Custom"] = "/sap/opu/odata/sap/Z_CUSTOM_SRV/";
  CHECK(sap::ServiceRoot(p, "Z_Custom") == "/sap/opu/odata/sap/Z_CUSTOM_SRV");
}

TEST_CASE("sap: $batch multipart, built and read back; an SAP answer with a failed changeset") {
  mp::Message get;
  get.method = "GET";
  get.target = "A_SalesOrder?$filter=ExternalDocumentID%20eq%20'X'";
  get.headers = {{"Accept", "application/json"}};
  mp::Message post;
  post.method = "POST";
  post.target = "A_SalesOrder";
  post.headers = {{"Content-Type", "application/json"}};
  post.body = R"({"SalesOrderType":"OR"})";
  std::string body = mp::Build("batch_1", {mp::Part{false, {get}}, mp::Part{true, {post}}});
  CHECK(body.find("--batch_1\r\nContent-Type: multipart/mixed; boundary=changeset_2\r\n") != std::string::npos);
  CHECK(body.find("POST A_SalesOrder HTTP/1.1\r\n") != std::string::npos);
  CHECK(body.ends_with("--batch_1--\r\n"));
  std::vector<mp::Part> parts;
  std::string error;
  REQUIRE(mp::Parse(body, "batch_1", parts, error));
  REQUIRE(parts.size() == 2);
  CHECK_FALSE(parts[0].changeset);
  CHECK(parts[0].messages[0].method == "GET");
  CHECK(parts[0].messages[0].target == get.target);
  CHECK(parts[1].changeset);
  CHECK(parts[1].messages[0].body == post.body);

  // An answer as SAP Gateway writes it: LF line ends, the first changeset applied, the second
  // replaced by its failing request's answer.
  std::string answer =
      "--ejjeeffe0\nContent-Type: multipart/mixed; boundary=ejjeeffe1\nContent-Length: 400\n\n"
      "--ejjeeffe1\nContent-Type: application/http\nContent-Length: 300\ncontent-transfer-encoding: binary\n\n"
      "HTTP/1.1 201 Created\nContent-Type: application/json\nlocation: A_SalesOrder('1000001')\n"
      "etag: W/\"datetimeoffset'2024-01-01T00%3A00%3A00Z'\"\n\n"
      "{\"d\":{\"SalesOrder\":\"1000001\"}}\n--ejjeeffe1--\n\n"
      "--ejjeeffe0\nContent-Type: application/http\nContent-Length: 200\ncontent-transfer-encoding: binary\n\n"
      "HTTP/1.1 400 Bad Request\nContent-Type: application/json\n\n"
      "{\"error\":{\"code\":\"V1/391\",\"message\":{\"lang\":\"en\",\"value\":\"bad\"}}}\n--ejjeeffe0--\n";
  parts.clear();
  REQUIRE(mp::Parse(answer, mp::Boundary("multipart/mixed; boundary=ejjeeffe0"), parts, error));
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].changeset);
  CHECK(parts[0].messages[0].status == 201);
  CHECK(parts[0].messages[0].Header("ETag") == "W/\"datetimeoffset'2024-01-01T00%3A00%3A00Z'\"");
  CHECK(parts[0].messages[0].body == "{\"d\":{\"SalesOrder\":\"1000001\"}}");
  CHECK(parts[1].messages[0].status == 400);
  // A cut answer is not read as a whole one.
  CHECK_FALSE(mp::Parse(answer.substr(0, answer.size() - 20), "ejjeeffe0", parts, error));
  CHECK(mp::Boundary("multipart/mixed; boundary=\"b 1\"; charset=x") == "b 1");
}

namespace {

// The answer of a $batch to a fake server: `parts` framed with boundary "resp". (The fake
// answers Content-Type application/json whatever the header says: the connector then takes the
// boundary from the body's first line.)
crmx::testing::Answer BatchAnswer(const std::vector<mp::Part>& parts) {
  crmx::testing::Answer a;
  a.status = 202;
  a.body = mp::Build("resp", parts);
  a.headers = {{"Content-Type", "multipart/mixed; boundary=resp"}};
  return a;
}

mp::Message Status(int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  mp::Message m;
  m.status = status;
  m.body = std::move(body);
  m.headers = std::move(headers);
  return m;
}

std::unique_ptr<crmx::connectors::Connector> OpenSap(const std::string& url, std::string& error) {
  SystemProfile p = crmx::testing::FakeProfile("sap", url, "basic", {{"username", "CRMX_COMM_USER"}},
                                                {{"password", Secret("env:SAP_PASSWORD", "crmx-test-password")}});
  return crmx::connectors::OpenApi(p, error);
}

}  // namespace

TEST_CASE("sap: a stale ETag (412) re-reads the order and sends its update once more") {
  std::atomic<int> lookups{0}, applies{0};
  crmx::testing::FakeVendor fake([&](const crmx::testing::Seen& s) {
    crmx::testing::Answer a;
    if (s.method == "GET") {
      a.headers = {{"x-csrf-token", "tok-1"}, {"Set-Cookie", "SAP_SESSIONID_CRX_100=s1; path=/"}};
      a.body = "{}";
      return a;
    }
    // Every $batch carries the token and the session cookie, and basic auth.
    if (s.Header("X-CSRF-Token") != "tok-1" || s.Header("Cookie").find("SAP_SESSIONID_CRX_100=s1") == std::string::npos ||
        s.Header("Authorization").rfind("Basic ", 0) != 0) {
      a.status = 403;
      a.headers = {{"x-csrf-token", "Required"}};
      return a;
    }
    if (s.body.find("GET A_SalesOrder?") != std::string::npos) {
      // The first lookup gives the ETag someone else's change has made stale by the time the
      // update arrives; the second the current one.
      std::string etag = ++lookups == 1 ? "W/\\\"old\\\"" : "W/\\\"new\\\"";
      std::string row = R"x({"__metadata":{"uri":"http://x/sap/opu/odata/sap/API_SALES_ORDER_SRV/A_SalesOrder('1000007')",)x"
                        R"("etag":")" + etag + R"("},"SalesOrder":"1000007","ExternalDocumentID":"OPP-1"})";
      return BatchAnswer({mp::Part{false, {Status(200, R"({"d":{"results":[)" + row + "]}}")}}});
    }
    int n = ++applies;
    bool fresh = s.body.find("If-Match: W/\"new\"") != std::string::npos;
    CHECK(s.body.find("PATCH A_SalesOrder('1000007') HTTP/1.1") != std::string::npos);
    CHECK(s.body.find("to_Item") == std::string::npos);
    if (n == 1) CHECK_FALSE(fresh);
    return BatchAnswer({mp::Part{true,
                                 {fresh ? Status(204, "")
                                        : Status(412, R"({"error":{"code":"/IWBEP/CM_MGW_RT/098","message":{"lang":"en",)"
                                                      R"("value":"Precondition failed"}}})")}}});
  });
  std::string error;
  auto conn = OpenSap(fake.Url(), error);
  REQUIRE_MESSAGE(conn, error);
  WriteRequest req = Orders();
  auto writer = conn->OpenWriter(req, error);
  REQUIRE_MESSAGE(writer, error);
  std::vector<Value> row = OrderRow("OPP-1", {Line("TG11", "2")});
  std::vector<WriteResult> done;
  REQUIRE(writer->Add(row.data(), 1, done, error));
  REQUIRE(writer->Commit(done, error));
  REQUIRE(done.size() == 1);
  CHECK_MESSAGE(done[0].ok, done[0].Describe());
  CHECK_FALSE(done[0].created);
  CHECK(done[0].id == "1000007");
  CHECK(lookups == 2);
  CHECK(applies == 2);
}

namespace {

// crmx-emulate in sap mode, with the case's own arguments after.
class SapEmulator : public crmx::testing::EmulatorProcess {
 public:
  explicit SapEmulator(std::vector<std::string> args) : EmulatorProcess(Args({"sap", "--port", "0", "--schemas", std::string(CRMX_SOURCE_DIR) + "/tests/e2e/http/sap"}, args)) {}
};

bool Wanted() { return crmx::testing::EmulatorWanted(); }

std::string Get(const std::string& url, const std::string& path) {
  httplib::Client c(url);
  auto r = c.Get(path.c_str());
  return r ? r->body : std::string();
}

}  // namespace

TEST_CASE("sap emulator: deep insert, CSRF refetch, paging by __next, updates by ETag") {
  if (!Wanted()) return;
  // Server pages of 3; a CSRF token good for 2 modifying calls (a lookup and an apply).
  SapEmulator emu({"--page-size", "3", "--csrf-lifetime", "2"});
  REQUIRE_FALSE(emu.url().empty());
  std::string error;
  auto conn = OpenSap(emu.url(), error);
  REQUIRE_MESSAGE(conn, error);
  WriteRequest req = Orders();
  req.batch = 4;
  std::vector<WriteResult> done;
  {
    auto writer = conn->OpenWriter(req, error);
    REQUIRE_MESSAGE(writer, error);
    for (int i = 0; i < 10; ++i) {
      std::vector<Value> row = OrderRow("OPP-" + std::to_string(i), {Line("TG11", "2"), Line("TG12", "0.5")});
      REQUIRE(writer->Add(row.data(), static_cast<uint64_t>(i), done, error));
    }
    REQUIRE(writer->Commit(done, error));
    CHECK(writer->Calls() > 6);
  }
  REQUIRE(done.size() == 10);
  for (const WriteResult& r : done) {
    CHECK_MESSAGE(r.ok, r.Describe());
    CHECK(r.created);
    CHECK(r.id.size() == 7);
  }
  std::string stats = Get(emu.url(), "/_emulator/stats");
  // Three batches of lookups and three of applies: the token ran out and was fetched again.
  CHECK(stats.find("\"csrf_refused\":0") == std::string::npos);
  std::string items = Get(emu.url(), "/_emulator/records/A_SalesOrderItem");
  CHECK(std::count(items.begin(), items.end(), '\n') == 20);
  CHECK(items.find("\"SalesOrderItem\":\"20\"") != std::string::npos);

  // The same records again: found by ExternalDocumentID and updated with their ETags.
  done.clear();
  {
    auto writer = conn->OpenWriter(req, error);
    REQUIRE(writer);
    for (int i = 0; i < 10; ++i) {
      std::vector<Value> row = OrderRow("OPP-" + std::to_string(i), {Line("TG11", "3")});
      row[5] = Value::String("17100002");
      REQUIRE(writer->Add(row.data(), static_cast<uint64_t>(i), done, error));
    }
    REQUIRE(writer->Commit(done, error));
  }
  REQUIRE(done.size() == 10);
  for (const WriteResult& r : done) {
    CHECK_MESSAGE(r.ok, r.Describe());
    CHECK_FALSE(r.created);
  }
  std::string journal = Get(emu.url(), "/_emulator/journal");
  size_t created = 0, updated = 0;
  for (size_t at = 0; (at = journal.find("\"object\":\"A_SalesOrder\"", at)) != std::string::npos; ++at) {
    size_t eol = journal.find('\n', at);
    std::string line = journal.substr(at, eol - at);
    if (line.find("\"op\":\"created\"") != std::string::npos) ++created;
    if (line.find("\"op\":\"updated\"") != std::string::npos) ++updated;
  }
  CHECK(created == 10);
  CHECK(updated == 10);

  // A read pages by the server's __next (pages of 3) and parses the V2 dates.
  ReadRequest rr;
  rr.object = "A_SalesOrder";
  rr.fields = {"SalesOrder", "ExternalDocumentID", "SoldToParty", "LastChangeDateTime"};
  rr.types = {FieldType::kString, FieldType::kString, FieldType::kString, FieldType::kDateTime};
  rr.id_field = "SalesOrder";
  rr.pushdown = {Cond("SoldToParty", FilterOp::kEq, Value::String("17100002"))};
  auto reader = conn->OpenReader(rr, error);
  REQUIRE_MESSAGE(reader, error);
  crmx::connectors::RecordBatch batch;
  size_t rows = 0;
  while (reader->Next(batch)) {
    for (size_t i = 0; i < batch.size(); ++i) {
      CHECK(batch.Row(i)[2].AsText() == "17100002");
      CHECK(batch.Row(i)[3].kind() == crmx::value::Kind::kTimestamp);
    }
    rows += batch.size();
  }
  CHECK_MESSAGE(reader->error().empty(), reader->error());
  CHECK(rows == 10);
  CHECK(reader->Total() == 10);
  CHECK(reader->Calls() >= 4);  // 10 rows in pages of 3
}

TEST_CASE("sap emulator: 428 without If-Match, 412 with a stale one, 403 without a CSRF token") {
  if (!Wanted()) return;
  SapEmulator emu({});
  REQUIRE_FALSE(emu.url().empty());
  httplib::Client c(emu.url());
  httplib::Headers auth = {{"Authorization", "Basic " + crmx::auth::Base64("CRMX_COMM_USER:crmx-test-password")}};
  const std::string root = "/sap/opu/odata/sap/API_SALES_ORDER_SRV/";
  // No token: refused, and says a token is required.
  auto r = c.Post((root + "A_SalesOrder").c_str(), auth, R"({"SalesOrderType":"OR"})", "application/json");
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(r->get_header_value("x-csrf-token") == "Required");
  // Wrong password: 401.
  httplib::Headers bad = {{"Authorization", "Basic " + crmx::auth::Base64("CRMX_COMM_USER:nope")}};
  r = c.Get((root + "A_SalesOrder").c_str(), bad);
  REQUIRE(r);
  CHECK(r->status == 401);
  // Fetch a token, create, then update without and with a stale ETag.
  httplib::Headers fetch = auth;
  fetch.emplace("X-CSRF-Token", "Fetch");
  r = c.Get(root.c_str(), fetch);
  REQUIRE(r);
  std::string token = r->get_header_value("x-csrf-token");
  std::string cookie = r->get_header_value("Set-Cookie");
  REQUIRE_FALSE(token.empty());
  httplib::Headers w = auth;
  w.emplace("X-CSRF-Token", token);
  w.emplace("Cookie", cookie.substr(0, cookie.find(';')));
  r = c.Post((root + "A_SalesOrder").c_str(), w,
             R"({"SalesOrderType":"OR","SalesOrganization":"1710","DistributionChannel":"10","OrganizationDivision":"00",)"
             R"("SoldToParty":"17100001","ExternalDocumentID":"X-1"})",
             "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 201);
  std::string etag = r->get_header_value("etag");
  CHECK(etag.rfind("W/\"datetimeoffset'", 0) == 0);
  CHECK(r->body.find("\"LastChangeDateTime\":\"/Date(") != std::string::npos);
  r = c.Patch((root + "A_SalesOrder('1000000')").c_str(), w, R"({"SoldToParty":"17100002"})", "application/json");
  REQUIRE(r);
  CHECK(r->status == 428);
  httplib::Headers stale = w;
  stale.emplace("If-Match", "W/\"datetimeoffset'2000-01-01T00%3A00%3A00Z'\"");
  r = c.Patch((root + "A_SalesOrder('1000000')").c_str(), stale, R"({"SoldToParty":"17100002"})", "application/json");
  REQUIRE(r);
  CHECK(r->status == 412);
  CHECK(r->body.find("\"errordetails\"") != std::string::npos);
  httplib::Headers fresh = w;
  fresh.emplace("If-Match", etag);
  r = c.Patch((root + "A_SalesOrder('1000000')").c_str(), fresh, R"({"SoldToParty":"17100002"})", "application/json");
  REQUIRE(r);
  CHECK(r->status == 204);
  // MaxLength and read-only properties are refused in SAP's V2 body.
  r = c.Post((root + "A_SalesOrder").c_str(), w,
             R"({"SalesOrderType":"ORDER","SalesOrganization":"1710","DistributionChannel":"10",)"
             R"("OrganizationDivision":"00","SoldToParty":"17100001"})",
             "application/json");
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(r->body.find("MaxLength 4") != std::string::npos);
  CHECK(r->body.find("\"target\":\"SalesOrderType\"") != std::string::npos);
}

TEST_CASE("sap: profiles log in with basic auth or client credentials, the client as HTTP Basic") {
  setenv("CRMX_TEST_SAP_PASSWORD", "s3cret-pw", 1);
  crmx::profile::Target target;
  std::string error;
  REQUIRE_MESSAGE(crmx::profile::Parse(R"(targets:
  t:
    erp:
      kind: sap
      base_url: https://my123456-api.s4hana.cloud.sap
      auth:
        method: basic
        username: CRMX_COMM_USER
        password: env:CRMX_TEST_SAP_PASSWORD
)",
                                       "p.yaml", "t", target, error),
                  error);
  // A literal password is refused; client credentials for sap need the token URL.
  CHECK_FALSE(crmx::profile::Parse(
      "targets:\n  t:\n    erp:\n      kind: sap\n      base_url: https://h\n      auth:\n        method: basic\n"
      "        username: U\n        password: plain\n",
      "p.yaml", "t", target, error));
  CHECK_FALSE(crmx::profile::Parse(
      "targets:\n  t:\n    erp:\n      kind: sap\n      base_url: https://h\n      auth:\n        method: "
      "oauth2_client_credentials\n        client_id: c\n        client_secret: env:CRMX_TEST_SAP_PASSWORD\n",
      "p.yaml", "t", target, error));
  CHECK(error.find("token_url") != std::string::npos);

  std::atomic<int> logins{0};
  crmx::testing::FakeVendor fake([&](const crmx::testing::Seen& s) {
    crmx::testing::Answer a;
    if (s.path == "/sap/bc/sec/oauth2/token") {
      ++logins;
      CHECK(s.Header("Authorization") == "Basic " + crmx::auth::Base64("client-1:s3cret-pw"));
      CHECK(s.body.find("grant_type=client_credentials") != std::string::npos);
      CHECK(s.body.find("client_secret") == std::string::npos);
      CHECK(s.body.find("scope=API_SALES_ORDER_SRV_0001") != std::string::npos);
      a.body = R"({"access_token":"tok-1","token_type":"Bearer","expires_in":3600})";
      return a;
    }
    a.status = 401;
    a.body = R"({"error":"invalid_client","error_description":"bad client s3cret-pw"})";
    return a;
  });
  SystemProfile p = crmx::testing::FakeProfile("sap", fake.Url(), "oauth2_client_credentials",
                                                {{"client_id", "client-1"},
                                                 {"scope", "API_SALES_ORDER_SRV_0001"},
                                                 {"token_url", fake.Url() + "/sap/bc/sec/oauth2/token"}},
                                                {{"client_secret", Secret("env:X", "s3cret-pw")}});
  crmx::http::Client client;
  auto auth = crmx::auth::Make(p, client, error);
  REQUIRE_MESSAGE(auth, error);
  crmx::http::Request req;
  req.url = fake.Url() + "/x";
  REQUIRE(auth->Authorize(req, error));
  CHECK(req.headers.back().second == "Bearer tok-1");
  REQUIRE(auth->Authorize(req, error));
  CHECK(logins == 1);  // kept until it expires or is refused
  // A refused client: the message says so without the secret, even when the server echoes it.
  p.auth.params["token_url"] = fake.Url() + "/other";
  auto refused = crmx::auth::Make(p, client, error);
  REQUIRE(refused);
  CHECK_FALSE(refused->Authorize(req, error));
  CHECK(error.find("invalid_client") != std::string::npos);
  CHECK(error.find("s3cret-pw") == std::string::npos);

  SystemProfile b = crmx::testing::FakeProfile("sap", "", "basic", {{"username", "CRMX_COMM_USER"}},
                                                {{"password", Secret("env:X", "pw")}});
  auto basic = crmx::auth::Make(b, client, error);
  REQUIRE_MESSAGE(basic, error);
  crmx::http::Request r2;
  REQUIRE(basic->Authorize(r2, error));
  CHECK(r2.headers.back().second == "Basic " + crmx::auth::Base64("CRMX_COMM_USER:pw"));
  b.auth.secrets.clear();
  CHECK_FALSE(crmx::auth::Make(b, client, error));
  CHECK(error.find("password") != std::string::npos);
}
