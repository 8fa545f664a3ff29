"""What the end-to-end tests written in Python share: a check that records its failure and goes
on (so one run shows every mismatch), the exit that reports them, the JSON Lines reader of the
bundled data, and a work directory with the north star built and its data copied."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NORTH_STAR = os.path.join(ROOT, "examples", "acme-salesforce-netsuite")

FAILURES = []


def check(ok, what):
    """Records `what` as failed unless `ok`; returns `ok`."""
    if not ok:
        FAILURES.append(what)
        print("FAILED: " + what, flush=True)
    return ok


def finish(name):
    """Exits 1 naming every failed check, else 0."""
    if FAILURES:
        print(f"{name}: {len(FAILURES)} check(s) failed", flush=True)
        sys.exit(1)
    print(f"{name}: ok", flush=True)
    sys.exit(0)


def run_scenario(name, scenario, cleanup):
    """Runs `scenario()`: an exception fails the test with its traceback (a command whose output
    was not what the scenario expected); `cleanup()` runs in any case; then exits as finish()."""
    try:
        scenario()
    except Exception:
        check(False, "the scenario stopped:\n" + traceback.format_exc())
    finally:
        cleanup()
    finish(name)


def read_jsonl(path):
    """The records of a JSON Lines file; lines that are not JSON objects are left out."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if isinstance(r, dict):
                out.append(r)
    return out


class NorthStar:
    """A fresh work directory (under TMPDIR, named `prefix`...) with the north star's plan built
    (`plan`) and a copy of its bundled Salesforce data (`crm`); `erp` and `state` name a SQLite
    ERP database and a state file there (not created), `systems` the --system options for both."""

    def __init__(self, crmxc, prefix):
        self.work = tempfile.mkdtemp(prefix=prefix)
        self.crm = os.path.join(self.work, "crm")
        shutil.copytree(os.path.join(NORTH_STAR, "data", "crm"), self.crm)
        self.erp = os.path.join(self.work, "erp.db")
        self.state = os.path.join(self.work, "state.db")
        self.plan = os.path.join(self.work, "acme.plan.json")
        subprocess.run([crmxc, "build", os.path.join(NORTH_STAR, "acme.crmx"), "-o", self.plan], check=True,
                       capture_output=True)
        self.systems = ["--system", f"crm={self.crm}", "--system", f"erp={self.erp}"]
