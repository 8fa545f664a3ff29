"""Shared pieces of the tests that run crmx against the vendor emulators (crmx-emulate):
start and stop emulators, write a profile naming them, run crmxc/crmx-run, read the emulators'
journals and records. Standard library only."""
import collections
import json
import os
import shutil
import signal
import subprocess
import tempfile
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
EXAMPLE = os.path.join(ROOT, "examples", "acme-salesforce-netsuite")

# The emulators' test credentials (crmx-emulate's defaults), passed to crmx-run through the
# environment as the profile's env: references say.
TEST_ENV = {
    "CRMX_SF_CLIENT_SECRET": "crmx-test-secret",
    "CRMX_NS_CONSUMER_KEY": "crmx-test-consumer-key",
    "CRMX_NS_CONSUMER_SECRET": "crmx-test-consumer-secret",
    "CRMX_NS_TOKEN_ID": "crmx-test-token-id",
    "CRMX_NS_TOKEN_SECRET": "crmx-test-token-secret",
}


class Emulator:
    """`crmx-emulate KIND --port 0 ARGS...`, running until stop() (SIGTERM, must exit 0)."""

    def __init__(self, binary, kind, *args):
        self.kind = kind
        self.proc = subprocess.Popen([binary, kind, "--port", "0", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            self.proc.kill()
            raise RuntimeError(f"crmx-emulate {kind} did not start: {line!r} {err}")
        self.url = line[len("listening on "):]

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=30) as r:
            return r.read().decode("utf-8")

    def post(self, path, body=b""):
        req = urllib.request.Request(self.url + path, data=body, method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read().decode("utf-8")

    def jsonl(self, path):
        return [json.loads(l) for l in self.get(path).splitlines() if l.strip()]

    def journal(self):
        return self.jsonl("/_emulator/journal")

    def records(self, obj):
        return self.jsonl(f"/_emulator/records/{obj}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise RuntimeError(f"crmx-emulate {self.kind} did not stop on SIGTERM")
        if self.proc.returncode != 0:
            raise RuntimeError(f"crmx-emulate {self.kind} exited {self.proc.returncode}")


def write_profile(path, sf_url=None, ns_url=None, target="emulators"):
    """The example's profile with the emulators' addresses (the example's emulators target)."""
    text = open(os.path.join(EXAMPLE, "crmx.profiles.yaml"), encoding="utf-8").read()
    if sf_url:
        text = text.replace("http://127.0.0.1:18081", sf_url)
    if ns_url:
        text = text.replace("http://127.0.0.1:18082", ns_url)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


# The start of the vendor tests' profiles: the target `emulators`, the default, with the Salesforce
# emulator at {sf} as the system `crm` (its test credentials, TEST_ENV's secret).
SALESFORCE_PROFILE = """default_target: emulators
targets:
  emulators:
    crm:
      kind: salesforce
      base_url: {sf}
      api_version: v61.0
      auth:
        method: oauth2_client_credentials
        client_id: crmx-test-client
        client_secret: env:CRMX_SF_CLIENT_SECRET
"""


def salesforce_profile(sf_url, systems):
    """A profile's text: SALESFORCE_PROFILE with the emulator at sf_url, then `systems`, the YAML of
    the target's other systems (members of `emulators`: indented by four spaces)."""
    return SALESFORCE_PROFILE.format(sf=sf_url) + systems


def hubspot_schemas_with_key(work, objects, name, label, description, group):
    """schemas/hubspot copied under `work`, with a custom text property of unique values (what a
    test upserts by) added to `objects` (`companies`, `deals`); returns the copy's folder."""
    d = os.path.join(work, "hubspot-schemas")
    shutil.copytree(os.path.join(ROOT, "schemas", "hubspot"), d)
    path = os.path.join(d, f"{objects}.properties.json")
    doc = json.load(open(path))
    doc["results"].append({
        "name": name, "label": label, "type": "string", "fieldType": "text", "description": description,
        "groupName": group, "options": [], "calculated": False, "externalOptions": False, "hasUniqueValue": True,
        "hidden": False, "formField": False,
        "modificationMetadata": {"archivable": True, "readOnlyDefinition": False, "readOnlyValue": False}})
    json.dump(doc, open(path, "w"), indent=1)
    return d


def run(cmd, env=None, check=True):
    """Runs a command; returns (code, stdout, stderr). check: fail loudly unless it exits 0."""
    full_env = dict(os.environ)
    full_env.update(TEST_ENV)
    if env:
        full_env.update(env)
    p = subprocess.run(cmd, capture_output=True, text=True, env=full_env)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p.returncode, p.stdout, p.stderr


def workdir():
    return tempfile.mkdtemp(prefix="crmx-http-")


class Checks:
    """A test's checks: each failed one is kept with what it says; done() prints them and
    returns the exit status (1 when any failed)."""

    def __init__(self):
        self.failures = []

    def __call__(self, cond, what):
        if not cond:
            self.failures.append(what)
        return cond

    def done(self, name, summary):
        for f in self.failures:
            print("FAIL:", f)
        if self.failures:
            print(f"{name}: {len(self.failures)} failures")
            return 1
        print(f"{name}: {summary}")
        return 0


def runs_until_settled(crmx_run, plan, profile, state_dir, map_name, env, check, secrets=(), secret_pattern=None,
                       max_runs=6, min_runs=1):
    """Runs `crmx-run run PLAN` (state and queues in `state_dir`, retries due after 20 s) until
    `map_name` has nothing left retrying, at least `min_runs` and at most `max_runs` times, the
    way an operator reruns after faults. Every run's output is checked to hold none of `secrets`
    and nothing `secret_pattern` (a compiled regex) matches; a run that exits 1 must say why on
    its last line. Returns (runs, report): per run {"exit", "written", "retrying", "dead",
    "calls"} ({"exit": 1, "why"} for a failed one), and the last successful run's JSON report."""
    runs, report = [], None
    for n in range(max_runs):
        code, out, err = run([crmx_run, "run", plan, "--profiles", profile, "--state",
                              os.path.join(state_dir, "state.db"), "--queues", os.path.join(state_dir, "queues"),
                              "--report", "json", "--progress", "never", "--retry-wait", "20s"], env=env, check=False)
        for secret in secrets:
            check(secret not in out and secret not in err, f"run {n}: a secret ({secret[:4]}...) appears in crmx-run's output")
        if secret_pattern is not None:
            check(not secret_pattern.search(out) and not secret_pattern.search(err),
                  f"run {n}: a token appears in crmx-run's output")
        if code == 1:
            last = err.strip().splitlines()[-1] if err.strip() else ""
            check(last.startswith("error:"), f"run {n}: exit 1 without saying why: {err[-300:]!r}")
            runs.append({"exit": 1, "why": last[:200]})
            continue
        if not check(code == 0, f"run {n}: exit {code}: {err[-800:]}"):
            break
        report = json.loads(out)
        m = report["maps"][map_name]
        runs.append({"exit": 0, "written": m["written"], "retrying": m["retrying"]["count"],
                     "dead": m["dead_letter"]["count"], "calls": m.get("api_calls")})
        if m["retrying"]["count"] == 0 and n + 1 >= min_runs:
            break
    return runs, report


def check_exactly_once(check, label, want, records, key, value, journal, journal_object, noun):
    """Checks that the target holds exactly the records of a fault-free run: `want` maps each
    record's `key` field to its `value` field; `records` are what the target emulator holds; its
    `journal` (entries with "object", "op", "key") created each one once. Returns (got, created)."""
    got = {r[key]: r.get(value) for r in records}
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    check(not missing, f"{label}: {len(missing)} {noun} missing: {missing[:5]}")
    check(not extra, f"{label}: unexpected {noun}: {extra[:5]}")
    wrong = [k for k in want if k in got and got[k] != want[k]]
    check(not wrong, f"{label}: {value} differs for {wrong[:5]}")
    keys = collections.Counter(r[key] for r in records)
    check(all(n == 1 for n in keys.values()), f"{label}: a {key} twice in the target: "
          f"{[k for k, n in keys.items() if n > 1][:5]}")
    created = collections.Counter(e["key"] for e in journal if e["object"] == journal_object and e["op"] == "created")
    twice = [k for k, n in created.items() if n > 1]
    check(not twice, f"{label}: created twice: {twice[:5]}")
    check(set(created) == set(want), f"{label}: journal creations {len(created)} != {len(want)} {noun}")
    return got, created
