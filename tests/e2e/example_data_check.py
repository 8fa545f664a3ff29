#!/usr/bin/env python3
"""Checks the north-star example's sample data (examples/acme-salesforce-netsuite/data/).

- every line of crm/*.jsonl parses, except the malformed lines expected_summary.json documents
  (and those must not parse);
- every field name is a field of the object's describe under schemas/salesforce/, and its
  value has the describe's type (ids and references with the right key prefix and a valid
  18-character checksum, lengths, restricted picklists, numbers' scale, dates, datetimes,
  non-nillable fields not null);
- Ids are unique; references resolve, except the dangling ones expected_summary.json lists;
- expected_summary.json's counts add up to the record counts;
- generate.py regenerates byte-identical files (run under another hash seed), and the data
  stays small.

Run from the repository root: python3 tests/e2e/example_data_check.py
"""

import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.getcwd()
EXAMPLE = os.path.join(ROOT, "examples", "acme-salesforce-netsuite")
DATA = os.path.join(EXAMPLE, "data")
OBJECTS = ["Account", "Opportunity", "OpportunityLineItem", "Product2"]
# Key prefixes of objects referenced but not in the example's schemas.
OTHER_PREFIXES = {"User": "005", "Group": "00G", "Pricebook2": "01s", "PricebookEntry": "01u", "Campaign": "701"}
MAX_BYTES = 1_300_000
CHECK = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")

failures = []


def fail(msg):
    failures.append(msg)
    if len(failures) <= 40:
        print("FAIL " + msg)


def id18_ok(value):
    if not isinstance(value, str) or len(value) != 18 or not re.match(r"^[0-9A-Za-z]{18}$", value):
        return False
    suffix = ""
    for chunk in (value[0:5], value[5:10], value[10:15]):
        suffix += CHECK[sum(1 << i for i, c in enumerate(chunk) if "A" <= c <= "Z")]
    return suffix == value[15:]


def scale_of(number):
    text = repr(float(number)) if isinstance(number, float) else str(number)
    if "e" in text or "E" in text:
        return 99
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def check_value(obj, field, value, where, prefixes):
    t = field["type"]
    if value is None:
        if not field["nillable"]:
            fail(f"{where}: {obj}.{field['name']} is null but the describe says not nillable")
        return
    if t == "id" or t == "reference":
        targets = [obj] if t == "id" else field.get("referenceTo") or []
        want = [prefixes.get(x) for x in targets]
        if not id18_ok(value):
            fail(f"{where}: {field['name']} {value!r} is not an 18-character Salesforce id")
        elif value[:3] not in want:
            fail(f"{where}: {field['name']} {value!r} does not have the key prefix of {targets}")
    elif t in ("string", "textarea", "phone", "url", "email", "picklist"):
        if not isinstance(value, str):
            fail(f"{where}: {field['name']} is {type(value).__name__}, describe type {t}")
            return
        if field.get("length") and len(value) > field["length"]:
            fail(f"{where}: {field['name']} has {len(value)} characters, length {field['length']}")
        if t == "picklist" and field.get("restrictedPicklist"):
            allowed = [p["value"] for p in field.get("picklistValues", []) if p.get("active", True)]
            if value not in allowed:
                fail(f"{where}: {field['name']} {value!r} is not a value of the restricted picklist")
    elif t == "boolean":
        if not isinstance(value, bool):
            fail(f"{where}: {field['name']} {value!r} is not a JSON boolean")
    elif t == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            fail(f"{where}: {field['name']} {value!r} is not a JSON integer")
    elif t in ("double", "currency", "percent"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            fail(f"{where}: {field['name']} {value!r} is not a JSON number")
        elif field.get("scale") is not None and scale_of(value) > field["scale"]:
            fail(f"{where}: {field['name']} {value!r} has more decimals than scale {field['scale']}")
    elif t == "date":
        if not isinstance(value, str) or not DATE.match(value):
            fail(f"{where}: {field['name']} {value!r} is not YYYY-MM-DD")
    elif t == "datetime":
        if not isinstance(value, str) or not DATETIME.match(value):
            fail(f"{where}: {field['name']} {value!r} is not like 2024-01-19T09:42:24.000+0000")
    elif t == "address":
        if not isinstance(value, dict):
            fail(f"{where}: {field['name']} is not an address object")
    else:
        fail(f"{where}: {field['name']} has describe type {t}, which this check does not know")


def main():
    if not os.path.isdir(DATA):
        print(f"example_data: no {DATA}; run from the repository root")
        return 1
    with open(os.path.join(DATA, "expected_summary.json"), encoding="utf-8") as f:
        summary = json.load(f)
    describes, prefixes = {}, dict(OTHER_PREFIXES)
    for obj in OBJECTS:
        with open(os.path.join(EXAMPLE, "schemas", "salesforce", obj + ".describe.json"), encoding="utf-8") as f:
            d = json.load(f)
        describes[obj] = {fl["name"]: fl for fl in d["fields"]}
        prefixes[obj] = d["keyPrefix"]

    # 1. Parse, field names, types.
    records = {}
    for obj in OBJECTS:
        info = summary["inputs"][obj]
        path = os.path.join(DATA, info["file"])
        if os.path.basename(path) != obj + ".jsonl":
            fail(f"{info['file']}: not named after the object {obj}")
        malformed = set(info["malformed_lines"])
        recs = []
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if len(lines) != info["lines"]:
            fail(f"{info['file']}: {len(lines)} lines, expected_summary.json says {info['lines']}")
        for n, line in enumerate(lines, 1):
            where = f"{info['file']}:{n}"
            try:
                rec = json.loads(line)
            except ValueError:
                if n not in malformed:
                    fail(f"{where}: does not parse and is not a documented malformed line")
                continue
            if n in malformed:
                fail(f"{where}: documented as malformed but parses")
                continue
            if not isinstance(rec, dict):
                fail(f"{where}: not a JSON object")
                continue
            for name, value in rec.items():
                field = describes[obj].get(name)
                if field is None:
                    fail(f"{where}: field {name!r} is not in {obj}.describe.json")
                    continue
                check_value(obj, field, value, where, prefixes)
            if "Id" not in rec:
                fail(f"{where}: no Id")
            recs.append(rec)
        if len(recs) != info["records"]:
            fail(f"{info['file']}: {len(recs)} records, expected_summary.json says {info['records']}")
        records[obj] = recs

    # 2. Unique ids; references resolve except the documented dangling ones.
    ids = {obj: {r.get("Id") for r in recs} for obj, recs in records.items()}
    for obj, recs in records.items():
        if len(ids[obj]) != len(recs):
            fail(f"{obj}: duplicate Ids")
    dangling = summary.get("dangling_references", {})
    for obj, recs in records.items():
        for name, field in describes[obj].items():
            if field["type"] != "reference":
                continue
            targets = [t for t in field.get("referenceTo") or [] if t in ids]
            if not targets:
                continue
            allowed = set(dangling.get(f"{obj}.{name}", []))
            seen_dangling = set()
            for r in recs:
                v = r.get(name)
                if v is None or any(v in ids[t] for t in targets):
                    continue
                if v in allowed:
                    seen_dangling.add(v)
                else:
                    fail(f"{obj} {r['Id']}: {name} {v} does not resolve and is not a documented dangling reference")
            if seen_dangling != allowed:
                fail(f"{obj}.{name}: documented dangling references not found in the data: "
                     f"{sorted(allowed - seen_dangling)}")
    # Consistency the runtime relies on: each line item's opportunity has line items; amounts.
    by_opp = {}
    for li in records["OpportunityLineItem"]:
        by_opp.setdefault(li["OpportunityId"], []).append(li)
    for o in records["Opportunity"]:
        items = by_opp.get(o["Id"], [])
        if not 1 <= len(items) <= 5:
            fail(f"Opportunity {o['Id']}: {len(items)} line items (1 to 5 expected)")
        total = round(sum(li["TotalPrice"] for li in items), 2)
        if o["Amount"] is not None and abs(total - o["Amount"]) > 0.005:
            fail(f"Opportunity {o['Id']}: Amount {o['Amount']} != sum of line TotalPrice {total}")
        for li in items:
            if li["CurrencyIsoCode"] != o["CurrencyIsoCode"]:
                fail(f"OpportunityLineItem {li['Id']}: currency differs from its opportunity's")

    # 3. The summary adds up.
    maps = summary["maps"]
    sources = {"account_to_customer": "Account", "won_to_order": "Opportunity"}
    for m, src in sources.items():
        block = maps[m]
        if block["input_lines"] != summary["inputs"][src]["lines"]:
            fail(f"{m}: input_lines {block['input_lines']} != {src} lines {summary['inputs'][src]['lines']}")
        parts = block["written"]
        for cat in ("skipped", "data_quality", "held", "waiting", "error"):
            c = block[cat]
            parts += c["count"]
            if sum(c["by_reason"].values()) != c["count"]:
                fail(f"{m}.{cat}: by_reason sums to {sum(c['by_reason'].values())}, count {c['count']}")
            if "records" in c and len(c["records"]) != c["count"]:
                fail(f"{m}.{cat}: {len(c['records'])} records listed, count {c['count']}")
            for r in c.get("records", []):
                if r.get("Id") is not None and r["Id"] not in ids[src]:
                    fail(f"{m}.{cat}: {r['Id']} is not a {src} record")
        if parts != block["input_lines"]:
            fail(f"{m}: written + skipped + data_quality + held + waiting + error = {parts}, "
                 f"input_lines {block['input_lines']}")
    err_lines = [r["line"] for r in maps["account_to_customer"]["error"]["records"]]
    if err_lines != summary["inputs"]["Account"]["malformed_lines"]:
        fail(f"account_to_customer.error lines {err_lines} != Account malformed_lines")
    if maps["order_status_back"]["written"] != maps["won_to_order"]["written"]:
        fail("order_status_back.written != won_to_order.written")
    # Order lines written: the line items of the written opportunities.
    listed = {r["Id"] for cat in ("skipped", "data_quality", "held", "waiting")
              for r in maps["won_to_order"][cat].get("records", [])}
    written_ids = ids["Opportunity"] - listed
    if maps["won_to_order"]["skipped"]["count"] and "records" not in maps["won_to_order"]["skipped"]:
        skipped = {o["Id"] for o in records["Opportunity"]
                   if not (o["StageName"] == "Closed Won" and (o["Amount"] or 0) > 0)}
        written_ids -= skipped
    if len(written_ids) != maps["won_to_order"]["written"]:
        fail(f"won_to_order: {len(written_ids)} opportunities left for writing, summary says "
             f"{maps['won_to_order']['written']}")
    n_lines = sum(len(by_opp.get(i, [])) for i in written_ids)
    if n_lines != maps["won_to_order"]["order_lines_written"]:
        fail(f"won_to_order: {n_lines} order lines, summary says {maps['won_to_order']['order_lines_written']}")

    # 4. Deterministic generator; small files.
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PYTHONHASHSEED="12345")
        r = subprocess.run([sys.executable, os.path.join(DATA, "generate.py"), "--out", tmp], env=env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"generate.py failed: {r.stderr.strip()[-500:]}")
        else:
            for rel in [summary["inputs"][o]["file"] for o in OBJECTS] + ["expected_summary.json"]:
                with open(os.path.join(tmp, rel), "rb") as a, open(os.path.join(DATA, rel), "rb") as b:
                    if a.read() != b.read():
                        fail(f"{rel}: differs from what generate.py writes (edited by hand, or generate.py "
                             f"changed without regenerating: cd {os.path.relpath(DATA, ROOT)} && python3 generate.py)")
    size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(DATA) for f in fs
               if not f.endswith(".pyc"))
    if size > MAX_BYTES:
        fail(f"data/ is {size} bytes, over {MAX_BYTES}")

    counts = ", ".join(f"{o} {len(records[o])}" for o in OBJECTS)
    if failures:
        print(f"example_data: {len(failures)} failure(s)")
        return 1
    print(f"example_data: ok ({counts}; {size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
