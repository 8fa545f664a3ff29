// Defines the language features of `crmxc lsp` that answer for a whole document, each in its
// own file: diagnostics (diagnostics.cpp, through the same checker as `crmxc check`), document
// symbols (symbols.cpp, from the AST), semantic tokens (semantic_tokens.cpp, from the lexer's
// tokens refined by the AST) and formatting (formatting.cpp, through `crmxc fmt`'s
// formatter), and quick fixes (code_actions.cpp, from the fixes diagnostics carry). Each takes
// the document as the editor has it and returns LSP JSON.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "compiler/lsp/document.h"

namespace crmx::lsp {

// textDocument/publishDiagnostics: the `diagnostics` array for `doc`. The document is checked
// with its systems' schemas, its imports and CSV tables read from disk relative to its path.
// Problems inside an imported module are shown at the `import` that brings the module in,
// prefixed with the module's path, with relatedInformation pointing into the module (the
// module's own file gets them when it is opened). `error_docs_dir`, when not empty, is the
// folder of the error index (EXXXX.md pages): codes link to their page there. A diagnostic
// with a fix carries it in `data` ({"fix": {"range", "newText", "applicable"}}).
nlohmann::json CheckDocument(const Document& doc, const std::string& error_docs_dir);

// textDocument/documentSymbol: hierarchical DocumentSymbols (the integration or module, its
// imports, systems, owners, tables, maps with their statements, syncs, alerts, reconciles,
// conflicts and tests). Broken text gives the symbols the parser recovered.
nlohmann::json DocumentSymbols(const Document& doc);

// The semantic tokens legend of the server's capabilities ({"tokenTypes", "tokenModifiers"}).
nlohmann::json SemanticTokensLegend();
// textDocument/semanticTokens/full: {"data": [...]}, five integers per token, delta-encoded in
// UTF-16 positions; tokens that span lines are split into one token per line.
nlohmann::json SemanticTokens(const Document& doc);

// textDocument/codeAction: a quick fix for each diagnostic of the request's context that
// carries a fix (CheckDocument puts it in the diagnostic's `data`), as an edit of `doc`.
nlohmann::json CodeActions(const Document& doc, const nlohmann::json& params);

// textDocument/formatting. `ok` false when the document does not parse (`error` says so):
// the server answers with an error, never with a mangled edit.
struct FormatOutcome {
  bool ok = false;
  nlohmann::json edits = nlohmann::json::array();  // [] when already formatted
  std::string error;
};
FormatOutcome FormatDocument(const Document& doc);

}  // namespace crmx::lsp
