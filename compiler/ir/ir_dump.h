// Defines the text form of a built plan that `crmxc dump ir FILE` prints: per map, in run
// order, its source and target, the maps it depends on, its batch sizes (with the rule's
// reason and what the systems' budgets allow per period), its projection, its record identity
// and who owns its target fields (`owners:`), each step with its
// input bindings and optimized bytecode, and its sync: each `when` conjunct's code, the
// pushdown conditions and their SQLite and file forms. Stable (no paths, hashes or versions),
// for golden tests; the form may change between crmx versions.
#pragma once

#include <ostream>

#include "runtime/plan/plan.h"

namespace crmx::ir {

void DumpIr(std::ostream& out, const plan::Plan& plan);

}  // namespace crmx::ir
