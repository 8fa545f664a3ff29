#!/usr/bin/env python3
"""The HubSpot -> Xero example (examples/hubspot-xero) run against the emulators.

    example_hubspot_xero_http.py CRMXC CRMX_RUN CRMX_EMULATE [--bless]

Starts `crmx-emulate hubspot` seeded with the example's portal properties and data/hubspot, and
`crmx-emulate xero` seeded with its Xero items and schema subset; builds the example's spec and
runs it with the example's profile (its `emulators` target, addresses rewritten). Checks:
- the first run's outcomes (per map: written, and each queue's count by reason) are
  examples/hubspot-xero/expected_summary.json (--bless rewrites that file from this run);
- Xero holds each written contact (by ContactNumber) and invoice (by InvoiceNumber) exactly once,
  created once in its journal; each invoice names the contact of its deal's company, is ACCREC,
  AUTHORISED, with the deal's line items; each invoiced deal carries the invoice's number, status
  and amount due back in HubSpot;
- a second run writes nothing to either system, and the reconcile finds no discrepancy (every
  closed-won deal without an invoice is one crmx's queues hold);
- after a payment clears one invoice in Xero, a third run writes only that deal: PAID, 0 due.
No secret appears in crmx-run's output."""
import argparse
import collections
import datetime
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

EXAMPLE = os.path.join(harness.ROOT, "examples", "hubspot-xero")
EXPECTED = os.path.join(EXAMPLE, "expected_summary.json")
ENV = {"CRMX_HUBSPOT_TOKEN": "crmx-test-hubspot-token", "CRMX_XERO_CLIENT_SECRET": "crmx-test-secret"}
QUEUES = ("data_quality", "held", "waiting", "dead_letter", "error", "retrying", "skipped")


def summary(report):
    """A run's outcomes per map: what was written and each queue's count by reason."""
    out = {}
    for name, m in sorted(report["maps"].items()):
        s = {"written": m["written"]}
        for q in QUEUES:
            if m[q]["count"]:
                s[q] = {"count": m[q]["count"], "by_reason": dict(sorted(m[q]["by_reason"].items()))}
        out[name] = s
    return out


def jsonl(path):
    return [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]


def xero_day(v):
    """A Xero date as the emulator holds it (`/Date(ms+0000)/` or "2026-01-31..."): a date, or None."""
    if not isinstance(v, str):
        return None
    m = re.match(r"/Date\((-?\d+)", v)
    if m:
        return datetime.datetime.fromtimestamp(int(m.group(1)) / 1000, datetime.timezone.utc).date()
    try:
        return datetime.date.fromisoformat(v[:10])
    except ValueError:
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("crmxc")
    ap.add_argument("crmx_run")
    ap.add_argument("crmx_emulate")
    ap.add_argument("--bless", action="store_true", help="rewrite expected_summary.json from this run")
    a = ap.parse_args()
    check = harness.Checks()
    work = harness.workdir()
    plan = os.path.join(work, "hubspot-xero.plan.json")
    harness.run([a.crmxc, "test", os.path.join(EXAMPLE, "hubspot-xero.crmx")])
    harness.run([a.crmxc, "build", os.path.join(EXAMPLE, "hubspot-xero.crmx"), "-o", plan])

    hub = harness.Emulator(a.crmx_emulate, "hubspot", "--schemas", os.path.join(EXAMPLE, "schemas", "hubspot"),
                           "--data", os.path.join(EXAMPLE, "data", "hubspot"))
    try:
        xero = harness.Emulator(a.crmx_emulate, "xero", "--schemas", os.path.join(EXAMPLE, "schemas", "xero"),
                                "--data", os.path.join(EXAMPLE, "data", "xero"))
    except Exception:
        hub.stop()
        raise
    try:
        text = open(os.path.join(EXAMPLE, "crmx.profiles.yaml"), encoding="utf-8").read()
        profile = os.path.join(work, "crmx.profiles.yaml")
        with open(profile, "w", encoding="utf-8") as f:
            f.write(text.replace("http://127.0.0.1:18091", hub.url).replace("http://127.0.0.1:18092", xero.url))

        def run(n):
            code, out, err = harness.run([a.crmx_run, "run", plan, "--profiles", profile, "--target", "emulators",
                                          "--state", os.path.join(work, "state.db"),
                                          "--queues", os.path.join(work, "queues"),
                                          "--report", "json", "--progress", "never"], env=ENV, check=False)
            check(code == 0, f"run {n}: exit {code}: {err[-500:]}")
            for secret in ENV.values():
                check(secret not in out and secret not in err, f"run {n}: a secret appears in crmx-run's output")
            return json.loads(out) if code == 0 else {"maps": {}}

        # ------------------------------------------------------------ run 1: everything
        first = summary(run(1))
        if a.bless:
            with open(EXPECTED, "w", encoding="utf-8") as f:
                json.dump({"generated_by": "tests/e2e/http/example_hubspot_xero_http.py --bless",
                           "what": "the first run's outcomes against the emulators seeded with data/",
                           "maps": first}, f, indent=2)
                f.write("\n")
        want = json.load(open(EXPECTED, encoding="utf-8"))["maps"]
        for name in sorted(set(want) | set(first)):
            check(first.get(name) == want.get(name),
                  f"run 1: {name}: {json.dumps(first.get(name))} != expected {json.dumps(want.get(name))}")

        companies = {r["id"]: r["properties"] for r in jsonl(os.path.join(EXAMPLE, "data", "hubspot", "companies.jsonl"))}
        deals = {r["id"]: r["properties"] for r in jsonl(os.path.join(EXAMPLE, "data", "hubspot", "deals.jsonl"))}
        # A deal's company and line items are its associations (seeded with the deals).
        assoc = {r["id"]: r.get("associations", {}) for r in jsonl(os.path.join(EXAMPLE, "data", "hubspot", "deals.jsonl"))}
        line_props = {r["id"]: r["properties"] for r in jsonl(os.path.join(EXAMPLE, "data", "hubspot", "line_items.jsonl"))}
        lines = {did: [line_props[lid] for lid in a.get("line_items", [])] for did, a in assoc.items()}
        journal = xero.journal()
        contacts = xero.records("Contact")
        invoices = xero.records("Invoice")
        n_contacts = want["company_to_contact"]["written"]
        n_invoices = want["won_deal_to_invoice"]["written"]
        got_c, _ = harness.check_exactly_once(
            check, "contacts", {c["ContactNumber"]: companies[c["ContactNumber"]]["name"].strip() for c in contacts},
            contacts, "ContactNumber", "Name", journal, "Contact", "contacts")
        check(len(got_c) == n_contacts, f"Xero holds {len(got_c)} contacts, {n_contacts} written")
        harness.check_exactly_once(check, "invoices", {i["InvoiceNumber"]: deals[i["InvoiceNumber"]]["dealname"].strip()
                                                           for i in invoices},
                                   invoices, "InvoiceNumber", "Reference", journal, "Invoice", "invoices")
        check(len(invoices) == n_invoices, f"Xero holds {len(invoices)} invoices, {n_invoices} written")
        contact_by_id = {c["ContactID"]: c for c in contacts}
        for inv in invoices:
            deal = deals.get(inv["InvoiceNumber"], {})
            label = inv["InvoiceNumber"]
            check(deal.get("dealstage") == "closedwon", f"{label}: deal not closed-won")
            c = contact_by_id.get(inv["Contact"].get("ContactID"), {})
            company = (assoc.get(label, {}).get("companies") or [None])[0]
            check(c.get("ContactNumber") == company,
                  f"{label}: contact {c.get('ContactNumber')} is not the deal's company {company}")
            check(inv["Type"] == "ACCREC" and inv["Status"] == "AUTHORISED", f"{label}: {inv['Type']} {inv['Status']}")
            want_lines = sorted((l["hs_sku"], float(l["quantity"]), float(l["price"])) for l in lines[inv["InvoiceNumber"]])
            got_lines = sorted((next(s for s, code in SKUS.items() if code == li["ItemCode"]), float(li["Quantity"]),
                                float(li["UnitAmount"])) for li in inv["LineItems"])
            check(got_lines == want_lines, f"{label}: lines {got_lines} != the deal's {want_lines}")
            # 30 days' terms: the due date is its own value, not the invoice date (29-31 days:
            # 720 hours in Pacific/Auckland may cross a DST change near midnight).
            date, due = xero_day(inv.get("Date")), xero_day(inv.get("DueDate"))
            check(date is not None and due is not None and 29 <= (due - date).days <= 31,
                  f"{label}: Date {inv.get('Date')} DueDate {inv.get('DueDate')} are not 30 days apart")
        back = {d["hs_object_id"]: d for d in hub.records("deals") if d.get("xero_invoice_number")}
        check(len(back) == n_invoices, f"{len(back)} deals carry an invoice number, {n_invoices} invoices")
        for inv in invoices:
            d = back.get(inv["InvoiceNumber"], {})
            check(d.get("xero_invoice_number") == inv["InvoiceNumber"] and d.get("xero_invoice_status") == "AUTHORISED"
                  and float(d.get("xero_amount_due", "nan")) == float(inv["AmountDue"]),
                  f"deal {inv['InvoiceNumber']}: {d.get('xero_invoice_status')} {d.get('xero_amount_due')} "
                  f"!= {inv['Status']} {inv['AmountDue']}")

        # ------------------------------------------------------------ run 2: nothing to write
        xero_before, hub_before = len(xero.journal()), len(hub.journal())
        second = summary(run(2))
        check(all(m["written"] == 0 for m in second.values()), f"run 2 wrote: {json.dumps(second)}")
        check(len(xero.journal()) == xero_before and len(hub.journal()) == hub_before,
              "run 2: an emulator's journal grew")

        # ------------------------------------------------------------ the reconcile: no discrepancies
        code, out, err = harness.run([a.crmx_run, "reconcile", plan, "--profiles", profile, "--target", "emulators",
                                      "--state", os.path.join(work, "state.db")], env=ENV, check=False)
        check(code == 0 and "no discrepancies" in out,
              f"reconcile: exit {code}: {out[-400:]} {err[-300:]}")
        known = sum(1 for l in out.splitlines() if re.match(r"\s+\d+\s+missing in erp\.Invoice\s+won_deal_to_invoice", l))
        queued = sum(want["won_deal_to_invoice"].get(q, {}).get("count", 0) for q in ("data_quality", "held", "waiting"))
        check(known == queued, f"reconcile: {known} deals known to crmx, {queued} in the queues")

        # ------------------------------------------------------------ run 3: a payment comes back
        paid = invoices[0]
        answer = json.loads(xero_api(xero, "/Payments?summarizeErrors=false", {"Payments": [{
            "Invoice": {"InvoiceID": paid["InvoiceID"]}, "Account": {"Code": "090"},
            "Date": "2026-03-01", "Amount": paid["AmountDue"], "Reference": "payment-1"}]}))
        check(answer["Payments"][0].get("StatusAttributeString") == "OK", f"the payment was refused: {answer}")
        third = summary(run(3))
        check(third["invoice_status_back"]["written"] == 1, f"run 3: {json.dumps(third['invoice_status_back'])}")
        check(third["won_deal_to_invoice"]["written"] == 0 and third["company_to_contact"]["written"] == 0,
              f"run 3 wrote to Xero: {json.dumps(third)}")
        d = next(d for d in hub.records("deals") if d["hs_object_id"] == paid["InvoiceNumber"])
        check(d.get("xero_invoice_status") == "PAID" and float(d.get("xero_amount_due")) == 0,
              f"deal {paid['InvoiceNumber']} after the payment: {d.get('xero_invoice_status')} {d.get('xero_amount_due')}")
        print("hubspot -> xero:", json.dumps({"run1": {k: v["written"] for k, v in first.items()},
                                              "run2": {k: v["written"] for k, v in second.items()},
                                              "run3": {k: v["written"] for k, v in third.items()},
                                              "xero_stats": json.loads(xero.get("/_emulator/stats"))}))
    finally:
        hub.stop()
        xero.stop()
    return check.done("example_hubspot_xero_http", f"{n_contacts} contacts and {n_invoices} invoices written once; "
                      "a second run writes nothing; a payment comes back as PAID")


def xero_api(xero, path, body):
    """A call to the Xero emulator's API as an outside user (Xero's UI taking a payment)."""
    import base64
    import urllib.request
    basic = base64.b64encode(b"crmx-test-client:crmx-test-secret").decode()
    req = urllib.request.Request(xero.url + "/connect/token", data=b"grant_type=client_credentials", method="POST",
                                 headers={"Authorization": "Basic " + basic,
                                          "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=30) as r:
        token = json.loads(r.read())["access_token"]
    req = urllib.request.Request(xero.url + "/api.xro/2.0" + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + token, "xero-tenant-id": "crmx-test-tenant",
                                          "Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read().decode()


SKUS = {}
with open(os.path.join(EXAMPLE, "tables", "sku_to_item.csv"), encoding="utf-8") as _f:
    import csv
    SKUS = {r["sku"]: r["itemCode"] for r in csv.DictReader(_f)}


if __name__ == "__main__":
    sys.exit(main())
