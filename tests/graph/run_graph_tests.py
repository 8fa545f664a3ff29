#!/usr/bin/env python3
"""`crmxc graph` and `crmxc lineage`, on the north star (examples/acme-salesforce-netsuite) and on
every other example.

    run_graph_tests.py CRMXC [--bless]

- Goldens (tests/graph/golden/): the north star's graph in Mermaid, DOT and JSON, the lineage of
  erp.Customer.state and of crm.Account.BillingState, and its matrix in Markdown and CSV.
  --bless rewrites them (review the diff).
- Checks that do not depend on the goldens, for every example: the graph has one edge per map of
  the plan (`crmxc build`, read here independently) from its source to its target object; the
  matrix has one row per key, assignment and ref statement of the plan's maps; every target field
  a row names is a target field of its map in the plan; every source field a row names is in the
  map's projection (its own fields or a relation's); a field's lineage and the reverse agree (each
  source field of a row reaches that row's target).
- Exit statuses: a field no map touches is 1 (and names the fields the spec does touch), a
  malformed field name or --matrix with a field is 2, a spec with errors is 1."""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(ROOT, "tests", "graph", "golden")
NORTH = "examples/acme-salesforce-netsuite"
GOLDENS = [
    ("graph.mmd", ["graph", NORTH]),
    ("graph.dot", ["graph", NORTH, "--format", "dot"]),
    ("graph.json", ["graph", NORTH, "--format", "json"]),
    ("lineage_customer_state.txt", ["lineage", NORTH, "erp.Customer.state"]),
    ("lineage_billing_state.txt", ["lineage", NORTH, "crm.Account.BillingState"]),
    ("lineage_entity.json", ["lineage", NORTH, "erp.SalesOrder.entity", "--format", "json"]),
    ("matrix.md", ["lineage", NORTH, "--matrix"]),
    ("matrix.csv", ["lineage", NORTH, "--matrix", "--format", "csv"]),
]


def crmxc(binary, *args):
    p = subprocess.run([binary, *args], cwd=ROOT, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def examples():
    out = []
    for name in sorted(os.listdir(os.path.join(ROOT, "examples"))):
        d = os.path.join("examples", name)
        if any(f.endswith(".crmx") for f in os.listdir(os.path.join(ROOT, d))):
            out.append(d)
    return out


def main():
    binary = os.path.abspath(sys.argv[1])
    bless = "--bless" in sys.argv[2:]
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)
        return cond

    os.makedirs(GOLDEN, exist_ok=True)
    for name, args in GOLDENS:
        code, out, err = crmxc(binary, *args)
        if not check(code == 0, f"{' '.join(args)}: exit {code}: {err[-500:]}"):
            continue
        path = os.path.join(GOLDEN, name)
        if bless:
            with open(path, "w", encoding="utf-8") as f:
                f.write(out)
        elif not os.path.exists(path):
            check(False, f"{name}: no golden (run with --bless)")
        else:
            want = open(path, encoding="utf-8").read()
            check(out == want, f"{name}: differs from the golden:\n--- want\n{want[:1500]}\n--- got\n{out[:1500]}")

    work = tempfile.mkdtemp(prefix="crmx-graph-")
    for ex in examples():
        plan_path = os.path.join(work, os.path.basename(ex) + ".plan.json")
        code, _, err = crmxc(binary, "build", ex, "-o", plan_path)
        if not check(code == 0, f"{ex}: build: exit {code}: {err[-500:]}"):
            continue
        plan = json.load(open(plan_path))
        body = plan.get("plan", plan)
        maps = {m["name"]: m for m in body["maps"]}

        code, out, err = crmxc(binary, "graph", ex, "--format", "json")
        if check(code == 0, f"{ex}: graph: exit {code}: {err[-300:]}"):
            g = json.loads(out)
            got = {(m["name"], m["source"]["system"] + "." + m["source"]["object"],
                    m["target"]["system"] + "." + m["target"]["object"]) for m in g["maps"]}
            want = {(m["name"], m["source"]["system"] + "." + m["source"]["object"],
                     m["target"]["system"] + "." + m["target"]["object"]) for m in maps.values()}
            check(got == want, f"{ex}: graph maps {sorted(got)} != plan maps {sorted(want)}")
            code, mmd, _ = crmxc(binary, "graph", ex)
            check(code == 0 and mmd.startswith("flowchart LR") and mmd.count(" --> ") == len(maps),
                  f"{ex}: the Mermaid graph has {mmd.count(' --> ')} map edges for {len(maps)} maps")

        code, out, err = crmxc(binary, "lineage", ex, "--matrix", "--format", "csv")
        if not check(code == 0, f"{ex}: matrix: exit {code}: {err[-300:]}"):
            continue
        rows = list(csv.DictReader(io.StringIO(out)))
        want_rows = sum(1 for m in maps.values() for s in m["steps"]
                        if s["kind"] in ("key", "assign", "ref") and not s.get("local"))
        check(len(rows) == want_rows, f"{ex}: the matrix has {len(rows)} rows, the plan {want_rows} written fields")
        for r in rows:
            m = maps.get(r["map"])
            if not check(m is not None, f"{ex}: matrix row of unknown map {r['map']}"):
                continue
            tgt = m["target"]["system"] + "." + m["target"]["object"] + "."
            check(r["target_field"].startswith(tgt) and
                  any(s.get("target") == r["target_field"][len(tgt):] for s in m["steps"]),
                  f"{ex}: {r['target_field']} is not a target field of {r['map']}")
            proj = m["projection"]
            readable = {m["source"]["system"] + "." + m["source"]["object"] + "." + f for f in proj["fields"]}
            for rel in proj.get("relations", []):
                readable |= {m["source"]["system"] + "." + rel["object"] + "." + f for f in rel["fields"]}
            for s in r["source_fields"].split():
                check(s in readable, f"{ex}: {r['map']}.{r['target_field']}: source {s} is not in the map's projection")
        # Forwards and backwards agree, on a sample of rows (each lineage call rebuilds the plan).
        for r in rows[:6]:
            for s in r["source_fields"].split()[:2]:
                code, out, err = crmxc(binary, "lineage", ex, s, "--format", "json")
                if check(code == 0, f"{ex}: lineage {s}: exit {code}: {err[-300:]}"):
                    reached = {x["target"] for x in json.loads(out)["reaches"]}
                    check(r["target_field"] in reached, f"{ex}: {s} does not reach {r['target_field']} backwards")

    code, _, err = crmxc(binary, "lineage", NORTH, "erp.Customer.staet")
    check(code == 1 and "no map writes or reads" in err and " state" in err,
          f"a field no map touches: exit {code}: {err}")
    code, _, err = crmxc(binary, "lineage", NORTH, "Customer.state")
    check(code == 2 and "not a field name" in err, f"a malformed field name: exit {code}: {err}")
    code, _, err = crmxc(binary, "lineage", NORTH, "erp.Customer.state", "--matrix")
    check(code == 2, f"--matrix with a field: exit {code}: {err}")
    broken = os.path.join(work, "broken.crmx")
    with open(broken, "w") as f:
        f.write("integration broken {\n  map m: crm.A -> erp.B {\n}\n")
    code, _, err = crmxc(binary, "graph", broken)
    check(code == 1, f"a spec with errors: exit {code}: {err[-300:]}")

    for f in failures:
        print("FAIL:", f)
    if failures:
        print(f"graph tests: {len(failures)} failures")
        return 1
    print(f"graph tests: {len(GOLDENS)} goldens, {len(examples())} examples checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
