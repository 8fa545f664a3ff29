#!/usr/bin/env python3
"""Writes data/crm/*.jsonl and ../expected_summary.json: a deterministic, deliberately dirty Salesforce export for the
salesforce-oracle example (run from anywhere: `python3 data/generate.py`). No clock, fixed seed.

The record shape, ids (18 characters with the case-safe checksum) and value formats are the acme
example's (examples/acme-salesforce-netsuite/data/generate.py, whose helpers this imports), and
every field is a field of the acme example's Salesforce describes, which this example reuses.

Dirty on purpose (counts are printed at the end and kept in ../expected_summary.json's `dirty_rows`):
- Account: blank or empty names, stray white space, no country at all, the country only in
  ShippingCountry, the country spelled many ways, countries Oracle's Country list does not have
  (IE, NL, MX), countries nobody knows ("Untied States", "N/A"), duplicates (the same company twice,
  different Ids), phones in odd formats, JP/AU/CH accounts (valid in Oracle, but with no business unit).
- Opportunity: open and lost stages, zero and negative amounts, no AccountId, an AccountId that is
  not in the export, a null CurrencyIsoCode (the order takes the account country's currency).
- OpportunityLineItem: product codes missing from tables/sku_to_item.csv."""
import csv
import importlib.util
import json
import os
import random
from collections import Counter
from datetime import datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.dirname(HERE)
ACME = os.path.join(EXAMPLE, "..", "acme-salesforce-netsuite", "data", "generate.py")
_spec = importlib.util.spec_from_file_location("acme_generate", ACME)
acme = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(acme)
# std.geo knows every ISO country; the acme helpers list the ones that example needs, plus CH here.
acme.COUNTRY_ALIASES["CH"] = ["CH", "CHE", "Switzerland"]
acme.CURRENCY_BY_COUNTRY["CH"] = "CHF"
acme._COUNTRY.update({acme._norm(a): "CH" for a in acme.COUNTRY_ALIASES["CH"]})

SEED = 20261206
N_ACCOUNTS = 160
N_OPPORTUNITIES = 240

COUNTRY_SPELLINGS = [  # (spelling, weight)
    ("United States", 30), ("USA", 12), ("US", 8), ("usa", 2), ("Canada", 12), ("CA", 4),
    ("United Kingdom", 8), ("UK", 6), ("Germany", 8), ("Deutschland", 3), ("France", 6), ("FR", 2),
    ("Japan", 3), ("Australia", 3), ("CH", 2),            # in Oracle's list, no business unit
    ("Ireland", 2), ("Netherlands", 2), ("Mexico", 1),   # not in Oracle's Country list
    ("Untied States", 1), ("N/A", 1),                    # nobody knows
]
CURRENCY = {"US": "USD", "CA": "CAD", "GB": "GBP", "DE": "EUR", "FR": "EUR", "JP": "USD", "AU": "USD",
            "CH": "USD", "IE": "EUR", "NL": "EUR", "MX": "USD", None: "USD"}
NAME_A = ["Brightwater", "Northgate", "Silverline", "Redstone", "Bluefield", "Oakridge", "Ironbridge",
          "Summit", "Copperleaf", "Westbrook", "Harborview", "Pinecrest", "Stonegate", "Clearwater"]
NAME_B = ["Logistics", "Energy", "Foods", "Health", "Systems", "Manufacturing", "Analytics", "Retail"]
CITIES = {"US": "Austin", "CA": "Toronto", "GB": "London", "DE": "Munich", "FR": "Paris", "JP": "Osaka",
          "AU": "Sydney", "CH": "Zurich", "IE": "Dublin", "NL": "Rotterdam", "MX": "Monterrey", None: "Springfield"}
PHONES = {"US": "(512) 555-{0:04d}", "CA": "416-555-{0:04d}", "GB": "020 7946 {0:04d}", "DE": "089 1234 {0:04d}",
          "FR": "01 42 68 {0:04d}", "JP": "06-6345-{0:04d}", "AU": "(02) 9374 {0:04d}", "CH": "044 668 {0:04d}"}
ODD_PHONES = ["555.{0:04d}", "n/a", "ext {0:04d}", "+1 512 555 {0:04d} x12"]
UNKNOWN_SKUS = ["GC9999", "LEGACY-01", "SL9060"]


def main():
    rng = random.Random(SEED)
    ids = acme.Ids(rng)
    d = acme.load_describes()
    skus = [r["sku"] for r in csv.DictReader(open(os.path.join(EXAMPLE, "tables", "sku_to_item.csv")))]
    owner = "005Hp0000I0EtKiIQK"
    t0 = datetime(2026, 9, 1, 8, 0, 0)
    dirty = Counter()
    spellings = [s for s, w in COUNTRY_SPELLINGS for _ in range(w)]

    # ------------------------------------------------------------------ products
    products = {}
    for code in skus + UNKNOWN_SKUS:
        products[code] = acme.ordered(d["Product2"], {
            "Id": ids.new("01t"), "Name": "Product " + code, "ProductCode": code, "IsActive": True,
            "Family": "Hardware" if code.startswith("GC") else "Software" if code.startswith("SL") else "Services",
            "CurrencyIsoCode": "USD", "StockKeepingUnit": code, "IsArchived": False, "IsDeleted": False,
            "CreatedDate": acme.sf_datetime(t0), "CreatedById": owner, "LastModifiedDate": acme.sf_datetime(t0),
            "LastModifiedById": owner, "SystemModstamp": acme.sf_datetime(t0)})

    # ------------------------------------------------------------------ accounts
    accounts = []
    for i in range(N_ACCOUNTS):
        name = f"{rng.choice(NAME_A)} {rng.choice(NAME_B)} {i:03d}"
        billing = rng.choice(spellings)
        shipping = billing
        r = rng.random()
        if i % 23 == 5:
            name, _ = ("" if i % 2 else "   "), dirty.update(["name_blank"])
        elif i % 17 == 3:
            name, _ = f"  {name} ", dirty.update(["name_stray_ws"])
        if i % 29 == 7:
            billing = shipping = None
            dirty["no_country"] += 1
        elif i % 19 == 11:
            billing = None
            dirty["shipping_country_only"] += 1
        code = acme.country_code(billing or shipping or "")
        phone = PHONES.get(code, "{0:04d}").format(rng.randrange(10000))
        if r < 0.15:
            phone = None
            dirty["phone_missing"] += 1
        elif r > 0.9:
            phone = rng.choice(ODD_PHONES).format(rng.randrange(10000))
            dirty["phone_odd_format"] += 1
        dirty["country:" + str(billing)] += 1
        t = t0 + timedelta(minutes=37 * i)
        accounts.append(acme.ordered(d["Account"], {
            "Id": ids.new("001"), "IsDeleted": False, "Name": name, "Type": "Customer - Direct",
            "BillingStreet": f"{rng.randrange(1, 999)} Market Street", "BillingCity": CITIES.get(code, "Springfield"),
            "BillingPostalCode": f"{rng.randrange(10000, 99999)}", "BillingCountry": billing,
            "ShippingCountry": shipping, "Phone": phone,
            "Website": f"www.{name.strip().split(' ')[0].lower() or 'example'}.example.com",
            "AnnualRevenue": float(rng.randrange(1, 500) * 100000) if r < 0.7 else None,
            "CurrencyIsoCode": CURRENCY.get(code, "USD") if CURRENCY.get(code) in ("USD", "CAD", "GBP", "EUR") else "USD",
            "OwnerId": owner, "CreatedDate": acme.sf_datetime(t), "CreatedById": owner,
            "LastModifiedDate": acme.sf_datetime(t), "LastModifiedById": owner, "SystemModstamp": acme.sf_datetime(t)}))
    # duplicates: the same company entered twice (a second Id): Oracle gets two customer accounts
    # (matched by SourceSystemReferenceValue, the Salesforce Id), as a CRM duplicate must be merged there.
    for j in (10, 40, 90):
        dup = dict(accounts[j])
        dup["Id"] = ids.new("001")
        dup["Name"] = dup["Name"].upper()
        accounts.append(dup)
        dirty["duplicate_company"] += 1

    # ------------------------------------------------------------------ opportunities and lines
    stages = [("Closed Won", 55), ("Closed Lost", 15), ("Negotiation/Review", 10), ("Prospecting", 10),
              ("Qualification", 10)]
    stage_pick = [s for s, w in stages for _ in range(w)]
    opps, items = [], []
    for i in range(N_OPPORTUNITIES):
        acc = rng.choice(accounts)
        stage = rng.choice(stage_pick)
        account_id = acc["Id"]
        if i % 41 == 9:
            account_id = None
            dirty["opp_no_account"] += 1
        elif i % 53 == 17:
            account_id = ids.new("001")   # deleted or not exported
            dirty["opp_dangling_account"] += 1
        currency = acc["CurrencyIsoCode"]
        if i % 31 == 4:
            currency = None
            dirty["opp_null_currency"] += 1
        t = t0 + timedelta(days=20, minutes=53 * i)
        oid = ids.new("006")
        total = 0
        n_lines = 1 + rng.randrange(3)
        for k in range(n_lines):
            code = rng.choice(skus)
            if i % 37 == 12 and k == 0:
                code = rng.choice(UNKNOWN_SKUS)
                dirty["line_unknown_sku"] += 1
            qty, price = float(rng.randrange(1, 20)), float(rng.choice([380, 1450, 2400, 900, 120]))
            total += qty * price
            items.append(acme.ordered(d["OpportunityLineItem"], {
                "Id": ids.new("00k"), "OpportunityId": oid, "SortOrder": k + 1, "Product2Id": products[code]["Id"],
                "ProductCode": code, "Name": "Line " + code, "CurrencyIsoCode": currency, "Quantity": qty,
                "TotalPrice": qty * price, "UnitPrice": price, "ListPrice": price, "IsDeleted": False,
                "CreatedDate": acme.sf_datetime(t), "CreatedById": owner, "LastModifiedDate": acme.sf_datetime(t),
                "LastModifiedById": owner, "SystemModstamp": acme.sf_datetime(t)}))
        amount = total
        if i % 43 == 21:
            amount = 0.0
            dirty["opp_zero_amount"] += 1
        elif i % 47 == 30:
            amount = -total
            dirty["opp_negative_amount"] += 1
        won, closed = stage == "Closed Won", stage.startswith("Closed")
        opps.append(acme.ordered(d["Opportunity"], {
            "Id": oid, "IsDeleted": False, "AccountId": account_id, "IsPrivate": False,
            "Name": f"{acc['Name'].strip() or 'Unnamed'} - order {i:03d}", "StageName": stage, "Amount": amount,
            "Probability": 100.0 if won else 0.0 if closed else 50.0, "CloseDate": t.strftime("%Y-%m-%d"),
            "IsClosed": closed, "IsWon": won, "ForecastCategory": "Closed" if won else "Omitted" if closed else "Pipeline",
            "ForecastCategoryName": "Closed" if won else "Omitted" if closed else "Pipeline",
            "CurrencyIsoCode": currency, "HasOpportunityLineItem": True, "OwnerId": owner,
            "CreatedDate": acme.sf_datetime(t), "CreatedById": owner, "LastModifiedDate": acme.sf_datetime(t),
            "LastModifiedById": owner, "SystemModstamp": acme.sf_datetime(t),
            "ERP_Status__c": None, "ERP_Order_Number__c": None}))
        dirty["stage:" + stage] += 1

    for name, rows in (("Account", accounts), ("Opportunity", opps), ("OpportunityLineItem", items),
                       ("Product2", list(products.values()))):
        with open(os.path.join(HERE, "crm", name + ".jsonl"), "w", encoding="utf-8") as f:
            for r in rows:
                f.write(acme.dumps(r) + "\n")
    write_expected(accounts, opps, items, skus, dirty)


# --------------------------------------------------------------------------- expected outcomes
# What the spec must do with these records, computed here without crmx (the spec's rules, in
# Python): buckets, reasons and records by Id. `contact:no_phone` (e164 is libphonenumber's
# judgement) is the one figure taken from a run rather than computed.
ORACLE_COUNTRIES = {"US", "CA", "GB", "DE", "FR", "JP", "AU", "CH"}
PHONE_FLAGS_FROM_RUN = 25


def bucket(records):
    by = Counter(r for rec in records for r in rec["reasons"][:1])
    return {"count": len(records), "by_reason": dict(sorted(by.items())), "records": records}


def write_expected(accounts, opps, items, skus, dirty):
    business_units = {r["country"]: r["business_unit"] for r in csv.DictReader(
        open(os.path.join(EXAMPLE, "tables", "business_units.csv")))}
    acc_out, dq, held, written = {}, [], [], 0
    for line, a in enumerate(accounts, 1):
        reasons = []
        if (a["Name"] or "").strip() == "":
            reasons.append("missing Name")
        if a["BillingCountry"] is None and a["ShippingCountry"] is None:
            reasons.append("no country")
        if reasons:
            dq.append({"Id": a["Id"], "line": line, "reasons": reasons})
            acc_out[a["Id"]] = "data-quality"
            continue
        cc = acme.country_code(a["BillingCountry"] or a["ShippingCountry"])
        reason = "Unknown country" if cc is None else None if cc in ORACLE_COUNTRIES else "Country not set up in Oracle"
        if reason:
            held.append({"Id": a["Id"], "line": line, "reasons": [reason]})
            acc_out[a["Id"]] = "held"
            continue
        acc_out[a["Id"]] = "written"
        written += 1
    accounts_summary = {"input_lines": len(accounts), "written": written, "skipped": {"count": 0, "by_reason": {}},
                        "data_quality": bucket(dq), "held": bucket(held), "waiting": bucket([]), "error": bucket([]),
                        "flags_on_written": {"contact:no_phone": PHONE_FLAGS_FROM_RUN}}

    by_id = {a["Id"]: a for a in accounts}
    lines_of = {}
    for li in items:
        lines_of.setdefault(li["OpportunityId"], []).append(li)
    dq, held, waiting, written, n_lines, from_account, orders = [], [], [], 0, 0, 0, []
    selected = [(n, o) for n, o in enumerate(opps, 1) if o["StageName"] == "Closed Won" and (o["Amount"] or 0) > 0]
    for line, o in selected:
        rec = {"Id": o["Id"], "line": line}
        if o["AccountId"] is None:
            dq.append(dict(rec, reasons=["no account"]))
            continue
        state = acc_out.get(o["AccountId"])
        if state != "written":
            waiting.append(dict(rec, reasons=[{None: "account not found", "data-quality": "account data-quality",
                                               "held": "account held"}[state]]))
            continue
        a = by_id[o["AccountId"]]
        country = a["BillingCountry"] or a["ShippingCountry"]
        reasons = []
        if acme.country_code(country) not in business_units:
            reasons.append("No business unit")
        if o["CurrencyIsoCode"] is None and acme.currency_of(country) is None:
            reasons.append("Unknown currency")
        if any(li["ProductCode"] not in skus for li in lines_of.get(o["Id"], [])):
            reasons.append("Unknown SKU")
        if reasons:
            held.append(dict(rec, reasons=reasons[:1]))
            continue
        written += 1
        n_lines += len(lines_of.get(o["Id"], []))
        from_account += o["CurrencyIsoCode"] is None
        orders.append(o["Id"])
    orders_summary = {"input_lines": len(selected), "written": written, "skipped": {"count": 0, "by_reason": {}},
                      "data_quality": bucket(dq), "held": bucket(held), "waiting": bucket(waiting),
                      "error": bucket([]), "flags_on_written": {"currency:from_account": from_account} if from_account else {},
                      "order_lines_written": n_lines}
    summary = {
        "note": "written by data/generate.py from the spec's rules, not by crmx; the e2e test "
                "tests/e2e/http/example_salesforce_oracle_http.py compares a run against the emulators with it. "
                "input_lines of won_to_order counts only closed-won opportunities with a positive amount: the "
                "sync's `when` is pushed down to Salesforce (SOQL), so the others are never read.",
        "maps": {
            "account_to_customer": accounts_summary,
            "won_to_order": orders_summary,
            "order_status_back": {"note": "runs on the orders won_to_order wrote (SourceTransactionSystem SFDC): "
                                          "one Opportunity update (ERP_Status__c, ERP_Order_Number__c) each",
                                  "input_lines": written, "written": written},
        },
        "oracle": {"accounts": accounts_summary["written"], "salesOrdersForOrderHub": written, "order_lines": n_lines},
        "dirty_rows": dict(sorted(dirty.items())),
    }
    with open(os.path.join(EXAMPLE, "expected_summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
