#!/usr/bin/env python3
"""The JIT against the VM, end to end: `crmx-run run --engine vm` and `--engine jit` on the
same plan and input, side by side in one run (bench/jit/README.md).

    run_jit_bench.py [--spec expr.crmx] [--n 100000] [--runs 5] [--input DIR]
                     [--crmx-run PATH] [--crmxc PATH] [--work DIR] [--core N] [--check]

The plan is built once (crmxc build SPEC). The input is --input (a directory holding the
source object's .jsonl, as W1's runner caches it), else gen_orders.py's N records (for the
default spec, expr.crmx). Each run reads system `crm` from the input directory and writes
system `erp`, the queues (--queues) and a fresh state file into an emptied output directory,
the engines alternating (vm, jit, vm, jit, ...), pinned to one core when taskset exists. The
outputs of the two engines must be the same bytes (else exit 1). Prints the best and median
wall time of each engine, records per second, and the JIT's speedup; the JIT's own count
("jit: N of M programs compiled ...") as crmx-run printed it.
"""
import argparse
import glob
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def newest(rel):
    hits = [p for p in glob.glob(os.path.join(ROOT, "build*", rel)) if os.access(p, os.X_OK)]
    # A -DCRMX_JIT=ON build first (build-jit), then the newest.
    jit = [p for p in hits if "build-jit" in p]
    return (jit or sorted(hits, key=os.path.getmtime, reverse=True) or [None])[0]


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.stderr.write(f"FAIL: {' '.join(cmd)} (exit {r.returncode})\n{r.stdout}{r.stderr}")
        sys.exit(1)
    return r


def outputs(out_dir):
    """The .jsonl files a run wrote, name -> bytes."""
    got = {}
    for p in sorted(glob.glob(os.path.join(out_dir, "*.jsonl"))):
        with open(p, "rb") as f:
            got[os.path.basename(p)] = f.read()
    return got


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--spec", default=os.path.join(HERE, "expr.crmx"))
    ap.add_argument("--n", type=int, default=100_000, help="records gen_orders.py writes (default spec only)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per engine")
    ap.add_argument("--input", help="directory of the source records (default: gen_orders.py's)")
    ap.add_argument("--crmx-run", dest="crmx_run", default=os.environ.get("CRMX_RUN") or newest("runtime/crmx-run"))
    ap.add_argument("--crmxc", default=os.environ.get("CRMXC") or newest("compiler/driver/crmxc"))
    ap.add_argument("--work", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "crmx-jit-bench"))
    ap.add_argument("--core", type=int, default=0, help="CPU to pin to with taskset (-1: none)")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 unless the JIT compiled every program of the plan (CTest bench_jit_smoke)")
    args = ap.parse_args()
    for what, path in (("crmx-run", args.crmx_run), ("crmxc", args.crmxc)):
        if not path or not os.access(path, os.X_OK):
            sys.exit(f"FAIL: {what} not found (a -DCRMX_JIT=ON build: cmake --build build-jit --target {what})")
    os.makedirs(args.work, exist_ok=True)
    spec_name = os.path.splitext(os.path.basename(args.spec))[0]
    plan = os.path.join(args.work, spec_name + ".plan.json")
    run([args.crmxc, "build", args.spec, "-o", plan])
    in_dir = args.input
    if not in_dir:
        in_dir = os.path.join(args.work, f"orders-{args.n}")
        if not os.path.exists(os.path.join(in_dir, "Order.jsonl")):
            run([sys.executable, os.path.join(HERE, "gen_orders.py"), "--n", str(args.n), "--out", in_dir])
    records = 0
    for p in glob.glob(os.path.join(in_dir, "*.jsonl")):
        with open(p, "rb") as f:
            records = max(records, sum(1 for _ in f))
    pin = ["taskset", "-c", str(args.core)] if args.core >= 0 and shutil.which("taskset") else []
    times = {"vm": [], "jit": []}
    first = {}
    jit_line = ""
    for i in range(args.runs):
        for engine in ("vm", "jit"):
            out_dir = os.path.join(args.work, "out-" + engine)
            shutil.rmtree(out_dir, ignore_errors=True)
            os.makedirs(out_dir)
            cmd = pin + [args.crmx_run, "run", plan, "--system", "crm=" + in_dir, "--system", "erp=" + out_dir,
                         "--queues", out_dir, "--state", os.path.join(out_dir, "state.db"), "--progress", "never",
                         "--engine", engine]
            start = time.perf_counter()
            r = run(cmd)
            times[engine].append(time.perf_counter() - start)
            if engine == "jit":
                jit_line = next((l for l in r.stderr.splitlines() if l.startswith("jit: ")), "(no jit line)")
            if i == 0:
                first[engine] = outputs(out_dir)
    if args.check and not re.match(r"jit: (\d+) of \1 programs compiled, 0 on the VM", jit_line):
        sys.exit(f"FAIL: not every program was compiled: {jit_line}")
    if first["vm"] != first["jit"]:
        diff = [k for k in set(first["vm"]) | set(first["jit"]) if first["vm"].get(k) != first["jit"].get(k)]
        sys.exit(f"FAIL: the JIT's outputs differ from the VM's: {sorted(diff)}")
    print(f"{spec_name}: {records} records, {args.runs} runs per engine, pinned: {'core ' + str(args.core) if pin else 'no'}")
    print(f"  {jit_line}")
    print(f"  {'engine':6}  {'best s':>8}  {'median s':>8}  {'records/s':>10}")
    for engine in ("vm", "jit"):
        best = min(times[engine])
        print(f"  {engine:6}  {best:8.3f}  {statistics.median(times[engine]):8.3f}  {records / best:10.0f}")
    speedup = min(times["vm"]) / min(times["jit"])
    print(f"  jit speedup (best vm / best jit): {speedup:.2f}x; outputs identical ({', '.join(sorted(first['vm']))})")


if __name__ == "__main__":
    main()
