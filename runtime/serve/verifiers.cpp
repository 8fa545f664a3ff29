// Defines the webhook checks of crmx-run serve (verifiers.h).
#include "runtime/serve/verifiers.h"

#include <memory>
#include <vector>

#include "runtime/serve/webhooks.h"

namespace crmx::serve {

WebhookVerifier MakeVerifier(const std::string& scheme, const std::string& secret, const std::string& public_url,
                             std::string& error) {
  Scheme s;
  if (scheme == "hubspot") s = Scheme::kHubSpotV3;
  else if (scheme == "quickbooks") s = Scheme::kQuickBooks;
  else if (scheme == "xero") s = Scheme::kXero;
  else if (scheme == "crmx") s = Scheme::kCrmx;
  else {
    error = "`" + scheme + "` is not a webhook scheme (hubspot, quickbooks, xero, crmx)";
    return nullptr;
  }
  if (secret.empty()) {
    error = "the webhook secret is empty";
    return nullptr;
  }
  auto replays = std::make_shared<ReplayCache>();
  return [s, secret, public_url, replays](const WebhookRequest& w, int64_t now_ms) {
    std::vector<Header> headers(w.headers.begin(), w.headers.end());
    std::string uri;
    if (!public_url.empty()) {
      // The public URL names the endpoint; the query the vendor added comes from the request.
      size_t q = w.uri.find('?');
      uri = public_url + (q == std::string::npos ? "" : w.uri.substr(q));
    } else {
      auto host = w.headers.find("host");
      uri = "http://" + (host == w.headers.end() ? std::string("localhost") : host->second) + w.uri;
    }
    Request r{w.method, uri, headers, w.body};
    Verdict v = replays->Admit(Verify(s, r, secret, now_ms), now_ms);
    WebhookVerdict out;
    out.status = v.http_status;
    out.result = v.intent_to_receive ? "intent_to_receive" : std::string(OutcomeName(v.outcome));
    out.changed = v.accepted() && !v.intent_to_receive;
    // Xero: "respond with a 200 (or 401) and an empty body", whatever the request was.
    out.empty_body = s == Scheme::kXero;
    return out;
  };
}

}  // namespace crmx::serve
