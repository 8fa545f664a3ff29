// Defines the NetSuite REST connector (SuiteTalk REST web services): reads with SuiteQL
// (POST /services/rest/query/v1/suiteql, paged with limit/offset while `hasMore`), writes one
// record a request as an upsert by external id (PUT /services/rest/record/v1/{type}/eid:{id}),
// at most the account's concurrency of requests in flight (the profile's `concurrency`,
// default 5), each on its own HTTP client and thread, sharing the session's Authenticator.
//
// A read whose projection has plan::kDeletedMarker also learns the deletions, from SOAP
// getDeleted (get_deleted.h), unless the profile says `deletions: skip`.
//
// SuiteQL answers name columns in lowercase and give most values as text: columns are matched
// to the projection without case and converted by the field's type (booleans are "T"/"F").
//
// The query and body builders and the answer parsers are exposed for the unit tests.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "runtime/connectors/api/call.h"
#include "runtime/connectors/api/json.h"
#include "runtime/connectors/connector.h"

namespace crmx::connectors::netsuite {

// Where an object lives: its SuiteQL table and the condition selecting its rows there
// (transactions share one table: SalesOrder is `transaction` WHERE type = 'SalesOrd'), and
// its REST record type (`salesOrder`).
struct ObjectTable {
  std::string table;
  std::string filter;  // "" or a SuiteQL condition
  std::string record_type;
};
ObjectTable TableFor(const std::string& object);

// `s` as a SuiteQL string literal: quoted, `'` doubled.
std::string QuoteSuiteQl(std::string_view s);

// The SuiteQL of a read: SELECT the projected fields' columns (names lowercased) FROM the
// object's table, WHERE its filter, the pushdown conditions SuiteQL decides as the VM would
// and the change cursor (`cursor >= TO_TIMESTAMP(...)`), ORDER BY the cursor (else the id).
// `dates_to_char`: date and datetime columns are selected as TO_CHAR(col, ISO format) AS col,
// because a real account answers them in the user's date format, the time of day dropped
// (the default; profile option `suiteql_dates: raw` selects them as they are).
std::string BuildSuiteQl(const ReadRequest& req, bool dates_to_char = false);

// The path of the upsert of the record whose external id is `external_id`, with
// `?replace=item` when the request writes sublists (their lines are replaced, not added).
std::string UpsertPath(const WriteRequest& req, std::string_view external_id);

// The record's JSON body: every field but the key, references as {"id": "..."}, sublists as
// {"item": {"items": [...]}}, nested paths as nested objects. `existing`: the record exists,
// its create-only fields (plan::TargetField::create_only) are left out.
std::string BuildRecordBody(const WriteRequest& req, const value::Value* values, bool existing = false);

// Whether a refused upsert named a create-only field of `req` (NetSuite's USER_ERROR "You do
// not have permissions to set a value for element subsidiary ... either when a record is
// created or updated"): the record exists, the same write without those fields may succeed.
bool RefusedCreateOnly(const WriteRequest& req, const WriteResult& r);

// "1234" from "https://.../record/v1/customer/1234"; "" when there is none.
std::string IdFromLocation(std::string_view location);

// One record's result from the upsert's answer: 204 (the id from Location) or the error body
// (`o:errorDetails[]`: o:errorCode, detail, o:errorPath), or the request's failure.
WriteResult ParseRecordAnswer(const api::CallResult& call, uint64_t tag);

// The answer says the request was refused before it was applied (429, the request or
// concurrency limit): it may be sent again at once after the wait.
bool NotApplied(const http::Response& response);

// The connector for a NetSuite system profile (`system.kind` "netsuite").
std::unique_ptr<Connector> Open(std::shared_ptr<api::Session> session);

}  // namespace crmx::connectors::netsuite
