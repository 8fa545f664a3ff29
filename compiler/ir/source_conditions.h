// Defines predicate pushdown on the compiler's side: which conjuncts of a sync's `when` a
// connector can apply while it reads the map's source (plan::SourceCondition), found in the
// conjuncts' optimized programs. A conjunct qualifies when its whole program is one
// comparison of a source field with a constant: `FIELD OP CONSTANT` or `CONSTANT OP FIELD`
// (OP one of == != < <= > >=), `FIELD in [CONSTANTS]`, `FIELD == null`, `FIELD != null`,
// after constant folding (so `Amount > 10 * 1000` qualifies), where FIELD is bound to a field
// of the source object itself (not a parent's, not a child list).
#pragma once

#include <vector>

#include "runtime/plan/plan.h"

namespace crmx::ir {

// The pushdown conditions of `when` (the conjuncts with their bindings), in `when` order.
std::vector<plan::SourceCondition> DerivePushdown(const std::vector<plan::WhenPart>& when);

}  // namespace crmx::ir
