// Tests the login flows of runtime/auth against a local token server (TestServer): Salesforce
// client credentials and JWT bearer, NetSuite M2M, token caching and Invalidate, error
// messages that name the status and error code but no secret, and NetSuite TBA headers whose
// signature the server recomputes.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <map>

#include "runtime/auth/auth.h"
#include "tests/unit/auth/jwt_check.h"
#include "tests/unit/http/test_server.h"

namespace {

using crmx::profile::Secret;
using crmx::profile::SystemProfile;
using crmx::testing::ServerReply;
using crmx::testing::ServerRequest;
using crmx::testing::TestServer;

constexpr const char* kClientSecret = "sf-client-secret-8f3a9c";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}

std::string Decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> ParseForm(const std::string& body) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= body.size()) {
    size_t amp = body.find('&', start);
    std::string part = body.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    size_t eq = part.find('=');
    if (!part.empty()) out[Decode(part.substr(0, eq))] = eq == std::string::npos ? "" : Decode(part.substr(eq + 1));
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return out;
}

ServerReply Json(int status, const nlohmann::json& body) {
  ServerReply reply;
  reply.status = status;
  reply.headers = {{"Content-Type", "application/json"}};
  reply.body = body.dump();
  return reply;
}

SystemProfile Salesforce(const std::string& base_url) {
  SystemProfile system;
  system.name = "crm";
  system.kind = "salesforce";
  system.base_url = base_url;
  system.auth.method = "oauth2_client_credentials";
  system.auth.params["client_id"] = "crmx-test-client";
  system.auth.secrets["client_secret"] = Secret("env:CRMX_SF_CLIENT_SECRET", kClientSecret);
  return system;
}

std::string BearerOf(const crmx::http::Request& req) {
  for (const auto& [name, value] : req.headers) {
    if (name == "Authorization") return value;
  }
  return {};
}

}  // namespace

TEST_CASE("Salesforce client credentials: logs in once, keeps the token and instance_url, re-logs after Invalidate") {
  int issued = 0;
  TestServer server([&](const ServerRequest& req) {
    auto form = ParseForm(req.body);
    if (req.method != "POST" || req.target != "/services/oauth2/token" ||
        req.Header("Content-Type") != "application/x-www-form-urlencoded" || form["grant_type"] != "client_credentials" ||
        form["client_id"] != "crmx-test-client" || form["client_secret"] != kClientSecret) {
      return Json(400, {{"error", "invalid_request"}});
    }
    ++issued;
    return Json(200, {{"access_token", "00Dxx!token-" + std::to_string(issued)},
                      {"instance_url", "https://acme.my.salesforce.com/"},
                      {"token_type", "Bearer"}});
  });
  crmx::http::Client client;
  std::string error;
  auto auth = crmx::auth::Make(Salesforce(server.Url()), client, error);
  REQUIRE(auth);
  CHECK(auth->Logins() == 0);

  crmx::http::Request req;
  req.url = "https://acme.my.salesforce.com/services/data/v61.0/limits";
  req.headers = {{"authorization", "Bearer stale"}};
  REQUIRE(auth->Authorize(req, error));
  CHECK(BearerOf(req) == "Bearer 00Dxx!token-1");
  CHECK(req.headers.size() == 1);  // the old Authorization header was replaced
  CHECK(auth->InstanceUrl() == "https://acme.my.salesforce.com");
  CHECK(auth->Logins() == 1);

  crmx::http::Request again;
  REQUIRE(auth->Authorize(again, error));
  CHECK(BearerOf(again) == "Bearer 00Dxx!token-1");
  CHECK(auth->Logins() == 1);

  auth->Invalidate();
  crmx::http::Request third;
  REQUIRE(auth->Authorize(third, error));
  CHECK(BearerOf(third) == "Bearer 00Dxx!token-2");
  CHECK(auth->Logins() == 2);
  CHECK(server.Requests().size() == 2);
}

TEST_CASE("a refused login names the status and the error code, never the secret") {
  TestServer server([&](const ServerRequest&) {
    return Json(400, {{"error", "invalid_client"}, {"error_description", "invalid client credentials"}});
  });
  crmx::http::Client client;
  std::string error;
  auto auth = crmx::auth::Make(Salesforce(server.Url()), client, error);
  REQUIRE(auth);
  crmx::http::Request req;
  CHECK_FALSE(auth->Authorize(req, error));
  CHECK(error.find("400") != std::string::npos);
  CHECK(error.find("invalid_client") != std::string::npos);
  CHECK(error.find("invalid client credentials") != std::string::npos);
  CHECK(error.find("/services/oauth2/token") != std::string::npos);
  CHECK(error.find(kClientSecret) == std::string::npos);
  CHECK(BearerOf(req).empty());
  CHECK(auth->Logins() == 1);
}

TEST_CASE("a server that echoes the secret does not get it into the message") {
  TestServer server([&](const ServerRequest& req) {
    ServerReply reply;
    reply.status = 401;
    reply.body = "<html>bad request: " + req.body + "</html>";
    return reply;
  });
  crmx::http::Client client;
  std::string error;
  auto auth = crmx::auth::Make(Salesforce(server.Url()), client, error);
  REQUIRE(auth);
  crmx::http::Request req;
  CHECK_FALSE(auth->Authorize(req, error));
  CHECK(error.find("401") != std::string::npos);
  CHECK(error.find(kClientSecret) == std::string::npos);
  CHECK(error.find("[secret env:CRMX_SF_CLIENT_SECRET]") != std::string::npos);
}

TEST_CASE("a token endpoint that does not answer gives the transport error") {
  crmx::http::Client client;
  std::string error;
  auto auth = crmx::auth::Make(Salesforce("http://127.0.0.1:" + std::to_string(TestServer::ClosedPort())), client, error);
  REQUIRE(auth);
  crmx::http::Request req;
  CHECK_FALSE(auth->Authorize(req, error));
  CHECK(error.find("connection refused") != std::string::npos);
}

TEST_CASE("Salesforce JWT bearer: an RS256 assertion with iss, sub, aud and a 3-minute exp") {
  auto key = crmx::testing::MakeRsaKey();
  std::string failure;
  TestServer server([&](const ServerRequest& req) {
    auto form = ParseForm(req.body);
    std::string jwt = form["assertion"];
    auto parts = crmx::testing::SplitJwt(jwt);
    if (form["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer" || parts.size() != 3 ||
        !crmx::testing::VerifyJwt(jwt, "RS256", key.public_pem)) {
      failure = "bad grant or signature";
      return Json(400, {{"error", "invalid_grant"}});
    }
    auto header = nlohmann::json::parse(crmx::testing::Base64UrlDecode(parts[0]));
    auto claims = nlohmann::json::parse(crmx::testing::Base64UrlDecode(parts[1]));
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    int64_t exp = claims.value("exp", int64_t{0});
    if (header["alg"] != "RS256" || claims["iss"] != "crmx-test-client" || claims["sub"] != "integration@acme.com" ||
        claims["aud"] != "https://test.salesforce.com" || exp < now + 150 || exp > now + 181) {
      failure = header.dump() + claims.dump();
      return Json(400, {{"error", "invalid_grant"}, {"error_description", "audience is invalid"}});
    }
    return Json(200, {{"access_token", "jwt-token"}, {"instance_url", "https://acme--uat.sandbox.my.salesforce.com"}});
  });
  SystemProfile system = Salesforce(server.Url());
  system.auth.method = "jwt_bearer";
  system.auth.secrets.clear();
  system.auth.params["username"] = "integration@acme.com";
  system.auth.params["audience"] = "https://test.salesforce.com";
  system.auth.secrets["private_key"] = Secret("file:keys/sf.pem", key.private_pem);
  crmx::http::Client client;
  std::string error;
  auto auth = crmx::auth::Make(system, client, error);
  REQUIRE(auth);
  crmx::http::Request req;
  CHECK(auth->Authorize(req, error));
  CHECK(failure.empty());
  CHECK(error.empty());
  CHECK(BearerOf(req) == "Bearer jwt-token");
  CHECK(auth->InstanceUrl() == "https://acme--uat.sandbox.my.salesforce.com");
}

TEST_CASE("NetSuite M2M: a PS256 client assertion with kid, scope list and aud = token URL") {
  auto key = crmx::testing::MakeRsaKey();
  std::string failure;
  int issued = 0;
  TestServer server([&](const ServerRequest& req) {
    auto form = ParseForm(req.body);
    std::string jwt = form["client_assertion"];
    auto parts = crmx::testing::SplitJwt(jwt);
    if (req.target != "/services/rest/auth/oauth2/v1/token" || form["grant_type"] != "client_credentials" ||
        form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" ||
        parts.size() != 3 || !crmx::testing::VerifyJwt(jwt, "PS256", key.public_pem)) {
      failure = "bad request or signature: " + req.target + " " + req.body.substr(0, 120);
      return Json(400, {{"error", "invalid_request"}});
    }
    auto header = nlohmann::json::parse(crmx::testing::Base64UrlDecode(parts[0]));
    auto claims = nlohmann::json::parse(crmx::testing::Base64UrlDecode(parts[1]));
    int64_t iat = claims.value("iat", int64_t{0});
    int64_t exp = claims.value("exp", int64_t{0});
    nlohmann::json scopes = {"restlets", "rest_webservices"};
    if (header["alg"] != "PS256" || header["typ"] != "JWT" || header["kid"] != "cert-abc" ||
        claims["iss"] != "ns-client-id" || claims["scope"] != scopes ||
        claims["aud"] != server.Url("/services/rest/auth/oauth2/v1/token")) {
      failure = header.dump() + claims.dump();
      return Json(400, {{"error", "invalid_grant"}});
    }
    if (exp <= iat || exp - iat > 3600) {
      failure = "exp not within an hour of iat";
      return Json(400, {{"error", "invalid_grant"}});
    }
    ++issued;
    return Json(200, {{"access_token", "ns-token-" + std::to_string(issued)}, {"expires_in", "3600"}, {"token_type", "bearer"}});
  });
  SystemProfile system;
  system.name = "erp";
  system.kind = "netsuite";
  system.account_id = "1234567_SB1";
  system.base_url = server.Url();
  system.auth.method = "oauth2_m2m";
  system.auth.params = {{"client_id", "ns-client-id"}, {"certificate_id", "cert-abc"}};
  system.auth.secrets["private_key"] = Secret("file:keys/ns.pem", key.private_pem);
  crmx::http::Client client;
  std::string error;
  auto auth = crmx::auth::Make(system, client, error);
  REQUIRE(auth);
  crmx::http::Request req;
  CHECK(auth->Authorize(req, error));
  CHECK(failure.empty());
  CHECK(BearerOf(req) == "Bearer ns-token-1");
  CHECK(auth->InstanceUrl().empty());
  // aud is the token endpoint itself.
  auto seen = server.Requests();
  REQUIRE(seen.size() == 1);
  auto claims = nlohmann::json::parse(
      crmx::testing::Base64UrlDecode(crmx::testing::SplitJwt(ParseForm(seen[0].body)["client_assertion"])[1]));
  CHECK(claims["aud"] == server.Url("/services/rest/auth/oauth2/v1/token"));
  auth->Invalidate();
  CHECK(auth->Authorize(req, error));
  CHECK(BearerOf(req) == "Bearer ns-token-2");
  CHECK(auth->Logins() == 2);
}

TEST_CASE("NetSuite M2M: a refused login names NetSuite's error code") {
  auto key = crmx::testing::MakeRsaKey();
  TestServer server([&](const ServerRequest&) {
    return Json(401, {{"type", "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2"},
                      {"title", "Unauthorized"},
                      {"status", 401},
                      {"o:errorDetails", {{{"detail", "Invalid login attempt."}, {"o:errorCode", "INVALID_LOGIN"}}}}});
  });
  SystemProfile system;
  system.name = "erp";
  system.kind = "netsuite";
  system.base_url = server.Url();
  system.auth.method = "oauth2_m2m";
  system.auth.params = {{"client_id", "ns-client-id"}, {"certificate_id", "cert-abc"}};
  system.auth.secrets["private_key"] = Secret("file:keys/ns.pem", key.private_pem);
  crmx::http::Client client;
  std::string error;
  auto auth = crmx::auth::Make(system, client, error);
  REQUIRE(auth);
  crmx::http::Request req;
  CHECK_FALSE(auth->Authorize(req, error));
  CHECK(error.find("401") != std::string::npos);
  CHECK(error.find("INVALID_LOGIN") != std::string::npos);
  CHECK(error.find("BEGIN") == std::string::npos);
}

TEST_CASE("NetSuite TBA: the Authorization header carries every oauth_ parameter and a signature that verifies") {
  const std::string consumer_secret = "cs-0123456789abcdef";
  const std::string token_secret = "ts-fedcba9876543210";
  std::vector<std::map<std::string, std::string>> headers;
  std::string failure;
  TestServer server([&](const ServerRequest& req) {
    std::string header = req.Header("Authorization");
    if (!header.starts_with("OAuth ")) {
      failure = "not an OAuth header: " + header;
      return Json(401, {{"error", "no oauth"}});
    }
    // realm="X", oauth_consumer_key="...", ...
    std::map<std::string, std::string> params;
    std::string rest = header.substr(6);
    size_t pos = 0;
    while (pos < rest.size()) {
      size_t eq = rest.find("=\"", pos);
      size_t close = rest.find('"', eq + 2);
      if (eq == std::string::npos || close == std::string::npos) break;
      std::string name = rest.substr(pos, eq - pos);
      params[name] = Decode(rest.substr(eq + 2, close - eq - 2));
      pos = close + 1;
      while (pos < rest.size() && (rest[pos] == ',' || rest[pos] == ' ')) ++pos;
    }
    headers.push_back(params);
    std::vector<std::pair<std::string, std::string>> signed_params;
    for (const auto& [name, value] : params) {
      if (name != "realm" && name != "oauth_signature") signed_params.emplace_back(name, value);
    }
    std::string base = crmx::auth::OAuth1BaseString(req.method, server.Url(req.target), signed_params);
    if (crmx::auth::OAuth1Sign(base, consumer_secret, token_secret) != params["oauth_signature"]) {
      failure = "signature does not verify over " + base;
      return Json(401, {{"error", "bad signature"}});
    }
    return Json(200, {{"items", nlohmann::json::array()}});
  });
  SystemProfile system;
  system.name = "erp";
  system.kind = "netsuite";
  system.account_id = "1234567-sb1";
  system.base_url = server.Url();
  system.auth.method = "tba";
  system.auth.secrets["consumer_key"] = Secret("env:NS_CONSUMER_KEY", "ck-aaaa");
  system.auth.secrets["consumer_secret"] = Secret("env:NS_CONSUMER_SECRET", consumer_secret);
  system.auth.secrets["token_id"] = Secret("env:NS_TOKEN_ID", "tk-bbbb");
  system.auth.secrets["token_secret"] = Secret("file:secrets/ns_token_secret", token_secret);
  crmx::http::Client client;
  std::string error;
  auto auth = crmx::auth::Make(system, client, error);
  REQUIRE(auth);
  for (int i = 0; i < 2; ++i) {
    crmx::http::Request req;
    req.url = server.Url("/services/rest/query/v1/suiteql?limit=5&offset=0&q=a%20b");
    req.method = i == 0 ? "GET" : "POST";
    req.headers = {{"Content-Type", "application/json"}, {"Prefer", "transient"}};
    req.body = i == 0 ? "" : R"({"q":"SELECT id FROM customer"})";
    REQUIRE(auth->Authorize(req, error));
    CHECK(client.Send(req).status == 200);
  }
  CHECK(failure.empty());
  REQUIRE(headers.size() == 2);
  auto& h = headers[0];
  CHECK(h["realm"] == "1234567_SB1");
  CHECK(h["oauth_consumer_key"] == "ck-aaaa");
  CHECK(h["oauth_token"] == "tk-bbbb");
  CHECK(h["oauth_signature_method"] == "HMAC-SHA256");
  CHECK(h["oauth_version"] == "1.0");
  CHECK(h["oauth_nonce"].size() >= 6);
  CHECK(h["oauth_timestamp"].size() >= 10);
  CHECK(h["oauth_signature"].size() == 44);  // base64 of 32 bytes
  CHECK(h.size() == 8);
  CHECK(headers[0]["oauth_nonce"] != headers[1]["oauth_nonce"]);
  CHECK(auth->Logins() == 0);
}

TEST_CASE("Make: unknown methods and missing parameters are errors") {
  crmx::http::Client client;
  std::string error;
  SystemProfile system = Salesforce("http://127.0.0.1:1");
  system.auth.method = "password";
  CHECK_FALSE(crmx::auth::Make(system, client, error));
  CHECK(error.find("oauth2_client_credentials, jwt_bearer, oauth2_m2m, tba") != std::string::npos);
  system = Salesforce("http://127.0.0.1:1");
  system.auth.secrets.clear();
  CHECK_FALSE(crmx::auth::Make(system, client, error));
  CHECK(error.find("client_secret") != std::string::npos);
  system.auth.method = "oauth2_m2m";
  system.auth.params["certificate_id"] = "c";
  system.auth.secrets["private_key"] = Secret("env:K", "pem");
  system.auth.params["alg"] = "RS256";
  CHECK_FALSE(crmx::auth::Make(system, client, error));
  CHECK(error.find("PS256") != std::string::npos);
}
