#!/usr/bin/env python3
"""Scale-out throughput (issue 15): 1, 2 and 4 `crmx-run serve` workers on one PostgreSQL state,
against the emulators with every API call delayed (--latency-ms, 50 by default), so that waiting
on the vendor dominates.

    run_scaling.py CRMXC CRMX_RUN CRMX_EMULATE [--workers 1,2,4] [--latency-ms 50] [--maps 4]
                   [--lanes 2] [--concurrency 16] [--runs 1] [--check]

The workload: --maps independent syncs, each the north star's account_to_customer writing every
Salesforce account as a NetSuite customer under its own external id prefix (`p1-...`, `p2-...`),
so the work splits into --maps equal syncs (a sync is the unit a worker claims). Each worker
sends at most --lanes requests at once to NetSuite (the profile's concurrency), and NetSuite's
`budget concurrency` is --concurrency for the whole cluster (shared by the workers).

For each worker count: a fresh database and fresh emulators, the workers started together, and
the time until NetSuite holds every customer (its journal), the workers stopped. Prints
customers per second and the speedup over 1 worker; with a second pass at --bind (default 4)
shared concurrency slots, the same with the shared limit binding. --check fails unless 2 workers
reach 1.6x and 4 workers 2.8x of 1 worker when the limit does not bind, and 4 workers stay
within the bound's throughput when it binds (no more than --bind requests in flight)."""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e", "http"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "pg"))
import cluster  # noqa: E402
import harness  # noqa: E402


def spec(maps, concurrency):
    """The north star's systems, with one NetSuite system per part (erp1, erp2, ...: the same
    account, each its own `budget concurrency`), and one account_to_customer per part into its own."""
    src = open(os.path.join(harness.EXAMPLE, "acme.crmx"), encoding="utf-8").read()
    head = src[:src.index("  system erp: netsuite {")]
    erp = src[src.index("  system erp: netsuite {"):src.index("  // ---------------------------------------------------------------- system of record")]
    erp = erp.replace("budget concurrency 5", f"budget concurrency {concurrency}")
    body = src[src.index("  map account_to_customer"):src.index("  map won_to_order")]
    out = [head.replace("integration acme", "integration scaling")]
    for i in range(1, maps + 1):
        out.append(erp.replace("system erp:", f"system erp{i}:"))
    for i in range(1, maps + 1):
        out.append(body.replace("map account_to_customer", f"map part_{i}")
                   .replace("crm.Account -> erp.Customer", f"crm.Account -> erp{i}.Customer")
                   .replace("key externalId = Id", f'key externalId = "p{i}-" + Id'))
    for i in range(1, maps + 1):
        out.append(f"  sync part_{i} every 1h\n")
    out.append("}\n")
    return "".join(out)


def one(a, pg, work, plan, workers, bind=None):
    name = f"w{workers}" + (f"_bind{bind}" if bind else "")
    url = pg.database(f"scaling_{name}")
    sf = harness.Emulator(a.crmx_emulate, "salesforce", "--data", os.path.join(harness.EXAMPLE, "data", "crm"),
                          "--schemas", os.path.join(harness.EXAMPLE, "schemas", "salesforce"),
                          "--latency-ms", str(a.latency_ms))
    ns = harness.Emulator(a.crmx_emulate, "netsuite", "--schemas", os.path.join(harness.EXAMPLE, "schemas", "netsuite"),
                          "--latency-ms", str(a.latency_ms), "--concurrency", "1000")
    procs = []
    try:
        d = os.path.join(work, name)
        os.makedirs(d)
        profile = harness.write_profile(os.path.join(d, "crmx.profiles.yaml"), sf.url, ns.url)
        text = open(profile, encoding="utf-8").read()
        text = text.replace("      concurrency: 5\n", f"      concurrency: {a.lanes}\n", 1)
        # erp1..erpN: the NetSuite emulator's account, as the spec's one system per part.
        start = text.index("    erp:\n")
        end = text.index("\n  # ", start) + 1 if "\n  # " in text[start:] else len(text)
        section = text[start:end]
        text = text[:start] + "".join(section.replace("    erp:", f"    erp{i}:", 1) for i in range(1, a.maps + 1)) + text[end:]
        text = text.replace("  emulators:\n", f"  emulators:\n    state:\n      url: {url}\n      password: env:CRMX_BENCH_PG\n", 1)
        open(profile, "w", encoding="utf-8").write(text)
        env = dict(os.environ)
        env.update(harness.TEST_ENV)
        env["CRMX_BENCH_PG"] = pg.password
        this_plan = plan if bind is None else a.bind_plan
        t0 = time.monotonic()
        for i in range(workers):
            procs.append(subprocess.Popen([a.crmx_run, "serve", this_plan, "--profiles", profile, "--target", "emulators",
                                           "--listen", "127.0.0.1:0", "--lease", "10s", "--worker", f"w{i + 1}"],
                                          stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, f"w{i + 1}.log"), "w"),
                                          env=env))
        want = a.want
        deadline = t0 + 900
        while time.monotonic() < deadline:
            n = sum(1 for e in ns.journal() if e.get("object") == "Customer" and e.get("op") in ("create", "created"))
            if n >= want:
                break
            if any(p.poll() is not None for p in procs):
                raise RuntimeError(f"a worker exited: {open(os.path.join(d, 'w1.log')).read()[-500:]}")
            time.sleep(0.2)
        else:
            raise RuntimeError(f"{name}: only {n} of {want} customers after 900 s")
        secs = time.monotonic() - t0
        stats = json.loads(ns.get("/_emulator/stats"))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
        sf.stop()
        ns.stop()
    return {"workers": workers, "bind": bind, "seconds": round(secs, 2), "customers": want,
            "per_second": round(want / secs, 1), "netsuite_calls": stats.get("api_calls")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("crmxc")
    ap.add_argument("crmx_run")
    ap.add_argument("crmx_emulate")
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--maps", type=int, default=4)
    ap.add_argument("--lanes", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--bind", type=int, default=1, help="the shared concurrency of each NetSuite system in the binding pass")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    work = harness.workdir()
    example = os.path.join(work, "scaling")
    shutil.copytree(harness.EXAMPLE, example, ignore=shutil.ignore_patterns("data"))
    plans = {}
    for c in (a.concurrency, a.bind):
        path = os.path.join(example, f"scaling_{c}.crmx")
        open(path, "w", encoding="utf-8").write(spec(a.maps, c))
        plans[c] = os.path.join(work, f"scaling_{c}.plan.json")
        harness.run([a.crmxc, "build", path, "-o", plans[c]])
    a.bind_plan = plans[a.bind]
    # Every account a part writes (its requires and holds): counted once from a one-worker reference
    # below, the same for every run (the data do not change).
    rows = []
    with cluster.Cluster() as pg:
        a.want = 10 ** 9
        # The number of customers one part writes: the north star's account_to_customer's.
        ref = subprocess.run([a.crmx_run, "run", plans[a.concurrency], "--system",
                              f"crm={os.path.join(harness.EXAMPLE, 'data', 'crm')}",
                              *[x for i in range(1, a.maps + 1) for x in ("--system", f"erp{i}={os.path.join(work, f'ref-erp{i}.db')}")],
                              "--no-state", "--report", "json", "--progress", "never"], capture_output=True, text=True)
        if ref.returncode != 0:
            raise RuntimeError(f"the reference run failed: {ref.stderr[-500:]}")
        report = json.loads(ref.stdout)
        a.want = sum(m["written"] for m in report["maps"].values())
        for w in [int(x) for x in a.workers.split(",")]:
            rows.append(one(a, pg, work, plans[a.concurrency], w))
            print(json.dumps(rows[-1]), flush=True)
        rows.append(one(a, pg, work, plans[a.concurrency], max(int(x) for x in a.workers.split(",")), bind=a.bind))
        print(json.dumps(rows[-1]), flush=True)
    base = rows[0]["per_second"]
    print(f"\n{a.maps} syncs x {a.want // a.maps} customers, {a.latency_ms} ms a call, {a.lanes} lanes a worker")
    print("| workers | shared concurrency | seconds | customers/s | vs 1 worker |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['workers']} | {r['bind'] or a.concurrency} | {r['seconds']} | {r['per_second']} | "
              f"{r['per_second'] / base:.2f}x |")
    if a.check:
        by = {r["workers"]: r for r in rows if r["bind"] is None}
        bad = []
        if 2 in by and by[2]["per_second"] < 1.6 * base:
            bad.append(f"2 workers: {by[2]['per_second'] / base:.2f}x, want >= 1.6x")
        if 4 in by and by[4]["per_second"] < 2.8 * base:
            bad.append(f"4 workers: {by[4]['per_second'] / base:.2f}x, want >= 2.8x")
        bound = rows[-1]
        limit = a.bind * a.maps * 1000.0 / a.latency_ms
        if bound["per_second"] > limit * 1.05:
            bad.append(f"with {a.bind} shared slot(s) a system: {bound['per_second']}/s, above what they allow ({limit}/s)")
        for b in bad:
            print("FAIL:", b)
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except cluster.Missing as e:
        if os.environ.get("CI") == "true":
            print(f"error: {e}", file=sys.stderr)
            sys.exit(1)
        print(f"SKIPPED (loudly): {e}", file=sys.stderr)
        sys.exit(77)
