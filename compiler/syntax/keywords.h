// Defines the keywords of the crmx grammar as data, read from the generated lexer's vocabulary
// (grammar/Crmx.g4, between `// KEYWORDS (reserved)` and `// END KEYWORDS`), so tools such as
// the language server's completion (compiler/lsp) list the words the parser knows without a
// copy of the list. Includes no ANTLR header.
#pragma once

#include <string>
#include <vector>

namespace crmx::syntax {

struct Keyword {
  std::string word;
  bool reserved = false;  // reserved everywhere, or contextual (a name elsewhere)
};

// Every keyword of the grammar, in grammar order: the reserved ones, then the contextual ones.
const std::vector<Keyword>& Keywords();

// The words that start an item of a file's block: `import`, `use`, `system`, `owner`, `table`,
// `map`, `sync`, `conflicts`, `alert`, `reconcile`, `test`.
std::vector<std::string> ItemKeywords();
// The words that start a map statement other than an assignment: `key`, `require`.
std::vector<std::string> MapStatementKeywords();
// The words that start a setting of a `system` block: `schema`, `budget`, `batch`, `field`.
std::vector<std::string> SystemSettingKeywords();
// The words that start a statement of a `test` block: `given`, `expect`.
std::vector<std::string> TestStatementKeywords();
// The keywords that are (or start) an expression: `hold`, `ref`, `true`, `false`, `null`.
std::vector<std::string> ExpressionKeywords();

}  // namespace crmx::syntax
