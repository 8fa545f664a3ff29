#!/usr/bin/env python3
"""A/B of crmx-run builds (or settings) on W1, interleaved: is a change faster?

    ab_runs.py --plan PLAN [--data DIR] [--runs 11] [--core 0] "LABEL=COMMAND [-- RUN OPTIONS]" ...

Each LABEL=COMMAND is a crmx-run command line without the `run` arguments ("old=/tmp/crmx-run",
"new=build/runtime/crmx-run", "arena=env MALLOC_ARENA_MAX=1 build/runtime/crmx-run"); `--no-state`
or other `run` options go after a `--` word: "nostate=build/runtime/crmx-run -- --no-state". Every
round runs each variant once, in turn, pinned to one core, into a fresh temporary folder (the
state file in it unless --no-state is given), and removes the folder after; the figures are the
minimum and the median wall and CPU seconds of each variant over the rounds.

Why not run_w1.py twice: on a shared VM the same binary's best of 5 moves by 10-15% within
minutes (bench/w1/README.md, "sixth pass"), more than most changes; variants run side by side,
round after round, see the same machine. Exit status 1 when a run fails.
"""
import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_variant(text):
    label, sep, rest = text.partition("=")
    if not sep or not label or not rest:
        raise SystemExit(f"ab_runs.py: a variant is LABEL=COMMAND [-- RUN OPTIONS], not {text!r}")
    words = shlex.split(rest)
    if "--" in words:
        i = words.index("--")
        return label, words[:i], words[i + 1:]
    return label, words, []


def run_once(command, options, plan, data, core):
    out = tempfile.mkdtemp(prefix="ab_runs.")
    try:
        argv = command + ["run", plan, "--system", "crm=" + data, "--system", "erp=" + out,
                          "--queues", out, "--progress", "never"]
        if "--no-state" not in options:
            argv += ["--state", os.path.join(out, "state.db")]
        argv += options
        if core >= 0 and shutil.which("taskset"):
            argv = ["taskset", "-c", str(core)] + argv
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = p.stderr.read()
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise RuntimeError(f"exit status {code}: {' '.join(argv)}\n{err.decode('utf-8', 'replace')[-2000:]}")
        return wall, usage.ru_utime + usage.ru_stime
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plan", required=True, help="the plan every variant runs (crmxc build bench/w1/w1.crmx -o PLAN)")
    ap.add_argument("--data", default="/tmp/crmx-w1/data-200000-s42",
                    help="a folder holding Account.jsonl (run_w1.py's cache; default: 200,000 records)")
    ap.add_argument("--runs", type=int, default=11, help="rounds (default 11)")
    ap.add_argument("--core", type=int, default=0, help="the core to pin to; -1: not pinned")
    ap.add_argument("variants", nargs="+", help="LABEL=COMMAND [-- RUN OPTIONS]")
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.data, "Account.jsonl")):
        raise SystemExit(f"ab_runs.py: no Account.jsonl in {args.data} (python3 {HERE}/gen_accounts.py makes one)")
    variants = [parse_variant(v) for v in args.variants]
    labels = [v[0] for v in variants]
    if len(set(labels)) != len(labels):
        raise SystemExit("ab_runs.py: two variants have the same label")
    times = {label: [] for label in labels}
    for r in range(args.runs):
        for label, command, options in variants:
            try:
                times[label].append(run_once(command, options, args.plan, args.data, args.core))
            except RuntimeError as e:
                print(f"FAIL: {label}: {e}", file=sys.stderr)
                return 1
        print(f"round {r + 1}/{args.runs} done", file=sys.stderr)
    width = max(len(label) for label in labels)
    print(f"{'variant':<{width}}  wall min  wall median  cpu min  cpu median  ({args.runs} rounds)")
    for label in labels:
        walls = [w for w, _ in times[label]]
        cpus = [c for _, c in times[label]]
        print(f"{label:<{width}}  {min(walls):8.3f}  {statistics.median(walls):11.3f}  "
              f"{min(cpus):7.3f}  {statistics.median(cpus):10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
