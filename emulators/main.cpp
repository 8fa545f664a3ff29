// Defines `crmx-emulate`, the command that runs a local emulator of a vendor API (Salesforce
// REST, or NetSuite REST and SOAP getDeleted) for connector tests: options in, Serve
// (server.h) runs it.
#include <iostream>

#include <CLI/CLI.hpp>

#include "emulators/server.h"

int main(int argc, char** argv) {
  using crmx::emulate::Options;
  Options o;
  CLI::App app{"crmx-emulate: a local emulator of a vendor API, for connector tests"};
  app.add_option("vendor", o.vendor, "salesforce or netsuite")->required()->check(CLI::IsMember({"salesforce", "netsuite", "hubspot", "quickbooks", "oracle", "sap", "xero"}));
  app.add_option("--port", o.port, "port on 127.0.0.1 (0: a free one)");
  app.add_option("--data", o.data_dir, "seed records: a directory of Object.jsonl files");
  app.add_option("--schemas", o.schemas_dir, "object metadata: *.describe.json (salesforce), crmx schema JSON (netsuite)");
  app.add_option("--faults", o.fault_rate, "share of API calls that fail (0..1)")->check(CLI::Range(0.0, 1.0));
  app.add_option("--fault-seed", o.fault_seed, "seed of the fault plan");
  app.add_option("--fault-delay-ms", o.fault_delay_ms, "how long timeout and slow faults hold a call");
  app.add_option("--api-limit", o.api_limit, "salesforce: API calls allowed before REQUEST_LIMIT_EXCEEDED");
  app.add_option("--concurrency", o.concurrency, "netsuite: calls in flight allowed before 429");
  app.add_option("--limit-style", o.limit_style, "netsuite: answer to too many calls: 429 (REST) or sss (400 SSS_REQUEST_LIMIT_EXCEEDED)")
      ->check(CLI::IsMember({"429", "sss"}));
  app.add_option("--idempotency", o.idempotency,
                 "netsuite: a repeated X-NetSuite-Idempotency-Key gets 400 IDEMPOTENCY_ERROR (conflict, as documented) "
                 "or the first answer again (replay)")
      ->check(CLI::IsMember({"conflict", "replay"}));
  app.add_option("--latency-ms", o.latency_ms, "delay added to every API call");
  app.add_option("--page-size", o.page_size, "salesforce: records per query batch when the client asks none")->check(CLI::Range(1, 2000));
  app.add_option("--date-format", o.date_format, "netsuite: the account's date format SuiteQL writes dates in (M/D/YYYY)");
  app.add_option("--deleted-page-size", o.deleted_page_size, "netsuite: records per page of SOAP getDeleted (small ones make tests page)")
      ->check(CLI::Range(1, 1000));
  app.add_flag("!--without-deleted-records-permission", o.deleted_records_permission,
               "netsuite: answer getDeleted as a role without the Deleted Records permission (INSUFFICIENT_PERMISSION)");
  app.add_option("--client-id", o.client_id, "salesforce: OAuth client id (consumer key)");
  app.add_option("--client-secret", o.client_secret, "salesforce: OAuth client secret");
  app.add_option("--consumer-key", o.consumer_key, "netsuite: TBA consumer key (also the OAuth 2.0 client id)");
  app.add_option("--consumer-secret", o.consumer_secret, "netsuite: TBA consumer secret");
  app.add_option("--token-id", o.token_id, "netsuite: TBA token id");
  app.add_option("--token-secret", o.token_secret, "netsuite: TBA token secret");
  app.add_option("--burst-limit", o.burst_limit, "hubspot: calls per rolling window before 429 TEN_SECONDLY_ROLLING");
  app.add_option("--burst-interval-ms", o.burst_interval_ms, "hubspot: the rolling window (10000 as documented)")
      ->check(CLI::Range(100, 600000));
  app.add_option("--daily-limit", o.daily_limit, "hubspot: calls a day before 429 DAILY");
  app.add_option("--search-per-second", o.search_per_second, "hubspot: search calls a second before 429 SECONDLY");
  app.add_option("--access-token", o.access_token, "hubspot: the private app's access token");
  app.add_option("--refresh-token", o.refresh_token, "hubspot: the OAuth refresh token the token endpoint accepts");
  app.add_option("--rate-limit", o.qbo_rate_limit, "quickbooks: calls a minute per realm before 429 ThrottleExceeded (500)");
  app.add_option("--batch-limit", o.qbo_batch_limit, "quickbooks: batch requests a minute per realm before 429 (40)");
  app.add_option("--refresh-grace-ms", o.refresh_grace_ms,
                 "quickbooks: how long a rotated-out refresh token is still accepted (0: refused at once)");
  app.add_option("--oracle-username", o.oracle_username, "oracle: the basic-auth user (the JWT user assertion's sub)");
  app.add_option("--oracle-password", o.oracle_password, "oracle: the basic-auth password");
  app.add_option("--oracle-rate-limit", o.oracle_rate_limit, "oracle: calls a minute before 429 (0: none)");
  app.add_option("--sap-user", o.sap_user, "sap: the communication user basic auth accepts");
  app.add_option("--sap-password", o.sap_password, "sap: its password");
  app.add_option("--csrf-lifetime", o.csrf_lifetime, "sap: modifying calls a CSRF token is good for (0: until expire-tokens)");
  app.add_option("--minute-limit", o.xero_minute_limit, "xero: calls a minute per tenant before 429 minute (60)");
  app.add_option("--day-limit", o.xero_day_limit, "xero: calls a day per tenant before 429 day (5000)");
  app.add_option("--tenant-id", o.xero_tenant_id, "xero: the tenant id calls must carry in xero-tenant-id");
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
