#!/usr/bin/env python3
"""Generates the example's Salesforce sample data and the outcome a correct run must produce.

    python3 generate.py              # rewrites crm/*.jsonl and expected_summary.json beside it
    python3 generate.py --out DIR    # writes them under DIR instead (the data test compares)

Deterministic: a fixed seed, no clock, no environment. The same script gives byte-identical files.

The records have the shape of Salesforce REST API query results (`GET .../query?q=SELECT ...`):
one JSON object per line holding every field of the object's describe in schemas/salesforce/, in
describe order, `null` for empty values. Left out: the per-record `attributes` envelope (type and
url; the file name gives the type) and the compound address fields (they repeat their components). Dirty rows are made on purpose; each is tagged while it is made, and
the outcome of every record is then computed by evaluating acme.crmx's rules on the record
(`evaluate_accounts`, `evaluate_opportunities`), with the library semantics spelled out below
(`country_code`, `state_code`, `currency_of`). The README's "data/" section documents the rules.
"""

import argparse
import csv
import json
import os
import random
import sys
from collections import Counter, OrderedDict
from datetime import date, datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.dirname(HERE)
SEED = 20240119

N_ACCOUNTS = 300          # lines of Account.jsonl, the malformed one included
N_OPPORTUNITIES = 400
MALFORMED_ACCOUNT_LINE = 137   # 1-based line number in Account.jsonl

# --------------------------------------------------------------------------- library semantics
# The reference semantics of the std functions the spec calls, as far as this data needs them.
# Matching is exact after trimming white space and ignoring case; nothing is fuzzy ("Germny" and
# "Untied States" are unknown). The data only uses values listed here or values no reasonable
# table knows ("N/A", "Europe"), so a runtime with a fuller table computes the same outcomes.

COUNTRY_ALIASES = {
    "US": ["US", "USA", "United States", "United States of America", "U.S.A."],
    "CA": ["CA", "CAN", "Canada"],
    "GB": ["GB", "GBR", "UK", "United Kingdom", "Great Britain"],
    "DE": ["DE", "DEU", "Germany", "Deutschland"],
    "FR": ["FR", "FRA", "France"],
    "NL": ["NL", "NLD", "Netherlands"],
    "IE": ["IE", "IRL", "Ireland"],
    "JP": ["JP", "JPN", "Japan"],
    "AU": ["AU", "AUS", "Australia"],
    "MX": ["MX", "MEX", "Mexico"],
    "BR": ["BR", "BRA", "Brazil"],
}
CURRENCY_BY_COUNTRY = {"US": "USD", "CA": "CAD", "GB": "GBP", "DE": "EUR", "FR": "EUR", "NL": "EUR",
                       "IE": "EUR", "JP": "JPY", "AU": "AUD", "MX": "MXN", "BR": "BRL"}
UNKNOWN_COUNTRIES = ["Untied States", "N/A", "Europe", "Unknown", "Germny", "--"]

US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}
CA_PROVINCES = {
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories",
    "NU": "Nunavut", "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec",
    "SK": "Saskatchewan", "YT": "Yukon",
}
UNKNOWN_STATES = ["Calif.", "N/A", "--", "Cali", "Tex"]


def _norm(s):
    return s.strip().casefold()


_COUNTRY = {_norm(a): code for code, aliases in COUNTRY_ALIASES.items() for a in aliases}
_STATE = {}
for _table in (US_STATES, CA_PROVINCES):
    for _code, _name in _table.items():
        _STATE[_norm(_code)] = _code
        _STATE[_norm(_name)] = _code


def country_code(text):
    """ISO 3166-1 alpha-2 code, or None (null or failure: the `??` takes the alternative)."""
    return None if text is None else _COUNTRY.get(_norm(text))


def state_code(text):
    """US state / DC / Canadian province code from a code or an English name, or None."""
    return None if text is None else _STATE.get(_norm(text))


def currency_of(text):
    code = country_code(text)
    return None if code is None else CURRENCY_BY_COUNTRY.get(code)


def read_skus():
    with open(os.path.join(EXAMPLE, "tables", "sku_to_item.csv"), newline="") as f:
        return OrderedDict((row["sku"], row["itemId"]) for row in csv.DictReader(f))


SUBSIDIARY_BY_COUNTRY = {"US": "Acme Inc", "CA": "Acme Canada", "GB": "Acme UK Ltd", "DE": "Acme GmbH"}

# --------------------------------------------------------------------------- ids and values
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CHECK = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def id18(id15):
    """The 18-character form of a 15-character Salesforce id (the case-safe checksum suffix)."""
    suffix = ""
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        bits = sum(1 << i for i, c in enumerate(chunk) if "A" <= c <= "Z")
        suffix += CHECK[bits]
    return id15 + suffix


class Ids:
    def __init__(self, rng):
        self.rng = rng
        self.seen = set()

    def new(self, prefix):
        while True:
            tail = "".join(self.rng.choice(B62) for _ in range(6))
            i = id18(prefix + "Hp" + "000" + "0" + tail)
            if i not in self.seen:
                self.seen.add(i)
                return i


def sf_datetime(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def money(cents):
    """A currency value as the REST API prints it: a JSON number, at most 2 decimals."""
    return float(f"{cents / 100:.2f}") if cents % 100 else float(cents // 100)


# --------------------------------------------------------------------------- word lists
NAME_A = ["Brightwater", "Northgate", "Silverline", "Redstone", "Bluefield", "Oakridge", "Ironbridge",
          "Clearpath", "Summit", "Harborview", "Granite", "Westbrook", "Pinecrest", "Riverbend",
          "Stonegate", "Maplewood", "Eastwind", "Lakeshore", "Highland", "Copperleaf", "Fairhaven",
          "Kingsford", "Meridian", "Blackrock", "Goldcrest", "Windmill", "Cedarline", "Foxhollow",
          "Larkspur", "Thornbury", "Ashgrove", "Bramble", "Crescent", "Driftwood", "Elmstead"]
NAME_B = ["Logistics", "Energy", "Foods", "Health", "Systems", "Manufacturing", "Analytics",
          "Retail", "Construction", "Labs", "Utilities", "Transport", "Media", "Farms", "Robotics",
          "Telecom", "Hospitality", "Engineering", "Supply", "Works"]
SUFFIX = {"US": ["Inc.", "LLC", "Corp.", "Co.", ""], "CA": ["Inc.", "Ltd.", "Corp.", ""],
          "GB": ["Ltd", "PLC", "Limited", ""], "DE": ["GmbH", "AG", "GmbH & Co. KG", ""],
          "FR": ["SA", "SAS", ""], "NL": ["B.V.", "N.V."], "IE": ["Ltd", "DAC"], "JP": ["K.K.", "Co., Ltd."],
          "AU": ["Pty Ltd", ""], "MX": ["S.A. de C.V.", ""], "BR": ["Ltda.", "S.A."]}
CITIES = {
    "US": [("San Francisco", "CA", "941"), ("Austin", "TX", "787"), ("Denver", "CO", "802"),
           ("Chicago", "IL", "606"), ("Seattle", "WA", "981"), ("Boston", "MA", "021"),
           ("Atlanta", "GA", "303"), ("New York", "NY", "100"), ("Portland", "OR", "972"),
           ("Columbus", "OH", "432"), ("Newark", "DE", "197"), ("Phoenix", "AZ", "850"),
           ("Miami", "FL", "331"), ("Minneapolis", "MN", "554"), ("Nashville", "TN", "372")],
    "CA": [("Toronto", "ON", "M5V"), ("Vancouver", "BC", "V6B"), ("Montreal", "QC", "H3B"),
           ("Calgary", "AB", "T2P"), ("Halifax", "NS", "B3J"), ("Winnipeg", "MB", "R3C")],
    "GB": [("London", None, "EC1A"), ("Manchester", None, "M1"), ("Leeds", None, "LS1"),
           ("Bristol", None, "BS1"), ("Edinburgh", None, "EH1")],
    "DE": [("Berlin", None, "10"), ("Munich", None, "80"), ("Hamburg", None, "20"),
           ("Cologne", None, "50"), ("Frankfurt am Main", None, "60")],
    "FR": [("Paris", None, "750"), ("Lyon", None, "690")],
    "NL": [("Amsterdam", None, "10")], "IE": [("Dublin", None, "D02")],
    "JP": [("Tokyo", None, "100")], "AU": [("Sydney", None, "2000")],
    "MX": [("Monterrey", None, "640")], "BR": [("Sao Paulo", None, "01")],
}
STREETS = ["Market Street", "Harbor Way", "Mill Road", "Station Road", "King Street", "Elm Avenue",
           "Industrial Parkway", "Commerce Drive", "Bahnhofstrasse", "Queen Street", "Lake Road"]
COUNTRY_SPELLINGS = {   # (spelling, weight): how Acme's users typed the country
    "US": [("United States", 40), ("USA", 25), ("US", 15), ("United States of America", 5), ("U.S.A.", 3),
           ("usa", 2)],
    "CA": [("Canada", 30), ("CA", 8), ("CAN", 2)],
    "GB": [("United Kingdom", 25), ("UK", 15), ("GB", 5), ("Great Britain", 3)],
    "DE": [("Germany", 25), ("Deutschland", 10), ("DE", 5)],
    "FR": [("France", 1)], "NL": [("Netherlands", 1)], "IE": [("Ireland", 1)], "JP": [("Japan", 1)],
    "AU": [("Australia", 1)], "MX": [("Mexico", 1)], "BR": [("Brazil", 1)],
}
INDUSTRIES = ["Manufacturing", "Retail", "Energy", "Healthcare", "Technology", "Transportation",
              "Food & Beverage", "Construction", "Utilities", "Hospitality", "Engineering", "Finance"]
ACCOUNT_TYPES = ["Customer - Direct", "Customer - Channel", "Prospect", "Channel Partner / Reseller"]
OPEN_STAGES = [("Prospecting", 10, "Pipeline"), ("Qualification", 10, "Pipeline"),
               ("Needs Analysis", 20, "Pipeline"), ("Value Proposition", 50, "Pipeline"),
               ("Id. Decision Makers", 60, "Pipeline"), ("Perception Analysis", 70, "Pipeline"),
               ("Proposal/Price Quote", 75, "BestCase"), ("Negotiation/Review", 90, "Forecast")]
FORECAST_NAME = {"Pipeline": "Pipeline", "BestCase": "Best Case", "Forecast": "Commit", "Closed": "Closed",
                 "Omitted": "Omitted"}

# Products: the 16 SKUs of tables/sku_to_item.csv, plus products the table does not know.
PRODUCT_LINES = {"GC1": ("GridCore Controller", "Hardware", 1450), "GC3": ("GridCore Sensor Pack", "Hardware", 380),
                 "GC5": ("GridCore Gateway", "Hardware", 2900), "SL9": ("SiteLink License", "Software", 1200),
                 "IN7": ("Installation Package", "Services", 2400)}
UNKNOWN_PRODUCTS = [  # (ProductCode, Name, Family, USD list price, IsActive): not in the SKU table
    ("GC7020", "GridCore Edge 20", "Hardware", 990, True),          # launched, not yet mapped
    ("SL9080", "SiteLink License 80", "Software", 4200, True),      # launched, not yet mapped
    ("gc1040", "GridCore Controller 40 (old)", "Hardware", 1600, False),  # lower-case duplicate
    ("SVC-TRAIN", "On-site Training Day", "Services", 1800, True),
    (None, "Custom Engineering", "Services", 5000, True),          # no product code at all
]
DANGLING_PRODUCT = ("GC1010", "GridCore Controller 10", "Hardware", 900)  # archived, not exported
RATE = {"USD": 1.0, "CAD": 1.35, "GBP": 0.79, "EUR": 0.92, None: 1.0}


# --------------------------------------------------------------------------- describes
def load_describes():
    out = {}
    for name in ("Account", "Opportunity", "OpportunityLineItem", "Product2"):
        with open(os.path.join(EXAMPLE, "schemas", "salesforce", name + ".describe.json")) as f:
            out[name] = json.load(f)
    return out


# Compound fields are left out: they repeat their component fields (BillingStreet, BillingCity...),
# the Bulk API does not return them, and the spec reads the components.
OMITTED_FIELDS = {"BillingAddress", "ShippingAddress"}


def ordered(describe, values):
    """A REST record: every describe field in order (null when not given), compound fields left out."""
    names = [f["name"] for f in describe["fields"]]
    unknown = set(values) - set(names)
    assert not unknown, (describe["name"], unknown)
    rec = OrderedDict()
    for n in names:
        if n not in OMITTED_FIELDS:
            rec[n] = values.get(n)
    return rec


def address(street, city, state, postal, country):
    if all(v is None for v in (street, city, state, postal, country)):
        return None
    return OrderedDict([("city", city), ("country", country), ("geocodeAccuracy", None), ("latitude", None),
                        ("longitude", None), ("postalCode", postal), ("state", state), ("street", street)])


def dumps(rec):
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------- generation
class Gen:
    def __init__(self):
        self.rng = random.Random(SEED)
        self.ids = Ids(self.rng)
        self.desc = load_describes()
        self.skus = read_skus()
        self.users = [self.ids.new("005") for _ in range(6)]
        self.integration_user = self.ids.new("005")
        self.pricebook = self.ids.new("01s")
        self.campaigns = [self.ids.new("701") for _ in range(3)]
        self.t0 = datetime(2023, 6, 1, 8, 0, 0)

    def pick(self, weighted):
        values, weights = zip(*weighted)
        return self.rng.choices(values, weights=weights)[0]

    def audit(self, not_before=None, latest=datetime(2024, 10, 31, 18, 0, 0)):
        start = not_before or self.t0
        span = int((datetime(2024, 9, 30) - start).total_seconds())
        created = start + timedelta(seconds=self.rng.randrange(max(span, 3600)))
        modified = min(created + timedelta(seconds=self.rng.randrange(0, 90 * 86400)), latest)
        stamp = modified + timedelta(seconds=self.rng.choice([0, 0, 0, 1, 2]))
        owner = self.rng.choice(self.users)
        return created, {"OwnerId": owner, "CreatedDate": sf_datetime(created),
                         "CreatedById": self.rng.choice(self.users), "LastModifiedDate": sf_datetime(modified),
                         "LastModifiedById": self.rng.choice(self.users + [self.integration_user]),
                         "SystemModstamp": sf_datetime(stamp)}

    # ---- phone formats
    def phone(self, country, odd):
        n = self.rng.randrange(100)        # 555-0100..0199: numbers reserved for fiction
        area = self.rng.choice(["415", "512", "303", "312", "206", "617", "404", "212", "302"])
        if country in ("US", "CA"):
            if odd:
                return self.pick([(f"1({area})555-01{n:02d}", 3), (f"{area}.555.01{n:02d}", 3),
                                  (f"{area}55501{n:02d}", 2), (f"+1 {area}-555-01{n:02d}", 2),
                                  (f"{area}-555-01{n:02d} x{200 + n}", 1), ("TBD", 1), ("555-0123", 1)])
            return f"({area}) 555-01{n:02d}"
        if country == "GB":
            return f"+44 20 7946 0{n:03d}" if not odd else f"020 7946 0{n:03d}"
        if country == "DE":
            return f"+49 30 1234 56{n:02d}" if not odd else f"030/123456-{n:02d}"
        return f"+33 1 23 45 67 {n:02d}" if country == "FR" else None

    # ---- accounts
    def accounts(self):
        """Returns (records, tags): the parsed records in file order and, per Id, dirty tags."""
        rng = self.rng
        n = N_ACCOUNTS
        # Slots for deliberate dirt, spread over the file at random positions.
        plan = ["clean"] * n
        specials = (["name_empty"] * 3 + ["name_blank"] * 4 + ["name_stray_ws"] * 10 + ["name_long"] * 2 +
                    ["no_country"] * 5 + ["no_country_no_name"] * 1 + ["shipping_country_only"] * 6 +
                    ["unknown_country"] * 5 + ["unknown_country_with_subsidiary"] * 1 +
                    ["no_subsidiary_country"] * 12 + ["no_subsidiary_country_with_subsidiary"] * 2 +
                    ["subsidiary_set"] * 8 + ["state_full_name"] * 25 + ["state_messy_case"] * 6 +
                    ["state_unknown_with_shipping"] * 4 + ["state_unknown"] * 3 +
                    ["state_missing_with_shipping"] * 5)
        positions = [i for i in range(n) if i != MALFORMED_ACCOUNT_LINE - 1]
        rng.shuffle(positions)
        for kind, pos in zip(specials, positions):
            plan[pos] = kind
        plan[MALFORMED_ACCOUNT_LINE - 1] = "malformed"

        lines, records, tags = [], [], {}
        used_names = set()
        for i, kind in enumerate(plan):
            t = [] if kind == "clean" else [kind]
            country = self.pick([("US", 50), ("CA", 15), ("GB", 12), ("DE", 10)])
            if kind.startswith("no_subsidiary_country"):
                country = rng.choice(["FR", "NL", "IE", "JP", "AU", "MX", "BR"]) if kind == "no_subsidiary_country" \
                    else rng.choice(["FR", "NL", "IE"])   # overridden: a EUR country, a currency NetSuite knows
            if kind.startswith("state_"):
                country = self.pick([("US", 3), ("CA", 1)])
            while True:
                base = f"{rng.choice(NAME_A)} {rng.choice(NAME_B)}"
                if base not in used_names:
                    used_names.add(base)
                    break
            suffix = rng.choice(SUFFIX[country])
            name = f"{base} {suffix}".strip()
            if kind == "name_empty":
                name = ""
            elif kind in ("name_blank", "no_country_no_name"):
                name = rng.choice(["   ", " ", " \t "])
            elif kind == "name_stray_ws":
                name = rng.choice([f"  {name}", f"{name}  ", f" {name} ", f"{base}  {suffix}".strip() + " "])
            elif kind == "name_long":
                name = (f"{base} {suffix} - Procurement and Accounts Payable Department for North American "
                        f"Field Operations and Regional Distribution")
            city, st, postal_prefix = rng.choice(CITIES[country])
            street = f"{rng.randrange(1, 9999)} {rng.choice(STREETS)}"
            postal = postal_prefix + ("".join(rng.choice("0123456789") for _ in range(5 - len(postal_prefix)))
                                      if country in ("US", "DE", "FR") else
                                      (" " + rng.choice("123456789") + rng.choice("ABCEGHJ") + rng.choice("0123456789")
                                       if country == "CA" else ""))
            bstate = st
            if kind == "state_full_name":
                bstate = (US_STATES if country == "US" else CA_PROVINCES)[st]
            elif kind == "state_messy_case":
                bstate = rng.choice([st.lower(), f" {st}", (US_STATES if country == "US" else CA_PROVINCES)[st].lower(),
                                     (US_STATES if country == "US" else CA_PROVINCES)[st] + " "])
            elif kind in ("state_unknown_with_shipping", "state_unknown"):
                bstate = rng.choice(UNKNOWN_STATES)
            elif kind == "state_missing_with_shipping":
                bstate = None
            bcountry = self.pick(COUNTRY_SPELLINGS[country])
            if kind == "unknown_country" or kind == "unknown_country_with_subsidiary":
                bcountry = rng.choice(UNKNOWN_COUNTRIES)
            # Shipping address: a copy of billing for a third of the accounts, or required by the kind.
            ship = None
            if kind in ("state_unknown_with_shipping", "state_missing_with_shipping"):
                ship = (street, city, st, postal, bcountry)
            elif kind == "shipping_country_only":
                ship = (street, city, st, postal, self.pick(COUNTRY_SPELLINGS[country]))
            elif kind not in ("no_country", "no_country_no_name", "state_unknown") and rng.random() < 0.3:
                ship = (street, city, st if rng.random() < 0.8 else bstate, postal, bcountry)
            if kind in ("no_country", "no_country_no_name", "shipping_country_only"):
                bcountry = None
                if kind != "shipping_country_only" and rng.random() < 0.5:
                    street = city = postal = bstate = None
            terms = None if rng.random() < 0.2 else self.pick([("Net 30", 6), ("Net 15", 1), ("Net 45", 2), ("Net 60", 1)])
            if terms is None:
                t.append("terms_missing")
            subsidiary = None
            if kind == "subsidiary_set":
                subsidiary = rng.choice(list(SUBSIDIARY_BY_COUNTRY.values()))
            elif kind in ("no_subsidiary_country_with_subsidiary", "unknown_country_with_subsidiary"):
                subsidiary = "Acme GmbH"
            odd_phone = rng.random() < 0.25
            phone = None if rng.random() < 0.08 else self.phone(country, odd_phone)
            if phone is None:
                t.append("phone_missing")
            elif odd_phone and country in ("US", "CA", "GB", "DE"):
                t.append("phone_odd_format")
            created, audit = self.audit()
            cur = {"US": "USD", "CA": "CAD", "GB": "GBP", "DE": "EUR", "FR": "EUR", "NL": "EUR",
                   "IE": "EUR"}.get(country, "USD")
            website = None if rng.random() < 0.15 else \
                rng.choice(["www.", "https://www.", "http://"]) + base.lower().replace(" ", "") + ".example.com"
            v = {"Id": self.ids.new("001"), "IsDeleted": False, "Name": name,
                 "Type": rng.choice(ACCOUNT_TYPES), "ParentId": None,
                 "BillingStreet": street, "BillingCity": city, "BillingState": bstate,
                 "BillingPostalCode": postal, "BillingCountry": bcountry,
                 "BillingAddress": address(street, city, bstate, postal, bcountry),
                 "Phone": phone, "Fax": None, "AccountNumber": f"A-{10000 + i}" if rng.random() < 0.6 else None,
                 "Website": website,
                 "Industry": rng.choice(INDUSTRIES) if rng.random() < 0.9 else rng.choice([None, "n/a", "Industrial Machinery/Components"]),
                 "AnnualRevenue": float(rng.randrange(5, 5000) * 100000) if rng.random() < 0.7 else None,
                 "NumberOfEmployees": rng.randrange(5, 20000) if rng.random() < 0.7 else None,
                 "Description": None, "CurrencyIsoCode": cur, "PaymentTerms__c": terms, "Subsidiary__c": subsidiary}
            if ship:
                s_street, s_city, s_state, s_postal, s_country = ship
                v.update({"ShippingStreet": s_street, "ShippingCity": s_city, "ShippingState": s_state,
                          "ShippingPostalCode": s_postal, "ShippingCountry": s_country,
                          "ShippingAddress": address(s_street, s_city, s_state, s_postal, s_country)})
            if "Industry" in v and v["Industry"] in ("n/a", "Industrial Machinery/Components"):
                t.append("industry_not_in_picklist")
            v.update(audit)
            rec = ordered(self.desc["Account"], v)
            line = dumps(rec)
            if kind == "malformed":
                # An export cut off mid-record (a truncated write): the line is not valid JSON.
                line = line[: line.index('"BillingCity"') + 18]
                lines.append(line)
                self.malformed_account_id = rec["Id"]
                continue
            lines.append(line)
            records.append(rec)
            tags[rec["Id"]] = t
        # A few parent accounts (ParentId resolves inside the file).
        for rec in rng.sample(records, 12):
            parent = rng.choice(records)
            if parent is not rec:
                rec["ParentId"] = parent["Id"]
        lines = [l if r is None else dumps(r) for r, l in zip_records(records, lines)]
        return lines, records, tags

    # ---- products
    def products(self):
        rng = self.rng
        out = []
        for sku in self.skus:
            name, family, price = PRODUCT_LINES[sku[:3]]
            size = int(sku[4:])
            v = {"Id": self.ids.new("01t"), "Name": f"{name} {size}", "ProductCode": sku,
                 "Description": f"{name}, size {size}", "IsActive": True, "Family": family,
                 "CurrencyIsoCode": "USD", "ExternalId": None, "DisplayUrl": None,
                 "QuantityUnitOfMeasure": "Each", "StockKeepingUnit": sku, "IsArchived": False, "IsDeleted": False}
            v.update({k: a for k, a in self.audit(latest=datetime(2023, 12, 31))[1].items() if k != "OwnerId"})
            out.append((ordered(self.desc["Product2"], v), price * size // 20))
        for code, name, family, price, active in UNKNOWN_PRODUCTS:
            v = {"Id": self.ids.new("01t"), "Name": name, "ProductCode": code, "Description": None,
                 "IsActive": active, "Family": family, "CurrencyIsoCode": "USD", "ExternalId": None,
                 "DisplayUrl": None, "QuantityUnitOfMeasure": "Each", "StockKeepingUnit": code,
                 "IsArchived": False, "IsDeleted": False}
            v.update({k: a for k, a in self.audit()[1].items() if k != "OwnerId"})
            out.append((ordered(self.desc["Product2"], v), price))
        return out

    # ---- opportunities and their line items
    def opportunities(self, accounts, acct_tags, products):
        rng = self.rng
        n = N_OPPORTUNITIES
        known = [(p, price) for p, price in products if p["ProductCode"] in self.skus]
        unknown = [(p, price) for p, price in products if p["ProductCode"] not in self.skus]
        dangling_product_id = self.ids.new("01t")
        plan = ["normal"] * n
        specials = (["won_no_account"] * 4 + ["open_no_account"] * 2 + ["won_missing_account"] * 4 +
                    ["lost_missing_account"] * 1 + ["won_zero_amount"] * 5 + ["won_negative_amount"] * 3 +
                    ["open_zero_amount"] * 3 + ["won_null_currency"] * 10 + ["won_null_currency_shipping_only"] * 2 +
                    ["won_unknown_sku"] * 16 + ["won_dangling_product"] * 2 + ["open_unknown_sku"] * 4 +
                    ["won_currency_differs"] * 6)
        positions = list(range(n))
        rng.shuffle(positions)
        for kind, pos in zip(specials, positions):
            plan[pos] = kind
        by_country = {}
        for a in accounts:
            by_country.setdefault(country_code(a["BillingCountry"] or a["ShippingCountry"]), []).append(a)
        shipping_only = [a for a in accounts if a["BillingCountry"] is None and a["ShippingCountry"] is not None
                         and acct_outcome_quick(a) == "written"]
        clean_written = [a for a in accounts if acct_outcome_quick(a) == "written" and a["BillingCountry"] is not None]
        opps, lines, tags = [], [], {}
        won_target = 0.48
        for i, kind in enumerate(plan):
            t = [] if kind == "normal" else [kind]
            if kind.startswith("won_"):
                stage, prob, fc = "Closed Won", 100, "Closed"
            elif kind.startswith("lost_"):
                stage, prob, fc = "Closed Lost", 0, "Omitted"
            elif kind.startswith("open_"):
                stage, prob, fc = rng.choice(OPEN_STAGES)
            else:
                r = rng.random()
                if r < won_target:
                    stage, prob, fc = "Closed Won", 100, "Closed"
                elif r < won_target + 0.15:
                    stage, prob, fc = "Closed Lost", 0, "Omitted"
                else:
                    stage, prob, fc = rng.choice(OPEN_STAGES)
            # The account.
            if kind in ("won_no_account", "open_no_account"):
                acct = None
                account_id = None
            elif kind in ("won_missing_account", "lost_missing_account"):
                acct = None
                account_id = self.ids.new("001")    # an account that is not in the export
            elif kind == "won_null_currency_shipping_only":
                acct = rng.choice(shipping_only)
                account_id = acct["Id"]
            elif kind == "won_null_currency":
                acct = rng.choice(clean_written)
                account_id = acct["Id"]
            else:
                acct = rng.choice(accounts)
                account_id = acct["Id"]
            if acct is not None:
                currency = acct["CurrencyIsoCode"]
            else:
                currency = rng.choice(["USD", "USD", "EUR", "GBP", "CAD"])
            if kind == "won_currency_differs":
                currency = rng.choice([c for c in ("USD", "CAD", "GBP", "EUR") if c != currency])
            if kind.startswith("won_null_currency"):
                currency = None
            # Dates.
            created, audit = self.audit(latest=datetime(2024, 10, 31, 18, 0, 0))
            if stage.startswith("Closed"):
                close = min(created.date() + timedelta(days=rng.randrange(7, 150)), date(2024, 10, 31))
            else:
                close = date(2024, 11, 1) + timedelta(days=rng.randrange(0, 150))
            opp_id = self.ids.new("006")
            # Line items.
            k = self.pick([(1, 50), (2, 25), (3, 12), (4, 8), (5, 5)])
            if kind in ("won_unknown_sku", "open_unknown_sku", "won_dangling_product") and k < 2:
                k = 2
            chosen = [rng.choice(known) for _ in range(k)]
            if kind in ("won_unknown_sku", "open_unknown_sku"):
                chosen[rng.randrange(k)] = rng.choice(unknown)
            items = []
            for j, (prod, usd_price) in enumerate(chosen):
                list_cents = int(round(usd_price * RATE[currency])) * 100
                unit = list_cents
                if rng.random() < 0.3:
                    unit = list_cents * rng.choice([95, 90, 85, 80]) // 100
                if kind in ("won_zero_amount", "open_zero_amount"):
                    unit = 0      # evaluation units at no charge
                qty = rng.choice([1, 1, 2, 3, 5, 10, 12, 20, 25, 50])
                if kind == "won_negative_amount" and j == 0:
                    unit = -(list_cents * 3)   # a credit for returned hardware, larger than the rest
                    qty = 10
                pid, pcode, pname = prod["Id"], prod["ProductCode"], prod["Name"]
                if kind == "won_dangling_product" and j == 0:
                    pid, pcode, pname = dangling_product_id, DANGLING_PRODUCT[0], DANGLING_PRODUCT[1]
                li_created = created + timedelta(minutes=rng.randrange(1, 600))
                v = {"Id": self.ids.new("00k"), "OpportunityId": opp_id, "SortOrder": j + 1 if k > 1 else None,
                     "PricebookEntryId": self.pbe(pid, currency), "Product2Id": pid, "ProductCode": pcode,
                     "Name": f"{{OPP}} {pname}", "CurrencyIsoCode": currency, "Quantity": float(qty),
                     "TotalPrice": money(unit * qty), "UnitPrice": money(unit), "ListPrice": money(list_cents),
                     "ServiceDate": None, "Description": None,
                     "CreatedDate": sf_datetime(li_created), "CreatedById": audit["OwnerId"],
                     "LastModifiedDate": sf_datetime(li_created), "LastModifiedById": audit["OwnerId"],
                     "SystemModstamp": sf_datetime(li_created), "IsDeleted": False}
                items.append((v, unit * qty, qty))
            amount_cents = sum(c for _, c, _ in items)
            company = (acct["Name"].strip() if acct and acct["Name"].strip() else "Unknown Account")[:60]
            prod_label = PRODUCT_LINES.get((chosen[0][0]["ProductCode"] or "")[:3], ("Services",))[0]
            name = f"{company} - {prod_label} - {close.strftime('%B %Y')}"
            for v, _, _ in items:
                v["Name"] = v["Name"].replace("{OPP}", name)[:376]
            if amount_cents <= 0:
                t.append("amount_zero" if amount_cents == 0 else "amount_negative")
            v = {"Id": opp_id, "IsDeleted": False, "AccountId": account_id, "IsPrivate": False, "Name": name[:120],
                 "Description": None, "StageName": stage, "Amount": money(amount_cents), "Probability": float(prob),
                 "ExpectedRevenue": money(amount_cents * prob // 100),
                 "TotalOpportunityQuantity": float(sum(q for _, _, q in items)),
                 "CloseDate": close.isoformat(), "Type": rng.choice(["New Customer", "Existing Customer - Upgrade",
                                                                     "Existing Customer - Replacement", None]),
                 "NextStep": None if stage.startswith("Closed") else rng.choice([None, "Send quote", "Schedule demo"]),
                 "LeadSource": rng.choice(["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other", None]),
                 "IsClosed": stage.startswith("Closed"), "IsWon": stage == "Closed Won", "ForecastCategory": fc,
                 "ForecastCategoryName": FORECAST_NAME[fc], "CurrencyIsoCode": currency,
                 "CampaignId": rng.choice(self.campaigns) if rng.random() < 0.1 else None,
                 "HasOpportunityLineItem": True, "Pricebook2Id": self.pricebook,
                 "FiscalQuarter": (close.month - 1) // 3 + 1, "FiscalYear": close.year,
                 "ERP_Status__c": None, "ERP_Order_Number__c": None}
            v.update(audit)
            opps.append(ordered(self.desc["Opportunity"], v))
            tags[opp_id] = t
            for li, _, _ in items:
                lines.append(ordered(self.desc["OpportunityLineItem"], li))
        return opps, lines, tags, dangling_product_id

    def pbe(self, product_id, currency):
        key = (product_id, currency)
        if not hasattr(self, "_pbe"):
            self._pbe = {}
        if key not in self._pbe:
            self._pbe[key] = self.ids.new("01u")
        return self._pbe[key]


def zip_records(records, lines):
    """Pairs each output line with its record; the malformed line keeps its text."""
    it = iter(records)
    for line in lines:
        try:
            json.loads(line)
        except ValueError:
            yield None, line
            continue
        yield next(it), line


def acct_outcome_quick(a):
    return evaluate_account(a)[0]


# --------------------------------------------------------------------------- the spec's rules
def evaluate_account(a):
    """account_to_customer on one record: (outcome, reasons, flags). Statement order of acme.crmx."""
    name, bc, sc = a["Name"], a["BillingCountry"], a["ShippingCountry"]
    dq = []
    if not name.strip() != "":
        dq.append("missing Name")
    if not (bc is not None or sc is not None):
        dq.append("no country")
    if dq:
        return "data_quality", dq, []
    flags = []
    # state = state_code(BillingState) ?? state_code(ShippingState) ?? null flag "address:from_shipping"
    if state_code(a["BillingState"]) is None:
        flags.append("address:from_shipping")
    country = country_code(bc if bc is not None else sc)
    if country is None:
        return "held", ["Unknown country"], []
    if a["PaymentTerms__c"] is None:
        flags.append("finance:default_terms")
    if a["Subsidiary__c"] is None and country not in SUBSIDIARY_BY_COUNTRY:
        return "held", ["Pending Review"], []
    return "written", [], flags


def evaluate_opportunity(o, accounts_by_id, account_outcomes, items, skus):
    """won_to_order on one record: (outcome, reasons, flags)."""
    amount = o["Amount"]
    if not (o["StageName"] == "Closed Won" and amount is not None and amount > 0):
        why = "StageName is not Closed Won" if o["StageName"] != "Closed Won" else "Amount is not > 0"
        return "skipped", [why], []
    dq = []
    if not (amount is not None and amount > 0):
        dq.append("non-positive amount")
    if o["AccountId"] is None:
        dq.append("no account")
    if dq:
        return "data_quality", dq, []
    acct_outcome = account_outcomes.get(o["AccountId"])
    if acct_outcome is None:
        return "waiting", ["account not found"], []
    if acct_outcome != "written":
        return "waiting", ["account " + acct_outcome.replace("_", "-")], []
    flags = []
    currency = o["CurrencyIsoCode"]
    if currency is None:
        currency = currency_of(accounts_by_id[o["AccountId"]]["BillingCountry"])
        if currency is None:
            return "held", ["Unknown currency"], []
        flags.append("currency:UNVALIDATED")
    for li in items:
        if li["ProductCode"] not in skus:
            return "held", ["Unknown SKU"], []
    return "written", [], flags


def summarize(outcomes):
    """outcomes: list of (id, line, outcome, reasons, flags) -> the per-map summary block."""
    out = OrderedDict()
    out["input_lines"] = len(outcomes)
    for cat in ("written", "skipped", "data_quality", "held", "waiting", "error"):
        rows = [o for o in outcomes if o[2] == cat]
        if cat == "written":
            out["written"] = len(rows)
            continue
        block = OrderedDict([("count", len(rows))])
        block["by_reason"] = OrderedDict(sorted(Counter(o[3][0] for o in rows).items()))
        if cat != "skipped":
            block["records"] = [OrderedDict([("Id", o[0]), ("line", o[1]), ("reasons", o[3])]) for o in rows]
        out[cat] = block
    flags = Counter(f for o in outcomes if o[2] == "written" for f in o[4])
    out["flags_on_written"] = OrderedDict(sorted(flags.items()))
    return out


# --------------------------------------------------------------------------- main
def build():
    g = Gen()
    account_lines, accounts, acc_tags = g.accounts()
    products = g.products()
    opps, items, opp_tags, dangling_product_id = g.opportunities(accounts, acc_tags, products)
    skus = g.skus
    items_by_opp = {}
    for li in items:
        items_by_opp.setdefault(li["OpportunityId"], []).append(li)

    # account_to_customer
    acc_outcomes, acc_by_id, acc_result = [], {}, {}
    line_no = {}
    for n, line in enumerate(account_lines, 1):
        try:
            rec = json.loads(line)
        except ValueError:
            acc_outcomes.append((None, n, "error", ["malformed JSON"], []))
            continue
        line_no[rec["Id"]] = n
        outcome, reasons, flags = evaluate_account(rec)
        acc_by_id[rec["Id"]] = rec
        acc_result[rec["Id"]] = outcome
        acc_outcomes.append((rec["Id"], n, outcome, reasons, flags))

    opp_outcomes = []
    for n, o in enumerate(opps, 1):
        outcome, reasons, flags = evaluate_opportunity(o, acc_by_id, acc_result, items_by_opp[o["Id"]], skus)
        opp_outcomes.append((o["Id"], n, outcome, reasons, flags))

    # Cross-check: every deliberate kind produced the outcome it was made for.
    expect_acc = {"name_empty": "data_quality", "name_blank": "data_quality", "no_country": "data_quality",
                  "no_country_no_name": "data_quality", "unknown_country": "held",
                  "unknown_country_with_subsidiary": "held", "no_subsidiary_country": "held",
                  "no_subsidiary_country_with_subsidiary": "written", "name_stray_ws": "written",
                  "name_long": "written", "shipping_country_only": "written", "subsidiary_set": "written"}
    for rid, _, outcome, _, _ in acc_outcomes:
        for tag in acc_tags.get(rid, []):
            if tag in expect_acc:
                assert outcome == expect_acc[tag], (rid, tag, outcome)
    expect_opp = {"won_no_account": "data_quality", "won_missing_account": "waiting",
                  "won_zero_amount": "skipped", "won_negative_amount": "skipped", "open_zero_amount": "skipped",
                  "open_no_account": "skipped", "lost_missing_account": "skipped", "open_unknown_sku": "skipped",
                  "won_null_currency_shipping_only": "held"}
    for rid, _, outcome, _, _ in opp_outcomes:
        for tag in opp_tags.get(rid, []):
            if tag in expect_opp:
                assert outcome == expect_opp[tag], (rid, tag, outcome)

    files = OrderedDict()
    files["crm/Account.jsonl"] = "".join(l + "\n" for l in account_lines)
    files["crm/Opportunity.jsonl"] = "".join(dumps(o) + "\n" for o in opps)
    files["crm/OpportunityLineItem.jsonl"] = "".join(dumps(li) + "\n" for li in items)
    files["crm/Product2.jsonl"] = "".join(dumps(p) + "\n" for p, _ in products)

    won_written = [o for o in opp_outcomes if o[2] == "written"]
    lines_written = sum(len(items_by_opp[o[0]]) for o in won_written)

    # Dirty-row counts (what the README's table lists).
    acc_tag_counts = Counter(t for ts in acc_tags.values() for t in ts)
    acc_tag_counts["malformed_line"] = 1
    opp_tag_counts = Counter(t for ts in opp_tags.values() for t in ts)
    line_unknown = sum(1 for li in items if li["ProductCode"] not in skus)
    product_unknown = sum(1 for p, _ in products if p["ProductCode"] not in skus)
    country_spellings = Counter(a["BillingCountry"] for a in accounts)

    summary = OrderedDict()
    summary["generated_by"] = "examples/acme-salesforce-netsuite/data/generate.py"
    summary["seed"] = SEED
    summary["rules"] = "examples/acme-salesforce-netsuite/README.md, section data/"
    summary["inputs"] = OrderedDict([
        ("Account", OrderedDict([("file", "crm/Account.jsonl"), ("lines", len(account_lines)),
                                 ("records", len(accounts)), ("malformed_lines", [MALFORMED_ACCOUNT_LINE])])),
        ("Opportunity", OrderedDict([("file", "crm/Opportunity.jsonl"), ("lines", len(opps)),
                                     ("records", len(opps)), ("malformed_lines", [])])),
        ("OpportunityLineItem", OrderedDict([("file", "crm/OpportunityLineItem.jsonl"), ("lines", len(items)),
                                             ("records", len(items)), ("malformed_lines", [])])),
        ("Product2", OrderedDict([("file", "crm/Product2.jsonl"), ("lines", len(products)),
                                  ("records", len(products)), ("malformed_lines", [])])),
    ])
    summary["dangling_references"] = OrderedDict([
        ("Opportunity.AccountId", sorted(o["AccountId"] for o in opps
                                         if o["AccountId"] is not None and o["AccountId"] not in acc_by_id)),
        ("OpportunityLineItem.Product2Id", [dangling_product_id]),
    ])
    maps = OrderedDict()
    a = summarize(acc_outcomes)
    a["error"]["records"] = [OrderedDict([("file", "crm/Account.jsonl"), ("line", MALFORMED_ACCOUNT_LINE),
                                          ("reasons", ["malformed JSON"])])]
    maps["account_to_customer"] = a
    w = summarize(opp_outcomes)
    w["order_lines_written"] = lines_written
    maps["won_to_order"] = w
    maps["order_status_back"] = OrderedDict([
        ("note", "runs on the SalesOrders won_to_order writes, once the ERP has set status and tranId: "
                 "one Opportunity update (ERP_Status__c, ERP_Order_Number__c) per written order"),
        ("input_lines", len(won_written)), ("written", len(won_written))])
    summary["maps"] = maps
    summary["dirty_rows"] = OrderedDict([
        ("Account", OrderedDict(sorted(acc_tag_counts.items()))),
        ("Account.BillingCountry", OrderedDict(sorted(((k if k is not None else "null"), v)
                                                      for k, v in country_spellings.items()))),
        ("Opportunity", OrderedDict(sorted(opp_tag_counts.items()))),
        ("Opportunity.StageName", OrderedDict(sorted(Counter(o["StageName"] for o in opps).items()))),
        ("Opportunity.CurrencyIsoCode", OrderedDict(sorted(((k or "null"), v) for k, v in
                                                           Counter(o["CurrencyIsoCode"] for o in opps).items()))),
        ("OpportunityLineItem", OrderedDict([("unknown_sku", line_unknown),
                                             ("dangling_product", 2)])),
        ("Product2", OrderedDict([("not_in_sku_table", product_unknown)])),
    ])
    files["expected_summary.json"] = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=HERE, help="output folder (default: this script's folder)")
    args = ap.parse_args()
    for rel, text in build().items():
        path = os.path.join(args.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
