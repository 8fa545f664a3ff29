#!/usr/bin/env python3
"""Sales orders deleted in NetSuite are noticed (SOAP getDeleted), queued, and never written again.

    netsuite_deletions_http.py CRMXC CRMX_RUN CRMX_EMULATE

A spec reads NetSuite sales orders (the NetSuite emulator, token-based auth) into a local copy
of the north star's Salesforce export (order_status_back: each order's status onto its
opportunity). The emulator pages getDeleted two records at a time.

1. run 1 writes the four orders' status; getDeleted finds nothing deleted;
2. three orders are deleted in the emulator (REST DELETE); run 2 reads them as deleted
   (two getDeleted pages): `deleted` queue (report, deleted.jsonl, the state's items), the
   target's opportunities left as they are, the fourth order unchanged;
3. run 3 (from the cursor) and run 4 (--full: every record and every deletion again) write
   none of the deleted orders and queue nothing new;
4. controls: the same deletions with the profile option `deletions: skip` go unnoticed (so what
   the runs above saw came from getDeleted), and a role without the Deleted Records permission
   makes the run fail (exit 1) with NetSuite's code and message.
"""
import base64
import json
import os
import shutil
import sqlite3
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

SPEC = """integration ns_deletions version "1" {
  system erp: netsuite { schema "schemas/netsuite/*.json" }
  system crm: salesforce { schema "schemas/salesforce/*.describe.json" }

  map order_status_back: erp.SalesOrder -> crm.Opportunity {
    key Id = externalId
    ERP_Status__c       = status
    ERP_Order_Number__c = tranId
  }

  sync order_status_back on change
}
"""
MAP = "order_status_back"


def opportunity_ids(n):
    path = os.path.join(harness.EXAMPLE, "data", "crm", "Opportunity.jsonl")
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["Id"] for line in f][:n]


def seed(work, opps):
    """The emulator's sales orders: one per opportunity, changed on 2024-05-01."""
    d = os.path.join(work, "ns-seed")
    os.makedirs(d)
    with open(os.path.join(d, "SalesOrder.jsonl"), "w", encoding="utf-8") as f:
        for i, opp in enumerate(opps):
            f.write(json.dumps({"id": str(501 + i), "externalId": opp, "tranId": f"SO{9001 + i}", "status": "Billed",
                                "entity": {"id": "1", "refName": "Acme"},
                                "lastModifiedDate": "2024-05-01T00:00:00Z"}) + "\n")
    return d


def token(ns):
    """An OAuth 2.0 access token of the emulator (its JWT signatures are not checked)."""
    b64 = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    now = int(time.time())
    assertion = ".".join([b64({"alg": "PS256", "typ": "JWT", "kid": "cert-1"}),
                          b64({"iss": "crmx-test-consumer-key", "scope": ["rest_webservices"], "aud": ns.url,
                               "exp": now + 600, "iat": now}), "c2ln"])
    form = urllib.parse.urlencode({"grant_type": "client_credentials",
                                   "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                                   "client_assertion": assertion}).encode()
    with urllib.request.urlopen(ns.url + "/services/rest/auth/oauth2/v1/token", data=form, timeout=30) as r:
        return json.loads(r.read())["access_token"]


def delete(ns, bearer, external_id):
    req = urllib.request.Request(ns.url + f"/services/rest/record/v1/salesOrder/eid:{external_id}", method="DELETE",
                                 headers={"Authorization": "Bearer " + bearer})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 204, r.status


def opportunities(crm):
    with open(os.path.join(crm, "Opportunity.jsonl"), encoding="utf-8") as f:
        return {r["Id"]: r for r in map(json.loads, f)}


class Scenario:
    """One NetSuite emulator, one local CRM copy, one state file, one profile."""

    def __init__(self, a, work, name, opps, emulator_args=(), profile_extra=""):
        self.a, self.dir = a, os.path.join(work, name)
        os.makedirs(self.dir)
        self.crm = os.path.join(self.dir, "crm")
        shutil.copytree(os.path.join(harness.EXAMPLE, "data", "crm"), self.crm)
        self.ns = harness.Emulator(a.emulate, "netsuite", "--schemas", os.path.join(harness.EXAMPLE, "schemas", "netsuite"),
                                   "--data", seed(self.dir, opps), "--deleted-page-size", "2", *emulator_args)
        self.profile = harness.write_profile(os.path.join(self.dir, "crmx.profiles.yaml"), ns_url=self.ns.url)
        if profile_extra:
            text = open(self.profile, encoding="utf-8").read()
            text = text.replace("      concurrency: 5\n      auth:\n        method: tba",
                                "      concurrency: 5\n" + profile_extra + "      auth:\n        method: tba", 1)
            assert profile_extra in text, "the profile's emulators erp entry changed shape"
            open(self.profile, "w", encoding="utf-8").write(text)
        self.state = os.path.join(self.dir, "state.db")
        self.queues = os.path.join(self.dir, "queues")

    def run(self, *extra, check=True):
        code, out, err = harness.run([self.a.crmx_run, "run", self.a.plan, "--profiles", self.profile, "--target",
                                      "emulators", "--system", f"crm={self.crm}", "--state", self.state, "--queues",
                                      self.queues, "--report", "json", "--progress", "never", *extra], check=check)
        return code, (json.loads(out)["maps"][MAP] if code == 0 else None), err

    def soap_calls(self):
        return json.loads(self.ns.get("/_emulator/stats"))["requests"].get("getDeleted", 0)

    def deleted_items(self):
        db = sqlite3.connect(self.state)
        try:
            return sorted(r[0] for r in db.execute(
                "SELECT record_id FROM queued_items WHERE map = ? AND queue = 'deleted' AND status = 'open'", (MAP,)))
        finally:
            db.close()

    def deleted_file(self):
        path = os.path.join(self.queues, "deleted.jsonl")
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]


class Args:
    pass


def main():
    a = Args()
    a.crmxc, a.crmx_run, a.emulate = sys.argv[1:4]
    work = harness.workdir()
    for sub in ("netsuite", "salesforce"):
        shutil.copytree(os.path.join(harness.EXAMPLE, "schemas", sub), os.path.join(work, "schemas", sub))
    spec = os.path.join(work, "ns_deletions.crmx")
    open(spec, "w", encoding="utf-8").write(SPEC)
    a.plan = os.path.join(work, "ns_deletions.plan.json")
    harness.run([a.crmxc, "build", spec, "-o", a.plan])
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)
            print("FAIL:", what)

    plan = json.load(open(a.plan, encoding="utf-8"))["plan"]
    m = next(x for x in plan["maps"] if x["name"] == MAP)
    check(m.get("deleted_field") == "@deleted" and "@deleted" in m["projection"]["fields"],
          f"the plan's map has no NetSuite deletion marker: {m.get('deleted_field')!r}")

    opps = opportunity_ids(4)
    gone, kept = opps[:3], opps[3]
    scenarios = []
    try:
        s = Scenario(a, work, "main", opps)
        scenarios.append(s)
        # 1. Every order written; nothing deleted yet (one getDeleted call: no cursor, all deletions).
        _, r1, _ = s.run()
        check(r1["written"] == 4 and r1["deleted"]["count"] == 0, f"run 1: {r1['written']} written, {r1['deleted']}")
        check(s.soap_calls() == 1, f"run 1: {s.soap_calls()} getDeleted calls, expected 1")
        after1 = opportunities(s.crm)
        check(all(after1[o].get("ERP_Status__c") == "Billed" for o in opps), "run 1: the status is not on the opportunities")

        # 2. Three orders deleted in NetSuite: queued as deleted, the opportunities left as they are.
        bearer = token(s.ns)
        for o in gone:
            delete(s.ns, bearer, o)
        calls = s.soap_calls()
        _, r2, _ = s.run()
        check(r2["deleted"]["count"] == 3, f"run 2: deleted {r2['deleted']}, expected 3")
        check(r2["written"] == 0, f"run 2 wrote {r2['written']}")
        check(s.soap_calls() - calls == 2, f"run 2: {s.soap_calls() - calls} getDeleted calls, expected 2 (pages of 2)")
        reasons = r2["deleted"].get("by_reason", {})
        check(any("deleted in erp.SalesOrder" in k for k in reasons), f"run 2: deleted reasons {reasons}")
        check(s.deleted_items() == sorted(gone), f"run 2: state's deleted items {s.deleted_items()}, expected {sorted(gone)}")
        in_file = sorted(e.get("key") for e in s.deleted_file())
        check(in_file == sorted(gone), f"run 2: deleted.jsonl keys {in_file}")
        after2 = opportunities(s.crm)
        check(all(after2[o] == after1[o] for o in opps), "run 2 changed an opportunity")

        # 3. From the cursor, then --full: the deleted orders are not written again, nothing new queued.
        for label, extra in (("run 3", ()), ("run 4 (--full)", ("--full",))):
            _, r, _ = s.run(*extra)
            check(r["deleted"]["count"] == 0, f"{label}: deleted {r['deleted']}")
            check(s.deleted_items() == sorted(gone), f"{label}: deleted items {s.deleted_items()}")
            now = opportunities(s.crm)
            check(all(now[o] == after1[o] for o in gone), f"{label}: a deleted order's opportunity was written")
            if extra:
                # The live order is written again (a full run), the deleted ones are tombstoned.
                check(r["written"] <= 1, f"{label}: wrote {r['written']}")
                skipped = r["skipped"].get("by_reason", {})
                check(skipped.get("deleted at the source: not written again") == 3, f"{label}: skipped {skipped}")

        # 4a. Control: the same deletions with `deletions: skip` go unnoticed.
        c = Scenario(a, work, "skip", opps, profile_extra="      options:\n        deletions: skip\n")
        scenarios.append(c)
        c.run()
        bearer = token(c.ns)
        for o in gone:
            delete(c.ns, bearer, o)
        _, rc, _ = c.run()
        check(rc["deleted"]["count"] == 0 and c.soap_calls() == 0,
              f"deletions: skip: deleted {rc['deleted']['count']}, {c.soap_calls()} getDeleted calls")

        # 4b. A role without the Deleted Records permission: the run fails, saying NetSuite's code.
        p = Scenario(a, work, "denied", opps, emulator_args=("--without-deleted-records-permission",))
        scenarios.append(p)
        code, _, err = p.run(check=False)
        check(code == 1, f"without the permission: exit {code}, expected 1")
        check("INSUFFICIENT_PERMISSION" in err and "Deleted Records" in err and "getDeleted of SalesOrder" in err,
              f"without the permission: {err.strip()[-400:]}")
        check(not any(v in err for k, v in harness.TEST_ENV.items() if "SECRET" in k), "a secret in the error")
    finally:
        for sc in scenarios:
            sc.ns.stop()
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("netsuite deletions: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
