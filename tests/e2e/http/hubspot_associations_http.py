#!/usr/bin/env python3
"""HubSpot deals joined to their company and line items through associations (issue 11), copied
to a second HubSpot portal through crmx-run, with 30% of both emulators' calls failing.

    hubspot_associations_http.py CRMXC CRMX_RUN CRMX_EMULATE [--seeds S1,S2,...] [--runs N]

The source portal is seeded with 40 companies, 120 deals and their line items, joined only by
associations (no property names a company or a deal): most deals have one company and 0-6 line
items, one deal has 180 line items (past the 100 a list answer carries inline, so the rest come
from the v4 batch read by `after`), 12 deals have no company. The spec
(`schema "*.properties.json"`: the HubSpot importer adds `associations` and the child
relationships) reads a deal's company id as `associations.companies[0]` and its company's name
and line items through the `Companies` and `LineItems` relationships; the sync is `on change`,
so the deals come from the search API, whose answers carry no associations (the connector reads
them with the batch read). The target portal gets one deal per source deal with a company,
upserted by a custom unique property `crmx_source_id`, `dealname` "<deal> @ <company name>" and
`description` "company <id>; <n> line items".

Without faults, then per seed with `--faults 0.3 --fault-delay-ms 800` on both emulators,
crmx-run runs until nothing is left to retry (at most N runs):
- the target holds exactly the deals the seed data says (each one's name and description
  computed here from the seed, not from a run): every company found through its association,
  every line item counted both ways (the `LineItems` children and the deal's own
  `associations.line_items`), nothing lost;
- after the first settled run 13 deals are renamed in the source; the next runs read them by
  search (no associations in its answers: the batch read), and the target gets the new names;
- the target's journal shows each deal created exactly once;
- the 12 deals without a company are in the data-quality queue ("no company"), not written;
- the token never appears in crmx-run's output."""
import argparse
import json
import os
import random
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

TOKEN = "crmx-test-hubspot-token"

PROFILE = """default_target: emulators
targets:
  emulators:
    hub:
      kind: hubspot
      base_url: {src}
      auth:
        method: private_app
        access_token: env:CRMX_HUBSPOT_TOKEN
    out:
      kind: hubspot
      base_url: {dst}
      auth:
        method: private_app
        access_token: env:CRMX_HUBSPOT_TOKEN
"""

SPEC = """/// The HubSpot associations end-to-end test's spec (tests/e2e/http/hubspot_associations_http.py):
/// deals joined to their company and line items through associations, copied to another portal.
integration hubspot_associations_e2e version "1.0" {{
  use std.text
  system hub: hubspot {{
    schema "{schemas}/*.properties.json"
  }}
  system out: hubspot {{
    schema "{schemas}/*.properties.json"
    batch 10   // small batches: the faults meet many of them
  }}

  map deal_copy: hub.Deal -> out.Deal {{
    key crmx_source_id = hs_object_id
    require associations.companies.size() > 0 else "no company"
    dealname    = format("%s @ %s", dealname, Companies.map(c, c.name).join(", "))
    description = format("company %s; %s line items, %s associated", associations.companies[0], LineItems.size(),
                         associations.line_items.size())
  }}

  sync deal_copy on change
}}
"""


def schemas_dir(work):
    """schemas/hubspot with a custom unique `crmx_source_id` on deals (the target's upsert key)."""
    return harness.hubspot_schemas_with_key(work, "deals", "crmx_source_id", "Source deal id",
                                            "The source portal's deal id (a custom property with unique values)",
                                            "dealinformation")


def seed(work):
    """The source portal's records (HubSpot's {id, properties, associations}); returns the
    target deals the spec must write: source deal id -> (dealname, description), and the ids of
    the deals without a company."""
    rnd = random.Random(20261206)
    d = os.path.join(work, "source-data")
    os.makedirs(d)
    companies = {str(3001 + i): f"Company {i:02d} " + rnd.choice(["Inc", "GmbH", "Ltd", "SA"]) for i in range(40)}
    with open(os.path.join(d, "companies.jsonl"), "w") as f:
        for cid, name in companies.items():
            f.write(json.dumps({"id": cid, "properties": {"name": name}}) + "\n")
    want, orphans, items, next_item = {}, [], [], 80001
    with open(os.path.join(d, "deals.jsonl"), "w") as f:
        for i in range(120):
            did = str(7001 + i)
            name = f"Deal {i:03d}"
            n_items = 180 if i == 17 else rnd.randint(0, 6)
            li = [str(next_item + k) for k in range(n_items)]
            next_item += n_items
            items += li
            assoc = {"line_items": li}
            if i % 10 == 3:
                orphans.append(did)  # no company
            else:
                cid = rnd.choice(sorted(companies))
                assoc["companies"] = [cid]
                want[did] = (f"{name} @ {companies[cid]}", f"company {cid}; {n_items} line items, {n_items} associated")
            f.write(json.dumps({"id": did, "properties": {"dealname": name, "dealstage": "appointmentscheduled"},
                                "associations": assoc}) + "\n")
    with open(os.path.join(d, "line_items.jsonl"), "w") as f:
        for k, lid in enumerate(items):
            f.write(json.dumps({"id": lid, "properties": {"name": f"Item {k}", "quantity": 1 + k % 3}}) + "\n")
    return d, want, orphans


def rename_deals(url, ids):
    """Renames source deals `ids` ("<name> (renamed)") by batch/update, sent again until
    answered (an update by id is idempotent; the emulator's faults apply to it too)."""
    body = json.dumps({"inputs": [{"id": i, "properties": {"dealname": f"Deal {int(i) - 7001:03d} (renamed)"}}
                                  for i in ids]}).encode()
    for _ in range(30):
        req = urllib.request.Request(url + "/crm/v3/objects/deals/batch/update", data=body, method="POST",
                                     headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                if r.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    return False


def run_until_done(a, d, plan, schemas, data, faults, seed_n, check, renamed):
    """Runs until settled, renames `renamed` deals in the source (their later read is a search
    from the cursor, whose answers carry no associations), runs until settled again."""
    extra = ["--faults", str(faults), "--fault-seed", str(seed_n), "--fault-delay-ms", "800"] if faults else []
    src = harness.Emulator(a.crmx_emulate, "hubspot", "--schemas", schemas, "--data", data, *extra)
    dst = harness.Emulator(a.crmx_emulate, "hubspot", "--schemas", schemas,
                           *(["--faults", str(faults), "--fault-seed", str(seed_n + 1), "--fault-delay-ms", "800"]
                             if faults else []))
    try:
        profile = os.path.join(d, "crmx.profiles.yaml")
        with open(profile, "w") as f:
            f.write(PROFILE.format(src=src.url, dst=dst.url))
        runs, report = harness.runs_until_settled(a.crmx_run, plan, profile, d, "deal_copy",
                                                  {"CRMX_HUBSPOT_TOKEN": TOKEN}, check, secrets=(TOKEN,),
                                                  max_runs=a.runs)
        first_stats = json.loads(src.get("/_emulator/stats"))
        check(rename_deals(src.url, renamed), f"could not rename deals {renamed} in the source")
        time.sleep(0.01)
        more, report2 = harness.runs_until_settled(a.crmx_run, plan, profile, d, "deal_copy",
                                                   {"CRMX_HUBSPOT_TOKEN": TOKEN}, check, secrets=(TOKEN,),
                                                   max_runs=a.runs)
        runs += more
        check(report2 is not None and report2["maps"]["deal_copy"]["written"] == len(renamed),
              f"after the renames: {more}")
        src_stats = json.loads(src.get("/_emulator/stats"))
        src_stats["first_requests"] = first_stats.get("requests", {})
        dst_stats = json.loads(dst.get("/_emulator/stats"))
        return runs, report, src_stats, dst_stats, dst.records("deals"), dst.journal()
    finally:
        src.stop()
        dst.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("crmxc")
    ap.add_argument("crmx_run")
    ap.add_argument("crmx_emulate")
    ap.add_argument("--seeds", default="5,9")
    ap.add_argument("--runs", type=int, default=6)
    a = ap.parse_args()
    check = harness.Checks()
    work = harness.workdir()
    schemas = schemas_dir(work)
    data, want, orphans = seed(work)
    spec = os.path.join(work, "hubspot_associations_e2e.crmx")
    with open(spec, "w") as f:
        f.write(SPEC.format(schemas=schemas))
    plan = os.path.join(work, "hubspot-associations.plan.json")
    harness.run([a.crmxc, "build", spec, "-o", plan])
    # Renamed after the first settled run: a deal with 180 line items among them.
    renamed = [k for k in sorted(want)][::9] + ["7018"]
    names = {k: (v[0].replace(" @ ", " (renamed) @ ", 1) if k in renamed else v[0]) for k, v in want.items()}
    descriptions = {k: v[1] for k, v in want.items()}

    for faults, seed_n in [(0, 0)] + [(0.3, int(s)) for s in a.seeds.split(",") if s]:
        label = f"faults {faults:.0%}, seed {seed_n}"
        d = os.path.join(work, f"run-{seed_n}")
        os.makedirs(d)
        runs, report, src_stats, dst_stats, deals, journal = run_until_done(a, d, plan, schemas, data, faults, seed_n,
                                                                             check, renamed)
        got, created = harness.check_exactly_once(check, label, names, deals, "crmx_source_id", "dealname", journal,
                                                  "deals", "deals")
        wrong = [r["crmx_source_id"] for r in deals if descriptions.get(r["crmx_source_id"]) != r.get("description")]
        check(not wrong, f"{label}: line items or company id wrong for {wrong[:5]}: "
              f"{[(r.get('crmx_source_id'), r.get('description')) for r in deals if r['crmx_source_id'] in wrong[:3]]}")
        check(runs and runs[-1].get("exit") == 0 and runs[-1].get("retrying") == 0,
              f"{label}: still records to retry after {len(runs)} runs: {runs}")
        # The first run lists the deals (ids inline; deal 7018's 180 line items past the 100
        # inline come from the batch read); the run after the renames searches from the cursor
        # and reads the changed deals' associations with the batch read.
        first, later = src_stats["first_requests"], src_stats.get("requests", {})
        check(first.get("association-read", 0) > 0, f"{label}: the list read made no association batch read: {first}")
        check(later.get("search", 0) > 0 and later.get("association-read", 0) > first.get("association-read", 0),
              f"{label}: the cursor read made no search and batch read: {later}")
        # The first settled run sent the deals without a company to the data-quality queue.
        dq = report["maps"]["deal_copy"]["data_quality"] if report is not None else {}
        check(dq.get("count") == len(orphans) and dq.get("by_reason") == {"no company": len(orphans)},
              f"{label}: data-quality {dq} != {len(orphans)} deals without a company")
        if faults:
            check(sum(src_stats.get("faults", {}).values()) > 0 and sum(dst_stats.get("faults", {}).values()) > 0,
                  f"{label}: no faults were injected: {src_stats} {dst_stats}")
        print(f"{label}:", json.dumps({"runs": runs, "deals": len(got), "created": len(created),
                                       "source_requests": src_stats.get("requests"),
                                       "source_faults": src_stats.get("faults")}))
    return check.done("hubspot_associations_http",
                      "every deal's company and line items found through associations; each written once under 30% faults")


if __name__ == "__main__":
    sys.exit(main())
