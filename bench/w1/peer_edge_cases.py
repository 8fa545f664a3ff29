#!/usr/bin/env python3
"""W1 peers on edge-case inputs the generator does not produce (README.md, "Edge cases").

    peer_edge_cases.py [--simdjson PATH] [--work DIR] [--only simdjson,node,python,jq]

Writes small crafted Account.jsonl files, runs every peer found (the simdjson floor, Node,
Python, jq; crmx-run is not run here) on each, and checks:

- boundaries, boundaries-1: lines padded with an ignored field so that a line's newline falls
  exactly on (or one byte before) w1_simdjson's 1 MiB document_stream batch boundaries, in
  the first 4 MiB read chunk and in the second; valid input, so every peer must succeed;
- fields: one record per null/absent-field combination SEMANTICS.md allows (null or absent
  CurrencyIsoCode next to an AnnualRevenue, an unknown currency, absent Id and Name, ...),
  plus rounding ties and negative amounts;
- malformed: a line that is not JSON: every peer must exit non-zero (w1_jq.sh included: jq's
  own exit status must not be lost in its pipe);
- jq-limit (jq only): an amount beyond the jq peer's exact range: w1_jq.sh must exit non-zero.

In the valid cases all peers must write byte-identical Customer, quality, held and flags
files, and a few Customer fields are checked against their expected values. Exit status 0
when every check passes, 1 otherwise. A peer that is not installed is skipped (SKIP line);
at least two must run. Nothing here changes gen_accounts.py's output.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_w1  # noqa: E402

MIB = 1 << 20
CHUNK = 4 * MIB      # w1_simdjson's read chunk (kChunk)
BATCH = MIB          # its iterate_many batch size
OUTPUTS = run_w1.OUTPUTS


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- inputs

def account(i, **fields):
    """A compact Account line (no newline), Salesforce-shaped; fields override the defaults."""
    rid = "0015e00000EDGE%04d" % (i % 10000)
    cc = ("US", "CA", "GB", "DE")[i % 4]
    rec = {
        "attributes": {"type": "Account", "url": "/services/data/v59.0/sobjects/Account/" + rid},
        "Id": rid,
        "Name": ("Edge Case %d Inc." % i) if i % 7 else "  ",
        "BillingState": ("Texas", "on", None, "Bayern")[i % 4],
        "ShippingState": ("TX", "Ontario", "England", None)[i % 4],
        "BillingCountry": {"US": "USA", "CA": "Canada", "GB": "UK", "DE": "Deutschland"}[cc]
        if i % 11 else "Atlantis",
        "Phone": ("(415) 555-0100", "+1 604 555 0199", "020 7946 0123", "030 2345678")[i % 4],
        "AnnualRevenue": (1000 + 37 * i) if i % 5 else None,
        "CurrencyIsoCode": ("USD", "CAD", "GBP", "EUR")[i % 4],
        "Subsidiary__c": None,
        "PaymentTerms__c": "Net 45" if i % 2 else None,
    }
    rec.update(fields)
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":"))


def padded(i, size):
    """Account line i of exactly `size` bytes including its newline (an ignored "Pad" field)."""
    bare = account(i, Pad="")
    pad = size - 1 - len(bare.encode("utf-8"))
    if pad < 0:
        raise ValueError(f"line {i}: {size} bytes is shorter than the record")
    line = account(i, Pad="x" * pad) + "\n"
    assert len(line.encode("utf-8")) == size
    return line


def boundary_file(path, delta):
    """Lines such that a newline sits at every 1 MiB batch boundary (+ delta) of w1_simdjson.

    delta 0: the newline is the first byte of the next batch (the batch ends on "}"), which is
    where iterate_many's first document index of the batch is that newline, not the "{".
    delta -1: the batch ends exactly on the newline. A newline at byte CHUNK - 1 makes the first
    read chunk end on a line end, so the second chunk (and its batches) start at byte CHUNK."""
    # Batches of a chunk start where the previous one ended (all of them end on a complete
    # record here), so the boundaries are k MiB from the chunk start.
    targets = [k * BATCH + delta for k in (1, 2, 3)] + [CHUNK - 1] + \
              [CHUNK + k * BATCH + delta for k in (1, 2)]
    size_total = CHUNK + 2 * BATCH + 50_000
    out, at, i = [], 0, 0
    for t in targets + [size_total]:
        need = t - at + 1  # bytes up to and including the newline at t
        k = max(1, -(-need // 1000))
        for j in range(k):
            size = need // k + (1 if j < need % k else 0)
            out.append(padded(i, size))
            i += 1
        at = t + 1
    data = "".join(out).encode("utf-8")
    for t in targets:
        assert data[t:t + 1] == b"\n" and data[t - 1:t] == b"}", t
    with open(path, "wb") as f:
        f.write(data)
    return i


# Records that exercise the fields SEMANTICS.md allows to be null or absent. (key in the
# Customer file, field, expected value) triples are checked after the peers agree.
def fields_file(path):
    recs = [
        account(1, CurrencyIsoCode=None, AnnualRevenue=2500000),   # null currency: no rate
        account(2, CurrencyIsoCode="JPY", AnnualRevenue=100),      # currency without a rate
        account(3, AnnualRevenue=None, CurrencyIsoCode=None),
        account(5, AnnualRevenue=-12345, CurrencyIsoCode="GBP"),   # negative, rounds half up
        account(6, AnnualRevenue=0, CurrencyIsoCode="CAD"),
        account(9, AnnualRevenue=-1, CurrencyIsoCode="CAD"),       # -0.7321 -> -0.73
        account(13, AnnualRevenue=5, CurrencyIsoCode="EUR"),       # 5.426 -> 5.43
        account(14, AnnualRevenue=50, CurrencyIsoCode="GBP"),      # 63.37 exactly
        account(15, BillingState=None, ShippingState="tx"),
        account(17, BillingState=None, ShippingState=None),
        account(18, Phone=None, Subsidiary__c="Acme GmbH", PaymentTerms__c=None),
        account(19, Phone=" +44 20 7946 0999 ", Name="\tTabbed Name Ltd \t"),
        account(21, Name=None),
        account(22, BillingCountry=None),
        account(23, BillingCountry="  u.k.  ", Name="Müller \"Quoted\" GmbH"),
    ]
    # Absent fields read as null: drop keys from a few records.
    for i, drop in ((25, ("CurrencyIsoCode",)), (26, ("Id",)), (27, ("Name",)),
                    (29, ("Phone", "Subsidiary__c", "PaymentTerms__c", "BillingState")),
                    (30, ("AnnualRevenue", "CurrencyIsoCode", "attributes"))):
        rec = json.loads(account(i, AnnualRevenue=777))
        for k in drop:
            rec.pop(k)
        recs.append(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(recs) + "\n")
    return len(recs)


FIELD_EXPECT = [
    ("0015e00000EDGE0001", "currency", None), ("0015e00000EDGE0001", "annualRevenueUsd", None),
    ("0015e00000EDGE0002", "annualRevenueUsd", None),
    ("0015e00000EDGE0005", "annualRevenueUsd", -15646.05),
    ("0015e00000EDGE0009", "annualRevenueUsd", -0.73),
    ("0015e00000EDGE0013", "annualRevenueUsd", 5.43),
    ("0015e00000EDGE0025", "currency", None), ("0015e00000EDGE0025", "annualRevenueUsd", None),
]


def jq_limit_file(path):
    """An amount whose product with the rate's mantissa passes 2^53: the jq peer must stop
    with an error (SEMANTICS.md, "Money"), not write a wrong or truncated output and exit 0."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(account(1) + "\n" + account(2, AnnualRevenue=10 ** 15, CurrencyIsoCode="EUR") + "\n")


def malformed_file(path):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(account(1) + "\n" + '{"Id":"0015e00000EDGE0002","Name":\n' + account(3) + "\n")


# ---------------------------------------------------------------- peers

def peers(args):
    """[(name, argv builder)] of the peers found; logs SKIP for the others."""
    found = []
    simd = args.simdjson or run_w1.find_build_file("bench/w1_simdjson")
    if simd:
        found.append(("simdjson", lambda i, o: [simd, i, o]))
    else:
        log("SKIP simdjson: w1_simdjson not built (cmake --build BUILD --target w1_simdjson)")
    node = shutil.which("node") or shutil.which("nodejs")
    if node:
        found.append(("node", lambda i, o: [node, os.path.join(HERE, "peers", "w1.js"), i, o]))
    else:
        log("SKIP node: node not installed")
    found.append(("python", lambda i, o: [sys.executable, os.path.join(HERE, "peers", "w1.py"), i, o]))
    if shutil.which("jq") and (shutil.which("mawk") or shutil.which("awk")):
        found.append(("jq", lambda i, o: ["sh", os.path.join(HERE, "peers", "w1_jq.sh"), i, o]))
    else:
        log("SKIP jq: jq not installed")
    if args.only:
        wanted = set(args.only.split(","))
        found = [p for p in found if p[0] in wanted]
    return found


def run(build, in_dir, out_dir):
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    return subprocess.run(build(in_dir, out_dir), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, errors="replace")


def check_case(case, in_dir, work, found, expect_ok):
    """Runs every peer on in_dir; returns the list of failures (strings)."""
    fails = []
    ran = []
    for name, build in found:
        out_dir = os.path.join(work, "out", case, name)
        r = run(build, in_dir, out_dir)
        if expect_ok and r.returncode != 0:
            fails.append(f"{case}: {name} failed (exit status {r.returncode}): {r.stderr.strip()[-500:]}")
        elif not expect_ok and r.returncode == 0:
            fails.append(f"{case}: {name} exited 0 on malformed input")
        elif expect_ok:
            ran.append((name, out_dir))
        else:
            log(f"  {case}: {name} rejects it (exit status {r.returncode}): "
                f"{(r.stderr.strip().splitlines() or [''])[-1][:160]}")
    if expect_ok and len(ran) > 1:
        ref, ref_dir = ran[0]
        for name, out_dir in ran[1:]:
            for o in OUTPUTS:
                d = run_w1.first_difference(os.path.join(ref_dir, o + ".jsonl"),
                                            os.path.join(out_dir, o + ".jsonl"))
                if d is not None:
                    line, la, lb = d
                    fails.append(f"{case}: {o}.jsonl differs between {ref} and {name} at line {line}:\n"
                                 f"  {ref}: {la.decode('utf-8', 'replace').rstrip()}\n"
                                 f"  {name}: {lb.decode('utf-8', 'replace').rstrip()}")
    return fails, ran


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--simdjson", help="w1_simdjson binary (default: newest build*/bench/w1_simdjson)")
    ap.add_argument("--work", help="inputs and outputs (default: a temporary folder, removed at the end)")
    ap.add_argument("--only", help="comma-separated subset: simdjson,node,python,jq")
    args = ap.parse_args(argv)
    work = args.work or tempfile.mkdtemp(prefix="crmx-w1-edge-")
    os.makedirs(work, exist_ok=True)
    found = peers(args)
    if len(found) < 2:
        log("FAIL: fewer than two peers to compare")
        return 1
    log("peers: " + ", ".join(n for n, _ in found))
    fails = []
    try:
        for case, write, ok in (("boundaries", lambda p: boundary_file(p, 0), True),
                                ("boundaries-1", lambda p: boundary_file(p, -1), True),
                                ("fields", fields_file, True),
                                ("malformed", malformed_file, False)):
            in_dir = os.path.join(work, "in", case)
            os.makedirs(in_dir, exist_ok=True)
            n = write(os.path.join(in_dir, "Account.jsonl"))
            f, ran = check_case(case, in_dir, work, found, ok)
            if case == "fields" and ran:
                with open(os.path.join(ran[0][1], "Customer.jsonl"), encoding="utf-8") as fh:
                    by_id = {c["externalId"]: c for c in map(json.loads, fh)}
                for rid, field, want in FIELD_EXPECT:
                    got = by_id.get(rid, {}).get(field, "<no such Customer>")
                    if got != want:
                        f.append(f"fields: {rid} {field}: expected {want!r}, got {got!r} ({ran[0][0]})")
            log(f"{case}: {'ok' if not f else 'FAIL'}" + (f" ({n} records)" if n else ""))
            fails += f
        jq = dict(found).get("jq")
        if jq:
            in_dir = os.path.join(work, "in", "jq-limit")
            os.makedirs(in_dir, exist_ok=True)
            jq_limit_file(os.path.join(in_dir, "Account.jsonl"))
            r = run(jq, in_dir, os.path.join(work, "out", "jq-limit", "jq"))
            ok = r.returncode != 0 and "amount too large" in r.stderr
            log(f"jq-limit: {'ok' if ok else 'FAIL'} (exit status {r.returncode})")
            if not ok:
                fails.append(f"jq-limit: jq exited {r.returncode} on an amount beyond its exact range: "
                             f"{r.stderr.strip()[-300:]}")
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    for f in fails:
        log("FAIL " + f)
    if fails:
        return 1
    log("all peers agree on every edge case")
    return 0


if __name__ == "__main__":
    sys.exit(main())
