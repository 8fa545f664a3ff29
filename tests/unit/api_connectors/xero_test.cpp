// Tests the Xero Accounting connector: request text (paths, where, If-Modified-Since, bodies,
// idempotency keys), `/Date(ms+0000)/` parsing, per-element ValidationErrors, the limit headers;
// whole reads and writes against a canned server (the login with Basic auth, paging, 429
// minute retried, 429 day failing at once); and, when CRMX_EMULATE names the crmx-emulate
// binary, against `crmx-emulate xero` (paging, If-Modified-Since, per-record validation,
// idempotent replays, the day limit).
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "tests/unit/api_connectors/emulator_process.h"
#include "runtime/auth/auth.h"
#include "runtime/connectors/api/open_api.h"
#include "runtime/connectors/xero/xero.h"
#include "tests/unit/api_connectors/fake_vendor.h"
#include "tests/unit/api_connectors/test_support.h"

namespace api = crmx::connectors::api;
namespace connectors = crmx::connectors;
namespace xero = crmx::connectors::xero;
using crmx::plan::FieldType;
using crmx::plan::FilterOp;
using crmx::plan::SourceCondition;
using crmx::plan::TargetField;
using crmx::profile::Secret;
using crmx::profile::SystemProfile;
using crmx::testing::Answer;
using crmx::testing::FakeVendor;
using crmx::testing::Field;
using crmx::testing::ReadEvery;
using crmx::testing::Seen;
using crmx::testing::TestSession;
using crmx::value::Value;

namespace {

api::CallResult XAnswer(long status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  api::CallResult c;
  c.response.status = status;
  c.response.body = std::move(body);
  for (auto& h : headers) c.response.headers.push_back(h);
  c.attempts = 1;
  return c;
}

connectors::ReadRequest Contacts() {
  connectors::ReadRequest req;
  req.object = "Contact";
  req.fields = {"ContactID", "Name", "ContactNumber", "IsCustomer", "Balances.AccountsReceivable.Outstanding",
                "UpdatedDateUTC"};
  req.types = {FieldType::kString, FieldType::kString, FieldType::kString,
               FieldType::kBool,   FieldType::kDecimal, FieldType::kDateTime};
  req.id_field = "ContactID";
  return req;
}

SystemProfile XeroProfile(const std::string& url, const std::string& token_url) {
  SystemProfile p = crmx::testing::FakeProfile(
      "xero", url, "oauth2_client_credentials",
      {{"client_id", "crmx-test-client"}, {"token_url", token_url}, {"scope", "accounting.transactions,accounting.contacts"}},
      {{"client_secret", Secret("env:XERO_CLIENT_SECRET", "crmx-test-secret")}});
  p.account_id = "crmx-test-tenant";
  return p;
}

std::string ContactJson(int i, int64_t ms) {
  return R"({"ContactID":"id-)" + std::to_string(i) + R"(","Name":"C )" + std::to_string(i) +
         R"(","UpdatedDateUTC":"/Date()" + std::to_string(ms) + R"(+0000)/"})";
}

}  // namespace

TEST_CASE("xero: /Date(ms+0000)/ is read as an RFC 3339 instant; other text is not") {
  std::string out;
  CHECK(xero::ParseMsDate("/Date(1573755038314+0000)/", out));
  CHECK(out == "2019-11-14T18:10:38.314Z");
  CHECK(xero::ParseMsDate("/Date(1573689600000)/", out));
  CHECK(out == "2019-11-14T00:00:00Z");
  CHECK(xero::ParseMsDate("/Date(0+1300)/", out));
  CHECK(out == "1970-01-01T00:00:00Z");
  CHECK(xero::ParseMsDate("/Date(-1000+0000)/", out));
  CHECK(out == "1969-12-31T23:59:59Z");
  CHECK_FALSE(xero::ParseMsDate("2019-11-14T00:00:00", out));
  CHECK_FALSE(xero::ParseMsDate("/Date(12x)/", out));
  CHECK_FALSE(xero::ParseMsDate("/Date(12+00)/", out));
  CHECK_FALSE(xero::ParseMsDate("/Date()/", out));
}

TEST_CASE("xero: collections, ids and which reads page") {
  CHECK(xero::Collection("Contact") == "Contacts");
  CHECK(xero::Collection("Invoices") == "Invoices");
  CHECK(xero::IdField("Invoice") == "InvoiceID");
  CHECK(xero::IdField("Payments") == "PaymentID");
  CHECK(xero::Paged("Contact"));
  CHECK(xero::Paged("Payment"));
  CHECK_FALSE(xero::Paged("Item"));
}

TEST_CASE("xero: a read pages by the cursor, asks If-Modified-Since and pushes only safe conditions") {
  connectors::ReadRequest req = Contacts();
  req.cursor = "UpdatedDateUTC";
  req.since = "2024-10-01T12:00:00.750Z";
  req.pushdown = {SourceCondition{"Name", FilterOp::kEq, Value::String("Acme \"Ltd\""), 0},   // a quote: not pushed
                  SourceCondition{"ContactNumber", FilterOp::kEq, Value::String("C-1"), 0},
                  SourceCondition{"IsCustomer", FilterOp::kEq, Value::Bool(true), 0},
                  SourceCondition{"Name", FilterOp::kNe, Value::String("x"), 0},             // keeps nulls: not pushed
                  SourceCondition{"Balances.AccountsReceivable.Outstanding", FilterOp::kGt, Value::Int(5), 0}};  // dotted
  CHECK(xero::BuildWhere(req) == "ContactNumber==\"C-1\" AND IsCustomer==true");
  CHECK(xero::IfModifiedSince(req) == "2024-10-01T12:00:00Z");
  CHECK(xero::ReadPath(req, 3, 500) ==
        "/Contacts?page=3&pageSize=500&order=UpdatedDateUTC%20ASC&where=ContactNumber%3D%3D%22C-1%22%20AND%20IsCustomer%3D%3Dtrue");
  req.cursor = "Name";
  CHECK(xero::IfModifiedSince(req) == "");
  connectors::ReadRequest items;
  items.object = "Item";
  CHECK(xero::ReadPath(items, 1, 0) == "/Items");
}

TEST_CASE("xero: a write body nests paths and lists; the idempotency key is the request's hash") {
  connectors::WriteRequest req;
  req.object = "Invoice";
  req.key_field = "InvoiceNumber";
  req.fields = {Field("InvoiceNumber", FieldType::kString), Field("Type", FieldType::kString),
                Field("Contact.ContactNumber", FieldType::kString), Field("LineItems", FieldType::kAny)};
  std::vector<std::pair<Value, Value>> line = {{Value::String("Description"), Value::String("Widget")},
                                               {Value::String("Quantity"), Value::Int(2)}};
  std::vector<std::vector<Value>> rows = {{Value::String("INV-1"), Value::String("ACCREC"), Value::String("C-1"),
                                           Value::List({Value::Map(line)})}};
  std::string body = xero::BuildBody(req, rows);
  CHECK(body ==
        R"({"Invoices":[{"InvoiceNumber":"INV-1","Type":"ACCREC","Contact":{"ContactNumber":"C-1"},"LineItems":[{"Description":"Widget","Quantity":2}]}]})");
  std::string k1 = xero::IdempotencyKey("POST", "/Invoices?summarizeErrors=false", body);
  CHECK(k1.size() == 64);
  CHECK(k1 == xero::IdempotencyKey("POST", "/Invoices?summarizeErrors=false", body));
  CHECK(k1 != xero::IdempotencyKey("POST", "/Invoices?summarizeErrors=false", body + " "));
}

TEST_CASE("xero: ValidationErrors are mapped to their own element; the others are saved") {
  auto call = XAnswer(200, R"({"Id":"x","Status":"OK","Contacts":[
      {"ContactID":"c-1","Name":"A","StatusAttributeString":"OK"},
      {"Name":"B","StatusAttributeString":"ERROR","HasValidationErrors":true,"ValidationErrors":[
         {"Message":"The contact name B is already assigned to another contact. The contact name must be unique across all active contacts."}]},
      {"ContactID":"c-3","Name":"C"}]})");
  auto results = xero::ParseWriteAnswer("Contact", call, {7, 8, 9});
  REQUIRE(results.size() == 3);
  CHECK(results[0].ok);
  CHECK(results[0].id == "c-1");
  CHECK(results[0].tag == 7);
  CHECK_FALSE(results[1].ok);
  CHECK(results[1].code == "ValidationException");
  CHECK(results[1].message.find("already assigned to another contact") != std::string::npos);
  CHECK_FALSE(results[1].retriable);
  CHECK(results[2].ok);
  CHECK(results[2].id == "c-3");
}

TEST_CASE("xero: a 400 ValidationException fails its elements, the rest retriable; a short answer is NO_RESULT") {
  auto call = XAnswer(400, R"({"ErrorNumber":10,"Type":"ValidationException","Message":"A validation exception occurred",
      "Elements":[{"Name":"A"},{"Name":"","ValidationErrors":[{"Message":"The contact name must be specified."}]}]})");
  auto results = xero::ParseWriteAnswer("Contact", call, {1, 2});
  REQUIRE(results.size() == 2);
  CHECK(results[0].code == "XERO_BATCH_REJECTED");
  CHECK(results[0].retriable);
  CHECK(results[1].code == "ValidationException");
  CHECK(results[1].message == "The contact name must be specified.");
  CHECK_FALSE(results[1].retriable);
  auto short_answer = xero::ParseWriteAnswer("Contact", XAnswer(200, R"({"Contacts":[{"ContactID":"a"}]})"), {1, 2});
  CHECK(short_answer[0].ok);
  CHECK(short_answer[1].code == "NO_RESULT");
  CHECK(short_answer[1].retriable);
}

TEST_CASE("xero: the limit headers and the 429 problems") {
  auto day = XAnswer(429, "", {{"X-Rate-Limit-Problem", "day"}, {"Retry-After", "40000"}, {"X-DayLimit-Remaining", "0"}});
  CHECK(xero::RateLimitProblem(day.response) == "day");
  auto results = xero::ParseWriteAnswer("Contact", day, {1});
  CHECK(results[0].code == "XERO_DAY_LIMIT");
  CHECK_FALSE(results[0].retriable);
  auto minute = XAnswer(429, "", {{"X-Rate-Limit-Problem", "Minute"}, {"Retry-After", "7"}});
  results = xero::ParseWriteAnswer("Contact", minute, {1});
  CHECK(results[0].code == "XERO_MINUTE_LIMIT");
  CHECK(results[0].retriable);
  CHECK(results[0].retry_after_ms == 7000);
  auto ok = XAnswer(200, "{}", {{"X-DayLimit-Remaining", "4990"}, {"X-MinLimit-Remaining", "58"},
                                {"X-AppMinLimit-Remaining", "9990"}});
  CHECK(xero::LimitsText(ok.response) == "day-remaining=4990 minute-remaining=58 app-minute-remaining=9990");
  CHECK(xero::LimitsText(XAnswer(200, "{}").response) == "");
}

TEST_CASE("xero: a read logs in with Basic auth, carries the tenant, pages until a short page, retries 429 minute") {
  std::atomic<int> logins{0}, pages{0};
  std::atomic<bool> refused{false};
  FakeVendor v([&](const Seen& s) -> Answer {
    if (s.path == "/connect/token") {
      ++logins;
      return {200, R"({"access_token":"tok","expires_in":1800,"token_type":"Bearer"})", {}};
    }
    if (s.path == "/api.xro/2.0/Contacts") {
      if (!refused.exchange(true)) return {429, "", {{"X-Rate-Limit-Problem", "minute"}, {"Retry-After", "3"}}};
      ++pages;
      int page = std::atoi(s.Param("page").c_str());
      std::string rows;
      int n = page == 1 ? 100 : 40;
      for (int i = 0; i < n; ++i) rows += (i ? "," : "") + ContactJson((page - 1) * 100 + i, 1573755038314 + i);
      return {200, R"({"Contacts":[)" + rows + "]}",
              {{"X-DayLimit-Remaining", std::to_string(5000 - pages)}, {"X-MinLimit-Remaining", "55"},
               {"X-AppMinLimit-Remaining", "9999"}}};
    }
    return {404, "", {}};
  });
  std::vector<int64_t> waits;
  auto conn = xero::Open(TestSession(XeroProfile(v.Url() + "/api.xro/2.0", v.Url() + "/connect/token"), &waits));
  connectors::ReadRequest req = Contacts();
  req.batch = 10;  // pages stay at Xero's 100
  std::string error;
  auto reader = conn->OpenReader(req, error);
  REQUIRE(reader);
  auto rows = ReadEvery(*reader);
  CHECK(reader->error() == "");
  REQUIRE(rows.size() == 140);
  CHECK(rows[0][0].AsText() == "id-0");
  CHECK(crmx::value::FormatTimestamp(rows[0][5].AsTime()) == "2019-11-14T18:10:38.314Z");
  CHECK(pages == 2);
  CHECK(logins == 1);
  REQUIRE(waits.size() == 1);
  CHECK(waits[0] == 3000);
  auto token = v.Requests("/connect/token");
  REQUIRE(token.size() == 1);
  CHECK(token[0].Header("Authorization") == "Basic " + crmx::auth::Base64("crmx-test-client:crmx-test-secret"));
  CHECK(token[0].body.find("client_secret") == std::string::npos);
  CHECK(token[0].body.find("scope=accounting.transactions%20accounting.contacts") != std::string::npos);
  auto calls = v.Requests("/api.xro/2.0/");
  REQUIRE(calls.size() == 3);
  CHECK(calls[1].Header("xero-tenant-id") == "crmx-test-tenant");
  CHECK(calls[1].Param("pageSize") == "100");
  CHECK(calls[2].Param("page") == "2");
  CHECK(conn->Limits() == "day-remaining=4998 minute-remaining=55 app-minute-remaining=9999");
}

TEST_CASE("xero: the day limit fails a read at once, saying so; a write's records are not retriable") {
  std::atomic<int> calls{0};
  FakeVendor v([&](const Seen& s) -> Answer {
    if (s.path == "/connect/token") return {200, R"({"access_token":"tok","expires_in":1800})", {}};
    ++calls;
    return {429, "", {{"X-Rate-Limit-Problem", "day"}, {"Retry-After", "50000"}, {"X-DayLimit-Remaining", "0"}}};
  });
  std::vector<int64_t> waits;
  auto conn = xero::Open(TestSession(XeroProfile(v.Url() + "/api.xro/2.0", v.Url() + "/connect/token"), &waits));
  std::string error;
  auto reader = conn->OpenReader(Contacts(), error);
  REQUIRE(reader);
  connectors::RecordBatch b;
  CHECK_FALSE(reader->Next(b));
  CHECK(reader->error().find("XERO_DAY_LIMIT") != std::string::npos);
  CHECK(calls == 1);
  CHECK(waits.empty());

  connectors::WriteRequest w;
  w.object = "Contact";
  w.key_field = "ContactNumber";
  w.fields = {Field("ContactNumber", FieldType::kString), Field("Name", FieldType::kString)};
  auto writer = conn->OpenWriter(w, error);
  REQUIRE(writer);
  std::vector<connectors::WriteResult> done;
  Value row[] = {Value::String("C-1"), Value::String("Acme")};
  REQUIRE(writer->Add(row, 5, done, error));
  REQUIRE(writer->Flush(done, error));
  REQUIRE(done.size() == 1);
  CHECK(done[0].code == "XERO_DAY_LIMIT");
  CHECK_FALSE(done[0].retriable);
  CHECK(calls == 2);
}

TEST_CASE("xero: a write whose answer is lost is sent again with the same Idempotency-Key") {
  std::atomic<int> posts{0};
  FakeVendor v([&](const Seen& s) -> Answer {
    if (s.path == "/connect/token") return {200, R"({"access_token":"tok","expires_in":1800})", {}};
    if (++posts == 1) return {503, R"({"Title":"Service Unavailable"})", {}};
    return {200, R"({"Contacts":[{"ContactID":"c-1","StatusAttributeString":"OK"},{"ContactID":"c-2"}]})", {}};
  });
  std::vector<int64_t> waits;
  auto conn = xero::Open(TestSession(XeroProfile(v.Url() + "/api.xro/2.0", v.Url() + "/connect/token"), &waits));
  connectors::WriteRequest w;
  w.object = "Contact";
  w.key_field = "ContactNumber";
  w.fields = {Field("ContactNumber", FieldType::kString), Field("Name", FieldType::kString)};
  std::string error;
  auto writer = conn->OpenWriter(w, error);
  std::vector<connectors::WriteResult> done;
  Value a[] = {Value::String("C-1"), Value::String("A")};
  Value b[] = {Value::String("C-2"), Value::String("B")};
  writer->Add(a, 1, done, error);
  writer->Add(b, 2, done, error);
  writer->Flush(done, error);
  REQUIRE(done.size() == 2);
  CHECK(done[0].ok);
  CHECK(done[1].id == "c-2");
  auto sent = v.Requests("/api.xro/2.0/Contacts");
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].Param("summarizeErrors") == "false");
  CHECK(sent[0].Header("Idempotency-Key").size() == 64);
  CHECK(sent[0].Header("Idempotency-Key") == sent[1].Header("Idempotency-Key"));
  CHECK(sent[0].body == R"({"Contacts":[{"ContactNumber":"C-1","Name":"A"},{"ContactNumber":"C-2","Name":"B"}]})");
}

// ---- against crmx-emulate xero ----

namespace {

using XeroEmulator = crmx::testing::EmulatorProcess;

bool XeroWanted() { return crmx::testing::EmulatorWanted(); }

// 250 contacts: 200 changed in 2019, 50 in 2024.
std::string SeedDir() {
  std::string dir = std::filesystem::temp_directory_path() / ("crmx-xero-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream out(dir + "/Contact.jsonl");
  for (int i = 0; i < 250; ++i) {
    out << R"({"ContactID":"seed-)" << i << R"(","Name":"Seed )" << i << R"(","ContactNumber":"S-)" << i
        << R"(","UpdatedDateUTC":")" << (i < 200 ? "2019-11-14T00:00:00" : "2024-10-01T00:00:00") << "\"}\n";
  }
  return dir;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("emulator: Xero pages a read, reads from If-Modified-Since, and validates each written contact") {
  if (!XeroWanted()) return;
  std::string dir = SeedDir();
  XeroEmulator emu({"xero", "--port", "0", "--data", dir});
  REQUIRE(!emu.url().empty());
  std::string error;
  auto conn = connectors::OpenApi(XeroProfile(emu.url() + "/api.xro/2.0", emu.url() + "/connect/token"), error);
  REQUIRE_MESSAGE(conn, error);
  connectors::ReadRequest req = Contacts();
  req.batch = 100;  // pageSize follows the batch (100..1000): three pages
  auto reader = conn->OpenReader(req, error);
  auto rows = ReadEvery(*reader);
  CHECK(reader->error() == "");
  CHECK(rows.size() == 250);
  CHECK(reader->Calls() == 4);  // the login and three pages of 100
  CHECK(conn->Limits().find("day-remaining=4997") != std::string::npos);

  req.cursor = "UpdatedDateUTC";
  req.since = "2024-01-01T00:00:00Z";
  reader = conn->OpenReader(req, error);
  rows = ReadEvery(*reader);
  CHECK(reader->error() == "");
  REQUIRE(rows.size() == 50);
  CHECK(rows[0][1].AsText() == "Seed 200");
  CHECK(crmx::value::FormatTimestamp(rows[0][5].AsTime()) == "2024-10-01T00:00:00Z");

  connectors::WriteRequest w;
  w.object = "Contact";
  w.key_field = "ContactNumber";
  w.fields = {Field("ContactNumber", FieldType::kString), Field("Name", FieldType::kString)};
  auto writer = conn->OpenWriter(w, error);
  REQUIRE(writer);
  std::vector<connectors::WriteResult> done;
  Value a[] = {Value::String("N-1"), Value::String("New One")};
  Value dup[] = {Value::String("N-2"), Value::String("Seed 7")};   // another contact's name
  Value upd[] = {Value::String("S-3"), Value::String("Seed 3 renamed")};  // matched by ContactNumber
  writer->Add(a, 1, done, error);
  writer->Add(dup, 2, done, error);
  writer->Add(upd, 3, done, error);
  writer->Flush(done, error);
  REQUIRE(done.size() == 3);
  CHECK(done[0].ok);
  CHECK_FALSE(done[1].ok);
  CHECK(done[1].code == "ValidationException");
  CHECK(done[1].message.find("The contact name Seed 7 is already assigned to another contact") != std::string::npos);
  CHECK(done[2].ok);
  CHECK(done[2].id == "seed-3");
  std::string journal = emu.Get("/_emulator/journal");
  CHECK(Count(journal, "\"op\":\"created\"") == 1);
  CHECK(Count(journal, "\"op\":\"updated\"") == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("emulator: Xero answers a repeated Idempotency-Key with the first answer, and the day limit clearly") {
  if (!XeroWanted()) return;
  XeroEmulator emu({"xero", "--port", "0", "--day-limit", "3"});
  REQUIRE(!emu.url().empty());
  httplib::Client c(emu.url());
  httplib::Headers basic = {{"Authorization", "Basic " + crmx::auth::Base64("crmx-test-client:crmx-test-secret")}};
  auto token = c.Post("/connect/token", basic, "grant_type=client_credentials", "application/x-www-form-urlencoded");
  REQUIRE(token);
  REQUIRE(token->status == 200);
  std::string tok = token->body.substr(token->body.find("xero-emulator-"));
  tok = tok.substr(0, tok.find('"'));
  httplib::Headers h = {{"Authorization", "Bearer " + tok}, {"xero-tenant-id", "crmx-test-tenant"},
                        {"Idempotency-Key", "k-1"}};
  std::string body = R"({"Contacts":[{"Name":"Once","ContactNumber":"O-1"}]})";
  auto first = c.Post("/api.xro/2.0/Contacts?summarizeErrors=false", h, body, "application/json");
  auto again = c.Post("/api.xro/2.0/Contacts?summarizeErrors=false", h, body, "application/json");
  REQUIRE(first);
  REQUIRE(again);
  CHECK(first->status == 200);
  CHECK(again->body == first->body);
  CHECK(Count(emu.Get("/_emulator/journal"), "\"op\":\"created\"") == 1);
  CHECK(first->get_header_value("X-DayLimit-Remaining") == "2");
  auto third = c.Get("/api.xro/2.0/Contacts", {{"Authorization", "Bearer " + tok}, {"xero-tenant-id", "crmx-test-tenant"}});
  REQUIRE(third);
  CHECK(third->status == 200);
  auto over = c.Get("/api.xro/2.0/Contacts", {{"Authorization", "Bearer " + tok}, {"xero-tenant-id", "crmx-test-tenant"}});
  REQUIRE(over);
  CHECK(over->status == 429);
  CHECK(over->get_header_value("X-Rate-Limit-Problem") == "day");
  auto wrong_tenant = c.Get("/api.xro/2.0/Contacts", {{"Authorization", "Bearer " + tok}, {"xero-tenant-id", "other"}});
  REQUIRE(wrong_tenant);
  CHECK(wrong_tenant->status == 403);

  std::string error;
  auto conn = connectors::OpenApi(XeroProfile(emu.url() + "/api.xro/2.0", emu.url() + "/connect/token"), error);
  REQUIRE(conn);
  auto reader = conn->OpenReader(Contacts(), error);
  connectors::RecordBatch b;
  CHECK_FALSE(reader->Next(b));
  CHECK(reader->error().find("XERO_DAY_LIMIT") != std::string::npos);
  CHECK(reader->Calls() == 2);  // the login and one refused page: not sent again
}

TEST_CASE("emulator: Xero computes an invoice's totals and a payment marks it PAID") {
  if (!XeroWanted()) return;
  XeroEmulator emu({"xero", "--port", "0"});
  REQUIRE(!emu.url().empty());
  std::string error;
  auto conn = connectors::OpenApi(XeroProfile(emu.url() + "/api.xro/2.0", emu.url() + "/connect/token"), error);
  REQUIRE(conn);
  connectors::WriteRequest w;
  w.object = "Invoice";
  w.key_field = "InvoiceNumber";
  w.fields = {Field("InvoiceNumber", FieldType::kString), Field("Type", FieldType::kString),
              Field("Status", FieldType::kString), Field("Contact.Name", FieldType::kString),
              Field("LineItems", FieldType::kAny)};
  auto writer = conn->OpenWriter(w, error);
  std::vector<std::pair<Value, Value>> line = {{Value::String("Description"), Value::String("Widget")},
                                               {Value::String("Quantity"), Value::Int(3)},
                                               {Value::String("UnitAmount"), Value::Dec(*crmx::decimal::Decimal::Parse("19.99"))},
                                               {Value::String("TaxAmount"), Value::Dec(*crmx::decimal::Decimal::Parse("9.00"))}};
  Value inv[] = {Value::String("INV-9"), Value::String("ACCREC"), Value::String("AUTHORISED"), Value::String("Acme"),
                 Value::List({Value::Map(line)})};
  Value bad[] = {Value::String("INV-10"), Value::String("ACCREC"), Value::String("PAID"), Value::String("Acme"),
                 Value::List({Value::Map(line)})};
  std::vector<connectors::WriteResult> done;
  writer->Add(inv, 1, done, error);
  writer->Add(bad, 2, done, error);
  writer->Flush(done, error);
  REQUIRE(done.size() == 2);
  CHECK(done[0].ok);
  CHECK(done[1].code == "ValidationException");

  connectors::ReadRequest r;
  r.object = "Invoice";
  r.fields = {"InvoiceNumber", "SubTotal", "TotalTax", "Total", "AmountDue", "Status", "Contact.Name"};
  r.types = {FieldType::kString, FieldType::kDecimal, FieldType::kDecimal, FieldType::kDecimal,
             FieldType::kDecimal, FieldType::kString, FieldType::kString};
  r.pushdown = {SourceCondition{"Status", FilterOp::kEq, Value::String("AUTHORISED"), 0}};
  auto reader = conn->OpenReader(r, error);
  auto rows = ReadEvery(*reader);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][1].AsDecimal().ToString() == "59.97");
  CHECK(rows[0][2].AsDecimal().ToString() == "9.00");
  CHECK(rows[0][3].AsDecimal().ToString() == "68.97");
  CHECK(rows[0][6].AsText() == "Acme");

  connectors::WriteRequest p;
  p.object = "Payment";
  p.key_field = "Reference";
  p.fields = {Field("Reference", FieldType::kString), Field("Invoice.InvoiceNumber", FieldType::kString),
              Field("Account.Code", FieldType::kString), Field("Amount", FieldType::kDecimal)};
  auto pay = conn->OpenWriter(p, error);
  Value pv[] = {Value::String("P-1"), Value::String("INV-9"), Value::String("090"),
                Value::Dec(*crmx::decimal::Decimal::Parse("68.97"))};
  done.clear();
  pay->Add(pv, 1, done, error);
  pay->Flush(done, error);
  REQUIRE(done.size() == 1);
  CHECK(done[0].ok);
  r.pushdown.clear();
  reader = conn->OpenReader(r, error);
  rows = ReadEvery(*reader);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][4].AsDecimal().ToString() == "0.00");
  CHECK(rows[0][5].AsText() == "PAID");
}
