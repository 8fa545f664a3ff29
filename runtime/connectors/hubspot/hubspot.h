// Defines the HubSpot CRM v3 connector (docs/connectors/hubspot.md):
// - Reads: with a change cursor, the CRM search API (`POST /crm/v3/objects/{type}/search`): the
//   projection as `properties`, `cursor GTE since` (epoch milliseconds), sorted by the cursor,
//   200 a page, paged by `after`; a search returns at most 10,000 results, so at the 10,000th
//   the read starts a new search from the last cursor value seen (records already handed out
//   are skipped by id). Searches are paced to HubSpot's 4 a second. Without a cursor, the list
//   endpoint (`GET /crm/v3/objects/{type}?properties=...&after=`), 100 a page.
// - Associations read: a field `associations.<objectType>` (the schema's `associations` object,
//   import_hubspot.cpp) is the list of the record's associated ids of that type. A list read
//   asks for them inline (`&associations=companies,...`); a search answers none, so each page's
//   records are read through `POST /crm/v4/associations/{from}/{to}/batch/read` (100 ids a
//   request); a record with more associations than one page gives, page by page, by `after`.
// - Writes: batch upsert by `idProperty` (the map's key, a unique-value property), or batch
//   update by id when the key is `hs_object_id`; 100 inputs a request. Each record's result is
//   matched to its input by its key (HubSpot does not promise result order); a 207's `errors[]`
//   name their inputs in `context`. A whole batch refused as invalid (400 VALIDATION_ERROR) is
//   sent again one record a request, so only the bad record fails.
// - Fields live in HubSpot's `properties` envelope: a spec writes `name = ...`, the connector
//   sends `{"properties": {"name": ...}}` (every value as a string, HubSpot's form) and reads
//   `properties.name`. `id` reads the record id. Target fields `associations.<objectType>` (a
//   record id, or a list of them) are not properties: after the write, each ok record is
//   associated to them with the v4 default association (`POST /crm/v4/associations/{from}/{to}/
//   batch/associate/default`).
// - Limits: every answer's X-HubSpot-RateLimit-* headers are kept (Connector::Limits). A 429
//   TEN_SECONDLY_ROLLING (or search's SECONDLY) is waited out (Retry-After, else the interval
//   header) and sent again; a 429 DAILY is not: the calls of the day are spent, and the failure
//   says so.
//
// Object names: "Company" (the schema's, import_hubspot.cpp) or the object type ("companies").
// The builders and parsers are exposed for the unit tests.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/connectors/api/call.h"
#include "runtime/connectors/api/json.h"
#include "runtime/connectors/connector.h"

namespace crmx::connectors::hubspot {

// The object type of a crmx object name: "Company" -> "companies", "LineItem" -> "line_items";
// an object type ("deals", a custom "p_cars") is kept.
std::string ObjectType(const std::string& object);

// The HubSpot properties a read asks for: its fields but `id` and the record's own members
// (archived, createdAt, updatedAt), each once, in order.
std::vector<std::string> Properties(const ReadRequest& req);

// The search body of a read: the properties, `cursor GTE since_ms` when `since_ms` is not
// empty, sorted ascending by the cursor, `limit`, and `after` when not empty.
std::string BuildSearchBody(const ReadRequest& req, const std::string& since_ms, const std::string& after, size_t limit);

// The list path of a read (no cursor): `/crm/v3/objects/{type}?limit=..&properties=..
// [&associations=..][&after=..]`.
std::string ListPath(const ReadRequest& req, const std::string& after, size_t limit);

// The object types a read's `associations.<type>` fields name ("associations.companies"), each
// once, in field order.
std::vector<std::string> AssociationTypes(const ReadRequest& req);

// One input of an association batch read: a record id and, for a next page of its
// associations, the `after` of the page before.
struct AssociationInput {
  std::string id, after;
};

// The body of `POST /crm/v4/associations/{from}/{to}/batch/read`: `{"inputs":[{"id","after"}]}`.
std::string BuildAssociationReadBody(const std::vector<AssociationInput>& inputs);

// Reads a batch read's answer: each result's `to[].toObjectId` appended to `ids[from.id]` (each
// id once), a result with `paging.next.after` added to `more`. An error for a record with none
// (subCategory ...NO_ASSOCIATIONS_FOUND) or gone (OBJECT_NOT_FOUND) leaves it without; another
// error, or an answer that is not JSON: false with `error`.
bool ParseAssociationRead(const std::string& body, std::map<std::string, std::vector<std::string>>& ids,
                          std::vector<AssociationInput>& more, std::string& error);

// RFC 3339 `since` as epoch milliseconds ("" when it does not parse).
std::string SinceMillis(const std::string& since);

// The batch body of `rows`: upsert inputs `{"idProperty","id","properties"}`, or, when
// `by_id`, update inputs `{"id","properties"}`. Values are JSON strings (null: "", which
// clears the property); `associations.*` fields are left out.
std::string BuildBatchBody(const WriteRequest& req, const std::vector<std::vector<value::Value>>& rows, bool by_id);

// What a HubSpot error body says: `category` (VALIDATION_ERROR, OBJECT_NOT_FOUND,
// RATE_LIMITS...), `policyName` of a 429, the first detail's `code`, the message and the
// property names the details name.
struct ErrorInfo {
  std::string category, policy, code, message, correlation_id;
  std::vector<std::string> properties;
};
ErrorInfo ReadError(const std::string& body);

// The results of a batch answer for records whose keys are `keys` and tags `tags`: ok with the
// record id (and `new` for upserts) when a result carries the key, failed with the detail code
// when an error's `context` names it, retriable NO_RESULT when neither; for an HTTP error or
// no answer, the whole request's failure for every record (a 429 DAILY not retriable).
std::vector<WriteResult> ParseBatchAnswer(const api::CallResult& call, const std::string& key_property, bool by_id,
                                          const std::vector<std::string>& keys, const std::vector<uint64_t>& tags);

// The X-HubSpot-RateLimit-* headers of an answer as "api-usage=10/250000 daily=250000
// daily-remaining=249990 interval-ms=10000 max=100 remaining=99 secondly=10 secondly-remaining=9"
// (the headers the answer has, in that order; api-usage, the day's calls used of those allowed,
// when it has both daily headers: the run's budgets read it); "" when it has none.
std::string LimitsText(const http::Response& response);

// The connector for a HubSpot system profile (`system.kind` "hubspot").
std::unique_ptr<Connector> Open(std::shared_ptr<api::Session> session);

}  // namespace crmx::connectors::hubspot
