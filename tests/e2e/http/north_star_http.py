#!/usr/bin/env python3
"""The north star end to end over HTTP: crmx-run with the Salesforce and NetSuite REST
connectors against `crmx-emulate salesforce` (seeded with the example's CRM export) and
`crmx-emulate netsuite` (seeded with its catalog items), with a profile.

    north_star_http.py CRMXC CRMX_RUN CRMX_EMULATE

Checks:
- the outcomes match examples/acme-salesforce-netsuite/data/expected_summary.json as they do on
  files (written, data-quality, held, waiting: counts, reasons and records by key), except what
  cannot exist in an API: the export's one malformed line (Salesforce never returns it) and the
  records the pushed-down `when` leaves out at the source (not counted: SOQL filters them);
- NetSuite holds exactly the written customers and sales orders, each created once (journal),
  and every sales order's `entity` is the NetSuite internal id of its account's customer, with
  its lines in the `item` sublist;
- the order status came back to the opportunities (one sObject Collections update call);
- a second run writes nothing (cursors and unchanged outputs), in either system."""
import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

EXPECTED = os.path.join(harness.EXAMPLE, "data", "expected_summary.json")
BUCKETS = ["data_quality", "held", "waiting"]
QUEUE_FILES = {"data_quality": "quality.jsonl", "held": "held.jsonl", "waiting": "waiting.jsonl", "error": "errors.jsonl"}


def queued(queues, bucket, name):
    path = os.path.join(queues, QUEUE_FILES[bucket])
    return [json.loads(l) for l in open(path) if l.strip() and json.loads(l)["map"] == name]


def main():
    crmxc, crmx_run, emulate = sys.argv[1:4]
    work = harness.workdir()
    plan = os.path.join(work, "acme.plan.json")
    harness.run([crmxc, "build", os.path.join(harness.EXAMPLE, "acme.crmx"), "-o", plan])
    sf = harness.Emulator(emulate, "salesforce", "--data", os.path.join(harness.EXAMPLE, "data", "crm"),
                          "--schemas", os.path.join(harness.EXAMPLE, "schemas", "salesforce"))
    ns = harness.Emulator(emulate, "netsuite",
                          "--schemas", os.path.join(harness.EXAMPLE, "schemas", "netsuite"))
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    try:
        profile = harness.write_profile(os.path.join(work, "crmx.profiles.yaml"), sf.url, ns.url)
        state, queues = os.path.join(work, "state.db"), os.path.join(work, "queues")
        args = [crmx_run, "run", plan, "--profiles", profile, "--target", "emulators", "--state", state,
                "--queues", queues, "--report", "json", "--progress", "never"]
        _, out, _ = harness.run(args)
        report = json.loads(out)["maps"]
        expected = json.load(open(EXPECTED))["maps"]
        for name, want in expected.items():
            got = report[name]
            total = got["written"] + got["skipped"]["count"] + sum(got[b]["count"] for b in BUCKETS + ["error"])
            check(total == got["input_lines"], f"{name}: {got['input_lines']} records read but {total} outcomes")
            check(got["written"] == want["written"], f"{name}.written: got {got['written']}, expected {want['written']}")
            for b in BUCKETS:
                if b not in want:
                    continue
                check(got[b]["count"] == want[b]["count"], f"{name}.{b}: got {got[b]['count']}, expected {want[b]['count']}")
                check(got[b]["by_reason"] == want[b]["by_reason"],
                      f"{name}.{b}.by_reason: got {got[b]['by_reason']}, expected {want[b]['by_reason']}")
                g = sorted((e["key"] or "", tuple(e["reasons"])) for e in queued(queues, b, name))
                w = sorted((r.get("Id") or "", tuple(r["reasons"])) for r in want[b]["records"])
                check(g == w, f"{name}.{b} records differ: {sorted(set(w) - set(g))[:3]} expected, {sorted(set(g) - set(w))[:3]} not")
            # The export's malformed line cannot come from an API: no error expected here.
            check(got["error"]["count"] == 0, f"{name}.error: {got['error']}")
        check(report["account_to_customer"]["input_lines"] == 299, "account_to_customer should read the 299 accounts Salesforce holds")
        flags = expected["account_to_customer"].get("flags_on_written")
        if flags:
            check(report["account_to_customer"]["flags_on_written"] == flags, "account_to_customer flags differ")
        check(report["won_to_order"]["list_items_written"].get("lines", 0) == expected["won_to_order"]["order_lines_written"],
              f"order lines: got {report['won_to_order']['list_items_written']}, expected {expected['won_to_order']['order_lines_written']}")

        # What NetSuite holds, and how it got there.
        journal = ns.journal()
        created = collections.Counter((e["object"], e["key"]) for e in journal if e.get("op") == "created")
        check(all(n == 1 for n in created.values()), f"a key created twice in NetSuite: {[k for k, n in created.items() if n > 1][:3]}")
        customers = {c["externalId"]: c for c in ns.records("Customer")}
        orders = ns.records("SalesOrder")
        check(len(customers) == report["account_to_customer"]["written"], f"NetSuite holds {len(customers)} customers")
        check(len(orders) == report["won_to_order"]["written"], f"NetSuite holds {len(orders)} sales orders")
        ids = {c["id"]: ext for ext, c in customers.items()}
        opps = {json.loads(l)["Id"]: json.loads(l) for l in open(os.path.join(harness.EXAMPLE, "data", "crm", "Opportunity.jsonl"))}
        lines = 0
        for o in orders:
            ent = o.get("entity")
            ent_id = ent.get("id") if isinstance(ent, dict) else ent
            check(ent_id in ids, f"order {o.get('externalId')}: entity {ent!r} is not a NetSuite customer id")
            opp = opps.get(o.get("externalId"))
            check(opp is not None and ids.get(ent_id) == opp["AccountId"],
                  f"order {o.get('externalId')}: entity {ent_id} is not the customer of account {opp and opp['AccountId']}")
            item = o.get("item")
            check(isinstance(item, dict) and isinstance(item.get("items"), list),
                  f"order {o.get('externalId')}: lines not in the item sublist: {item!r}"[:200])
            lines += len(item.get("items", [])) if isinstance(item, dict) else 0
        check(lines == expected["won_to_order"]["order_lines_written"], f"{lines} order lines in NetSuite")
        # Status back to Salesforce.
        back = [r for r in sf.records("Opportunity") if r.get("ERP_Status__c")]
        check(len(back) == report["order_status_back"]["written"], f"{len(back)} opportunities carry ERP_Status__c")
        stats = json.loads(sf.get("/_emulator/stats"))
        print("salesforce emulator stats:", json.dumps(stats)[:400])

        # A second run writes nothing.
        before_ns, before_sf = len(ns.journal()), len(sf.journal())
        _, out2, _ = harness.run(args)
        report2 = json.loads(out2)["maps"]
        for name, got in report2.items():
            check(got["written"] == 0, f"second run: {name} wrote {got['written']}")
        check(len(ns.journal()) == before_ns, f"second run: {len(ns.journal()) - before_ns} NetSuite writes")
        check(len(sf.journal()) == before_sf, f"second run: {len(sf.journal()) - before_sf} Salesforce writes")
    finally:
        sf.stop()
        ns.stop()
    for f in failures:
        print("FAIL:", f)
    if failures:
        print(f"north star over HTTP: {len(failures)} failures")
        return 1
    print("north star over HTTP: the run matches expected_summary.json; NetSuite holds what was written, once; "
          "a second run writes nothing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
