#!/usr/bin/env python3
"""Runs the converted CEL conformance tier against `crmxc eval` (contract: README.md).

Usage: run_conformance.py --crmxc PATH --cases DIR [--known-failures FILE]
                          [--mode auto|batch|single] [--min-pass-rate 95] [--jobs N]
                          [--timeout SECONDS] [--report FILE] [--only SUBSTRING]

DIR is convert.mjs's output. Every case of the tier is run; a case passes when crmxc's
value equals the expected one structurally (README "Comparison"), or, for an expected
error, when crmxc reports any error (parse, check or eval). known_failures.txt lists the
cases expected to fail; the run fails on an unexpected failure, on an unexpected pass, on
a stale entry, and when the pass rate is below --min-pass-rate. The last line printed is
exactly `conformance: N passed, M failed` (M counts known failures too).

When `crmxc eval --help` exits non-zero (no eval command yet), prints
"SKIPPED: crmxc eval not implemented yet" and exits 0; every other problem fails.
Python standard library only.
"""

import argparse
import base64
import binascii
import concurrent.futures
import datetime
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from decimal import Decimal, InvalidOperation

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- loading ------------------------------------------------------------------------------


def load_cases(cases_dir):
    """Returns the tier's cases in index order."""
    with open(os.path.join(cases_dir, "index.json"), encoding="utf-8") as f:
        index = json.load(f)
    cases = []
    for sec in index["sections"]:
        with open(os.path.join(cases_dir, sec["path"]), encoding="utf-8") as f:
            cases.extend(json.load(f)["cases"])
    return index, cases


def parse_known_failures(text):
    """`file/section/name  # reason` per line; blank lines and whole-line comments are
    skipped. Names may hold spaces and slashes, so the id ends at the first ` #` (or the
    line's end). Returns {id: reason}; a line without a reason is an error."""
    known, errors = {}, []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        case_id, sep, reason = line.partition(" #")
        case_id, reason = case_id.strip(), reason.strip()
        if not sep or not reason:
            errors.append(f"known_failures line {n}: no `# reason` comment: {raw}")
        if case_id.count("/") < 2:
            errors.append(f"known_failures line {n}: not file/section/name: {raw}")
        if case_id in known:
            errors.append(f"known_failures line {n}: listed twice: {case_id}")
        known[case_id] = reason
    return known, errors


# ---- comparison ---------------------------------------------------------------------------

_SPECIAL_DOUBLES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf, "-0": -0.0}


def _double(x):
    if isinstance(x, bool):
        raise ValueError("bool is not a double")
    if isinstance(x, str):
        if x in _SPECIAL_DOUBLES:
            return _SPECIAL_DOUBLES[x]
        return float(x)
    return float(x)


def _integer(x):
    if isinstance(x, bool) or isinstance(x, float):
        raise ValueError("not an integer")
    return int(x)


_DURATION = re.compile(r"^(-)?(\d+)(?:\.(\d{1,9}))?s$")


def _duration_nanos(s):
    m = _DURATION.match(s)
    if not m:
        raise ValueError(f"bad duration {s!r}")
    nanos = int(m.group(2)) * 10**9 + int((m.group(3) or "").ljust(9, "0"))
    return -nanos if m.group(1) else nanos


_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$")


def _timestamp_nanos(s):
    m = _TIMESTAMP.match(s)
    if not m:
        raise ValueError(f"bad timestamp {s!r}")
    tz = "+00:00" if m.group(4) == "Z" else m.group(4)
    dt = datetime.datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}{tz}")
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    seconds = (dt - epoch) // datetime.timedelta(seconds=1)
    return seconds * 10**9 + int((m.group(3) or "").ljust(9, "0"))


def _tag(v):
    if not isinstance(v, dict) or len(v) != 1:
        raise ValueError(f"not an encoded value: {json.dumps(v)[:80]}")
    return next(iter(v.items()))


def values_equal(expected, actual):
    """Structural equality of two encoded values (README "Comparison"): kinds must match
    (int 1 is not double 1.0); doubles compare as numbers with NaN equal to NaN and -0.0
    equal to 0.0; lists in order; maps as unordered sets of entries."""
    try:
        ek, ev = _tag(expected)
        ak, av = _tag(actual)
    except ValueError:
        return False
    if ek != ak:
        return False
    try:
        if ek in ("int", "uint"):
            return _integer(ev) == _integer(av)
        if ek == "double":
            e, a = _double(ev), _double(av)
            return (math.isnan(e) and math.isnan(a)) or e == a
        if ek in ("string", "type"):
            return isinstance(av, str) and ev == av
        if ek == "bool":
            return isinstance(av, bool) and ev == av
        if ek == "null":
            return av is True or av is None
        if ek == "bytes":
            return base64.b64decode(ev, validate=True) == base64.b64decode(av, validate=True)
        if ek == "list":
            return (isinstance(av, list) and len(ev) == len(av)
                    and all(values_equal(e, a) for e, a in zip(ev, av)))
        if ek == "map":
            if not isinstance(av, list) or len(ev) != len(av):
                return False
            unmatched = list(av)
            for ekey, evalue in ev:
                for i, entry in enumerate(unmatched):
                    if not isinstance(entry, list) or len(entry) != 2:
                        return False
                    if values_equal(ekey, entry[0]):
                        if not values_equal(evalue, entry[1]):
                            return False
                        del unmatched[i]
                        break
                else:
                    return False
            return not unmatched
        if ek == "duration":
            return _duration_nanos(ev) == _duration_nanos(av)
        if ek == "timestamp":
            return _timestamp_nanos(ev) == _timestamp_nanos(av)
        return ev == av  # message, enum: plain JSON equality
    except (ValueError, TypeError, InvalidOperation, binascii.Error):
        return False


def judge(case, result):
    """Returns (passed, detail) for one case and crmxc's result (README "Results")."""
    exp = case["expected"]
    if "harness" in result:  # crash, timeout, usage error, unreadable output
        return False, f"harness: {result['harness']}"
    if exp.get("error"):
        if "error" in result:
            return True, f"error ({result.get('phase', '?')}) as expected"
        return False, f"expected an error, got {json.dumps(result.get('value'))}"
    if "value" not in exp:
        return False, f"unsupported expectation {json.dumps(exp)}"
    if "error" in result:
        return False, (f"expected {json.dumps(exp['value'])}, got {result.get('phase', '?')} "
                       f"error: {result['error']}")
    if "value" not in result:
        return False, f"result has neither value nor error: {json.dumps(result)[:200]}"
    if values_equal(exp["value"], result["value"]):
        return True, "value matches"
    return False, f"expected {json.dumps(exp['value'])}, got {json.dumps(result['value'])}"


def evaluate(cases, results, known):
    """Judges every case. Returns a report dict: passed, failed (lists of ids),
    unexpected_failures [(id, detail)], unexpected_passes [id], known_failed [id],
    stale [id] (known entries naming no case of the tier)."""
    rep = {"passed": [], "failed": [], "unexpected_failures": [], "unexpected_passes": [],
           "known_failed": [], "stale": [], "details": {}}
    ids = set()
    for case in cases:
        cid = case["id"]
        ids.add(cid)
        ok, detail = judge(case, results.get(cid, {"harness": "no result"}))
        rep["details"][cid] = detail
        if ok:
            rep["passed"].append(cid)
            if cid in known:
                rep["unexpected_passes"].append(cid)
        else:
            rep["failed"].append(cid)
            if cid in known:
                rep["known_failed"].append(cid)
            else:
                rep["unexpected_failures"].append((cid, detail))
    rep["stale"] = sorted(k for k in known if k not in ids)
    return rep


# ---- running crmxc ------------------------------------------------------------------------


def case_vars(case):
    """[{name, type, value?}]: declared names (type_env) with their binding when bound,
    then bound names with no declaration, typed dyn."""
    out, declared = [], set()
    for d in case.get("type_env", []):
        declared.add(d["name"])
        v = {"name": d["name"], "type": d["type"]}
        if d["name"] in case.get("bindings", {}):
            v["value"] = case["bindings"][d["name"]]
        out.append(v)
    for name, value in case.get("bindings", {}).items():
        if name not in declared:
            out.append({"name": name, "type": "dyn", "value": value})
    return out


def batch_request(case):
    req = {"id": case["id"], "expr": case["expr"], "vars": case_vars(case)}
    for k in ("disable_check", "disable_macros"):
        if case.get(k):
            req[k] = True
    if case.get("container"):
        req["container"] = case["container"]
    return req


def single_argv(crmxc, case):
    argv = [crmxc, "eval", "--format", "json"]
    for v in case_vars(case):
        if "value" in v:
            argv += ["--var", f"{v['name']}:{v['type']}={json.dumps(v['value'], ensure_ascii=False)}"]
        else:
            argv += ["--decl", f"{v['name']}:{v['type']}"]
    if case.get("disable_check"):
        argv.append("--no-check")
    if case.get("disable_macros"):
        argv.append("--no-macros")
    if case.get("container"):
        argv += ["--container", case["container"]]
    return argv + ["--", case["expr"]]


def parse_result(stdout, rc):
    """One result object from crmxc's JSON output and exit code (README "Exit codes")."""
    try:
        obj = json.loads(stdout.strip().splitlines()[-1]) if stdout.strip() else None
    except json.JSONDecodeError:
        obj = None
    if rc == 0 and isinstance(obj, dict) and "value" in obj:
        return obj
    if rc == 1 and isinstance(obj, dict) and "error" in obj:
        return obj
    return {"harness": f"exit {rc}, output {stdout.strip()[:200]!r}"}


def run_single(crmxc, case, timeout):
    try:
        p = subprocess.run(single_argv(crmxc, case), capture_output=True, text=True,
                           encoding="utf-8", errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"harness": f"timeout after {timeout}s"}
    return parse_result(p.stdout, p.returncode)


def run_batch(crmxc, cases, timeout):
    """Runs all cases through `crmxc eval --batch`. Returns ({id: result}, problem)."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for case in cases:
            f.write(json.dumps(batch_request(case), ensure_ascii=False) + "\n")
        path = f.name
    try:
        p = subprocess.run([crmxc, "eval", "--batch", path, "--format", "json"],
                           capture_output=True, text=True, encoding="utf-8", errors="replace",
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return {}, f"batch timed out after {timeout}s"
    finally:
        os.unlink(path)
    results = {}
    for line in p.stdout.splitlines():
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and isinstance(obj.get("id"), str):
            results[obj.pop("id")] = obj
    problem = None if p.returncode == 0 else f"batch exited {p.returncode}: {p.stderr.strip()[:300]}"
    return results, problem


def run_all(crmxc, cases, mode, jobs, timeout):
    results = {}
    if mode == "batch":
        results, problem = run_batch(crmxc, cases, max(timeout * 20, 600))
        missing = [c for c in cases if c["id"] not in results]
        if problem or missing:
            print(f"note: {problem or 'batch gave no result for some cases'}; "
                  f"running {len(missing)} case(s) one by one")
        cases = missing
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for case, res in zip(cases, pool.map(lambda c: run_single(crmxc, c, timeout), cases)):
            results[case["id"]] = res
    return results


def eval_help(crmxc):
    """(exit code, help text) of `crmxc eval --help`."""
    p = subprocess.run([crmxc, "eval", "--help"], capture_output=True, text=True,
                       encoding="utf-8", errors="replace", timeout=60)
    return p.returncode, p.stdout + p.stderr


# ---- report -------------------------------------------------------------------------------


def summarize(cases, rep, min_rate, out=None):
    """Prints the per-file table and the verdict; returns the exit status."""
    out = out or sys.stdout
    per_file = {}
    for case in cases:
        st = per_file.setdefault(case["file"], [0, 0])
        st[1] += 1
    for cid in rep["passed"]:
        per_file[cid.split("/", 1)[0]][0] += 1
    print("file            passed/total", file=out)
    for f, (p, t) in per_file.items():
        print(f"  {f:<14} {p:>5}/{t:<5}", file=out)
    total = len(cases)
    npass = len(rep["passed"])
    rate = 100.0 * npass / total if total else 0.0
    print(f"pass rate: {rate:.1f}% ({npass}/{total} of the tier; target {min_rate:g}%; "
          f"{len(rep['known_failed'])} known failures)", file=out)
    status = 0
    if rep["unexpected_failures"]:
        status = 1
        print(f"UNEXPECTED FAILURES ({len(rep['unexpected_failures'])}; fix them or list them "
              "in known_failures.txt with a reason):", file=out)
        for cid, detail in rep["unexpected_failures"]:
            print(f"  {cid}: {detail}", file=out)
    if rep["unexpected_passes"]:
        status = 1
        print(f"UNEXPECTED PASSES ({len(rep['unexpected_passes'])}; remove them from "
              "known_failures.txt):", file=out)
        for cid in rep["unexpected_passes"]:
            print(f"  {cid}", file=out)
    if rep["stale"]:
        status = 1
        print(f"STALE known_failures entries ({len(rep['stale'])}; no such case in the tier):",
              file=out)
        for cid in rep["stale"]:
            print(f"  {cid}", file=out)
    if total == 0:
        status = 1
        print("no cases in the tier", file=out)
    elif rate < min_rate:
        status = 1
        print(f"PASS RATE {rate:.1f}% is below the target {min_rate:g}%", file=out)
    print(f"conformance: {npass} passed, {len(rep['failed'])} failed", file=out)
    return status


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crmxc", required=True)
    ap.add_argument("--cases", required=True, help="convert.mjs output directory")
    ap.add_argument("--known-failures", default=os.path.join(HERE, "known_failures.txt"))
    ap.add_argument("--mode", choices=["auto", "batch", "single"], default="auto",
                    help="auto: batch when `crmxc eval --help` mentions --batch")
    ap.add_argument("--min-pass-rate", type=float, default=95.0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per case")
    ap.add_argument("--report", help="write every case's verdict as JSON here")
    args = ap.parse_args(argv)

    if not os.access(args.crmxc, os.X_OK):
        print(f"run_conformance: {args.crmxc} is not an executable", file=sys.stderr)
        return 2
    rc, help_text = eval_help(args.crmxc)
    if rc != 0:
        print("SKIPPED: crmxc eval not implemented yet")
        return 0
    mode = args.mode
    if mode == "auto":
        mode = "batch" if "--batch" in help_text else "single"

    index, cases = load_cases(args.cases)
    known, errors = {}, []
    if os.path.exists(args.known_failures):
        with open(args.known_failures, encoding="utf-8") as f:
            known, errors = parse_known_failures(f.read())
    for e in errors:
        print(e, file=sys.stderr)
    print(f"CEL conformance: {len(cases)} cases of the tier from @bufbuild/cel-spec "
          f"{index.get('version')} ({mode} mode)")
    results = run_all(args.crmxc, cases, mode, args.jobs, args.timeout)
    rep = evaluate(cases, results, known)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            passed = set(rep["passed"])
            json.dump({cid: {"passed": cid in passed, "detail": d}
                       for cid, d in rep["details"].items()}, f, indent=1)
    status = summarize(cases, rep, args.min_pass_rate)
    return 1 if errors else status


if __name__ == "__main__":
    sys.exit(main())
