#!/usr/bin/env python3
"""Benchmark of `crmx-run assess`'s duplicate detection (issue 13's bar: 1,000,000 accounts within
60 s and 1 GiB; precision and recall on planted duplicates).

    dup_bench.py CRMXC CRMX_RUN [--records 1000000] [--work DIR] [--min-precision P --min-recall R]

Generates Account.jsonl in the north star's Salesforce shape: distinct base accounts (a unique
name, website, phone and billing address each), plus planted duplicates (about 6% of the
records) that copy a base account's name with a variation (case, punctuation, a legal suffix)
and share exactly one second key with it in another written form (website with scheme and
"www.", phone formatted differently, street abbreviated with a ZIP+4 postal code), plus hard
negatives (about 2%): a base account's name with every other key different, which must not be
matched. Then runs `crmx-run assess` on the north star plan with `--duplicates FILE`, measures
wall time and peak RSS (wait4), and computes precision (matched pairs whose two records truly
are one customer) and recall (planted duplicates joined to their base) from that file.
Prints the figures; exit 1 when a --min-* bound or the 60 s / 1 GiB bar is not met."""
import argparse
import csv
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "acme-salesforce-netsuite")
WORDS = ["North", "Blue", "Granite", "Copper", "Silver", "Harbor", "Summit", "Pioneer", "Cedar", "Atlas", "Beacon",
         "Crescent", "Evergreen", "Falcon", "Golden", "Horizon", "Iron", "Juniper", "Keystone", "Lakeside", "Maple",
         "Nova", "Orchid", "Prairie", "Quartz", "River", "Sterling", "Titan", "Union", "Vertex", "Willow", "Zenith"]
KINDS = ["Works", "Holdings", "Logistics", "Foods", "Systems", "Partners", "Labs", "Energy", "Health", "Hospitality"]
SUFFIX = ["", " Inc", ", Inc.", " LLC", " L.L.C.", " Ltd", " GmbH", " Corp."]
STREETS = ["Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park"]
AREAS = ["212", "213", "303", "305", "312", "404", "415", "512", "617", "702", "206", "214"]
STATES = [("CA", "94105"), ("NY", "10001"), ("TX", "78701"), ("FL", "33139"), ("IL", "60601"), ("WA", "98101")]


def base_account(i, rnd):
    w1, w2, k = rnd.choice(WORDS), rnd.choice(WORDS), rnd.choice(KINDS)
    name = f"{w1} {w2} {k} {i}"  # the number keeps base names distinct
    slug = f"{w1}{w2}{k}{i}".lower()
    state, zip_ = rnd.choice(STATES)
    return {"Id": f"001B{i:014d}", "IsDeleted": False, "Name": name + rnd.choice(SUFFIX),
            "Website": f"www.{slug}.example.com", "Phone": f"({AREAS[i % len(AREAS)]}) 555-{i % 10000:04d}",
            "BillingStreet": f"{i % 9000 + 100} {rnd.choice(STREETS)} Street", "BillingCity": "Springfield",
            "BillingState": state, "BillingPostalCode": str(int(zip_) + i % 50).zfill(5), "BillingCountry": "United States",
            "CurrencyIsoCode": "USD", "SystemModstamp": "2024-01-01T00:00:00.000+0000"}


def vary_name(name, rnd):
    core = name
    for s in SUFFIX[1:]:
        if core.endswith(s):
            core = core[: -len(s)]
    return rnd.choice([core.upper(), core.lower(), core + ", Inc.", core + " LLC", "  " + core + "  Ltd."])


def planted(base, j, rnd):
    d = dict(base)
    d["Id"] = f"001D{j:014d}"
    d["Name"] = vary_name(base["Name"], rnd)
    rule = rnd.choice(["website", "phone", "address"])
    d["Website"] = None
    d["Phone"] = None
    d["BillingStreet"] = f"{j % 9000 + 100} Other Road"
    d["BillingPostalCode"] = "99999"
    if rule == "website":
        d["Website"] = "https://" + base["Website"] + "/contact"
    elif rule == "phone":
        digits = "".join(c for c in base["Phone"] if c.isdigit())
        d["Phone"] = f"+1 {digits[:3]}-{digits[3:6]}-{digits[6:]}"
    else:
        d["BillingStreet"] = base["BillingStreet"].replace("Street", "St.").upper()
        d["BillingPostalCode"] = base["BillingPostalCode"] + "-4321"
    return d


def negative(base, j, rnd):
    d = dict(base)
    d["Id"] = f"001N{j:014d}"
    d["Website"] = f"www.other{j}.example.org"
    d["Phone"] = f"(303) 556-{j % 10000:04d}" if rnd.random() < 0.5 else None
    d["BillingStreet"] = f"{j % 9000 + 100} Far Avenue"
    d["BillingPostalCode"] = "80202"
    return d


def generate(path, n, seed):
    rnd = random.Random(seed)
    n_dup = n * 6 // 100
    n_neg = n * 2 // 100
    n_base = n - n_dup - n_neg
    truth = {}  # planted duplicate id -> base id
    negatives = set()
    bases = []
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n_base):
            b = base_account(i, rnd)
            f.write(json.dumps(b, separators=(",", ":")) + "\n")
            if i < n_dup + n_neg:
                bases.append(b)
        # Bases share phones (the pattern repeats) but never a name: they are not duplicates.
        for j in range(n_dup):
            b = bases[j]
            d = planted(b, j, rnd)
            truth[d["Id"]] = b["Id"]
            f.write(json.dumps(d, separators=(",", ":")) + "\n")
        for j in range(n_neg):
            b = bases[n_dup + j]
            d = negative(b, j, rnd)
            negatives.add(d["Id"])
            f.write(json.dumps(d, separators=(",", ":")) + "\n")
    return truth, negatives


def run_measured(cmd):
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = b"", b""
    _, status, usage = os.wait4(proc.pid, 0)
    secs = time.monotonic() - start
    out = proc.stdout.read()
    err = proc.stderr.read()
    return os.waitstatus_to_exitcode(status), out.decode(), err.decode(), secs, usage.ru_maxrss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("crmxc")
    ap.add_argument("crmx_run")
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--work")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--min-precision", type=float, default=0.0)
    ap.add_argument("--min-recall", type=float, default=0.0)
    ap.add_argument("--max-seconds", type=float, default=60.0)
    ap.add_argument("--max-rss-mib", type=float, default=1024.0)
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="crmx-assess-bench-")
    os.makedirs(work, exist_ok=True)
    try:
        crm = os.path.join(work, "crm")
        os.makedirs(crm, exist_ok=True)
        t0 = time.monotonic()
        truth, negatives = generate(os.path.join(crm, "Account.jsonl"), a.records, a.seed)
        # The other objects the plan reads, empty: the dry run reads them too.
        for name in ("Opportunity", "OpportunityLineItem", "Product2"):
            open(os.path.join(crm, name + ".jsonl"), "w").close()
        gen = time.monotonic() - t0
        plan = os.path.join(work, "acme.plan.json")
        subprocess.run([a.crmxc, "build", os.path.join(EXAMPLE, "acme.crmx"), "-o", plan], check=True, capture_output=True)
        pairs_path = os.path.join(work, "pairs.csv")
        rc, out, err, secs, rss_kb = run_measured(
            [a.crmx_run, "assess", plan, "--system", f"crm={crm}", "--system", f"erp={os.path.join(work, 'erp.db')}",
             "--format", "json", "--duplicates", pairs_path])
        if rc != 0:
            print(err, file=sys.stderr)
            return 1
        report = json.loads(out)
        acc = next(o for o in report["objects"] if o["object"] == "Account")
        # Ground truth: a record's customer is its base's id (a base is its own).
        def customer(i):
            return truth.get(i, i)
        good = bad = 0
        parent = {}

        def find(x):
            while parent.get(x, x) != x:
                parent[x] = parent.get(parent[x], parent[x])
                x = parent[x]
            return x

        with open(pairs_path, newline="") as f:
            for row in csv.DictReader(f):
                if customer(row["first"]) == customer(row["second"]):
                    good += 1
                else:
                    bad += 1
                parent[find(row["second"])] = find(row["first"])
        found = sum(1 for d, b in truth.items() if find(d) == find(b))
        precision = good / (good + bad) if good + bad else 1.0
        recall = found / len(truth) if truth else 1.0
        false_neg = sum(1 for n in negatives if n in parent)
        rss_mib = rss_kb / 1024.0
        print(f"records {a.records:,} (planted duplicates {len(truth):,}, hard negatives {len(negatives):,}); "
              f"generated in {gen:.1f} s")
        print(f"assess: {secs:.1f} s, peak RSS {rss_mib:.0f} MiB; reported duplicates {acc['duplicates']['duplicates']:,} "
              f"({report['overall']['duplicate_rate']}%), matched by rule {acc['duplicates']['matched_by_rule']}")
        print(f"precision {precision:.4f} ({good:,} true pairs, {bad:,} false), recall {recall:.4f} "
              f"({found:,}/{len(truth):,}); hard negatives matched {false_neg:,}")
        ok = (secs <= a.max_seconds and rss_mib <= a.max_rss_mib and precision >= a.min_precision
              and recall >= a.min_recall)
        print("ok" if ok else "FAILED: a bound is not met")
        return 0 if ok else 1
    finally:
        if not a.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
