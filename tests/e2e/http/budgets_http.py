#!/usr/bin/env python3
"""Budgets over HTTP (docs/operations.md, "Budgets"): the spec's `budget concurrency K` bounds the
NetSuite requests in flight, and `budget api_calls N per 24h warn at P%` counts Salesforce calls
in the state and records the warn event.

    budgets_http.py CRMXC CRMX_RUN CRMX_EMULATE

The north star against the emulators, NetSuite allowing 2 calls in flight (`--concurrency 2`,
50 ms per call so that calls overlap) while the profile asks for 5 lanes:
- with the example's `budget concurrency 5`, NetSuite refuses calls for concurrency (the lanes
  exceed what it allows; those are retried, so the run still completes): the check can fail;
- with `budget concurrency 2`, no call is refused for concurrency;
- `budget api_calls 400 per 24h warn at 1%`: the Salesforce calls of the run are in the state's
  usage table (at least the query and update requests the emulator counted) and one budget_warn
  event is recorded."""
import json
import os
import shutil
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402


def run_with(a, work, name, concurrency, calls_budget=None):
    d = os.path.join(work, name)
    shutil.copytree(harness.EXAMPLE, d)
    spec = os.path.join(d, "acme.crmx")
    text = open(spec).read()
    text = text.replace("budget concurrency 5", f"budget concurrency {concurrency}")
    if calls_budget:
        text = text.replace("budget api_calls 100000 per 24h warn at 80%", calls_budget)
    open(spec, "w").write(text)
    plan = os.path.join(d, "plan.json")
    harness.run([a[0], "build", spec, "-o", plan])
    sf = harness.Emulator(a[2], "salesforce", "--data", os.path.join(harness.EXAMPLE, "data", "crm"),
                          "--schemas", os.path.join(harness.EXAMPLE, "schemas", "salesforce"))
    ns = harness.Emulator(a[2], "netsuite", "--schemas", os.path.join(harness.EXAMPLE, "schemas", "netsuite"),
                          "--concurrency", "2", "--latency-ms", "50")
    try:
        profile = harness.write_profile(os.path.join(d, "p.yaml"), sf.url, ns.url)
        state = os.path.join(d, "state.db")
        _, out, _ = harness.run([a[1], "run", plan, "--profiles", profile, "--state", state, "--report", "json",
                                 "--progress", "never", "--retry-wait", "60s"])
        return json.loads(out), json.loads(sf.get("/_emulator/stats")), json.loads(ns.get("/_emulator/stats")), state
    finally:
        sf.stop()
        ns.stop()


def main():
    a = sys.argv[1:4]
    work = harness.workdir()
    failures = []
    report, _, ns5, _ = run_with(a, work, "five", 5)
    refused5 = ns5.get("faults", {}).get("concurrency", 0)
    if refused5 == 0:
        failures.append("budget concurrency 5 against a NetSuite allowing 2: no call refused (the check cannot fail)")
    report, sf2, ns2, state = run_with(a, work, "two", 2, "budget api_calls 400 per 24h warn at 1%")
    refused2 = ns2.get("faults", {}).get("concurrency", 0)
    if refused2 != 0:
        failures.append(f"budget concurrency 2: {refused2} calls refused for concurrency")
    written = report["maps"]["account_to_customer"]["written"]
    if written != 268:
        failures.append(f"budget concurrency 2: {written} customers written, not 268")
    db = sqlite3.connect(state)
    usage = db.execute("SELECT amount FROM usage WHERE system = 'crm' AND metric = 'api_calls'").fetchall()
    sf_requests = sum(v for k, v in sf2.get("requests", {}).items() if k != "token")
    if len(usage) != 1 or usage[0][0] < sf_requests:
        failures.append(f"crm usage {usage} against {sf_requests} Salesforce API requests")
    warns = db.execute("SELECT target, message FROM events WHERE kind = 'budget_warn'").fetchall()
    if len(warns) != 1 or warns[0][0] != "crm":
        failures.append(f"budget_warn events: {warns}")
    if "crm" not in report.get("budgets", {}):
        failures.append(f"no crm budget in the report: {report.get('budgets')}")
    print(json.dumps({"concurrency_refusals_with_5": refused5, "with_2": refused2, "crm_usage": usage,
                      "salesforce_requests": sf_requests, "warn": warns, "budgets": report.get("budgets")}))
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
