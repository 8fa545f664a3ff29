// Defines the policy check: the options of syncs, reconciliations and `conflicts` that name
// something the runtime must know, checked at `crmxc check` time instead of at run time. A
// backoff kind other than exponential, linear or fixed and a `conflicts` strategy other than
// latest_wins (E0109); a time zone that is not in the tz database (E0110); `retry 0`, a
// backoff whose first duration (the minimum) exceeds the second (the maximum), or a backoff
// with more durations than its kind takes (E0111).
#pragma once

#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/diagnostics/diagnostic.h"

namespace crmx::check {

// Checks the syncs, reconciliations and `conflicts` rules of `root` and its `imports`. Time
// zones are looked up as the runtime's scheduler does (runtime/schedule: Abseil's time zone
// library over the system's tz database, /usr/share/zoneinfo).
void CheckPolicies(const ast::Module& root, const std::vector<const ast::Module*>& imports,
                   diag::DiagnosticSink& sink);

}  // namespace crmx::check
