// Defines the part of the plan builder that turns the spec's `alert` declarations into the
// plan's alerts (plan::Alert): `when` lowered over the alerted object's records as a sync's
// `when` over its map's source (with its pushdown), the duration in milliseconds, and each
// notify target: a channel, or `owner_of(SYSTEM.OBJECT)` resolved to the plan's map that links
// the owner object to the alerted one and to the owner's user and email fields. Called by
// BuildPlan (plan_builder.h) once the maps are built.
#pragma once

#include <string>
#include <vector>

#include "compiler/ir/plan_builder.h"

namespace crmx::ir {

// Appends the root module's alerts to `p.alerts`, in spec order. What this version cannot
// build (a `when` reading a related record, an owner with no map linking it to the alerted
// object, an owner object without `OwnerId`) is one message each in `errors`.
void BuildAlerts(const BuildInput& in, plan::Plan& p, std::vector<std::string>& errors);

// `when` over `object`'s records, lowered as a sync's `when` over its map's source: its
// conjuncts, and in `projection` what they read. Defined in plan_builder.cpp, beside the
// lowering of map expressions it reuses.
std::vector<plan::WhenPart> LowerWhenOver(const BuildInput& in, const plan::Plan& p, const ast::ObjectRef& object,
                                          const ast::Expr& when, plan::Projection& projection,
                                          std::vector<std::string>& errors);

// `e` as the spec could have written it, for notify targets and notifications
// (`owner_of(crm.Opportunity)`, `status == "Pending Approval"`): names, literals as written,
// operators spaced, calls; a nested operation in parentheses (`nested`: `e` is one). What it
// does not spell comes out as the AST's dump (compiler/ast/dump.h).
std::string SourceText(const ast::Expr& e, bool nested = false);

}  // namespace crmx::ir
