#!/usr/bin/env python3
"""`crmx-run assess` end to end on the north star's bundled data (docs/assess.md), everything but
the measuring (assess_measure.py checks that): each figure is recomputed here from the raw files,
from a real run, or from the seed's formulas, and compared with the JSON report.

    assess_full.py CRMXC CRMX_RUN

- The dry run against a real run: `crmx-run run` on a copy of the same data into a fresh ERP
  database must write, queue and skip exactly what the dry run said for each map reading the CRM
  (order_status_back reads the ERP, empty before the run, and is left out); flagged records are
  counted from the run's state (its flag items).
- Closed-won a month: the opportunities won_to_order's `when` passes (Closed Won, Amount > 0, not
  deleted) by the month of their CloseDate, the last 12 months of the data.
- The change rate: new (CreatedDate) and updated (the map's cursor) records in the 30 days up to
  the latest stamp; the sync volume from it with the rule docs/assess.md gives, and the budget
  use against the spec's `budget api_calls 100000 per 24h`.
- The rubric, readiness and ROI with docs/assess-answers.example.yaml, from the seed's formulas;
  with the automation rate left to the dry run; without an answers file (no total, no readiness,
  no ROI); with a bad answers file (exit 2, the problem named).
- `--format html` and `-o FILE` (assess_html_north_star reads the page back in Chromium).
Exit 0 when every check passes, else 1 (every failed check printed)."""
import datetime
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish, read_jsonl  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "acme-salesforce-netsuite")
ANSWERS = os.path.join(ROOT, "docs", "assess-answers.example.yaml")
NOW = "2026-12-01T00:00:00Z"


def close(a, b, tol=0.011):
    return a is not None and b is not None and abs(a - b) <= tol


def day(text):
    return datetime.date.fromisoformat(text[:10]) if text else None


def completeness_points(p):
    return 30 if p > 80 else 20 if p >= 60 else 10


def duplicate_points(p):
    return 25 if p < 5 else 15 if p <= 10 else 5


def format_points(p):
    return 20 if p > 85 else 12 if p >= 70 else 5


def change_rate(records, created, modified, window=30):
    """(new a day, updated a day, window end) of records by their stamps."""
    days = [day(r.get(f)) for r in records for f in (created, modified) if r.get(f)]
    end = max(days)
    start = end - datetime.timedelta(days=window - 1)
    new = upd = 0
    for r in records:
        c, m = day(r.get(created)), day(r.get(modified))
        if c and c >= start:
            new += 1
        elif m and m >= start:
            upd += 1
    return new / window, upd / window, end


def calls(runs, new, upd, share, read_batch, write_batch, relations):
    """docs/assess.md, "Sync volume": (reads, writes) a day of one sync."""
    changes = new + upd
    writes = changes * share
    per_run = changes / runs
    pages = runs * max(1, math.ceil(per_run / read_batch))
    related = changes if per_run < 1 else runs * math.ceil(per_run / read_batch)
    w = writes / runs
    return pages + relations * related, (writes if w < 1 else runs * math.ceil(w / write_batch))


def assess(crmx_run, plan, systems, *extra):
    p = subprocess.run([crmx_run, "assess", plan, *systems, "--now", NOW, *extra], capture_output=True, text=True)
    return p


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    crmxc, crmx_run = sys.argv[1:]
    work = tempfile.mkdtemp(prefix="crmx-assess-full-")
    try:
        plan = os.path.join(work, "acme.plan.json")
        subprocess.run([crmxc, "build", os.path.join(EXAMPLE, "acme.crmx"), "-o", plan], check=True, capture_output=True)
        plan_json = json.load(open(plan))["plan"]
        maps = {m["name"]: m for m in plan_json["maps"]}
        crm = os.path.join(work, "crm")
        shutil.copytree(os.path.join(EXAMPLE, "data", "crm"), crm)
        systems = ["--system", f"crm={crm}", "--system", f"erp={os.path.join(work, 'erp.db')}"]

        p = assess(crmx_run, plan, systems, "--format", "json", "--answers", ANSWERS)
        if not check(p.returncode == 0, f"assess --answers exits 0 (got {p.returncode}: {p.stderr})"):
            return
        out = json.loads(p.stdout)
        check(out["generated_at"] == NOW, f"generated_at {out['generated_at']} is --now")
        check(not os.path.exists(os.path.join(work, "erp.db")), "assess created no ERP database")

        # ---- the dry run against a real run
        run = os.path.join(work, "run")
        shutil.copytree(os.path.join(EXAMPLE, "data", "crm"), os.path.join(run, "crm"))
        state = os.path.join(run, "state.db")
        r = subprocess.run([crmx_run, "run", plan, "--system", f"crm={os.path.join(run, 'crm')}", "--system",
                            f"erp={os.path.join(run, 'erp.db')}", "--state", state, "--queues",
                            os.path.join(run, "queues"), "--report", "json"], capture_output=True, text=True)
        check(r.returncode in (0, 1), f"the real run ends with a report (exit {r.returncode}: {r.stderr[-300:]})")
        report = json.loads(r.stdout)["maps"]
        db = sqlite3.connect(state)
        flagged = dict(db.execute("SELECT map, count(DISTINCT record_id) FROM queue_items WHERE queue = 'flag' GROUP BY map"))
        db.close()
        dry = {m["map"]: m for m in out["dry_run"]["maps"]}
        for name in ("account_to_customer", "won_to_order"):
            d, real = dry[name], report[name]
            check(d["records"] == real["input_lines"], f"{name}: dry run records {d['records']} == run's {real['input_lines']}")
            for k in ("written", "data_quality", "held", "waiting", "error"):
                n = real[k]["count"] if isinstance(real[k], dict) else real[k]
                check(d[k] == n, f"{name}: dry run {k} {d[k]} == run's {n}")
            check(d["skipped"] == real["skipped"]["count"], f"{name}: skipped {d['skipped']} == {real['skipped']['count']}")
            check(d["flagged"] == flagged.get(name, 0), f"{name}: flagged {d['flagged']} == state's {flagged.get(name, 0)}")
        total = sum(m["records"] for m in out["dry_run"]["maps"])
        check(out["dry_run"]["records"] == total, "dry run records add up")
        dq = sum(m["data_quality"] for m in out["dry_run"]["maps"])
        check(close(out["dry_run"]["data_quality_percent"], round(100 * dq / total, 2)), "data-quality share")
        won = report["won_to_order"]
        taken = won["input_lines"] - won["skipped"]["count"]
        auto = won["written"] / taken

        # ---- closed-won a month
        opps = read_jsonl(os.path.join(crm, "Opportunity.jsonl"))
        passed = [o for o in opps if o.get("StageName") == "Closed Won" and (o.get("Amount") or 0) > 0 and not o.get("IsDeleted")]
        check(len(passed) == taken, f"closed-won passed by `when` {len(passed)} == run's taken {taken}")
        months = {}
        for o in passed:
            months[o["CloseDate"][:7]] = months.get(o["CloseDate"][:7], 0) + 1
        last = max(months)
        ly, lm = int(last[:4]), int(last[5:])
        window = [f"{(ly * 12 + lm - 1 - i) // 12:04d}-{(ly * 12 + lm - 1 - i) % 12 + 1:02d}" for i in range(11, -1, -1)]
        window = [m for m in window if m >= min(months)]
        per_month = sum(months.get(m, 0) for m in window) / len(window)
        cw = out["closed_won"] or {}
        check(cw.get("map") == "won_to_order" and cw.get("date_field") == "CloseDate", f"closed-won from won_to_order's CloseDate: {cw.get('map')}, {cw.get('date_field')}")
        check([m["month"] for m in cw.get("months", [])] == window, f"closed-won months {[m['month'] for m in cw.get('months', [])]} == {window}")
        check([m["records"] for m in cw.get("months", [])] == [months.get(m, 0) for m in window], "closed-won records by month")
        check(close(cw.get("per_month"), round(per_month, 2)), f"closed-won a month {cw.get('per_month')} == {per_month:.2f}")

        # ---- the change rate and the sync volume
        accounts = read_jsonl(os.path.join(crm, "Account.jsonl"))
        rates = {"crm.Account": change_rate(accounts, "CreatedDate", maps["account_to_customer"]["cursor"]),
                 "crm.Opportunity": change_rate(opps, "CreatedDate", maps["won_to_order"]["cursor"])}
        objs = {f"{o['system']}.{o['object']}": o for o in out["volume"]["objects"]}
        for obj, (new, upd, end) in rates.items():
            o = objs.get(obj, {})
            check(o.get("window_end") == end.isoformat(), f"{obj}: window end {o.get('window_end')} == {end}")
            check(close(o.get("new_per_day"), round(new, 2)) and close(o.get("updated_per_day"), round(upd, 2)),
                  f"{obj}: new/updated a day {o.get('new_per_day')}/{o.get('updated_per_day')} == {new:.2f}/{upd:.2f}")
        runs = {"account_to_customer": 24, "won_to_order": 1440, "order_status_back": 1440}  # every 1h; on change, 60s polls
        share = {n: report[n]["written"] / report[n]["input_lines"] for n in ("account_to_customer", "won_to_order")}
        share["order_status_back"] = 0
        per_system = {"crm": 0.0, "erp": 0.0}
        syncs = {s["sync"]: s for s in out["volume"]["syncs"]}
        for name, m in maps.items():
            src = f"{m['source']['system']}.{m['source']['object']}"
            new, upd, _ = rates.get(src, (0, 0, None))
            rd, wr = calls(runs[name], new, upd, share[name], m["read_batch"], m["write_batch"],
                           len(m["projection"].get("relations", [])))
            s = syncs.get(name, {})
            check(close(s.get("runs_per_day"), runs[name]), f"{name}: runs a day {s.get('runs_per_day')} == {runs[name]}")
            check(close(s.get("read_calls_per_day"), round(rd, 2)) and close(s.get("write_calls_per_day"), round(wr, 2)),
                  f"{name}: reads/writes a day {s.get('read_calls_per_day')}/{s.get('write_calls_per_day')} == {rd:.2f}/{wr:.2f}")
            per_system[m["source"]["system"]] += rd
            per_system[m["target"]["system"]] += wr
        sysv = {s["system"]: s for s in out["volume"]["systems"]}
        for name, c in per_system.items():
            check(close(sysv[name]["calls_per_day"], round(c, 2)), f"{name}: calls a day {sysv[name]['calls_per_day']} == {c:.2f}")
        check(sysv["crm"]["budget_per_day"] == 100000 and sysv["crm"]["budget_from"].startswith("spec"),
              f"crm budget from the spec: {sysv['crm']['budget_per_day']} ({sysv['crm']['budget_from']})")
        check(close(sysv["crm"]["use_percent"], round(per_system["crm"] / 1000, 2)), f"crm budget use {sysv['crm']['use_percent']}")
        check(sysv["crm"]["band"] == "good", f"crm band {sysv['crm']['band']}")
        check(sysv["erp"]["budget_per_day"] is None and sysv["erp"]["band"] is None,
              "erp (NetSuite: concurrency only) has no daily call budget")

        # ---- the rubric, readiness, ROI
        ov = out["overall"]
        want = [completeness_points(ov["completeness"]), duplicate_points(ov["duplicate_rate"]),
                format_points(ov["format_consistency"]), 8, 6]  # informal, manual_quarterly
        got = [c["points"] for c in out["rubric"]["criteria"]]
        check(got == want, f"rubric points {got} == {want}")
        check(out["rubric"]["points"] == sum(want), f"rubric total {out['rubric']['points']} == {sum(want)}")
        tier = 1 if sum(want) >= 75 else 2 if sum(want) >= 50 else 3
        check(out["rubric"]["tier"] == tier, f"tier {out['rubric']['tier']} == {tier}")
        sor = out["sor"]
        check(sor["synced_fields"] == sor["owned_fields"] + len(sor["unowned"]), "SoR: synced = owned + unowned")
        check(close(sor["percent"], round(100 * sor["owned_fields"] / sor["synced_fields"], 2)), "SoR percent")
        dq_score = ov["completeness"] * 0.4 + (100 - 2 * ov["duplicate_rate"]) * 0.3 + ov["format_consistency"] * 0.3
        org = 50 * 0.4 + sor["percent"] * 0.3 + 60 * 0.3
        score = (dq_score + 88 + org) / 3
        rd = out["readiness"] or {}
        check(close(rd.get("data_quality"), dq_score, 0.02), f"data quality {rd.get('data_quality')} == {dq_score:.2f}")
        check(rd.get("system") == 88, f"system readiness {rd.get('system')} == 88")
        check(close(rd.get("organisational"), org, 0.02), f"organisational {rd.get('organisational')} == {org:.2f}")
        check(close(rd.get("score"), score, 0.02), f"readiness {rd.get('score')} == {score:.2f}")
        band = "ready" if score >= 80 else "proceed, address gaps in parallel" if score >= 60 else "address prerequisites first"
        check(rd.get("band") == band, f"readiness band {rd.get('band')} == {band}")
        roi = out["roi"] or {}
        hours = per_month * 8 * 0.9 / 60
        benefit = hours * 12 * 45 + per_month * 12 * 0.05 * 50
        check(roi.get("records_per_month_from") == "data" and roi.get("automation_rate_from") == "answers",
              f"ROI inputs from {roi.get('records_per_month_from')}, {roi.get('automation_rate_from')}")
        check(close(roi.get("hours_saved_per_month"), hours), f"hours saved {roi.get('hours_saved_per_month')} == {hours:.2f}")
        check(close(roi.get("annual_benefit"), benefit, 0.02), f"annual benefit {roi.get('annual_benefit')} == {benefit:.2f}")
        check(close(roi.get("roi"), round(benefit / 30000, 2)), f"ROI {roi.get('roi')} == {benefit / 30000:.2f}")

        # The automation rate left to the dry run.
        answers2 = os.path.join(work, "answers.yaml")
        with open(ANSWERS) as f, open(answers2, "w") as g:
            g.write("".join(line for line in f if "automation_rate:" not in line))
        p = assess(crmx_run, plan, systems, "--format", "json", "--answers", answers2)
        check(p.returncode == 0, f"assess with no automation answer exits 0 ({p.stderr})")
        roi2 = json.loads(p.stdout)["roi"] if p.returncode == 0 else {}
        check(roi2.get("automation_rate_from") == "dry run" and close(roi2.get("automation_rate"), round(auto, 4), 0.0001),
              f"automation rate {roi2.get('automation_rate')} from {roi2.get('automation_rate_from')} == run's {auto:.4f}")

        # No answers file: the measured criteria only.
        p = assess(crmx_run, plan, systems, "--format", "json")
        bare = json.loads(p.stdout) if p.returncode == 0 else {}
        check(p.returncode == 0 and bare["rubric"]["points"] is None and bare["readiness"] is None and bare["roi"] is None,
              "without answers: no total, readiness or ROI")
        check([c["points"] for c in bare.get("rubric", {}).get("criteria", [])] == want[:3] + [None, None],
              "without answers: the measured criteria still scored")
        p = assess(crmx_run, plan, systems)
        check(p.returncode == 0 and "no answers file" in p.stdout and "Dry run" in p.stdout, "the text report says what is missing")

        # A bad answers file.
        bad = os.path.join(work, "bad.yaml")
        with open(ANSWERS) as f, open(bad, "w") as g:
            g.write(f.read().replace("governance: informal", "governance: sometimes"))
        p = assess(crmx_run, plan, systems, "--answers", bad)
        check(p.returncode == 2 and "bad.yaml:" in p.stderr and "governance" in p.stderr and p.stdout == "",
              f"a bad answers file: exit 2 naming it ({p.returncode}: {p.stderr.strip()[:200]})")

        # HTML to a file.
        html = os.path.join(work, "report.html")
        p = assess(crmx_run, plan, systems, "--answers", ANSWERS, "--format", "html", "-o", html)
        check(p.returncode == 0 and p.stdout == "", f"--format html -o exits 0 quietly ({p.stderr})")
        page = open(html, encoding="utf-8").read() if os.path.exists(html) else ""
        check(page.lower().startswith("<!doctype html") and 'data-metric="rubric.points"' in page,
              "the HTML report is a page with the rubric's total")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
    finish("assess_full")
