#!/usr/bin/env python3
"""Salesforce accounts written to HubSpot companies through crmx-run, with 30% of the HubSpot
emulator's calls failing.

    hubspot_http.py CRMXC CRMX_RUN CRMX_EMULATE [--seeds S1,S2,...] [--runs N]

HubSpot's batch upsert needs an `idProperty` whose values are unique; companies have none by
default, so (as a HubSpot admin would) the test adds a custom unique property `crmx_account_id`
to the project's company definitions (schemas/hubspot) in a copy. The spec maps the north
star's Salesforce accounts to companies keyed by it; the connector writes them with
`batch/upsert` (10 a request here, so the faults meet many requests; 100 is HubSpot's
maximum), with a private app token.

First without faults: the companies a clean run writes, and the connector's limits figures.
Then, per seed, with `--faults 0.3 --fault-delay-ms 800` on the HubSpot emulator (timeouts,
resets before and after a write is applied, 429 TEN_SECONDLY_ROLLING, 503, slow answers),
crmx-run runs (with its state and ledger) until nothing is left to retry, at most N runs:
- every run exits 0, or 1 saying why;
- HubSpot holds exactly the clean run's companies, each with its name;
- the journal shows each company created exactly once (an upsert sent again updates);
- the private app token never appears in crmx-run's output."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

TOKEN = "crmx-test-hubspot-token"

PROFILE = """    hub:
      kind: hubspot
      base_url: {hub}
      auth:
        method: private_app
        access_token: env:CRMX_HUBSPOT_TOKEN
"""

SPEC = """/// The HubSpot end-to-end test's spec (tests/e2e/http/hubspot_http.py): the north star's
/// Salesforce accounts upserted to HubSpot companies by a custom unique property.
integration hubspot_e2e version "1.0" {{
  use std.text
  system crm: salesforce {{
    schema "{sf_schemas}/*.describe.json"
  }}
  system hub: hubspot {{
    schema "{hub_schemas}/*.properties.json"
    batch 10   // small batches: ~30 upserts, so 30% faults meet many of them
  }}

  map account_to_company: crm.Account -> hub.Company {{
    key crmx_account_id = Id
    require Name.trim() != "" else "missing Name"
    name  = Name.trim()
    city  = BillingCity ?? null
    phone = Phone ?? null
  }}

  sync account_to_company every 1h
}}
"""


def hub_schemas(work):
    """schemas/hubspot with a custom unique `crmx_account_id` on companies."""
    return harness.hubspot_schemas_with_key(work, "companies", "crmx_account_id", "crmx account id",
                                            "The Salesforce account id (a custom property with unique values)",
                                            "companyinformation")


def run_until_done(a, d, plan, schemas, faults, seed, check):
    extra = ["--faults", str(faults), "--fault-seed", str(seed), "--fault-delay-ms", "800"] if faults else []
    sf = harness.Emulator(a.crmx_emulate, "salesforce", "--data", os.path.join(harness.EXAMPLE, "data", "crm"),
                          "--schemas", os.path.join(harness.EXAMPLE, "schemas", "salesforce"))
    hub = harness.Emulator(a.crmx_emulate, "hubspot", "--schemas", schemas, *extra)
    try:
        profile = os.path.join(d, "crmx.profiles.yaml")
        with open(profile, "w") as f:
            f.write(harness.salesforce_profile(sf.url, PROFILE.format(hub=hub.url)))
        runs, report = harness.runs_until_settled(a.crmx_run, plan, profile, d, "account_to_company",
                                                  {"CRMX_HUBSPOT_TOKEN": TOKEN}, check, secrets=(TOKEN,),
                                                  max_runs=a.runs)
        stats = json.loads(hub.get("/_emulator/stats"))
        companies = hub.records("companies")
        journal = hub.journal()
        return runs, stats, companies, journal, report if runs and runs[-1]["exit"] == 0 else None
    finally:
        sf.stop()
        hub.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("crmxc")
    ap.add_argument("crmx_run")
    ap.add_argument("crmx_emulate")
    ap.add_argument("--seeds", default="5,9")
    ap.add_argument("--runs", type=int, default=6)
    a = ap.parse_args()
    check = harness.Checks()
    work = harness.workdir()
    schemas = hub_schemas(work)
    spec = os.path.join(work, "hubspot_e2e.crmx")
    with open(spec, "w") as f:
        f.write(SPEC.format(sf_schemas=os.path.join(harness.EXAMPLE, "schemas", "salesforce"), hub_schemas=schemas))
    plan = os.path.join(work, "hubspot.plan.json")
    harness.run([a.crmxc, "build", spec, "-o", plan])

    d = os.path.join(work, "clean")
    os.makedirs(d)
    runs, stats, companies, journal, report = run_until_done(a, d, plan, schemas, 0, 0, check)
    want = {c["crmx_account_id"]: c.get("name") for c in companies}
    check(len(want) > 200, f"no faults: only {len(want)} companies written")
    check(runs and runs[0].get("retrying") == 0 and runs[0].get("dead") == 0, f"no faults: {runs}")
    # check-connection reads a page and prints the connector's limits from HubSpot's headers.
    hub = harness.Emulator(a.crmx_emulate, "hubspot", "--schemas", schemas)
    sf = harness.Emulator(a.crmx_emulate, "salesforce", "--schemas", os.path.join(harness.EXAMPLE, "schemas", "salesforce"))
    try:
        profile = os.path.join(work, "check.profiles.yaml")
        with open(profile, "w") as f:
            f.write(harness.salesforce_profile(sf.url, PROFILE.format(hub=hub.url)))
        code, out, err = harness.run([a.crmx_run, "check-connection", plan, "--profiles", profile],
                                     env={"CRMX_HUBSPOT_TOKEN": TOKEN}, check=False)
        check(code == 0 and "api-usage=" in out and "daily-remaining=" in out,
              f"check-connection does not show HubSpot's limits: {code} {out} {err}")
        check(TOKEN not in out and TOKEN not in err, "check-connection prints the token")
    finally:
        hub.stop()
        sf.stop()
    print("no faults:", json.dumps({"runs": runs, "companies": len(want), "stats": stats}))

    for seed in [int(s) for s in a.seeds.split(",") if s]:
        d = os.path.join(work, f"faults-{seed}")
        os.makedirs(d)
        runs, stats, companies, journal, _ = run_until_done(a, d, plan, schemas, 0.3, seed, check)
        got, created = harness.check_exactly_once(check, f"seed {seed}", want, companies, "crmx_account_id", "name",
                                                  journal, "companies", "companies")
        check(len([r for r in runs if r["exit"] == 0]) >= 1, f"seed {seed}: no run completed: {runs}")
        check(runs and runs[-1].get("exit") == 0 and runs[-1].get("retrying") == 0,
              f"seed {seed}: still records to retry after {len(runs)} runs: {runs}")
        check(sum(stats.get("faults", {}).values()) > 0, f"seed {seed}: no faults were injected: {stats}")
        print(f"faults 30%, seed {seed}:", json.dumps({"runs": runs, "companies": len(got), "created": len(created),
                                                     "updates": sum(1 for e in journal if e["op"] == "updated"),
                                                     "stats": stats}))
    return check.done("hubspot_http", "every company written exactly once under 30% faults, nothing lost")


if __name__ == "__main__":
    sys.exit(main())
