#!/usr/bin/env python3
"""Golden IR tests: `crmxc dump ir SPEC` compared with the expected text beside the spec.

Usage: run_ir_tests.py --crmxc PATH [--bless] [FILTER...]

Each tests/ir/NAME.crmx is one test, expected output tests/ir/NAME.ir; the examples listed in
EXTERNAL are tests too, their expected output in tests/ir. crmxc runs from the repository root
with the spec's path relative to it, so the output is the same on every machine. A test passes
when crmxc exits 0 and prints exactly the expected text. `--bless` rewrites the .ir files of the
selected tests from crmxc's output (read the diff before committing it). A FILTER selects the
tests whose name contains it. The last line is `ir: N passed, M failed`.
"""

import argparse
import difflib
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

# Specs outside tests/ir: expected output name -> spec, relative to the repository root.
EXTERNAL = {
    "acme_north_star": "examples/acme-salesforce-netsuite/acme.crmx",
    "nested": "tests/unit/engine/nested/nested.crmx",
}


def tests():
    """Yields (name, spec relative to the repository, expected .ir path)."""
    found = {p.stem: p.relative_to(REPO).as_posix() for p in sorted(HERE.glob("*.crmx"))}
    found.update(EXTERNAL)
    for name in sorted(found):
        yield name, found[name], HERE / (name + ".ir")


def run(crmxc, spec):
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([crmxc, "dump", "ir", spec], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crmxc", required=True)
    ap.add_argument("--bless", action="store_true")
    ap.add_argument("filters", nargs="*")
    args = ap.parse_args()
    passed = failed = 0
    names = set()
    for name, spec, expected_path in tests():
        names.add(name)
        if args.filters and not any(f in name for f in args.filters):
            continue
        result = run(args.crmxc, spec)
        if result.returncode != 0:
            print(f"FAIL {name}: crmxc dump ir {spec} exited {result.returncode}\n{result.stderr}")
            failed += 1
            continue
        if args.bless:
            expected_path.write_text(result.stdout, encoding="utf-8")
            print(f"blessed {name}")
            passed += 1
            continue
        if not expected_path.exists():
            print(f"FAIL {name}: no {expected_path.relative_to(REPO)} (run with --bless, then read it)")
            failed += 1
            continue
        expected = expected_path.read_text(encoding="utf-8")
        if expected == result.stdout:
            passed += 1
            continue
        failed += 1
        print(f"FAIL {name}: output differs from {expected_path.relative_to(REPO)}")
        sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True), result.stdout.splitlines(True),
                                                   "expected", "actual"))
    # An expected output whose spec is gone is a stale test.
    if not args.filters:
        for stale in sorted(HERE.glob("*.ir")):
            if stale.stem not in names:
                print(f"FAIL {stale.name}: no spec tests/ir/{stale.stem}.crmx and not in EXTERNAL")
                failed += 1
    print(f"ir: {passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
