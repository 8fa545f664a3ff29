// Defines the check of spec tests' statements (`test "..." { given ...; now ...; expect ... }`)
// that needs no schema: the names of given records (each declared once in its test, E0104;
// every expectation about a record names one, E0112), the pinned clock (`now "..."` is an RFC
// 3339 instant, given once, E0114), and tests whose result would depend on the day they run (a
// map the test runs, or one of its values, reads now() or today() and the test pins no clock:
// E0113, a warning). The types of the records' fields are checked with the maps (map_check.cpp).
#pragma once

#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/diagnostics/diagnostic.h"

namespace crmx::check {

// Checks the tests of `root`; the maps of `imports` count as maps the tests run.
void CheckTestStatements(const ast::Module& root, const std::vector<const ast::Module*>& imports,
                         diag::DiagnosticSink& sink);

}  // namespace crmx::check
