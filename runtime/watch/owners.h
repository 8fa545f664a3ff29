// Defines how an alert finds the owner `notify owner_of(crm.Opportunity)` names (docs/serve.md,
// "Alerts and notifications"): the alerted record's link (its `externalId`, the opportunity's
// Id, through the plan's map `won_to_order`) gives the owner object's record, whose `OwnerId`
// gives a User, whose `Email` is where the notification goes. Both reads go through the owner
// system's connector, projected to the two fields they need and pushed down (`Id IN (...)`), a
// batch of links a read, never a request per record.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "runtime/connectors/connector.h"
#include "runtime/plan/plan.h"

namespace crmx::watch {

struct Owners {
  std::map<std::string, std::string> email;    // link -> the owner's email address
  std::map<std::string, std::string> missing;  // link -> why it has none ("no crm.Opportunity 006...")
  uint64_t calls = 0;                          // API calls the reads made
};

// Resolves the owners of `links` (values of the owner object's `t.link_key`) through
// `connector`, the system of `t.owner_object`. False with `error` when the system cannot be
// read (a failure worth trying again); a link with no record, no owner or no email is in
// `out.missing` (not worth trying again).
bool ResolveOwners(const plan::NotifyTarget& t, const std::vector<std::string>& links, connectors::Connector& connector,
                   Owners& out, std::string& error);

// The owner target a `notify` text names when it is not an alert's (an engine event's
// `owner_of(crm.Opportunity)` from `on exhausted ... notify`): linked by the map's source key
// when the map reads the owner object itself (`won_to_order` reads crm.Opportunity; its key is
// the opportunity's Id). False when the text is not `owner_of(SYSTEM.OBJECT)` or the map does
// not read that object.
bool EventOwnerTarget(const plan::Plan& p, const std::string& map, const std::string& text, plan::NotifyTarget& out);

}  // namespace crmx::watch
