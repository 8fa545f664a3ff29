#!/usr/bin/env python3
"""The salesforce-sap example end to end over HTTP: crmx-run with the Salesforce and SAP
connectors against `crmx-emulate salesforce` (seeded with examples/salesforce-sap/data/crm) and
`crmx-emulate sap` (the e2e SAP schema subset, empty), with the example's profile.

    example_salesforce_sap_http.py CRMXC CRMX_RUN CRMX_EMULATE [--write-expected]

Checks:
- `crmxc check` and `crmxc test` pass on the example's spec;
- the run's outcomes match examples/salesforce-sap/expected_summary.json (written, skipped,
  data-quality, held, waiting, error: counts and reasons; flags; items written);
- SAP holds exactly the written business partners and sales orders, each created once (the
  emulator's journal), every order sold to the business partner of its account, with its items
  (deep insert), in a sales organization of the routing table;
- `crmx-run reconcile` finds the discrepancies expected_summary.json lists (SAP's emulator does
  not price orders: TotalNetAmount is null; currencies taken from the account's country);
- a second run writes nothing (cursors and unchanged outputs).
`--write-expected` rewrites expected_summary.json from the run instead of comparing."""
import collections
import csv
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
EXAMPLE = os.path.join(ROOT, "examples", "salesforce-sap")
SPEC = os.path.join(EXAMPLE, "salesforce-sap.crmx")
EXPECTED = os.path.join(EXAMPLE, "expected_summary.json")
SAP_SCHEMAS = os.path.join(ROOT, "tests", "e2e", "http", "sap")
SF_SCHEMAS = os.path.join(ROOT, "examples", "acme-salesforce-netsuite", "schemas", "salesforce")
BUCKETS = ["skipped", "data_quality", "held", "waiting", "error", "retrying", "dead_letter"]
QUEUE_FILES = {"data_quality": "quality.jsonl", "held": "held.jsonl", "waiting": "waiting.jsonl",
               "error": "errors.jsonl", "dead_letter": "dead_letters.jsonl"}
ENV = {"CRMX_SAP_PASSWORD": "crmx-test-password"}


def queued(queues, bucket, name):
    """The keys of a map's records in a queue file, sorted (the report holds samples only)."""
    path = os.path.join(queues, QUEUE_FILES[bucket])
    if not os.path.exists(path):
        return []
    return sorted(r["key"] for r in map(json.loads, filter(str.strip, open(path))) if r["map"] == name)


def summary(report, queues):
    out = {}
    for name, m in sorted(report.items()):
        s = {"input_lines": m.get("input_lines"), "written": m["written"]}
        for b in BUCKETS:
            if b in m:
                s[b] = {"count": m[b]["count"], "by_reason": m[b]["by_reason"]}
                if b in QUEUE_FILES:
                    s[b]["records"] = queued(queues, b, name)
        if m.get("flags_on_written"):
            s["flags_on_written"] = m["flags_on_written"]
        if m.get("list_items_written"):
            s["list_items_written"] = m["list_items_written"]
        out[name] = s
    return out


def main():
    crmxc, crmx_run, emulate = sys.argv[1:4]
    write_expected = "--write-expected" in sys.argv[4:]
    check = harness.Checks()
    work = harness.workdir()
    plan = os.path.join(work, "salesforce-sap.plan.json")
    harness.run([crmxc, "check", SPEC])
    harness.run([crmxc, "test", SPEC])
    harness.run([crmxc, "build", SPEC, "-o", plan])

    sf = harness.Emulator(emulate, "salesforce", "--data", os.path.join(EXAMPLE, "data", "crm"),
                          "--schemas", SF_SCHEMAS)
    sap = harness.Emulator(emulate, "sap", "--schemas", SAP_SCHEMAS)
    try:
        profile = os.path.join(work, "crmx.profiles.yaml")
        text = open(os.path.join(EXAMPLE, "crmx.profiles.yaml")).read()
        text = text.replace("http://127.0.0.1:18081", sf.url).replace("http://127.0.0.1:18083", sap.url)
        with open(profile, "w") as f:
            f.write(text)
        state, queues = os.path.join(work, "state.db"), os.path.join(work, "queues")
        cmd = [crmx_run, "run", plan, "--profiles", profile, "--target", "emulators", "--state", state,
               "--queues", queues, "--report", "json", "--progress", "never"]
        _, out, _ = harness.run(cmd, env=ENV)
        report = json.loads(out)["maps"]
        got = summary(report, queues)
        # The reconcile: SAP's emulator does not price (TotalNetAmount stays null), and the orders
        # whose currency came from the account's country differ from the CRM's null currency.
        _, rout, _ = harness.run([crmx_run, "reconcile", plan, "--profiles", profile, "--target", "emulators",
                                  "--state", state, "--format", "json"], env=ENV, check=False)
        rec = json.loads(rout)["reconciliations"][0]
        got_rec = {"name": rec["name"], "matched": rec["matched"], "discrepancies": rec["discrepancies"],
                   "missing_left": len(rec["missing_left"]), "missing_right": len(rec["missing_right"]),
                   "by_field": dict(sorted(collections.Counter(f["right_field"] for f in rec["fields"]).items()))}
        if write_expected:
            with open(EXPECTED, "w") as f:
                json.dump({"generated_by": "tests/e2e/http/example_salesforce_sap_http.py --write-expected",
                           "data": "data/crm (data/generate.py)", "maps": got, "reconcile": got_rec},
                          f, indent=2, ensure_ascii=False)
                f.write("\n")
            print("wrote", EXPECTED)
        want_all = json.load(open(EXPECTED))
        want = want_all["maps"]
        check(got_rec == want_all.get("reconcile"), f"reconcile: got {got_rec}, expected {want_all.get('reconcile')}")
        for name in sorted(set(got) | set(want)):
            for part in sorted(set(got.get(name, {})) | set(want.get(name, {}))):
                g, w = got.get(name, {}).get(part), want.get(name, {}).get(part)
                check(g == w, f"{name}.{part}: got {json.dumps(g)}, expected {json.dumps(w)}")

        bps = sap.records("A_BusinessPartner")
        orders = sap.records("A_SalesOrder")
        items = sap.records("A_SalesOrderItem")
        journal = sap.journal()
        bp_w, so_w = report["account_to_bp"]["written"], report["won_to_order"]["written"]
        check(len(bps) == bp_w, f"SAP holds {len(bps)} business partners, {bp_w} written")
        check(len(orders) == so_w, f"SAP holds {len(orders)} sales orders, {so_w} written")
        check(len({b["SearchTerm1"] for b in bps}) == len(bps), "a Salesforce account is two business partners")
        check(len({o["ExternalDocumentID"] for o in orders}) == len(orders), "an opportunity is two sales orders")
        created = collections.Counter((e["object"], e["key"]) for e in journal if e["op"] == "created")
        check(all(n == 1 for n in created.values()), f"created twice: {[k for k, n in created.items() if n > 1][:5]}")
        check(sum(1 for (o, _) in created if o == "A_SalesOrder") == len(orders), "journal: sales order creations")
        check(sum(1 for (o, _) in created if o == "A_BusinessPartner") == len(bps), "journal: business partner creations")
        check(not [e for e in journal if e["op"] != "created"], "the first run updated or deleted something")

        # Every order is sold to its account's business partner, in a routed sales organization,
        # with its items (deep insert).
        accounts = {a["Id"]: a for a in map(json.loads, open(os.path.join(EXAMPLE, "data", "crm", "Account.jsonl")))}
        opps = {o["Id"]: o for o in map(json.loads, open(os.path.join(EXAMPLE, "data", "crm", "Opportunity.jsonl")))}
        bp_of = {b["SearchTerm1"]: b["BusinessPartner"] for b in bps}
        orgs = {r["salesOrganization"] for r in csv.DictReader(open(os.path.join(EXAMPLE, "tables", "sales_area_by_subsidiary.csv")))}
        per_order = collections.Counter(i["SalesOrder"] for i in items)
        for o in orders:
            opp = opps[o["ExternalDocumentID"]]
            check(o["SoldToParty"] == bp_of.get(opp["AccountId"]), f"order {o['SalesOrder']}: sold-to {o['SoldToParty']}")
            check(o["SalesOrganization"] in orgs, f"order {o['SalesOrder']}: sales organization {o['SalesOrganization']}")
            check(per_order[o["SalesOrder"]] >= 1, f"order {o['SalesOrder']} has no items")
            check(re.fullmatch(r"[A-Z]{3}", o.get("TransactionCurrency") or "") is not None,
                  f"order {o['SalesOrder']}: currency {o.get('TransactionCurrency')}")
        check(len(items) == report["won_to_order"].get("list_items_written", {}).get("to_Item", -1),
              f"SAP holds {len(items)} items, the report {report['won_to_order'].get('list_items_written')}")
        currencies = collections.Counter(o["TransactionCurrency"] for o in orders)
        check(len(currencies) >= 3, f"multi-currency: only {dict(currencies)}")
        check(len({o['SalesOrganization'] for o in orders}) >= 3, "routing: fewer than 3 sales organizations")
        del accounts

        # A second run writes nothing.
        before = len(sap.journal())
        _, out2, _ = harness.run(cmd, env=ENV)
        report2 = json.loads(out2)["maps"]
        for name, m in report2.items():
            check(m["written"] == 0, f"second run: {name} wrote {m['written']}")
        check(len(sap.journal()) == before, "second run: SAP's journal grew")
        print("salesforce-sap:", json.dumps({"business_partners": len(bps), "orders": len(orders), "items": len(items),
                                             "currencies": dict(currencies),
                                             "sales_orgs": dict(collections.Counter(o["SalesOrganization"] for o in orders))}))
    finally:
        sf.stop()
        sap.stop()
    return check.done("example_salesforce_sap_http", "the run matches expected_summary.json; SAP holds it once")


if __name__ == "__main__":
    sys.exit(main())
