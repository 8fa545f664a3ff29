#!/usr/bin/env python3
"""Durable delivery's cost (issue 9): the north star over local files with a state file
(`--state`) against the same run without a state file (`--no-state`), interleaved, best of --runs.

    run_durable.py CRMXC CRMX_RUN [--accounts 50000] [--runs 3] [--check] [--min-ratio 0.5]
                   [--target dir|sqlite] [--work DIR] [--keep]
                   [--baseline-crmx-run PATH [--baseline-crmxc PATH]]

Data: the north-star example's Salesforce export (examples/acme-salesforce-netsuite/data/crm)
copied ceil(accounts / 300) times with fresh ids (`Hp0000` in every id becomes `C` and the
copy's number: accounts, opportunities and their line items stay linked; the malformed line
stays malformed), so 50,000 accounts come with ~66,800 opportunities and ~134,000 line items.
Deterministic: the same arguments give the same bytes. Generated once into WORK/crm.

Each timed run gets a fresh copy of the CRM directory (order_status_back writes opportunities
back into it), a fresh ERP target (a JSONL directory, or a SQLite database with --target sqlite)
and, with --state, a fresh state file: with a state a second run would skip the unchanged
records. Copying is not timed. The two variants alternate (state, none, state, none, ...) and the
best wall time of each counts. Throughput = source records read (input lines of every map) /
wall seconds.

The "without" variant runs with --no-state: no state file at all (no cursors, no ledger, no
cross-reference kept). With --baseline-crmx-run, the "without" variant is that binary instead
(e.g. a build from before the delivery ledger; its plan built with --baseline-crmxc, default
CRMXC), without --state (such a build keeps a state file next to the ERP's store): then the
ratio is the ledger's cost against the engine before it.

Both variants must write the same records (Customer and SalesOrder keys and values, the
opportunities' write-back): else exit 1 whatever the figures. --check: exit 1 also when the
ratio throughput(with state) / throughput(without) is below --min-ratio (0.5).
Prints a table and one JSON line of figures at the end."""
import argparse
import hashlib
import json
import math
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLE = os.path.join(ROOT, "examples", "acme-salesforce-netsuite")
OBJECTS = ("Account", "Opportunity", "OpportunityLineItem", "Product2")
SCALED = ("Account", "Opportunity", "OpportunityLineItem")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def generate(crm, accounts):
    """The example's export, ceil(accounts / 300) copies with fresh ids, into CRM. Returns line counts."""
    os.makedirs(crm, exist_ok=True)
    src = os.path.join(EXAMPLE, "data", "crm")
    base = {o: open(os.path.join(src, o + ".jsonl"), encoding="utf-8").read().splitlines() for o in OBJECTS}
    copies = max(1, math.ceil(accounts / len(base["Account"])))
    counts = {}
    for o in OBJECTS:
        lines = base[o]
        with open(os.path.join(crm, o + ".jsonl"), "w", encoding="utf-8") as f:
            if o in SCALED:
                for c in range(copies):
                    tag = f"C{c:05d}"
                    for l in lines:
                        f.write(l.replace("Hp0000", tag) + "\n")
                counts[o] = copies * len(lines)
            else:
                f.write("\n".join(lines) + "\n")
                counts[o] = len(lines)
    return counts


def build_plan(crmxc, out):
    p = subprocess.run([crmxc, "build", os.path.join(EXAMPLE, "acme.crmx"), "-o", out], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"crmxc build failed: {p.stderr}")


def read_target(erp, target):
    """{object: {key: record without its id}} of the ERP target after a run."""
    out = {}
    for obj in ("Customer", "SalesOrder"):
        recs = {}
        if target == "sqlite":
            if os.path.exists(erp):
                db = sqlite3.connect(erp)
                try:
                    cols = [r[1] for r in db.execute(f"PRAGMA table_info({obj})")]
                    if cols:
                        for row in db.execute(f"SELECT * FROM {obj}"):
                            r = dict(zip(cols, row))
                            recs[r.get("externalId")] = {k: v for k, v in r.items() if k.lower() not in ("id", "crmx_id", "entity")}
                finally:
                    db.close()
        else:
            path = os.path.join(erp, obj + ".jsonl")
            if os.path.exists(path):
                for l in open(path, encoding="utf-8"):
                    if l.strip():
                        r = json.loads(l)
                        recs[r.get("externalId")] = {k: v for k, v in r.items() if k not in ("id", "entity")}
        out[obj] = recs
    return out


def digest(records):
    h = hashlib.sha256()
    for obj in sorted(records):
        for k in sorted(records[obj], key=str):
            h.update(json.dumps([obj, k, records[obj][k]], sort_keys=True).encode())
    return h.hexdigest()[:16]


def opp_digest(crm):
    h = hashlib.sha256()
    n = 0
    for l in open(os.path.join(crm, "Opportunity.jsonl"), encoding="utf-8"):
        try:
            r = json.loads(l)
        except ValueError:
            continue
        if r.get("ERP_Status__c") is not None or r.get("ERP_Order_Number__c") is not None:
            n += 1
        h.update(json.dumps([r.get("Id"), r.get("ERP_Status__c"), r.get("ERP_Order_Number__c")]).encode())
    return h.hexdigest()[:16], n


def state_files(*dirs):
    out = []
    for d in dirs:
        if os.path.isdir(d):
            out += [os.path.join(d, f) for f in os.listdir(d) if f.endswith(".crmx-state.db")]
    return out


def timed_run(a, variant, plan, binary, work, crm_master, i):
    d = os.path.join(work, f"{variant}-{i}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    crm = os.path.join(d, "crm")
    shutil.copytree(crm_master, crm)
    if a.target == "sqlite":
        erp = os.path.join(d, "erp.db")
    else:
        erp = os.path.join(d, "erp")
        os.makedirs(erp)
    cmd = [binary, "run", plan, "--system", f"crm={crm}", "--system", f"erp={erp}",
           "--report", "json", "--progress", "never"]
    state = None
    if variant == "state":
        state = os.path.join(d, "state", "run.crmx-state.db")
        os.makedirs(os.path.dirname(state))
        cmd += ["--state", state]
    elif not a.baseline_crmx_run:
        cmd += ["--no-state"]
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    sys_cpu = ru1.ru_stime - ru0.ru_stime
    if p.returncode != 0:
        sys.exit(f"{variant} run {i}: exit {p.returncode}: {p.stderr[-1000:]}")
    report = json.loads(p.stdout)
    lines = sum(m.get("input_lines", 0) for m in report["maps"].values())
    written = {k: m.get("written", 0) for k, m in report["maps"].items()}
    recs = read_target(erp, a.target)
    od, on = opp_digest(crm)
    found_state = [state] if state else state_files(erp if os.path.isdir(erp) else d, crm, d)
    result = {"wall": wall, "cpu": cpu, "sys": sys_cpu, "lines": lines, "written": written, "digest": digest(recs), "opp_digest": od,
              "opps_written_back": on, "customers": len(recs["Customer"]), "orders": len(recs["SalesOrder"]),
              "state_files": found_state, "ledger": report.get("ledger")}
    if not a.keep:
        shutil.rmtree(d, ignore_errors=True)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("crmxc")
    ap.add_argument("crmx_run")
    ap.add_argument("--accounts", type=int, default=50000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--target", choices=["dir", "sqlite"], default="dir")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--min-ratio", type=float, default=0.5)
    ap.add_argument("--work", help="where to generate (default: a temporary directory, removed at the end)")
    ap.add_argument("--keep", action="store_true", help="keep every run's directory")
    ap.add_argument("--baseline-crmx-run", help="the `without` variant runs this binary (no --state)")
    ap.add_argument("--baseline-crmxc", help="builds the baseline's plan (default: CRMXC)")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="crmx-durable-")
    os.makedirs(work, exist_ok=True)
    try:
        crm = os.path.join(work, "crm")
        t0 = time.perf_counter()
        counts = generate(crm, a.accounts)
        log(f"generated {counts} in {time.perf_counter() - t0:.1f}s into {crm}")
        plan = os.path.join(work, "acme.plan.json")
        build_plan(a.crmxc, plan)
        base_bin, base_plan = a.crmx_run, plan
        if a.baseline_crmx_run:
            base_bin = a.baseline_crmx_run
            base_plan = os.path.join(work, "acme.baseline.plan.json")
            build_plan(a.baseline_crmxc or a.crmxc, base_plan)
        results = {"state": [], "none": []}
        for i in range(a.runs):
            for variant in ("state", "none"):
                binary, pl = (a.crmx_run, plan) if variant == "state" else (base_bin, base_plan)
                r = timed_run(a, variant, pl, binary, work, crm, i)
                results[variant].append(r)
                log(f"  run {i + 1} {variant:5s}: {r['wall']:.3f}s wall, {r['cpu']:.3f}s cpu ({r['sys']:.3f}s sys)  {r['lines']} lines  "
                    f"{r['lines'] / r['wall']:,.0f} lines/s  written {r['written']}")
        failures = []
        ref = results["state"][0]
        for variant, rs in results.items():
            for i, r in enumerate(rs):
                for k in ("lines", "digest", "opp_digest", "customers", "orders"):
                    if r[k] != ref[k]:
                        failures.append(f"{variant} run {i + 1}: {k} {r[k]} != {ref[k]} (state run 1)")
        best = {v: min(rs, key=lambda r: r["wall"]) for v, rs in results.items()}
        tput = {v: best[v]["lines"] / best[v]["wall"] for v in best}
        ratio = tput["state"] / tput["none"]
        cpu = {v: min(r["cpu"] for r in rs) for v, rs in results.items()}
        figures = {
            "accounts": counts["Account"], "opportunities": counts["Opportunity"],
            "line_items": counts["OpportunityLineItem"], "target": a.target, "runs": a.runs,
            "lines_per_run": ref["lines"], "customers": ref["customers"], "orders": ref["orders"],
            "opps_written_back": ref["opps_written_back"],
            "best_wall_state_s": round(best["state"]["wall"], 3), "best_wall_none_s": round(best["none"]["wall"], 3),
            "lines_per_s_state": round(tput["state"]), "lines_per_s_none": round(tput["none"]),
            "ratio_state_over_none": round(ratio, 3),
            "best_cpu_state_s": round(cpu["state"], 3), "best_cpu_none_s": round(cpu["none"], 3),
            "cpu_ratio_none_over_state": round(cpu["none"] / cpu["state"], 3),
            "none_kept_state_at": [os.path.relpath(p, work) for p in best["none"]["state_files"]] if a.keep else
                                  [os.path.basename(p) for p in best["none"]["state_files"]],
            "ledger_state": best["state"]["ledger"],
            "baseline": a.baseline_crmx_run or "same binary, no --state",
        }
        print(f"{'variant':8s} {'best wall s':>12s} {'lines/s':>12s} {'best cpu s':>11s}")
        print(f"{'--state':8s} {best['state']['wall']:12.3f} {tput['state']:12,.0f} {cpu['state']:11.3f}")
        print(f"{'none':8s} {best['none']['wall']:12.3f} {tput['none']:12,.0f} {cpu['none']:11.3f}")
        print(f"ratio throughput(with state) / throughput(without) = {ratio:.3f}")
        if best["none"]["state_files"] and not a.baseline_crmx_run:
            print("note: without --state, crmx-run kept a state file anyway ("
                  + ", ".join(os.path.basename(p) for p in best["none"]["state_files"])
                  + "): both variants are stateful")
        print(json.dumps(figures))
        for f in failures:
            print("FAIL:", f)
        if a.check and ratio < a.min_ratio:
            failures.append(f"ratio {ratio:.3f} < {a.min_ratio}")
            print(f"FAIL: ratio {ratio:.3f} < {a.min_ratio}")
        return 1 if failures else 0
    finally:
        if not a.work and not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
