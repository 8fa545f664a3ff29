// Defines the SAP S/4HANA Cloud connector: OData V2 (SAP Gateway, `/sap/opu/odata/sap/<SERVICE>`)
// and, for reads, OData V4. docs/connectors/sap.md says what it does and does not do.
//
// Reads: GET <service root>/<EntitySet> with `$select` from the projection, `$filter` from the
// pushdown conditions OData decides as the VM would and the change cursor (V2:
// `LastChangeDateTime ge datetimeoffset'...'`), `$orderby` the cursor (else the id), `$format=json`,
// `$top`/`$skip` client paging, and the server's own paging followed when it answers one (V2
// `d.__next`, V4 `@odata.nextLink`). V2 dates `/Date(ms)/` and `/Date(ms+0000)/` are read as
// instants; decimals come as strings and are kept exact.
//
// Writes (V2): upserts by the map's key, two `$batch` requests per batch of records: first a
// GET per record (`$filter=<key> eq '...'`: its URI and ETag), then a changeset per record (a
// POST creating it, with its items as a deep insert `to_Item: {"results": [...]}`, or a PATCH
// with `If-Match: <etag>` updating it), so each record's result is its own. Modifying requests
// carry the CSRF token fetched with `X-CSRF-Token: Fetch` and the session cookies; a `403` with
// `X-CSRF-Token: Required` fetches it again and resends. A `412` (stale ETag) or `428` (no
// If-Match) re-reads the record and sends the update once more; a second refusal is the
// record's failure (PRECONDITION_FAILED retriable, PRECONDITION_REQUIRED not).
//
// The builders and parsers are exposed for the unit tests.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/connectors/api/call.h"
#include "runtime/connectors/api/json.h"
#include "runtime/connectors/connector.h"

namespace crmx::connectors::sap {

// The service root of `object` ("/sap/opu/odata/sap/API_SALES_ORDER_SRV"), no trailing slash:
// the profile option `service.<Object>` or `service_root`, else SAP's API for the known entity
// sets (A_SalesOrder*: API_SALES_ORDER_SRV; A_BusinessPartner*, A_Customer*, A_Supplier*:
// API_BUSINESS_PARTNER). "" when none is known.
std::string ServiceRoot(const profile::SystemProfile& system, const std::string& object);

// The entity set a request names for `object`: the profile option `entity_set.<Object>`, else
// SAP's naming of types after their sets (`crmxc schema import` names objects by entity type:
// `A_SalesOrderType` is the set `A_SalesOrder`, V4's `SalesOrder_Type` the set `SalesOrder`),
// else `object` itself.
std::string EntitySetOf(const profile::SystemProfile& system, const std::string& object);

// The OData version of the system: the profile option `odata_version` ("2" or "4"), 2 by default.
int ODataVersion(const profile::SystemProfile& system);

// One pushdown condition as an OData `$filter` expression, or nothing when OData could leave
// out a record the VM keeps (or cannot say the constant exactly). `version` 2 or 4.
std::optional<std::string> FilterOf(const plan::SourceCondition& c, plan::FieldType type, int version);

// An instant as an OData literal of a datetime field: V2 `datetimeoffset'2024-01-02T03:04:05Z'`,
// V4 `2024-01-02T03:04:05Z`.
std::string InstantLiteral(value::Time t, int version);

// The query options of a read (no leading `?`): $select, $filter, $orderby, $top, $skip,
// $format=json (V2) / $count (V4 first page) / $inlinecount=allpages (V2 first page).
std::string BuildQuery(const ReadRequest& req, int version, size_t top, size_t skip);

// A V2 JSON date: "/Date(1492098664000)/" or "/Date(1492098664000+0060)/" (the offset in
// minutes, not applied: the milliseconds are UTC). False when `text` is not one.
bool ParseV2Date(std::string_view text, value::Time& out);

// A value of an answer as a field of `type`: V2 dates parsed, decimals from strings exact.
value::Value FieldValue(const api::JsonNode& node, plan::FieldType type, std::string_view field);

// SAP's error body, V2 `{"error":{"code","message":{"lang","value"},"innererror":{"errordetails":
// [{"code","message","target"}]}}}` or V4 `{"error":{"code","message","details":[...]}}`: the code,
// the messages joined, the targets named. A body that is not one: its first 300 characters.
void ReadError(const std::string& body, std::string& code, std::string& message, std::vector<std::string>& fields);

// The JSON body of a create (every field; nested items as `{"results": [...]}` in V2, a plain
// array in V4) or an update (`update`: not the key, not create-only fields, no items: SAP does
// not update navigation properties with the parent).
std::string BuildEntityBody(const WriteRequest& req, const value::Value* values, bool update, int version);

// The entity's path relative to the service root from its `__metadata.uri`
// ("https://h/sap/opu/odata/sap/API_SALES_ORDER_SRV/A_SalesOrder('1')" -> "A_SalesOrder('1')").
std::string RelativeUri(std::string_view uri, std::string_view object);

// `s` as an OData string literal: quoted, `'` doubled.
std::string Quote(std::string_view s);

// The connector for an SAP system profile (`system.kind` "sap").
std::unique_ptr<Connector> Open(std::shared_ptr<api::Session> session);

}  // namespace crmx::connectors::sap
