#!/usr/bin/env python3
"""Generates the example's sample data: the HubSpot portal's companies, deals and line items,
and the Xero organisation's items, with dirty records made on purpose.

    python3 data/generate.py     (from anywhere; rewrites data/hubspot/*.jsonl and data/xero/*.jsonl)

Deterministic: a fixed seed, no clock. Records have HubSpot's `{"id", "properties"}` shape,
values as strings as HubSpot answers them (crmx-emulate hubspot --data data/hubspot); a deal's
company and line items are its `associations` (HubSpot's associations, seeded with the deal).
The dirt: company names blank or padded, two companies with one name (Xero refuses the second:
names are unique among active contacts), unknown phone formats; deals without an amount, with
0, without a company (none associated, or the company deleted: HubSpot keeps no association to
a record that does not exist), or whose company has no name; deals with no line items, line
items with an unknown SKU, quantities as "2.0", a missing price; unknown currency.
"""
import csv
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.dirname(HERE)
SEED = 20261206
N_COMPANIES = 120
N_DEALS = 220

rng = random.Random(SEED)
WORDS = ["Harbor", "Summit", "Kestrel", "Oak", "Meridian", "Blue", "Granite", "Pioneer", "Atlas", "Willow",
         "Northwind", "Copper", "Silver", "Falcon", "Cedar", "Lumen", "Vertex", "Juniper", "Orbit", "Maple"]
KINDS = ["Labs", "Ltd", "Pty Ltd", "GmbH", "Inc", "Trading", "Studio", "Logistics", "Foods", "Health"]
PLACES = [("Auckland", "", "New Zealand", "NZD"), ("Sydney", "NSW", "Australia", "AUD"),
          ("Melbourne", "VIC", "Australia", "AUD"), ("London", "", "United Kingdom", "GBP"),
          ("Austin", "TX", "United States", "USD"), ("Toronto", "ON", "Canada", "CAD"),
          ("Berlin", "", "Germany", "EUR"), ("Wellington", "", "New Zealand", "NZD")]
SKUS = [r["sku"] for r in csv.DictReader(open(os.path.join(EXAMPLE, "tables", "sku_to_item.csv")))]
PRICES = {"WID-100": "49.00", "WID-200": "129.00", "SVC-IMPL": "1500.00", "SVC-TRAIN": "650.00",
          "SUB-ANNUAL": "4800.00", "SUB-MONTH": "420.00", "SUP-PREM": "999.99"}
STAGES = ["closedwon"] * 6 + ["closedlost", "appointmentscheduled", "qualifiedtobuy", "contractsent"]


def ts(day, sec=0):
    return f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}T{(sec // 3600) % 24:02d}:{(sec // 60) % 60:02d}:{sec % 60:02d}.000Z"


companies, deals, lines = [], [], []
nameless = set()
for i in range(N_COMPANIES):
    cid = str(5000 + i)
    city, state, country, cur = PLACES[i % len(PLACES)]
    name = f"{WORDS[i % 20]} {WORDS[(i // 20 + 7) % 20]} {KINDS[(i * 3) % 10]}"
    phone = {"New Zealand": f"+64 9 {rng.randint(300, 399)} {rng.randint(1000, 9999)}",
             "Australia": f"(02) {rng.randint(8000, 9999)} {rng.randint(1000, 9999)}" if state == "NSW" else f"+61 3 {rng.randint(9000, 9999)} {rng.randint(1000, 9999)}",
             "United Kingdom": f"+44 20 {rng.randint(7000, 7999)} {rng.randint(1000, 9999)}",
             "United States": f"+1 512-{rng.randint(200, 899)}-{rng.randint(1000, 9999)}",
             "Canada": f"+1 416 {rng.randint(200, 899)} {rng.randint(1000, 9999)}",
             "Germany": f"+49 30 {rng.randint(1000000, 9999999)}"}[country]
    if i % 17 == 5:
        name, _ = "   ", nameless.add(cid)          # blank name: Xero requires one
    elif i % 13 == 4:
        name = f"  {name}  "                        # padded: trimmed
    if i % 11 == 7:
        phone = "call reception"                   # not a phone number: left out
    if i in (40, 41):
        name = "Harbor Kestrel Trading"            # two companies, one name: Xero keeps the first
    props = {"name": name, "domain": f"{name.strip().lower().replace(' ', '')}.example" if name.strip() else "",
             "phone": phone, "city": city, "state": state, "country": country if i % 19 != 3 else "",
             "createdate": ts(i % 200), "hs_lastmodifieddate": ts(i % 200, 60)}
    companies.append({"id": cid, "properties": props})

for i in range(N_DEALS):
    did = str(90000 + i)
    company = companies[(i * 5) % N_COMPANIES]
    stage = STAGES[i % len(STAGES)]
    cur = next(p[3] for p in PLACES if p[2] == company["properties"]["country"]) if company["properties"]["country"] else ""
    props = {"dealname": f"{company['properties']['name'].strip() or 'Unnamed'} - {['Renewal', 'New business', 'Expansion'][i % 3]} {2026}",
             "dealstage": stage, "pipeline": "default", "closedate": ts(i % 300, 3600),
             "deal_currency_code": cur,
             "createdate": ts(i % 300), "hs_lastmodifieddate": ts(i % 300, 7200)}
    assoc = {"companies": [company["id"]], "line_items": []}
    if i % 23 == 9:
        del assoc["companies"]                        # no company: cannot be invoiced
    elif i % 29 == 11:
        del assoc["companies"]                        # its company was deleted: no association left
    if i % 31 == 7:
        props["deal_currency_code"] = "XYZ"           # not a currency Xero knows: held
    n_lines = 0 if i % 19 == 2 else 1 + i % 4          # no line items: refused
    total = 0
    for j in range(n_lines):
        sku = SKUS[(i + j * 3) % len(SKUS)]
        qty = str(1 + (i + j) % 5)
        price = PRICES[sku]
        if (i + j) % 37 == 5:
            sku = "LEGACY-9"                          # a SKU the table does not know: held
        if (i + j) % 9 == 4:
            qty = qty + ".0"                          # as HubSpot's UI saves it sometimes
        lp = {"name": f"{sku} x{qty}", "hs_sku": sku, "quantity": qty, "price": price,
              "createdate": ts(i % 300), "hs_lastmodifieddate": ts(i % 300, 7300 + j)}
        if (i + j) % 41 == 13:
            lp["price"] = ""                          # a line without a price: held
        if (i + j) % 7 == 3:
            lp["hs_discount_percentage"] = "10"
        total += float(qty) * float(price)
        assoc["line_items"].append(str(700000 + len(lines)))
        lines.append({"id": str(700000 + len(lines)), "properties": lp})
    amount = f"{total:.2f}"
    if i % 43 == 6:
        amount = ""                                   # no amount: not closed-won business
    elif i % 47 == 8:
        amount = "0"
    props["amount"] = amount
    deals.append({"id": did, "properties": props, "associations": assoc})

items = [{"Code": r["itemCode"], "Name": r["itemCode"].replace("-", " ").title(), "IsSold": True,
          "SalesDetails": {"UnitPrice": PRICES[r["sku"]], "AccountCode": "200"}}
         for r in csv.DictReader(open(os.path.join(EXAMPLE, "tables", "sku_to_item.csv")))]


def write(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r, sort_keys=False) + "\n")


write(os.path.join(HERE, "hubspot", "companies.jsonl"), companies)
write(os.path.join(HERE, "hubspot", "deals.jsonl"), deals)
write(os.path.join(HERE, "hubspot", "line_items.jsonl"), lines)
write(os.path.join(HERE, "xero", "Item.jsonl"), items)
print(len(companies), "companies,", len(deals), "deals,", len(lines), "line items,", len(items), "items")
