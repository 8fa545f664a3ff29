// Tests the QuickBooks Online profile section (runtime/profile): kind `quickbooks` with auth
// method `oauth2_refresh_token`, its required keys (the realm id, the rotated-token file) and
// the refresh token as a secret reference.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "runtime/profile/profile.h"

using crmx::profile::Parse;
using crmx::profile::Target;

namespace {

std::string Yaml(const std::string& system) {
  return "default_target: t\ntargets:\n  t:\n    erp:\n" + system;
}

const char* kAuth =
    "      auth:\n"
    "        method: oauth2_refresh_token\n"
    "        client_id: app-1\n"
    "        client_secret: env:CRMX_QBO_TEST_SECRET\n"
    "        refresh_token: env:CRMX_QBO_TEST_REFRESH\n";

}  // namespace

TEST_CASE("quickbooks: oauth2_refresh_token loads; base_url defaults to Intuit's; the realm id is kept") {
  setenv("CRMX_QBO_TEST_SECRET", "s3cret-value", 1);
  setenv("CRMX_QBO_TEST_REFRESH", "rt-first-value", 1);
  Target t;
  std::string error;
  bool ok = Parse(Yaml("      kind: quickbooks\n      account_id: \"9130\"\n" + std::string(kAuth) +
                       "        refresh_token_file: /tmp/qbo.refresh\n"),
                  "p.yaml", "", t, error);
  REQUIRE_MESSAGE(ok, error);
  const auto& s = t.systems.at("erp");
  CHECK(s.kind == "quickbooks");
  CHECK(s.base_url == "https://quickbooks.api.intuit.com");
  CHECK(s.account_id == "9130");
  CHECK(s.auth.method == "oauth2_refresh_token");
  CHECK(s.auth.Param("refresh_token_file") == "/tmp/qbo.refresh");
  REQUIRE(s.auth.FindSecret("refresh_token") != nullptr);
  CHECK(s.auth.FindSecret("refresh_token")->Reveal() == "rt-first-value");
}

TEST_CASE("quickbooks: the rotated-token file and the realm id are required; a literal refresh token is refused") {
  setenv("CRMX_QBO_TEST_SECRET", "s3cret-value", 1);
  setenv("CRMX_QBO_TEST_REFRESH", "rt-first-value", 1);
  Target t;
  std::string error;
  CHECK_FALSE(Parse(Yaml("      kind: quickbooks\n      account_id: \"9130\"\n" + std::string(kAuth)), "p.yaml", "", t, error));
  CHECK(error.find("refresh_token_file") != std::string::npos);
  error.clear();
  CHECK_FALSE(Parse(Yaml("      kind: quickbooks\n" + std::string(kAuth) + "        refresh_token_file: /tmp/x\n"), "p.yaml", "",
                    t, error));
  CHECK(error.find("account_id") != std::string::npos);
  error.clear();
  std::string literal = "      kind: quickbooks\n      account_id: \"9130\"\n      auth:\n        method: oauth2_refresh_token\n"
                        "        client_id: app-1\n        client_secret: env:CRMX_QBO_TEST_SECRET\n"
                        "        refresh_token: rt-literal-value\n        refresh_token_file: /tmp/x\n";
  CHECK_FALSE(Parse(Yaml(literal), "p.yaml", "", t, error));
  CHECK(error.find("must be a reference") != std::string::npos);
  CHECK(error.find("rt-literal-value") == std::string::npos);
}
