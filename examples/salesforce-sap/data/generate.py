#!/usr/bin/env python3
"""Generates the example's Salesforce export (data/crm/*.jsonl), deterministically.

    python3 data/generate.py        # rewrites data/crm/ from the fixed seed

A global manufacturer with subsidiaries in the US, Germany, the UK, France and Japan (see
tables/sales_area_by_subsidiary.csv). The data is deliberately dirty, like a real org's:
blank or over-long names, country spellings ("Deutschland", "U.S.A.", "Untied States"),
countries with no subsidiary, accounts that name their subsidiary explicitly, opportunities
without a currency or with one that is not the account's, missing, negative and zero amounts, opportunities whose
account is missing or dangling, unknown product codes, duplicated line items, quantities as
strings. The counts each rule produces are printed; expected_summary.json records what the spec
makes of them."""
import collections
import json
import os
import random

SEED = 20261206
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "crm")

COUNTRIES = [  # (spelling in the CRM, weight)
    ("United States", 20), ("USA", 10), ("US", 6), ("U.S.A.", 2), ("Untied States", 1),
    ("Germany", 10), ("Deutschland", 5), ("DE", 2),
    ("United Kingdom", 6), ("UK", 5), ("GB", 2),
    ("France", 5), ("FR", 2),
    ("Japan", 4), ("JP", 1),
    ("Brazil", 2), ("Australia", 2),      # no subsidiary: held for review
    ("Europe", 1), ("--", 1),             # not a country: held
]
CURRENCY = {"United States": "USD", "USA": "USD", "US": "USD", "U.S.A.": "USD", "Untied States": "USD",
            "Germany": "EUR", "Deutschland": "EUR", "DE": "EUR", "France": "EUR", "FR": "EUR",
            "United Kingdom": "GBP", "UK": "GBP", "GB": "GBP", "Japan": "JPY", "JP": "JPY",
            "Brazil": "BRL", "Australia": "AUD", "Europe": "EUR", "--": "USD"}
SUBSIDIARIES = ["Crmx Inc", "Crmx GmbH", "Crmx UK Ltd", "Crmx SAS", "Crmx KK"]
SKUS = ["TG11", "TG12", "TG14", "FG126", "FG228", "SRV-INST", "SRV-MAINT", "MZ-FG-R100"]
PRODUCT = {"TG11": "Trading good 11", "TG12": "Trading good 12", "TG14": "Trading good 14",
           "FG126": "Finished good 126", "FG228": "Finished good 228", "SRV-INST": "Installation service",
           "SRV-MAINT": "Maintenance service", "MZ-FG-R100": "Bike R100"}
UNKNOWN_SKUS = ["LEGACY-01", "TG99"]
STAGES = [("Closed Won", 55), ("Closed Lost", 15), ("Prospecting", 10), ("Negotiation/Review", 10),
          ("Proposal/Price Quote", 10)]
WORDS = ["Nordwind", "Bluefield", "Kaiser", "Harbor", "Summit", "Sakura", "Lumiere", "Granite", "Pioneer",
         "Atlas", "Riverbend", "Alpen", "Thames", "Orchid", "Cobalt", "Meridian", "Falcon", "Birch"]
SUFFIX = {"EUR": ["GmbH", "AG", "SAS", "SARL"], "GBP": ["Ltd", "PLC"], "JPY": ["KK", "Co., Ltd."],
          "USD": ["Inc.", "LLC", "Corp."], "BRL": ["Ltda"], "AUD": ["Pty Ltd"]}
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def sfid(r, prefix):
    return prefix + "Hp" + "".join(r.choice(ALNUM) for _ in range(10)) + "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3))


def weighted(r, pairs):
    return r.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def main():
    r = random.Random(SEED)
    dirty = collections.Counter()
    accounts, opps, lines = [], [], []
    stamp = "2026-11-%02dT%02d:%02d:00.000+0000"
    for i in range(160):
        country = weighted(r, COUNTRIES)
        cur = CURRENCY[country]
        name = f"{r.choice(WORDS)} {r.choice(WORDS)} {r.choice(SUFFIX[cur])}"
        a = {"Id": sfid(r, "001"), "Name": name, "BillingCountry": country, "ShippingCountry": country,
             "BillingCity": r.choice(["Boston", "Walldorf", "London", "Lyon", "Osaka", "Austin"]),
             "Phone": "+1 617 555 %04d" % r.randrange(10000), "CurrencyIsoCode": cur,
             "Subsidiary__c": None, "LastModifiedDate": stamp % (1 + i % 28, i % 24, i % 60)}
        a["SystemModstamp"] = a["LastModifiedDate"]
        roll = r.random()
        if roll < 0.04:
            a["Name"] = "  "; dirty["account_name_blank"] += 1
        elif roll < 0.07:
            a["Name"] = None; dirty["account_name_missing"] += 1
        elif roll < 0.10:
            a["Name"] = " " + name + "  "; dirty["account_name_stray_ws"] += 1
        elif roll < 0.12:
            a["Name"] = name + " Holdings International Worldwide Group"; dirty["account_name_long"] += 1
        roll = r.random()
        if roll < 0.06:
            a["Subsidiary__c"] = r.choice(SUBSIDIARIES); dirty["account_subsidiary_set"] += 1
        elif roll < 0.09:
            a["BillingCountry"] = None; dirty["account_billing_country_missing"] += 1
        elif roll < 0.11:
            a["BillingCountry"] = a["ShippingCountry"] = None; dirty["account_no_country"] += 1
        if r.random() < 0.1:
            a["Phone"] = r.choice([None, "n/a", "555-0100"]); dirty["account_bad_phone"] += 1
        dirty["account_country:" + str(a["BillingCountry"] or a["ShippingCountry"])] += 1
        accounts.append(a)
    # Two exact duplicates of existing accounts' names (a second record, its own Id).
    for src in accounts[5:7]:
        d = dict(src); d["Id"] = sfid(r, "001"); accounts.append(d); dirty["account_duplicate_name"] += 1

    for i in range(240):
        acc = r.choice(accounts)
        stage = weighted(r, STAGES)
        amount = round(r.uniform(800, 90000), 2)
        o = {"Id": sfid(r, "006"), "AccountId": acc["Id"], "Name": f"{acc['Name'] or 'Unnamed'} - Order {i + 1}".strip(),
             "StageName": stage, "Amount": amount, "CurrencyIsoCode": acc["CurrencyIsoCode"],
             "CloseDate": "2026-%02d-%02d" % (1 + i % 11, 1 + i % 28), "IsWon": stage == "Closed Won",
             "IsClosed": stage.startswith("Closed"), "LastModifiedDate": stamp % (1 + i % 28, i % 24, (i * 7) % 60)}
        o["SystemModstamp"] = o["LastModifiedDate"]
        roll = r.random()
        if roll < 0.06:
            o["CurrencyIsoCode"] = None; dirty["opp_currency_missing"] += 1
        elif roll < 0.10:
            o["CurrencyIsoCode"] = r.choice(["USD", "EUR", "GBP", "JPY"]); dirty["opp_currency_other"] += 1
        roll = r.random()
        if roll < 0.03:
            o["Amount"] = 0.0; dirty["opp_amount_zero"] += 1
        elif roll < 0.05:
            o["Amount"] = -amount; dirty["opp_amount_negative"] += 1
        elif roll < 0.09:
            o["Amount"] = None; dirty["opp_amount_missing"] += 1
        roll = r.random()
        if roll < 0.03:
            o["AccountId"] = None; dirty["opp_no_account"] += 1
        elif roll < 0.05:
            o["AccountId"] = sfid(r, "001"); dirty["opp_dangling_account"] += 1
        opps.append(o)
        for n in range(r.choice([1, 1, 2, 2, 3])):
            sku = r.choice(SKUS)
            if r.random() < 0.04:
                sku = r.choice(UNKNOWN_SKUS); dirty["line_unknown_sku"] += 1
            qty = float(r.choice([1, 2, 3, 5, 10, 25]))
            li = {"Id": sfid(r, "00k"), "OpportunityId": o["Id"], "ProductCode": sku, "Quantity": qty,
                  "UnitPrice": round(r.uniform(50, 5000), 2), "Name": f"{o['Name']} {PRODUCT.get(sku, 'Legacy part')} {sku}"[:80],
                  "SortOrder": n + 1, "CurrencyIsoCode": o["CurrencyIsoCode"]}
            if r.random() < 0.04:
                li["ProductCode"] = None; dirty["line_no_product_code"] += 1
            lines.append(li)
            if r.random() < 0.03:
                d = dict(li); d["Id"] = sfid(r, "00k"); lines.append(d); dirty["line_duplicate"] += 1
    os.makedirs(OUT, exist_ok=True)
    for name, rows in [("Account", accounts), ("Opportunity", opps), ("OpportunityLineItem", lines)]:
        with open(os.path.join(OUT, name + ".jsonl"), "w") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    print(json.dumps({"accounts": len(accounts), "opportunities": len(opps), "lines": len(lines),
                      "dirty": dict(sorted(dirty.items()))}, indent=1))


if __name__ == "__main__":
    main()
