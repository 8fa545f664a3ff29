// Tests the profile's `notify:` and `alerts:` sections (runtime/profile/profile.h, docs/profiles.md,
// "Notifications" and "Alerts"): top level and per target, secrets as references (a webhook URL
// and the SMTP password), the refusals, and Redact of those secrets.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "runtime/profile/profile.h"

namespace {

using crmx::profile::Target;

const char* kProfile = R"(default_target: dev
notify:
  smtp:
    url: smtp://127.0.0.1:2525
    from: crmx@acme.example
  channels:
    finance-ops:
      webhook: env:CRMX_TEST_FINANCE_WEBHOOK
      email: [finance-ops@acme.example, controller@acme.example]
    audit:
      log: on
  renotify: 12h
alerts:
  every: 30s
  notify: finance-ops
  failure_rate: {over: 10%}
  data_quality_backlog: off
  delivery_overdue: {after: 20m, notify: [audit]}
targets:
  dev:
    local:
      kind: files
      path: ./data
  prod:
    local:
      kind: files
      path: /srv/data
    notify:
      smtp:
        url: smtp://mail.acme.example:587
        from: crmx@acme.example
        starttls: on
        username: crmx
        password: env:CRMX_TEST_SMTP_PASSWORD
      channels:
        finance-ops:
          email: finance-ops@acme.example
      owners: log
)";

bool Parse(const std::string& yaml, const std::string& target, Target& out, std::string& error) {
  return crmx::profile::Parse(yaml, "crmx.profiles.yaml", target, out, error);
}

}  // namespace

TEST_CASE("notify and alerts at the top apply to a target without its own") {
  setenv("CRMX_TEST_FINANCE_WEBHOOK", "https://hooks.slack.example/services/T1/B2/s3cr3t", 1);
  Target t;
  std::string error;
  REQUIRE_MESSAGE(Parse(kProfile, "dev", t, error), error);
  REQUIRE(t.notify.smtp);
  CHECK(t.notify.smtp->url == "smtp://127.0.0.1:2525");
  CHECK(t.notify.smtp->from == "crmx@acme.example");
  CHECK_FALSE(t.notify.smtp->starttls);
  REQUIRE(t.notify.channels.count("finance-ops"));
  const auto& fo = t.notify.channels.at("finance-ops");
  REQUIRE(fo.webhook);
  CHECK(fo.webhook->Reveal() == "https://hooks.slack.example/services/T1/B2/s3cr3t");
  CHECK(fo.webhook->Describe() == "env:CRMX_TEST_FINANCE_WEBHOOK");
  CHECK(fo.email == std::vector<std::string>{"finance-ops@acme.example", "controller@acme.example"});
  CHECK(t.notify.channels.at("audit").log);
  CHECK(t.notify.owners == "email");
  CHECK(t.notify.renotify_ms == 12 * 3600 * 1000);
  CHECK(t.alerts.every_ms == 30000);
  CHECK(t.alerts.notify == std::vector<std::string>{"finance-ops"});
  CHECK(t.alerts.failure_rate.on);
  CHECK(t.alerts.failure_rate.over == 10.0);
  CHECK_FALSE(t.alerts.data_quality_backlog.on);
  CHECK(t.alerts.delivery_overdue.after_ms == 20 * 60 * 1000);
  CHECK(t.alerts.delivery_overdue.notify == std::vector<std::string>{"audit"});
  CHECK(t.alerts.dead_letters.on);
  CHECK(t.systems.count("local") == 1);
  CHECK(t.systems.count("notify") == 0);
  // The webhook URL is a secret: Redact hides it.
  CHECK(crmx::profile::Redact(t, "POST https://hooks.slack.example/services/T1/B2/s3cr3t failed") ==
        "POST [secret env:CRMX_TEST_FINANCE_WEBHOOK] failed");
}

TEST_CASE("a target's own notify replaces the top level's; its password is a reference, resolved for it only") {
  unsetenv("CRMX_TEST_FINANCE_WEBHOOK");
  setenv("CRMX_TEST_SMTP_PASSWORD", "hunter22", 1);
  Target t;
  std::string error;
  // dev's top-level webhook reference is not read for prod.
  REQUIRE_MESSAGE(Parse(kProfile, "prod", t, error), error);
  REQUIRE(t.notify.smtp);
  CHECK(t.notify.smtp->starttls);
  CHECK(t.notify.smtp->username == "crmx");
  CHECK(t.notify.smtp->password.Reveal() == "hunter22");
  CHECK(t.notify.owners == "log");
  CHECK(t.notify.channels.size() == 1);
  CHECK(t.alerts.every_ms == 30000);  // the top level's alerts
  CHECK(crmx::profile::Redact(t, "535 hunter22 refused") == "535 [secret env:CRMX_TEST_SMTP_PASSWORD] refused");
  // dev needs the webhook's variable.
  CHECK_FALSE(Parse(kProfile, "dev", t, error));
  CHECK(error.find("`notify.channels.finance-ops.webhook`: environment variable `CRMX_TEST_FINANCE_WEBHOOK`") !=
        std::string::npos);
}

TEST_CASE("notify and alerts refusals name their key path") {
  auto refused = [](const std::string& section) {
    Target t;
    std::string error;
    std::string yaml = section + "targets:\n  dev:\n    local:\n      kind: files\n      path: d\n";
    CHECK_FALSE(Parse(yaml, "dev", t, error));
    return error;
  };
  CHECK(refused("notify:\n  channels:\n    ops:\n      webhook: https://hooks.slack.example/x\n")
            .find("`notify.channels.ops.webhook` must be a reference (env:NAME or file:PATH): a webhook URL is a secret") !=
        std::string::npos);
  CHECK(refused("notify:\n  smtp:\n    url: smtp://mail.acme.example:587\n    from: a@b.example\n    password: hunter2\n")
            .find("`notify.smtp.password` must be a reference") != std::string::npos);
  setenv("CRMX_TEST_SMTP_PASSWORD", "hunter22", 1);
  CHECK(refused("notify:\n  smtp:\n    url: smtp://mail.acme.example:587\n    from: a@b.example\n"
                "    password: env:CRMX_TEST_SMTP_PASSWORD\n")
            .find("a password would be sent in clear: set `starttls: on`, or use smtps://") != std::string::npos);
  CHECK(refused("notify:\n  smtp:\n    url: http://mail.acme.example\n    from: a@b.example\n")
            .find("`notify.smtp.url` must be smtp://HOST:PORT or smtps://HOST:PORT") != std::string::npos);
  CHECK(refused("notify:\n  channels:\n    ops:\n      email: ops@acme.example\n")
            .find("`notify.channels.ops` sends email, but `notify` has no `smtp` section") != std::string::npos);
  CHECK(refused("notify:\n  channels:\n    ops: {}\n").find("`notify.channels.ops` goes nowhere") != std::string::npos);
  CHECK(refused("alerts:\n  failure_rate: {over: lots}\n").find("`alerts.failure_rate.over` must be a number >= 0") !=
        std::string::npos);
  CHECK(refused("alerts:\n  every: soon\n").find("`alerts.every` must be a duration (90s, 15m, 24h), not `soon`") !=
        std::string::npos);
  CHECK(refused("alerts:\n  dead_letter: on\n").find("`alerts.dead_letter` is not an alerts key") != std::string::npos);
  CHECK(refused("alerts:\n  dead_letters: {after: 5m}\n").find("`alerts.dead_letters.after` is not a key of dead_letters") !=
        std::string::npos);
  CHECK(refused("notifications: {}\n").find("`notifications` is not a profile key (expected: default_target, targets, notify, alerts, console)") !=
        std::string::npos);
}

TEST_CASE("without notify and alerts: everything goes to the log, every built-in alert is on") {
  Target t;
  std::string error;
  REQUIRE_MESSAGE(Parse("targets:\n  dev:\n    local:\n      kind: files\n      path: d\n", "", t, error), error);
  CHECK_FALSE(t.notify.smtp);
  CHECK(t.notify.channels.empty());
  CHECK(t.notify.renotify_ms == 24 * 3600 * 1000);
  CHECK(t.alerts.every_ms == 60000);
  CHECK(t.alerts.failure_rate.over == 5.0);
  CHECK(t.alerts.data_quality_backlog.over == 50.0);
  CHECK(t.alerts.delivery_overdue.after_ms == 15 * 60 * 1000);
  CHECK(t.alerts.budget.on);
  CHECK(t.alerts.dead_letters.on);
}
