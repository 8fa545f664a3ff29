// Defines the type check of a spec: the phase that types every expression of the maps, syncs,
// alerts, reconciliations, tables and spec tests against the systems' schemas, and checks that
// every assigned value fits its target field (type, nullability, length, scale), that fallible
// calls and lookups are handled, and that conditions are bools. Codes E0301-E0313; the rules
// are in docs/types.md. (Integration rules such as ownership are checked elsewhere: E04xx.)
#pragma once

#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/check/systems.h"
#include "compiler/check/types.h"
#include "compiler/diagnostics/diagnostic.h"

namespace crmx::check {

// Checks `root` and the declarations of its `imports` (their diagnostics point into their own
// files). Objects that do not resolve (E0204, or a system whose schema failed to load) are
// skipped silently. Returns the type of each of `root`'s expressions, indexed by Expr::id
// (dyn for expressions that were not checked).
std::vector<Typed> CheckTypes(const ast::Module& root, const std::vector<const ast::Module*>& imports,
                              const Systems& systems, diag::DiagnosticSink& sink);

}  // namespace crmx::check
