// Defines the Salesforce REST connector: reads with SOQL through the query resource (paged by
// nextRecordsUrl; queryAll when the read asks for IsDeleted), writes with sObject Collections
// (upsert by external id, or update by Id when the map's key is the record Id itself), 200
// records a request, each record's result mapped back to its tag. Every answer's
// Sforce-Limit-Info is kept (Connector::Limits).
//
// The query and body builders and the answer parsers are exposed for the unit tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/connectors/api/call.h"
#include "runtime/connectors/api/json.h"
#include "runtime/connectors/connector.h"

namespace crmx::connectors::salesforce {

// `s` as a SOQL string literal: quoted, with `'`, `"`, `\` and the control characters
// (newline, return, tab, bell, form feed) backslash-escaped. `like`: `%` and `_` escaped
// too, so they match themselves in a LIKE pattern.
std::string QuoteSoql(std::string_view s, bool like = false);

// The SOQL of a read: SELECT the projected fields (relationship fields as dotted names) FROM
// the object, WHERE the pushdown conditions SOQL decides as the VM would and the change
// cursor (`cursor >= since`, a datetime literal), ORDER BY the cursor.
std::string BuildSoql(const ReadRequest& req);

// The query resource a read goes to: "queryAll" when the projection reads `IsDeleted` (any
// case; a relationship's `Parent.IsDeleted` does not count), so records deleted at the source
// (in the recycle bin, or merged) come back with IsDeleted true; otherwise "query", which
// leaves them out. The SOQL, paging and cursor are the same for both.
std::string QueryResource(const ReadRequest& req);

// The upsert URL path (`/services/data/vXX/composite/sobjects/Object/KeyField`), or the
// update path (`.../composite/sobjects`) when the key is the object's Id.
std::string WritePath(const std::string& api_version, const WriteRequest& req);

// `{"allOrNone":false,"records":[{"attributes":{"type":"Object"}, fields...}, ...]}` for
// `rows` (each `req.fields.size()` values), nested target paths written as nested objects.
std::string BuildCollectionBody(const WriteRequest& req, const std::vector<std::vector<value::Value>>& rows);

// The results of a collection request's answer for records tagged `tags`, in order: per
// record its UpsertResult (`id`, `success`, `created`, `errors[]`), or, for an HTTP error or
// no answer, the whole request's failure for every record.
std::vector<WriteResult> ParseCollectionAnswer(const api::CallResult& call, const std::vector<uint64_t>& tags);

// The connector for a Salesforce system profile (`system.kind` "salesforce").
std::unique_ptr<Connector> Open(std::shared_ptr<api::Session> session);

}  // namespace crmx::connectors::salesforce
