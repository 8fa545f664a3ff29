#!/usr/bin/env python3
"""`crmx-run queue` end to end (docs/operations.md, "Working the queues"), on the north star's
bundled data as local files (crm: a copy of the JSONL export, erp: a fresh SQLite database).

    queue_command.py CRMXC CRMX_RUN

Checks, in order: `list` shows the 18 held and 13 data-quality accounts of the first run (text
and JSON); after a second run the held records are still listed; `show` prints an item's
reasons and fields; `resolve`/`discard` record who, when and the note, and a second resolve is
refused (exit 2) unless --force; discarding a retrying item makes its delivery dead with its
payload kept; a queue command while a run holds the state's lock says so (exit 1) or waits
(--wait); `replay --dry-run` of a data-quality account whose source line was fixed prints the
fields it would write and changes neither the target, the source nor the state file (hashes
before and after), and leaves no temporary copy; `replay` then writes it and takes it out of
the queue (`show` of its id gives its history), a record still broken goes back to its queue, a
record gone from the source is not evaluated and its item stays; `replay --all-matching`
selects what `list` shows; usage errors exit 2.

Exit 0 when every check holds, 1 otherwise (every failed check printed)."""
import datetime
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import NorthStar, check, run_scenario  # noqa: E402


class Env(NorthStar):
    def __init__(self, crmxc, crmx_run):
        super().__init__(crmxc, "crmx-queue-test-")
        self.crmxc, self.crmx_run = crmxc, crmx_run
        self.tmp = os.path.join(self.work, "tmp")  # TMPDIR of crmx-run: where a dry run puts its copy
        os.makedirs(self.tmp)

    def run(self, *args, actor="tester", check_rc=None, timeout=300):
        env = dict(os.environ, CRMX_ACTOR=actor, TMPDIR=self.tmp)
        p = subprocess.run([self.crmx_run, *args], capture_output=True, text=True, env=env, timeout=timeout)
        if check_rc is not None and p.returncode != check_rc:
            check(False, f"crmx-run {' '.join(args)}: exit {p.returncode}, expected {check_rc}\n{p.stdout}\n{p.stderr}")
        return p

    def sync(self):
        return self.run("run", self.plan, *self.systems, "--state", self.state, "--progress", "never", check_rc=0)

    def queue(self, *args, **kw):
        return self.run("queue", *args, "--state", self.state, **kw)

    def items(self, *args):
        p = self.queue("list", "--format", "json", *args, check_rc=0)
        return loads(p.stdout) or [] if p.returncode == 0 else []


def loads(text):
    """The JSON of a command's output; {} (a failed check later) when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        check(False, f"not JSON: {text!r}")
        return {}


def digest(paths):
    """sha256 of every file under `paths` (directories walked), by path."""
    out = {}
    for top in paths:
        files = [top] if os.path.isfile(top) else [os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs]
        for f in sorted(files):
            with open(f, "rb") as fh:
                out[f] = hashlib.sha256(fh.read()).hexdigest()
    return out


def by_queue(items, m="account_to_customer"):
    out = {}
    for it in items:
        if it["map"] == m:
            out.setdefault(it["queue"], set()).add(it["record"])
    return out


def recent(text):
    t = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    return abs((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds()) < 600


def main():
    crmxc, crmx_run = sys.argv[1:3]
    e = Env(crmxc, crmx_run)
    run_scenario("queue_command", lambda: scenario(e), lambda: shutil.rmtree(e.work, ignore_errors=True))


def scenario(e):
    # ------------------------------------------------------------------ list after a run
    e.sync()
    first = e.items()
    q1 = by_queue(first)
    check(len(q1.get("held", ())) == 18, f"18 held accounts listed, got {len(q1.get('held', ()))}")
    check(len(q1.get("data_quality", ())) == 13, f"13 data-quality accounts listed, got {len(q1.get('data_quality', ()))}")
    check(all(it["status"] == "open" for it in first), "list shows open items by default")
    check(not any(it["queue"] == "flag" for it in first), "list leaves out flags unless --queue flag")
    check(all(it["attempts"] is None for it in first), "no attempts without a delivery")
    text = e.queue("list", "--queue", "held", "--map", "account_to_customer", check_rc=0).stdout
    lines = text.splitlines()
    check(lines and lines[0].split()[:4] == ["id", "map", "record", "queue"], f"text list has a header:\n{text}")
    rows = [r for r in (ln.split() for ln in lines[1:]) if len(r) >= 6 and r[1] == "account_to_customer"]
    check(len(rows) == 18 and all(r[3] == "held" for r in rows) and "18 items open" in text,
          f"text list of 18 held:\n{text}")
    held = e.items("--queue", "held", "--map", "account_to_customer")
    check(len(held) == 18 and all(it["queue"] == "held" for it in held), "--queue held --map filters")
    pending = e.items("--reason", "pending REVIEW", "--map", "account_to_customer")
    check(len(pending) == 12 and all("Pending Review" in it["reasons"] for it in pending),
          f"--reason matches any case: 12 Pending Review, got {len(pending)}")
    check(len(e.items("--since", "1h")) == len(first), "--since 1h keeps this run's items")
    check(e.items("--since", "2999-01-01") == [], "--since the future lists nothing")
    check(e.queue("list", "--since", "yesterday-ish").returncode == 2, "a malformed --since is a usage error")
    check(e.queue("list", "--queue", "nonsense").returncode == 2, "an unknown --queue is a usage error")
    flags = e.items("--queue", "flag")
    check(len(flags) > 0 and all(it["queue"] == "flag" for it in flags), "--queue flag lists the flags")

    # ------------------------------------------------------------------ a second run
    e.sync()
    second = e.items()
    q2 = by_queue(second)
    check(q2.get("held") == q1.get("held"), "a record still held is still listed after the next run")
    check(q2.get("data_quality") == q1.get("data_quality"), "data-quality records still listed after the next run")

    # ------------------------------------------------------------------ show
    dq = [it for it in second if it["map"] == "account_to_customer" and it["queue"] == "data_quality"]
    no_country = next(it for it in dq if it["reasons"] == ["no country"])
    shown = e.queue("show", str(no_country["id"]), check_rc=0).stdout
    check("no country" in shown and "BillingCountry, ShippingCountry" in shown and no_country["record"] in shown,
          f"show prints the reasons and fields:\n{shown}")
    sj = loads(e.queue("show", str(no_country["id"]), "--format", "json", check_rc=0).stdout)
    check(sj["reasons"] == ["no country"] and sj["fields"] == ["BillingCountry", "ShippingCountry"]
          and sj["delivery"] is None and sj["actions"] == [], f"show --format json: {sj}")
    check(e.queue("show", "987654").returncode == 2, "show of an unknown id exits 2")

    # ------------------------------------------------------------------ resolve and discard
    a, b = held[0], held[1]
    p = e.queue("resolve", str(a["id"]), "--note", "subsidiary set in Salesforce", actor="alice", check_rc=0)
    check("resolved by alice" in p.stdout, f"resolve says who: {p.stdout}")
    ra = loads(e.queue("show", str(a["id"]), "--format", "json", check_rc=0).stdout)
    check(ra["status"] == "resolved" and ra["actor"] == "alice" and ra["note"] == "subsidiary set in Salesforce"
          and recent(ra["acted"]), f"resolve records who/when/note: {ra}")
    check([x["action"] for x in ra["actions"]] == ["resolve"] and ra["actions"][0]["actor"] == "alice",
          f"resolve appends an action: {ra['actions']}")
    again = e.queue("resolve", str(a["id"]), "--note", "twice", actor="bob")
    check(again.returncode == 2 and "already resolved by alice" in again.stderr,
          f"a second resolve is refused: exit {again.returncode} {again.stderr}")
    still = loads(e.queue("show", str(a["id"]), "--format", "json").stdout)
    check(still["actor"] == "alice" and len(still["actions"]) == 1, "a refused resolve changes nothing")
    p = e.queue("discard", str(b["id"]), "--note", "duplicate of another account", actor="bob", check_rc=0)
    rb = loads(e.queue("show", str(b["id"]), "--format", "json").stdout)
    check(rb["status"] == "discarded" and rb["actor"] == "bob" and rb["note"] == "duplicate of another account",
          f"discard records who/note: {rb}")
    check(e.queue("discard", str(b["id"]), "--note", "x").returncode == 2, "a second discard is refused")
    check(e.queue("discard", str(b["id"]), "--note", "on purpose", "--force", actor="carol").returncode == 0,
          "--force acts again")
    check(e.queue("resolve", "987654", "--note", "x").returncode == 2, "resolve of an unknown id exits 2")
    check(e.queue("resolve", str(a["id"])).returncode == 2, "resolve without --note is a usage error")
    open_ids = {it["id"] for it in e.items()}
    check(a["id"] not in open_ids and b["id"] not in open_ids, "resolved and discarded items leave the open list")
    check({it["id"] for it in e.items("--status", "resolved")} == {a["id"]}, "--status resolved lists it")
    check(b["id"] in {it["id"] for it in e.items("--status", "all")}, "--status all lists every item")

    # A retrying item (a failed delivery, crafted as an API write would leave it): discarding it
    # makes its delivery dead, payload kept.
    db = sqlite3.connect(e.state)
    payload = '{"values":["X-1","Crafted Co",null,"US",null,"Acme US Inc","Net 30"],"flags":[]}'
    cur = db.execute(
        "INSERT INTO deliveries (map, source_key, source_id, idem_key, hash, state, attempts, due, payload, run, decided,"
        " updated, last_status, last_code, last_message, last_fields, last_request) VALUES ('account_to_customer',"
        " 'X-1', 'X-1', 'k', 'h', 'failed', 2, 4102444800000, ?, 2, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',"
        " 503, 'SERVER_UNAVAILABLE', 'try later', '[\"companyName\"]', 'Customer {\"companyName\":\"Crafted Co\"}')",
        (payload,))
    did = cur.lastrowid
    for n, code in ((1, "timeout"), (2, "SERVER_UNAVAILABLE")):
        db.execute("INSERT INTO attempts (delivery, attempt, run, at, ok, http_status, code, message, retriable, wait_ms)"
                   " VALUES (?, ?, 2, '2026-01-01T00:00:00Z', 0, 503, ?, 'try later', 1, 2000)", (did, n, code))
    cur = db.execute("INSERT INTO items (map, record_id, queue, source_id, reasons, fields, first_run, last_run)"
                     " VALUES ('account_to_customer', 'X-1', 'retrying', 'X-1',"
                     " '[\"write failed: 503\",\"send 3 of 6 due at 2100-01-01T00:00:00Z\"]', NULL, 2, 2)")
    rid = cur.lastrowid
    db.commit()
    db.close()
    lr = [it for it in e.items("--queue", "retrying")]
    check(len(lr) == 1 and lr[0]["attempts"] == 2, f"list shows a retrying item's attempts: {lr}")
    shown = e.queue("show", str(rid), check_rc=0).stdout
    check("delivery" in shown and "failed" in shown and "SERVER_UNAVAILABLE" in shown and "timeout" in shown
          and "companyName" in shown, f"show prints the delivery, its last failure and each attempt:\n{shown}")
    p = e.queue("discard", str(rid), "--note", "customer closed", check_rc=0)
    check("now dead" in p.stdout and "payload kept" in p.stdout, f"discard says the delivery is dead: {p.stdout}")
    db = sqlite3.connect(e.state)
    st, pl = db.execute("SELECT state, payload FROM deliveries WHERE id = ?", (did,)).fetchone()
    db.close()
    check(st == "dead" and pl == payload, f"the discarded item's delivery is dead, payload kept: {st} {pl}")

    # ------------------------------------------------------------------ the state's lock
    lock_path = e.state + ".lock"
    with open(lock_path, "r+") as lf:
        fcntl.flock(lf, fcntl.LOCK_EX)
        lf.seek(0)
        lf.truncate()
        lf.write(f"pid {os.getpid()}, started 2026-01-01T00:00:00Z\n")
        lf.flush()
        p = e.queue("list")
        check(p.returncode == 1 and "in use by another run" in p.stderr and f"pid {os.getpid()}" in p.stderr,
              f"a queue command during a run names its holder: exit {p.returncode} {p.stderr}")
        threading.Timer(1.0, lambda: fcntl.flock(lf, fcntl.LOCK_UN)).start()
        start = time.time()
        p = e.queue("list", "--wait")
        check(p.returncode == 0 and "waiting for the run" in p.stderr and time.time() - start >= 0.9,
              f"--wait waits for the run: exit {p.returncode} {p.stderr}")

    # ------------------------------------------------------------------ replay --dry-run
    missing = next(it for it in dq if it["reasons"] == ["missing Name"])
    path = os.path.join(e.crm, "Account.jsonl")
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    rec = json.loads(lines[missing["line"] - 1])
    check(rec["Id"] == missing["record"], "the item's line is the record's")
    rec["Name"] = "Fixed Name GmbH"
    lines[missing["line"] - 1] = json.dumps(rec, separators=(",", ":"))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    watched = [e.erp, e.state, e.crm]
    before = digest(watched)
    p = e.queue("replay", str(missing["id"]), e.plan, *e.systems, "--dry-run", check_rc=0)
    out = p.stdout
    check("would be written to erp.Customer" in out and 'companyName = "Fixed Name GmbH"' in out
          and f'externalId = "{missing["record"]}"' in out, f"dry run prints the fields it would write:\n{out}")
    pj = e.queue("replay", str(missing["id"]), e.plan, *e.systems, "--dry-run", "--format", "json", check_rc=0)
    r = loads(pj.stdout)
    rec0 = r["records"][0] if r.get("records") else {}
    check(r.get("dry_run") is True and rec0.get("outcome") == "written" and rec0.get("target") == "erp.Customer"
          and rec0.get("fields", {}).get("companyName") == "Fixed Name GmbH", f"dry run JSON: {r}")
    check(digest(watched) == before, "a dry run changes neither the target, the source nor the state file")
    check(os.listdir(e.tmp) == [], f"a dry run leaves no copy behind: {os.listdir(e.tmp)}")
    db = sqlite3.connect(e.erp)
    n = db.execute("SELECT count(*) FROM Customer WHERE externalId = ?", (missing["record"],)).fetchone()[0]
    db.close()
    check(n == 0, "the dry run wrote nothing into the ERP")
    # --all-matching: what `list` shows, here the held accounts (still held: back in held).
    still_held = e.items("--queue", "held", "--map", "account_to_customer")
    pa = e.queue("replay", "--all-matching", "--queue", "held", "--map", "account_to_customer", e.plan, *e.systems,
                 "--dry-run", "--format", "json", check_rc=0)
    ra = loads(pa.stdout)
    check(sorted(x["item"] for x in ra["records"]) == sorted(it["id"] for it in still_held)
          and all(x["outcome"] == "queued" and x["queue"] == "held" for x in ra["records"]),
          f"--all-matching replays what list shows, each back in held: {ra['records'][:3]}")
    check(digest(watched) == before, "an --all-matching dry run changes nothing")

    # ------------------------------------------------------------------ replay
    p = e.queue("replay", str(missing["id"]), e.plan, *e.systems, actor="dana", check_rc=0)
    check("written to erp.Customer" in p.stdout, f"replay writes the fixed record:\n{p.stdout}")
    db = sqlite3.connect(e.erp)
    row = db.execute("SELECT companyName FROM Customer WHERE externalId = ?", (missing["record"],)).fetchone()
    db.close()
    check(row == ("Fixed Name GmbH",), f"the record is in the ERP: {row}")
    check(missing["id"] not in {it["id"] for it in e.items("--status", "all")}, "the written record left the queue")
    check(len(by_queue(e.items()).get("data_quality", ())) == 12, "12 data-quality accounts left")
    gone = loads(e.queue("show", str(missing["id"]), "--format", "json", check_rc=0).stdout)
    check(gone.get("status") == "gone" and [x["action"] for x in gone["actions"]] == ["replay"]
          and gone["actions"][0]["actor"] == "dana" and "written" in gone["actions"][0]["note"],
          f"show of a replayed item gives its history: {gone}")
    # Still broken: back in its queue, with an action.
    other = next(it for it in dq if it["reasons"] == ["missing Name"] and it["id"] != missing["id"])
    p = e.queue("replay", str(other["id"]), e.plan, *e.systems, "--format", "json", check_rc=0)
    ro = (loads(p.stdout).get("records") or [{}])[0]
    check(ro["outcome"] == "queued" and ro["queue"] == "data_quality" and ro["reasons"] == ["missing Name"],
          f"a record still broken goes back to its queue: {ro}")
    check(e.queue("replay", str(a["id"]), e.plan, *e.systems).returncode == 2, "replay of a resolved item needs --force")

    # A record the source no longer has: not evaluated, its item stays.
    with open(path, encoding="utf-8") as f:
        kept = [ln for ln in f.read().split("\n") if no_country["record"] not in ln]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(kept))
    p = e.queue("replay", str(no_country["id"]), e.plan, *e.systems, "--format", "json", check_rc=0)
    rn = (loads(p.stdout).get("records") or [{}])[0]
    check(rn.get("outcome") == "not_read", f"a record gone from the source is not evaluated: {rn}")
    check(no_country["id"] in {it["id"] for it in e.items()}, "its item stays listed")

    # ------------------------------------------------------------------ usage
    check(e.queue("replay", e.plan, *e.systems).returncode == 2, "replay without ids nor --all-matching exits 2")
    check(e.queue("replay", "abc", e.plan, *e.systems).returncode == 2, "replay of a non-numeric id exits 2")
    check(e.queue("replay", "987654", e.plan, *e.systems).returncode == 2, "replay of an unknown id exits 2")
    check(e.run("queue", "list", "--state", os.path.join(e.work, "none.db")).returncode == 1,
          "a missing state file exits 1")
    check(not os.path.exists(os.path.join(e.work, "none.db")), "a queue command creates no state file")
    check(e.run("queue", "list").returncode == 2, "list without --state is a usage error")


if __name__ == "__main__":
    main()
