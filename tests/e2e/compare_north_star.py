#!/usr/bin/env python3
"""Compares a `crmx-run run --report json --queues DIR` run of the north star with
examples/acme-salesforce-netsuite/data/expected_summary.json and prints every mismatch: counts
from the report, every queued record from the queue files in DIR.

    compare_north_star.py REPORT.json EXPECTED.json QUEUES_DIR

Exit 0 on a match, 1 when the report breaks an invariant (each input line in exactly one
bucket) or on a mismatch; with CRMX_NORTH_STAR_ALLOW_MISMATCH=1 a mismatch exits 77 (CTest:
skipped) instead, for trees where the VM lacks stdlib functions the spec calls."""
import json
import os
import sys

BUCKETS = ["data_quality", "held", "waiting", "error"]
QUEUE_FILES = {"data_quality": "quality.jsonl", "held": "held.jsonl", "waiting": "waiting.jsonl",
               "error": "errors.jsonl"}


def queued(queues_dir, bucket):
    """{map: [entries]} of one queue file."""
    out = {}
    with open(os.path.join(queues_dir, QUEUE_FILES[bucket]), encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            out.setdefault(e["map"], []).append(e)
    return out


def main():
    report = json.load(open(sys.argv[1]))["maps"]
    expected = json.load(open(sys.argv[2]))["maps"]
    queues = {b: queued(sys.argv[3], b) for b in BUCKETS}
    broken, mismatches = [], []

    def diff(where, got, want):
        if got != want:
            mismatches.append(f"{where}: got {json.dumps(got, sort_keys=True)}, expected {json.dumps(want, sort_keys=True)}")

    for name, got in report.items():
        total = got["written"] + got["skipped"]["count"] + sum(got[b]["count"] for b in BUCKETS)
        if total != got["input_lines"]:
            broken.append(f"{name}: {got['input_lines']} input lines but {total} outcomes")
    for name, want in expected.items():
        got = report.get(name)
        if got is None:
            mismatches.append(f"{name}: not in the run's report")
            continue
        diff(f"{name}.input_lines", got["input_lines"], want["input_lines"])
        diff(f"{name}.written", got["written"], want["written"])
        if "skipped" in want:
            diff(f"{name}.skipped", {k: got["skipped"][k] for k in ("count", "by_reason")},
                 {k: want["skipped"][k] for k in ("count", "by_reason")})
        for b in BUCKETS:
            if b not in want:
                continue
            diff(f"{name}.{b}.count", got[b]["count"], want[b]["count"])
            diff(f"{name}.{b}.by_reason", got[b]["by_reason"], want[b]["by_reason"])
            entries = queues[b].get(name, [])
            if len(entries) != got[b]["count"]:
                broken.append(f"{name}.{b}: {got[b]['count']} in the report, {len(entries)} in the queue file")
            # A malformed line's reasons are "malformed JSON" and then what the parser said (its
            # wording is simdjson's): only the first is compared for those.
            g = {(r["key"] or "", r["line"],
                  tuple(r["reasons"][:1] if r["reasons"][:1] == ["malformed JSON"] else r["reasons"])) for r in entries}
            w = {(r.get("Id") or "", r["line"], tuple(r["reasons"])) for r in want[b]["records"]}
            if g != w:
                mismatches.append(f"{name}.{b}.records: {len(w - g)} expected not reported "
                                  f"(first: {sorted(w - g)[:3]}), {len(g - w)} reported not expected "
                                  f"(first: {sorted(g - w)[:3]})")
        if "flags_on_written" in want:
            diff(f"{name}.flags_on_written", got["flags_on_written"], want["flags_on_written"])
        if "order_lines_written" in want:
            diff(f"{name}.order_lines_written", got["list_items_written"].get("lines", 0), want["order_lines_written"])

    for b in broken:
        print("BROKEN INVARIANT:", b)
    for m in mismatches:
        print("MISMATCH:", m)
    if broken:
        return 1
    if mismatches:
        print(f"north star: {len(mismatches)} mismatches with expected_summary.json")
        return 77 if os.environ.get("CRMX_NORTH_STAR_ALLOW_MISMATCH") == "1" else 1
    print("north star: the run matches expected_summary.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
