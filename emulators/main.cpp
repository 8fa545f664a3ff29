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
  app.add_option("vendor", o.vendor, "salesforce or netsuite")->required()->check(CLI::IsMember({"salesforce", "netsuite"}));
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
  CLI11_PARSE(app, argc, argv);
  auto vendor = o.vendor == "salesforce" ? crmx::emulate::MakeSalesforce(o) : crmx::emulate::MakeNetSuite(o);
  return crmx::emulate::Serve(o, *vendor);
}
