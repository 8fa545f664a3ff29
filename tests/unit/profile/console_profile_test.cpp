// Tests the profile's `console:` section (runtime/profile/profile.h, docs/profiles.md, "Console"):
// logins with their roles and tokens (references, at least 16 characters), session and
// secure_cookie, top level and per target, the refusals naming their key path, and Redact of
// the tokens.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "runtime/profile/profile.h"

namespace {

using crmx::profile::Target;

std::string Refused(const std::string& section) {
  Target t;
  std::string error;
  std::string yaml = section + "targets:\n  dev:\n    local:\n      kind: files\n      path: d\n";
  CHECK_FALSE(crmx::profile::Parse(yaml, "p.yaml", "dev", t, error));
  return error;
}

}  // namespace

TEST_CASE("console logins, session and secure_cookie; a target's own section wins") {
  setenv("CRMX_TEST_CONSOLE_OP", "op-token-0123456789abcdef", 1);
  setenv("CRMX_TEST_CONSOLE_RO", "ro-token-0123456789abcdef", 1);
  const char* yaml = R"(console:
  logins:
    ann: {role: operator, token: env:CRMX_TEST_CONSOLE_OP}
    audit: {role: read_only, token: env:CRMX_TEST_CONSOLE_RO}
  session: 30m
  secure_cookie: on
targets:
  dev:
    local: {kind: files, path: d}
  prod:
    local: {kind: files, path: d}
    console:
      logins:
        audit: {role: read_only, token: env:CRMX_TEST_CONSOLE_RO}
)";
  Target t;
  std::string error;
  REQUIRE_MESSAGE(crmx::profile::Parse(yaml, "p.yaml", "dev", t, error), error);
  REQUIRE(t.console.logins.size() == 2);
  CHECK(t.console.logins[0].name == "ann");
  CHECK(t.console.logins[0].role == "operator");
  CHECK(t.console.logins[0].token.Reveal() == "op-token-0123456789abcdef");
  CHECK(t.console.logins[0].token.Describe() == "env:CRMX_TEST_CONSOLE_OP");
  CHECK(t.console.logins[1].role == "read_only");
  CHECK(t.console.session_ms == 30 * 60 * 1000);
  CHECK(t.console.secure_cookie == "on");
  CHECK(crmx::profile::Redact(t, "token op-token-0123456789abcdef") == "token [secret env:CRMX_TEST_CONSOLE_OP]");
  REQUIRE_MESSAGE(crmx::profile::Parse(yaml, "p.yaml", "prod", t, error), error);
  REQUIRE(t.console.logins.size() == 1);
  CHECK(t.console.logins[0].name == "audit");
  CHECK(t.console.session_ms == 8 * 3600 * 1000);  // the default: the target's section replaces the top one
  CHECK(t.console.secure_cookie == "auto");
  // No section: no login, the console off.
  REQUIRE(crmx::profile::Parse("targets:\n  dev:\n    local: {kind: files, path: d}\n", "p.yaml", "dev", t, error));
  CHECK(t.console.logins.empty());
}

TEST_CASE("console refusals name their key path") {
  setenv("CRMX_TEST_CONSOLE_SHORT", "short", 1);
  CHECK(Refused("console:\n  logins:\n    ann: {role: operator, token: op-token-0123456789abcdef}\n")
            .find("`console.logins.ann.token` must be a reference (env:NAME or file:PATH), not a literal secret") !=
        std::string::npos);
  std::string e = Refused("console:\n  logins:\n    ann: {role: operator, token: env:CRMX_TEST_CONSOLE_SHORT}\n");
  CHECK(e.find("`console.logins.ann.token`: env:CRMX_TEST_CONSOLE_SHORT holds fewer than 16 characters") != std::string::npos);
  CHECK(e.find("short") == std::string::npos);  // the value itself never appears
  CHECK(Refused("console:\n  logins:\n    ann: {role: admin, token: env:CRMX_TEST_CONSOLE_OP}\n")
            .find("`console.logins.ann.role` must be operator or read_only, not `admin`") != std::string::npos);
  CHECK(Refused("console:\n  logins:\n    ann: {token: env:CRMX_TEST_CONSOLE_OP}\n")
            .find("`console.logins.ann` needs `role`") != std::string::npos);
  CHECK(Refused("console:\n  logins:\n    ann: {role: operator}\n").find("`console.logins.ann` needs `token`") !=
        std::string::npos);
  CHECK(Refused("console:\n  session: 0s\n").find("`console.session` must be a duration above 0") != std::string::npos);
  CHECK(Refused("console:\n  secure_cookie: maybe\n").find("`console.secure_cookie` must be auto, on or off") !=
        std::string::npos);
  CHECK(Refused("console:\n  users: {}\n")
            .find("`console.users` is not a console key (expected: logins, session, secure_cookie)") != std::string::npos);
  CHECK(Refused("console:\n  logins:\n    ann: {role: operator, token: env:CRMX_TEST_CONSOLE_OP, password: x}\n")
            .find("`console.logins.ann.password` is not a login key (expected: role, token)") != std::string::npos);
}
