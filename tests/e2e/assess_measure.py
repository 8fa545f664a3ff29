#!/usr/bin/env python3
"""`crmx-run assess PLAN` end to end (docs/assess.md, "Measuring"), on the north star's bundled
data (crm: a copy of the JSONL export with planted duplicates appended; erp: a SQLite database
that does not exist, which assess must not create).

    assess_measure.py CRMXC CRMX_RUN

Everything expected is recomputed here from the raw files, with this file's own parsing and
normalisation, never from assess's output:
- completeness: per field the share present (non-null, non-empty after trim), per object the
  records with all key fields present. The key fields are the ones the spec's text gives (the
  map's `key` and its `require`s without `||`, the fields read without a fallback) plus the
  name and the billing address: written out below from the spec, not taken from the output.
- duplicates: union-find over all pairs of accounts with the same normalised name and the same
  website domain, E.164 phone or normalised billing street + postal code (all pairs: the data is
  small). Three duplicates are planted (a website rule, an address rule, a phone rule).
- format consistency: states and countries against tables built here (US states, Canadian
  provinces; ISO 3166-1 from Debian's iso-codes JSON plus a small alias table written here),
  currencies against ISO 4217 (iso-codes). Phones: the C++ side uses libphonenumber; this test
  has a simple per-country length rule (US/CA, GB, DE) that agrees with it on this data set. If
  a phone value is one the simple rule cannot decide (another country), it is left out of the
  comparison and said.
Also: the rubric's points for the three measured criteria (the seed's bands applied here), the
same records loaded into a SQLite database give the same report, the ERP database is not
created, the text report, exit 2 on a missing plan.
Exit 0 when every check holds, 1 otherwise (every failed check printed)."""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish, read_jsonl  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "acme-salesforce-netsuite")
ISO = "/usr/share/iso-codes/json"


def present(v):
    return v is not None and str(v).strip() != ""


# ---------------------------------------------------------------- normalisation (own copy)
SUFFIXES = {"inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "gmbh", "corp", "corporation", "co", "plc",
            "ag", "sa", "sarl", "sas", "bv", "nv", "pty", "srl", "spa", "oy", "ab", "kg", "pllc", "pc", "lda", "kk",
            "mbh", "se", "company"}


def words(text):
    text = text.lower().replace(".", "").replace("'", "").replace("&", " and ")
    return [w for w in re.split(r"[^0-9a-z\u0080-\uffff]+", text) if w]


def norm_name(name):
    w = words(name or "")
    while len(w) > 1 and w[-1] in SUFFIXES:
        w.pop()
    if len(w) == 1 and w[0] in SUFFIXES:
        w = []
    return " ".join(w)


def domain(url):
    if not present(url):
        return ""
    s = url.strip()
    if "://" in s:
        s = s.split("://", 1)[1]
    s = re.split(r"[/?#]", s)[0].split("@")[-1].split(":")[0].lower().rstrip(".")
    if s.startswith("www."):
        s = s[4:]
    return s if "." in s else ""


ABBR = {"street": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr", "boulevard": "blvd", "lane": "ln",
        "court": "ct", "place": "pl", "suite": "ste", "highway": "hwy", "parkway": "pkwy", "square": "sq", "north": "n",
        "south": "s", "east": "e", "west": "w", "floor": "fl", "apartment": "apt", "number": "no"}


def norm_address(street, postal):
    if not present(street) or not present(postal):
        return ""
    s = " ".join(ABBR.get(w, w) for w in words(street))
    p = re.sub(r"[^0-9A-Z]", "", postal.upper())
    if len(p) == 9 and p.isdigit():
        p = p[:5]
    return s + "|" + p if s and p else ""


# ---------------------------------------------------------------- format tables (own copy)
US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho",
    "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine",
    "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri",
    "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
    "WI": "Wisconsin", "WY": "Wyoming", "DC": "District of Columbia", "PR": "Puerto Rico", "GU": "Guam",
    "VI": "Virgin Islands", "AS": "American Samoa", "MP": "Northern Mariana Islands",
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories", "NU": "Nunavut",
    "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec", "SK": "Saskatchewan", "YT": "Yukon"}
STATE_KEYS = {k.lower() for k in US_STATES} | {v.lower() for v in US_STATES.values()}


def state_ok(v):
    s = v.strip().lower()
    if s.startswith("us-") or s.startswith("ca-"):
        s = s[3:]
    return s in STATE_KEYS


COUNTRY_ALIASES = {"usa": "US", "united states of america": "US", "america": "US", "uk": "GB",
                   "great britain": "GB", "england": "GB", "deutschland": "DE", "holland": "NL"}


def country_table():
    table = dict(COUNTRY_ALIASES)
    with open(os.path.join(ISO, "iso_3166-1.json"), encoding="utf-8") as f:
        for c in json.load(f)["3166-1"]:
            for k in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
                if k in c:
                    table[c[k].lower()] = c["alpha_2"]
    return table


def country_of(v, table):
    return table.get(v.strip().lower().replace(".", "")) if present(v) else None


def currencies():
    with open(os.path.join(ISO, "iso_4217.json"), encoding="utf-8") as f:
        return {c["alpha_3"] for c in json.load(f)["4217"]}


def e164(phone, region):
    """E.164 by a simple length rule; None when invalid; "?" when this rule cannot decide."""
    s = re.sub(r"\s*(x|ext\.?|extension)\s*\d+$", "", phone.strip(), flags=re.I)  # an extension is not the number
    d = re.sub(r"\D", "", s)
    if re.search(r"[A-Za-z]", s):
        return None
    if s.startswith("+"):
        cc = {"1": 10, "44": 10, "49": None}
        for code, n in cc.items():
            if d.startswith(code):
                rest = d[len(code):]
                if n is None:
                    return "+" + d if 6 <= len(rest) <= 13 else None
                return "+" + d if len(rest) == n else None
        return "?"
    if region in ("US", "CA"):
        if len(d) == 11 and d[0] == "1":
            d = d[1:]
        return "+1" + d if len(d) == 10 and d[0] in "23456789" and d[3] in "23456789" else None
    if region == "GB":
        return "+44" + d[1:] if d.startswith("0") and len(d) == 11 else None
    if region == "DE":
        return "+49" + d[1:] if d.startswith("0") and 6 <= len(d) <= 14 else None
    return "?"


# ---------------------------------------------------------------- the data
def plant(crm):
    """Appends three planted duplicates to Account.jsonl; returns their (original id, copy id, rule)."""
    path = os.path.join(crm, "Account.jsonl")
    accounts = read_jsonl(path)
    planted = []
    used = set()

    def pick(cond):
        for a in accounts:
            if a["Id"] not in used and present(a.get("Name")) and cond(a):
                used.add(a["Id"])
                return dict(a)
        raise SystemExit("assess_measure.py: no account to plant a duplicate from")

    a = pick(lambda a: domain(a.get("Website")) != "")
    a.update(Id=a["Id"][:-4] + "DUPW", Name=a["Name"].upper() + ", Inc.", Website="https://" + domain(a["Website"]) + "/about",
             Phone=None, BillingStreet=None)
    planted.append(a)
    b = pick(lambda b: present(b.get("BillingStreet")) and re.fullmatch(r"\d{5}", b.get("BillingPostalCode") or "") is not None)
    b.update(Id=b["Id"][:-4] + "DUPA", Name=b["Name"].lower() + " llc", Website=None, Phone=None,
             BillingStreet=b["BillingStreet"].upper().replace("STREET", "St."), BillingPostalCode=b["BillingPostalCode"] + "-1234")
    planted.append(b)
    c = pick(lambda c: present(c.get("Phone")) and country_of(c.get("BillingCountry"), country_table()) == "US"
             and (e164(c["Phone"], "US") or "?") not in ("?",))
    c.update(Id=c["Id"][:-4] + "DUPP", Name=c["Name"] + " Corp.", Website=None, BillingStreet=None,
             Phone="+1 " + e164(c["Phone"], "US")[2:5] + " " + e164(c["Phone"], "US")[5:])
    planted.append(c)
    with open(path, "a", encoding="utf-8") as f:
        for p in planted:
            f.write(json.dumps(p) + "\n")
    return planted


def expected_duplicates(accounts, countries):
    parent = list(range(len(accounts)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    keys = []
    for a in accounts:
        region = country_of(a.get("BillingCountry"), countries) or "US"
        p = e164(a["Phone"], region) if present(a.get("Phone")) else None
        keys.append((norm_name(a.get("Name") or ""), domain(a.get("Website")), p if p not in (None, "?") else "",
                     norm_address(a.get("BillingStreet"), a.get("BillingPostalCode"))))
    undecided = sum(1 for a in accounts if present(a.get("Phone")) and e164(a["Phone"], country_of(a.get("BillingCountry"), countries) or "US") == "?")
    pairs = 0
    for i in range(len(accounts)):
        for j in range(i):
            ki, kj = keys[i], keys[j]
            if ki[0] and ki[0] == kj[0] and any(ki[r] and ki[r] == kj[r] for r in (1, 2, 3)):
                pairs += 1
                parent[find(i)] = find(j)
    dups = len(accounts) - sum(1 for i in range(len(accounts)) if find(i) == i)
    return dups, find, undecided


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    crmxc, crmx_run = sys.argv[1:]
    work = tempfile.mkdtemp(prefix="crmx-assess-")
    try:
        plan = os.path.join(work, "acme.plan.json")
        subprocess.run([crmxc, "build", os.path.join(EXAMPLE, "acme.crmx"), "-o", plan], check=True, capture_output=True)
        crm = os.path.join(work, "crm")
        shutil.copytree(os.path.join(EXAMPLE, "data", "crm"), crm)
        planted = plant(crm)
        erp = os.path.join(work, "erp.db")
        systems = ["--system", f"crm={crm}", "--system", f"erp={erp}"]
        p = subprocess.run([crmx_run, "assess", plan, *systems, "--format", "json", "--examples", "20"],
                           capture_output=True, text=True)
        check(p.returncode == 0, f"assess exits 0 (got {p.returncode}: {p.stderr})")
        out = json.loads(p.stdout)
        check(not os.path.exists(erp), "assess created no ERP database")
        objs = {o["object"]: o for o in out["objects"]}
        countries = country_table()
        cur = currencies()

        accounts = read_jsonl(os.path.join(crm, "Account.jsonl"))
        opps = read_jsonl(os.path.join(crm, "Opportunity.jsonl"))
        # Key fields from the spec: account_to_customer's `key Id`, `require Name.trim() != ""`,
        # `companyName = Name...` (no fallback); the billing address; Account has no email.
        # won_to_order: `key Id`, `require Amount > 0`, `require AccountId != null`, `ref(.., AccountId)`;
        # Opportunity's Name is its name field.
        key = {"Account": ["Id", "Name", "BillingStreet", "BillingCity", "BillingPostalCode", "BillingState", "BillingCountry"],
               "Opportunity": ["Id", "Amount", "AccountId", "Name"]}
        total = complete_all = 0
        for obj, records in (("Account", accounts), ("Opportunity", opps)):
            o = objs.get(obj)
            if not check(o is not None, f"{obj} measured"):
                continue
            check(o["records"] == len(records), f"{obj}: records {o['records']} == {len(records)}")
            got_fields = {f["field"]: f["present"] for f in o["completeness"]["fields"]}
            check(sorted(got_fields) == sorted(key[obj]), f"{obj}: key fields {sorted(got_fields)} == {sorted(key[obj])}")
            for f in key[obj]:
                want = sum(1 for r in records if present(r.get(f)))
                check(got_fields.get(f) == want, f"{obj}.{f}: present {got_fields.get(f)} == {want}")
            complete = sum(1 for r in records if all(present(r.get(f)) for f in key[obj]))
            check(o["completeness"]["complete"] == complete, f"{obj}: complete {o['completeness']['complete']} == {complete}")
            total += len(records)
            complete_all += complete
        check(objs.get("SalesOrder", {}).get("records") == 0, "erp.SalesOrder: 0 records (no database)")
        want = round(100.0 * complete_all / total, 2)
        check(abs(out["overall"]["completeness"] - want) < 0.006, f"overall completeness {out['overall']['completeness']} == {want}")

        # Duplicates.
        dups, find, undecided = expected_duplicates(accounts, countries)
        d = objs["Account"]["duplicates"] or {}
        check(d.get("duplicates") == dups, f"Account duplicates {d.get('duplicates')} == {dups}")
        check(dups >= len(planted), f"the {len(planted)} planted duplicates found (python: {dups})")
        index = {a["Id"]: i for i, a in enumerate(accounts)}
        for ex in d.get("examples", []):
            same = ex["first"] in index and ex["second"] in index and find(index[ex["first"]]) == find(index[ex["second"]])
            check(same, f"example pair {ex} is a duplicate here too")
        ids = {(ex["second"], ex["rule"]) for ex in d.get("examples", [])}
        for p_, rule in zip(planted, ("website_domain", "billing_address", "phone_e164")):
            check((p_["Id"], rule) in ids, f"planted {p_['Id']} reported by rule {rule}")
        check(abs(out["overall"]["duplicate_rate"] - round(100.0 * dups / len(accounts), 2)) < 0.006,
              f"overall duplicate rate {out['overall']['duplicate_rate']}")

        # Format consistency.
        fmt_total = fmt_valid = 0
        skipped = 0
        for obj, records in (("Account", accounts), ("Opportunity", opps)):
            got = {f["field"]: f for f in objs[obj]["formats"]}
            fields = {"Account": {"BillingState": "state", "ShippingState": "state", "BillingCountry": "country",
                                  "ShippingCountry": "country", "Phone": "phone", "CurrencyIsoCode": "currency"},
                      "Opportunity": {"CurrencyIsoCode": "currency"}}[obj]
            check(sorted(got) == sorted(fields), f"{obj}: format fields {sorted(got)} == {sorted(fields)}")
            for f, kind in fields.items():
                values = [r for r in records if present(r.get(f))]
                valid = 0
                for r in values:
                    v = str(r[f])
                    if kind == "state":
                        valid += state_ok(v)
                    elif kind == "country":
                        valid += country_of(v, countries) is not None
                    elif kind == "currency":
                        valid += v.strip() in cur
                    else:
                        e = e164(v, country_of(r.get("BillingCountry"), countries) or "US")
                        if e == "?":
                            skipped += 1
                        valid += e not in (None, "?")
                g = got.get(f, {})
                check(g.get("non_empty") == len(values), f"{obj}.{f}: non-empty {g.get('non_empty')} == {len(values)}")
                check(g.get("valid") == valid, f"{obj}.{f}: valid {g.get('valid')} == {valid}")
                fmt_total += len(values)
                fmt_valid += valid
        check(skipped == 0, f"{skipped} phone values this test's simple rule cannot decide (would need libphonenumber)")
        want = round(100.0 * fmt_valid / fmt_total, 2)
        check(abs(out["overall"]["format_consistency"] - want) < 0.006,
              f"overall format consistency {out['overall']['format_consistency']} == {want}")

        # The rubric's measured criteria, by the seed's bands (the middle band closed).
        def band(v, hi, lo, pts):  # > hi: pts[0], lo-hi: pts[1], < lo: pts[2]
            return pts[0] if v > hi else pts[1] if v >= lo else pts[2]
        comp = 100.0 * complete_all / total
        dup = 100.0 * dups / len(accounts)
        fmt = 100.0 * fmt_valid / fmt_total
        rubric = {c["key"]: c for c in out.get("rubric", {}).get("criteria", [])}
        check(rubric.get("completeness", {}).get("points") == band(comp, 80, 60, (30, 20, 10)), f"completeness points {rubric.get('completeness')}")
        check(rubric.get("duplicates", {}).get("points") == (25 if dup < 5 else 15 if dup <= 10 else 5), f"duplicate points {rubric.get('duplicates')}")
        check(rubric.get("format", {}).get("points") == band(fmt, 85, 70, (20, 12, 5)), f"format points {rubric.get('format')}")

        # The text report says the same figures.
        t = subprocess.run([crmx_run, "assess", plan, *systems], capture_output=True, text=True)
        check(t.returncode == 0 and "Duplicate rate" in t.stdout and "crm.Account" in t.stdout, "text report")
        # The same records in a SQLite database (the other local connector): the same report.
        db_path = os.path.join(work, "crm.db")
        db = sqlite3.connect(db_path)
        for obj in ("Account", "Opportunity"):
            rows = read_jsonl(os.path.join(crm, obj + ".jsonl"))
            cols = sorted({k for r in rows for k in r})
            db.execute(f"CREATE TABLE {obj} ({', '.join(chr(34) + c + chr(34) for c in cols)})")
            db.executemany(f"INSERT INTO {obj} VALUES ({', '.join('?' * len(cols))})",
                           [[r.get(c) if not isinstance(r.get(c), (dict, list)) else json.dumps(r.get(c)) for c in cols]
                            for r in rows])
        db.commit()
        db.close()
        q = subprocess.run([crmx_run, "assess", plan, "--system", f"crm={db_path}", "--system", f"erp={erp}",
                            "--format", "json", "--examples", "20"], capture_output=True, text=True)
        if check(q.returncode == 0, f"assess on SQLite exits 0 ({q.stderr})"):
            sq = json.loads(q.stdout)
            check(sq["overall"] == out["overall"], f"SQLite overall {sq['overall']} == files {out['overall']}")
            for o in sq["objects"]:
                f = objs.get(o["object"], {})
                check(o["completeness"] == f.get("completeness") and o["duplicates"] == f.get("duplicates")
                      and o["formats"] == f.get("formats"), f"SQLite {o['object']} measures == the files'")

        # An unreadable plan: exit 2.
        bad = subprocess.run([crmx_run, "assess", os.path.join(work, "missing.json"), *systems], capture_output=True, text=True)
        check(bad.returncode == 2, f"missing plan: exit 2 (got {bad.returncode})")
        print(f"assess_measure: {len(accounts)} accounts, {len(opps)} opportunities; completeness "
              f"{out['overall']['completeness']}%, duplicates {dups}, format {out['overall']['format_consistency']}%")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    finish("assess_measure")


if __name__ == "__main__":
    main()
