#!/usr/bin/env python3
"""Writes this example's bundled data, deliberately dirty, deterministically (seeded):

    python3 data/generate.py     # from examples/hubspot-quickbooks/

data/hubspot/   companies, deals, line_items, products as HubSpot answers them (`{"id",
                "properties"}`, every value a string), each deal with its `associations` (its
                company and line items): what `crmx-emulate hubspot --data` serves.
data/quickbooks/ the QuickBooks company before the run: the catalogue (Item), and the customers
                and invoices an earlier run created for a few old deals, some since paid.

The dirt: blank and padded company names, duplicate names, phones in every format, countries
and states spelled out or misspelt, deals without a company (HubSpot has no association to a
company that does not exist: those deals have none),
amounts with thousands separators, closed-won deals with no amount or no line items, line items
with SKUs the catalogue does not have, quantities as decimals, prices as text."""
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
R = random.Random(20261206)

NAMES = ["Northwind", "Contoso", "Fabrikam", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell",
         "Soylent", "Hooli", "Vandelay", "Wonka", "Cyberdyne", "Gringotts", "Pied Piper", "Aperture", "Monarch"]
SUFFIX = ["Inc", "LLC", "Ltd", "GmbH", "Corp", "& Co", "Group", "Holdings"]
COUNTRIES = ["United States", "US", "USA", "Canada", "CA", "United Kingdom", "Germany", "Deutschland", "", "Atlantis"]
STATES = ["California", "CA", "ca", "New York", "TX", "Texas", "Ontario", "", "Calif.", "ZZ"]
PHONES = ["(415) 555-0100", "+1 212 555 0199", "415.555.0142", "555-0100", "n/a", "", "+44 20 7946 0958",
          "0049 30 901820", "12"]
SKUS = ["WID-100", "WID-200", "GAD-300", "SUP-STD", "SUP-PREM", "ONB-1D", "LIC-USER", "HW-KIT"]
PRICES = {"WID-100": "120.00", "WID-200": "245.50", "GAD-300": "999.00", "SUP-STD": "1500", "SUP-PREM": "4800",
          "ONB-1D": "1200.00", "LIC-USER": "35", "HW-KIT": "310.25"}
STAGES = ["closedwon"] * 5 + ["closedlost", "contractsent", "appointmentscheduled", "qualifiedtobuy"]
T0 = 1764547200000  # 2025-12-01T00:00:00Z in milliseconds


def iso(ms):
    import datetime
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def rec(id_, ms, props):
    props = {k: v for k, v in props.items() if v is not None}
    props.update({"hs_object_id": str(id_), "createdate": iso(ms), "hs_lastmodifieddate": iso(ms)})
    return {"id": str(id_), "properties": props}


def write(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r, sort_keys=True) + "\n")


def main():
    companies = []
    for i in range(120):
        cid = 3001 + i
        name = f"{R.choice(NAMES)} {R.choice(SUFFIX)}"
        if i % 23 == 5:
            name = "   "                                  # blank: data-quality queue
        elif i % 11 == 3:
            name = f"  {name.lower()}  "                  # padded, lower case
        if i in (40, 41):
            name = "Globex Corp"                          # a duplicate pair (two HubSpot records)
        companies.append(rec(cid, T0 + i * 60000, {
            "name": name, "domain": name.strip().lower().replace(" ", "") + ".example" if name.strip() else None,
            "phone": R.choice(PHONES), "city": R.choice(["San Francisco", "New York", "Toronto", "London", "Berlin", ""]),
            "state": R.choice(STATES), "country": R.choice(COUNTRIES) if i % 17 else None,
            "industry": R.choice(["COMPUTER_SOFTWARE", "RETAIL", "HOSPITAL_HEALTH_CARE", None])}))
    products = [rec(5001 + i, T0, {"name": s.replace("-", " ").title(), "hs_sku": s, "price": PRICES[s]})
                for i, s in enumerate(SKUS)]

    deals, lines = [], []
    lid = 8001
    for i in range(160):
        did = 7001 + i
        stage = STAGES[i % len(STAGES)]
        company = str(3001 + R.randrange(120))
        if i % 31 == 7:
            company = None                                # no company associated
        elif i % 37 == 11:
            company = None                                # its company was deleted: no association left
        n = 0 if i % 29 == 13 else 1 + R.randrange(4)     # some deals have no line items
        total = 0.0
        line_ids = []
        for k in range(n):
            sku = R.choice(SKUS)
            if (i + k) % 19 == 4:
                sku = R.choice(["WID-999", "wid-100 ", "LEGACY-7"])   # not in the catalogue
            qty = R.choice(["1", "2", "5", "10", "1.5"])
            price = PRICES.get(sku.strip().upper(), "50.00")
            if (i + k) % 13 == 6:
                price = R.choice([" 120.00", "1500.0"])   # text with spaces, a different scale
            lines.append(rec(lid, T0 + i * 30000 + k, {
                "name": sku, "hs_sku": sku, "quantity": qty, "price": price}))
            line_ids.append(str(lid))
            total += float(qty) * float(price)
            lid += 1
        amount = f"{total:.2f}"
        if i % 41 == 9:
            amount = None                                  # no amount
        elif i % 43 == 21:
            amount = "0"
        props = {"dealname": f"Deal {did}", "dealstage": stage, "pipeline": "default",
                 "amount": amount, "closedate": iso(T0 + 86400000 * (i % 30)),
                 "deal_currency_code": "USD"}
        assoc = {"line_items": line_ids}
        if company is not None:
            assoc["companies"] = [company]
        deals.append([did, props, assoc])

    # An earlier run invoiced the first 12 closed-won deals with a company and lines: they carry
    # the invoice number; QuickBooks has their customers and invoices (some paid since).
    qbo_customers, qbo_invoices = [], []
    old = [d for d in deals if d[1]["dealstage"] == "closedwon" and d[2].get("companies")
           and d[1].get("amount") not in (None, "0") and d[2]["line_items"]][:12]
    cust_ids = {}
    for n, (did, props, assoc) in enumerate(old):
        cid = assoc["companies"][0]
        if cid not in cust_ids:
            cust_ids[cid] = str(101 + len(cust_ids))
            comp = next(c for c in companies if c["id"] == cid)
            qbo_customers.append({"Id": cust_ids[cid], "SyncToken": "0", "DisplayName": f"HS-{cid}",
                                  "CompanyName": comp["properties"]["name"].strip()[:100] or "Unnamed",
                                  "Active": True, "Balance": 0,
                                  "MetaData": {"CreateTime": "2025-11-20T09:00:00-07:00", "LastUpdatedTime": "2025-11-20T09:00:00-07:00"}})
        total = float(props["amount"])
        balance = [0.0, total, round(total / 2, 2)][n % 3]
        props["qbo_invoice_number"] = f"HS-{did}"
        props["qbo_payment_status"] = "unpaid"
        props["qbo_balance"] = f"{total:.2f}"
        qbo_invoices.append({"Id": str(501 + n), "SyncToken": "1", "DocNumber": f"HS-{did}", "TxnDate": "2025-11-21",
                             "CustomerRef": {"value": cust_ids[cid]},
                             "Line": [{"Id": "1", "LineNum": 1, "Amount": total, "DetailType": "SalesItemLineDetail",
                                       "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": total}}],
                             "TotalAmt": total, "Balance": balance,
                             "MetaData": {"CreateTime": "2025-11-21T09:00:00-07:00",
                                          "LastUpdatedTime": f"2025-11-{22 + n:02d}T09:00:00-07:00"}})
    for did, props, _ in deals:
        if props.get("amount") and did % 17 == 3:
            props["amount"] = f"{float(props['amount']):,.2f}"  # "12,500.00": thousands separators
    deals = [dict(rec(did, T0 + 3600000 + i * 1000, props), associations=assoc)
             for i, (did, props, assoc) in enumerate(deals)]

    write(os.path.join(HERE, "hubspot", "companies.jsonl"), companies)
    write(os.path.join(HERE, "hubspot", "products.jsonl"), products)
    write(os.path.join(HERE, "hubspot", "deals.jsonl"), deals)
    write(os.path.join(HERE, "hubspot", "line_items.jsonl"), lines)
    items = [{"Id": str(i + 1), "SyncToken": "0", "Name": s.replace("-", " ").title() + f" ({s})", "Type": "Service",
              "UnitPrice": float(PRICES[s])} for i, s in enumerate(SKUS)]
    write(os.path.join(HERE, "quickbooks", "Item.jsonl"), items)
    write(os.path.join(HERE, "quickbooks", "Customer.jsonl"), qbo_customers)
    write(os.path.join(HERE, "quickbooks", "Invoice.jsonl"), qbo_invoices)


if __name__ == "__main__":
    main()
