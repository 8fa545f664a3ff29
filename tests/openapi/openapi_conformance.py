#!/usr/bin/env python3
"""The connectors' requests and the emulators' responses, checked against the vendors' own
OpenAPI files (HubSpot, Xero, the QuickBooks subset, SAP's API_SALES_ORDER_SRV) by Stoplight Prism.

    openapi_conformance.py CRMXC CRMX_RUN CRMX_EMULATE --prism PRISM --specs DIR
                           [--known known_deviations.json] [--only NAME]

DIR holds what prepare_specs.mjs wrote (<vendor>.openapi.json, <vendor>.routes.json). For each of
the examples hubspot-xero, hubspot-quickbooks and salesforce-sap: the example's emulators start as
its own e2e test starts them; each vendor that has an OpenAPI file gets a Prism proxy
(`prism proxy DOC EMULATOR --errors`) and, in front, the router (router.py), which sends the
requests the document describes through Prism and the others straight to the emulator; the
example's profile points crmx-run at the routers; the example's main run runs. Then:
- the run exits 0 and each map writes what the example's expected_summary.json says (a request
  Prism refused would have failed a record);
- no request and no response breaks the document: every violation Prism reports (in
  `sl-violations`, or as its own 422/500 error) must be listed in known_deviations.json with the
  reason the vendor's file, not crmx, is wrong; a listed deviation that no longer happens fails
  too, so the list stays true;
- the operations each example must exercise through Prism (its reads and writes) were exercised;
- every request the documents do not describe is named in known_deviations.json's "undocumented"
  list with why (an endpoint the vendor's file leaves out, a token endpoint of another API): a new
  one fails the test until it is looked at.
Prints, per vendor, the requests checked by Prism and those that went around it, by operation.
Skips (saying so) when ../shared/real is absent."""
import argparse
import collections
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e", "http"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import router as routing  # noqa: E402
import example_hubspot_quickbooks_http as hq  # noqa: E402
import example_hubspot_xero_http as hx  # noqa: E402
import example_salesforce_sap_http as ss  # noqa: E402

REAL = os.path.abspath(os.path.join(harness.ROOT, "..", "shared", "real", "schemas", "openapi"))
EXAMPLES = os.path.join(harness.ROOT, "examples")


def ex(name, *parts):
    return os.path.join(EXAMPLES, name, *parts)


# Per example: its spec, the emulators (kind, arguments, the address its profile names, the
# vendor document that checks it or None), what to replace in the profile besides addresses,
# the environment, and the operations that must go through Prism ("METHOD template").
SCENARIOS = [
    {
        "name": "hubspot-xero", "spec": ex("hubspot-xero", "hubspot-xero.crmx"), "env": hx.ENV,
        "emulators": [
            ("hubspot", ["--schemas", ex("hubspot-xero", "schemas", "hubspot"), "--data", ex("hubspot-xero", "data", "hubspot")],
             "http://127.0.0.1:18091", "hubspot"),
            ("xero", ["--schemas", ex("hubspot-xero", "schemas", "xero"), "--data", ex("hubspot-xero", "data", "xero")],
             "http://127.0.0.1:18092", "xero"),
        ],
        "replace": {},
        "must": ["POST /crm/v3/objects/companies/search", "GET /crm/v3/objects/deals",
                 "POST /crm/v3/objects/deals/batch/update", "GET /api.xro/2.0/Contacts",
                 "POST /api.xro/2.0/Contacts", "POST /api.xro/2.0/Invoices", "GET /api.xro/2.0/Invoices"],
    },
    {
        "name": "hubspot-quickbooks", "spec": ex("hubspot-quickbooks", "hubspot-quickbooks.crmx"), "env": hq.ENV,
        "emulators": [
            ("hubspot", ["--schemas", ex("hubspot-quickbooks", "schemas", "hubspot"),
                         "--data", ex("hubspot-quickbooks", "data", "hubspot")],
             "http://127.0.0.1:18083", "hubspot"),
            ("quickbooks", ["--schemas", hq.QBO_SCHEMAS, "--data", ex("hubspot-quickbooks", "data", "quickbooks")],
             "http://127.0.0.1:18084", "quickbooks"),
        ],
        "replace": {".crmx/qbo-emulator.refresh": "{work}/qbo.refresh"},
        "must": ["POST /crm/v3/objects/companies/search", "GET /crm/v3/objects/deals",
                 "POST /crm/v3/objects/deals/batch/update", "GET /v3/company/{realmId}/query"],
    },
    {
        "name": "salesforce-sap", "spec": ex("salesforce-sap", "salesforce-sap.crmx"), "env": ss.ENV,
        "emulators": [
            ("salesforce", ["--data", ex("salesforce-sap", "data", "crm"), "--schemas", ss.SF_SCHEMAS],
             "http://127.0.0.1:18081", None),
            ("sap", ["--schemas", ss.SAP_SCHEMAS], "http://127.0.0.1:18083", "sap"),
        ],
        "replace": {},
        "must": ["POST /sap/opu/odata/sap/API_SALES_ORDER_SRV/$batch",
                 "GET /sap/opu/odata/sap/API_SALES_ORDER_SRV/A_SalesOrder"],
    },
]


# A request per document that breaks it, sent straight to Prism before the run: Prism must refuse
# it (422), which shows the document is loaded and requests are checked against it.
PROBES = {
    "hubspot": ("POST", "/crm/v3/objects/deals/batch/update", {"Authorization": "Bearer probe"},
                {"inputs": "not a list"}),
    "xero": ("POST", "/api.xro/2.0/Contacts", {"Authorization": "Bearer probe", "xero-tenant-id": "probe"},
             {"Contacts": "not a list"}),
    "quickbooks": ("GET", "/v3/company/1/query", {"Authorization": "Bearer probe"}, None),  # no `query`
    "sap": ("GET", "/sap/opu/odata/sap/API_SALES_ORDER_SRV/A_SalesOrder?%24top=many",
            {"Authorization": "Basic cHJvYmU6cHJvYmU="}, None),
}


def probe(prism_url, doc):
    method, path, headers, body = PROBES[doc]
    data = json.dumps(body).encode() if body is not None else None
    if data:
        headers = {**headers, "Content-Type": "application/json"}
    req = urllib.request.Request(prism_url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def response_probe(a, work, check):
    """Prism must refuse a response that breaks the document too: QuickBooks' `query` answered by
    a stand-in upstream with `{"QueryResponse": 5}` (not an object, and no `time`) must come back
    as Prism's 500 VIOLATIONS naming the response body."""
    import http.server
    import threading

    class Bad(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = b'{"QueryResponse": 5}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    upstream = http.server.HTTPServer(("127.0.0.1", 0), Bad)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    prism = Prism(a.prism, os.path.join(a.specs, "quickbooks.openapi.json"),
                  f"http://127.0.0.1:{upstream.server_address[1]}", os.path.join(work, "prism-response-probe.log"))
    try:
        prism.wait()
        req = urllib.request.Request(prism.url + "/v3/company/1/query?query=select%20*%20from%20Customer",
                                     headers={"Authorization": "Bearer probe"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, text = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        check(status == 500 and "VIOLATIONS" in text and "QueryResponse" in text,
              f"Prism let a response that breaks the document through: {status} {text[:300]}")
    finally:
        prism.stop()
        upstream.shutdown()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prism:
    """`prism proxy DOC UPSTREAM --errors` on a free port, its output in LOG."""

    def __init__(self, prism, doc, upstream, log):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.log = open(log, "w")
        self.proc = subprocess.Popen([prism, "proxy", doc, upstream, "--errors", "-p", str(self.port),
                                      "-h", "127.0.0.1"], stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait(self, seconds=240):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prism exited {self.proc.returncode}: {open(self.log_path).read()[-2000:]}")
            with open(self.log_path) as f:
                if "Prism is listening" in f.read():
                    return
            time.sleep(0.5)
        raise RuntimeError(f"prism did not start in {seconds} s: {open(self.log_path).read()[-2000:]}")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self.log.close()


def written_counts(expected):
    maps = expected.get("summary") or expected.get("maps") or {}
    return {k: (v["written"] if isinstance(v, dict) else v) for k, v in maps.items()}


def deviation_key(vendor, record, violation):
    return vendor, f"{record['method']} {record['operation']}", violation.get("location") and ".".join(
        str(x) for x in violation["location"]), violation.get("message", "")


def run_scenario(a, sc, known, check, work):
    d = os.path.join(work, sc["name"])
    os.makedirs(d)
    plan = os.path.join(d, "plan.json")
    harness.run([a.crmxc, "build", sc["spec"], "-o", plan])
    emulators, prisms, routers = [], [], []
    try:
        for kind, args, _, doc in sc["emulators"]:
            emulators.append(harness.Emulator(a.crmx_emulate, kind, *args))
        for (kind, _, _, doc), emu in zip(sc["emulators"], emulators):
            if doc:
                prisms.append(Prism(a.prism, os.path.join(a.specs, f"{doc}.openapi.json"), emu.url,
                                    os.path.join(d, f"prism-{kind}.log")))
            else:
                prisms.append(None)
        for (kind, _, _, doc), p in zip(sc["emulators"], prisms):
            if p:
                p.wait()
                status, body = probe(p.url, doc)
                check(status == 422 and "UNPROCESSABLE_ENTITY" in body,
                      f"{sc['name']}: {doc}: Prism let a request that breaks the document through: {status} {body[:300]}")
        text = open(os.path.join(os.path.dirname(sc["spec"]), "crmx.profiles.yaml"), encoding="utf-8").read()
        for (kind, _, placeholder, doc), emu, p in zip(sc["emulators"], emulators, prisms):
            if doc:
                r = routing.Router(routing.Routes.load(os.path.join(a.specs, f"{doc}.routes.json")), p.url, emu.url, kind)
                routers.append((doc, r))
                text = text.replace(placeholder, r.url)
            else:
                text = text.replace(placeholder, emu.url)
        for old, new in sc["replace"].items():
            text = text.replace(old, new.format(work=d))
        profile = os.path.join(d, "crmx.profiles.yaml")
        with open(profile, "w", encoding="utf-8") as f:
            f.write(text)
        # Run 1 writes what the example promises; run 2, with the state's cursors, reads changes
        # (HubSpot's search, Xero's If-Modified-Since...) and writes nothing.
        for n in (1, 2):
            code, out, err = harness.run([a.crmx_run, "run", plan, "--profiles", profile, "--target", "emulators",
                                          "--state", os.path.join(d, "state.db"),
                                          "--queues", os.path.join(d, f"queues-{n}"), "--report", "json",
                                          "--progress", "never"], env=sc["env"], check=False)
            if not check(code == 0, f"{sc['name']}: run {n}: crmx-run exit {code}: {err[-1500:]}"):
                break
            got = {k: m["written"] for k, m in json.loads(out)["maps"].items()}
            if n == 1:
                want = written_counts(json.load(open(os.path.join(os.path.dirname(sc["spec"]),
                                                                  "expected_summary.json"))))
            else:
                want = {k: 0 for k in got}
            check(got == want, f"{sc['name']}: run {n}: written {got}, expected {want}")
        seen = []
        unlisted = set()
        summary = {}
        for doc, r in routers:
            ops = collections.Counter()
            around = collections.Counter()
            for rec in r.log:
                if rec["via"] == "prism":
                    ops[f"{rec['method']} {rec['operation']}"] += 1
                    problems = list(rec["violations"])
                    if "prism_error" in rec:
                        # Prism's own error: its validation list says why; without one (a security
                        # or routing error), the error itself is the problem.
                        pe = rec["prism_error"]
                        listed = [v for v in pe.get("validation") or [] if v not in problems]
                        problems += [{"location": v.get("location"), "severity": v.get("severity"),
                                      "message": v.get("message", "")} for v in listed]
                        if not pe.get("validation"):
                            problems.append({"location": ["prism"], "severity": "Error",
                                             "message": f"{pe['type']}: {pe['detail']}"})
                    for v in problems:
                        key = deviation_key(doc, rec, v)
                        reason = known.match(key)
                        if reason is None:
                            check(False, f"{sc['name']}: {doc}: {key[1]}: {v.get('severity')} at {key[2]}: {key[3]} "
                                         f"(status {rec['status']}, path {rec['path']})")
                        else:
                            seen.append(reason)
                else:
                    op = f"{rec['method']} {rec['path']}"
                    reason = known.undocumented(doc, rec["method"], rec["path"])
                    if reason is None:
                        if op not in unlisted:
                            check(False, f"{sc['name']}: {doc}: {op}: not in the vendor's document and not listed as "
                                         f"undocumented in known_deviations.json")
                        unlisted.add(op)
                    else:
                        seen.append(reason)
                        around[reason["what"]] += 1
            summary[doc] = {"checked_by_prism": dict(sorted(ops.items())), "around_prism": dict(sorted(around.items()))}
        exercised = {f"{x['method']} {x['operation']}" for _, r in routers for x in r.log
                     if x["via"] == "prism" and x["status"] < 400}
        for must in sc["must"]:
            check(must in exercised, f"{sc['name']}: {must} was not exercised through Prism (with a 2xx/3xx answer)")
        print(f"{sc['name']}:", json.dumps(summary, indent=1))
        return seen
    finally:
        for _, r in routers:
            r.stop()
        for p in prisms:
            if p:
                p.stop()
        for e in emulators:
            e.stop()


class Known:
    """known_deviations.json: the violations that are the vendor document's fault, and the
    requests the documents do not describe, each with its reason."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        self.violations = data["violations"]
        self.undocumented_ = data["undocumented"]
        for e in self.violations + self.undocumented_:
            if not e.get("reason"):
                raise ValueError(f"known_deviations.json: an entry without a reason: {e}")

    def match(self, key):
        vendor, operation, location, message = key
        for e in self.violations:
            if (e["vendor"] == vendor and re.fullmatch(e["operation"], operation)
                    and re.search(e["location"], location or "")
                    and re.search(e["message"], message)):
                return e
        return None

    def undocumented(self, vendor, method, path):
        for e in self.undocumented_:
            if e["vendor"] == vendor and re.fullmatch(e["method"], method) and re.search(e["path"], path):
                return e
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("crmxc")
    ap.add_argument("crmx_run")
    ap.add_argument("crmx_emulate")
    ap.add_argument("--prism", required=True)
    ap.add_argument("--specs", required=True)
    ap.add_argument("--known", default=os.path.join(HERE, "known_deviations.json"))
    ap.add_argument("--only", help="run one example")
    a = ap.parse_args()
    if not os.path.isdir(REAL):
        print(f"SKIPPED: {REAL} not found: the OpenAPI conformance test did not run")
        return 0
    known = Known(a.known)
    check = harness.Checks()
    work = harness.workdir()
    seen = []
    response_probe(a, work, check)
    for sc in SCENARIOS:
        if a.only and sc["name"] != a.only:
            continue
        seen += run_scenario(a, sc, known, check, work)
    if not a.only:
        for e in known.violations + known.undocumented_:
            check(any(e is s for s in seen), f"known_deviations.json: no longer happens, remove it: {json.dumps(e)}")
    return check.done("openapi_conformance", "the connectors' requests and the emulators' responses match the "
                      "vendors' OpenAPI documents, except the listed deviations")


if __name__ == "__main__":
    sys.exit(main())
