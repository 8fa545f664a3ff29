// Defines the Oracle Fusion Cloud REST connector (Order Management `salesOrdersForOrderHub`,
// CX Sales `accounts`, and any ADF REST resource of the same framework):
//
// Reads: GET {root}/{resource}?q=...&fields=...&onlyData=true&offset=N&limit=M&orderBy=...
//   &totalResults=false, with `REST-Framework-Version: 2` (the RowMatch query syntax). `q` holds
//   the pushdown conditions Oracle decides as the VM would and the change cursor
//   (`LastUpdateDate >= '2024-05-01T00:00:00+00:00'`), `fields` the projection, pages of at
//   most 500 rows while the answer says `hasMore`, ordered by the cursor (else the id).
// Writes: batches in the `application/vnd.oracle.adf.batch+json` form, POSTed to the version
//   root: {"parts": [{"id", "path": "/{resource}", "operation": "upsert", "payload": {...}}]};
//   a single record is a POST to the resource with `Upsert-Mode: true`. Child resources (an
//   order's `lines`) travel in the parent's payload. Oracle runs a batch all or nothing: a
//   failed batch lists only the parts that failed, the others were not applied and are sent
//   again without them; a failed batch that names no part (a plain-text 400) is retried one
//   record a request, so each record gets its own answer.
// Idempotency: Upsert-Mode matches the payload to an existing row by the resource's key or
//   alternate key (SourceTransactionSystem + SourceTransactionNumber for order hub, PartyNumber
//   or SourceSystem + SourceSystemReferenceValue for accounts): a write sent again after a lost
//   answer updates the row it created instead of creating another. The spec's map `key` must be
//   such a key (docs/connectors/oracle.md).
//
// The builders and answer parsers are exposed for the unit tests.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/connectors/api/call.h"
#include "runtime/connectors/api/json.h"
#include "runtime/connectors/connector.h"

namespace crmx::connectors::oracle {

constexpr size_t kMaxPage = 500;           // Oracle's largest `limit`
constexpr size_t kDefaultWriteBatch = 25;  // parts per batch request

// The resource root of `resource` with the profile's API version (`api_version`, default
// 11.13.18.05): "/fscmRestApi/resources/11.13.18.05" (order management, financials), or
// "/crmRestApi/resources/11.13.18.05" for the CX Sales resources (`accounts`, `contacts`,
// `hubOrganizations`...). The profile's option `rest_root` overrides the first segment for every
// resource.
std::string ResourceRoot(const profile::SystemProfile& system, std::string_view resource);

// `s` as a RowMatch string literal: single quotes, a quote doubled.
std::string QuoteOracle(std::string_view s);

// The `q` expression of a read (RowMatch syntax, framework version 2): the pushdown conditions
// Oracle decides as the VM does, and the change cursor, joined with `and`; "" when none.
std::string BuildQ(const ReadRequest& req);

// The query string of one page (no leading `?`): q, fields, onlyData, offset, limit, orderBy,
// totalResults, each URL-encoded.
std::string BuildQuery(const ReadRequest& req, size_t offset, size_t limit);

// The record's payload: every field (the key included: Upsert-Mode matches by it), nested by
// path, child rows (`lines`) as arrays of objects.
std::string BuildPayload(const WriteRequest& req, const value::Value* values);

// The batch body of these records' payloads, part ids "part0", "part1"... by position.
std::string BuildBatch(const std::string& resource, const std::vector<std::string>& payloads);

// One part of a batch answer.
struct PartAnswer {
  std::string id;       // "part3"
  bool failed = false;  // the part carries an error
  WriteResult result;   // ok with the id, or the error (code, message, fields)
};

// The parts of a batch answer (`{"parts": [...]}`); `id_field` names the attribute holding the
// row's id in a part's payload. False when the body is not a batch answer.
bool ParseBatchAnswer(const std::string& body, const std::string& id_field, std::vector<PartAnswer>& parts);

// Oracle's error body: `{"title", "status", "o:errorDetails": [{"detail", "o:errorCode",
// "o:errorPath"}]}`, a plain `{"title","detail","o:errorCode"}`, or plain text (Oracle answers
// some 400s as text/plain). Fills code, message and the attributes named.
void ReadErrorBody(const std::string& body, std::string& code, std::string& message, std::vector<std::string>& fields);

// A single upsert's result from its answer (200/201 with the row, or the error).
WriteResult ParseItemAnswer(const api::CallResult& call, const std::string& id_field, uint64_t tag);

// Refused before it was applied: 429 (Oracle's throttling) or 503.
bool NotApplied(const http::Response& response);

std::unique_ptr<Connector> Open(std::shared_ptr<api::Session> session);

}  // namespace crmx::connectors::oracle
