// Tests the NetSuite connector's SOAP getDeleted text (get_deleted.h): the token passport's
// signature, the request envelope (filter, page, escaping), and the reading of its answers
// (pages, records with and without an external id, faults, refusals, malformed answers).
#include <doctest/doctest.h>

#include "runtime/auth/auth.h"
#include "runtime/connectors/netsuite/get_deleted.h"

namespace ns = crmx::connectors::netsuite;
namespace auth = crmx::auth;

namespace {

// An answer as NetSuite writes one (namespace prefixes as its samples show them).
std::string Answer(const std::string& result) {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Header><platformMsgs:documentInfo xmlns:platformMsgs="urn:messages_2024_2.platform.webservices.netsuite.com"><platformMsgs:nsId>WEBSERVICES_1</platformMsgs:nsId></platformMsgs:documentInfo></soapenv:Header>
 <soapenv:Body>
  <getDeletedResponse xmlns="urn:messages_2024_2.platform.webservices.netsuite.com">
   <platformCore:getDeletedResult xmlns:platformCore="urn:core_2024_2.platform.webservices.netsuite.com">)" +
         result + R"(</platformCore:getDeletedResult>
  </getDeletedResponse>
 </soapenv:Body>
</soapenv:Envelope>)";
}

std::string Fault(const std::string& fault) {
  return R"(<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>)" + fault +
         "</soapenv:Body></soapenv:Envelope>";
}

auth::TokenPassport Passport() {
  return auth::MakePassport("123456_SB1", "ck", "consumer-secret", "tid", "token-secret", "NONCE6obMKq0tmY8yl",
                            1439829974);
}

}  // namespace

TEST_CASE("the token passport is signed over account&consumerKey&token&nonce&timestamp") {
  auth::TokenPassport p = Passport();
  CHECK(p.account == "123456_SB1");
  CHECK(p.timestamp == "1439829974");
  CHECK(p.algorithm == "HMAC-SHA256");
  // openssl dgst -sha256 -hmac 'consumer-secret&token-secret' -binary | base64 of the base string.
  CHECK(p.signature == "tiPZAwavWmWEdTIC4mJC9vNP4aIDk3djxX1RM+vDT/E=");
}

TEST_CASE("objects map to getDeleted's record types; custom records to customRecord and a script id") {
  CHECK(ns::DeletedQueryFor("Customer").type == "customer");
  CHECK(ns::DeletedQueryFor("SalesOrder").type == "salesOrder");
  CHECK(ns::DeletedQueryFor("SalesOrder").script_id.empty());
  CHECK(ns::DeletedQueryFor("Invoice").type == "invoice");
  ns::GetDeletedQuery custom = ns::DeletedQueryFor("customrecord_Shipment");
  CHECK(custom.type == "customRecord");
  CHECK(custom.script_id == "customrecord_shipment");
  CHECK(ns::SoapPath("2024_2") == "/services/NetSuitePort_2024_2");
}

TEST_CASE("the getDeleted envelope carries the passport, the filter from the cursor and the page") {
  ns::GetDeletedQuery q = ns::DeletedQueryFor("SalesOrder");
  q.since = "2024-01-01T00:00:00Z";
  q.page = 2;
  std::string xml = ns::BuildGetDeleted(q, Passport());
  CHECK(xml.find(R"(xmlns:platformMsgs="urn:messages_2024_2.platform.webservices.netsuite.com")") != std::string::npos);
  CHECK(xml.find(R"(xmlns:platformCore="urn:core_2024_2.platform.webservices.netsuite.com")") != std::string::npos);
  CHECK(xml.find("<soapenv:Header><platformMsgs:tokenPassport><platformCore:account>123456_SB1</platformCore:account>"
                 "<platformCore:consumerKey>ck</platformCore:consumerKey><platformCore:token>tid</platformCore:token>"
                 "<platformCore:nonce>NONCE6obMKq0tmY8yl</platformCore:nonce>"
                 "<platformCore:timestamp>1439829974</platformCore:timestamp>"
                 R"(<platformCore:signature algorithm="HMAC-SHA256">tiPZAwavWmWEdTIC4mJC9vNP4aIDk3djxX1RM+vDT/E=)"
                 "</platformCore:signature></platformMsgs:tokenPassport></soapenv:Header>") != std::string::npos);
  CHECK(xml.find("<platformMsgs:getDeleted><platformMsgs:getDeletedFilter>"
                 R"(<platformCore:deletedDate operator="onOrAfter">)"
                 "<platformCore:searchValue>2024-01-01T00:00:00Z</platformCore:searchValue></platformCore:deletedDate>"
                 R"(<platformCore:type operator="anyOf"><platformCore:searchValue>salesOrder</platformCore:searchValue>)"
                 "</platformCore:type></platformMsgs:getDeletedFilter>"
                 "<platformMsgs:pageIndex>2</platformMsgs:pageIndex></platformMsgs:getDeleted>") != std::string::npos);
  CHECK(xml.find("scriptId") == std::string::npos);

  SUBCASE("without a cursor, every deletion the account keeps: no deletedDate") {
    q.since.clear();
    CHECK(ns::BuildGetDeleted(q, Passport()).find("deletedDate") == std::string::npos);
  }
  SUBCASE("a custom record type is filtered by its script id") {
    ns::GetDeletedQuery c = ns::DeletedQueryFor("customrecord_ship");
    CHECK(ns::BuildGetDeleted(c, Passport()).find(R"(<platformCore:scriptId operator="is"><platformCore:searchValue>)"
                                                  "customrecord_ship</platformCore:searchValue>") != std::string::npos);
  }
  SUBCASE("values are escaped: they cannot add elements") {
    auth::TokenPassport p = Passport();
    p.account = "a<b>&\"'";
    q.type = "x</platformCore:searchValue><evil/>";
    std::string text = ns::BuildGetDeleted(q, p);
    CHECK(text.find("<platformCore:account>a&lt;b&gt;&amp;&quot;&apos;</platformCore:account>") != std::string::npos);
    CHECK(text.find("<evil/>") == std::string::npos);
  }
}

TEST_CASE("a page of deleted records: counts, ids, a record without an external id, dates with and without a zone") {
  ns::DeletedPage page;
  std::string error;
  REQUIRE_MESSAGE(ns::ParseGetDeleted(Answer(R"(
    <platformCore:status isSuccess="true"/>
    <platformCore:totalRecords>2</platformCore:totalRecords>
    <platformCore:pageSize>1000</platformCore:pageSize>
    <platformCore:totalPages>1</platformCore:totalPages>
    <platformCore:pageIndex>1</platformCore:pageIndex>
    <platformCore:deletedRecordList>
     <platformCore:deletedRecord>
      <platformCore:deletedDate>2024-03-15T10:30:00.000-07:00</platformCore:deletedDate>
      <platformCore:record internalId="101" externalId="006A" type="salesOrder" xsi:type="platformCore:RecordRef">
       <platformCore:name>Sales Order #SO1001</platformCore:name>
      </platformCore:record>
     </platformCore:deletedRecord>
     <platformCore:deletedRecord>
      <platformCore:deletedDate>2024-03-16T08:00:00</platformCore:deletedDate>
      <platformCore:record internalId="102" type="salesOrder" xsi:type="platformCore:RecordRef"/>
     </platformCore:deletedRecord>
    </platformCore:deletedRecordList>)"),
                                          page, error),
                  error);
  CHECK(page.total_records == 2);
  CHECK(page.page_size == 1000);
  CHECK(page.total_pages == 1);
  CHECK(page.page_index == 1);
  REQUIRE(page.records.size() == 2);
  CHECK(page.records[0].internal_id == "101");
  CHECK(page.records[0].external_id == "006A");
  CHECK(page.records[0].type == "salesOrder");
  CHECK(page.records[0].name == "Sales Order #SO1001");
  CHECK(page.records[0].deleted_date == "2024-03-15T10:30:00.000-07:00");
  CHECK(crmx::value::FormatTimestamp(page.records[0].deleted_at) == "2024-03-15T17:30:00Z");
  CHECK(page.records[1].internal_id == "102");
  CHECK(page.records[1].external_id.empty());
  CHECK(page.records[1].name.empty());
  CHECK(crmx::value::FormatTimestamp(page.records[1].deleted_at) == "2024-03-16T08:00:00Z");
}

TEST_CASE("one page of several; and an empty answer") {
  ns::DeletedPage page;
  std::string error;
  REQUIRE(ns::ParseGetDeleted(Answer(R"(<platformCore:status isSuccess="true"/>
    <platformCore:totalRecords>5</platformCore:totalRecords><platformCore:pageSize>2</platformCore:pageSize>
    <platformCore:totalPages>3</platformCore:totalPages><platformCore:pageIndex>2</platformCore:pageIndex>
    <platformCore:deletedRecordList>
     <platformCore:deletedRecord><platformCore:deletedDate>2024-03-15T10:30:00Z</platformCore:deletedDate>
      <platformCore:record internalId="3" externalId="c" type="customer"/></platformCore:deletedRecord>
     <platformCore:deletedRecord><platformCore:deletedDate>2024-03-15T10:31:00Z</platformCore:deletedDate>
      <platformCore:record internalId="4" externalId="d" type="customer"/></platformCore:deletedRecord>
    </platformCore:deletedRecordList>)"),
                              page, error));
  CHECK(page.total_records == 5);
  CHECK(page.total_pages == 3);
  CHECK(page.page_index == 2);
  CHECK(page.records.size() == 2);
  REQUIRE(ns::ParseGetDeleted(Answer(R"(<platformCore:status isSuccess="true"/>
    <platformCore:totalRecords>0</platformCore:totalRecords><platformCore:totalPages>0</platformCore:totalPages>)"),
                              page, error));
  CHECK(page.records.empty());
  CHECK(page.total_pages == 0);
}

TEST_CASE("a SOAP fault says the vendor's code and message; a refused status too") {
  ns::DeletedPage page;
  std::string error;
  CHECK_FALSE(ns::ParseGetDeleted(Fault(R"(<soapenv:Fault><faultcode>soapenv:Server.userException</faultcode>
    <faultstring>Permission Violation: You need the 'Deleted Records' permission.</faultstring>
    <detail><platformFaults:insufficientPermissionFault xmlns:platformFaults="urn:faults_2024_2.platform.webservices.netsuite.com">
     <platformFaults:code>INSUFFICIENT_PERMISSION</platformFaults:code>
     <platformFaults:message>Permission Violation: You need the 'Deleted Records' permission.</platformFaults:message>
    </platformFaults:insufficientPermissionFault></detail></soapenv:Fault>)"),
                                  page, error));
  CHECK(error == "INSUFFICIENT_PERMISSION: Permission Violation: You need the 'Deleted Records' permission.");

  CHECK_FALSE(ns::ParseGetDeleted(
      Fault("<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>busy</faultstring></soapenv:Fault>"), page,
      error));
  CHECK(error == "soapenv:Server: busy");

  CHECK_FALSE(ns::ParseGetDeleted(Answer(R"(<platformCore:status isSuccess="false">
    <platformCore:statusDetail type="ERROR"><platformCore:code>INVALID_PARAMETER</platformCore:code>
    <platformCore:message>Invalid pageIndex</platformCore:message></platformCore:statusDetail></platformCore:status>)"),
                                  page, error));
  CHECK(error == "INVALID_PARAMETER: Invalid pageIndex");
}

TEST_CASE("malformed answers are refused, saying what is wrong") {
  ns::DeletedPage page;
  std::string error;
  const std::string ok_counts =
      R"(<platformCore:status isSuccess="true"/><platformCore:totalRecords>1</platformCore:totalRecords>
         <platformCore:totalPages>1</platformCore:totalPages>)";
  struct Case {
    const char* name;
    std::string body;
    const char* says;
  };
  const Case cases[] = {
      {"not XML", "<soapenv:Envelope><soapenv:Body>", "not XML"},
      {"JSON", R"({"items":[]})", "not XML"},
      {"not an envelope", "<html><body>Service Unavailable</body></html>", "not a SOAP envelope"},
      {"another operation",
       Fault("<getListResponse xmlns=\"urn:messages_2024_2.platform.webservices.netsuite.com\"/>"),
       "<getListResponse> is not getDeleted's answer"},
      {"no status", Answer("<platformCore:totalRecords>0</platformCore:totalRecords>"), "no status"},
      {"no counts", Answer(R"(<platformCore:status isSuccess="true"/>)"), "totalRecords or totalPages"},
      {"a count that is not one",
       Answer(R"(<platformCore:status isSuccess="true"/><platformCore:totalRecords>two</platformCore:totalRecords>
                 <platformCore:totalPages>1</platformCore:totalPages>)"),
       "totalRecords or totalPages"},
      {"a record without an internal id",
       Answer(ok_counts + R"(<platformCore:deletedRecordList><platformCore:deletedRecord>
          <platformCore:deletedDate>2024-03-15T10:30:00Z</platformCore:deletedDate>
          <platformCore:record externalId="x" type="customer"/></platformCore:deletedRecord></platformCore:deletedRecordList>)"),
       "without an internalId"},
      {"a date that is not one",
       Answer(ok_counts + R"(<platformCore:deletedRecordList><platformCore:deletedRecord>
          <platformCore:deletedDate>15/03/2024</platformCore:deletedDate>
          <platformCore:record internalId="7" type="customer"/></platformCore:deletedRecord></platformCore:deletedRecordList>)"),
       "deletedDate `15/03/2024` of record 7 is not a date-time"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    error.clear();
    CHECK_FALSE(ns::ParseGetDeleted(c.body, page, error));
    CHECK_MESSAGE(error.find(c.says) != std::string::npos, error);
  }
}

TEST_CASE("429 and the concurrency faults mean \"not applied\"; a permission fault does not") {
  crmx::http::Response r;
  r.status = 429;
  CHECK(ns::SoapNotApplied(r));
  r.status = 500;
  r.body = Fault(R"(<soapenv:Fault><faultcode>soapenv:Server.userException</faultcode><faultstring>blocked</faultstring>
    <detail><platformFaults:exceededConcurrentRequestLimitFault xmlns:platformFaults="urn:faults_2024_2.platform.webservices.netsuite.com">
    <platformFaults:code>WS_REQUEST_BLOCKED</platformFaults:code><platformFaults:message>Request blocked</platformFaults:message>
    </platformFaults:exceededConcurrentRequestLimitFault></detail></soapenv:Fault>)");
  CHECK(ns::SoapNotApplied(r));
  r.body = Fault(R"(<soapenv:Fault><faultcode>x</faultcode><faultstring>y</faultstring><detail>
    <platformFaults:insufficientPermissionFault xmlns:platformFaults="urn:faults_2024_2.platform.webservices.netsuite.com">
    <platformFaults:code>INSUFFICIENT_PERMISSION</platformFaults:code></platformFaults:insufficientPermissionFault></detail>
    </soapenv:Fault>)");
  CHECK_FALSE(ns::SoapNotApplied(r));
  r.status = 200;
  CHECK_FALSE(ns::SoapNotApplied(r));
}
