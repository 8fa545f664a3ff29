// Tests profile files (runtime/profile/profile.h): the example of docs/profiles.md, secret
// references (env:, file: relative to the profile), errors that name key paths and references
// but never values, target selection and Redact.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "runtime/profile/profile.h"

namespace {

namespace fs = std::filesystem;
using crmx::profile::Target;

// The example of docs/profiles.md.
const char* kExample = R"(# crmx.profiles.yaml
default_target: dev
targets:
  dev:
    crm:
      kind: salesforce
      base_url: http://127.0.0.1:8081
      api_version: v61.0
      auth:
        method: oauth2_client_credentials
        client_id: crmx-test-client
        client_secret: env:CRMX_SF_CLIENT_SECRET
    erp:
      kind: netsuite
      base_url: http://127.0.0.1:8082
      account_id: "1234567_SB1"
      concurrency: 5
      auth:
        method: tba
        consumer_key: env:NS_CONSUMER_KEY
        consumer_secret: env:NS_CONSUMER_SECRET
        token_id: env:NS_TOKEN_ID
        token_secret: file:secrets/ns_token_secret
    local:
      kind: files
      path: ./data
  prod:
    crm:
      kind: salesforce
      base_url: https://login.salesforce.com
      api_version: v61.0
      auth:
        method: jwt_bearer
        client_id: 3MVG9prod
        username: integration@acme.com
        private_key: file:secrets/prod_sf_key.pem
)";

// A directory with the example profile and its secret file; env vars set.
struct Fixture {
  fs::path dir;
  fs::path file;
  Fixture() {
    dir = fs::temp_directory_path() / ("crmx-profile-test-" + std::to_string(::getpid()));
    fs::create_directories(dir / "secrets");
    file = dir / "crmx.profiles.yaml";
    Write(file, kExample);
    Write(dir / "secrets" / "ns_token_secret", "token-secret-from-file\n");
    setenv("CRMX_SF_CLIENT_SECRET", "sf-secret-value-123", 1);
    setenv("NS_CONSUMER_KEY", "ns-consumer-key-456", 1);
    setenv("NS_CONSUMER_SECRET", "ns-consumer-secret-789", 1);
    setenv("NS_TOKEN_ID", "ns-token-id-abc", 1);
  }
  ~Fixture() { fs::remove_all(dir); }
  static void Write(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  // The example with `from` replaced by `to`.
  static std::string Edit(const std::string& from, const std::string& to) {
    std::string text = kExample;
    size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    return text;
  }
};

}  // namespace

TEST_CASE("the documented example loads, with env and file references resolved") {
  Fixture fx;
  Target target;
  std::string error;
  REQUIRE_MESSAGE(crmx::profile::Load(fx.file.string(), "", target, error), error);
  CHECK(target.name == "dev");
  CHECK(target.file == fx.file.string());
  REQUIRE(target.systems.size() == 3);

  const auto& crm = target.systems.at("crm");
  CHECK(crm.name == "crm");
  CHECK(crm.kind == "salesforce");
  CHECK(crm.base_url == "http://127.0.0.1:8081");
  CHECK(crm.api_version == "v61.0");
  CHECK(crm.auth.method == "oauth2_client_credentials");
  CHECK(crm.auth.Param("client_id") == "crmx-test-client");
  REQUIRE(crm.auth.FindSecret("client_secret") != nullptr);
  CHECK(crm.auth.FindSecret("client_secret")->Reveal() == "sf-secret-value-123");
  CHECK(crm.auth.FindSecret("client_secret")->Describe() == "env:CRMX_SF_CLIENT_SECRET");
  CHECK(crm.auth.Param("client_secret").empty());

  const auto& erp = target.systems.at("erp");
  CHECK(erp.kind == "netsuite");
  CHECK(erp.account_id == "1234567_SB1");
  CHECK(erp.concurrency == 5);
  CHECK(erp.auth.method == "tba");
  CHECK(erp.auth.FindSecret("consumer_key")->Reveal() == "ns-consumer-key-456");
  CHECK(erp.auth.FindSecret("token_id")->Reveal() == "ns-token-id-abc");
  // Relative to the profile's directory, trailing newline trimmed.
  CHECK(erp.auth.FindSecret("token_secret")->Reveal() == "token-secret-from-file");
  CHECK(erp.auth.FindSecret("token_secret")->Describe() == "file:secrets/ns_token_secret");

  const auto& local = target.systems.at("local");
  CHECK(local.kind == "files");
  CHECK(local.path == "./data");
}

TEST_CASE("another target is chosen by name; its secrets are read, the default's are not") {
  Fixture fx;
  Fixture::Write(fx.dir / "secrets" / "prod_sf_key.pem", "-----BEGIN PRIVATE KEY-----\nfake\n-----END PRIVATE KEY-----\n");
  // dev's environment variable is missing: prod does not need it.
  unsetenv("CRMX_SF_CLIENT_SECRET");
  Target target;
  std::string error;
  REQUIRE_MESSAGE(crmx::profile::Load(fx.file.string(), "prod", target, error), error);
  CHECK(target.name == "prod");
  const auto& crm = target.systems.at("crm");
  CHECK(crm.auth.method == "jwt_bearer");
  CHECK(crm.auth.Param("username") == "integration@acme.com");
  CHECK(crm.auth.FindSecret("private_key")->Reveal() ==
        "-----BEGIN PRIVATE KEY-----\nfake\n-----END PRIVATE KEY-----");
}

TEST_CASE("an unknown target lists the targets") {
  Fixture fx;
  Target target;
  std::string error;
  CHECK_FALSE(crmx::profile::Load(fx.file.string(), "staging", target, error));
  CHECK(error.find("`staging`") != std::string::npos);
  CHECK(error.find("dev, prod") != std::string::npos);
  CHECK(target.systems.empty());
}

TEST_CASE("without default_target: the only target, or an error listing them") {
  std::string single = R"(targets:
  only:
    local: {kind: sqlite, path: db.sqlite}
)";
  Target target;
  std::string error;
  REQUIRE_MESSAGE(crmx::profile::Parse(single, "p.yaml", "", target, error), error);
  CHECK(target.name == "only");
  CHECK(target.systems.at("local").path == "db.sqlite");

  std::string two = single + "  other:\n    local: {kind: files, path: x}\n";
  CHECK_FALSE(crmx::profile::Parse(two, "p.yaml", "", target, error));
  CHECK(error.find("default_target") != std::string::npos);
  CHECK(error.find("only, other") != std::string::npos);
}

TEST_CASE("a literal secret is refused, with its key path, and the value is not repeated") {
  Fixture fx;
  Target target;
  std::string error;
  std::string text = Fixture::Edit("client_secret: env:CRMX_SF_CLIENT_SECRET", "client_secret: hunter2-literal");
  CHECK_FALSE(crmx::profile::Parse(text, "crmx.profiles.yaml", "", target, error));
  CHECK(error.find("`targets.dev.crm.auth.client_secret` must be a reference (env:NAME or file:PATH), not a literal "
                   "secret") != std::string::npos);
  CHECK(error.find("hunter2") == std::string::npos);
  // The position is given.
  CHECK(error.starts_with("crmx.profiles.yaml:12:"));
  // Consumer key and token id are credentials too.
  text = Fixture::Edit("token_id: env:NS_TOKEN_ID", "token_id: 4a1b2c");
  CHECK_FALSE(crmx::profile::Parse(text, "crmx.profiles.yaml", "", target, error));
  CHECK(error.find("`targets.dev.erp.auth.token_id` must be a reference") != std::string::npos);
  CHECK(error.find("4a1b2c") == std::string::npos);
}

TEST_CASE("a missing environment variable names the variable, never a value") {
  Fixture fx;
  unsetenv("NS_CONSUMER_SECRET");
  Target target;
  std::string error;
  CHECK_FALSE(crmx::profile::Load(fx.file.string(), "dev", target, error));
  CHECK(error.find("`NS_CONSUMER_SECRET`") != std::string::npos);
  CHECK(error.find("targets.dev.erp.auth.consumer_secret") != std::string::npos);
  for (const char* value : {"sf-secret-value-123", "ns-consumer-key-456", "ns-token-id-abc", "token-secret-from-file"}) {
    CHECK(error.find(value) == std::string::npos);
  }
  CHECK(target.systems.empty());
}

TEST_CASE("an unreadable file reference names the reference") {
  Fixture fx;
  fs::remove(fx.dir / "secrets" / "ns_token_secret");
  Target target;
  std::string error;
  CHECK_FALSE(crmx::profile::Load(fx.file.string(), "", target, error));
  CHECK(error.find("`file:secrets/ns_token_secret`") != std::string::npos);
  CHECK(error.find("targets.dev.erp.auth.token_secret") != std::string::npos);
}

TEST_CASE("unknown keys are errors with their key path (typo protection)") {
  Fixture fx;
  Target target;
  std::string error;
  CHECK_FALSE(crmx::profile::Parse(Fixture::Edit("api_version: v61.0", "api_verison: v61.0"), "p.yaml", "", target, error));
  CHECK(error.find("`targets.dev.crm.api_verison` is not a system key") != std::string::npos);

  CHECK_FALSE(crmx::profile::Parse(Fixture::Edit("client_id: crmx-test-client", "clientid: crmx-test-client"), "p.yaml",
                                   "", target, error));
  CHECK(error.find("`targets.dev.crm.auth.clientid` is not a key of auth method oauth2_client_credentials") !=
        std::string::npos);
  // The required key it replaced is missing too.
  CHECK(error.find("needs `client_id`") != std::string::npos);

  CHECK_FALSE(crmx::profile::Parse(Fixture::Edit("default_target: dev", "default_target: dev\ntargetz: {}"), "p.yaml",
                                   "", target, error));
  CHECK(error.find("`targetz` is not a profile key") != std::string::npos);

  // A typo in a target that is not used is still reported.
  CHECK_FALSE(crmx::profile::Parse(Fixture::Edit("username: integration", "user_name: integration"), "p.yaml", "dev",
                                   target, error));
  CHECK(error.find("`targets.prod.crm.auth.user_name`") != std::string::npos);
}

TEST_CASE("an unknown kind lists the kinds; an unknown method lists the methods") {
  Fixture fx;
  Target target;
  std::string error;
  CHECK_FALSE(crmx::profile::Parse(Fixture::Edit("kind: files", "kind: ftp"), "p.yaml", "", target, error));
  // The lists grow with the vendors (part 2 added sap, xero, quickbooks, hubspot, oracle).
  CHECK(error.find("`ftp` is not a kind of system (one of: salesforce, netsuite, ") != std::string::npos);
  CHECK(error.find("files, sqlite)") != std::string::npos);
  CHECK_FALSE(crmx::profile::Parse(Fixture::Edit("method: tba", "method: ftp_login"), "p.yaml", "", target, error));
  CHECK(error.find("`ftp_login` is not an auth method (one of: oauth2_client_credentials, jwt_bearer, oauth2_m2m, tba") !=
        std::string::npos);
  // A method several kinds share (basic: sap, oracle) is listed once.
  size_t basic = error.find(", basic");
  CHECK(basic != std::string::npos);
  CHECK(error.find(", basic", basic + 1) == std::string::npos);
  CHECK_FALSE(crmx::profile::Parse(Fixture::Edit("method: tba", "method: jwt_bearer"), "p.yaml", "", target, error));
  CHECK(error.find("logs in to salesforce, not netsuite") != std::string::npos);
}

TEST_CASE("malformed values and YAML are errors with positions") {
  Target target;
  std::string error;
  CHECK_FALSE(crmx::profile::Parse("targets: [unclosed", "bad.yaml", "", target, error));
  CHECK(error.starts_with("bad.yaml:"));
  CHECK_FALSE(crmx::profile::Parse(Fixture::Edit("concurrency: 5", "concurrency: five"), "p.yaml", "", target, error));
  CHECK(error.find("`targets.dev.erp.concurrency` must be a whole number") != std::string::npos);
  CHECK_FALSE(crmx::profile::Parse("targets:\n  dev:\n    erp: {kind: netsuite}\n", "p.yaml", "", target, error));
  CHECK(error.find("needs `account_id`") != std::string::npos);
  CHECK(error.find("needs `auth`") != std::string::npos);
}

TEST_CASE("a NetSuite system without base_url gets its account's REST domain") {
  setenv("NS_CK", "k", 1);
  setenv("NS_CS", "s", 1);
  std::string text = R"(targets:
  t:
    erp:
      kind: netsuite
      account_id: 1234567_SB1
      options: {page_size: "500"}
      auth: {method: tba, consumer_key: "env:NS_CK", consumer_secret: "env:NS_CS", token_id: "env:NS_CK", token_secret: "env:NS_CS"}
)";
  Target target;
  std::string error;
  REQUIRE_MESSAGE(crmx::profile::Parse(text, "p.yaml", "t", target, error), error);
  CHECK(target.systems.at("erp").base_url == "https://1234567-sb1.suitetalk.api.netsuite.com");
  CHECK(target.systems.at("erp").options.at("page_size") == "500");
}

TEST_CASE("Redact replaces every secret value by its reference") {
  Fixture fx;
  Target target;
  std::string error;
  REQUIRE_MESSAGE(crmx::profile::Load(fx.file.string(), "", target, error), error);
  std::string text =
      "POST failed: client_secret=sf-secret-value-123&x=sf-secret-value-123; token token-secret-from-file; ok";
  CHECK(crmx::profile::Redact(target, text) ==
        "POST failed: client_secret=[secret env:CRMX_SF_CLIENT_SECRET]&x=[secret env:CRMX_SF_CLIENT_SECRET]; token "
        "[secret file:secrets/ns_token_secret]; ok");
  CHECK(crmx::profile::Redact(target, "nothing secret") == "nothing secret");
}

TEST_CASE("serve's keys: a webhook's scheme and secret (a reference, redacted), and the poll interval") {
  Fixture fx;
  setenv("CRMX_TEST_HOOK_SECRET", "hook-secret-value-789", 1);
  Target target;
  std::string error;
  const std::string hook = "      kind: salesforce\n      poll: 30s\n      webhook:\n        scheme: hubspot\n"
                           "        secret: env:CRMX_TEST_HOOK_SECRET\n        url: https://crmx.example.com/webhooks/crm\n";
  std::string text = Fixture::Edit("      kind: salesforce\n", hook);
  REQUIRE_MESSAGE(crmx::profile::Parse(text, fx.file.string(), "dev", target, error), error);
  const auto& crm = target.systems.at("crm");
  CHECK(crm.poll == "30s");
  REQUIRE(crm.webhook.has_value());
  CHECK(crm.webhook->scheme == "hubspot");
  CHECK(crm.webhook->secret.Reveal() == "hook-secret-value-789");
  CHECK(crm.webhook->url == "https://crmx.example.com/webhooks/crm");
  CHECK(crmx::profile::Redact(target, "sig key hook-secret-value-789") ==
        "sig key [secret env:CRMX_TEST_HOOK_SECRET]");
  // A literal secret, an unknown scheme, an unknown key: refused with their paths, no value echoed.
  std::string bad = Fixture::Edit("      kind: salesforce\n",
                                  "      kind: salesforce\n      webhook:\n        scheme: stripe\n"
                                  "        secret: literal-hook-secret\n        colour: blue\n");
  CHECK_FALSE(crmx::profile::Parse(bad, fx.file.string(), "dev", target, error));
  CHECK(error.find("`targets.dev.crm.webhook.scheme`: `stripe` is not a webhook scheme (one of: hubspot, quickbooks, "
                   "xero, crmx)") != std::string::npos);
  CHECK(error.find("`targets.dev.crm.webhook.secret` must be a reference") != std::string::npos);
  CHECK(error.find("`targets.dev.crm.webhook.colour` is not a webhook key") != std::string::npos);
  CHECK(error.find("literal-hook-secret") == std::string::npos);
  unsetenv("CRMX_TEST_HOOK_SECRET");
}
