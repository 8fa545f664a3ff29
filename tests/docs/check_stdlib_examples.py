#!/usr/bin/env python3
"""Runs the examples of docs/stdlib.md with stdlib_eval and compares their results.

Usage: check_stdlib_examples.py --eval PATH [DOC.md]

Every fenced block whose info string is `cel example` holds one example per line:

    CALL    // EXPECTED

CALL is a standard-library call with literal arguments (see tests/unit/stdlib/stdlib_eval.cpp);
EXPECTED is the result as stdlib_eval prints it (`"CA"`, `2.35m`, `["a", "b"]`,
`date("2024-01-19")`, `timestamp("2024-01-19T09:42:24Z")`) or `fails: REASON` with the exact
reason. Blank lines are skipped. The last line is `stdlib doc examples: N passed, M failed`; a
document without examples fails too.
"""

import argparse
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def split_example(line):
    """Splits `CALL // EXPECTED` at the first `//` outside a string literal."""
    in_string = False
    i = 0
    while i < len(line):
        c = line[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif line.startswith("//", i):
            return line[:i].strip(), line[i + 2:].strip()
        i += 1
    return None


def examples(doc):
    """Yields (line number, call, expected) of every `cel example` block."""
    fence = None
    for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
        m = FENCE.match(line)
        if fence is None:
            if m and m.group(2).split()[:2] == ["cel", "example"]:
                fence = m.group(1)
            continue
        if m and m.group(1).startswith(fence[0]) and len(m.group(1)) >= len(fence) and not m.group(2).strip():
            fence = None
            continue
        if not line.strip():
            continue
        parts = split_example(line)
        if parts is None:
            yield number, line.strip(), None
        else:
            yield number, parts[0], parts[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--eval", required=True, help="the stdlib_eval executable")
    parser.add_argument("doc", nargs="?", default=str(REPO / "docs" / "stdlib.md"))
    args = parser.parse_args()
    doc = Path(args.doc)
    items = list(examples(doc))
    failed = 0
    runnable = [item for item in items if item[2] is not None]
    for number, call, _ in items:
        if _ is None:
            print(f"{doc}:{number}: an example needs `// EXPECTED`: {call}")
            failed += 1
    proc = subprocess.run([args.eval], input="".join(call + "\n" for _, call, _ in runnable),
                          capture_output=True, text=True, encoding="utf-8")
    outputs = proc.stdout.splitlines()
    if len(outputs) != len(runnable):
        print(f"stdlib_eval printed {len(outputs)} results for {len(runnable)} examples")
        print(proc.stderr)
        return 1
    for (number, call, expected), actual in zip(runnable, outputs):
        if actual != expected:
            failed += 1
            print(f"{doc}:{number}: {call}\n  expected: {expected}\n  actual:   {actual}")
    passed = len(items) - failed
    print(f"stdlib doc examples: {passed} passed, {failed} failed")
    if not items:
        print("no examples found")
        return 1
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
