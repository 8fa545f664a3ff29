#!/usr/bin/env python3
"""The console's browser test: the emulators, the north star and serve (console_world.py), then
browser.mjs in headless Chromium (puppeteer-core), then the NetSuite emulator's journal and
serve's log checked from here.

    browser_test.py CRMXC CRMX_RUN CRMX_EMULATE NODE NODE_MODULES SHOTS

Chromium is /usr/bin/chromium (scripts/setup.sh installs Debian's `chromium`), or $CHROMIUM. A
missing browser fails the test, loudly; CRMX_SKIP_BROWSER=1 turns that into a skip (exit 77),
still loud, for a machine without one."""
import os
import shutil
import subprocess
import sys

import console_world as cw
import harness

SKIP = 77


def main():
    crmxc, crmx_run, emulate, node, modules, shots = sys.argv[1:7]
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(chromium, os.X_OK):
        what = f"console browser test: no Chromium at {chromium} (apt-get install chromium, or scripts/setup.sh)"
        if os.environ.get("CRMX_SKIP_BROWSER") == "1":
            print("=" * 78 + f"\nSKIPPED (CRMX_SKIP_BROWSER=1): {what}\n" + "=" * 78)
            return SKIP
        print(f"FAIL: {what}; set CRMX_SKIP_BROWSER=1 to skip it on purpose")
        return 1
    check = harness.Checks()
    w = cw.ConsoleWorld(crmxc, crmx_run, emulate)
    try:
        env = dict(os.environ)
        env.update({"CONSOLE_URL": w.url, "SF_URL": w.world.sf.url, "NS_URL": w.world.ns.url,
                    "OPERATOR_TOKEN": cw.OPERATOR_TOKEN, "READER_TOKEN": cw.READER_TOKEN,
                    "SF_CLIENT_SECRET": harness.TEST_ENV["CRMX_SF_CLIENT_SECRET"], "SHOTS": shots,
                    "CHROMIUM": chromium, "NODE_PATH": modules})
        script = os.path.join(cw.HERE, "browser.mjs")
        # An ES module finds its packages from its own folder up: run a copy beside node_modules.
        copy = os.path.join(os.path.dirname(modules), "browser.mjs")
        shutil.copyfile(script, copy)
        p = subprocess.run([node, copy], env=env, capture_output=True, text=True, timeout=600)
        print(p.stdout)
        if p.stderr.strip():
            print(p.stderr[-3000:])
        check(p.returncode == 0, f"browser.mjs exited {p.returncode}")
        written = [e for e in w.world.ns.journal() if e.get("object") == "Customer" and e.get("op") == "created"]
        print(f"NetSuite journal: {len(written)} customers created in all")
    finally:
        rc = w.stop()
    check(rc == 0, f"serve exited {rc} on SIGTERM")
    log = w.stderr_text()
    for token in cw.TOKENS:
        check(token not in log, "a console token appears in serve's stderr")
        check(token not in p.stdout, "a console token appears in the browser's output")
    for name in ("overview.png", "queue-held.png"):
        check(os.path.getsize(os.path.join(shots, name)) > 10000, f"screenshot {name} missing or empty")
    return check.done("console in a browser", f"the browser scenario passed; screenshots in {shots}")


if __name__ == "__main__":
    sys.exit(main())
