#!/usr/bin/env python3
"""API calls per 1,000 records upserted, counted in the vendor emulators' journals and stats.

Generates N NetSuite-shaped customers and N Salesforce-shaped accounts as local files, and a
spec with two maps: customers -> Salesforce Account (sObject Collections upsert by the external
id AccountNumber) and accounts -> NetSuite Customer (upsert by external id). Runs it with crmx-run
against `crmx-emulate salesforce` and `crmx-emulate netsuite`, then counts, per system, the
write requests that carried the records (from the emulator's journal: distinct request ids) and
every API request crmx-run made (from /_emulator/stats, logins included).

    run_api_calls.py CRMXC CRMX_RUN CRMX_EMULATE [--records N] [--check]

--check: exit 1 unless Salesforce took at most 5 write calls per 1,000 records (the issue's bar)
and every record was written exactly once. Prints one JSON line of figures at the end."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "e2e", "http"))
import harness  # noqa: E402

SF_SCHEMAS = os.path.join(harness.EXAMPLE, "schemas", "salesforce")
NS_SCHEMAS = os.path.join(harness.EXAMPLE, "schemas", "netsuite")

SPEC = """integration api_calls version "1.0" {
  system nsfiles: netsuite   { schema "ns/*.json" }
  system sf: salesforce      { schema "sf/*.describe.json" }
  system sffiles: salesforce { schema "sf/*.describe.json" }
  system ns: netsuite        { schema "ns/*.json" }

  map customers_to_accounts: nsfiles.Customer -> sf.Account {
    key AccountNumber = externalId
    Name = companyName
  }
  map accounts_to_customers: sffiles.Account -> ns.Customer {
    key externalId = Id
    companyName = Name
    subsidiary = "Acme Inc"
  }
  sync customers_to_accounts on change
  sync accounts_to_customers on change
}
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("crmxc")
    ap.add_argument("crmx_run")
    ap.add_argument("crmx_emulate")
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    n = a.records
    work = harness.workdir()
    # Schemas: the example's, with Account.AccountNumber made an external id (as orgs do for
    # ERP numbers), so it can be the upsert key.
    os.makedirs(os.path.join(work, "sf"))
    os.makedirs(os.path.join(work, "ns"))
    for name in os.listdir(SF_SCHEMAS):
        d = json.load(open(os.path.join(SF_SCHEMAS, name)))
        if d.get("name") == "Account":
            for f in d["fields"]:
                if f["name"] == "AccountNumber":
                    f["externalId"] = True
                    f["idLookup"] = True
        json.dump(d, open(os.path.join(work, "sf", name), "w"))
    for name in os.listdir(NS_SCHEMAS):
        with open(os.path.join(NS_SCHEMAS, name)) as src, open(os.path.join(work, "ns", name), "w") as dst:
            dst.write(src.read())
    spec = os.path.join(work, "api_calls.crmx")
    open(spec, "w").write(SPEC)
    nsfiles, sffiles = os.path.join(work, "nsfiles"), os.path.join(work, "sffiles")
    os.makedirs(nsfiles)
    os.makedirs(sffiles)
    with open(os.path.join(nsfiles, "Customer.jsonl"), "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": str(5000 + i), "externalId": f"C-{i:06d}", "companyName": f"Customer {i} Ltd"}) + "\n")
    with open(os.path.join(sffiles, "Account.jsonl"), "w") as f:
        for i in range(n):
            f.write(json.dumps({"Id": f"001Bench{i:010d}", "Name": f"Account {i} GmbH"}) + "\n")
    plan = os.path.join(work, "plan.json")
    harness.run([a.crmxc, "build", spec, "-o", plan])

    sf = harness.Emulator(a.crmx_emulate, "salesforce", "--schemas", os.path.join(work, "sf"))
    ns = harness.Emulator(a.crmx_emulate, "netsuite", "--schemas", os.path.join(work, "ns"))
    try:
        profile = os.path.join(work, "crmx.profiles.yaml")
        text = open(harness.write_profile(os.path.join(work, "base.yaml"), sf.url, ns.url)).read()
        # The example's emulators target, its systems renamed to this spec's.
        text = text.replace("\n    crm:\n", "\n    sf:\n", 1).replace("\n    erp:\n", "\n    ns:\n", 1)
        open(profile, "w").write(text)
        _, out, _ = harness.run([a.crmx_run, "run", plan, "--profiles", profile, "--target", "emulators",
                                 "--system", f"nsfiles={nsfiles}", "--system", f"sffiles={sffiles}",
                                 "--state", os.path.join(work, "state.db"), "--report", "json",
                                 "--progress", "never"])
        report = json.loads(out)
        figures = {"records": n}
        ok = True
        for label, emu, obj, m in (("salesforce", sf, "Account", "customers_to_accounts"),
                                   ("netsuite", ns, "Customer", "accounts_to_customers")):
            journal = [e for e in emu.journal() if e.get("object") == obj]
            requests = {e.get("request_id") for e in journal}
            keys = [e.get("key") for e in journal]
            stats = json.loads(emu.get("/_emulator/stats"))
            written = report["maps"][m]["written"]
            calls = report["maps"][m].get("api_calls", {})
            figures[label] = {
                "written": written,
                "journal_writes": len(journal),
                "distinct_keys": len(set(keys)),
                "write_calls": len(requests),
                "write_calls_per_1000": round(len(requests) * 1000 / max(n, 1), 2),
                "crmx_calls_target": calls.get("target"),
                "emulator_requests": stats.get("requests"),
            }
            if written != n or len(journal) != n or len(set(keys)) != n:
                print(f"FAIL {label}: {n} records, {written} written, {len(journal)} journal writes, "
                      f"{len(set(keys))} distinct keys", file=sys.stderr)
                ok = False
        sfc = figures["salesforce"]["write_calls_per_1000"]
        print(f"salesforce: {figures['salesforce']['write_calls']} upsert calls for {n} accounts "
              f"({sfc} per 1,000; crmx-run counted {figures['salesforce']['crmx_calls_target']} calls, login included)")
        print(f"netsuite: {figures['netsuite']['write_calls']} upsert calls for {n} customers "
              f"({figures['netsuite']['write_calls_per_1000']} per 1,000; crmx-run counted "
              f"{figures['netsuite']['crmx_calls_target']} calls, logins included)")
        if a.check and sfc > 5:
            print(f"FAIL: Salesforce took {sfc} write calls per 1,000 records (bar: at most 5)", file=sys.stderr)
            ok = False
        print(json.dumps(figures))
        return 0 if ok else 1
    finally:
        sf.stop()
        ns.stop()


if __name__ == "__main__":
    sys.exit(main())
