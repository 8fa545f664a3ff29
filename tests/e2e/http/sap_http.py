#!/usr/bin/env python3
"""Salesforce closed-won opportunities written to SAP S/4HANA Cloud sales orders with their
items (OData V2 $batch, deep insert of `to_Item`) through crmx-run, with 30% of the SAP
emulator's calls failing.

    sap_http.py CRMXC CRMX_RUN CRMX_EMULATE [--seeds S1,S2,...] [--runs N]

The spec (sap/sap_e2e.crmx) keys the orders by ExternalDocumentID (SAP numbers the orders
itself); the connector looks each batch up in one $batch of GETs, then creates (POST with the
items) or updates (PATCH with If-Match) them in a second $batch, one changeset per order. It
logs in with `basic` auth; the emulator's CSRF tokens last one modifying call
(`--csrf-lifetime 1`), so the connector must fetch them again on `403 X-CSRF-Token: Required`.

First without faults: the orders (and items per order) a clean run writes. Then, per seed, with
`--faults 0.3 --fault-delay-ms 800` on the SAP emulator (timeouts, resets before and after a
write is applied, 429, 503, slow answers), crmx-run runs (with its state and ledger) until
nothing is left to retry, at most N runs:
- every run exits 0, or 1 saying why;
- at the end SAP holds exactly the clean run's orders, each once, with the same items;
- the journal shows each order created exactly once (a changeset whose answer was lost is
  found by its ExternalDocumentID at the retry and updated, never created twice), and its
  items created exactly once;
- the password never appears in crmx-run's output."""
import argparse
import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sap")

# The ERP system of the profile (harness.salesforce_profile adds the Salesforce crm).
ERP = """    erp:
      kind: sap
      base_url: {sap}
      auth:
        method: basic
        username: CRMX_COMM_USER
        password: env:CRMX_SAP_PASSWORD
"""

PASSWORD = "crmx-test-password"
ENV = {"CRMX_SAP_PASSWORD": PASSWORD}


def run_until_done(a, d, plan, faults, seed, check):
    extra = ["--faults", str(faults), "--fault-seed", str(seed), "--fault-delay-ms", "800"] if faults else []
    sf = harness.Emulator(a.crmx_emulate, "salesforce", "--data", os.path.join(harness.EXAMPLE, "data", "crm"),
                          "--schemas", os.path.join(harness.EXAMPLE, "schemas", "salesforce"))
    sap = harness.Emulator(a.crmx_emulate, "sap", "--schemas", HERE, "--csrf-lifetime", "1", *extra)
    try:
        profile = os.path.join(d, "crmx.profiles.yaml")
        with open(profile, "w") as f:
            f.write(harness.salesforce_profile(sf.url, ERP.format(sap=sap.url)))
        runs, _ = harness.runs_until_settled(a.crmx_run, plan, profile, d, "won_to_order", ENV, check,
                                             secrets=(PASSWORD,), max_runs=a.runs, min_runs=2 if faults else 1)
        stats = json.loads(sap.get("/_emulator/stats"))
        orders = sap.records("A_SalesOrder")
        items = sap.records("A_SalesOrderItem")
        journal = sap.journal()
        return runs, stats, orders, items, journal
    finally:
        sf.stop()
        sap.stop()


def shape(orders, items):
    """ExternalDocumentID -> sorted (Material, RequestedQuantity) of its items."""
    by_number = {o["SalesOrder"]: o["ExternalDocumentID"] for o in orders}
    out = {o["ExternalDocumentID"]: [] for o in orders}
    for i in items:
        out[by_number[i["SalesOrder"]]].append((i.get("Material"), str(i.get("RequestedQuantity"))))
    return {k: sorted(v) for k, v in out.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("crmxc")
    ap.add_argument("crmx_run")
    ap.add_argument("crmx_emulate")
    ap.add_argument("--seeds", default="7")
    ap.add_argument("--runs", type=int, default=6)
    a = ap.parse_args()
    check = harness.Checks()
    work = harness.workdir()
    plan = os.path.join(work, "sap.plan.json")
    harness.run([a.crmxc, "build", os.path.join(HERE, "sap_e2e.crmx"), "-o", plan])

    d = os.path.join(work, "clean")
    os.makedirs(d)
    runs, stats, orders, items, journal = run_until_done(a, d, plan, 0, 0, check)
    want = shape(orders, items)
    check(len(want) >= 5, f"no faults: only {len(want)} sales orders written")
    check(sum(len(v) for v in want.values()) >= len(want), "no faults: the orders have no items (deep insert)")
    check(runs and runs[0].get("retrying") == 0 and runs[0].get("dead") == 0, f"no faults: {runs}")
    check(stats.get("csrf_refused", 0) > 0 and stats.get("csrf_fetches", 0) > 1,
          f"no faults: the CSRF token was never refused and fetched again: {stats}")
    print("no faults:", json.dumps({"runs": runs, "orders": len(want), "items": len(items), "stats": stats}))

    for seed in [int(s) for s in a.seeds.split(",") if s]:
        d = os.path.join(work, f"faults-{seed}")
        os.makedirs(d)
        runs, stats, orders, items, journal = run_until_done(a, d, plan, 0.3, seed, check)
        got = shape(orders, items)
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        check(not missing, f"seed {seed}: {len(missing)} orders missing in SAP: {missing[:5]}")
        check(not extra, f"seed {seed}: unexpected orders: {extra[:5]}")
        ids = collections.Counter(o["ExternalDocumentID"] for o in orders)
        check(all(n == 1 for n in ids.values()), f"seed {seed}: an ExternalDocumentID twice in SAP")
        wrong = [k for k in want if k in got and got[k] != want[k]]
        check(not wrong, f"seed {seed}: the items differ for {wrong[:5]}")
        created = collections.Counter(e["key"] for e in journal if e["object"] == "A_SalesOrder" and e["op"] == "created")
        twice = [k for k, n in created.items() if n > 1]
        check(not twice, f"seed {seed}: created twice: {twice[:5]}")
        check(set(created) == set(want), f"seed {seed}: journal creations {len(created)} != {len(want)} orders")
        item_created = collections.Counter(e["id"] for e in journal
                                           if e["object"] == "A_SalesOrderItem" and e["op"] == "created")
        check(all(n == 1 for n in item_created.values()), f"seed {seed}: an item created twice")
        check(len(item_created) == len(items), f"seed {seed}: {len(item_created)} item creations, {len(items)} items")
        check(len([r for r in runs if r["exit"] == 0]) >= 1, f"seed {seed}: no run completed: {runs}")
        check(sum(stats.get("faults", {}).values()) > 0, f"seed {seed}: no faults were injected: {stats}")
        print(f"faults 30%, seed {seed}:", json.dumps({"runs": runs, "orders": len(got), "created": len(created),
                                                     "updates": sum(1 for e in journal if e["op"] == "updated"),
                                                     "stats": stats}))
    return check.done("sap_http", "every order written once, with its items")


if __name__ == "__main__":
    sys.exit(main())
