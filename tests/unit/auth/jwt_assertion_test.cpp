// Tests the `oauth2_jwt_assertion` login (runtime/auth/jwt_assertion.cpp, Oracle IDCS / identity
// domains) against a local token server: the JWT user assertion grant with a JWT client assertion,
// both RS256 and verified with the public key, their claims and `kid`, the scope, the token kept
// until Invalidate, and a refused login whose message names the IDCS error but no key or assertion.
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

std::string Decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> Form(const std::string& body) {
  std::map<std::string, std::string> out;
  for (size_t start = 0; start <= body.size();) {
    size_t amp = body.find('&', start);
    std::string part = body.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    size_t eq = part.find('=');
    if (!part.empty()) out[Decode(part.substr(0, eq))] = eq == std::string::npos ? "" : Decode(part.substr(eq + 1));
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return out;
}

ServerReply Reply(int status, const nlohmann::json& body) {
  ServerReply r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = body.dump();
  return r;
}

SystemProfile Fusion(const std::string& token_url, const std::string& private_pem) {
  SystemProfile s;
  s.name = "erp";
  s.kind = "oracle";
  s.base_url = "https://fa-example.oraclecloud.com";
  s.auth.method = "oauth2_jwt_assertion";
  s.auth.params = {{"client_id", "crmx-client"}, {"username", "integration.user"}, {"certificate_alias", "crmx-cert"},
                   {"token_url", token_url}, {"scope", "urn:opc:resource:fa:instanceid=123urn:opc:resource:consumer::all"}};
  s.auth.secrets["private_key"] = Secret("file:keys/oracle.pem", private_pem);
  return s;
}

}  // namespace

TEST_CASE("Oracle JWT assertion: a user assertion and a client assertion, both RS256 with kid, and the scope") {
  auto key = crmx::testing::MakeRsaKey();
  std::string failure;
  int logins = 0;
  TestServer server([&](const ServerRequest& req) {
    ++logins;
    auto form = Form(req.body);
    if (form["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer" ||
        form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" ||
        form["scope"] != "urn:opc:resource:fa:instanceid=123urn:opc:resource:consumer::all" ||
        form["client_id"] != "crmx-client") {
      failure = "form: " + req.body;
      return Reply(400, {{"error", "invalid_request"}});
    }
    for (const char* name : {"assertion", "client_assertion"}) {
      std::string jwt = form[name];
      auto parts = crmx::testing::SplitJwt(jwt);
      if (parts.size() != 3 || !crmx::testing::VerifyJwt(jwt, "RS256", key.public_pem)) {
        failure = std::string(name) + ": bad signature";
        return Reply(400, {{"error", "invalid_grant"}});
      }
      auto header = nlohmann::json::parse(crmx::testing::Base64UrlDecode(parts[0]));
      auto claims = nlohmann::json::parse(crmx::testing::Base64UrlDecode(parts[1]));
      std::string sub = std::string(name) == "assertion" ? "integration.user" : "crmx-client";
      if (header["alg"] != "RS256" || header["kid"] != "crmx-cert" || claims["sub"] != sub ||
          claims["iss"] != "crmx-client" || claims["aud"] != "https://identity.oraclecloud.com/" ||
          !claims.contains("iat") || !claims.contains("exp") || !claims.contains("jti")) {
        failure = std::string(name) + ": " + header.dump() + claims.dump();
        return Reply(400, {{"error", "invalid_grant"}});
      }
    }
    return Reply(200, {{"access_token", "idcs-token"}, {"token_type", "Bearer"}, {"expires_in", 3600}});
  });
  SystemProfile system = Fusion(server.Url() + "/oauth2/v1/token", key.private_pem);
  crmx::http::Client client;
  std::string error;
  auto auth = crmx::auth::Make(system, client, error);
  REQUIRE_MESSAGE(auth, error);
  crmx::http::Request req;
  REQUIRE_MESSAGE(auth->Authorize(req, error), error);
  CHECK(failure.empty());
  bool bearer = false;
  for (const auto& [k, v] : req.headers) bearer = bearer || (k == "Authorization" && v == "Bearer idcs-token");
  CHECK(bearer);
  crmx::http::Request again;
  CHECK(auth->Authorize(again, error));
  CHECK(logins == 1);  // kept
  auth->Invalidate();
  CHECK(auth->Authorize(again, error));
  CHECK(logins == 2);
  CHECK(auth->Logins() == 2);
}

TEST_CASE("Oracle JWT assertion: a refused login names the IDCS error, never the key or an assertion") {
  auto key = crmx::testing::MakeRsaKey();
  std::string echoed;
  TestServer server([&](const ServerRequest& req) {
    echoed = Form(req.body)["assertion"];
    return Reply(401, {{"error", "invalid_client"}, {"error_description", "bad assertion " + echoed}});
  });
  crmx::http::Client client;
  std::string error;
  auto auth = crmx::auth::Make(Fusion(server.Url() + "/oauth2/v1/token", key.private_pem), client, error);
  REQUIRE(auth);
  crmx::http::Request req;
  CHECK(!auth->Authorize(req, error));
  CHECK(error.find("login refused") != std::string::npos);
  CHECK(error.find("HTTP 401 invalid_client") != std::string::npos);
  REQUIRE(!echoed.empty());
  CHECK(error.find(echoed) == std::string::npos);
  CHECK(error.find("PRIVATE KEY") == std::string::npos);
}

TEST_CASE("Oracle JWT assertion: the token URL, user and key are required") {
  crmx::http::Client client;
  std::string error;
  SystemProfile s = Fusion("", "pem");
  s.auth.params.erase("token_url");
  CHECK(!crmx::auth::Make(s, client, error));
  CHECK(error == "erp: auth method oauth2_jwt_assertion needs `token_url`");
  s = Fusion("https://idcs.example.com/oauth2/v1/token", "pem");
  s.auth.params.erase("username");
  CHECK(!crmx::auth::Make(s, client, error));
  CHECK(error.find("needs `username`") != std::string::npos);
}
