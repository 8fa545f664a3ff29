#!/usr/bin/env python3
"""No secret from a profile appears in any output of a failing run.

    secrets_http.py CRMXC CRMX_RUN CRMX_EMULATE

The emulators are started with credentials the profile does not have. crmx-run is given
distinctive secret values through the environment (as the profile's env: references say) and
must: fail (exit 1) saying which login failed; and print none of the secret values, on stdout,
stderr, in the state file or the queue files, for `run` and `check-connection`, with Salesforce
client credentials and NetSuite token-based authentication (whose signature is computed from the
secrets). A profile holding a literal secret is refused without echoing it."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

SECRETS = {
    "CRMX_SF_CLIENT_SECRET": "sf-SECRET-must-not-leak-0a1b2c3d4e",
    "CRMX_NS_CONSUMER_KEY": "ns-KEY-must-not-leak-5f6a7b8c9d",
    "CRMX_NS_CONSUMER_SECRET": "ns-SECRET-must-not-leak-1e2f3a4b5c",
    "CRMX_NS_TOKEN_ID": "ns-TOKENID-must-not-leak-6d7e8f9a0b",
    "CRMX_NS_TOKEN_SECRET": "ns-TOKENSECRET-must-not-leak-c1d2e3f4",
}


def leaks(text):
    return [name for name, value in SECRETS.items() if value in text]


def main():
    crmxc, crmx_run, emulate = sys.argv[1:4]
    work = harness.workdir()
    plan = os.path.join(work, "acme.plan.json")
    harness.run([crmxc, "build", os.path.join(harness.EXAMPLE, "acme.crmx"), "-o", plan])
    failures = []
    sf = harness.Emulator(emulate, "salesforce", "--data", os.path.join(harness.EXAMPLE, "data", "crm"),
                          "--schemas", os.path.join(harness.EXAMPLE, "schemas", "salesforce"))
    ns = harness.Emulator(emulate, "netsuite", "--schemas", os.path.join(harness.EXAMPLE, "schemas", "netsuite"))
    try:
        profile = harness.write_profile(os.path.join(work, "crmx.profiles.yaml"), sf.url, ns.url)
        state, queues = os.path.join(work, "state.db"), os.path.join(work, "queues")
        # Runs against NetSuite alone need a writable copy of the export in place of Salesforce
        # (order_status_back writes to it).
        crm_copy = os.path.join(work, "crm")
        os.makedirs(crm_copy)
        for name in os.listdir(os.path.join(harness.EXAMPLE, "data", "crm")):
            with open(os.path.join(harness.EXAMPLE, "data", "crm", name), "rb") as s, \
                    open(os.path.join(crm_copy, name), "wb") as d:
                d.write(s.read())
        common = ["--profiles", profile, "--state", state, "--queues", queues, "--progress", "never"]
        cases = [
            ("run, Salesforce login refused", [crmx_run, "run", plan, *common], "crm"),
            ("check-connection, both refused", [crmx_run, "check-connection", plan, "--profiles", profile], "crm"),
            ("run, NetSuite signature refused", [crmx_run, "run", plan, "--system", f"crm={crm_copy}", *common], "erp"),
        ]
        for label, cmd, system in cases:
            code, out, err = harness.run(cmd, env=SECRETS, check=False)
            if code != 1:
                failures.append(f"{label}: exit {code}, expected 1\n{out}\n{err}")
            if system and f"{system}" not in out + err:
                failures.append(f"{label}: the failing system is not named:\n{out}\n{err}")
            found = leaks(out + err)
            if found:
                failures.append(f"{label}: secrets printed: {found}\n{out}\n{err}")
            print(f"{label}: exit {code}; said: {(err or out).strip().splitlines()[-1] if (err or out).strip() else ''}")
        for root, _, files in os.walk(work):
            for f in files:
                path = os.path.join(root, f)
                if path.endswith(".yaml"):
                    continue
                data = open(path, "rb").read().decode("utf-8", "replace")
                found = leaks(data)
                if found:
                    failures.append(f"{path}: holds secrets {found}")
        # A literal secret in the profile is refused, and not repeated.
        literal = os.path.join(work, "literal.yaml")
        text = open(profile).read().replace("client_secret: env:CRMX_SF_CLIENT_SECRET",
                                            f"client_secret: {SECRETS['CRMX_SF_CLIENT_SECRET']}")
        open(literal, "w").write(text)
        code, out, err = harness.run([crmx_run, "run", plan, "--profiles", literal, "--progress", "never"], check=False)
        if code == 0 or "client_secret" not in err or leaks(out + err):
            failures.append(f"literal secret: exit {code}, said {err!r}")
        print(f"literal secret in the profile: exit {code}; said: {err.strip().splitlines()[0] if err.strip() else ''}")
    finally:
        sf.stop()
        ns.stop()
    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print("secrets: failing logins printed no secret, and none is in the state or queue files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
