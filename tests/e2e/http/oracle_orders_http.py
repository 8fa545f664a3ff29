#!/usr/bin/env python3
"""Closed-won opportunities to Oracle Fusion sales orders with their lines, through crmx-run,
against `crmx-emulate salesforce` and `crmx-emulate oracle`, first without faults, then with 30% of
the Oracle emulator's calls failing (timeouts, resets before and after a batch is applied, 429, 503).

    oracle_orders_http.py CRMXC CRMX_RUN CRMX_EMULATE [--seeds S1,S2,...]

Checks, from the Oracle emulator's journal and records (`/_emulator/...`):
- without faults: every closed-won opportunity with a positive amount is one sales order, with
  one order line per opportunity line item;
- with faults, per seed: every order crmx-run reports written is in Oracle; no order key was
  created twice (Upsert-Mode by SourceTransactionSystem + SourceTransactionNumber turns a re-send
  after a lost answer into an update); every order not written is in the retrying or dead-letter
  queue with a reason (the sync re-sends a failed batch up to 6 times within the run, so in
  practice every order ends in Oracle, exactly once).
The login is the JWT assertion (oauth2_jwt_assertion) against the emulator's IDCS token endpoint;
a key is made with openssl."""
import argparse
import collections
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ORACLE_SCHEMAS = os.path.join(REPO, "schemas", "oracle-fusion")

SPEC = """
integration oracle_orders version "1.0" {
  system crm: salesforce { schema "%(sf)s/*.describe.json" }
  // Small batches: more calls, so the 30%% faults hit many of them (resets after a batch was
  // applied included: the re-send must update, not create).
  system erp: oracle { schema "%(oracle)s/*.describe.json"  batch 5 }

  map won_to_order: crm.Opportunity -> erp.salesOrdersForOrderHub {
    key SourceTransactionNumber = Id
    SourceTransactionSystem   = "CRMX"
    SourceTransactionId       = Id
    TransactionalCurrencyCode = CurrencyIsoCode ?? "USD"
    lines = OpportunityLineItems.map(li, {
              SourceTransactionLineId: li.Id,
              SourceTransactionLineNumber: li.Id,
              SourceTransactionScheduleId: li.Id,
              SourceScheduleNumber: "1",
              ProductNumber: li.ProductCode,
              OrderedQuantity: decimal(li.Quantity),
              TransactionCategoryCode: "ORDER",
            })
  }

  sync won_to_order on change when StageName == "Closed Won" && Amount > 0 {
    retry 6 backoff exponential(1s, 4s)
    on exhausted dead_letter
  }
}
"""

# The ERP system of the profile (harness.salesforce_profile adds the Salesforce crm).
ERP = """    erp:
      kind: oracle
      base_url: %(oracle)s
      auth:
        method: oauth2_jwt_assertion
        client_id: crmx-test-client
        username: crmx-test-user
        certificate_alias: crmx-test-cert
        token_url: %(oracle)s/oauth2/v1/token
        scope: "urn:opc:resource:fa:instanceid=1urn:opc:resource:consumer::all"
        private_key: file:%(key)s
"""


def expected_orders():
    crm = os.path.join(harness.EXAMPLE, "data", "crm")
    opps = [json.loads(l) for l in open(os.path.join(crm, "Opportunity.jsonl")) if l.strip()]
    items = [json.loads(l) for l in open(os.path.join(crm, "OpportunityLineItem.jsonl")) if l.strip()]
    won = {o["Id"] for o in opps if o.get("StageName") == "Closed Won" and (o.get("Amount") or 0) > 0}
    lines = collections.Counter(i["OpportunityId"] for i in items if i.get("OpportunityId") in won)
    return won, lines


def run_crmx(a, d, plan, sf, oracle, key, extra_env=None):
    profile = os.path.join(d, "crmx.profiles.yaml")
    with open(profile, "w") as f:
        f.write(harness.salesforce_profile(sf.url, ERP % {"oracle": oracle.url, "key": key}))
    queues = os.path.join(d, "queues")
    code, out, err = harness.run([a.crmx_run, "run", plan, "--profiles", profile, "--state",
                                  os.path.join(d, "state.db"), "--queues", queues, "--report", "json",
                                  "--progress", "never", "--retry-wait", "20s"], env=extra_env, check=False)
    errors = []
    for q in ("retrying.jsonl", "dead_letters.jsonl"):
        p = os.path.join(queues, q)
        if os.path.exists(p):
            errors += [json.loads(l) for l in open(p) if l.strip()]
    return code, out, err, errors


def check_run(label, code, out, err, errors, oracle, won, lines, complete, failures):
    if code not in (0, 1):
        failures.append(f"{label}: exit {code}: {err[-2000:]}")
        return {}
    if code == 1:
        reason = err.strip().splitlines()[-1] if err.strip() else ""
        if not reason.startswith("error:"):
            failures.append(f"{label}: exit 1 without saying why: {err[-500:]!r}")
        return {"exit": 1, "reason": reason}
    m = json.loads(out)["maps"]["won_to_order"]
    journal = oracle.journal()
    created = collections.Counter(e["key"] for e in journal if e.get("op") == "created")
    twice = [k for k, n in created.items() if n > 1]
    if twice:
        failures.append(f"{label}: created twice in Oracle: {twice[:5]}")
    records = {r["SourceTransactionNumber"]: r for r in oracle.records("salesOrdersForOrderHub")}
    not_written = {e["key"] for e in errors if e.get("map") == "won_to_order"}
    for e in errors:
        if not " ".join(e.get("reasons", [])).strip():
            failures.append(f"{label}: {e.get('key')} queued without a reason")
    for opp in won:
        if opp not in records and opp not in not_written:
            failures.append(f"{label}: {opp} neither in Oracle nor queued: lost")
    for number, r in records.items():
        if number not in won:
            failures.append(f"{label}: {number} in Oracle but not a closed-won opportunity")
        elif len(r.get("lines") or []) != lines.get(number, 0):
            failures.append(f"{label}: {number} has {len(r.get('lines') or [])} lines, not {lines.get(number, 0)}")
        if r.get("SourceTransactionSystem") != "CRMX" or not r.get("LastUpdateDate"):
            failures.append(f"{label}: {number}: {r}")
    if complete and set(records) != won:
        failures.append(f"{label}: {len(won - set(records))} orders missing in Oracle")
    return {"exit": code, "written": m["written"], "in_oracle": len(records), "created": sum(created.values()),
            "updated": sum(1 for e in journal if e.get("op") == "updated"), "queued": len(not_written),
            "retries": m.get("retries")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("crmxc")
    ap.add_argument("crmx_run")
    ap.add_argument("crmx_emulate")
    ap.add_argument("--seeds", default="11,12,13")
    a = ap.parse_args()
    work = harness.workdir()
    key = os.path.join(work, "oracle.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key],
                   check=True, capture_output=True)
    spec = os.path.join(work, "oracle_orders.crmx")
    with open(spec, "w") as f:
        f.write(SPEC % {"sf": os.path.join(harness.EXAMPLE, "schemas", "salesforce"), "oracle": ORACLE_SCHEMAS})
    plan = os.path.join(work, "oracle_orders.plan.json")
    harness.run([a.crmxc, "build", spec, "-o", plan])
    won, lines = expected_orders()
    if len(won) < 10:
        print(f"FAIL: the example has only {len(won)} closed-won opportunities")
        return 1
    failures = []
    for seed in [0] + [int(s) for s in a.seeds.split(",") if s]:
        faults = ["--faults", "0.3", "--fault-seed", str(seed), "--fault-delay-ms", "800"] if seed else []
        sf = harness.Emulator(a.crmx_emulate, "salesforce", "--data", os.path.join(harness.EXAMPLE, "data", "crm"),
                              "--schemas", os.path.join(harness.EXAMPLE, "schemas", "salesforce"))
        oracle = harness.Emulator(a.crmx_emulate, "oracle", "--schemas", ORACLE_SCHEMAS, *faults)
        try:
            d = os.path.join(work, f"seed-{seed}")
            os.makedirs(d)
            label = f"seed {seed}" if seed else "no faults"
            code, out, err, errors = run_crmx(a, d, plan, sf, oracle, key)
            figures = check_run(label, code, out, err, errors, oracle, won, lines, complete=not seed, failures=failures)
            print(f"{label}:", json.dumps(figures), "oracle faults:", json.dumps(json.loads(oracle.get("/_emulator/stats")).get("faults")))
        finally:
            sf.stop()
            oracle.stop()
    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print("oracle orders over HTTP: every order exactly once, nothing lost")
    return 0


if __name__ == "__main__":
    sys.exit(main())
