#!/usr/bin/env python3
"""`crmx-run report data-quality` end to end (docs/operations.md, "Weekly data-quality report"), on
the north star's bundled data as local files (crm: a copy of the JSONL export, erp: a fresh SQLite
database).

    report_data_quality.py CRMXC CRMX_RUN

Builds a real state with four runs of the plan, one in each of the four weeks before NOW, changing
the source between runs: data-quality accounts fixed at the source (a name, a country), good
accounts broken (a blank name), an account given a country that does not exist (it moves to held),
a data-quality opportunity resolved by a person (`crmx-run queue resolve`) and later re-opened (its
record changed at the source, still without an account). Each changed record gets a newer
SystemModstamp, so the next run reads it (docs/operations.md, "Changed records").

crmx-run has no clock override: the runs happen now, one after the other, and the test dates each
one afterwards by rewriting `runs.started`/`finished` with sqlite3 (the report reads every time of a
run from there); the resolve's time is rewritten likewise (`items.acted` and `item_stays.left`).

The expected numbers come from the test's own bookkeeping: the records in data-quality after the
first run are computed from the raw files with the spec's rules (the sync's `when`, then the
requires), and every change the test makes moves a record in or out. They are compared with the
report's JSON (every week: open at start and end, entered, left and how, change, target; every
reason and field with its weekly counts; the verdict), the text report's verdict line, and the
queue as `crmx-run queue list` shows it. Then: `--map`; a period before the first run; an empty
state file; a missing or unreadable one (exit 2); a bad --since or --now (exit 2).

Exit 0 when every check holds, 1 otherwise (every failed check printed)."""
import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import NorthStar, check, run_scenario  # noqa: E402


NOW = datetime.datetime(2026, 12, 6, 12, 0, 0, tzinfo=datetime.timezone.utc)
WEEK = datetime.timedelta(days=7)
# When each run is dated: one in each of the 4 weeks ending at NOW (week i is (NOW - (4-i) w, ...]).
RUN_AT = [NOW - 4 * WEEK + datetime.timedelta(days=2, hours=1) + i * WEEK for i in range(4)]
# The resolve, between runs 2 and 3, in week 3 before run 3.
RESOLVED_AT = RUN_AT[2] - datetime.timedelta(days=1)

# The fields each require of the spec reads (acme.crmx), by its reason.
FIELDS = {"missing Name": ["Name"], "no country": ["BillingCountry", "ShippingCountry"], "no account": ["AccountId"],
          "non-positive amount": ["Amount"]}


def text(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Source:
    """The CRM export as JSONL files the test edits; each edit gets a newer SystemModstamp."""

    def __init__(self, path):
        self.path = path
        self.stamp = datetime.datetime(2025, 6, 1, tzinfo=datetime.timezone.utc)  # after all the data's stamps

    def lines(self, obj):
        with open(os.path.join(self.path, obj + ".jsonl"), encoding="utf-8") as f:
            return f.read().split("\n")

    def records(self, obj):
        out = []
        for line in self.lines(obj):
            try:
                out.append(json.loads(line))
            except ValueError:  # the export's malformed line (137): not a record
                pass
        return out

    def edit(self, obj, rid, **changes):
        lines = self.lines(obj)
        for i, line in enumerate(lines):
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r.get("Id") == rid:
                r.update(changes)
                self.stamp += datetime.timedelta(minutes=1)
                stamp = self.stamp.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
                r["SystemModstamp"] = r["LastModifiedDate"] = stamp
                lines[i] = json.dumps(r, separators=(",", ":"))
                with open(os.path.join(self.path, obj + ".jsonl"), "w", encoding="utf-8") as f:
                    f.write("\n".join(lines))
                return
        raise AssertionError(f"no {obj} {rid}")


def account_reasons(r):
    """The requires of account_to_customer that fail, in order (acme.crmx)."""
    out = []
    if r.get("Name") is None or r["Name"].strip() == "":
        out.append("missing Name")
    if r.get("BillingCountry") is None and r.get("ShippingCountry") is None:
        out.append("no country")
    return out


def order_reasons(r):
    """won_to_order: its sync's `when` (Closed Won, Amount > 0) first, then its requires."""
    amount = r.get("Amount")
    if r.get("StageName") != "Closed Won" or amount is None or not amount > 0:
        return None  # skipped by `when`: never in data-quality
    out = []
    if r.get("AccountId") is None:
        out.append("no account")
    return out


class Book:
    """What the test knows: the records in data-quality, and what happened in each week."""

    def __init__(self):
        self.open = {}  # (map, id) -> reasons
        self.weeks = [dict(entered=0, fixed=0, person=0, moved=0, open_start=0, open_end=0, runs=0,
                           reasons={}, fields={}) for _ in range(4)]

    def enter(self, week, key, reasons):
        self.open[key] = reasons
        self.weeks[week]["entered"] += 1

    def leave(self, week, key, how):
        del self.open[key]
        self.weeks[week][how] += 1

    def close_week(self, week):
        w = self.weeks[week]
        w["open_end"] = len(self.open)
        if week + 1 < 4:
            self.weeks[week + 1]["open_start"] = len(self.open)
        for reasons in self.open.values():
            for r in reasons:
                w["reasons"][r] = w["reasons"].get(r, 0) + 1
                for f in FIELDS[r]:
                    w["fields"][f] = w["fields"].get(f, 0) + 1


class Env(NorthStar):
    def __init__(self, crmxc, crmx_run):
        super().__init__(crmxc, "crmx-report-test-")
        self.crmx_run = crmx_run

    def run(self, *args, check_rc=None):
        p = subprocess.run([self.crmx_run, *args], capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, CRMX_ACTOR="tester"))
        if check_rc is not None and p.returncode != check_rc:
            check(False, f"crmx-run {' '.join(args)}: exit {p.returncode}, expected {check_rc}\n{p.stdout}\n{p.stderr}")
        return p

    def sync(self, at):
        """A run of the plan, then dated at `at` (crmx-run has no clock to set: the row is rewritten)."""
        self.run("run", self.plan, *self.systems, "--state", self.state, "--progress", "never", check_rc=0)
        db = sqlite3.connect(self.state)
        with db:
            db.execute("UPDATE runs SET started = ?, finished = ? WHERE run = (SELECT max(run) FROM runs)",
                       (text(at), text(at + datetime.timedelta(seconds=30))))
        db.close()

    def report(self, *args, state=None, check_rc=0):
        return self.run("report", "data-quality", "--state", state or self.state, "--now", text(NOW), *args,
                        check_rc=check_rc)

    def items(self):
        p = self.run("queue", "list", "--state", self.state, "--queue", "data_quality", "--format", "json", check_rc=0)
        return json.loads(p.stdout) if p.returncode == 0 else []


def scenario(e):
    src = Source(e.crm)
    book = Book()
    accounts = src.records("Account")
    orders = src.records("Opportunity")
    dq_accounts = {r["Id"]: account_reasons(r) for r in accounts if account_reasons(r)}
    dq_orders = {r["Id"]: order_reasons(r) for r in orders if order_reasons(r)}
    check(len(dq_accounts) == 13 and len(dq_orders) == 4,
          f"the raw files have 13 + 4 data-quality records by the spec's rules: {len(dq_accounts)} + {len(dq_orders)}")
    missing_name = sorted(k for k, v in dq_accounts.items() if v == ["missing Name"])
    no_country = sorted(k for k, v in dq_accounts.items() if v == ["no country"])
    good = sorted(r["Id"] for r in accounts if not account_reasons(r) and r.get("BillingCountry"))

    # ------------------------------------------------------------------ week 1: the first run
    for k, v in dq_accounts.items():
        book.enter(0, ("account_to_customer", k), v)
    for k, v in dq_orders.items():
        book.enter(0, ("won_to_order", k), v)
    e.sync(RUN_AT[0])
    book.weeks[0]["runs"] = 1
    book.close_week(0)
    listed = {(it["map"], it["record"]) for it in e.items()}
    check(listed == set(book.open), f"the first run queued what the raw files say: {sorted(listed ^ set(book.open))}")

    # ------------------------------------------------------------------ week 2: three fixed at the source
    # A fix gives the record a name and a country with a subsidiary (Germany: Acme GmbH), so that
    # it is written rather than held (lib/common.crmx).
    for k in missing_name[:2]:
        src.edit("Account", k, Name=f"Fixed {k} GmbH", BillingCountry="Germany")
        book.leave(1, ("account_to_customer", k), "fixed")
    src.edit("Account", no_country[0], BillingCountry="Germany")
    book.leave(1, ("account_to_customer", no_country[0]), "fixed")
    e.sync(RUN_AT[1])
    book.weeks[1]["runs"] = 1
    book.close_week(1)

    # ------------------------------------------------------------------ week 3: two broken, one fixed, one resolved
    for k in good[:2]:
        src.edit("Account", k, Name="   ")
        book.enter(2, ("account_to_customer", k), ["missing Name"])
    src.edit("Account", missing_name[2], Name="Fixed Three Ltd", BillingCountry="Germany")
    book.leave(2, ("account_to_customer", missing_name[2]), "fixed")
    order = sorted(dq_orders)[0]
    item = next(it for it in e.items() if it["record"] == order)
    e.run("queue", "resolve", str(item["id"]), "--note", "account set by hand", "--state", e.state, check_rc=0)
    db = sqlite3.connect(e.state)
    with db:
        db.execute("UPDATE items SET acted = ? WHERE id = ?", (text(RESOLVED_AT), item["id"]))
        db.execute("UPDATE item_stays SET left = ? WHERE item = ? AND how = 'resolved'", (text(RESOLVED_AT), item["id"]))
    db.close()
    book.leave(2, ("won_to_order", order), "person")
    e.sync(RUN_AT[2])
    book.weeks[2]["runs"] = 1
    book.close_week(2)

    # ------------------------------------------------------------------ week 4: four fixed, one moved, one back
    for k in missing_name[3:5] + no_country[1:3]:
        if k in missing_name:
            src.edit("Account", k, Name=f"Fixed {k} Inc.", BillingCountry="Germany")
        else:
            src.edit("Account", k, ShippingCountry="Germany")
        book.leave(3, ("account_to_customer", k), "fixed")
    src.edit("Account", no_country[3], BillingCountry="Atlantis")  # not a country: held ("Unknown country")
    book.leave(3, ("account_to_customer", no_country[3]), "moved")
    src.edit("Opportunity", order, Description="still no account")  # changed, still failing: back
    book.enter(3, ("won_to_order", order), ["no account"])
    e.sync(RUN_AT[3])
    book.weeks[3]["runs"] = 1
    book.close_week(3)
    listed = {(it["map"], it["record"]) for it in e.items()}
    check(listed == set(book.open), f"the queue after four runs is what the test changed: {sorted(listed ^ set(book.open))}")

    # ------------------------------------------------------------------ the report, JSON
    p = e.report("--format", "json", "--top", "0")
    r = json.loads(p.stdout) if p.returncode == 0 else {}
    weeks = r.get("weeks", [])
    check(len(weeks) == 4 and weeks[-1]["end"] == text(NOW) and weeks[0]["start"] == text(NOW - 4 * WEEK),
          f"four weeks ending at --now: {[(w['start'], w['end']) for w in weeks]}")
    met = judged = 0
    for i, (w, want) in enumerate(zip(weeks, book.weeks)):
        got = {"open_start": w["open_start"], "open_end": w["open_end"], "entered": w["entered"], "runs": w["runs"],
               "fixed": w["left_fixed"], "person": w["left_replayed"] + w["left_resolved"] + w["left_discarded"],
               "moved": w["left_moved"], "left": w["left"]}
        exp = {k: want[k] for k in ("open_start", "open_end", "entered", "runs", "fixed", "person", "moved")}
        exp["left"] = want["fixed"] + want["person"] + want["moved"]
        check(got == exp, f"week {i + 1}: report {got}, expected {exp}")
        if i == 0:
            verdict = "baseline"  # the first run happened in it
        else:
            verdict = "met" if want["open_end"] <= 0.8 * want["open_start"] else "missed"
            judged += 1
            met += verdict == "met"
        check(w["target"] == verdict, f"week {i + 1}: target {w['target']}, expected {verdict}")
        if want["open_start"]:
            pct = (want["open_end"] - want["open_start"]) * 100 / want["open_start"]
            check(w["change_pct"] is not None and abs(w["change_pct"] - pct) < 1e-9,
                  f"week {i + 1}: change {w['change_pct']}, expected {pct}")
        else:
            check(w["change_pct"] is None, f"week {i + 1}: no change from an empty queue")
    check(r.get("verdict") == {"judged": judged, "met": met, "all_met": met == judged},
          f"verdict {r.get('verdict')}, expected {met} of {judged}")
    for kind in ("reasons", "fields"):
        got = {t["name"]: t["weekly"] for t in r.get(kind, [])}
        names = {n for w in book.weeks for n in w[kind]}
        exp = {n: [w[kind].get(n, 0) for w in book.weeks] for n in names}
        check(got == exp, f"{kind} by week: report {got}, expected {exp}")
    maps = {t["name"]: t["open"] for t in r.get("maps", [])}
    exp_maps = {}
    for m, _ in book.open:
        exp_maps[m] = exp_maps.get(m, 0) + 1
    check(maps == exp_maps, f"maps: {maps}, expected {exp_maps}")
    check(weeks and weeks[-1]["open_end"] == len(e.items()), "the last week's end is the queue `queue list` shows")

    # ------------------------------------------------------------------ the report, text
    p = e.report()
    want = (f"verdict: target met in {met} of {judged} weeks" if met < judged else "verdict: target met every week")
    check(want in p.stdout, f"the text says `{want}`:\n{p.stdout}")
    check("missing Name" in p.stdout and "BillingCountry" in p.stdout and "won_to_order" in p.stdout,
          f"the text lists reasons, fields and maps:\n{p.stdout}")
    print(p.stdout)

    # ------------------------------------------------------------------ --map, other periods, other files
    p = e.report("--format", "json", "--map", "won_to_order")
    r = json.loads(p.stdout) if p.returncode == 0 else {}
    want = [w["reasons"].get("no account", 0) for w in book.weeks]  # the opportunities' one reason here
    check([w["open_end"] for w in r.get("weeks", [])] == want and {t["name"] for t in r["maps"]} == {"won_to_order"},
          f"--map won_to_order: {[w['open_end'] for w in r.get('weeks', [])]}, expected {want}")
    p = e.report("--since", "10d", "--format", "json")
    r = json.loads(p.stdout) if p.returncode == 0 else {}
    check(len(r.get("weeks", [])) == 2, "--since 10d: two whole weeks")
    p = e.run("report", "data-quality", "--state", e.state, "--now", text(RUN_AT[0] - datetime.timedelta(days=1)),
              check_rc=0)
    check("no run started in the period" in p.stdout and "no week judged" in p.stdout,
          f"a period before the first run says so:\n{p.stdout}")
    empty = os.path.join(e.work, "empty.db")
    open(empty, "w").close()
    p = e.report(state=empty, check_rc=0)
    check("no runs recorded" in p.stdout, f"an empty state file: nothing to report, exit 0:\n{p.stdout}{p.stderr}")
    bad = os.path.join(e.work, "bad.db")
    with open(bad, "w") as f:
        f.write("this is not a database\n" * 100)
    p = e.report(state=bad, check_rc=2)
    check(p.stderr.startswith("error: ") and p.stdout == "", f"an unreadable state: error, exit 2: {p.stderr}")
    p = e.report(state=os.path.join(e.work, "missing.db"), check_rc=2)
    check("does not exist" in p.stderr, f"a missing state: {p.stderr}")
    for since in ("4x", "0w", "4", "-2w"):
        p = e.report("--since", since, check_rc=2)
        check("4w" in p.stderr and "30d" in p.stderr, f"--since {since}: the accepted forms named: {p.stderr}")
    p = e.report("--top", "-1", check_rc=2)
    check("--top" in p.stderr, f"a bad --top: {p.stderr}")
    p = e.run("report", "data-quality", "--state", e.state, "--now", "yesterday", check_rc=2)
    check("RFC 3339" in p.stderr, f"a bad --now: {p.stderr}")


def main():
    crmxc, crmx_run = sys.argv[1:3]
    e = Env(crmxc, crmx_run)
    run_scenario("report_data_quality", lambda: scenario(e), lambda: shutil.rmtree(e.work, ignore_errors=True))


if __name__ == "__main__":
    main()
