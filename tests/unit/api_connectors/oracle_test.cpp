// Tests the Oracle Fusion REST connector (runtime/connectors/oracle): the `q` and query string of
// a read (pushdown, cursor, fields, paging parameters), the payload and batch body of a write
// (child lines in the parent's payload), the per-part answers of a batch (all or nothing: failed
// parts reported, the others sent again), error bodies (o:errorDetails, plain text), and whole
// reads and writes against a fake server; then, when CRMX_EMULATE names the crmx-emulate binary,
// against `crmx-emulate oracle`: paging by hasMore, upsert replay, 429 retried, validation per record.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "tests/unit/api_connectors/emulator_process.h"
#include "runtime/auth/auth.h"
#include "runtime/connectors/api/open_api.h"
#include "runtime/connectors/oracle/oracle.h"
#include "tests/unit/api_connectors/fake_vendor.h"
#include "tests/unit/api_connectors/test_support.h"

namespace oc = crmx::connectors::oracle;
namespace api = crmx::connectors::api;
namespace connectors = crmx::connectors;
using crmx::connectors::ReadRequest;
using crmx::connectors::WriteRequest;
using crmx::connectors::WriteResult;
using crmx::plan::FieldType;
using crmx::plan::FilterOp;
using crmx::plan::SourceCondition;
using crmx::plan::TargetField;
using crmx::profile::Secret;
using crmx::profile::SystemProfile;
using crmx::testing::Answer;
using crmx::testing::Dec;
using crmx::testing::FakeVendor;
using crmx::testing::Field;
using crmx::testing::Seen;
using crmx::testing::TestSession;
using crmx::value::Value;

namespace {

Value Line(std::vector<std::pair<const char*, Value>> entries) {
  std::vector<std::pair<Value, Value>> m;
  for (auto& [k, v] : entries) m.emplace_back(Value::String(k), v);
  return Value::Map(std::move(m));
}

WriteRequest Orders() {
  WriteRequest req;
  req.object = "salesOrdersForOrderHub";
  req.key_field = "SourceTransactionNumber";
  req.id_field = "HeaderId";
  TargetField lines = Field("lines", FieldType::kAny);
  lines.element = {Field("SourceTransactionLineId", FieldType::kString), Field("ProductNumber", FieldType::kString),
                   Field("OrderedQuantity", FieldType::kDecimal), Field("UnitListPrice", FieldType::kDecimal, 2)};
  req.fields = {Field("SourceTransactionNumber", FieldType::kString), Field("SourceTransactionSystem", FieldType::kString),
                Field("TransactionOn", FieldType::kDateTime), lines};
  return req;
}

std::vector<Value> Order(const std::string& number, const char* product = "AS54888") {
  crmx::value::Time t;
  REQUIRE(crmx::value::ParseTimestamp("2024-05-01T10:00:00Z", t));
  return {Value::String(number), Value::String("CRMX"), Value::Timestamp(t),
          Value::List({Line({{"SourceTransactionLineId", Value::String(number + "-1")},
                             {"ProductNumber", Value::String(product)},
                             {"OrderedQuantity", Dec("2")},
                             {"UnitListPrice", Dec("10.5")}})})};
}

SystemProfile BasicProfile(const std::string& url) {
  return crmx::testing::FakeProfile("oracle", url, "basic", {{"username", "crmx-test-user"}},
                                    {{"password", Secret("env:ORACLE_PASSWORD", "crmx-test-password")}});
}

std::vector<WriteResult> WriteAll(connectors::Connector& conn, const WriteRequest& req,
                                  const std::vector<std::vector<Value>>& rows) {
  std::string error;
  auto w = conn.OpenWriter(req, error);
  REQUIRE_MESSAGE(w, error);
  std::vector<WriteResult> done;
  for (size_t i = 0; i < rows.size(); ++i) REQUIRE(w->Add(rows[i].data(), i + 1, done, error));
  REQUIRE(w->Commit(done, error));
  std::sort(done.begin(), done.end(), [](const WriteResult& a, const WriteResult& b) { return a.tag < b.tag; });
  return done;
}

}  // namespace

TEST_CASE("oracle: resources live under fscmRestApi or crmRestApi at the profile's version") {
  SystemProfile p;
  CHECK(oc::ResourceRoot(p, "salesOrdersForOrderHub") == "/fscmRestApi/resources/11.13.18.05");
  CHECK(oc::ResourceRoot(p, "accounts") == "/crmRestApi/resources/11.13.18.05");
  p.api_version = "latest";
  p.options["rest_root"] = "myRestApi";
  CHECK(oc::ResourceRoot(p, "accounts") == "/myRestApi/resources/latest");
}

TEST_CASE("oracle: q holds the pushdown Oracle decides like the VM, and the cursor; a quote stays in its literal") {
  ReadRequest req;
  req.object = "salesOrdersForOrderHub";
  req.fields = {"OrderNumber", "StatusCode", "TotalAmount", "SubmittedFlag", "LastUpdateDate", "BuyingPartyName"};
  req.types = {FieldType::kString, FieldType::kString, FieldType::kDecimal, FieldType::kBool, FieldType::kDateTime,
               FieldType::kString};
  req.pushdown = {SourceCondition{"StatusCode", FilterOp::kEq, Value::String("OPEN")},
                  SourceCondition{"TotalAmount", FilterOp::kGe, Dec("100.50")},
                  // Booleans and string orderings stay with the engine.
                  SourceCondition{"SubmittedFlag", FilterOp::kEq, Value::Bool(true)},
                  SourceCondition{"BuyingPartyName", FilterOp::kGt, Value::String("M")},
                  SourceCondition{"BuyingPartyName", FilterOp::kNe, Value::String("O'Brien")}};
  req.cursor = "LastUpdateDate";
  req.since = "2024-05-01T10:00:00.75Z";
  std::string q = oc::BuildQ(req);
  CHECK(q.find("StatusCode = 'OPEN'") != std::string::npos);
  CHECK(q.find("TotalAmount >= 100.50") != std::string::npos);
  CHECK(q.find("SubmittedFlag") == std::string::npos);
  CHECK(q.find("BuyingPartyName >") == std::string::npos);
  // The VM keeps a null for `!=`: so does the query.
  CHECK(q.find("(BuyingPartyName != 'O''Brien' or BuyingPartyName is null)") != std::string::npos);
  // Whole seconds, rounded down, in Oracle's offset form.
  CHECK(q.find("LastUpdateDate >= '2024-05-01T10:00:00+00:00'") != std::string::npos);
  std::string query = oc::BuildQuery(req, 500, 500);
  CHECK(query.find("fields=OrderNumber%2CStatusCode%2CTotalAmount%2CSubmittedFlag%2CLastUpdateDate%2CBuyingPartyName") !=
        std::string::npos);
  CHECK(query.find("onlyData=true&offset=500&limit=500") != std::string::npos);
  CHECK(query.find("orderBy=LastUpdateDate%3Aasc") != std::string::npos);
  CHECK(query.find("totalResults=false") != std::string::npos);
  CHECK(query.rfind("q=", 0) == 0);

  ReadRequest in;
  in.fields = {"Country"};
  in.types = {FieldType::kString};
  in.pushdown = {SourceCondition{"Country", FilterOp::kIn, Value::List({Value::String("US"), Value::String("CA")})}};
  in.id_field = "PartyId";
  CHECK(oc::BuildQ(in) == "Country in ('US', 'CA')");
  CHECK(oc::BuildQuery(in, 0, 25).find("orderBy=PartyId%3Aasc") != std::string::npos);
  in.pushdown = {SourceCondition{"Country", FilterOp::kEq, Value::Null()}};
  CHECK(oc::BuildQ(in) == "Country is null");
}

TEST_CASE("oracle: the payload keeps the key and carries the lines; the batch names each part") {
  WriteRequest req = Orders();
  std::vector<Value> row = Order("SO-1");
  std::string payload = oc::BuildPayload(req, row.data());
  CHECK(payload ==
        R"({"SourceTransactionNumber":"SO-1","SourceTransactionSystem":"CRMX","TransactionOn":"2024-05-01T10:00:00Z",)"
        R"("lines":[{"SourceTransactionLineId":"SO-1-1","ProductNumber":"AS54888","OrderedQuantity":2,"UnitListPrice":10.50}]})");
  std::string batch = oc::BuildBatch("salesOrdersForOrderHub", {"{\"A\":1}", "{\"A\":2}"});
  CHECK(batch == R"({"parts":[{"id":"part0","path":"/salesOrdersForOrderHub","operation":"upsert","payload":{"A":1}},)"
                 R"({"id":"part1","path":"/salesOrdersForOrderHub","operation":"upsert","payload":{"A":2}}]})");
}

TEST_CASE("oracle: batch answers per part, error bodies and plain-text 400s") {
  std::vector<oc::PartAnswer> parts;
  REQUIRE(oc::ParseBatchAnswer(
      R"({"parts":[{"id":"part0","path":"/x","operation":"upsert","payload":{"HeaderId":300000000123,"OrderNumber":"5"}},
                   {"id":"part1","path":"/x","operation":"upsert","payload":{"title":"Bad Request","status":"400",
                    "o:errorDetails":[{"detail":"Attribute SourceTransactionId in salesOrdersForOrderHub is required.",
                    "o:errorCode":"JBO-27014","o:errorPath":"SourceTransactionId"}]}}]})",
      "HeaderId", parts));
  REQUIRE(parts.size() == 2);
  CHECK(!parts[0].failed);
  CHECK(parts[0].result.id == "300000000123");
  CHECK(parts[1].failed);
  CHECK(parts[1].result.code == "JBO-27014");
  CHECK(parts[1].result.fields == std::vector<std::string>{"SourceTransactionId"});
  CHECK(!oc::ParseBatchAnswer("Bad request", "HeaderId", parts));

  std::string code, message;
  std::vector<std::string> fields;
  oc::ReadErrorBody("The request failed because the attribute Foo isn't valid.\n", code, message, fields);
  CHECK(code.empty());
  CHECK(message == "The request failed because the attribute Foo isn't valid.");
  code.clear();
  message.clear();
  oc::ReadErrorBody(R"({"title":"Bad Request","status":"400","o:errorDetails":[{"detail":"The value XYZ of the attribute )"
                    R"(TransactionalCurrencyCode isn't in the list of values.","o:errorCode":"JBO-27008",)"
                    R"("o:errorPath":"TransactionalCurrencyCode"}]})",
                    code, message, fields);
  CHECK(code == "JBO-27008");
  CHECK(message.find("list of values") != std::string::npos);
  CHECK(!api::Retriable(400, "JBO-27008"));
  CHECK(!api::Retriable(400, "JBO-27014"));
  crmx::http::Response r429;
  r429.status = 429;
  CHECK(oc::NotApplied(r429));
  crmx::http::Response r400;
  r400.status = 400;
  CHECK(!oc::NotApplied(r400));
}

TEST_CASE("oracle: a read pages while hasMore, with basic auth and the q of the cursor") {
  int calls = 0;
  FakeVendor v([&](const Seen& s) -> Answer {
    ++calls;
    if (s.Header("Authorization") != "Basic " + crmx::auth::Base64("crmx-test-user:crmx-test-password")) return {401, "", {}};
    if (s.Param("offset") == "0")
      return {200, R"({"items":[{"OrderNumber":"1","LastUpdateDate":"2024-05-01T10:00:00+00:00"},)"
                   R"({"OrderNumber":"2","LastUpdateDate":"2024-05-01T11:00:00.000+02:00"}],"count":2,"hasMore":true,"limit":2,"offset":0})", {}};
    return {200, R"({"items":[{"OrderNumber":"3","LastUpdateDate":null}],"count":1,"hasMore":false,"limit":2,"offset":2})", {}};
  });
  auto conn = oc::Open(TestSession(BasicProfile(v.Url())));
  ReadRequest req;
  req.object = "salesOrdersForOrderHub";
  req.fields = {"OrderNumber", "LastUpdateDate"};
  req.types = {FieldType::kString, FieldType::kDateTime};
  req.batch = 2;
  req.cursor = "LastUpdateDate";
  req.since = "2024-01-01T00:00:00Z";
  std::string error;
  auto r = conn->OpenReader(req, error);
  REQUIRE_MESSAGE(r, error);
  connectors::RecordBatch b;
  std::vector<std::string> numbers, times;
  while (r->Next(b))
    for (size_t i = 0; i < b.size(); ++i) {
      numbers.push_back(std::string(b.Row(i)[0].AsText()));
      times.push_back(b.Row(i)[1].IsNull() ? "null" : crmx::value::FormatTimestamp(b.Row(i)[1].AsTime()));
    }
  CHECK(r->error().empty());
  CHECK(numbers == std::vector<std::string>{"1", "2", "3"});
  CHECK(times == std::vector<std::string>{"2024-05-01T10:00:00Z", "2024-05-01T09:00:00Z", "null"});
  auto seen = v.Requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].path == "/fscmRestApi/resources/11.13.18.05/salesOrdersForOrderHub");
  CHECK(seen[0].Param("q") == "LastUpdateDate >= '2024-01-01T00:00:00+00:00'");
  CHECK(seen[1].Param("offset") == "2");
  CHECK(seen[0].Header("REST-Framework-Version") == "2");
}

TEST_CASE("oracle: a failed batch reports its failed parts and sends the others again; a plain 400 goes one by one") {
  std::vector<std::string> bodies;
  FakeVendor v([&](const Seen& s) -> Answer {
    bodies.push_back(s.body);
    if (s.path == "/fscmRestApi/resources/11.13.18.05/") {
      if (s.Header("Content-Type") != "application/vnd.oracle.adf.batch+json") return {415, "", {}};
      if (s.body.find("SO-BAD") != std::string::npos) {
        // All or nothing: only the failed part is listed.
        std::string id = s.body.find("\"part1\",\"path\":\"/salesOrdersForOrderHub\",\"operation\":\"upsert\",\"payload\":{\"SourceTransactionNumber\":\"SO-BAD\"") !=
                                 std::string::npos ? "part1" : "part0";
        return {400, R"({"parts":[{"id":")" + id + R"(","path":"/salesOrdersForOrderHub","operation":"upsert","payload":)"
                     R"({"title":"Bad Request","status":"400","o:errorDetails":[{"detail":"The value XX isn't in the list of values.",)"
                     R"("o:errorCode":"JBO-27008","o:errorPath":"lines/0/ProductNumber"}]}}]})", {}};
      }
      if (s.body.find("SO-TEXT") != std::string::npos) return {400, "The request failed because of a bad payload.", {}};
      std::string out = R"({"parts":[)";
      size_t n = 0;
      for (size_t at = s.body.find("\"id\":\"part"); at != std::string::npos; at = s.body.find("\"id\":\"part", at + 1)) {
        out += std::string(n ? "," : "") + R"({"id":"part)" + std::to_string(n) + R"(","payload":{"HeaderId":)" +
               std::to_string(1000 + n) + "}}";
        ++n;
      }
      return {200, out + "]}", {}};
    }
    CHECK(s.Header("Upsert-Mode") == "true");
    if (s.body.find("SO-TEXT") != std::string::npos) return {400, "The request failed because of a bad payload.", {}};
    return {201, R"({"HeaderId":77})", {}};
  });
  auto conn = oc::Open(TestSession(BasicProfile(v.Url())));
  WriteRequest req = Orders();
  auto done = WriteAll(*conn, req, {Order("SO-1"), Order("SO-BAD", "XX"), Order("SO-3")});
  REQUIRE(done.size() == 3);
  CHECK(done[0].ok);
  CHECK(!done[1].ok);
  CHECK(done[1].code == "JBO-27008");
  CHECK(!done[1].retriable);
  CHECK(done[1].fields == std::vector<std::string>{"lines/0/ProductNumber"});
  CHECK(done[2].ok);
  // The first batch failed; the second carried only SO-1 and SO-3.
  REQUIRE(bodies.size() == 2);
  CHECK(bodies[1].find("SO-BAD") == std::string::npos);
  CHECK(bodies[1].find("SO-3") != std::string::npos);
  CHECK(done[0].id == "1000");
  CHECK(done[2].id == "1001");

  bodies.clear();
  done = WriteAll(*conn, req, {Order("SO-4"), Order("SO-TEXT")});
  REQUIRE(done.size() == 2);
  CHECK(done[0].ok);
  CHECK(done[0].id == "77");
  CHECK(!done[1].ok);
  CHECK(done[1].http_status == 400);
  CHECK(done[1].message == "The request failed because of a bad payload.");
  CHECK(bodies.size() == 3);  // the batch, then each record with Upsert-Mode
}

TEST_CASE("oracle: a throttled batch is waited out and sent again; a lost answer is a retriable failure per record") {
  int batches = 0;
  FakeVendor v([&](const Seen&) -> Answer {
    if (++batches == 1) return {429, R"({"title":"Too Many Requests","status":"429"})", {{"Retry-After", "2"}}};
    return {200, R"({"parts":[{"id":"part0","payload":{"HeaderId":5}},{"id":"part1","payload":{"HeaderId":6}}]})", {}};
  });
  std::vector<int64_t> waits;
  auto conn = oc::Open(TestSession(BasicProfile(v.Url()), &waits));
  auto done = WriteAll(*conn, Orders(), {Order("SO-1"), Order("SO-2")});
  REQUIRE(done.size() == 2);
  CHECK(done[0].ok);
  CHECK(done[1].id == "6");
  CHECK(waits == std::vector<int64_t>{2000});

  SystemProfile p = BasicProfile("http://127.0.0.1:1");
  auto gone = oc::Open(TestSession(p));
  done = WriteAll(*gone, Orders(), {Order("SO-1"), Order("SO-2")});
  REQUIRE(done.size() == 2);
  CHECK(!done[0].ok);
  CHECK(done[0].retriable);
  CHECK(done[0].http_status == 0);
}

// ---- against crmx-emulate oracle ----

namespace {

const std::string kSchemas = std::string(CRMX_SOURCE_DIR) + "/schemas/oracle-fusion";

// crmx-emulate in oracle mode, with the case's own arguments after.
class OracleEmulator : public crmx::testing::EmulatorProcess {
 public:
  explicit OracleEmulator(std::vector<std::string> args) : EmulatorProcess(Args({"oracle", "--port", "0", "--schemas", kSchemas}, args)) {}
};

bool Wanted() { return crmx::testing::EmulatorWanted(); }

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

WriteRequest FullOrders() {
  WriteRequest req = Orders();
  req.fields.insert(req.fields.begin() + 2, Field("SourceTransactionId", FieldType::kString));
  req.fields.insert(req.fields.begin() + 3, Field("TransactionalCurrencyCode", FieldType::kString));
  req.fields.back().element = {Field("SourceTransactionLineId", FieldType::kString),
                               Field("SourceTransactionLineNumber", FieldType::kString),
                               Field("SourceTransactionScheduleId", FieldType::kString),
                               Field("SourceScheduleNumber", FieldType::kString),
                               Field("ProductNumber", FieldType::kString),
                               Field("OrderedQuantity", FieldType::kDecimal),
                               Field("TransactionCategoryCode", FieldType::kString)};
  return req;
}

std::vector<Value> FullOrder(const std::string& n, const std::string& currency = "USD") {
  crmx::value::Time t;
  REQUIRE(crmx::value::ParseTimestamp("2024-05-01T10:00:00Z", t));
  return {Value::String(n), Value::String("CRMX"), Value::String(n), Value::String(currency), Value::Timestamp(t),
          Value::List({Line({{"SourceTransactionLineId", Value::String(n + "-1")},
                             {"SourceTransactionLineNumber", Value::String("1")},
                             {"SourceTransactionScheduleId", Value::String(n + "-1")},
                             {"SourceScheduleNumber", Value::String("1")},
                             {"ProductNumber", Value::String("AS54888")},
                             {"OrderedQuantity", Dec("3")},
                             {"TransactionCategoryCode", Value::String("ORDER")}})})};
}

}  // namespace

TEST_CASE("emulator: Oracle upserts orders with lines, replays without duplicates, validates per record, pages by hasMore") {
  if (!Wanted()) return;
  OracleEmulator emu({});
  REQUIRE(!emu.url().empty());
  auto conn = oc::Open(TestSession(BasicProfile(emu.url())));
  WriteRequest req = FullOrders();
  req.batch = 4;
  std::vector<std::vector<Value>> rows;
  for (int i = 0; i < 9; ++i) rows.push_back(FullOrder("SO-" + std::to_string(i)));
  rows.push_back(FullOrder("SO-BAD", "XYZ"));
  auto done = WriteAll(*conn, req, rows);
  REQUIRE(done.size() == 10);
  for (size_t i = 0; i < 9; ++i) {
    CHECK_MESSAGE(done[i].ok, done[i].Describe());
    CHECK(!done[i].id.empty());
  }
  CHECK(!done[9].ok);
  CHECK(done[9].code == "JBO-27008");
  CHECK(done[9].fields == std::vector<std::string>{"TransactionalCurrencyCode"});
  CHECK(!done[9].retriable);
  // A mandatory attribute missing: JBO-27014, per record.
  WriteRequest thin = Orders();
  auto missing = WriteAll(*conn, thin, {Order("SO-THIN")});
  REQUIRE(missing.size() == 1);
  CHECK(missing[0].code == "JBO-27014");

  // The same records again (a retry after a lost answer): updated, not created twice.
  auto again = WriteAll(*conn, req, {rows[0], rows[1]});
  CHECK(again[0].ok);
  CHECK(again[0].id == done[0].id);
  std::string journal = emu.Get("/_emulator/journal");
  CHECK(Count(journal, "\"op\":\"created\"") == 9);
  CHECK(Count(journal, "\"op\":\"updated\"") == 2);
  CHECK(Count(journal, "\"key\":\"CRMX:SO-0\"") == 2);

  ReadRequest rr;
  rr.object = "salesOrdersForOrderHub";
  rr.fields = {"SourceTransactionNumber", "HeaderId", "LastUpdateDate", "StatusCode"};
  rr.types = {FieldType::kString, FieldType::kInt, FieldType::kDateTime, FieldType::kString};
  rr.batch = 4;
  rr.cursor = "LastUpdateDate";
  rr.since = "2020-01-01T00:00:00Z";
  rr.pushdown = {SourceCondition{"StatusCode", FilterOp::kEq, Value::String("OPEN")}};
  std::string error;
  auto reader = conn->OpenReader(rr, error);
  REQUIRE_MESSAGE(reader, error);
  connectors::RecordBatch b;
  std::set<std::string> seen;
  while (reader->Next(b))
    for (size_t i = 0; i < b.size(); ++i) {
      seen.insert(std::string(b.Row(i)[0].AsText()));
      CHECK(!b.Row(i)[2].IsNull());
    }
  CHECK(reader->error().empty());
  CHECK(seen.size() == 9);
  CHECK(reader->Calls() == 3);  // 4 + 4 + 1, by hasMore
}

TEST_CASE("emulator: Oracle throttling (429) is retried after Retry-After, then reported") {
  if (!Wanted()) return;
  OracleEmulator emu({"--oracle-rate-limit", "2"});
  REQUIRE(!emu.url().empty());
  std::vector<int64_t> waits;
  auto conn = oc::Open(TestSession(BasicProfile(emu.url()), &waits));
  ReadRequest rr;
  rr.object = "accounts";
  rr.fields = {"PartyNumber"};
  rr.types = {FieldType::kString};
  std::string error;
  for (int i = 0; i < 2; ++i) {
    auto reader = conn->OpenReader(rr, error);
    connectors::RecordBatch b;
    while (reader->Next(b)) {
    }
    CHECK(reader->error().empty());
  }
  // The third call in the minute is throttled: a 429 with Retry-After, retried until the
  // attempts are spent (the session does not sleep here), then the read fails with it.
  auto reader = conn->OpenReader(rr, error);
  connectors::RecordBatch b;
  CHECK(!reader->Next(b));
  CHECK(reader->error().find("HTTP 429") != std::string::npos);
  CHECK(waits.size() == 3);
  CHECK(waits[0] == 1000);
}
