// Defines `crmx-emulate`, the command that runs a local emulator of a vendor API (Salesforce
// REST, or NetSuite REST and SOAP getDeleted) for connector tests: options in, Serve
// (server.h) runs it.
#include <cstdint>
#include <iostream>
#include <string>
#include <type_traits>
#include <variant>

#include <CLI/CLI.hpp>

#include "emulators/server.h"

namespace {

using crmx::emulate::Options;

// An option of crmx-emulate after the vendor: its name, the Options member it sets (a bool one is
// a flag), its help (a vendor's own option says which vendor first) and what it checks beyond the
// member's type.
struct Setting {
  using Member = std::variant<std::string Options::*, int Options::*, int64_t Options::*, uint64_t Options::*,
                              double Options::*, bool Options::*>;
  Setting(const char* n, Member m, const char* h, CLI::Validator (*c)() = nullptr)
      : name(n), member(m), help(h), check(c) {}
  const char* name;
  Member member;
  const char* help;
  CLI::Validator (*check)();
};

const Setting kSettings[] = {
    {"--port", &Options::port, "port on 127.0.0.1 (0: a free one)"},
    {"--data", &Options::data_dir, "seed records: a directory of Object.jsonl files"},
    {"--schemas", &Options::schemas_dir, "object metadata: *.describe.json (salesforce), crmx schema JSON (netsuite)"},
    {"--faults", &Options::fault_rate, "share of API calls that fail (0..1)", [] { return CLI::Validator(CLI::Range(0.0, 1.0)); }},
    {"--fault-seed", &Options::fault_seed, "seed of the fault plan"},
    {"--fault-delay-ms", &Options::fault_delay_ms, "how long timeout and slow faults hold a call"},
    {"--api-limit", &Options::api_limit, "salesforce: API calls allowed before REQUEST_LIMIT_EXCEEDED"},
    {"--concurrency", &Options::concurrency, "netsuite: calls in flight allowed before 429"},
    {"--limit-style", &Options::limit_style,
     "netsuite: answer to too many calls: 429 (REST) or sss (400 SSS_REQUEST_LIMIT_EXCEEDED)",
     [] { return CLI::Validator(CLI::IsMember({"429", "sss"})); }},
    {"--idempotency", &Options::idempotency,
     "netsuite: a repeated X-NetSuite-Idempotency-Key gets 400 IDEMPOTENCY_ERROR (conflict, as documented) "
     "or the first answer again (replay)",
     [] { return CLI::Validator(CLI::IsMember({"conflict", "replay"})); }},
    {"--latency-ms", &Options::latency_ms, "delay added to every API call"},
    {"--page-size", &Options::page_size, "salesforce: records per query batch when the client asks none",
     [] { return CLI::Validator(CLI::Range(1, 2000)); }},
    {"--date-format", &Options::date_format, "netsuite: the account's date format SuiteQL writes dates in (M/D/YYYY)"},
    {"--deleted-page-size", &Options::deleted_page_size,
     "netsuite: records per page of SOAP getDeleted (small ones make tests page)",
     [] { return CLI::Validator(CLI::Range(1, 1000)); }},
    {"!--without-deleted-records-permission", &Options::deleted_records_permission,
     "netsuite: answer getDeleted as a role without the Deleted Records permission (INSUFFICIENT_PERMISSION)"},
    {"--client-id", &Options::client_id, "salesforce: OAuth client id (consumer key)"},
    {"--client-secret", &Options::client_secret, "salesforce: OAuth client secret"},
    {"--consumer-key", &Options::consumer_key, "netsuite: TBA consumer key (also the OAuth 2.0 client id)"},
    {"--consumer-secret", &Options::consumer_secret, "netsuite: TBA consumer secret"},
    {"--token-id", &Options::token_id, "netsuite: TBA token id"},
    {"--token-secret", &Options::token_secret, "netsuite: TBA token secret"},
    {"--burst-limit", &Options::burst_limit, "hubspot: calls per rolling window before 429 TEN_SECONDLY_ROLLING"},
    {"--burst-interval-ms", &Options::burst_interval_ms, "hubspot: the rolling window (10000 as documented)",
     [] { return CLI::Validator(CLI::Range(100, 600000)); }},
    {"--daily-limit", &Options::daily_limit, "hubspot: calls a day before 429 DAILY"},
    {"--search-per-second", &Options::search_per_second, "hubspot: search calls a second before 429 SECONDLY"},
    {"--access-token", &Options::access_token, "hubspot: the private app's access token"},
    {"--refresh-token", &Options::refresh_token, "hubspot: the OAuth refresh token the token endpoint accepts"},
    {"--rate-limit", &Options::qbo_rate_limit, "quickbooks: calls a minute per realm before 429 ThrottleExceeded (500)"},
    {"--batch-limit", &Options::qbo_batch_limit, "quickbooks: batch requests a minute per realm before 429 (40)"},
    {"--refresh-grace-ms", &Options::refresh_grace_ms,
     "quickbooks: how long a rotated-out refresh token is still accepted (0: refused at once)"},
    {"--oracle-username", &Options::oracle_username, "oracle: the basic-auth user (the JWT user assertion's sub)"},
    {"--oracle-password", &Options::oracle_password, "oracle: the basic-auth password"},
    {"--oracle-rate-limit", &Options::oracle_rate_limit, "oracle: calls a minute before 429 (0: none)"},
    {"--sap-user", &Options::sap_user, "sap: the communication user basic auth accepts"},
    {"--sap-password", &Options::sap_password, "sap: its password"},
    {"--csrf-lifetime", &Options::csrf_lifetime, "sap: modifying calls a CSRF token is good for (0: until expire-tokens)"},
    {"--minute-limit", &Options::xero_minute_limit, "xero: calls a minute per tenant before 429 minute (60)"},
    {"--day-limit", &Options::xero_day_limit, "xero: calls a day per tenant before 429 day (5000)"},
    {"--tenant-id", &Options::xero_tenant_id, "xero: the tenant id calls must carry in xero-tenant-id"},
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"crmx-emulate: a local emulator of a vendor API, for connector tests"};
  app.add_option("vendor", o.vendor, "salesforce or netsuite")->required()->check(CLI::IsMember({"salesforce", "netsuite", "hubspot", "quickbooks", "oracle", "sap", "xero"}));
  for (const Setting& setting : kSettings) {
    CLI::Option* option = std::visit(
        [&](auto member) {
          if constexpr (std::is_same_v<decltype(member), bool Options::*>) {
            return app.add_flag(setting.name, o.*member, setting.help);
          } else {
            return app.add_option(setting.name, o.*member, setting.help);
          }
        },
        setting.member);
    if (setting.check != nullptr) option->check(setting.check());
  }
  CLI11_PARSE(app, argc, argv);
  // QuickBooks allows 10 calls in flight per realm (the shared default is NetSuite's 5).
  if (o.vendor == "quickbooks" && app.count("--concurrency") == 0) o.concurrency = 10;
  auto vendor = o.vendor == "salesforce" ? crmx::emulate::MakeSalesforce(o)
                : o.vendor == "hubspot"  ? crmx::emulate::MakeHubSpot(o)
                : o.vendor == "oracle"   ? crmx::emulate::MakeOracle(o)
                : o.vendor == "quickbooks" ? crmx::emulate::MakeQuickBooks(o)
                : o.vendor == "sap"        ? crmx::emulate::MakeSap(o)
                : o.vendor == "xero"       ? crmx::emulate::MakeXero(o)
                                         : crmx::emulate::MakeNetSuite(o);
  return crmx::emulate::Serve(o, *vendor);
}
