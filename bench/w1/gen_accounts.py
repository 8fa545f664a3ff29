#!/usr/bin/env python3
"""Deterministic generator of Salesforce-like Account records for benchmark W1.

    gen_accounts.py --n 200000 --out DIR [--seed 42]

writes DIR/Account.jsonl: one compact JSON object per line (~600 bytes), the shape of a
Salesforce REST query result record. The same (n, seed) gives the same bytes on every machine
and Python version: the generator uses its own splitmix64 PRNG, not `random`. The
distributions are described in README.md; SEMANTICS.md says what the mapping does with them.
"""
import argparse
import json
import os
import sys

MASK = (1 << 64) - 1


class Rng:
    """splitmix64: tiny, fast enough, and portable (no dependence on CPython's `random`)."""

    def __init__(self, seed):
        self.s = seed & MASK

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & MASK
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n

    def pct(self):
        """Uniform integer in [0, 100)."""
        return self.next() % 100

    def pick(self, seq):
        return seq[self.next() % len(seq)]

    def digits(self, k):
        return "".join(chr(48 + self.next() % 10) for _ in range(k))


US_STATES = [("Alabama", "AL", "Birmingham"), ("Arizona", "AZ", "Phoenix"),
             ("California", "CA", "San Francisco"), ("California", "CA", "Los Angeles"),
             ("Colorado", "CO", "Denver"), ("Delaware", "DE", "Wilmington"),
             ("Florida", "FL", "Miami"), ("Georgia", "GA", "Atlanta"), ("Illinois", "IL", "Chicago"),
             ("Massachusetts", "MA", "Boston"), ("Michigan", "MI", "Detroit"),
             ("Minnesota", "MN", "Minneapolis"), ("New York", "NY", "New York"),
             ("North Carolina", "NC", "Charlotte"), ("Ohio", "OH", "Columbus"),
             ("Oregon", "OR", "Portland"), ("Pennsylvania", "PA", "Philadelphia"),
             ("Texas", "TX", "Austin"), ("Texas", "TX", "Houston"), ("Utah", "UT", "Salt Lake City"),
             ("Virginia", "VA", "Richmond"), ("Washington", "WA", "Seattle"),
             ("Wisconsin", "WI", "Milwaukee"), ("District of Columbia", "DC", "Washington"),
             ("New Jersey", "NJ", "Newark"), ("Tennessee", "TN", "Nashville")]
CA_PROVINCES = [("Ontario", "ON", "Toronto"), ("Quebec", "QC", "Montreal"),
                ("British Columbia", "BC", "Vancouver"), ("Alberta", "AB", "Calgary"),
                ("Manitoba", "MB", "Winnipeg"), ("Nova Scotia", "NS", "Halifax"),
                ("Saskatchewan", "SK", "Regina"), ("Newfoundland and Labrador", "NL", "St. John's"),
                ("New Brunswick", "NB", "Moncton"), ("Prince Edward Island", "PE", "Charlottetown"),
                ("Yukon", "YT", "Whitehorse")]
# Regions of other countries: full names only (state_code knows none of them; 2-letter
# Australian or German codes would collide with US/Canadian ones, so none are generated).
# Regions of other countries, (name, ISO 3166-2 subdivision code or None, city). state_code
# knows none of them. No 2-letter code that is also a US or Canadian one is generated
# (Australia's WA, SA, NT or the Dutch NH would read as Washington, ...): state_code has no
# country argument.
GB_REGIONS = [("England", "ENG", "London"), ("England", "ENG", "Manchester"),
              ("Scotland", "SCT", "Edinburgh"), ("Wales", "WLS", "Cardiff"),
              ("Northern Ireland", "NIR", "Belfast")]
DE_REGIONS = [("Berlin", "BE", "Berlin"), ("Bayern", "BY", "München"), ("Hamburg", "HH", "Hamburg"),
              ("Nordrhein-Westfalen", "NW", "Köln"), ("Hessen", "HE", "Frankfurt am Main")]
OTHER = {
    "FR": [("Île-de-France", "IDF", "Paris"), ("Auvergne-Rhône-Alpes", "ARA", "Lyon")],
    "JP": [("Tokyo", "13", "Chiyoda"), ("Osaka", "27", "Osaka")],
    "AU": [("New South Wales", "NSW", "Sydney"), ("Victoria", "VIC", "Melbourne")],
    "NL": [("Noord-Holland", None, "Amsterdam"), ("Zuid-Holland", None, "Rotterdam")],
}
COUNTRY_SPELLINGS = {
    "US": ["United States", "United States", "USA", "US", "U.S.", "United States of America",
           "united states", "U.S.A."],
    "CA": ["Canada", "Canada", "CA", "canada"],
    "GB": ["United Kingdom", "UK", "Great Britain", "GB", "U.K."],
    "DE": ["Germany", "Deutschland", "DE", "germany"],
    "FR": ["France", "FR"],
    "JP": ["Japan", "JP"],
    "AU": ["Australia", "AU"],
    "NL": ["Netherlands", "The Netherlands", "Holland", "NL"],
}
UNKNOWN_COUNTRIES = [None, "Atlantis", "N/A", "Unknown", "Elbonia"]
CURRENCY = {"US": "USD", "CA": "CAD", "GB": "GBP", "DE": "EUR", "FR": "EUR", "NL": "EUR",
            "JP": "USD", "AU": "USD"}
CURRENCIES = ["USD", "CAD", "GBP", "EUR"]
US_AREAS = ["415", "212", "312", "617", "206", "512", "303", "404", "302", "713", "650", "305"]
CA_AREAS = ["416", "604", "514", "403", "613", "902"]
JUNK_PHONES = ["N/A", "none", "TBD", "ask reception", "-"]

NAME_A = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Hooli", "Vandelay",
          "Soylent", "Cyberdyne", "Tyrell", "Gringotts", "Oceanic", "Monarch", "Pied Piper",
          "Sterling", "Blue Harbor", "Northwind", "Contoso", "Fabrikam", "Tailspin", "Müller",
          "Société Générale des", "Nordlicht", "O'Brien & Sons", "Smith \"Best\"", "Zürich"]
NAME_B = ["Industries", "Logistics", "Foods", "Software", "Analytics", "Holdings", "Systems",
          "Manufacturing", "Trading", "Consulting", "Robotics", "Energy", "Bakeries", "Labs",
          "Maschinenbau", "Partners", "Textiles", "Pharma"]
SUFFIX = {"US": ["Inc.", "LLC", "Corp.", "Inc"], "CA": ["Inc.", "Ltd.", "Corp."],
          "GB": ["Ltd", "PLC", "Limited"], "DE": ["GmbH", "AG", "GmbH & Co. KG"],
          "FR": ["SA", "SARL"], "JP": ["K.K.", "Co., Ltd."], "AU": ["Pty Ltd"], "NL": ["B.V."]}
STREETS = ["Main St", "Market Street", "Oak Avenue", "High Street", "Hauptstraße", "King Street W",
           "Rue de Rivoli", "Collins Street", "Pine Rd", "Elm Street, Suite 400"]
INDUSTRIES = ["Technology", "Manufacturing", "Retail", "Finance", "Healthcare", "Energy",
              "Education", None]
TERMS = ["Net 15", "Net 30", "Net 45", "Net 60", "Due on receipt"]
SUBSIDIARIES = ["Acme Inc", "Acme Canada", "Acme UK Ltd", "Acme GmbH"]
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def sf_id(i):
    """An 18-character Salesforce Account id (prefix 001) with its case-safe suffix."""
    body = ""
    n = i
    for _ in range(7):
        body = B62[n % 62] + body
        n //= 62
    id15 = "0015e00" + "0" + body
    suffix = ""
    for chunk in range(3):
        bits = 0
        for j, c in enumerate(id15[chunk * 5:chunk * 5 + 5]):
            if "A" <= c <= "Z":
                bits |= 1 << j
        suffix += SUFFIX_CHARS[bits]
    return id15 + suffix


def nanp_phone(r, areas):
    area = r.pick(areas)
    exch = str(200 + r.below(800))
    if exch[1:] == "11":
        exch = "555"
    sub = r.digits(4)
    form = r.below(6)
    if form == 0:
        return f"({area}) {exch}-{sub}"
    if form == 1:
        return f"{area}.{exch}.{sub}"
    if form == 2:
        return f"+1 {area} {exch} {sub}"
    if form == 3:
        return f"1({area}){exch}-{sub}"
    if form == 4:
        return f"{area}-{exch}-{sub}"
    return f"+1-{area}-{exch}-{sub}"


def intl_phone(r, cc):
    """A fixed-line number of country cc, national or international form (valid per libphonenumber)."""
    intl = r.below(2) == 0
    if cc == "GB":
        # London 020 7946 0xxx and Manchester 0161 496 0xxx: Ofcom's ranges for drama.
        if r.below(2) == 0:
            return ("+44 20 7946 0" if intl else "020 7946 0") + r.digits(3)
        return ("+44 161 496 0" if intl else "0161 496 0") + r.digits(3)
    if cc == "DE":
        k = r.below(3)
        if k == 0:
            return ("+49 30 " if intl else "030 ") + r.pick("23456789") + r.digits(5 + r.below(3))
        if k == 1:
            return ("+49 89 " if intl else "089 ") + r.pick("23456789") + r.digits(6)
        return ("+49 (221) " if intl else "(0221) ") + r.pick("23456789") + r.digits(6)
    if cc == "FR":
        d = "14" + r.digits(7)
        p = f"{d[0]} {d[1:3]} {d[3:5]} {d[5:7]} {d[7:9]}"
        return "+33 " + p if intl else "0" + p
    if cc == "JP":
        d = r.pick("23456") + r.digits(3) + "-" + r.digits(4)
        return "+81 3-" + d if intl else "03-" + d
    if cc == "AU":
        d = r.pick("89") + r.digits(3) + " " + r.digits(4)
        return "+61 2 " + d if intl else "(02) " + d
    if cc == "NL":
        d = r.pick("23456789") + r.digits(2) + " " + r.digits(4)
        return "+31 20 " + d if intl else "020 " + d
    raise ValueError(cc)


def company_name(r, cc):
    name = r.pick(NAME_A) + " " + r.pick(NAME_B)
    if r.below(3) != 0:
        name += " " + r.pick(SUFFIX.get(cc, ["Ltd"]))
    p = r.pct()
    if p < 5:  # empty or blank: goes to the data-quality queue
        return r.pick(["", " ", "   ", "\t"])
    if p < 25:  # stray white space at the ends (space, tab, both)
        return r.pick([" ", "  ", "\t", "", " \t"]) + name + r.pick([" ", "  ", "\t ", " ", ""])\
            if r.below(4) else name + " "
    return name


def revenue(r):
    if r.pct() < 10:
        return None
    mag = r.pick([10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000])
    v = mag + r.below(9 * mag)
    return v - v % r.pick([1, 10, 1000, 1000, 10000])


def state_field(r, full, code):
    p = r.pct()
    if p < 60:
        return full if r.below(5) else full.upper()
    if p < 90:
        return code if r.below(5) else code.lower()
    return None


def record(r, i):
    c = r.pct()
    if c < 50:
        cc = "US"
    elif c < 65:
        cc = "CA"
    elif c < 77:
        cc = "GB"
    elif c < 87:
        cc = "DE"
    elif c < 97:
        cc = r.pick(["FR", "JP", "AU", "NL"])
    else:
        cc = None  # unknown country: the record is held

    if cc in ("US", "CA"):
        full, code, city = r.pick(US_STATES if cc == "US" else CA_PROVINCES)
        bstate = state_field(r, full, code)
        postal = r.digits(5) if cc == "US" else "M5V 2T6"
    else:
        regions = GB_REGIONS if cc == "GB" else DE_REGIONS if cc == "DE" else OTHER.get(cc, [(None, None, "Springfield")])
        full, code, city = r.pick(regions)
        bstate = state_field(r, full, code or full) if full else None
        postal = r.digits(5)
    sp = r.pct()
    if sp < 70:
        sstate = bstate
    elif sp < 85 and full:
        sstate = state_field(r, full, code or full)
    else:
        sstate = None

    bcountry = r.pick(COUNTRY_SPELLINGS[cc]) if cc else r.pick(UNKNOWN_COUNTRIES)
    p = r.pct()
    if p < 3:
        phone = None
    elif p < 5:
        phone = r.pick(JUNK_PHONES)
    elif cc in ("US", "CA"):
        phone = nanp_phone(r, US_AREAS if cc == "US" else CA_AREAS)
    elif cc is None:
        phone = nanp_phone(r, US_AREAS) if r.below(2) else "+" + "1 " + r.pick(US_AREAS) + " 555 " + r.digits(4)
    else:
        phone = intl_phone(r, cc)

    currency = CURRENCY.get(cc, "USD")
    if r.pct() < 5:
        currency = r.pick(CURRENCIES)
    rid = sf_id(i)
    rec = {
        "attributes": {"type": "Account", "url": "/services/data/v59.0/sobjects/Account/" + rid},
        "Id": rid,
        "Name": company_name(r, cc),
        "Industry": r.pick(INDUSTRIES),
        "BillingStreet": f"{1 + r.below(9999)} {r.pick(STREETS)}",
        "BillingCity": city,
        "BillingState": bstate,
        "BillingPostalCode": postal,
        "BillingCountry": bcountry,
        "ShippingCity": city,
        "ShippingState": sstate,
        "ShippingCountry": bcountry,
        "Phone": phone,
        "Website": "https://www.example-" + str(i % 9973) + ".com" if r.pct() < 80 else None,
        "AnnualRevenue": revenue(r),
        "CurrencyIsoCode": currency,
        "Subsidiary__c": r.pick(SUBSIDIARIES) if r.pct() < 10 else None,
        "PaymentTerms__c": r.pick(TERMS) if r.below(2) else None,
        "CreatedDate": "2024-%02d-%02dT%02d:%02d:%02d.000+0000" % (
            1 + r.below(12), 1 + r.below(28), r.below(24), r.below(60), r.below(60)),
    }
    return rec


def generate(n, out_dir, seed=42):
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "Account.jsonl")
    r = Rng(seed)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        buf = []
        for i in range(n):
            buf.append(dumps(record(r, i)))
            if len(buf) == 4096:
                f.write("\n".join(buf) + "\n")
                buf = []
        if buf:
            f.write("\n".join(buf) + "\n")
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200_000, help="number of records")
    ap.add_argument("--out", required=True, help="output directory (gets Account.jsonl)")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args(argv)
    path = generate(a.n, a.out, a.seed)
    print(f"wrote {a.n} records, {os.path.getsize(path)} bytes to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
