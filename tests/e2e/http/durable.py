"""Shared pieces of the durable-delivery tests (issue 9): crash_points_http.py and
kill_trials_http.py (tests/soak/README.md). Standard library only.

- Setup: a copy of the north-star example whose syncs retry quickly
  (`retry 5 backoff exponential(50ms, 500ms)`, dead letter when exhausted), built with crmxc.
- Scenario: one pair of emulators (or a CRM directory and an ERP directory), one state file,
  the runs made against them (a crashed or killed run, then reruns until settled).
- reference(): a fault-free, crash-free run of the same plan.
- check(): the oracle, the end state of a scenario against the reference:
  - no key created twice (the emulators' journals: at most one `created` per object and key;
    on files one line per key);
  - every record the reference wrote is in the target with the same values (internal ids,
    tranIds and timestamps left out; a sales order's `entity` compared as its customer's
    external id), or dead-lettered with a reason, or waiting for a dead-lettered account;
    nothing the reference did not write is in the target;
  - every write the runs decided (the state's `deliveries`) is done or dead, a done one is in
    the target, and the last report's `ledger` has nothing open;
  - the records the reference queued (data-quality, held, waiting) are in the same queue here;
  - a dead letter names a status, code or transport failure, and is not a refusal (4xx) of a
    record the system holds exactly as the reference wrote it (a re-send that was not harmless).
  `lost` counts the source records in no outcome and `duplicates` the keys created twice: both
  must be 0.
"""
import collections
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time

import harness

# The maps of the north star, their targets, and how a target record is found by the map's key.
MAPS = {
    "account_to_customer": ("erp", "Customer", "externalId"),
    "won_to_order": ("erp", "SalesOrder", "externalId"),
    "order_status_back": ("crm", "Opportunity", "Id"),
}
NAMED_QUEUES = ("data_quality", "held", "waiting", "error")
OPEN_STATES = ("pending", "in_flight", "failed")
# Crash points of the contract (issue 9). `crmx-run crash-points` must print at least these.
CONTRACT_POINTS = [
    "after_decide_before_commit", "after_commit_before_send", "after_send_before_commit",
    "after_result_commit", "before_cursor_save", "in_retry_after_send",
    "after_writer_commit_before_state_commit",
]
# Points a run against the API emulators cannot pass (no local writer there).
HTTP_UNREACHABLE = {"after_writer_commit_before_state_commit"}
# Fields the systems stamp themselves (times, internal ids, numbers): not compared.
VOLATILE = {
    "Customer": {"id", "dateCreated", "lastModifiedDate", "createdDate"},
    "SalesOrder": {"id", "tranId", "tranDate", "createdDate", "dateCreated", "lastModifiedDate"},
    "Opportunity": {"SystemModstamp", "LastModifiedDate", "LastModifiedById"},
}
TRANSPORT = ("timeout", "reset", "refused", "connection", "no answer", "HTTP ", "_")
RETRY = "retry 5 backoff exponential(50ms, 500ms)"
FAULT_DELAY_MS = "100"


# ------------------------------------------------------------------ setup

class Setup:
    """The example copied into WORK/acme with quick retries on every sync, built into a plan."""

    def __init__(self, crmxc, work):
        self.work = work
        src = harness.EXAMPLE
        self.example = os.path.join(work, "acme")
        shutil.copytree(src, self.example, ignore=shutil.ignore_patterns("data"))
        shutil.copytree(os.path.join(src, "data", "crm"), os.path.join(self.example, "data", "crm"))
        spec_path = os.path.join(self.example, "acme.crmx")
        spec = open(spec_path, encoding="utf-8").read()
        spec, n = re.subn(r"retry 5 backoff exponential\(2s, 10m\) jitter", RETRY, spec)
        if n != 1:
            raise RuntimeError("the example's won_to_order retry policy was not found to shorten")
        policy = "{ " + RETRY + " on exhausted dead_letter }"
        for m in ("sync account_to_customer every 1h", "sync order_status_back on change"):
            if m not in spec:
                raise RuntimeError(f"`{m}` not found in the example spec")
            spec = spec.replace(m, m + " " + policy)
        open(spec_path, "w", encoding="utf-8").write(spec)
        self.spec = spec_path
        self.plan = os.path.join(work, "acme.plan.json")
        harness.run([crmxc, "build", spec_path, "-o", self.plan])
        self.crm = os.path.join(self.example, "data", "crm")
        self.sf_schemas = os.path.join(self.example, "schemas", "salesforce")
        self.ns_schemas = os.path.join(self.example, "schemas", "netsuite")


def crash_points(crmx_run):
    """The names `crmx-run crash-points` prints; (names, error text or None)."""
    code, out, err = harness.run([crmx_run, "crash-points"], check=False)
    if code != 0:
        return [], f"`crmx-run crash-points` exited {code}: {(err or out).strip()[:200]}"
    return [l.strip() for l in out.splitlines() if l.strip()], None


# ------------------------------------------------------------------ runs

class Run:
    def __init__(self, code, report, stderr, seconds, killed_by_us=False, queues=None):
        self.code = code              # exit status, or -signal
        self.queues = queues          # the run's --queues directory
        self.report = report          # the --report json, None when none was printed
        self.stderr = stderr
        self.seconds = seconds
        self.killed_by_us = killed_by_us

    @property
    def sigkill(self):
        return self.code == -signal.SIGKILL

    def ledger_open(self):
        led = (self.report or {}).get("ledger")
        if not isinstance(led, dict):
            return None
        return sum(int(led.get(s, 0)) for s in OPEN_STATES)

    def wrote(self):
        maps = (self.report or {}).get("maps", {})
        return sum(m.get("written", 0) + m.get("retries", 0) for m in maps.values())

    def last_error(self):
        lines = [l for l in self.stderr.strip().splitlines() if l.strip()]
        return lines[-1] if lines else ""


class Scenario:
    """One state file and the systems it runs against: the two emulators (api) or a copy of the
    CRM export and an ERP directory (local)."""

    def __init__(self, a, setup, name, faults=0.0, seed=0, local=False):
        self.a, self.setup, self.name, self.local = a, setup, name, local
        self.dir = os.path.join(setup.work, name)
        os.makedirs(self.dir)
        self.state = os.path.join(self.dir, "state.db")
        self.runs = []
        self.sf = self.ns = None
        if local:
            self.crm = os.path.join(self.dir, "crm")
            shutil.copytree(setup.crm, self.crm)
            self.erp = os.path.join(self.dir, "erp")
            os.makedirs(self.erp)
            self.systems = ["--system", f"crm={self.crm}", "--system", f"erp={self.erp}"]
        else:
            extra = ["--faults", str(faults), "--fault-seed", str(seed), "--fault-delay-ms", FAULT_DELAY_MS] if faults else []
            self.sf = harness.Emulator(a.crmx_emulate, "salesforce", "--data", setup.crm,
                                       "--schemas", setup.sf_schemas, *extra)
            try:
                self.ns = harness.Emulator(a.crmx_emulate, "netsuite", "--schemas", setup.ns_schemas, *extra)
            except Exception:
                self.sf.stop()
                raise
            profile = harness.write_profile(os.path.join(self.dir, "crmx.profiles.yaml"), self.sf.url, self.ns.url)
            self.systems = ["--profiles", profile, "--target", "emulators"]

    def queues_dir(self):
        return os.path.join(self.dir, f"queues-{len(self.runs) + 1}")

    def args(self):
        queues = self.queues_dir()
        wait = getattr(self.a, "retry_wait", "30s")
        return [self.a.crmx_run, "run", self.setup.plan, *self.systems, "--state", self.state,
                "--queues", queues, "--report", "json", "--progress", "never",
                *(["--retry-wait", wait] if wait else [])]

    def run(self, env=None, kill_after=None, timeout=600):
        """One `crmx-run run`; kill_after: SIGKILL it after that many seconds if still running."""
        full_env = dict(os.environ)
        full_env.update(harness.TEST_ENV)
        full_env.pop("CRMX_CRASH_AT", None)
        if env:
            full_env.update(env)
        t0 = time.monotonic()
        queues = self.queues_dir()
        p = subprocess.Popen(self.args(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env)
        killed = False
        if kill_after is not None:
            try:
                p.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGKILL)
                killed = True
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            err += f"\n(test: killed after {timeout}s)"
        secs = time.monotonic() - t0
        report = None
        if out.strip():
            try:
                report = json.loads(out)
            except ValueError:
                err += f"\n(test: stdout is not JSON: {out[:200]!r})"
        r = Run(p.returncode, report, err, secs, killed_by_us=killed and p.returncode == -signal.SIGKILL, queues=queues)
        self.runs.append(r)
        return r

    def settle(self, max_reruns=10, fixpoint_runs=3):
        """Reruns (no crash point) until a run completes with nothing open in the ledger, then, over
        HTTP, until a run writes nothing (records that waited for a retried write get theirs; on
        local files every run writes the write-back again: it has no `written` hashes). A run that
        could not complete (exit 1 saying why: a read that kept failing under faults) is run again.
        At most max_reruns runs. Returns a list of failures (empty when settled)."""
        settled_writing = 0
        for i in range(max_reruns):
            r = self.run()
            if r.code == 1 and r.last_error().startswith("error:"):
                continue  # could not complete: run again
            if r.code != 0 or r.report is None:
                return [f"rerun {i + 1}: exit {r.code}: {r.stderr.strip()[-400:]}"]
            n = r.ledger_open()
            if n is None:
                return [f"rerun {i + 1}: the report has no `ledger` (durable delivery is not in this crmx-run)"]
            if n > 0:
                continue
            if self.local or r.wrote() == 0:
                return []
            settled_writing += 1
            if settled_writing > fixpoint_runs:
                return [f"ledger settled but still writing after {fixpoint_runs} more runs: {r.wrote()} writes"]
        last = self.runs[-1]
        return [f"not settled after {max_reruns} reruns: ledger {(last.report or {}).get('ledger')}, "
                f"last exit {last.code} {last.last_error()[:200]}"]

    def stop(self):
        for e in (self.sf, self.ns):
            if e is not None:
                e.stop()
        self.sf = self.ns = None


# ------------------------------------------------------------------ what the systems hold

def _norm(obj, rec, customer_ext_by_id=None, order_ext_by_tranid=None):
    r = {k: v for k, v in rec.items() if k not in VOLATILE.get(obj, ())}
    if obj == "SalesOrder" and customer_ext_by_id is not None:
        ent = r.get("entity")
        ent_id = ent.get("id") if isinstance(ent, dict) else ent
        r["entity"] = {"customer_external_id": customer_ext_by_id.get(str(ent_id), f"?{ent_id}"),
                       "refName": ent.get("refName") if isinstance(ent, dict) else None}
    if obj == "Opportunity" and order_ext_by_tranid is not None and r.get("ERP_Order_Number__c") is not None:
        r["ERP_Order_Number__c"] = {"order_external_id": order_ext_by_tranid.get(r["ERP_Order_Number__c"],
                                                                                 "?" + str(r["ERP_Order_Number__c"]))}
    return r


class Snapshot:
    """What the target systems hold, normalized, by key: customers and orders (external id),
    opportunities (Id); and the keys created more than once."""

    def __init__(self, customers, orders, opportunities, duplicates, journal_writes, local=False):
        self.local = local
        self.objects = {"Customer": customers, "SalesOrder": orders, "Opportunity": opportunities}
        self.duplicates = duplicates            # [(object, key, times)]
        self.journal_writes = journal_writes    # writes applied, over both systems

    @staticmethod
    def _build(cust_rows, order_rows, opp_rows):
        cust_ext = {str(c.get("id")): c.get("externalId") for c in cust_rows}
        customers = {c.get("externalId"): _norm("Customer", c) for c in cust_rows}
        order_tran = {o.get("tranId"): o.get("externalId") for o in order_rows if o.get("tranId")}
        orders = {o.get("externalId"): _norm("SalesOrder", o, cust_ext) for o in order_rows}
        opps = {o.get("Id"): _norm("Opportunity", o, None, order_tran) for o in opp_rows}
        return customers, orders, opps

    @classmethod
    def from_emulators(cls, sf, ns):
        customers, orders, opps = cls._build(ns.records("Customer"), ns.records("SalesOrder"), sf.records("Opportunity"))
        dup = []
        writes = 0
        for emu in (ns, sf):
            journal = emu.journal()
            writes += len(journal)
            created = collections.Counter((e.get("object"), e.get("key") or e.get("id"))
                                          for e in journal if e.get("op") in ("create", "created"))
            dup += [(o, k, n) for (o, k), n in created.items() if n > 1]
        return cls(customers, orders, opps, dup, writes)

    @classmethod
    def from_files(cls, crm, erp):
        def rows(path):
            if not os.path.exists(path):
                return []
            out = []
            for l in open(path, encoding="utf-8"):
                if l.strip():
                    try:
                        out.append(json.loads(l))
                    except ValueError:
                        out.append({"_malformed": l.strip()[:80]})
            return out
        cust_rows = rows(os.path.join(erp, "Customer.jsonl"))
        order_rows = rows(os.path.join(erp, "SalesOrder.jsonl"))
        opp_rows = [o for o in rows(os.path.join(crm, "Opportunity.jsonl")) if "_malformed" not in o]
        dup = []
        for obj, rs, k in (("Customer", cust_rows, "externalId"), ("SalesOrder", order_rows, "externalId"),
                           ("Opportunity", opp_rows, "Id")):
            c = collections.Counter(r.get(k) for r in rs)
            dup += [(obj, key, n) for key, n in c.items() if n > 1]
        customers, orders, opps = cls._build(cust_rows, order_rows, opp_rows)
        return cls(customers, orders, opps, dup, None, local=True)


def refused(reason):
    """A dead letter's reason says the system refused the write (HTTP 4xx but 408 and 429)."""
    return any(c not in ("408", "429") for c in re.findall(r"\b(4[0-9][0-9])\b", reason))


def written_keys(snap, obj):
    """Keys of the records the runs wrote into obj. Opportunities are seeded: those that carry an
    ERP status or order number (written back by order_status_back; on local files, where the
    ERP's sales orders have neither, every opportunity)."""
    recs = snap.objects[obj]
    if obj == "Opportunity" and not snap.local:
        return {k for k, v in recs.items()
                if v.get("ERP_Status__c") is not None or v.get("ERP_Order_Number__c") is not None}
    return set(recs)


# ------------------------------------------------------------------ the state file

class StateView:
    """The state file read after the runs: the ledger (`deliveries`) and the queued records (tables
    `items` and `queue`, every run)."""

    def __init__(self, path):
        self.deliveries = []    # dicts with map, source_key, state, reason
        self.queued = collections.defaultdict(set)   # (map, queue) -> keys, every run (tables items and queue)
        self.items = None   # (map, queue) -> keys as they stand (table items), None without the table
        self.has_ledger = False
        if not os.path.exists(path):
            return
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "deliveries" in tables:
                self.has_ledger = True
                cols = {r[1] for r in db.execute("PRAGMA table_info(deliveries)")}
                want = [c for c in ("map", "source_key", "state", "last_status", "last_code", "last_message") if c in cols]
                for row in db.execute(f"SELECT {', '.join(want)} FROM deliveries"):
                    d = dict(zip(want, row))
                    bits = [str(d[c]) for c in ("last_status", "last_code", "last_message") if d.get(c) not in (None, "", 0)]
                    d["reason"] = " ".join(bits)
                    self.deliveries.append(d)
            # The queues as they stand: `queue_items` (state version 9: items and the flags in
            # sets), `items` before it, the per-run log `queue` before that.
            views = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
            items = "queue_items" if "queue_items" in views else "items"
            for table in (items, "queue"):
                if table in tables | views:
                    for m, q, k in db.execute(f"SELECT map, queue, record_id FROM {table}"):
                        self.queued[(m, q)].add(k)
            if "items" in tables:
                self.items = collections.defaultdict(set)
                for m, q, k in db.execute(f"SELECT map, queue, record_id FROM {items}"):
                    self.items[(m, q)].add(k)
        finally:
            db.close()

    def by_state(self):
        return collections.Counter(d.get("state") for d in self.deliveries)

    def dead(self):
        return {(d["map"], d["source_key"]): d.get("reason", "") for d in self.deliveries if d.get("state") == "dead"}


def report_dead_letters(runs):
    """(map, key) -> reasons of the dead letters the runs' queue files (dead_letters.jsonl) and
    reports (samples: at most 20 a map) show."""
    out = {}
    for r in runs:
        path = os.path.join(r.queues or "", "dead_letters.jsonl")
        if r.queues and os.path.exists(path):
            for l in open(path, encoding="utf-8"):
                if l.strip():
                    e = json.loads(l)
                    out[(e.get("map"), e.get("key"))] = " ".join(e.get("reasons") or [])
        for name, m in ((r.report or {}).get("maps") or {}).items():
            b = m.get("dead_letter")
            if isinstance(b, dict):
                for s in b.get("samples", []):
                    out[(name, s.get("key"))] = " ".join(s.get("reasons") or [])
    return out


# ------------------------------------------------------------------ the reference

class Reference:
    """A fault-free, crash-free run: what the systems hold after it, and its queued records."""

    def __init__(self, snapshot, queued, items, report):
        self.snapshot = snapshot
        self.queued = queued      # (map, queue) -> keys
        self.items = items        # (map, queue) -> keys as they stand (None: no items table)
        self.report = report


def reference(a, setup, local=False):
    sc = Scenario(a, setup, "reference-local" if local else "reference", local=local)
    try:
        r = sc.run()
        if r.code != 0 or r.report is None:
            raise RuntimeError(f"reference run: exit {r.code}: {r.stderr.strip()[-400:]}")
        snap = Snapshot.from_files(sc.crm, sc.erp) if local else Snapshot.from_emulators(sc.sf, sc.ns)
        view = StateView(sc.state)
        for name, m in r.report["maps"].items():
            for b in ("dead_letter", "retrying"):
                if isinstance(m.get(b), dict) and m[b].get("count"):
                    raise RuntimeError(f"reference run: {name} has {m[b]['count']} in {b} without faults")
        return Reference(snap, dict(view.queued), None if view.items is None else dict(view.items), r.report)
    finally:
        sc.stop()


# ------------------------------------------------------------------ the oracle

def check(ref, snap, view, runs, inject=None):
    """Failures (strings) and figures (dict) of a scenario's end state against the reference."""
    failures = []
    figures = collections.OrderedDict()
    dead = view.dead()
    dead.update({k: v for k, v in report_dead_letters(runs).items() if k not in dead})
    if inject == "duplicate":
        snap.duplicates.append(("Customer", next(iter(snap.objects["Customer"]), "x"), 2))
    elif inject == "lost":
        k = sorted(snap.objects["SalesOrder"])[0] if snap.objects["SalesOrder"] else None
        snap.objects["SalesOrder"].pop(k, None)
        dead.pop(("won_to_order", k), None)
    elif inject == "value":
        k = sorted(snap.objects["Customer"])[0] if snap.objects["Customer"] else None
        if k:
            snap.objects["Customer"][k] = dict(snap.objects["Customer"][k], companyName="(changed by --inject value)")
    elif inject == "queue":
        for key in list(view.queued):
            if key[1] == "held":
                view.queued[key] = set()
    elif inject == "ledger":
        view.has_ledger = True
        view.deliveries.append({"map": "won_to_order", "source_key": "injected", "state": "failed", "reason": ""})

    if snap.duplicates:
        failures.append(f"created more than once: {snap.duplicates[:5]}")
    lost, extra, differ, refused_applied = [], [], [], []
    dead_applied = waiting_on_dead = 0
    accounts_dead = any(m == "account_to_customer" for (m, _) in dead)
    waiting_here = set().union(*[keys for (m, q), keys in (view.items or view.queued).items() if q == "waiting"] or [set()])
    written = {}
    for name, (_, obj, _) in MAPS.items():
        want, got = ref.snapshot.objects[obj], snap.objects[obj]
        want_keys, got_keys = written_keys(ref.snapshot, obj), written_keys(snap, obj)
        written[obj] = got_keys
        missing = set()
        for k in sorted(want_keys - got_keys):
            missing.add(k)
            if (name, k) in dead:
                continue
            if name == "order_status_back" and (("won_to_order", k) in dead or (accounts_dead and k in waiting_here)):
                continue  # its sales order was not written (dead letter, or waiting): nothing to write back
            if accounts_dead and k in waiting_here:
                waiting_on_dead += 1   # its account was dead-lettered: it waits, with its reason
                continue
            lost.append(f"{name} {k}")
        for k in sorted(got_keys - want_keys):
            extra.append(f"{name} {k}")
        for k in sorted(want_keys & got_keys):
            if (name, k) in dead:
                dead_applied += 1
                # Given up as refused (a 4xx other than 408/429), yet the system holds the record as
                # the reference wrote it: a re-send of a write that had been applied was refused.
                if refused(dead[(name, k)]) and want[k] == got[k]:
                    refused_applied.append(f"{name} {k}: {dead[(name, k)][:160]}")
        # Values: every record both hold (the seeded opportunities too: a write back must not
        # change what it does not write).
        for k in sorted((set(want) & set(got)) - missing):
            if want[k] != got[k]:
                diff = {f: (want[k].get(f), got[k].get(f)) for f in set(want[k]) | set(got[k]) if want[k].get(f) != got[k].get(f)}
                differ.append(f"{name} {k}: {json.dumps(diff, sort_keys=True)[:300]}")
        figures[f"{obj}_written"] = len(got_keys)
    if lost:
        failures.append(f"{len(lost)} records the reference wrote are neither in the target, nor dead-lettered, "
                        f"nor waiting for a dead-lettered account: {lost[:5]}")
    if extra:
        failures.append(f"{len(extra)} records in the target the reference did not write: {extra[:5]}")
    if differ:
        failures.append(f"{len(differ)} records differ from the reference: {differ[:3]}")
    if refused_applied:
        failures.append(f"{len(refused_applied)} dead letters refused by the system although it holds them as the "
                        f"reference wrote them (a re-send of an applied write refused: not harmless): {refused_applied[:3]}")

    # The ledger: nothing open, every done write in its target, every dead one with a reason.
    last = runs[-1] if runs else None
    if last is not None and last.report is not None:
        n = last.ledger_open()
        if n is None:
            failures.append("the last run's report has no `ledger`")
        elif n != 0:
            failures.append(f"the last run's report says the ledger is open: {last.report.get('ledger')}")
    if view.has_ledger:
        counts = view.by_state()
        open_rows = [d for d in view.deliveries if d.get("state") in OPEN_STATES]
        if open_rows:
            failures.append(f"{len(open_rows)} deliveries still open in the state file: "
                            f"{[(d['map'], d['source_key'], d['state']) for d in open_rows[:5]]}")
        unknown = set(counts) - set(OPEN_STATES) - {"done", "dead"}
        if unknown:
            failures.append(f"deliveries in unknown states: {sorted(unknown)}")
        not_there = []
        for d in view.deliveries:
            if d.get("state") == "done" and d.get("map") in MAPS:
                obj = MAPS[d["map"]][1]
                if d["source_key"] not in written[obj]:
                    not_there.append(f"{d['map']} {d['source_key']}")
        if not_there:
            failures.append(f"{len(not_there)} deliveries done but not in the target: {not_there[:5]}")
        figures["ledger"] = dict(counts)
    elif last is not None and last.report is not None and "ledger" in last.report:
        failures.append("the report has a ledger but the state file has no `deliveries` table")
    no_reason = [f"{m} {k}" for (m, k), reason in dead.items() if not reason.strip()]
    if no_reason:
        failures.append(f"dead letters without a reason: {no_reason[:5]}")
    vague = [f"{m} {k}: {reason}" for (m, k), reason in dead.items()
             if reason.strip() and not any(t in reason for t in TRANSPORT) and not re.search(r"\b[1-5][0-9][0-9]\b", reason)]
    if vague:
        failures.append(f"dead letters whose reason names no status, code or transport failure: {vague[:3]}")

    # Queued records: what the reference queued is queued here too. With the queues as they stand
    # (table items) in both: the same records in the same queues, except records waiting for an
    # account that was dead-lettered here.
    missing_q, extra_q = [], []
    strict = ref.items is not None and view.items is not None
    if inject == "queue" and strict:
        for key in list(view.items):
            if key[1] == "held":
                view.items[key] = set()
    mine, theirs = (view.items, ref.items) if strict else (view.queued, ref.queued)
    for (m, q), keys in theirs.items():
        if q not in ("data_quality", "held", "waiting"):
            continue
        for k in sorted(keys - mine.get((m, q), set())):
            if accounts_dead and k in mine.get((m, "waiting"), set()):
                continue  # waits for its dead-lettered account before it gets to its own reasons
            missing_q.append(f"{m} {q} {k}")
    if strict:
        for (m, q), keys in mine.items():
            if q not in NAMED_QUEUES or (q == "waiting" and accounts_dead):
                continue
            for k in sorted(keys - theirs.get((m, q), set())):
                extra_q.append(f"{m} {q} {k}")
    if missing_q:
        failures.append(f"{len(missing_q)} records the reference queued are not in that queue here: {missing_q[:5]}")
    if extra_q:
        failures.append(f"{len(extra_q)} records queued here that the reference did not queue: {extra_q[:5]}")

    figures["dead_letters"] = len(dead)
    figures["dead_applied_anyway"] = dead_applied
    figures["waiting_on_dead"] = waiting_on_dead
    figures["duplicates"] = len(snap.duplicates)
    figures["lost"] = len(lost) + len(missing_q)
    return failures, figures


def source_accounting(ref, view, snap):
    """Per map, every source key of the reference in exactly one final outcome (a figure)."""
    out = {}
    dead = view.dead()
    for name, (_, obj, _) in MAPS.items():
        written = written_keys(snap, obj)
        queued = set().union(*[view.queued.get((name, q), set()) for q in NAMED_QUEUES]) if view.queued else set()
        d = {k for (m, k) in dead if m == name}
        out[name] = {"written": len(written), "queued": len(queued - written - d), "dead_letter": len(d)}
    return out


def conclude(ref, snap, sc, row, inject, t0):
    """Checks a finished scenario against the reference (check) and fills its row of figures:
    the oracle's, the retries of every run, the seconds it took. Returns the failures."""
    f, figures = check(ref, snap, StateView(sc.state), sc.runs, inject=inject)
    row.update(figures)
    row["retries"] = sum(m.get("retries", 0) for r in sc.runs for m in ((r.report or {}).get("maps") or {}).values())
    row["seconds"] = round(time.monotonic() - t0, 1)
    return f
