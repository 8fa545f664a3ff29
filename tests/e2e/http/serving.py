"""Shared pieces of the tests and the benchmark of `crmx-run serve` (serve_http.py,
bench/serve/run_latency.py): the north star against the emulators with a webhook on the CRM,
serve started and stopped, an opportunity closed-won through the Salesforce API, HubSpot v3
signatures, and a strict reader of the Prometheus text format. Standard library only."""
import base64
import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

import harness

WEBHOOK_SECRET = "crmx-test-hubspot-client-secret"
ENV = {"CRMX_TEST_HUBSPOT_SECRET": WEBHOOK_SECRET}
# The QuickBooks verifier token and the Xero webhook key of webhook_schemes_http.py.
QUICKBOOKS_VERIFIER = "crmx-test-intuit-verifier-token"
XERO_KEY = "crmx-test-xero-webhook-key"
EXTRA_ENV = {"CRMX_TEST_QBO_VERIFIER": QUICKBOOKS_VERIFIER, "CRMX_TEST_XERO_KEY": XERO_KEY}


class World:
    """The north star's plan, the two emulators, a profile whose crm system takes HubSpot-signed
    webhooks, and one state file; an initial `crmx-run run` loads the customers."""

    def __init__(self, crmxc, crmx_run, emulate, webhooks=None):
        """`webhooks`: system -> (scheme, secret reference) for the profile; default: HubSpot-signed
        webhooks on crm."""
        self.crmx_run = crmx_run
        self.work = harness.workdir()
        self.plan = os.path.join(self.work, "acme.plan.json")
        harness.run([crmxc, "build", os.path.join(harness.EXAMPLE, "acme.crmx"), "-o", self.plan])
        self.sf = harness.Emulator(emulate, "salesforce", "--data", os.path.join(harness.EXAMPLE, "data", "crm"),
                                   "--schemas", os.path.join(harness.EXAMPLE, "schemas", "salesforce"))
        self.ns = harness.Emulator(emulate, "netsuite", "--schemas", os.path.join(harness.EXAMPLE, "schemas", "netsuite"))
        self.profile = harness.write_profile(os.path.join(self.work, "crmx.profiles.yaml"), self.sf.url, self.ns.url)
        text = open(self.profile, encoding="utf-8").read()
        kinds = {"crm": "salesforce", "erp": "netsuite"}
        for system, (scheme, secret) in (webhooks or {"crm": ("hubspot", "env:CRMX_TEST_HUBSPOT_SECRET")}).items():
            entry = f"    {system}:\n      kind: {kinds[system]}\n"
            if text.count(entry) < 1:
                raise RuntimeError(f"the example profile's emulators {system} entry was not found")
            text = text.replace(entry, entry + f"      webhook:\n        scheme: {scheme}\n        secret: {secret}\n", 1)
        open(self.profile, "w", encoding="utf-8").write(text)
        self.state = os.path.join(self.work, "state.db")
        self.env = dict(ENV)
        self.env.update(EXTRA_ENV)
        harness.run([crmx_run, "run", self.plan, "--profiles", self.profile, "--target", "emulators", "--state",
                     self.state, "--progress", "never"], env=self.env)

    def stop(self):
        for e in (self.sf, self.ns):
            e.stop()

    # ---------------------------------------------------------------- Salesforce
    def open_opportunities(self):
        return open_opportunities(self.sf, self.ns)

    def close_won(self, opp_id):
        close_won(self.sf, opp_id)

    def order_of(self, opp_id):
        return order_of(self.ns, opp_id)


def sf_call(sf, method, path, body=None):
    """A call to the Salesforce emulator's REST API, logged in with the test client's secret."""
    form = ("grant_type=client_credentials&client_id=crmx-test-client&client_secret="
            + harness.TEST_ENV["CRMX_SF_CLIENT_SECRET"]).encode()
    req = urllib.request.Request(sf.url + "/services/oauth2/token", data=form, method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=30) as r:
        token = json.loads(r.read())["access_token"]
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(sf.url + "/services/data/v61.0/" + path, data=data, method=method,
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def open_opportunities(sf, ns):
    """Opportunities not won yet, with an amount, whose account is a customer in NetSuite:
    closing one makes won_to_order write a sales order."""
    customers = {c.get("externalId") for c in ns.records("Customer")}
    orders = {o.get("externalId") for o in ns.records("SalesOrder")}
    return [o["Id"] for o in sf.records("Opportunity")
            if o.get("StageName") != "Closed Won" and (o.get("Amount") or 0) > 0 and not o.get("IsDeleted")
            and o.get("AccountId") in customers and o["Id"] not in orders]


def close_won(sf, opp_id):
    r = sf_call(sf, "PATCH", "composite/sobjects", {"allOrNone": True, "records": [
        {"attributes": {"type": "Opportunity"}, "id": opp_id, "StageName": "Closed Won"}]})
    if not r or not r[0].get("success"):
        raise RuntimeError(f"closing {opp_id} failed: {r}")


def order_of(ns, opp_id):
    for o in ns.records("SalesOrder"):
        if o.get("externalId") == opp_id:
            return o
    return None


class Serve:
    """`crmx-run serve` on a free port, JSON logs collected; stop() sends SIGTERM."""

    def __init__(self, world, *args, env=None):
        """`world`: what to serve (crmx_run, plan, profile, state: a World, or any object with them)."""
        self.proc = subprocess.Popen(
            [world.crmx_run, "serve", world.plan, "--profiles", world.profile, "--target", "emulators",
             "--state", world.state, "--listen", "127.0.0.1:0", "--log-format", "json", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **harness.TEST_ENV, **ENV, **EXTRA_ENV, **(env or {})})
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.proc.kill()
            raise RuntimeError(f"crmx-run serve did not start: {line!r} {self.proc.stderr.read()}")
        self.url = line[len("listening on "):]
        self.port = int(self.url.rsplit(":", 1)[1])
        self.events = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            line = line.strip()
            try:
                e = json.loads(line)
            except ValueError:
                e = {"event": "text", "line": line}
            with self.lock:
                self.events.append(e)

    def syncs(self, name=None):
        with self.lock:
            return [e for e in self.events if e.get("event") == "sync" and (name is None or e.get("sync") == name)]

    def wait_for(self, cond, timeout, what):
        end = time.time() + timeout
        while time.time() < end:
            if cond():
                return True
            if self.proc.poll() is not None:
                raise RuntimeError(f"crmx-run serve exited {self.proc.returncode} while waiting for {what}")
            time.sleep(0.05)
        raise RuntimeError(f"timed out after {timeout}s waiting for {what}; events: {self.events[-10:]}")

    def get(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def post(self, path, body, headers):
        req = urllib.request.Request(self.url + path, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def stop(self, timeout=60):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise RuntimeError("crmx-run serve did not stop on SIGTERM")
        self.reader.join(timeout=5)
        return rc


def hubspot_v3(method, uri, body, ts_ms, secret=WEBHOOK_SECRET):
    """HubSpot's signature v3 of a request: base64(HMAC-SHA256(secret, method + uri + body + ts))."""
    msg = (method + uri + body.decode() + str(ts_ms)).encode()
    return base64.b64encode(hmac.new(secret.encode(), msg, hashlib.sha256).digest()).decode()


def hubspot_webhook(serve, body, ts_ms=None, secret=WEBHOOK_SECRET, signed=True):
    """POSTs a HubSpot-style webhook to serve's crm endpoint; (status, text)."""
    ts_ms = int(time.time() * 1000) if ts_ms is None else ts_ms
    path = "/webhooks/crm"
    headers = {"Content-Type": "application/json"}
    if signed:
        uri = f"http://127.0.0.1:{serve.port}{path}"
        headers["X-HubSpot-Signature-v3"] = hubspot_v3("POST", uri, body, ts_ms, secret)
        headers["X-HubSpot-Request-Timestamp"] = str(ts_ms)
    return serve.post(path, body, headers)


# ------------------------------------------------------------------ Prometheus text format 0.0.4

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"'
_SAMPLE = re.compile(rf"^({_NAME})(\{{(?:{_LABEL})(?:,{_LABEL})*,?\}}|\{{\}})? "
                     r"([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf|NaN))( -?[0-9]+)?$")
_TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_prometheus(text):
    """The samples of an exposition, {(name, frozenset(labels)): value}; raises ValueError naming
    the line that is not the text format (a sample line, a HELP/TYPE line, a TYPE after its
    samples, a histogram without _bucket{le="+Inf"}, _sum and _count)."""
    if not text.endswith("\n"):
        raise ValueError("the exposition does not end with a newline")
    samples, types, seen = {}, {}, set()
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                if not re.fullmatch(_NAME, parts[2]):
                    raise ValueError(f"line {n}: bad metric name in {line!r}")
                if parts[1] == "TYPE":
                    if len(parts) != 4 or parts[3] not in _TYPES:
                        raise ValueError(f"line {n}: bad TYPE line {line!r}")
                    if parts[2] in seen:
                        raise ValueError(f"line {n}: TYPE of {parts[2]} after its samples")
                    types[parts[2]] = parts[3]
            continue
        if not line.strip():
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError(f"line {n}: not a sample line: {line!r}")
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        pairs = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels))
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        seen.add(base)
        seen.add(name)
        samples[(name, pairs)] = float(value.replace("Inf", "inf").replace("NaN", "nan"))
    for name, t in types.items():
        if t == "histogram" and any(k[0] == name + "_bucket" for k in samples):
            for key in [k for k in samples if k[0] == name + "_count"]:
                labels = key[1]
                inf = (name + "_bucket", labels | {("le", "+Inf")})
                if inf not in samples or samples[inf] != samples[key]:
                    raise ValueError(f"histogram {name}{dict(labels)}: _bucket{{le=\"+Inf\"}} is not _count")
                if (name + "_sum", labels) not in samples:
                    raise ValueError(f"histogram {name}{dict(labels)} has no _sum")
    return samples


def metric(samples, name, **labels):
    want = frozenset(labels.items())
    return sum(v for (n, l), v in samples.items() if n == name and want <= l)
