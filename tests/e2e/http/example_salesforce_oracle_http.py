#!/usr/bin/env python3
"""examples/salesforce-oracle end to end over HTTP: crmx-run with the Salesforce and Oracle
Fusion connectors against `crmx-emulate salesforce` (seeded with the example's export) and
`crmx-emulate oracle` (schemas/oracle-fusion), with the example's profile (basic auth to Oracle).

    example_salesforce_oracle_http.py CRMXC CRMX_RUN CRMX_EMULATE

Checks:
- `crmxc test` passes the spec's tests;
- the run matches examples/salesforce-oracle/expected_summary.json: per map, written, and the
  data-quality, held and waiting buckets (counts, reasons, records by key), no errors, the flags,
  the order lines written;
- Oracle holds exactly the written customer accounts and sales orders, each created once (the
  emulator's journal), every order's BuyingPartyId is the PartyId of its account's customer
  account, its BusinessUnitName the business unit of the account's country
  (tables/business_units.csv), and its lines one per opportunity line item;
- the order number and status came back to the opportunities;
- a second run writes nothing, in either system."""
import collections
import csv
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

EXAMPLE = os.path.join(harness.ROOT, "examples", "salesforce-oracle")
SPEC = os.path.join(EXAMPLE, "salesforce_oracle.crmx")
SF_SCHEMAS = os.path.join(harness.ROOT, "examples", "acme-salesforce-netsuite", "schemas", "salesforce")
ORACLE_SCHEMAS = os.path.join(harness.ROOT, "schemas", "oracle-fusion")
DATA = os.path.join(EXAMPLE, "data", "crm")
BUCKETS = ["data_quality", "held", "waiting"]
QUEUE_FILES = {"data_quality": "quality.jsonl", "held": "held.jsonl", "waiting": "waiting.jsonl"}
ENV = {"CRMX_ORACLE_PASSWORD": "crmx-test-password"}


def queued(queues, bucket, name):
    path = os.path.join(queues, QUEUE_FILES[bucket])
    if not os.path.exists(path):
        return []
    return [e for e in (json.loads(l) for l in open(path) if l.strip()) if e["map"] == name]


def jsonl(name):
    return [json.loads(l) for l in open(os.path.join(DATA, name + ".jsonl")) if l.strip()]


def main():
    crmxc, crmx_run, emulate = sys.argv[1:4]
    work = harness.workdir()
    check = harness.Checks()
    _, out, _ = harness.run([crmxc, "test", SPEC])
    check("0 failed" in out, f"crmxc test: {out}")
    plan = os.path.join(work, "salesforce_oracle.plan.json")
    harness.run([crmxc, "build", SPEC, "-o", plan])
    sf = harness.Emulator(emulate, "salesforce", "--data", DATA, "--schemas", SF_SCHEMAS)
    oracle = harness.Emulator(emulate, "oracle", "--schemas", ORACLE_SCHEMAS)
    try:
        text = open(os.path.join(EXAMPLE, "crmx.profiles.yaml"), encoding="utf-8").read()
        profile = os.path.join(work, "crmx.profiles.yaml")
        with open(profile, "w", encoding="utf-8") as f:
            f.write(text.replace("http://127.0.0.1:18081", sf.url).replace("http://127.0.0.1:18083", oracle.url))
        state, queues = os.path.join(work, "state.db"), os.path.join(work, "queues")
        args = [crmx_run, "run", plan, "--profiles", profile, "--target", "emulators", "--state", state,
                "--queues", queues, "--report", "json", "--progress", "never"]
        _, out, _ = harness.run(args, env=ENV)
        report = json.loads(out)["maps"]
        expected_all = json.load(open(os.path.join(EXAMPLE, "expected_summary.json")))
        expected = expected_all["maps"]
        for name, want in expected.items():
            got = report[name]
            total = got["written"] + got["skipped"]["count"] + sum(got[b]["count"] for b in BUCKETS + ["error"])
            check(total == got["input_lines"], f"{name}: {got['input_lines']} records read but {total} outcomes")
            check(got["input_lines"] == want["input_lines"], f"{name}.input_lines: got {got['input_lines']}, expected {want['input_lines']}")
            check(got["written"] == want["written"], f"{name}.written: got {got['written']}, expected {want['written']}")
            check(got["error"]["count"] == 0, f"{name}.error: {got['error']}")
            for b in BUCKETS:
                if b not in want:
                    continue
                check(got[b]["count"] == want[b]["count"], f"{name}.{b}: got {got[b]['count']}, expected {want[b]['count']}")
                check(got[b]["by_reason"] == want[b]["by_reason"],
                      f"{name}.{b}.by_reason: got {got[b]['by_reason']}, expected {want[b]['by_reason']}")
                g = sorted((e["key"] or "", tuple(e["reasons"])) for e in queued(queues, b, name))
                w = sorted((r["Id"], tuple(r["reasons"])) for r in want[b]["records"])
                check(g == w, f"{name}.{b} records differ: {sorted(set(w) - set(g))[:3]} expected, {sorted(set(g) - set(w))[:3]} not")
            if "flags_on_written" in want:
                check(got["flags_on_written"] == want["flags_on_written"],
                      f"{name}.flags_on_written: got {got['flags_on_written']}, expected {want['flags_on_written']}")
        want_lines = expected["won_to_order"]["order_lines_written"]
        check(report["won_to_order"]["list_items_written"].get("lines", 0) == want_lines,
              f"order lines: got {report['won_to_order']['list_items_written']}, expected {want_lines}")

        # What Oracle holds, and how it got there.
        journal = oracle.journal()
        created = collections.Counter((e["object"], e["key"]) for e in journal if e.get("op") == "created")
        check(all(n == 1 for n in created.values()), f"created twice in Oracle: {[k for k, n in created.items() if n > 1][:3]}")
        check(not [e for e in journal if e.get("op") != "created"], "first run: Oracle journal has other ops than created")
        customers = {c["SourceSystemReferenceValue"]: c for c in oracle.records("accounts")}
        orders = oracle.records("salesOrdersForOrderHub")
        want_oracle = expected_all["oracle"]
        check(len(customers) == want_oracle["accounts"], f"Oracle holds {len(customers)} accounts, expected {want_oracle['accounts']}")
        check(len(orders) == want_oracle["salesOrdersForOrderHub"], f"Oracle holds {len(orders)} orders, expected {want_oracle['salesOrdersForOrderHub']}")
        check(all(c["SourceSystem"] == "SFDC" for c in customers.values()), "an account without SourceSystem SFDC")
        party = {c["PartyId"]: ref for ref, c in customers.items()}
        accounts = {a["Id"]: a for a in jsonl("Account")}
        opps = {o["Id"]: o for o in jsonl("Opportunity")}
        items = collections.Counter(i["OpportunityId"] for i in jsonl("OpportunityLineItem"))
        bu = {r["country"]: r["business_unit"] for r in csv.DictReader(open(os.path.join(EXAMPLE, "tables", "business_units.csv")))}
        from_customer_country = {"US": "US", "CA": "CA", "GB": "GB", "DE": "DE", "FR": "FR"}
        n_lines = 0
        for o in orders:
            num = o["SourceTransactionNumber"]
            opp = opps.get(num)
            check(opp is not None and opp["StageName"] == "Closed Won", f"order {num}: not a closed-won opportunity")
            if opp is None:
                continue
            acc_id = party.get(o.get("BuyingPartyId"))
            check(acc_id == opp["AccountId"], f"order {num}: BuyingPartyId {o.get('BuyingPartyId')} is not the party of {opp['AccountId']}")
            if acc_id:
                country = customers[acc_id]["Country"]
                check(o.get("BusinessUnitName") == bu.get(from_customer_country.get(country)),
                      f"order {num}: business unit {o.get('BusinessUnitName')!r} for country {country}")
            check(len(o.get("lines") or []) == items[num], f"order {num}: {len(o.get('lines') or [])} lines, not {items[num]}")
            n_lines += len(o.get("lines") or [])
        check(n_lines == want_oracle["order_lines"], f"{n_lines} order lines in Oracle, expected {want_oracle['order_lines']}")
        back = {r["Id"]: r for r in sf.records("Opportunity") if r.get("ERP_Order_Number__c")}
        numbers = {o["SourceTransactionNumber"]: o["OrderNumber"] for o in orders}
        check(len(back) == report["order_status_back"]["written"] == len(orders), f"{len(back)} opportunities carry ERP_Order_Number__c")
        check(all(numbers.get(i) == r["ERP_Order_Number__c"] and r.get("ERP_Status__c") for i, r in back.items()),
              "an opportunity's ERP_Order_Number__c is not its order's OrderNumber")

        # A second run writes nothing.
        before_or, before_sf = len(oracle.journal()), len(sf.journal())
        _, out2, _ = harness.run(args, env=ENV)
        for name, got in json.loads(out2)["maps"].items():
            check(got["written"] == 0, f"second run: {name} wrote {got['written']}")
        check(len(oracle.journal()) == before_or, f"second run: {len(oracle.journal()) - before_or} Oracle writes")
        check(len(sf.journal()) == before_sf, f"second run: {len(sf.journal()) - before_sf} Salesforce writes")
        print("figures:", json.dumps({n: {"written": m["written"], "held": m["held"]["count"], "waiting": m["waiting"]["count"],
                                          "data_quality": m["data_quality"]["count"]} for n, m in report.items()}))
    finally:
        sf.stop()
        oracle.stop()
    return check.done("example salesforce-oracle over HTTP",
                      "the run matches expected_summary.json; Oracle holds each account and order once; "
                      "a second run writes nothing")


if __name__ == "__main__":
    sys.exit(main())
