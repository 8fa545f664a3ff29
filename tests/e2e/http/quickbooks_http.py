#!/usr/bin/env python3
"""Salesforce accounts written to QuickBooks Online through crmx-run, with 30% of the
QuickBooks emulator's calls failing.

    quickbooks_http.py CRMXC CRMX_RUN CRMX_EMULATE [--seeds S1,S2,...] [--runs N]

The spec (quickbooks/qbo_e2e.crmx) maps the north star's Salesforce accounts to QuickBooks
customers keyed by DisplayName; the QuickBooks connector looks them up, then creates or updates
them in batches with a requestid; it logs in with `oauth2_refresh_token`, whose refresh token the
emulator rotates at every refresh (the old one refused at once), kept in a file between runs.

First without faults: the set of customers a clean run writes. Then, per seed, with
`--faults 0.3 --fault-delay-ms 800` on the QuickBooks emulator (timeouts, resets before and
after a write is applied, 429, 503, slow answers), crmx-run runs (with its state and ledger)
until nothing is left to retry, at most N runs:
- every run exits 0, or 1 saying why;
- at the end, QuickBooks holds exactly the clean run's customers, each with its CompanyName;
- the journal shows each customer created exactly once (a retried batch is replayed by its
  requestid or found by its DisplayName and updated, never created twice);
- a run after the first logs in with the rotated refresh token from the file (the profile's
  original one is refused by then);
- no token or secret appears in crmx-run's output."""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "quickbooks")

# The ERP system of the profile (harness.salesforce_profile adds the Salesforce crm).
ERP = """    erp:
      kind: quickbooks
      base_url: {qbo}
      account_id: "9130357992"
      auth:
        method: oauth2_refresh_token
        client_id: crmx-test-client
        client_secret: env:CRMX_QBO_CLIENT_SECRET
        refresh_token: env:CRMX_QBO_REFRESH_TOKEN
        refresh_token_file: {token_file}
        token_url: {qbo}/oauth2/v1/tokens/bearer
"""

TOKEN = re.compile(r"\b(rt|at)-[0-9a-f]{32}\b")

ENV = {"CRMX_QBO_CLIENT_SECRET": "crmx-test-secret", "CRMX_QBO_REFRESH_TOKEN": "crmx-test-refresh-token"}


def run_until_done(a, d, plan, faults, seed, check):
    extra = ["--faults", str(faults), "--fault-seed", str(seed), "--fault-delay-ms", "800"] if faults else []
    sf = harness.Emulator(a.crmx_emulate, "salesforce", "--data", os.path.join(harness.EXAMPLE, "data", "crm"),
                          "--schemas", os.path.join(harness.EXAMPLE, "schemas", "salesforce"))
    qbo = harness.Emulator(a.crmx_emulate, "quickbooks", "--schemas", HERE, *extra)
    try:
        token_file = os.path.join(d, "qbo.refresh")
        profile = os.path.join(d, "crmx.profiles.yaml")
        with open(profile, "w") as f:
            f.write(harness.salesforce_profile(sf.url, ERP.format(qbo=qbo.url, token_file=token_file)))
        runs, _ = harness.runs_until_settled(a.crmx_run, plan, profile, d, "account_to_customer", ENV, check,
                                             secrets=("crmx-test-secret", "crmx-test-refresh-token"),
                                             secret_pattern=TOKEN, max_runs=a.runs, min_runs=2)
        stats = json.loads(qbo.get("/_emulator/stats"))
        customers = qbo.records("Customer")
        journal = qbo.journal()
        kept = open(token_file).read().strip() if os.path.exists(token_file) else ""
        return runs, stats, customers, journal, kept
    finally:
        sf.stop()
        qbo.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("crmxc")
    ap.add_argument("crmx_run")
    ap.add_argument("crmx_emulate")
    ap.add_argument("--seeds", default="7,11,23")
    ap.add_argument("--runs", type=int, default=6)
    a = ap.parse_args()
    check = harness.Checks()
    work = harness.workdir()
    plan = os.path.join(work, "qbo.plan.json")
    harness.run([a.crmxc, "build", os.path.join(HERE, "qbo_e2e.crmx"), "-o", plan])

    d = os.path.join(work, "clean")
    os.makedirs(d)
    runs, stats, customers, journal, kept = run_until_done(a, d, plan, 0, 0, check)
    want = {c["DisplayName"]: c.get("CompanyName") for c in customers}
    check(len(want) > 200, f"no faults: only {len(want)} customers written")
    check(runs and runs[0].get("retrying") == 0 and runs[0].get("dead") == 0, f"no faults: {runs}")
    check(kept.startswith("rt-"), "no faults: the rotated refresh token was not kept in the file")
    print("no faults:", json.dumps({"runs": runs, "customers": len(want), "stats": stats}))

    for seed in [int(s) for s in a.seeds.split(",") if s]:
        d = os.path.join(work, f"faults-{seed}")
        os.makedirs(d)
        runs, stats, customers, journal, kept = run_until_done(a, d, plan, 0.3, seed, check)
        got, created = harness.check_exactly_once(check, f"seed {seed}", want, customers, "DisplayName", "CompanyName",
                                                  journal, "Customer", "customers")
        check(len([r for r in runs if r["exit"] == 0]) >= 1, f"seed {seed}: no run completed: {runs}")
        check(stats.get("refreshes", 0) >= len(runs), f"seed {seed}: {stats.get('refreshes')} refreshes for {len(runs)} runs")
        check(sum(stats.get("faults", {}).values()) > 0, f"seed {seed}: no faults were injected: {stats}")
        print(f"faults 30%, seed {seed}:", json.dumps({"runs": runs, "customers": len(got), "created": len(created),
                                                     "updates": sum(1 for e in journal if e["op"] == "updated"),
                                                     "stats": stats}))
    return check.done("quickbooks_http", "every customer written exactly once under 30% faults, nothing lost")


if __name__ == "__main__":
    sys.exit(main())
