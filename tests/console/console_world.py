"""What the console's tests share (console_http.py, browser_test.py): the north star against the
Salesforce and NetSuite emulators (tests/e2e/http/serving.py's World: the plan built, an initial
`crmx-run run`), a profile with two console logins (an operator and a read-only one, their tokens
from the environment), `crmx-run serve` with the console and the graph, and a small HTTP client
that follows no redirect and keeps nothing between calls. Standard library only."""
import http.client
import json
import os
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e", "http"))
import harness  # noqa: E402
import serving  # noqa: E402

OPERATOR_TOKEN = "crmx-test-console-operator-7f3a9c1e5b"
READER_TOKEN = "crmx-test-console-reader-2d8e4b6f0a"
TOKENS = (OPERATOR_TOKEN, READER_TOKEN)
ENV = {"CRMX_TEST_CONSOLE_OPERATOR": OPERATOR_TOKEN, "CRMX_TEST_CONSOLE_READER": READER_TOKEN}
CONSOLE_PROFILE = """
console:
  logins:
    ann: {role: operator, token: env:CRMX_TEST_CONSOLE_OPERATOR}
    audit: {role: read_only, token: env:CRMX_TEST_CONSOLE_READER}
  session: 1h
"""


class ConsoleWorld:
    """The emulators, the north star loaded once, and serve with the console on a free port."""

    def __init__(self, crmxc, crmx_run, emulate):
        self.world = serving.World(crmxc, crmx_run, emulate)
        with open(self.world.profile, "a", encoding="utf-8") as f:
            f.write(CONSOLE_PROFILE)
        self.graph = os.path.join(self.world.work, "graph.json")
        _, out, _ = harness.run([crmxc, "graph", os.path.join(harness.EXAMPLE, "acme.crmx"), "--format", "json"])
        with open(self.graph, "w", encoding="utf-8") as f:
            f.write(out)
        self.plan = json.load(open(self.world.plan, encoding="utf-8"))["plan"]
        self.serve = serving.Serve(self.world, "--graph", self.graph, "--poll", "1h", env=ENV)
        self.url = self.serve.url
        # serve runs every sync once at start: wait for them, so that the queues stand still.
        syncs = [s["map"] for s in self.plan["syncs"]]
        self.serve.wait_for(lambda: all(self.serve.syncs(s) for s in syncs), 120, "the first run of every sync")

    def stderr_text(self):
        with self.serve.lock:
            return "\n".join(json.dumps(e) for e in self.serve.events)

    def stop(self):
        rc = None
        try:
            rc = self.serve.stop()
        finally:
            self.world.stop()
        return rc


def request(url, method, path, form=None, cookie=None, headers=None):
    """One HTTP request to serve (no redirect followed); (status, headers as a lowercase dict of
    lists, body text)."""
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    h = dict(headers or {})
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        h["Content-Type"] = "application/x-www-form-urlencoded"
    if cookie:
        h["Cookie"] = cookie
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    got = {}
    for k, v in r.getheaders():
        got.setdefault(k.lower(), []).append(v)
    text = r.read().decode("utf-8", "replace")
    conn.close()
    return r.status, got, text


def log_in(url, token, headers=None):
    """Logs in with `token`; (status, the Set-Cookie header, the cookie to send back)."""
    status, h, _ = request(url, "POST", "/login", form={"token": token}, headers=headers)
    set_cookie = (h.get("set-cookie") or [""])[0]
    return status, set_cookie, set_cookie.split(";", 1)[0]


def csrf_of(page):
    """The CSRF token in a page's forms."""
    marker = 'name="csrf" value="'
    at = page.find(marker)
    if at < 0:
        return None
    return page[at + len(marker):page.index('"', at + len(marker))]
