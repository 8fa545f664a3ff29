// Defines the Xero Accounting API connector (https://api.xero.com/api.xro/2.0/): reads
// `GET /{Objects}` (Contacts, Invoices, Items, Payments...) with `If-Modified-Since` from the
// change cursor (UpdatedDateUTC), `where` from the pushdown conditions Xero decides as the VM
// would, `order=UpdatedDateUTC`, paged with `page=N` and `pageSize` (stopping at a short page;
// Items has no paging: one call); writes `POST /{Objects}?summarizeErrors=false` with
// `{"Objects":[...]}` batches of at most 50 elements (Xero's recommended batch size), each
// element's `ValidationErrors` mapped to its record, an `Idempotency-Key` per request (a hash
// of what is sent, so a request sent again is the same request to Xero). Every call carries
// `xero-tenant-id` (the profile's account_id). Limits: the `X-DayLimit-Remaining`,
// `X-MinLimit-Remaining` and `X-AppMinLimit-Remaining` of the last answer (Connector::Limits);
// a 429 for the minute or concurrent limit is waited out (Retry-After) and sent again, the
// day limit fails at once (`XERO_DAY_LIMIT`, not retriable: Xero answers until tomorrow).
//
// Xero's dates come as `/Date(1573755038314+0000)/` (milliseconds since the epoch): they are
// read as RFC 3339 timestamps.
//
// The builders and parsers are exposed for the unit tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/connectors/api/call.h"
#include "runtime/connectors/api/json.h"
#include "runtime/connectors/connector.h"

namespace crmx::connectors::xero {

inline constexpr size_t kMaxBatch = 50;        // elements per POST (Xero: "we recommend 50")
inline constexpr size_t kMaxPageSize = 1000;   // pageSize at most (Xero's documented maximum)
inline constexpr size_t kDefaultPageSize = 100;

// The collection an object lives in and the member its answers list it under: "Contacts".
std::string Collection(const std::string& object);
// The object's own id field: "ContactID", "InvoiceID".
std::string IdField(const std::string& object);
// Whether GET /{Collection} takes `page` (Items does not: it answers every item at once).
bool Paged(const std::string& object);

// `/Date(1573755038314+0000)/` (or without the offset, or with a negative one) as RFC 3339
// ("2019-11-14T18:10:38.314Z"); false when `text` is not in that form.
bool ParseMsDate(std::string_view text, std::string& rfc3339);

// The `where` of a read: the pushdown conditions Xero decides as the VM would, joined with
// " AND "; "" when none is safe. Only top-level names; string equality (Xero compares
// without case: a superset), booleans and numbers; nothing whose null the VM keeps.
std::string BuildWhere(const ReadRequest& req);

// `If-Modified-Since` for a read: req.since in whole seconds, UTC, as Xero takes it
// ("2024-10-01T12:00:00Z", RFC 3339 as its OpenAPI document says); "" when the read has no cursor on UpdatedDateUTC or no since.
std::string IfModifiedSince(const ReadRequest& req);

// The path and query of page `page` (1-based) of a read: "/Contacts?page=2&pageSize=100&
// order=UpdatedDateUTC%20ASC&where=...". `page_size` 0: not paged.
std::string ReadPath(const ReadRequest& req, int page, size_t page_size);

// `{"Contacts":[{...},...]}` for `rows`, nested target paths as nested objects.
std::string BuildBody(const WriteRequest& req, const std::vector<std::vector<value::Value>>& rows);

// The Idempotency-Key of a request: hex SHA-256 of method, path and body (64 characters;
// Xero takes at most 128). The same records sent again are the same request.
std::string IdempotencyKey(std::string_view method, std::string_view path, std::string_view body);

// "day", "minute", "concurrent" from a 429's X-Rate-Limit-Problem ("" otherwise).
std::string RateLimitProblem(const http::Response& response);

// "day-remaining=4990 minute-remaining=58 app-minute-remaining=9990" from an answer's limit
// headers (those it has); "" when it has none.
std::string LimitsText(const http::Response& response);

// The results of a POST's answer for records tagged `tags`, in order: 200 with one element
// per record (`ValidationErrors` per element: ValidationException, not retriable; the
// element's id otherwise); 400 ValidationException with `Elements` (each failing element its
// messages; the others not saved, retriable); any other failure for every record (429 day:
// XERO_DAY_LIMIT, not retriable).
std::vector<WriteResult> ParseWriteAnswer(const std::string& object, const api::CallResult& call,
                                          const std::vector<uint64_t>& tags);

// A failed call's description: "HTTP 400: ValidationException: A validation exception occurred".
std::string DescribeFailure(const api::CallResult& call);

// The connector for a Xero system profile (`system.kind` "xero").
std::unique_ptr<Connector> Open(std::shared_ptr<api::Session> session);

}  // namespace crmx::connectors::xero
