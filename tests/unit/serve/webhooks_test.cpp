// Tests runtime/serve/webhooks: each scheme against a known-good signature computed outside crmx,
// then each way a request must be refused (a flipped byte, a wrong secret, a missing header, a
// timestamp 6 minutes old, a replay), and Xero's intent-to-receive both ways.
//
// The expected signatures were computed once with Python's standard library (hmac, hashlib,
// base64), from exactly the inputs below:
//   b64 = lambda k, m: base64.b64encode(hmac.new(k.encode(), m.encode(), hashlib.sha256).digest()).decode()
//   hubspot:    b64(kHubSpotSecret, "POST" + <URI with %3A %2C decoded, %20 kept> + kHubSpotBody + "1780000000000")
//   quickbooks: b64(kQuickBooksToken, kQuickBooksBody)
//   xero:       b64(kXeroKey, kXeroBody), b64(kXeroKey, kXeroProbe)
//   crmx:       hmac.new(b"whsec-crmx-test", b"1780000000." + kCrmxBody, hashlib.sha256).hexdigest()
#include <doctest/doctest.h>

#include <cctype>
#include <string>
#include <vector>

#include "runtime/serve/webhooks.h"

namespace sv = crmx::serve;
using Headers = std::vector<sv::Header>;

namespace {

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;

// --- HubSpot signature v3
constexpr const char* kHubSpotSecret = "8c1c2e5e-hubspot-client-secret";
// As received: `:` and `,` escaped (HubSpot decodes them before signing), `%20` (which it does not).
constexpr const char* kHubSpotUri = "https://crmx.example.com/hooks/hubspot?portal=62515&tag=a%3Ab%2Cc&q=x%20y";
constexpr const char* kHubSpotBody =
    R"([{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1780000000000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM"}])";
constexpr const char* kHubSpotStamp = "1780000000000";
constexpr int64_t kHubSpotStampMs = 1780000000000;
constexpr const char* kHubSpotSignature = "C8MrSzkLAdW2uk2tAuNKakZbfeN5+yEmmIj2FDWR6qg=";

// --- QuickBooks Online
constexpr const char* kQuickBooksToken = "qbo-verifier-token-7f3a";
constexpr const char* kQuickBooksBody =
    R"({"eventNotifications":[{"realmId":"1185883450","dataChangeEvent":{"entities":[{"name":"Customer","id":"1","operation":"Create","lastUpdated":"2026-05-04T14:42:19-0700"}]}}]})";
constexpr const char* kQuickBooksSignature = "eJdr4RklCUXZPrkyoZFPYXlaq2XU4slL6ZpjnmNGW3c=";

// --- Xero
constexpr const char* kXeroKey = "xero-webhook-key-Q2hhbmdlTWU=";
constexpr const char* kXeroBody =
    R"({"events":[{"resourceUrl":"https://api.xero.com/api.xro/2.0/Contacts/717f2bfc-c6d4-41fd-b238-3f2f0c0cf777","resourceId":"717f2bfc-c6d4-41fd-b238-3f2f0c0cf777","eventDateUtc":"2026-05-04T21:30:01.000","eventType":"UPDATE","eventCategory":"CONTACT","tenantId":"c2cc9b6e-9458-4c7d-93cc-f02b81b0594f","tenantType":"ORGANISATION"}],"lastEventSequence":1,"firstEventSequence":1,"entropy":"YSXCMKAQBJOEMGUZEPFZ"})";
constexpr const char* kXeroSignature = "xDNGvL2nm7FoeeCdd+mF13hJ/PtwvkmxsMayUvn41g4=";
// The intent-to-receive probe, as Xero's documentation shows it.
constexpr const char* kXeroProbe = R"({"events":[],"lastEventSequence":0,"firstEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"})";
constexpr const char* kXeroProbeSignature = "VyaFZzIcDbpa9oOcNCdbNSev4f7mfgwit7OkvT3DbqU=";

// --- crmx (X-Crmx-Signature)
constexpr const char* kCrmxSecret = "whsec-crmx-test";
constexpr const char* kCrmxBody = R"({"event":"opportunity.closed_won","id":"006xx000001"})";
constexpr int64_t kCrmxT = 1780000000;
constexpr const char* kCrmxHex = "f84f2cdf755e6b7192ee86e001c3ece04ec0421b122ac973ed10bbac5639d386";

sv::Request Make(const Headers& headers, const char* body, const char* uri = "", const char* method = "POST") {
  return sv::Request{method, uri, headers, body};
}

Headers HubSpotHeaders(std::string signature = kHubSpotSignature, std::string stamp = kHubSpotStamp) {
  return {{"Content-Type", "application/json"}, {"X-HubSpot-Signature-v3", signature},
          {"X-HubSpot-Request-Timestamp", stamp}};
}

std::string Flip(std::string s, size_t at) {
  s[at] = static_cast<char>(s[at] ^ 0x01);
  return s;
}

}  // namespace

TEST_CASE("HubSpot v3: a known-good request is accepted; the URI is signed with HubSpot's escapes decoded") {
  Headers h = HubSpotHeaders();
  sv::Verdict v = sv::VerifyHubSpotV3(Make(h, kHubSpotBody, kHubSpotUri), kHubSpotSecret, kHubSpotStampMs + kSecond);
  CHECK(v.outcome == sv::Outcome::kAccepted);
  CHECK(v.http_status == 200);
  CHECK(v.replay_key == std::string("hubspot:") + kHubSpotSignature);
  // Escapes in lowercase hex are the same characters.
  const char* lower = "https://crmx.example.com/hooks/hubspot?portal=62515&tag=a%3ab%2cc&q=x%20y";
  CHECK(sv::VerifyHubSpotV3(Make(h, kHubSpotBody, lower), kHubSpotSecret, kHubSpotStampMs).accepted());
  // %20 is not on HubSpot's list: decoding it would sign another URI.
  const char* space = "https://crmx.example.com/hooks/hubspot?portal=62515&tag=a%3Ab%2Cc&q=x y";
  CHECK(sv::VerifyHubSpotV3(Make(h, kHubSpotBody, space), kHubSpotSecret, kHubSpotStampMs).outcome ==
        sv::Outcome::kBadSignature);
  // Header names are case-insensitive.
  Headers lower_names = {{"x-hubspot-signature-v3", kHubSpotSignature}, {"x-hubspot-request-timestamp", kHubSpotStamp}};
  CHECK(sv::VerifyHubSpotV3(Make(lower_names, kHubSpotBody, kHubSpotUri), kHubSpotSecret, kHubSpotStampMs).accepted());
}

TEST_CASE("HubSpot v3: refusals and their reasons") {
  auto verify = [&](const Headers& h, const std::string& body = kHubSpotBody, const char* uri = kHubSpotUri,
                    const char* method = "POST", const char* secret = kHubSpotSecret, int64_t at = kHubSpotStampMs + kSecond) {
    return sv::VerifyHubSpotV3(sv::Request{method, uri, h, body}, secret, at);
  };
  SUBCASE("a flipped byte of the body, the signature, the URI or the method") {
    CHECK(verify(HubSpotHeaders(), Flip(kHubSpotBody, 10)).outcome == sv::Outcome::kBadSignature);
    CHECK(verify(HubSpotHeaders(Flip(kHubSpotSignature, 5))).outcome == sv::Outcome::kBadSignature);
    CHECK(verify(HubSpotHeaders(), kHubSpotBody, "https://crmx.example.com/hooks/hubspot?portal=62516&tag=a%3Ab%2Cc&q=x%20y")
              .outcome == sv::Outcome::kBadSignature);
    CHECK(verify(HubSpotHeaders(), kHubSpotBody, kHubSpotUri, "PUT").outcome == sv::Outcome::kBadSignature);
    // The timestamp is signed: moving it breaks the signature.
    CHECK(verify(HubSpotHeaders(kHubSpotSignature, "1780000000001")).outcome == sv::Outcome::kBadSignature);
  }
  SUBCASE("a wrong secret") {
    sv::Verdict v = verify(HubSpotHeaders(), kHubSpotBody, kHubSpotUri, "POST", "another-secret");
    CHECK(v.outcome == sv::Outcome::kBadSignature);
    CHECK(v.http_status == 401);
    CHECK(v.replay_key.empty());
    CHECK(v.detail.find(kHubSpotSignature) == std::string::npos);
  }
  SUBCASE("a missing header") {
    Headers no_signature = {{"X-HubSpot-Request-Timestamp", kHubSpotStamp}};
    CHECK(verify(no_signature).outcome == sv::Outcome::kUnsigned);
    Headers no_stamp = {{"X-HubSpot-Signature-v3", kHubSpotSignature}};
    sv::Verdict v = verify(no_stamp);
    CHECK(v.outcome == sv::Outcome::kUnsigned);
    CHECK(v.detail.find("X-HubSpot-Request-Timestamp") != std::string::npos);
    CHECK(verify(HubSpotHeaders("")).outcome == sv::Outcome::kUnsigned);
  }
  SUBCASE("a timestamp 6 minutes old, or 6 minutes ahead; 4 minutes is fine") {
    sv::Verdict old = verify(HubSpotHeaders(), kHubSpotBody, kHubSpotUri, "POST", kHubSpotSecret, kHubSpotStampMs + 6 * kMinute);
    CHECK(old.outcome == sv::Outcome::kTooOld);
    CHECK(old.http_status == 401);
    CHECK(old.detail.find("360 s ago") != std::string::npos);
    CHECK(verify(HubSpotHeaders(), kHubSpotBody, kHubSpotUri, "POST", kHubSpotSecret, kHubSpotStampMs - 6 * kMinute).outcome ==
          sv::Outcome::kTooOld);
    CHECK(verify(HubSpotHeaders(), kHubSpotBody, kHubSpotUri, "POST", kHubSpotSecret, kHubSpotStampMs + 4 * kMinute).accepted());
    CHECK(verify(HubSpotHeaders(), kHubSpotBody, kHubSpotUri, "POST", kHubSpotSecret, kHubSpotStampMs + 5 * kMinute).accepted());
    CHECK_FALSE(
        verify(HubSpotHeaders(), kHubSpotBody, kHubSpotUri, "POST", kHubSpotSecret, kHubSpotStampMs + 5 * kMinute + 1).accepted());
  }
  SUBCASE("malformed: a timestamp that is not a number, two signature headers") {
    sv::Verdict v = verify(HubSpotHeaders(kHubSpotSignature, "2026-05-04T10:00:00Z"));
    CHECK(v.outcome == sv::Outcome::kMalformed);
    CHECK(v.http_status == 400);
    Headers twice = HubSpotHeaders();
    twice.emplace_back("x-hubspot-signature-v3", "AAAA");
    CHECK(verify(twice).outcome == sv::Outcome::kMalformed);
  }
}

TEST_CASE("HubSpot v3: a GET with no body signs method + URI + timestamp") {
  Headers h = HubSpotHeaders("thPaabkbZ8Mg7OcTYQgyJ8qDi/XoI2QRTH3x4JmIbgY=");
  CHECK(sv::VerifyHubSpotV3(Make(h, "", "https://crmx.example.com/hooks/hubspot", "GET"), kHubSpotSecret, kHubSpotStampMs)
            .accepted());
}

TEST_CASE("QuickBooks Online: intuit-signature over the body") {
  Headers good = {{"intuit-signature", kQuickBooksSignature}, {"Content-Type", "application/json"}};
  sv::Verdict v = sv::VerifyQuickBooks(Make(good, kQuickBooksBody), kQuickBooksToken);
  CHECK(v.accepted());
  CHECK(v.http_status == 200);
  CHECK(v.replay_key == std::string("quickbooks:") + kQuickBooksSignature);
  CHECK(sv::VerifyQuickBooks(Make(good, Flip(kQuickBooksBody, 3).c_str()), kQuickBooksToken).outcome ==
        sv::Outcome::kBadSignature);
  Headers flipped = {{"Intuit-Signature", Flip(kQuickBooksSignature, 0)}};
  CHECK(sv::VerifyQuickBooks(Make(flipped, kQuickBooksBody), kQuickBooksToken).outcome == sv::Outcome::kBadSignature);
  CHECK(sv::VerifyQuickBooks(Make(good, kQuickBooksBody), "qbo-verifier-token-7f3b").outcome == sv::Outcome::kBadSignature);
  CHECK(sv::VerifyQuickBooks(Make({}, kQuickBooksBody), kQuickBooksToken).outcome == sv::Outcome::kUnsigned);
  // The dispatcher picks the same function.
  CHECK(sv::Verify(sv::Scheme::kQuickBooks, Make(good, kQuickBooksBody), kQuickBooksToken, 0).accepted());
}

TEST_CASE("Xero: x-xero-signature over the body; any refusal answers 401") {
  Headers good = {{"x-xero-signature", kXeroSignature}};
  sv::Verdict v = sv::VerifyXero(Make(good, kXeroBody), kXeroKey);
  CHECK(v.accepted());
  CHECK(v.http_status == 200);
  CHECK_FALSE(v.intent_to_receive);
  CHECK(v.replay_key == std::string("xero:") + kXeroSignature);
  CHECK(sv::VerifyXero(Make(good, Flip(kXeroBody, 40).c_str()), kXeroKey).http_status == 401);
  CHECK(sv::VerifyXero(Make(good, kXeroBody), "xero-webhook-key-other").outcome == sv::Outcome::kBadSignature);
  sv::Verdict missing = sv::VerifyXero(Make({}, kXeroBody), kXeroKey);
  CHECK(missing.outcome == sv::Outcome::kUnsigned);
  CHECK(missing.http_status == 401);
  Headers twice = {{"x-xero-signature", kXeroSignature}, {"X-Xero-Signature", kXeroSignature}};
  sv::Verdict two = sv::VerifyXero(Make(twice, kXeroBody), kXeroKey);
  CHECK(two.outcome == sv::Outcome::kMalformed);
  CHECK(two.http_status == 401);
}

TEST_CASE("Xero intent to receive: 200 for a correctly signed probe, 401 for an incorrectly signed one") {
  Headers right = {{"x-xero-signature", kXeroProbeSignature}};
  sv::Verdict ok = sv::VerifyXero(Make(right, kXeroProbe), kXeroKey);
  CHECK(ok.http_status == 200);
  CHECK(ok.accepted());
  CHECK(ok.intent_to_receive);
  CHECK(ok.replay_key.empty());
  // Xero's incorrectly signed probes carry a signature that does not match the payload.
  Headers wrong = {{"x-xero-signature", kXeroSignature}};
  sv::Verdict refused = sv::VerifyXero(Make(wrong, kXeroProbe), kXeroKey);
  CHECK(refused.http_status == 401);
  CHECK(refused.outcome == sv::Outcome::kBadSignature);
  CHECK_FALSE(refused.intent_to_receive);
  // Probes are answered 200 every time, even through the replay cache.
  sv::ReplayCache cache;
  CHECK(cache.Admit(ok, 0).http_status == 200);
  CHECK(cache.Admit(sv::VerifyXero(Make(right, kXeroProbe), kXeroKey), 1).outcome == sv::Outcome::kAccepted);
}

TEST_CASE("crmx: X-Crmx-Signature t=<unix s>,v1=<hex>") {
  const int64_t now = kCrmxT * 1000 + 2 * kSecond;
  std::string header = sv::SignCrmx(kCrmxSecret, kCrmxT, kCrmxBody);
  CHECK(header == std::string("t=1780000000,v1=") + kCrmxHex);
  auto verify = [&](const std::string& value, const std::string& body = kCrmxBody, int64_t at = kCrmxT * 1000 + 2 * kSecond,
                    const char* secret = kCrmxSecret) {
    Headers h = {{"X-Crmx-Signature", value}};
    return sv::VerifyCrmx(sv::Request{"POST", "", h, body}, secret, at);
  };
  sv::Verdict v = verify(header);
  CHECK(v.accepted());
  CHECK(v.replay_key == std::string("crmx:") + kCrmxHex);
  // Spaces after commas, upper-case hex, an unknown key, a second v1 during a secret rotation.
  std::string upper = kCrmxHex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(verify("t=1780000000, v1=" + upper).accepted());
  CHECK(verify("t=1780000000,v0=abc,v1=" + std::string(64, '0') + ",v1=" + kCrmxHex).accepted());
  // Refusals.
  CHECK(verify(header, Flip(kCrmxBody, 2)).outcome == sv::Outcome::kBadSignature);
  CHECK(verify("t=1780000000,v1=" + Flip(kCrmxHex, 63)).outcome == sv::Outcome::kBadSignature);
  CHECK(verify(header, kCrmxBody, now, "whsec-crmx-other").outcome == sv::Outcome::kBadSignature);
  CHECK(verify("t=1780000001,v1=" + std::string(kCrmxHex)).outcome == sv::Outcome::kBadSignature);
  CHECK(sv::VerifyCrmx(Make({}, kCrmxBody), kCrmxSecret, now).outcome == sv::Outcome::kUnsigned);
  CHECK(verify(header, kCrmxBody, kCrmxT * 1000 + 6 * kMinute).outcome == sv::Outcome::kTooOld);
  CHECK(verify(header, kCrmxBody, kCrmxT * 1000 - 6 * kMinute).outcome == sv::Outcome::kTooOld);
  for (const char* bad : {"v1=f84f", "t=,v1=f84f", "t=17800x0000,v1=f84f", "t=1780000000", "t=1780000000,junk",
                          "t=1,t=2,v1=f84f"}) {
    CAPTURE(bad);
    sv::Verdict m = verify(bad);
    CHECK(m.outcome == sv::Outcome::kMalformed);
    CHECK(m.http_status == 400);
  }
  std::string many = "t=1780000000";
  for (int i = 0; i < 9; ++i) many += ",v1=" + std::string(kCrmxHex);
  CHECK(verify(many).outcome == sv::Outcome::kMalformed);
}

TEST_CASE("ReplayCache: a delivery accepted within the window is refused as replayed, answered 200") {
  Headers good = {{"intuit-signature", kQuickBooksSignature}};
  sv::Verdict v = sv::VerifyQuickBooks(Make(good, kQuickBooksBody), kQuickBooksToken);
  REQUIRE(v.accepted());
  sv::ReplayCache cache(100, 10 * kMinute);
  CHECK(cache.Admit(v, 0).accepted());
  sv::Verdict again = cache.Admit(v, 3 * kMinute);
  CHECK(again.outcome == sv::Outcome::kReplayed);
  CHECK(again.http_status == 200);
  CHECK(again.detail.find("180 s ago") != std::string::npos);
  CHECK(cache.Size() == 1);
  // Once the window is over it is forgotten (and the timestamped schemes refuse it as too old).
  CHECK(cache.Admit(v, 10 * kMinute).accepted());
  // Refused verdicts are never remembered.
  sv::Verdict bad = sv::VerifyQuickBooks(Make(good, "{}"), kQuickBooksToken);
  CHECK(cache.Admit(bad, 11 * kMinute).outcome == sv::Outcome::kBadSignature);
  CHECK(cache.Size() == 1);
  // Not even a refused verdict that carries a key.
  sv::Verdict forged = bad;
  forged.replay_key = "quickbooks:forged";
  CHECK(cache.Admit(forged, 11 * kMinute).outcome == sv::Outcome::kBadSignature);
  CHECK(cache.Size() == 1);
  // A delivery that could not be taken is forgotten, so the vendor's retry goes through.
  cache.Forget(v.replay_key);
  CHECK(cache.Admit(v, 11 * kMinute).accepted());
  CHECK(cache.Admit(v, 11 * kMinute + 1).outcome == sv::Outcome::kReplayed);
}

TEST_CASE("ReplayCache: the HubSpot replay of a signed request within the tolerance") {
  sv::ReplayCache cache;
  Headers h = HubSpotHeaders();
  auto once = [&](int64_t at) {
    return cache.Admit(sv::VerifyHubSpotV3(Make(h, kHubSpotBody, kHubSpotUri), kHubSpotSecret, at), at);
  };
  CHECK(once(kHubSpotStampMs + kSecond).outcome == sv::Outcome::kAccepted);
  CHECK(once(kHubSpotStampMs + 2 * kMinute).outcome == sv::Outcome::kReplayed);
  CHECK(once(kHubSpotStampMs + 6 * kMinute).outcome == sv::Outcome::kTooOld);
}

TEST_CASE("ReplayCache: bounded; entries dropped before their window ends are counted") {
  sv::ReplayCache cache(3, 10 * kMinute);
  auto accepted = [](const std::string& key) {
    sv::Verdict v;
    v.outcome = sv::Outcome::kAccepted;
    v.http_status = 200;
    v.replay_key = key;
    return v;
  };
  for (int i = 0; i < 5; ++i) CHECK(cache.Admit(accepted("k" + std::to_string(i)), i).accepted());
  CHECK(cache.Size() == 3);
  CHECK(cache.EvictedEarly() == 2);
  // The newest three are still refused; the two oldest were dropped.
  CHECK(cache.Admit(accepted("k4"), 10).outcome == sv::Outcome::kReplayed);
  CHECK(cache.Admit(accepted("k0"), 10).accepted());
}

TEST_CASE("names for metrics and profiles") {
  CHECK(sv::OutcomeName(sv::Outcome::kAccepted) == "accepted");
  CHECK(sv::OutcomeName(sv::Outcome::kUnsigned) == "unsigned");
  CHECK(sv::OutcomeName(sv::Outcome::kBadSignature) == "bad_signature");
  CHECK(sv::OutcomeName(sv::Outcome::kTooOld) == "too_old");
  CHECK(sv::OutcomeName(sv::Outcome::kReplayed) == "replayed");
  CHECK(sv::OutcomeName(sv::Outcome::kMalformed) == "malformed");
  CHECK(sv::SchemeName(sv::Scheme::kHubSpotV3) == "hubspot");
  CHECK(sv::SchemeName(sv::Scheme::kXero) == "xero");
}
