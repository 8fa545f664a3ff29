// Defines how the NetSuite connector learns deletions at the source: SOAP web services'
// `getDeleted` (SuiteTalk SOAP Web Services guide, "getDeleted"; REST web services and SuiteQL
// document no deleted-records query). A read whose projection has plan::kDeletedMarker is
// followed, once its SuiteQL records are handed out (marker false), by one row per record of
// the object's type deleted at or after the read's change cursor (every deletion the account
// still keeps without one), marker true, paged by `pageIndex` until `totalPages`.
//
// The request is `POST {base}/services/NetSuitePort_{version}` with `SOAPAction: getDeleted`,
// signed by a token passport in its SOAP header (token-based authentication; SOAP web services
// take no OAuth 2.0 token), a fresh one on every attempt (a passport is single-use). A SOAP
// fault (a missing Deleted Records permission: INSUFFICIENT_PERMISSION), a status with
// isSuccess="false", or an answer that is not getDeleted's fails the read with the vendor's
// code and message; no answer, 429 and 5xx other than a fault go through api::Call's retries.
//
// The envelope builder and the answer's parser are exposed for the unit tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/auth/auth.h"
#include "runtime/connectors/api/call.h"
#include "runtime/connectors/connector.h"
#include "runtime/value/value.h"

namespace crmx::connectors::netsuite {

// The SOAP web services version the calls use when the profile's option `soap_version` does
// not name one: the endpoint's suffix and the namespaces' (urn:messages_2024_2...).
inline constexpr const char* kSoapVersion = "2024_2";

// What one getDeleted call asks for.
struct GetDeletedQuery {
  std::string type;       // the DeletedRecordType: "customer", "salesOrder", "customRecord"
  std::string script_id;  // a custom record type's script id ("customrecord_x"), else ""
  std::string since;      // RFC 3339: deletions on or after it (operator onOrAfter); "": all
  int64_t page = 1;       // pageIndex, from 1
  std::string version = kSoapVersion;
};

// "/services/NetSuitePort_2024_2".
std::string SoapPath(std::string_view version);

// getDeleted's DeletedRecordType (and script id) of a crmx object: the REST record type
// ("Customer" -> "customer", "SalesOrder" -> "salesOrder"); a custom record type
// ("customrecord_x") is type "customRecord" with its script id.
GetDeletedQuery DeletedQueryFor(const std::string& object);

// The SOAP envelope of `q`, its header carrying `passport`. Every value is XML-escaped.
std::string BuildGetDeleted(const GetDeletedQuery& q, const auth::TokenPassport& passport);

struct DeletedRecord {
  std::string internal_id;
  std::string external_id;   // "" when the record had none
  std::string type;          // "salesOrder"
  std::string name;          // "" when the answer names none
  std::string deleted_date;  // as answered: "2024-03-15T10:30:00.000-07:00"
  value::Time deleted_at;    // the same instant (a date-time without a zone is read as UTC)
};

struct DeletedPage {
  int64_t total_records = 0;
  int64_t page_size = 0;
  int64_t total_pages = 0;
  int64_t page_index = 0;
  std::vector<DeletedRecord> records;
};

// Reads a getDeleted answer, whatever its HTTP status (faults come with 500). False with
// `error`: "CODE: message" of a SOAP fault's detail (its faultcode and faultstring when the
// detail has none) or of a status isSuccess="false"; "malformed answer: ..." when the body is
// not XML, has no getDeletedResult, or a count, a deletedDate or a record's internalId is
// missing or does not parse.
bool ParseGetDeleted(std::string_view body, DeletedPage& page, std::string& error);

// Whether a SOAP answer says the request was refused before it ran, so it may be sent again
// at once after a wait: HTTP 429, or the concurrency governance faults (WS_REQUEST_BLOCKED,
// WS_CONCUR_SESSION_DISALLWD).
bool SoapNotApplied(const http::Response& response);

// The read of `req` (whose projection has plan::kDeletedMarker) as `records` (the SuiteQL
// read, which gives the marker false), then the deletions getDeleted lists: one row each, the
// marker true, `id` (the id field) from the internal id and `externalId` from the external id
// (any case), the change cursor (when the read has one) the deletion's date, every other field
// null. Null with `error` when the session cannot call SOAP web services (an auth method other
// than `tba`) or the profile's `soap_version` is not a version ("2024_2").
std::unique_ptr<RecordReader> WithDeletions(std::unique_ptr<RecordReader> records, std::shared_ptr<api::Session> session,
                                            const ReadRequest& req, std::string& error);

}  // namespace crmx::connectors::netsuite
