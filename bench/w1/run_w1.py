#!/usr/bin/env python3
"""Benchmark W1 "account -> customer": crmx-run against hand-written peers (README.md).

    run_w1.py [--n 200000] [--runs 1] [--simdjson PATH] [--e164-check PATH]
              [--crmx-run PATH] [--crmxc PATH] [--only simdjson,crmx-run,natural,node,python,jq]
    run_w1.py --flat              # 200k and 2M records: does peak RSS stay flat?

Generates N Account records (cached under --work), builds crmx-run's plans once (crmxc build
w1.crmx -o WORK/w1.plan.json, and w1_natural.crmx for the `natural` participant: the same job
written the way a user first would), runs every implementation pinned to one
core (taskset -c CORE), checks that all of them wrote byte-identical Customer, quality, held
and flags files (and, with --e164-check, that the phones agree with libphonenumber), and only
then prints records/s, MB/s, CPU time, peak RSS and the ratio to the simdjson floor, and, with
crmx-run present, the bar verdict (with --flat, also whether peak RSS stayed flat).
Exit status: 0 when every implementation that ran agrees; 1 on any disagreement or failure,
and with --enforce-bar when crmx-run did not run or missed the bar.
"""
import argparse
import glob
import json
import os
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import gen_accounts  # noqa: E402

OUTPUTS = ("Customer", "quality", "held", "flags")
FLOOR = "simdjson"
CRMX = "crmx-run"
# crmx-run on w1_natural.crmx: the same job written the way a user would first write it.
NATURAL = "natural"
# The bar for crmx-run (README.md): judged at the first size of the run (200,000 by default).
BAR_RATIO = 0.5           # >= this x the floor's records/s (wall), issue "Performance"
BAR_NATURAL = 0.35        # the natural spec: >= this x the floor's records/s (wall)
BAR_RSS_MIB = 64.0        # peak RSS below this
# --flat: peak RSS at the largest size within max(10%, 8 MiB) of the smallest size's.
FLAT_FRACTION = 0.10
FLAT_MIB = 8.0


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- implementations

def find_build_file(rel):
    """The newest ROOT/build*/REL, or None."""
    hits = [p for p in glob.glob(os.path.join(ROOT, "build*", rel)) if os.access(p, os.X_OK)]
    return max(hits, key=os.path.getmtime) if hits else None


def crmx_run_command(binary, plan, in_dir, out_dir):
    """The timed crmx-run command: runs PLAN (built once by build_plan, before any timing).

    Contract (SEMANTICS.md): read IN_DIR/Account.jsonl through system `crm`, write
    OUT_DIR/Customer.jsonl through system `erp` and the queue files quality/held/flags.jsonl
    into OUT_DIR (--queues), keep the state file in OUT_DIR (emptied before every run), exit 0."""
    return [binary, "run", plan,
            "--system", "crm=" + in_dir, "--system", "erp=" + out_dir,
            "--queues", out_dir, "--state", os.path.join(out_dir, "state.db"),
            "--progress", "never"]


def find_crmxc(args, crmx_run):
    """--crmxc, $CRMXC, the crmxc of crmx-run's own build folder, or the newest build*/ one."""
    if args.crmxc or os.environ.get("CRMXC"):
        return args.crmxc or os.environ.get("CRMXC")
    if crmx_run:
        # BUILD/runtime/crmx-run -> BUILD/compiler/driver/crmxc: a plan from the same build.
        sibling = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(crmx_run))),
                               "compiler", "driver", "crmxc")
        if os.access(sibling, os.X_OK):
            return sibling
    return find_build_file("compiler/driver/crmxc")


def build_plan(crmxc, work, spec="w1.crmx"):
    """crmxc build SPEC -o WORK/<spec>.plan.json, once, before any timing; exits 1 on failure."""
    plan = os.path.join(work, spec.replace(".crmx", ".plan.json"))
    if os.path.exists(plan):
        os.remove(plan)
    cmd = [crmxc, "build", os.path.join(HERE, spec), "-o", plan]
    log("building the plan: " + " ".join(cmd))
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        log(f"FAIL: cannot run crmxc to build crmx-run's plan: {e}")
        sys.exit(1)
    if r.returncode != 0 or not os.path.isfile(plan):
        sys.stderr.write(r.stdout + r.stderr)
        log(f"FAIL: crmxc build bench/w1/{spec} failed (exit status {r.returncode}); "
            "crmx-run cannot run without its plan")
        sys.exit(1)
    return plan


def implementations(args):
    """[(name, argv-builder or None, why-skipped)] in report order; the floor first.

    Builds crmx-run's plan when crmx-run is found and selected (before any timing)."""
    impls = []
    simd = args.simdjson or find_build_file("bench/w1_simdjson")
    impls.append((FLOOR, (lambda i, o: [simd, i, o]) if simd else None,
                  "w1_simdjson not built (cmake --build BUILD --target w1_simdjson)"))
    crmx = args.crmx_run or os.environ.get("CRMX_RUN") or find_build_file("runtime/crmx-run")
    crmx_why = "crmx-run not built (cmake --build BUILD --target crmx-run)"
    crmxc = None
    wanted = set(args.only.split(",")) if args.only else {CRMX, NATURAL}
    if crmx and wanted & {CRMX, NATURAL}:
        crmxc = find_crmxc(args, crmx)
        for what, path in ((CRMX, crmx), ("crmxc", crmxc)):
            if path is not None and not os.access(path, os.X_OK):
                log(f"FAIL: {what} {path} is not an executable file (cmake --build BUILD --target {what})")
                sys.exit(1)
        if crmxc is None:
            crmx_why = ("crmxc not found, needed to build crmx-run's plan "
                        "(--crmxc PATH, $CRMXC, or cmake --build BUILD --target crmxc)")
            crmx = None
    if crmx and crmxc:
        plan = build_plan(crmxc, args.work)
        extra = shlex.split(args.crmx_run_args)  # e.g. --engine jit (bench/jit/README.md)
        impls.append((CRMX, lambda i, o: crmx_run_command(crmx, plan, i, o) + extra, ""))
        if NATURAL in wanted:
            natural = build_plan(crmxc, args.work, "w1_natural.crmx")
            impls.append((NATURAL, lambda i, o: crmx_run_command(crmx, natural, i, o) + extra, ""))
    else:
        impls.append((CRMX, None, crmx_why))
        impls.append((NATURAL, None, crmx_why))
    node = shutil.which("node") or shutil.which("nodejs")
    impls.append(("node", (lambda i, o: [node, os.path.join(HERE, "peers", "w1.js"), i, o]) if node else None,
                  "node not installed (scripts/setup.sh installs nodejs)"))
    impls.append(("python", lambda i, o: [sys.executable, os.path.join(HERE, "peers", "w1.py"), i, o], ""))
    jq_ok = shutil.which("jq") and (shutil.which("mawk") or shutil.which("awk"))
    impls.append(("jq", (lambda i, o: ["sh", os.path.join(HERE, "peers", "w1_jq.sh"), i, o]) if jq_ok else None,
                  "jq not installed (scripts/setup.sh installs jq)"))
    if args.only:
        wanted = set(args.only.split(","))
        impls = [x for x in impls if x[0] in wanted]
    return impls


# ---------------------------------------------------------------- running

def pin_prefix(core):
    if core is None or core < 0:
        return []
    if shutil.which("taskset"):
        return ["taskset", "-c", str(core)]
    log("note: taskset not found, implementations are not pinned to a core")
    return []


def run_once(argv, out_dir, core, measure):
    """Runs one implementation; returns wall and CPU seconds and peak RSS (KiB)."""
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    err_path = out_dir + ".stderr"
    report_path = out_dir + ".measure"
    cmd = pin_prefix(core) + argv
    with open(err_path, "wb") as err:
        if measure:
            code = subprocess.run([measure, report_path] + cmd, stdout=subprocess.DEVNULL, stderr=err).returncode
            if code == 0:
                with open(report_path) as f:
                    wall, cpu, rss, _ = f.read().split()
                r = {"wall_s": float(wall), "cpu_s": float(cpu), "rss_kib": int(rss)}
        else:
            # Fallback: ru_maxrss then includes this runner's own RSS (see measure.cpp).
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
            _, status, ru = os.wait4(p.pid, 0)
            code = os.waitstatus_to_exitcode(status)
            r = {"wall_s": time.perf_counter() - t0, "cpu_s": ru.ru_utime + ru.ru_stime, "rss_kib": ru.ru_maxrss}
    if code != 0:
        with open(err_path, "rb") as f:
            tail = f.read()[-2000:].decode("utf-8", "replace")
        raise RuntimeError(f"exit status {code}: {' '.join(cmd)}\n{tail}")
    return r


def first_difference(a_path, b_path):
    with open(a_path, "rb") as a, open(b_path, "rb") as b:
        n = 0
        while True:
            la, lb = a.readline(), b.readline()
            n += 1
            if la != lb:
                return n, la, lb
            if not la:
                return None


def verify(results, work, size_tag):
    """All outputs byte-identical to the first implementation's; raises SystemExit(1) if not."""
    names = [n for n in results]
    ref = names[0]
    ok = True
    for name in names[1:]:
        for o in OUTPUTS:
            a = os.path.join(work, "out", size_tag, ref, o + ".jsonl")
            b = os.path.join(work, "out", size_tag, name, o + ".jsonl")
            if not os.path.exists(b):
                log(f"MISMATCH: {name} did not write {o}.jsonl")
                ok = False
                continue
            d = first_difference(a, b)
            if d is not None:
                line, la, lb = d
                log(f"MISMATCH: {o}.jsonl differs between {ref} and {name} at line {line}:")
                log(f"  {ref:>9}: {la.decode('utf-8', 'replace').rstrip() or '<end of file>'}")
                log(f"  {name:>9}: {lb.decode('utf-8', 'replace').rstrip() or '<end of file>'}")
                ok = False
    if not ok:
        log("FAIL: outputs differ; no timings are reported")
        sys.exit(1)
    counts = {}
    for o in OUTPUTS:
        with open(os.path.join(work, "out", size_tag, ref, o + ".jsonl"), "rb") as f:
            counts[o] = sum(1 for _ in f)
    log(f"outputs identical across {', '.join(names)}: " +
        ", ".join(f"{counts[o]} {o}" for o in OUTPUTS))
    return counts


def e164_check(binary, data_dir, out_dir, work):
    """Feeds (Phone, country, peers' phone) of every written record to e164_check."""
    tsv = os.path.join(work, "phones.tsv")
    by_id = {}
    with open(os.path.join(out_dir, "Customer.jsonl"), encoding="utf-8") as f:
        for line in f:
            c = json.loads(line)
            by_id[c["externalId"]] = (c["country"], c["phone"])
    n = 0
    with open(os.path.join(data_dir, "Account.jsonl"), encoding="utf-8") as f, \
            open(tsv, "w", encoding="utf-8") as t:
        for line in f:
            a = json.loads(line)
            c = by_id.get(a["Id"])
            if c is None or a.get("Phone") is None:
                continue
            if "\t" in a["Phone"] or "\n" in a["Phone"]:
                raise RuntimeError("a phone with a tab or newline cannot go into the TSV")
            t.write(f"{a['Phone']}\t{c[0]}\t{c[1] or ''}\n")
            n += 1
    r = subprocess.run([binary, tsv], capture_output=True, text=True)
    sys.stderr.write(r.stdout + r.stderr)
    if r.returncode != 0:
        log("FAIL: the peers' E.164 phones disagree with libphonenumber")
        sys.exit(1)


def dataset(work, n, seed):
    d = os.path.join(work, f"data-{n}-s{seed}")
    path = os.path.join(d, "Account.jsonl")
    stamp = os.path.join(d, ".complete")
    if not os.path.exists(stamp):
        log(f"generating {n} records into {d} ...")
        gen_accounts.generate(n, d, seed)
        open(stamp, "w").close()
    return d, os.path.getsize(path)


def bench(args, n, impls):
    data_dir, nbytes = dataset(args.work, n, args.seed)
    tag = f"n{n}"
    results = {}
    for name, build, why in impls:
        if build is None:
            log(f"SKIP {name}: {why}")
            continue
        out_dir = os.path.join(args.work, "out", tag, name)
        best = None
        for k in range(args.runs):
            log(f"run {name} ({n} records, {k + 1}/{args.runs}) ...")
            try:
                r = run_once(build(data_dir, out_dir), out_dir, args.core, args.measure)
            except RuntimeError as e:
                log(f"FAIL: {name}: {e}")
                sys.exit(1)
            if best is None or r["wall_s"] < best["wall_s"]:
                best = dict(r, rss_kib=max(r["rss_kib"], best["rss_kib"] if best else 0))
            else:
                best["rss_kib"] = max(best["rss_kib"], r["rss_kib"])
            best["cpu_best_s"] = min(r["cpu_s"], best.get("cpu_best_s", r["cpu_s"]))
        results[name] = best
    if not results:
        log("FAIL: nothing ran")
        sys.exit(1)
    counts = verify(results, args.work, tag)
    if args.e164_check:
        e164_check(args.e164_check, data_dir, os.path.join(args.work, "out", tag, next(iter(results))), args.work)
    elif args.require_e164_check:
        log("FAIL: --require-e164-check without --e164-check")
        sys.exit(1)
    for r in results.values():
        r["records_per_s"] = n / r["wall_s"]
        r["mb_per_s"] = nbytes / r["wall_s"] / 1e6
        r["records_per_cpu_s"] = n / r["cpu_best_s"] if r["cpu_best_s"] > 0 else float("inf")
    return {"n": n, "bytes": nbytes, "counts": counts, "results": results}


def report(b, judge_bar=True):
    """Prints the table; returns the bar verdict for crmx-run: True, False, or None (not judged:
    crmx-run or the floor did not run, or judge_bar is False)."""
    res = b["results"]
    floor = res.get(FLOOR)
    print(f"W1 account -> customer: {b['n']} records, {b['bytes']} bytes "
          f"({b['bytes'] / b['n']:.0f} B/record); written {b['counts']['Customer']}, "
          f"quality {b['counts']['quality']}, held {b['counts']['held']}, flags {b['counts']['flags']}")
    hdr = f"{'impl':<10}{'wall s':>9}{'cpu s':>9}{'records/s':>12}{'MB/s':>9}{'rec/cpu-s':>12}{'RSS MiB':>9}  {'x floor':>8}{'x floor cpu':>12}"
    print(hdr)
    print("-" * len(hdr))
    for name, r in res.items():
        ratio = f"{r['records_per_s'] / floor['records_per_s']:.3f}" if floor else "-"
        ratio_cpu = f"{r['records_per_cpu_s'] / floor['records_per_cpu_s']:.3f}" if floor else "-"
        print(f"{name:<10}{r['wall_s']:>9.3f}{r['cpu_best_s']:>9.3f}{r['records_per_s']:>12,.0f}"
              f"{r['mb_per_s']:>9.1f}{r['records_per_cpu_s']:>12,.0f}{r['rss_kib'] / 1024:>9.1f}  {ratio:>8}{ratio_cpu:>12}")
    # Ratio of the floor to each peer (how many times faster the floor is).
    if floor:
        print("floor speed-up over each peer (wall): " + ", ".join(
            f"{n} {floor['records_per_s'] / r['records_per_s']:.1f}x" for n, r in res.items() if n != FLOOR))
    crmx = res.get(CRMX)
    if not (crmx and floor):
        return None
    ratio = crmx["records_per_s"] / floor["records_per_s"]
    rss = crmx["rss_kib"] / 1024
    if not judge_bar:
        print(f"bar: not judged at {b['n']} records (judged at the first size) "
              f"({ratio:.3f}x, {rss:.1f} MiB)")
        return None
    ok = ratio >= BAR_RATIO and rss < BAR_RSS_MIB
    print(f"bar (crmx-run >= {BAR_RATIO}x floor; RSS < {BAR_RSS_MIB:.0f} MiB): "
          f"{'PASS' if ok else 'FAIL'} ({ratio:.3f}x, {rss:.1f} MiB)")
    natural = res.get(NATURAL)
    if natural:
        n_ratio = natural["records_per_s"] / floor["records_per_s"]
        n_rss = natural["rss_kib"] / 1024
        n_ok = n_ratio >= BAR_NATURAL and n_rss < BAR_RSS_MIB
        print(f"bar (natural spec >= {BAR_NATURAL}x floor; RSS < {BAR_RSS_MIB:.0f} MiB): "
              f"{'PASS' if n_ok else 'FAIL'} ({n_ratio:.3f}x, {n_rss:.1f} MiB); "
              f"natural / tuned: {natural['records_per_s'] / crmx['records_per_s']:.2f}x")
        ok = ok and n_ok
    return ok


def flat_report(runs):
    """Peak RSS at the smallest vs the largest size, per implementation: "flat" when it grew by
    at most max(FLAT_FRACTION of the smallest size's, FLAT_MIB). Returns {name: flat?}."""
    small, big = runs[0], runs[-1]
    print(f"memory flatness: peak RSS at {small['n']} vs {big['n']} records "
          f"(flat: growth <= max({FLAT_FRACTION:.0%}, {FLAT_MIB:.0f} MiB))")
    flat = {}
    for name in small["results"]:
        if name not in big["results"]:
            continue
        a, b = small["results"][name]["rss_kib"] / 1024, big["results"][name]["rss_kib"] / 1024
        limit = max(FLAT_FRACTION * a, FLAT_MIB)
        flat[name] = b - a <= limit
        print(f"  {name:<10}{a:>9.1f} MiB -> {b:>9.1f} MiB   growth {b - a:+.1f} MiB ({b / a:.2f}x), "
              f"limit +{limit:.1f} MiB: {'flat' if flat[name] else 'NOT flat'}")
    return flat


def check_spec(crmxc):
    for spec in ("w1.crmx", "w1_natural.crmx"):
        r = subprocess.run([crmxc, "check", "--deny-warnings", os.path.join(HERE, spec)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.stderr.write(r.stdout + r.stderr)
            log(f"FAIL: crmxc check bench/w1/{spec}")
            sys.exit(1)
        log(f"crmxc check bench/w1/{spec}: ok (no errors, no warnings)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--n", type=int, default=200_000, help="records (default 200000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--runs", type=int, default=1, help="timed runs per implementation; best wall time kept")
    ap.add_argument("--core", type=int, default=0, help="CPU to pin to with taskset (-1: no pinning)")
    ap.add_argument("--work", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "crmx-w1"),
                    help="data and outputs (generated data is cached here)")
    ap.add_argument("--only", help="comma-separated subset: simdjson,crmx-run,natural,node,python,jq")
    ap.add_argument("--simdjson", help="w1_simdjson binary (default: newest build*/bench/w1_simdjson)")
    ap.add_argument("--crmx-run", dest="crmx_run",
                    help="crmx-run binary (default: $CRMX_RUN, newest build*/runtime/crmx-run); run when found")
    ap.add_argument("--crmx-run-args", dest="crmx_run_args", default="",
                    help="more arguments for `crmx-run run`, e.g. '--engine jit' (a -DCRMX_JIT=ON build)")
    ap.add_argument("--measure", help="w1_measure binary (default: newest build*/bench/w1_measure)")
    ap.add_argument("--e164-check", dest="e164_check", help="e164_check binary: verify phones with libphonenumber")
    ap.add_argument("--require-e164-check", action="store_true", help="fail when --e164-check is missing")
    ap.add_argument("--crmxc", help="crmxc binary: builds crmx-run's plan; given (or $CRMXC), also runs "
                    "`crmxc check --deny-warnings w1.crmx` (default: $CRMXC, crmx-run's build folder, "
                    "newest build*/compiler/driver/crmxc)")
    ap.add_argument("--flat", action="store_true",
                    help="run at 200k and 2M records, report RSS growth and whether it is flat")
    ap.add_argument("--flat-sizes", default="200000,2000000")
    ap.add_argument("--json", help="also write the results as JSON to this file")
    ap.add_argument("--enforce-bar", action="store_true",
                    help="exit 1 when crmx-run did not run or misses the bar (with --flat: or is not flat)")
    args = ap.parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    if args.e164_check is None and args.require_e164_check is False:
        args.e164_check = find_build_file("bench/e164_check")
    if args.measure is None:
        args.measure = find_build_file("bench/w1_measure")
        if args.measure is None:
            log("note: w1_measure not built; peak RSS includes this runner's own ~16 MiB")
    if args.crmxc or os.environ.get("CRMXC"):
        check_spec(args.crmxc or os.environ.get("CRMXC"))
    impls = implementations(args)
    sizes = [int(s) for s in args.flat_sizes.split(",")] if args.flat else [args.n]
    runs = [bench(args, n, impls) for n in sizes]
    # The bar is judged at the first size (200k with --flat), the other sizes are reported.
    bar = [report(b, judge_bar=(k == 0)) for k, b in enumerate(runs)][0]
    flat = flat_report(runs) if args.flat else {}
    if args.json:
        if args.flat:
            runs[-1]["flat"] = flat
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=1)
    if args.enforce_bar:
        if bar is None:
            log("FAIL: --enforce-bar: no verdict (crmx-run and the simdjson floor must both run)")
            sys.exit(1)
        if not bar:
            log("FAIL: --enforce-bar: crmx-run misses the bar")
            sys.exit(1)
        if args.flat and not flat.get(CRMX, False):
            log("FAIL: --enforce-bar: crmx-run's peak RSS is not flat")
            sys.exit(1)


if __name__ == "__main__":
    main()
