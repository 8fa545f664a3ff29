// Declares connectors::OpenApi, the factory of the connectors that talk to a vendor's API
// over HTTP, by the system profile's kind: "salesforce" (runtime/connectors/salesforce) and
// "netsuite" (runtime/connectors/netsuite).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "runtime/connectors/connector.h"
#include "runtime/profile/profile.h"

namespace crmx::connectors {

// The connector for `system` (its kind, base URL, API version, auth method, concurrency and
// timeout; options `retry_attempts` (default 4) and `retry_max_wait_ms` (default 30000) bound
// the retries of reads and of refused writes; NetSuite's `suiteql_dates: to_char` selects
// dates in ISO form, netsuite.h). Logging in happens on the first call, not here. Null with `error` for a kind
// that is not an API connector's or an auth method the kind cannot use.
// `admit`, when set, is asked before every request, and `admitted_done` told when one it let
// through came back (api::Session::admit).
std::unique_ptr<Connector> OpenApi(const profile::SystemProfile& system, std::string& error,
                                   std::function<std::string()> admit = {}, std::function<void()> admitted_done = {});

// True when `kind` names an API connector OpenApi opens.
bool IsApiKind(const std::string& kind);

}  // namespace crmx::connectors
