#!/usr/bin/env python3
"""The north star over HTTP with many pages, then with 30% of the vendors' calls failing.

    faults_paging_http.py CRMXC CRMX_RUN CRMX_EMULATE [--accounts N] [--seeds S1,S2,...]

The CRM is the example's export plus N generated clean accounts (default 2,000: 2,299
accounts, two query pages of at most 2,000). Without faults every account is read, across several pages, and written once.
With `--faults 0.3` on both emulators (timeouts, resets before and after a write is applied, 429,
503, slow answers), for each seed:
- crmx-run either completes (exit 0) or fails saying why (exit 1, a read that kept failing);
- every source record read ends in exactly one outcome (written, skipped, data-quality, held,
  waiting, error, retrying, dead letter); a write that failed was sent again (the sync's retry
  policy, or the default one) and one that never succeeded is in the retrying or dead-letter
  queue with the vendor's reason (an HTTP status, a vendor code or a transport failure), never
  silently gone;
- every record reported written is in NetSuite, and no key was created twice there;
- a dead-lettered record may have been applied anyway (a reset after the write): upserts by
  external id make that harmless.
Prints the figures per seed."""
import argparse
import collections
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

TRANSPORT = ("timeout", "connection reset", "connection refused", "connection failed", "no answer")


def make_crm(work, extra):
    crm = os.path.join(work, "crm")
    shutil.copytree(os.path.join(harness.EXAMPLE, "data", "crm"), crm)
    with open(os.path.join(crm, "Account.jsonl"), "a") as f:
        for i in range(extra):
            f.write(json.dumps({
                "Id": f"001Gen{i:012d}", "IsDeleted": False, "Name": f"Generated Account {i}",
                "BillingCountry": "US", "BillingState": "CA", "Phone": None, "PaymentTerms__c": "Net 30",
                "SystemModstamp": "2024-10-01T00:00:00.000+0000"}) + "\n")
    return crm


def run_once(a, work, plan, crm, faults, seed):
    extra = ["--faults", str(faults), "--fault-seed", str(seed), "--fault-delay-ms", "800"] if faults else []
    sf = harness.Emulator(a.crmx_emulate, "salesforce", "--data", crm,
                          "--schemas", os.path.join(harness.EXAMPLE, "schemas", "salesforce"), *extra)
    ns = harness.Emulator(a.crmx_emulate, "netsuite",
                          "--schemas", os.path.join(harness.EXAMPLE, "schemas", "netsuite"), *extra)
    failures = []
    try:
        d = os.path.join(work, f"run-{faults}-{seed}")
        os.makedirs(d)
        profile = harness.write_profile(os.path.join(d, "crmx.profiles.yaml"), sf.url, ns.url)
        queues = os.path.join(d, "queues")
        code, out, err = harness.run([a.crmx_run, "run", plan, "--profiles", profile, "--state",
                                      os.path.join(d, "state.db"), "--queues", queues, "--report", "json",
                                      "--progress", "never", "--retry-wait", "20s"], check=False)
        sf_stats = json.loads(sf.get("/_emulator/stats"))
        ns_stats = json.loads(ns.get("/_emulator/stats"))
        if code == 1:
            reason = err.strip().splitlines()[-1] if err.strip() else ""
            if not reason.startswith("error:"):
                failures.append(f"exit 1 without saying why: {err!r}")
            return {"exit": 1, "reason": reason}, failures
        if code != 0:
            failures.append(f"exit {code}: {err}")
            return {"exit": code}, failures
        report = json.loads(out)["maps"]
        errors = [json.loads(l) for q in ("retrying.jsonl", "dead_letters.jsonl")
                  for l in open(os.path.join(queues, q)) if l.strip()]
        for name, m in report.items():
            total = m["written"] + sum(m[b]["count"] for b in ("skipped", "data_quality", "held", "waiting", "error",
                                                               "retrying", "dead_letter"))
            if total != m["input_lines"]:
                failures.append(f"{name}: {m['input_lines']} read, {total} outcomes")
        for e in errors:
            r = " ".join(e["reasons"])
            if r.startswith("write failed") and not any(t in r for t in ("HTTP ", "_", *TRANSPORT)):
                failures.append(f"{e['map']} {e['key']}: no vendor reason: {r}")
        journal = ns.journal()
        created = collections.Counter((e["object"], e["key"]) for e in journal if e.get("op") == "created")
        twice = [k for k, n in created.items() if n > 1]
        if twice:
            failures.append(f"created twice in NetSuite: {twice[:5]}")
        in_ns = {c.get("externalId") for c in ns.records("Customer")}
        written_err = {e["key"] for e in errors if e["map"] == "account_to_customer"}
        figures = {
            "exit": code,
            "accounts_read": report["account_to_customer"]["input_lines"],
            "customers_written": report["account_to_customer"]["written"],
            "account_read_calls": report["account_to_customer"].get("api_calls", {}).get("source"),
            "customer_write_errors": len(written_err),
            "customers_in_netsuite": len(in_ns),
            "orders_written": report["won_to_order"]["written"],
            "order_errors": report["won_to_order"]["error"]["count"],
            "re_sends": sum(m["retries"] for m in report.values()),
            "retrying": sum(m["retrying"]["count"] for m in report.values()),
            "dead_letters": sum(m["dead_letter"]["count"] for m in report.values()),
            "errors_applied_anyway": len(written_err & in_ns),
            "salesforce_faults": sf_stats.get("faults"),
            "netsuite_faults": ns_stats.get("faults"),
            "salesforce_query_calls": sf_stats,
        }
        return figures, failures
    finally:
        sf.stop()
        ns.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("crmxc")
    ap.add_argument("crmx_run")
    ap.add_argument("crmx_emulate")
    ap.add_argument("--accounts", type=int, default=2000)
    ap.add_argument("--seeds", default="11")
    a = ap.parse_args()
    work = harness.workdir()
    plan = os.path.join(work, "acme.plan.json")
    harness.run([a.crmxc, "build", os.path.join(harness.EXAMPLE, "acme.crmx"), "-o", plan])
    crm = make_crm(work, a.accounts)
    failures = []
    figures, f = run_once(a, work, plan, crm, 0, 0)
    failures += f
    want_read = 299 + a.accounts
    # 2,299 accounts at Salesforce's largest batch (2,000): a login and two pages at least.
    if (figures.get("account_read_calls") or 0) < 3:
        failures.append(f"no faults: the accounts came in {figures.get('account_read_calls')} calls, not over several pages")
    if figures.get("accounts_read") != want_read or figures.get("customers_written") != 268 + a.accounts:
        failures.append(f"no faults: read {figures.get('accounts_read')} of {want_read} accounts, "
                        f"wrote {figures.get('customers_written')} of {268 + a.accounts}")
    print("no faults:", json.dumps({k: v for k, v in figures.items() if k != "salesforce_query_calls"}))
    print("salesforce emulator:", json.dumps(figures.get("salesforce_query_calls"))[:300])
    for seed in [int(s) for s in a.seeds.split(",") if s]:
        figures, f = run_once(a, work, plan, crm, 0.3, seed)
        failures += [f"seed {seed}: {x}" for x in f]
        print(f"faults 30%, seed {seed}:", json.dumps({k: v for k, v in figures.items() if k != "salesforce_query_calls"}))
    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print("paging and faults: every record read, nothing lost, nothing created twice")
    return 0


if __name__ == "__main__":
    sys.exit(main())
