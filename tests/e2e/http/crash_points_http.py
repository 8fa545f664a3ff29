#!/usr/bin/env python3
"""Durable delivery (issue 9): crmx-run killed at every named crash point, then run again until
its ledger is settled; nothing lost, nothing created twice, the same records as a run that
never failed.

    crash_points_http.py CRMXC CRMX_RUN CRMX_EMULATE [--ns 1,2,3] [--points A,B] [--jobs 3]
                         [--seed-base 1000] [--no-local] [--no-http] [--inject KIND]

For every name `crmx-run crash-points` prints (it must print every name of the contract) and
every N of --ns, with `CRMX_CRASH_AT=NAME:N`:
- over HTTP: the north star (a copy whose syncs retry after 50 ms to 500 ms, durable.Setup)
  against `crmx-emulate salesforce` and `crmx-emulate netsuite` with 30% of calls failing
  (fault seed --seed-base + scenario number: fixed);
- on local files: the same plan with the CRM export copied into a directory and the ERP a JSONL
  directory (the only place `after_writer_commit_before_state_commit` can be passed), no faults.
The crashed run must die by SIGKILL when the point is one it passes (over HTTP: every point but
the local writer's, for N <= 3: the north star passes a per-map or per-batch point 3 times; on
files: the cursor and writer-commit points for N = 1), else complete with exit 0 (reported as
"not reached"). Over HTTP a crashed run may also exit 1 saying why (a read that kept failing
under faults, before the point was reached). Then `crmx-run run` again, same
arguments, no crash point, until a run completes with pending + in_flight + failed = 0 in the
report's `ledger` (at most --max-reruns), and until a run writes nothing (records that waited
for a retried write). The oracle (durable.check) compares the end state with a fault-free,
crash-free reference run of the same plan.

--inject duplicate|lost|value|queue|ledger corrupts what the oracle sees (a key created twice, a
written record gone, a value changed, a queued record gone, an open delivery): the test must
then fail. Prints one line per scenario and the totals."""
import argparse
import concurrent.futures
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import durable  # noqa: E402
import harness  # noqa: E402

# On local files: the points a run must pass (a map's end, the writer's commit). The ledger's
# send points are not passed there: a local writer answers at once and its records are concluded
# on the spot (a crash there must then leave the run completing, exit 0).
LOCAL_REACHABLE = {"before_cursor_save", "after_writer_commit_before_state_commit"}


def scenario(a, setup, ref, point, n, index, local):
    name = f"{'local' if local else 'http'}-{point}-{n}"
    seed = a.seed_base + index
    t0 = time.monotonic()
    sc = durable.Scenario(a, setup, name, faults=0.0 if local else 0.3, seed=seed, local=local)
    failures, row = [], {"scenario": name, "seed": None if local else seed}
    try:
        first = sc.run(env={"CRMX_CRASH_AT": f"{point}:{n}"})
        # A point passed per map or per source batch is passed 3 times by the north star (3 maps,
        # one batch each); per-send points more often. So N <= 3 must be reached over HTTP; a
        # larger N may or may not be (then the run must complete).
        must = (point in LOCAL_REACHABLE and n == 1) if local else (point not in durable.HTTP_UNREACHABLE and n <= 3)
        if first.sigkill:
            row["crash"] = "SIGKILL"
        elif first.code == 0:
            row["crash"] = "not reached"
            if must:
                failures.append(f"CRMX_CRASH_AT={point}:{n}: the run completed (exit 0); it should pass this point")
        elif first.code == 1 and not local and first.last_error().startswith("error:"):
            row["crash"] = "exit 1 (could not complete)"   # a read that kept failing under faults
        else:
            row["crash"] = f"exit {first.code}"
            failures.append(f"CRMX_CRASH_AT={point}:{n}: exit {first.code}, not SIGKILL: {first.stderr.strip()[-300:]}")
        failures += sc.settle(max_reruns=a.max_reruns)
        row["reruns"] = len(sc.runs) - 1
        snap = durable.Snapshot.from_files(sc.crm, sc.erp) if local else durable.Snapshot.from_emulators(sc.sf, sc.ns)
    finally:
        sc.stop()
    failures += durable.conclude(ref, snap, sc, row, a.inject, t0)
    return row, [f"{name}: {x}" for x in failures]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("crmxc")
    ap.add_argument("crmx_run")
    ap.add_argument("crmx_emulate")
    ap.add_argument("--ns", default="1,2,3", help="the N of NAME:N to try")
    ap.add_argument("--points", default="", help="only these crash points (default: every one printed)")
    ap.add_argument("--jobs", type=int, default=3, help="scenarios run at once (each with its own emulators)")
    ap.add_argument("--seed-base", type=int, default=1000)
    ap.add_argument("--max-reruns", type=int, default=10)
    ap.add_argument("--no-local", action="store_true")
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--retry-wait", default="30s", help="crmx-run's --retry-wait ('' leaves it out)")
    ap.add_argument("--inject", choices=["duplicate", "lost", "value", "queue", "ledger"])
    a = ap.parse_args()
    t0 = time.monotonic()
    failures = []
    names, err = durable.crash_points(a.crmx_run)
    if err:
        failures.append(err + " (the durable-delivery engine is not in this crmx-run?)")
        names = list(durable.CONTRACT_POINTS)
    missing = [p for p in durable.CONTRACT_POINTS if p not in names]
    if missing:
        failures.append(f"`crmx-run crash-points` does not print {missing}")
        names += missing
    if a.points:
        names = [p for p in a.points.split(",") if p]
    ns = [int(x) for x in a.ns.split(",") if x]
    print(f"crash points: {', '.join(names)}; N in {ns}")

    work = harness.workdir()
    setup = durable.Setup(a.crmxc, work)
    jobs = []
    index = 0
    refs = {}
    if not a.no_http:
        refs[False] = durable.reference(a, setup, local=False)
    if not a.no_local:
        refs[True] = durable.reference(a, setup, local=True)
    for local in (False, True):
        if local not in refs:
            continue
        for point in names:
            for n in ns:
                if not local and point in durable.HTTP_UNREACHABLE and n > 1:
                    continue  # not passed over HTTP at all: N = 1 shows the run completes
                index += 1
                jobs.append((point, n, index, local))
    for local, ref in refs.items():
        print(f"reference ({'local files' if local else 'emulators'}): "
              + ", ".join(f"{o} {len(durable.written_keys(ref.snapshot, o))}" for o in ("Customer", "SalesOrder", "Opportunity")))
    rows = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        futs = {pool.submit(scenario, a, setup, refs[local], p, n, i, local): (p, n, local) for p, n, i, local in jobs}
        for fut in concurrent.futures.as_completed(futs):
            p, n, local = futs[fut]
            try:
                row, f = fut.result()
            except Exception as e:  # noqa: BLE001 - a scenario that broke is a failure, the others go on
                row, f = {"scenario": f"{'local' if local else 'http'}-{p}-{n}"}, [f"{p}:{n}: {type(e).__name__}: {e}"]
            rows.append(row)
            failures += f
            print("  " + "  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    not_reached = sorted(r["scenario"] for r in rows if r.get("crash") == "not reached")
    killed = sum(1 for r in rows if r.get("crash") == "SIGKILL")
    totals = {
        "scenarios": len(rows),
        "killed_at_point": killed,
        "not_reached": len(not_reached),
        "reruns": sum(r.get("reruns", 0) for r in rows),
        "retries": sum(r.get("retries", 0) for r in rows),
        "dead_letters": sum(r.get("dead_letters", 0) for r in rows),
        "duplicates": sum(r.get("duplicates", 0) for r in rows),
        "lost": sum(r.get("lost", 0) for r in rows),
        "seconds": round(time.monotonic() - t0, 1),
    }
    print("not reached (the run completed):", ", ".join(not_reached) or "none")
    print("totals:", "  ".join(f"{k}={v}" for k, v in totals.items()))
    for f in failures:
        print("FAIL:", f)
    if failures:
        print(f"work directory kept: {work}")
        print(f"crash points: {len(failures)} failures")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("crash points: every crashed run continued to the same end state as a run without faults; "
          "nothing lost, nothing created twice")
    return 0


if __name__ == "__main__":
    sys.exit(main())
