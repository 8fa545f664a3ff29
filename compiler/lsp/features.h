// Defines the language features of `crmxc lsp` that answer a question about one position in a
// document: hover, go-to-definition and completion. Each takes the document as the editor has
// it (unsaved text included; imports and schemas are read from disk relative to its path) and
// returns the LSP result object as JSON (null when there is nothing to say). The server
// (server.cpp) converts the request's parameters and sends the result as it is.
#pragma once

#include <nlohmann/json.hpp>

#include "compiler/lsp/document.h"

namespace crmx::lsp {

// textDocument/hover: a Hover ({"contents": {"kind": "markdown", "value": ...}, "range": ...})
// or null. A field: its type, nullability, owner, picklist values; a function: its signature
// and doc; a map, table or system: what it is.
nlohmann::json Hover(const Document& doc, Position pos);

// textDocument/definition: a Location, an array of Locations, or null. Maps, tables and
// imported modules to where they are declared; a field to its schema file.
nlohmann::json Definition(const Document& doc, Position pos);

// textDocument/completion: a CompletionList ({"isIncomplete": false, "items": [...]}). Fields
// of the source and target objects from the schemas, functions, table names, keywords, as
// the position allows.
nlohmann::json Completion(const Document& doc, Position pos);

}  // namespace crmx::lsp
