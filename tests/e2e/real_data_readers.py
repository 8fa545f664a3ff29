#!/usr/bin/env python3
"""Reads every CSV and JSONL file under ../shared/real/data (real exports, see its MANIFEST.md)
through crmx's file readers and compares what they read with Python's csv and json modules.

    real_data_readers.py DUMP [DATA_DIR]

DUMP is crmx_dump_records (tests/unit/readers/dump_records.cpp): it prints each record the
reader read as {"line": N, "record": {...}} and each bad line on stderr. Compared, per file:
- CSV (csv.reader over the file opened with utf-8-sig and newline=''): the header's names, the
  number of records, the line each record starts on, every cell (Python's '' is crmx's null, or
  the empty string for a quoted ""), and a bad line wherever a row's cell count differs from
  the header's or a quoted cell is still open at the end of the file (csv_rows);
- JSONL (json.loads, floats as Decimal): every record's top-level keys and values, numbers
  compared exactly; a line json cannot read, or that is not an object, is a bad line.

Exit status: 0 when everything matches, 1 otherwise, 77 (CTest's skip) when DATA_DIR is absent.
"""
import csv
import json
import pathlib
import re
import subprocess
import sys
from decimal import Decimal

MAX_SHOWN = 30


def run_dump(dump, path):
    p = subprocess.run([dump, str(path)], capture_output=True, check=False)
    if p.returncode != 0:
        raise RuntimeError(f"{dump} {path}: exit {p.returncode}: {p.stderr.decode(errors='replace')}")
    records = [json.loads(line, parse_float=Decimal) for line in p.stdout.decode("utf-8").splitlines()]
    bad = [json.loads(line) for line in p.stderr.decode("utf-8").splitlines() if line.startswith("{")]
    return records, bad


def csv_rows(lines):
    """(first line, row) per record of `lines` (each with its line end), as Python's csv reads
    them, except that a quoted cell still open at the end of the data makes its first line bad
    (row None) and reading resume on the next line, as crmx does (Python would read the rest of
    the file as the cell)."""
    at = 0
    while at < len(lines):
        reader = csv.reader(iter(lines[at:]), strict=True)
        previous = 0
        try:
            for row in reader:
                yield at + previous + 1, row
                previous = reader.line_num
            return
        except csv.Error as e:
            first = at + previous + 1
            if "unexpected end of data" in str(e):
                yield first, None
                at = first
                continue
            # What only strict mode refuses (text after a closing quote): read it leniently.
            lenient = csv.reader(iter(lines[first - 1:]))
            yield first, next(lenient)
            at = first - 1 + lenient.line_num


def expected_csv(path):
    """(header, records as (first line, {column: cell}), bad first lines), as Python reads them."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        lines = re.findall(r"[^\n]*\n|[^\n]+$", f.read())
    header = None
    records, bad = [], []
    for first, row in csv_rows(lines):
        if row is None:
            bad.append(first)
            continue
        if not row:
            continue  # a blank line
        if header is None:
            header = row
            continue
        if len(row) != len(header):
            bad.append(first)
            continue
        cells = {}
        for name, cell in zip(header, row):
            cells.setdefault(name, cell)  # a repeated column: its first cell, as crmx reads it
        records.append((first, cells))
    return header or [], records, bad


def expected_jsonl(path):
    records, bad = [], []
    with open(path, encoding="utf-8-sig", newline="") as f:
        for number, line in enumerate(f.read().split("\n"), start=1):
            if not line.strip(" \t\r"):
                continue
            try:
                value = json.loads(line, parse_float=Decimal)
            except ValueError:
                bad.append(number)
                continue
            if not isinstance(value, dict):
                bad.append(number)
                continue
            records.append((number, value))
    return records, bad


def same_json(ours, theirs):
    if isinstance(theirs, bool) or isinstance(ours, bool):
        return ours is theirs
    if isinstance(theirs, (int, Decimal)) and isinstance(ours, (int, Decimal)):
        if Decimal(ours) == Decimal(theirs):
            return True
        # Beyond 38 digits crmx reads a double: the nearest one.
        return len(str(theirs).lstrip("-").replace(".", "")) > 38 and float(ours) == float(theirs)
    if isinstance(theirs, dict):
        return isinstance(ours, dict) and ours.keys() == theirs.keys() and all(
            same_json(ours[k], theirs[k]) for k in theirs)
    if isinstance(theirs, list):
        return isinstance(ours, list) and len(ours) == len(theirs) and all(
            same_json(a, b) for a, b in zip(ours, theirs))
    return ours == theirs


def check_csv(dump, path, problems):
    header, records, bad = expected_csv(path)
    ours, ours_bad = run_dump(dump, path)
    cells = 0
    if sorted(b["bad"] for b in ours_bad) != sorted(bad):
        problems.append(f"{path}: bad lines {[b['bad'] for b in ours_bad]}, Python's csv {bad}")
    if len(ours) != len(records):
        problems.append(f"{path}: {len(ours)} records, Python's csv {len(records)}")
    for got, (line, cells_py) in zip(ours, records):
        if got["line"] != line:
            problems.append(f"{path}: a record at line {got['line']}, Python's csv at {line}")
        rec = got["record"]
        if list(rec.keys()) != list(dict.fromkeys(header)):
            problems.append(f"{path}: columns {list(rec.keys())[:5]}..., Python's csv {header[:5]}...")
            return 0
        for name, cell in cells_py.items():
            cells += 1
            value = rec[name]
            if not (value == cell or (cell == "" and value is None)):
                problems.append(f"{path}:{line}: {name}: crmx {value!r}, Python's csv {cell!r}")
    return cells


def check_jsonl(dump, path, problems):
    records, bad = expected_jsonl(path)
    ours, ours_bad = run_dump(dump, path)
    cells = 0
    if sorted(b["bad"] for b in ours_bad) != sorted(bad):
        problems.append(f"{path}: bad lines {[b['bad'] for b in ours_bad]}, Python's json {bad}")
    if len(ours) != len(records):
        problems.append(f"{path}: {len(ours)} records, Python's json {len(records)}")
    for got, (line, obj) in zip(ours, records):
        if got["line"] != line:
            problems.append(f"{path}: a record at line {got['line']}, Python's json at {line}")
        rec = got["record"]
        for name, value in rec.items():
            cells += 1
            if not same_json(value, obj.get(name)):
                problems.append(f"{path}:{line}: {name}: crmx {value!r}, Python's json {obj.get(name)!r}")
    return cells


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    dump = sys.argv[1]
    root = pathlib.Path(__file__).resolve().parents[2]
    data = pathlib.Path(sys.argv[2]) if len(sys.argv) == 3 else root.parent / "shared" / "real" / "data"
    if not data.is_dir():
        print("=" * 70)
        print(f"SKIP: ../shared/real/data not found ({data})")
        print("=" * 70)
        return 77
    files = sorted(p for p in data.rglob("*") if p.is_file() and p.suffix in (".csv", ".jsonl"))
    problems = []
    records = cells = 0
    for path in files:
        before = len(problems)
        n = check_csv(dump, path, problems) if path.suffix == ".csv" else check_jsonl(dump, path, problems)
        cells += n
        records += len(run_dump(dump, path)[0])
        print(f"{'ok  ' if len(problems) == before else 'FAIL'} {path.relative_to(data)}: {n} cells")
    print(f"{len(files)} files, {records} records, {cells} cells compared, {len(problems)} differences")
    for p in problems[:MAX_SHOWN]:
        print("  " + p)
    if len(problems) > MAX_SHOWN:
        print(f"  ... and {len(problems) - MAX_SHOWN} more")
    if not files:
        print("no CSV or JSONL file found: nothing compared")
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
