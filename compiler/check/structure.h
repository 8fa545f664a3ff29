// Defines the structure check: the rules about a spec that need no schema. Declared names are
// unique, every `sync` and `ref` names a map, an integration syncs each of its maps, object
// references name declared systems, `use` names a standard module, a file declares something.
// (The schema-aware type checker builds on this in later passes.)
#pragma once

#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/diagnostics/diagnostic.h"

namespace crmx::check {

// `root` is the file being checked; `imports` are the modules it imports (transitively), whose
// declarations are visible in `root`.
void CheckStructure(const ast::Module& root, const std::vector<const ast::Module*>& imports,
                    diag::DiagnosticSink& sink);

// The standard library modules a spec can `use`.
const std::vector<std::string>& StdModules();

// The candidate closest to `word` by edit distance, or empty when none is close enough to
// suggest (at most a third of the word's length, at least 1).
std::string ClosestName(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace crmx::check
