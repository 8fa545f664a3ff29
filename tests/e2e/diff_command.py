#!/usr/bin/env python3
"""`crmx-run diff OLD_PLAN NEW_PLAN` end to end (docs/cli.md, "crmx-run diff"), on the north
star's bundled data as local files (crm: a copy of the JSONL export, erp: a SQLite database a
real run of the old plan filled).

    diff_command.py CRMXC CRMX_RUN [--memory-only] [--sizes 20000,200000]

The new spec is the north star changed four ways: `companyName` upper-cased, a new
`require Phone != null`, the `terms` assignment (and its flag) removed, the map
`order_status_back` removed. The expected figures are computed here from the input files and
from where the old plan's real run left each record (its queue files and the ERP database),
never from the diff's output:
- account_to_customer: written -> data_quality for the accounts written with no Phone, held ->
  data_quality for the held ones with no Phone, data-quality ones with no Phone get one more
  reason; companyName changes on the accounts written by both whose trimmed name has a lower-case
  letter; `terms` removed from the output; the flag finance:default_terms no longer raised on
  those written by both with no PaymentTerms__c;
- won_to_order: orders written or held whose account is no longer written now wait (written ->
  waiting, held -> waiting), those waiting on a held account now wait on a data-quality one;
  the `entity` ref resolves to the same placeholder in both (no value change);
- order_status_back: removed, with the old evaluation's record count (the sales orders in the
  ERP database, all written).
Also: nothing written (every file of the work directory byte for byte the same, no state file
created, no spill file left), the text report, `--exit-code` (1 with differences, 0 for a plan
against itself), exit 2 on an unreadable plan, a target database that does not exist yet is not
created.

Memory: the accounts-only spec diffed on 20,000 and 200,000 generated accounts; the peak RSS of
crmx-run (wait4) must not grow with the records (ratio under 1.5). The figures are printed.

Exit 0 when every check holds, 1 otherwise (every failed check printed)."""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "acme-salesforce-netsuite")


def replace_once(text, old, new):
    if text.count(old) != 1:
        raise SystemExit(f"diff_command.py: the north star spec no longer has exactly one `{old.strip()}`")
    return text.replace(old, new)


def cut(text, start, end):
    """`text` without the part from `start` up to (not including) `end`."""
    i, j = text.index(start), text.index(end)
    return text[:i] + text[j:]


SPEC_CHANGES = [
    ("    companyName = Name.trim().truncate(83)\n", "    companyName = Name.trim().upper().truncate(83)\n"),
    ('    require BillingCountry != null || ShippingCountry != null else "no country"\n',
     '    require BillingCountry != null || ShippingCountry != null else "no country"\n'
     '    require Phone != null else "no phone"\n'),
    ('    terms       = PaymentTerms__c ?? "Net 30" flag "finance:default_terms"\n', ""),
]


def new_spec(text):
    for old, new in SPEC_CHANGES:
        text = replace_once(text, old, new)
    text = cut(text, "  map order_status_back:", "  // ---------------------------------------------------------------- when records move")
    return replace_once(text, "  sync order_status_back on change\n", "")


def accounts_only(text):
    """The north star with account_to_customer only (the other maps, their syncs, the alert and the
    reconcile on their objects, and the tests cut)."""
    text = cut(text, "  map won_to_order:", "  // ---------------------------------------------------------------- when records move")
    text = replace_once(text, "  sync order_status_back on change\n", "")
    text = cut(text, "  sync won_to_order on change", "  // Where field authority cannot decide")
    i = text.index("  // ---------------------------------------------------------------- spec tests")
    return text[:i] + "}\n"


def write_spec(dest, text):
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("data"))
    with open(os.path.join(dest, "acme.crmx"), "w") as f:
        f.write(text)
    return os.path.join(dest, "acme.crmx")


def snapshot(top):
    """Every file under `top` (the tmp dir aside) -> its SHA-256."""
    out = {}
    for d, dirs, files in os.walk(top):
        dirs[:] = [x for x in dirs if x != "tmp" and not x.startswith("spec-")]
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, top)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def read_jsonl(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def read_accounts(crm):
    accounts = []
    with open(os.path.join(crm, "Account.jsonl")) as f:
        for line in f:
            try:
                a = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(a, dict):
                accounts.append(a)
    return accounts


def reference_outcomes(queues, erp, map_name, written_table):
    """key -> outcome (and key -> first reason) where the old plan's real run left each record."""
    outcome, reason = {}, {}
    for queue, name in [("quality", "data_quality"), ("held", "held"), ("waiting", "waiting"), ("errors", "error")]:
        for item in read_jsonl(os.path.join(queues, queue + ".jsonl")):
            if item.get("map") != map_name or not item.get("key"):
                continue
            outcome[item["key"]] = name
            reason[item["key"]] = item["reasons"][0]
    db = sqlite3.connect(erp)
    for (k,) in db.execute(f'SELECT externalId FROM "{written_table}"'):
        outcome[k] = "written"
    db.close()
    return outcome, reason


def transitions_of(report, map_name):
    m = next(x for x in report["maps"] if x["name"] == map_name)
    return m, {(t["from"], t["to"]): t["count"] for t in m["transitions"]}


def functional(crmxc, crmx_run, work):
    crm = os.path.join(work, "crm")
    shutil.copytree(os.path.join(EXAMPLE, "data", "crm"), crm)
    erp = os.path.join(work, "erp.db")
    queues = os.path.join(work, "queues")
    tmp = os.path.join(work, "tmp")
    os.makedirs(tmp)
    with open(os.path.join(EXAMPLE, "acme.crmx")) as f:
        old_text = f.read()
    old_plan, new_plan = os.path.join(work, "old.plan.json"), os.path.join(work, "new.plan.json")
    subprocess.run([crmxc, "build", os.path.join(EXAMPLE, "acme.crmx"), "-o", old_plan], check=True, capture_output=True)
    subprocess.run([crmxc, "build", write_spec(os.path.join(work, "spec-new"), new_spec(old_text)), "-o", new_plan],
                   check=True, capture_output=True)
    systems = ["--system", f"crm={crm}", "--system", f"erp={erp}"]
    # The old plan run for real: where each record stands (the reference), and an ERP to read.
    subprocess.run([crmx_run, "run", old_plan, *systems, "--state", os.path.join(work, "state.db"), "--queues", queues,
                    "--progress", "never"], check=True, capture_output=True)
    env = dict(os.environ, TMPDIR=tmp)

    def diff(*args):
        return subprocess.run([crmx_run, "diff", *args], capture_output=True, text=True, env=env, timeout=600)

    before = snapshot(work)
    pj = diff(old_plan, new_plan, *systems, "--format", "json", "--examples", "2")
    check(pj.returncode == 0, f"diff --format json: exit {pj.returncode}\n{pj.stderr}")
    pt = diff(old_plan, new_plan, *systems)
    check(pt.returncode == 0, f"diff (text): exit {pt.returncode}\n{pt.stderr}")
    after = snapshot(work)
    check(before == after, "diff wrote something: " + ", ".join(
        sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))))
    check(not os.path.exists(os.path.join(work, "erp.crmx-state.db")), "diff created the default state file")
    check(os.listdir(tmp) == [], f"diff left spill files in TMPDIR: {os.listdir(tmp)}")
    try:
        report = json.loads(pj.stdout)
    except json.JSONDecodeError:
        check(False, "diff --format json is not JSON:\n" + pj.stdout[:2000])
        return

    accounts = read_accounts(crm)
    acct_out, _ = reference_outcomes(queues, erp, "account_to_customer", "Customer")
    no_phone = {a["Id"] for a in accounts if a.get("Phone") is None}
    by_id = {a["Id"]: a for a in accounts}

    def count(pred):
        return sum(1 for k, o in acct_out.items() if pred(k, o))

    expected = {}
    for old in ("written", "held"):
        n = count(lambda k, o: o == old and k in no_phone)
        if n:
            expected[(old, "data_quality")] = n
    m, got = transitions_of(report, "account_to_customer")
    check(got == expected, f"account_to_customer transitions: {got}, expected {expected}")
    dq_more = count(lambda k, o: o == "data_quality" and k in no_phone)
    got_rc = {t["from"]: t["count"] for t in m["reasons_changed"]}
    check(got_rc == ({"data_quality": dq_more} if dq_more else {}),
          f"account_to_customer reasons_changed: {got_rc}, expected data_quality {dq_more}")
    both = [k for k, o in acct_out.items() if o == "written" and k not in no_phone]
    check(m["written_both"] == len(both), f"account_to_customer written_both {m['written_both']}, expected {len(both)}")
    upper = sum(1 for k in both if by_id[k]["Name"].strip() != by_id[k]["Name"].strip().upper())
    fields = {f["field"]: f for f in m["fields"]["changed"]}
    check(set(fields) == {"companyName"}, f"account_to_customer changed fields: {sorted(fields)}")
    check(fields.get("companyName", {}).get("count") == upper,
          f"companyName changes: {fields.get('companyName', {}).get('count')}, expected {upper}")
    for e in fields.get("companyName", {}).get("examples", []):
        a = by_id.get(e["key"], {})
        check(e["old"] == a.get("Name", "").strip() and e["new"] == e["old"].upper(),
              f"companyName example {e} is not the account's name and its upper case")
    check(m["fields"]["removed"] == ["terms"] and m["fields"]["added"] == [],
          f"account_to_customer fields removed/added: {m['fields']['removed']} / {m['fields']['added']}")
    default_terms = sum(1 for k in both if by_id[k].get("PaymentTerms__c") is None)
    flags = {f["flag"]: f for f in m["flags"]}
    check(set(flags) == ({"finance:default_terms"} if default_terms else set()), f"flags changed: {sorted(flags)}")
    if default_terms:
        f = flags["finance:default_terms"]
        check(f["cleared"] == default_terms and f["raised"] == 0,
              f"finance:default_terms cleared {f['cleared']} raised {f['raised']}, expected cleared {default_terms}")
    with open(os.path.join(crm, "Account.jsonl")) as f:
        lines = sum(1 for line in f if line.strip())
    check(m["records"] == {"old": lines, "new": lines},
          f"account_to_customer records {m['records']}, expected {lines} each (the file's lines)")

    # won_to_order: the orders of accounts no longer written.
    opps = read_jsonl(os.path.join(crm, "Opportunity.jsonl"))
    opp_out, opp_reason = reference_outcomes(queues, erp, "won_to_order", "SalesOrder")
    lost = {k for k, o in acct_out.items() if o == "written" and k in no_phone}
    now_dq = {k for k, o in acct_out.items() if o == "held" and k in no_phone}
    account_of = {o["Id"]: o.get("AccountId") for o in opps}
    expected = {}
    for old in ("written", "held"):
        n = sum(1 for k, o in opp_out.items() if o == old and account_of.get(k) in lost)
        if n:
            expected[(old, "waiting")] = n
    m, got = transitions_of(report, "won_to_order")
    check(got == expected, f"won_to_order transitions: {got}, expected {expected}")
    rewait = sum(1 for k, o in opp_out.items() if o == "waiting" and account_of.get(k) in now_dq)
    got_rc = {t["from"]: t["count"] for t in m["reasons_changed"]}
    check(got_rc == ({"waiting": rewait} if rewait else {}), f"won_to_order reasons_changed: {got_rc}, expected {rewait}")
    check(m["values_changed"] == 0 and m["fields"]["changed"] == [],
          f"won_to_order values changed: {m['values_changed']} (the entity placeholder must be the same in both)")
    check(sum(m["outcomes"]["old"].values()) == len(opps), f"won_to_order old outcomes {m['outcomes']['old']}")
    check(m["outcomes"]["old"].get("written", 0) == sum(1 for o in opp_out.values() if o == "written"),
          f"won_to_order old written {m['outcomes']['old'].get('written')} is not the real run's")

    db = sqlite3.connect(erp)
    orders = db.execute('SELECT COUNT(*) FROM "SalesOrder"').fetchone()[0]
    db.close()
    m = next(x for x in report["maps"] if x["name"] == "order_status_back")
    check(m["status"] == "removed" and m["records"]["old"] == orders and m["outcomes"]["old"] == {"written": orders},
          f"order_status_back: {m['status']} {m['records']} {m['outcomes']}, expected removed with {orders} written")
    check(report["summary"] == {"changed": 2, "unchanged": 0, "added": 0, "removed": 1} and report["differs"] is True,
          f"summary {report['summary']}")

    # The text report says the same.
    t = pt.stdout
    w2d = next((c for (a, b), c in transitions_of(report, "account_to_customer")[1].items() if a == "written"), 0)
    for want in [f"written -> data_quality: {w2d:,} (no phone {w2d:,})",
                 f"companyName: {upper:,} change, e.g. ", "terms: removed from the output",
                 f"flag finance:default_terms: no longer raised on {default_terms:,}",
                 f"map order_status_back (erp.SalesOrder -> crm.Opportunity): removed; the old plan: {orders:,} records",
                 "2 map(s) changed, 0 unchanged, 0 added, 1 removed"]:
        check(want in t, f"the text report lacks `{want}`:\n{t}")
    print(t)

    # --exit-code; a plan against itself; an unreadable plan; a target that does not exist yet.
    p = diff(old_plan, new_plan, *systems, "--exit-code")
    check(p.returncode == 1, f"--exit-code with differences: exit {p.returncode}")
    p = diff(old_plan, old_plan, *systems, "--exit-code", "--format", "json")
    same = json.loads(p.stdout) if p.returncode == 0 else {}
    check(p.returncode == 0 and same.get("differs") is False and
          all(x["status"] == "unchanged" for x in same.get("maps", [])), f"a plan against itself: exit {p.returncode}")
    p = diff(os.path.join(work, "missing.plan.json"), new_plan, *systems)
    check(p.returncode == 2 and "missing.plan.json" in p.stderr, f"an unreadable plan: exit {p.returncode}: {p.stderr}")
    fresh = os.path.join(work, "fresh", "erp.db")
    os.makedirs(os.path.dirname(fresh))
    p = diff(old_plan, new_plan, "--system", f"crm={crm}", "--system", f"erp={fresh}", "--format", "json")
    check(p.returncode == 0, f"diff on a target that does not exist yet: exit {p.returncode}: {p.stderr}")
    check(os.listdir(os.path.dirname(fresh)) == [],
          f"diff created files in the new target's directory: {os.listdir(os.path.dirname(fresh))}")


def peak_rss_kb(cmd, env):
    """Runs `cmd` (its output to /dev/null): (exit status, peak RSS in KiB, seconds)."""
    start = time.monotonic()
    with open(os.devnull, "w") as null:
        p = subprocess.Popen(cmd, stdout=null, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        err = p.stderr.read().decode()
        p.stderr.close()
    if p.returncode != 0:
        print(err)
    return p.returncode, usage.ru_maxrss, time.monotonic() - start


def memory(crmxc, crmx_run, work, sizes):
    with open(os.path.join(EXAMPLE, "acme.crmx")) as f:
        text = accounts_only(f.read())
    old_plan, new_plan = os.path.join(work, "mem-old.plan.json"), os.path.join(work, "mem-new.plan.json")
    newer = text
    for old, new in SPEC_CHANGES:
        newer = replace_once(newer, old, new)
    subprocess.run([crmxc, "build", write_spec(os.path.join(work, "spec-mem-old"), text), "-o", old_plan], check=True,
                   capture_output=True)
    subprocess.run([crmxc, "build", write_spec(os.path.join(work, "spec-mem-new"), newer), "-o", new_plan],
                   check=True, capture_output=True)
    base = read_accounts(os.path.join(EXAMPLE, "data", "crm"))
    figures = []
    for n in sizes:
        crm = os.path.join(work, f"mem-{n}", "crm")
        os.makedirs(crm)
        with open(os.path.join(crm, "Account.jsonl"), "w") as f:
            for i in range(n):
                a = dict(base[i % len(base)])
                a["Id"] = f"001GEN{i:012d}"
                f.write(json.dumps(a) + "\n")
        env = dict(os.environ, TMPDIR=os.path.join(work, "tmp"))
        rc, kb, secs = peak_rss_kb([crmx_run, "diff", old_plan, new_plan, "--system", f"crm={crm}",
                                    "--system", f"erp={os.path.join(work, f'mem-{n}', 'erp.db')}"], env)
        check(rc == 0, f"diff of {n} accounts: exit {rc}")
        figures.append((n, kb, secs))
        print(f"memory: {n:,} accounts: peak RSS {kb / 1024:.1f} MiB, {secs:.1f} s", flush=True)
    (n0, kb0, _), (n1, kb1, _) = figures[0], figures[-1]
    ratio = kb1 / kb0
    print(f"memory: peak RSS ratio {n1:,} / {n0:,} accounts: {ratio:.2f}", flush=True)
    check(ratio < 1.5, f"peak RSS grows with the records: {kb0} KiB at {n0}, {kb1} KiB at {n1} (ratio {ratio:.2f})")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        print(__doc__)
        return 2
    crmxc, crmx_run = args
    sizes = [20000, 200000]
    for a in sys.argv[1:]:
        if a.startswith("--sizes="):
            sizes = [int(x) for x in a.split("=", 1)[1].split(",")]
    work = tempfile.mkdtemp(prefix="crmx-diff-test-")
    try:
        if "--memory-only" not in sys.argv:
            functional(crmxc, crmx_run, os.path.join(work, "f"))
        os.makedirs(os.path.join(work, "m", "tmp"))
        memory(crmxc, crmx_run, os.path.join(work, "m"), sizes)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    finish("diff_command")


if __name__ == "__main__":
    main()
