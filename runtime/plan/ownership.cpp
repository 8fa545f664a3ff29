// Defines CountSorDecisions (ownership.h).
#include "runtime/plan/ownership.h"

#include <algorithm>

namespace crmx::plan {
namespace {

// A `key` that only pairs record ids: nobody edits an id, so it needs no system of record.
// `key externalId = Id` (and `format("HS-%s", hs_object_id)`) reads nothing but the source
// record's own id; `key Id = externalId` writes the target record's own id.
bool IdentityKey(const Map& m, const TargetField& f) {
  for (const Step& s : m.steps) {
    if (s.kind != StepKind::kKey || s.target != f.name) continue;
    if (!m.target_id.empty() && f.name == m.target_id) return true;
    return !m.source_id.empty() && !s.bindings.empty() &&
           std::all_of(s.bindings.begin(), s.bindings.end(), [&](const Binding& b) {
             return b.kind == BindingKind::kField && b.field == m.source_id;
           });
  }
  return false;
}

}  // namespace

SorDecisions CountSorDecisions(const Plan& plan) {
  SorDecisions out;
  if (!plan.ownership_known) {
    out.known = false;
    return out;
  }
  for (const Map& m : plan.maps) {
    if (m.source.system == m.target.system) continue;
    for (const TargetField& f : m.target_fields) {
      if (f.constant || IdentityKey(m, f)) continue;
      ++out.synced;
      if (!f.owner.empty()) {
        ++out.owned;
      } else {
        out.unowned.emplace_back(m.name, m.target.system + "." + m.target.object + "." + f.name);
      }
    }
  }
  return out;
}

}  // namespace crmx::plan
