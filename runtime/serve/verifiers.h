// Defines how `crmx-run serve` turns a system's `webhook` profile entry (scheme, secret, the
// public URL the vendor posts to) into the check its /webhooks/SYSTEM endpoint runs: the
// scheme's signature (webhooks.h), then the replay cache.
#pragma once

#include <string>

#include "runtime/serve/serve.h"

namespace crmx::serve {

// `scheme`: "hubspot", "quickbooks", "xero" or "crmx"; `public_url`: the URL the vendor was
// given for this endpoint (HubSpot signs it; "" rebuilds it from the request's Host header).
// Null with `error` for an unknown scheme or an empty secret.
WebhookVerifier MakeVerifier(const std::string& scheme, const std::string& secret, const std::string& public_url,
                             std::string& error);

}  // namespace crmx::serve
