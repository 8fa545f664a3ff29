"""What the end-to-end tests written in Python share: a check that records its failure and goes
on (so one run shows every mismatch), the exit that reports them, and the JSON Lines reader of
the bundled data."""
import json
import sys

FAILURES = []


def check(ok, what):
    """Records `what` as failed unless `ok`; returns `ok`."""
    if not ok:
        FAILURES.append(what)
        print("FAILED: " + what, flush=True)
    return ok


def finish(name):
    """Exits 1 naming every failed check, else 0."""
    if FAILURES:
        print(f"{name}: {len(FAILURES)} check(s) failed", flush=True)
        sys.exit(1)
    print(f"{name}: ok", flush=True)
    sys.exit(0)


def read_jsonl(path):
    """The records of a JSON Lines file; lines that are not JSON objects are left out."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if isinstance(r, dict):
                out.append(r)
    return out
