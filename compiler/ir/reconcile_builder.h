// Defines the part of the plan builder that turns the spec's `reconcile` blocks into the
// plan's reconciles (plan::Reconcile): the derived name, the schedule, each side's projection,
// `by` split into key pairs, every rule's two sides lowered to bytecode over one record's own
// fields, the tolerance kept exact, and the map that carries each side's records to the other.
// Called by BuildPlan (plan_builder.h) once the maps and syncs are built.
#pragma once

#include <string>
#include <vector>

#include "compiler/ir/plan_builder.h"

namespace crmx::ir {

// Appends the root module's reconciles to `p.reconciles`, in spec order. What this version
// cannot build (a `by` that is not `field == field` conjuncts, a rule reading a related record
// or a table, `within` on dates or durations) is one message each in `errors`.
void BuildReconciles(const BuildInput& in, plan::Plan& p, std::vector<std::string>& errors);

}  // namespace crmx::ir
