// Defines connectors::OpenApi (open_api.h): a Session (HTTP client for the logins, the
// Authenticator of the profile's auth method) handed to the vendor's connector.
#include "runtime/connectors/api/open_api.h"

#include <algorithm>
#include <charconv>

#include "runtime/connectors/api/call.h"
#include "runtime/connectors/hubspot/hubspot.h"
#include "runtime/connectors/netsuite/netsuite.h"
#include "runtime/connectors/oracle/oracle.h"
#include "runtime/connectors/salesforce/salesforce.h"
#include "runtime/connectors/sap/sap.h"
#include "runtime/connectors/xero/xero.h"
#include "runtime/connectors/quickbooks/quickbooks.h"

namespace crmx::connectors {

bool IsApiKind(const std::string& kind) { return kind == "salesforce" || kind == "netsuite" || kind == "xero" ||
                                                   kind == "quickbooks" ||
                                                   kind == "hubspot" || kind == "oracle" || kind == "sap"; }

std::unique_ptr<Connector> OpenApi(const profile::SystemProfile& system, std::string& error,
                                   std::function<std::string()> admit, std::function<void()> admitted_done) {
  if (!IsApiKind(system.kind)) {
    error = "system `" + system.name + "`: `" + system.kind + "` is not an API connector (salesforce, netsuite)";
    return nullptr;
  }
  profile::SystemProfile sys = system;
  if (sys.kind == "netsuite" && sys.base_url.empty() && !sys.account_id.empty()) {
    // The account's REST host: "1234567_SB1" -> https://1234567-sb1.suitetalk.api.netsuite.com.
    std::string host;
    for (char c : sys.account_id) host += c == '_' ? '-' : (c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
    sys.base_url = "https://" + host + ".suitetalk.api.netsuite.com";
  }
  if (sys.kind == "quickbooks") {
    // Every QuickBooks call is under /v3/company/{realmId}: the realm id is the account id.
    if (sys.account_id.empty()) {
      error = "system `" + system.name + "`: a quickbooks profile needs `account_id` (the company's realm id)";
      return nullptr;
    }
    if (sys.base_url.empty()) sys.base_url = "https://quickbooks.api.intuit.com";
  }
  if (sys.kind == "hubspot" && sys.base_url.empty()) sys.base_url = "https://api.hubapi.com";
  if (sys.base_url.empty()) {
    error = "system `" + system.name + "`: the profile gives no base_url";
    return nullptr;
  }
  http::Options options;
  if (sys.timeout_ms > 0) options.timeout = std::chrono::milliseconds(sys.timeout_ms);
  auto auth_client = std::make_unique<http::Client>(options);
  std::string auth_error;
  std::unique_ptr<auth::Authenticator> authenticator = auth::Make(sys, *auth_client, auth_error);
  if (!authenticator) {
    error = "system `" + system.name + "`: " + auth_error;
    return nullptr;
  }
  bool salesforce = sys.kind == "salesforce";
  auto session = std::make_shared<api::Session>(sys, std::move(auth_client), std::move(authenticator), salesforce);
  session->admit = std::move(admit);
  session->admitted_done = std::move(admitted_done);
  // The retry bounds of reads and of writes refused before they were applied (call.h).
  for (const auto& [name, text] : sys.options) {
    if (name != "retry_attempts" && name != "retry_max_wait_ms") continue;
    int64_t n = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), n);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size() || n < (name == "retry_attempts" ? 1 : 0) ||
        n > 86400000) {
      error = "system `" + system.name + "`: option `" + name + "` is `" + text + "`, not a number in range";
      return nullptr;
    }
    if (name == "retry_attempts") session->policy.attempts = static_cast<int>(std::min<int64_t>(n, 20));
    else session->policy.max_wait = std::chrono::milliseconds(n);
  }
  if (sys.kind == "hubspot") return hubspot::Open(std::move(session));
  if (sys.kind == "sap") return sap::Open(std::move(session));
  if (sys.kind == "oracle") return oracle::Open(std::move(session));
  if (sys.kind == "xero") return xero::Open(std::move(session));
  if (sys.kind == "quickbooks") return quickbooks::Open(std::move(session));
  return salesforce ? salesforce::Open(std::move(session)) : netsuite::Open(std::move(session));
}

}  // namespace crmx::connectors
