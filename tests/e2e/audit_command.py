#!/usr/bin/env python3
"""`crmx-run audit`: the conflicts a run settled, at the command line.

    audit_command.py CRMXC CRMX_RUN

Builds tests/unit/engine/conflicts/conflicts.crmx (terms copied both ways, `conflicts
latest_wins grace 60s audit`), runs it on local files, changes the terms on both sides (the ERP
later), runs again, and checks `crmx-run audit` (text and json): one settlement per direction,
the ERP's value written, the rule saying why; an unknown state file is exit 1."""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(cmd, check=True):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check and p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)}: exit {p.returncode}: {p.stderr}")
    return p


def main():
    crmxc, crmx_run = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="crmx-audit-")
    plan = os.path.join(work, "race.plan.json")
    run([crmxc, "build", os.path.join(ROOT, "tests/unit/engine/conflicts/conflicts.crmx"), "-o", plan])
    crm, erp, state = os.path.join(work, "crm"), os.path.join(work, "erp"), os.path.join(work, "state.db")
    os.makedirs(crm)
    os.makedirs(erp)
    accounts = os.path.join(crm, "Account.jsonl")
    with open(accounts, "w") as f:
        f.write(json.dumps({"Id": "A1", "Name": "Acme", "BillingState": "CA", "PaymentTerms__c": "Net 30",
                            "SystemModstamp": "2026-03-02T09:00:00Z"}) + "\n")
    sync = [crmx_run, "run", plan, "--system", f"crm={crm}", "--system", f"erp={erp}", "--state", state,
            "--progress", "never"]
    run(sync)
    failures = []
    out = run([crmx_run, "audit", "--state", state]).stdout
    if "0 conflicts settled" not in out:
        failures.append(f"after the first run: {out!r}")
    # Both sides change the terms; the ERP's change is later.
    with open(accounts) as f:
        a = json.loads(f.readline())
    a.update({"PaymentTerms__c": "Net 45", "SystemModstamp": "2026-03-02T15:01:00Z"})
    with open(accounts, "w") as f:
        f.write(json.dumps(a) + "\n")
    customers = os.path.join(erp, "Customer.jsonl")
    with open(customers) as f:
        c = json.loads(f.readline())
    c.update({"terms": "Net 15", "lastModifiedDate": "2026-03-02T15:05:00Z"})
    with open(customers, "w") as f:
        f.write(json.dumps(c) + "\n")
    run(sync)
    rows = json.loads(run([crmx_run, "audit", "--state", state, "--format", "json"]).stdout)
    if [(r["map"], r["field"], r["written"], r["winner"]) for r in rows] != [
            ("account_to_customer", "terms", '"Net 15"', "erp"),
            ("customer_terms_back", "PaymentTerms__c", '"Net 15"', "erp")]:
        failures.append(f"audit rows: {rows}")
    if rows and not rows[0]["rule"].startswith("latest_wins: crm changed at 2026-03-02T15:01:00Z"):
        failures.append(f"rule: {rows[0]['rule']}")
    text = run([crmx_run, "audit", "--state", state, "--map", "account_to_customer"]).stdout
    if "2 conflicts" in text or "1 conflict settled" not in text or "erp's is later" not in text:
        failures.append(f"text for one map: {text!r}")
    missing = run([crmx_run, "audit", "--state", os.path.join(work, "nope.db")], check=False)
    if missing.returncode != 1 or "does not exist" not in missing.stderr:
        failures.append(f"unknown state file: exit {missing.returncode}: {missing.stderr!r}")
    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print("audit command: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
