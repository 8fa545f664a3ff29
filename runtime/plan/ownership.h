// Defines CountSorDecisions: the spec's system-of-record decisions as a built plan records them
// (plan::TargetField::owner, docs/plan-format.md), for the seed's "SoR decisions made" of
// `crmx-run assess` (docs/assess.md, "SoR decisions from the spec").
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "runtime/plan/plan.h"

namespace crmx::plan {

struct SorDecisions {
  // Synced fields: the target fields of the maps between two different systems, but for
  // constants (the integration's own values) and identity keys (a `key` that pairs the records'
  // ids: it reads only the source record's own id, or writes the target record's own id).
  int64_t synced = 0;
  int64_t owned = 0;  // the synced fields with an owner
  // The synced fields without one, in plan order: {map, "erp.Customer.terms"}.
  std::vector<std::pair<std::string, std::string>> unowned;
  // False for a plan that predates ownership (version 5): the counts are then 0 and mean
  // nothing; the plan must be rebuilt.
  bool known = true;
};

SorDecisions CountSorDecisions(const Plan& plan);

}  // namespace crmx::plan
