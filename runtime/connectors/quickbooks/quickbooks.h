// Defines the QuickBooks Online Accounting API (v3) connector (docs/connectors/quickbooks.md):
// everything under `{base}/v3/company/{realmId}/`, the realm id the profile's `account_id`,
// every call with `minorversion` (the profile's api_version, 75 by default).
//
// Reads: the query resource with the query language, built from the projection and the change
// cursor (`select Id, DisplayName, MetaData from Customer where MetaData.LastUpdatedTime >=
// '...' orderby MetaData.LastUpdatedTime startposition N maxresults M`), paged by
// startposition/maxresults (at most 1000 a page) until a page comes back short.
//
// Writes: QuickBooks has no upsert by an external key, so a batch of records (30 at most, the
// documented maximum of a batch request) costs two calls: a query for the records whose key
// field has one of the batch's key values (`select Id, SyncToken, DisplayName from Customer
// where DisplayName in ('a', 'b')`), then one `POST /batch` whose BatchItemRequests create the
// missing ones and update the found ones (sparse, with their Id and current SyncToken). Each
// BatchItemResponse (by `bId`) becomes its record's WriteResult, a Fault its vendor code
// ("6240"). The batch carries `requestid`, a hash of the records' idempotency keys and of
// what the batch does: the same batch sent again (an answer lost) gets the first answer back
// instead of a second write. An update refused with Fault 5010 (stale SyncToken: someone wrote
// the record since the query) is sent once more with the SyncToken read again (a third and
// fourth call); stale again, it fails retriable (code "5010") for the delivery ledger.
//
// The builders and parsers are exposed for the unit tests.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/connectors/api/call.h"
#include "runtime/connectors/api/json.h"
#include "runtime/connectors/connector.h"

namespace crmx::connectors::quickbooks {

constexpr size_t kMaxBatch = 30;     // BatchItemRequests a batch request takes
constexpr size_t kMaxResults = 1000; // rows a query page gives at most

// `s` as a query-language string literal: single quotes, `'` and `\` backslash-escaped.
std::string QuoteQuery(std::string_view s);

// The query text of one page of a read: the projection's top-level names (a dotted
// `MetaData.LastUpdatedTime` selects `MetaData`; `Id` always), the cursor condition (`>=`,
// RFC 3339 with an offset) and order, `startposition` (1-based) and `maxresults`.
std::string BuildQuery(const ReadRequest& req, size_t start, size_t max);

// The lookup of a write batch: `select Id, SyncToken, KEY from Object where KEY in (...)`.
std::string BuildLookup(const std::string& object, const std::string& key_field, const std::vector<std::string>& keys);

// One BatchItemRequest to build: the row's values, create or update (with the record's Id and
// SyncToken), and its bId.
struct BatchItem {
  std::string bid;
  const std::vector<value::Value>* row = nullptr;
  bool update = false;
  std::string id, sync_token;
};

// `{"BatchItemRequest":[{"bId":"b0","operation":"create","Customer":{...}}, ...]}`. An update
// is sparse (`"sparse":true`, Id and SyncToken) and leaves out create-only fields; a
// reference written whole (`CustomerRef = x`) is `{"value":"x"}`; list fields (Line) are
// arrays of objects nested by their element fields' paths.
std::string BuildBatchBody(const WriteRequest& req, const std::vector<BatchItem>& items);

// The `requestid` of a batch: 32 hex digits of SHA-256 over the records' idempotency keys and
// each item's operation, Id and SyncToken (at most 36 characters are allowed with batch).
std::string RequestId(const std::vector<std::string>& idempotency_keys, const std::vector<BatchItem>& items);

// A Fault body's first error: code ("6240"), message ("Duplicate Name Exists Error"), detail
// and element. False when `body` holds no Fault.
struct Fault {
  std::string type;  // "ValidationFault", "SystemFault", "AuthenticationFault", "ThrottleExceeded"
  std::string code, message, detail, element;
};
bool ParseFault(const api::JsonNode& node, Fault& out);
bool ParseFaultBody(const std::string& body, Fault& out);

// The results of a batch answer for `items` (tags in the same order): per item, by bId, the
// entity's Id (created when the item was a create) or its Fault; for an HTTP error or no answer,
// the whole request's failure for every item.
std::vector<WriteResult> ParseBatchAnswer(const api::CallResult& call, const std::string& object,
                                          const std::vector<BatchItem>& items, const std::vector<uint64_t>& tags);

// The connector for a QuickBooks Online system profile (`system.kind` "quickbooks").
std::unique_ptr<Connector> Open(std::shared_ptr<api::Session> session);

}  // namespace crmx::connectors::quickbooks
