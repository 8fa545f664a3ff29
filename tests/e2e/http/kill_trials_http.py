#!/usr/bin/env python3
"""Durable delivery (issue 9): crmx-run killed with SIGKILL at a random moment, then run again
to completion; nothing lost, nothing created twice, the same records as a run that never failed.

    kill_trials_http.py CRMXC CRMX_RUN CRMX_EMULATE [--trials 8] [--seed 7] [--max-delay 10]
                        [--jobs 3] [--inject KIND]

Each trial (its own emulators with 30% of calls failing, its own state file; seeds fixed by
--seed and the trial number): the north star (durable.Setup: syncs retrying after 50 ms to
500 ms) is started and sent `kill -9` after a random delay in [0.05, --max-delay] seconds; in
half the trials the first rerun is killed too. Then `crmx-run run` again, same arguments,
until a run completes with pending + in_flight + failed = 0 in the report's `ledger` (at most
--max-reruns) and until a run writes nothing. The oracle (durable.check) compares the end state
with a fault-free, kill-free reference run.

Fails when: a check of the oracle fails in any trial, or fewer than half the kills landed while
crmx-run was running (the trials would prove nothing: raise --max-delay's precision or lower it).
--inject duplicate|lost|value|queue|ledger corrupts what the oracle sees: the test must fail.
Prints a line per trial and the figures: trials, kills that landed mid-run, reruns, records
written, dead letters, duplicates, lost."""
import argparse
import concurrent.futures
import os
import shutil
import random
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import durable  # noqa: E402
import harness  # noqa: E402


def trial(a, setup, ref, t):
    rng = random.Random(a.seed * 1000003 + t)
    fault_seed = rng.randrange(1, 1 << 30)
    delays = [round(rng.uniform(0.05, a.max_delay), 2)]
    if rng.random() < 0.5:
        delays.append(round(rng.uniform(0.05, a.max_delay), 2))
    t0 = time.monotonic()
    sc = durable.Scenario(a, setup, f"trial-{t}", faults=0.3, seed=fault_seed)
    failures = []
    row = {"trial": t, "fault_seed": fault_seed, "delays": delays}
    try:
        landed = 0
        for d in delays:
            r = sc.run(kill_after=d)
            if r.killed_by_us:
                landed += 1
            elif r.code not in (0, 1):
                failures.append(f"run killed after {d}s: exit {r.code}: {r.stderr.strip()[-300:]}")
        row["kills"] = len(delays)
        row["landed"] = landed
        n_killed_runs = len(sc.runs)
        failures += sc.settle(max_reruns=a.max_reruns)
        row["reruns"] = len(sc.runs) - n_killed_runs
        snap = durable.Snapshot.from_emulators(sc.sf, sc.ns)
    finally:
        sc.stop()
    failures += durable.conclude(ref, snap, sc, row, a.inject, t0)
    return row, [f"trial {t} (fault seed {fault_seed}, kills after {delays}s): {x}" for x in failures]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("crmxc")
    ap.add_argument("crmx_run")
    ap.add_argument("crmx_emulate")
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--max-delay", type=float, default=10.0, help="latest kill, seconds after the start")
    ap.add_argument("--jobs", type=int, default=3, help="trials run at once (each with its own emulators)")
    ap.add_argument("--max-reruns", type=int, default=10)
    ap.add_argument("--retry-wait", default="30s", help="crmx-run's --retry-wait ('' leaves it out)")
    ap.add_argument("--inject", choices=["duplicate", "lost", "value", "queue", "ledger"])
    a = ap.parse_args()
    t0 = time.monotonic()
    work = harness.workdir()
    setup = durable.Setup(a.crmxc, work)
    ref = durable.reference(a, setup)
    print("reference (emulators, no faults): "
          + ", ".join(f"{o} {len(durable.written_keys(ref.snapshot, o))}" for o in ("Customer", "SalesOrder", "Opportunity")))
    rows, failures = [], []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        futs = {pool.submit(trial, a, setup, ref, t): t for t in range(a.trials)}
        for fut in concurrent.futures.as_completed(futs):
            t = futs[fut]
            try:
                row, f = fut.result()
            except Exception as e:  # noqa: BLE001 - a trial that broke is a failure, the others go on
                row, f = {"trial": t}, [f"trial {t}: {type(e).__name__}: {e}"]
            rows.append(row)
            failures += f
            print("  " + "  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    kills = sum(r.get("kills", 0) for r in rows)
    landed = sum(r.get("landed", 0) for r in rows)
    figures = {
        "trials": len(rows),
        "kills": kills,
        "kills_mid_run": landed,
        "reruns": sum(r.get("reruns", 0) for r in rows),
        "retries": sum(r.get("retries", 0) for r in rows),
        "records_written": sum(r.get(f"{o}_written", 0) for r in rows for o in ("Customer", "SalesOrder", "Opportunity")),
        "dead_letters": sum(r.get("dead_letters", 0) for r in rows),
        "dead_applied_anyway": sum(r.get("dead_applied_anyway", 0) for r in rows),
        "duplicates": sum(r.get("duplicates", 0) for r in rows),
        "lost": sum(r.get("lost", 0) for r in rows),
        "seconds": round(time.monotonic() - t0, 1),
    }
    print("figures:", "  ".join(f"{k}={v}" for k, v in figures.items()))
    if kills and landed * 2 < kills:
        failures.append(f"only {landed} of {kills} kills landed while crmx-run was running: lower --max-delay")
    for f in failures:
        print("FAIL:", f)
    if failures:
        print(f"work directory kept: {work}")
        print(f"kill trials: {len(failures)} failures")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print(f"kill trials: {landed} kills mid-run, every trial continued to the reference's end state; "
          "nothing lost, nothing created twice")
    return 0


if __name__ == "__main__":
    sys.exit(main())
