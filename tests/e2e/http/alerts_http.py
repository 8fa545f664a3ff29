#!/usr/bin/env python3
"""Alerts and notifications end to end over HTTP (docs/serve.md, "Alerts and notifications"):
the north star with its alert shortened to `for 2s` and told to the finance-ops channel too, run
against `crmx-emulate salesforce` and `crmx-emulate netsuite`, then `crmx-run alerts` with a
profile whose `notify:` section sends email to an SMTP server this test runs and finance-ops to
a webhook (an HTTP server this test runs).

    alerts_http.py CRMXC CRMX_RUN CRMX_EMULATE

Checks:
- after the run, every sales order but one is approved in NetSuite (orderStatus Pending
  Fulfillment): the first `crmx-run alerts` starts one timer and tells no one;
- a dry run after 2s says it would tell the order's owner and finance-ops, and sends nothing;
- `crmx-run alerts` then sends exactly one email, to the owner of the order's opportunity (its
  OwnerId's User's Email, read from Salesforce), a proper RFC 5322 message, and one webhook POST
  with a Slack-compatible body;
- `crmx-run alerts` again (a new process: a restart) sends nothing more;
- the order approved, the alert clears (recorded in the state) and nothing more is sent;
- the webhook's URL (a secret) is in no output and not in the state file; the built-in alerts
  (the north star's red failure rate) went to the log."""
import email
import email.policy
import http.server
import json
import os
import shutil
import socketserver
import sqlite3
import sys
import threading
import time
import types
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import serving  # noqa: E402
from reconcile_http import netsuite_patch  # noqa: E402

WEBHOOK_PATH = "/services/T0CRMX/B0CRMX/alerts-hook-secret-7f3a"
OWNERS = {  # the north star's opportunity owners, as users of the Salesforce emulator
    "005Hp00001jSj8AIAS": "dana.fox@acme.example",
    "005Hp0000I0EtKiIQK": "eli.ng@acme.example",
    "005Hp0000jIaEgNIAV": "fay.ruiz@acme.example",
    "005Hp0000jLxfqxIAB": "gus.moore@acme.example",
    "005Hp0000k3wHY5IAM": "hana.sato@acme.example",
    "005Hp0000vXgvh6IAB": "ivo.berg@acme.example",
}


class SmtpHandler(socketserver.StreamRequestHandler):
    """One SMTP session (RFC 5321's commands a client sends for one message); every message
    received is appended to server.messages as (mail_from, [rcpt], data)."""

    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self.reply("220 alerts-test ESMTP")
        mail_from, rcpts = None, []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250-alerts-test\r\n250 8BITMIME\r\n")
            elif verb == "MAIL":
                mail_from, rcpts = line[10:].strip().split(" ")[0].strip("<>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpts.append(line[8:].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                data = []
                while True:
                    l = self.rfile.readline()
                    if not l or l == b".\r\n":
                        break
                    data.append(l[1:] if l.startswith(b"..") else l)
                self.server.messages.append((mail_from, rcpts, b"".join(data)))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


class WebhookHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.posts.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def serve(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_spec(work):
    """A copy of the example with the alert shortened to 2s and told to finance-ops too."""
    spec_dir = os.path.join(work, "spec")
    shutil.copytree(harness.EXAMPLE, spec_dir, ignore=shutil.ignore_patterns("data", "*.db"))
    path = os.path.join(spec_dir, "acme.crmx")
    text = open(path, encoding="utf-8").read()
    old = 'when status == "Pending Approval" for 48h\n    notify owner_of(crm.Opportunity)'
    if old not in text:
        raise RuntimeError("the example's pending_approval alert is not written as this test expects")
    text = text.replace(old, 'when status == "Pending Approval" for 2s\n    notify owner_of(crm.Opportunity), "finance-ops"')
    open(path, "w", encoding="utf-8").write(text)
    return path


def main():
    crmxc, crmx_run, emulate = sys.argv[1:4]
    work = harness.workdir()
    plan = os.path.join(work, "acme.plan.json")
    harness.run([crmxc, "build", test_spec(work), "-o", plan])
    crm_data = os.path.join(work, "crm")
    shutil.copytree(os.path.join(harness.EXAMPLE, "data", "crm"), crm_data)
    with open(os.path.join(crm_data, "User.jsonl"), "w", encoding="utf-8") as f:
        for uid, mail in OWNERS.items():
            f.write(json.dumps({"Id": uid, "Username": mail, "LastName": mail.split("@")[0], "Email": mail,
                                "IsActive": True}) + "\n")

    class Smtp(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True
    smtp = serve(Smtp(("127.0.0.1", 0), SmtpHandler))
    smtp.messages = []
    hooks = serve(http.server.ThreadingHTTPServer(("127.0.0.1", 0), WebhookHandler))
    hooks.posts = []
    webhook_url = f"http://127.0.0.1:{hooks.server_address[1]}{WEBHOOK_PATH}"
    env = {"CRMX_TEST_FINANCE_OPS_WEBHOOK": webhook_url}

    sf = harness.Emulator(emulate, "salesforce", "--data", crm_data,
                          "--schemas", os.path.join(harness.EXAMPLE, "schemas", "salesforce"))
    ns = harness.Emulator(emulate, "netsuite", "--schemas", os.path.join(harness.EXAMPLE, "schemas", "netsuite"))
    check = harness.Checks()
    outputs = []
    try:
        profile = harness.write_profile(os.path.join(work, "crmx.profiles.yaml"), sf.url, ns.url)
        with open(profile, "a", encoding="utf-8") as f:
            f.write(f"""
notify:
  smtp:
    url: smtp://127.0.0.1:{smtp.server_address[1]}
    from: crmx-alerts@acme.example
  channels:
    finance-ops:
      webhook: env:CRMX_TEST_FINANCE_OPS_WEBHOOK
alerts:
  every: 1s
""")
        state = os.path.join(work, "state.db")
        systems = ["--profiles", profile, "--target", "emulators", "--state", state]
        harness.run([crmx_run, "run", plan, *systems, "--progress", "never"], env=env)

        def alerts(*extra):
            code, out, err = harness.run([crmx_run, "alerts", plan, *systems, "--format", "json", *extra], env=env,
                                         check=False)
            outputs.extend([out, err])
            if not check(code == 0, f"crmx-run alerts {' '.join(extra)} exited {code}\n{out}\n{err}"):
                return {}, err
            return json.loads(out), err

        # Every order but one approved.
        orders = sorted(ns.records("SalesOrder"), key=lambda o: o["externalId"])
        check(len(orders) > 10, f"the run wrote {len(orders)} sales orders")
        check(all(o.get("status") == "Pending Approval" for o in orders), "new sales orders are Pending Approval")
        kept = orders[len(orders) // 2]
        approve = lambda o: netsuite_patch(ns, "salesOrder", o["id"],  # noqa: E731
                                           {"orderStatus": {"id": "2"}}, {})
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(approve, [o for o in orders if o["id"] != kept["id"]]))
        pending = [o["id"] for o in ns.records("SalesOrder") if o.get("status") == "Pending Approval"]
        check(pending == [kept["id"]], f"pending after approving all but one: {pending[:5]}")
        opp = next(o for o in sf.records("Opportunity") if o["Id"] == kept["externalId"])
        owner_mail = OWNERS[opp["OwnerId"]]

        # 1. The timer starts; nobody is told yet.
        first, _ = alerts()
        check(first.get("started", 0) >= 1, f"first evaluation started no timer: {first}")
        check(not any(l.startswith("fired pending_approval") for l in first.get("lines", [])), f"fired at once: {first}")
        check(smtp.messages == [] and hooks.posts == [], "first evaluation told someone")
        # The built-in failure-rate alert (account_to_customer is red in the north star) fires at
        # once, to the log (the profile names no channel for the built-in alerts).
        logged = [n["subject"] for n in first.get("notifications", []) if n["channel"] == "log"]
        check("[crmx] failure rate: account_to_customer" in logged, f"built-in alerts to the log: {logged}")
        time.sleep(2.5)

        # 2. A dry run: would tell the owner and finance-ops; sends nothing, changes nothing.
        r, _ = alerts("--dry-run")
        would = sorted(n["channel"] for n in r.get("notifications", []) if n["alert"] == "pending_approval")
        check(would == sorted([f"email:{owner_mail}", "webhook:finance-ops"]), f"dry run would send {would}")
        check(r.get("dry_run") is True, "the dry run says so")
        check(smtp.messages == [] and hooks.posts == [], "the dry run sent something")

        # 3. Fired: one email to the owner, one webhook POST.
        def crm_usage():
            db = sqlite3.connect(state)
            n = db.execute("SELECT coalesce(sum(amount), 0) FROM usage WHERE system = 'crm' AND metric = 'api_calls'"
                           ).fetchone()[0]
            db.close()
            return n
        usage_before = crm_usage()
        r, _ = alerts()
        # The owner's lookup read Salesforce: its calls count against crm's api_calls budget (the
        # rest of the alerts' calls read NetSuite, which has none).
        check(0 < crm_usage() - usage_before <= r.get("calls", 0),
              f"the alerts' {r.get('calls')} calls are counted in crm's budget: {usage_before} -> {crm_usage()}")
        fired = [l for l in r.get("lines", []) if l.startswith("fired pending_approval")]
        check(len(fired) == 1 and f"erp.SalesOrder {kept['id']}" in fired[0], f"fired: {r.get('lines')}")
        sent = sorted(n["channel"] for n in r.get("notifications", [])
                      if n["alert"] == "pending_approval" and n["status"] == "sent")
        check(sent == sorted([f"email:{owner_mail}", "webhook:finance-ops"]), f"sent {sent}: {r.get('notifications')}")
        check(len(smtp.messages) == 1, f"{len(smtp.messages)} emails")
        check(len(hooks.posts) == 1, f"{len(hooks.posts)} webhook posts")
        if smtp.messages:
            mail_from, rcpts, data = smtp.messages[0]
            check(mail_from == "crmx-alerts@acme.example", f"MAIL FROM {mail_from}")
            check(rcpts == [owner_mail], f"RCPT TO {rcpts}, the owner is {owner_mail}")
            msg = email.message_from_bytes(data, policy=email.policy.default)
            check(msg["To"] == owner_mail and msg["From"] == "crmx-alerts@acme.example", f"headers {dict(msg)}")
            check(msg["Subject"] == f"[crmx] pending_approval: erp.SalesOrder {kept['id']} for 2s", f"subject {msg['Subject']}")
            check(msg["Date"] is not None and msg["Date"].datetime is not None, "a Date header")
            check(str(msg["Message-ID"]).endswith("@acme.example>"), f"Message-ID {msg['Message-ID']}")
            body = msg.get_content()
            check(kept["externalId"] in body and "status = Pending Approval" in body, f"body:\n{body}")
            check(b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b""), "CRLF line ends only")
        if hooks.posts:
            path, headers, body = hooks.posts[0]
            check(path == WEBHOOK_PATH, f"posted to {path}")
            j = json.loads(body)
            check(j["text"].startswith(f"[crmx] pending_approval: erp.SalesOrder {kept['id']}"), f"webhook text {j['text'][:200]}")
            check([b["type"] for b in j.get("blocks", [])] == ["header", "section"], f"blocks {j.get('blocks')}")

        # 4. Again, a new process: nothing more.
        r, _ = alerts()
        check(len(smtp.messages) == 1 and len(hooks.posts) == 1,
              f"after a restart: {len(smtp.messages)} emails, {len(hooks.posts)} posts")
        check(not [n for n in r.get("notifications", []) if n["alert"] == "pending_approval"],
              f"a restart sent again: {r.get('notifications')}")

        # 5. Approved: cleared, recorded; nothing sent.
        approve(kept)
        r, _ = alerts()
        check(any(l.startswith(f"cleared pending_approval: erp.SalesOrder {kept['id']}") for l in r.get("lines", [])),
              f"cleared: {r.get('lines')}")
        check(len(smtp.messages) == 1 and len(hooks.posts) == 1, "clearing sent something")
        db = sqlite3.connect(state)
        check(db.execute("SELECT count(*) FROM alert_timers WHERE alert = 'pending_approval'").fetchone()[0] == 0,
              "a timer is left")
        check(db.execute("SELECT count(*) FROM alert_clears WHERE alert = 'pending_approval' AND record_key = ?",
                         (kept["id"],)).fetchone()[0] == 1, "the clear is not recorded")
        rows = db.execute("SELECT channel, status, attempts FROM notifications WHERE alert = 'pending_approval' "
                          "ORDER BY channel").fetchall()
        check(rows == sorted([(f"email:{owner_mail}", "sent", 1), ("webhook:finance-ops", "sent", 1)]),
              f"notification rows {rows}")
        db.close()
        # 6. Under crmx-run serve (alerts evaluated every second): a new closed-won opportunity
        #    becomes a Pending Approval order, which is told exactly once, across a restart of serve.
        world = types.SimpleNamespace(crmx_run=crmx_run, plan=plan, profile=profile, state=state)
        opp2 = serving.open_opportunities(sf, ns)[0]
        owner2 = OWNERS[next(o for o in sf.records("Opportunity") if o["Id"] == opp2)["OwnerId"]]
        srv = serving.Serve(world, "--poll", "1s", env=env)
        try:
            srv.wait_for(lambda: len(srv.syncs("won_to_order")) >= 1, 60, "won_to_order under serve")
            serving.close_won(sf, opp2)
            srv.wait_for(lambda: serving.order_of(ns, opp2) is not None, 60, f"the sales order of {opp2}")
            order2 = serving.order_of(ns, opp2)
            srv.wait_for(lambda: len(smtp.messages) >= 2 and len(hooks.posts) >= 2, 60,
                         "serve's alert email and webhook post for the new order")
            time.sleep(2.5)  # a few more evaluations: nothing more is sent
            st, text = srv.get("/metrics")
            samples = serving.parse_prometheus(text) if st == 200 else {}
            told = sum(e.get("sent", 0) for e in srv.events if e.get("event") == "alerts")
            counted = serving.metric(samples, "crmx_notifications_total", result="sent")
            check(counted >= 2 and counted == told,
                  f"crmx_notifications_total{{result=sent}} is {counted}: the alerts events say {told}, 2 at least")
            rc = srv.stop()
            outputs.extend(json.dumps(e) for e in srv.events)
            check(rc == 0, f"serve exits 0 on SIGTERM: {rc}")
        finally:
            if srv.proc.poll() is None:
                srv.stop()
        check(len(smtp.messages) == 2 and len(hooks.posts) == 2,
              f"under serve: {len(smtp.messages)} emails, {len(hooks.posts)} posts (2 each expected)")
        if len(smtp.messages) >= 2:
            msg = email.message_from_bytes(smtp.messages[1][2], policy=email.policy.default)
            check(smtp.messages[1][1] == [owner2] and msg["Subject"] == f"[crmx] pending_approval: erp.SalesOrder "
                  f"{order2['id']} for 2s", f"serve's email: to {smtp.messages[1][1]}, {msg['Subject']}")
        check(any(e.get("event") == "alerts" and any(l.startswith("fired pending_approval") for l in e.get("lines", []))
                  for e in srv.events), "serve logs the alert it fired")
        srv = serving.Serve(world, "--poll", "1s", env=env)
        try:
            time.sleep(4)
            rc = srv.stop()
            outputs.extend(json.dumps(e) for e in srv.events)
        finally:
            if srv.proc.poll() is None:
                srv.stop()
        check(len(smtp.messages) == 2 and len(hooks.posts) == 2,
              f"after serve restarted: {len(smtp.messages)} emails, {len(hooks.posts)} posts")
        # The webhook's URL is a secret: in no output, not in the state file.
        secret = WEBHOOK_PATH.split("/")[-1]
        check(not any(secret in o for o in outputs), "the webhook URL was printed")
        check(secret.encode() not in open(state, "rb").read(), "the webhook URL is in the state file")
    finally:
        sf.stop()
        ns.stop()
        smtp.shutdown()
        hooks.shutdown()
    return check.done("alerts over HTTP", "one order left Pending Approval past 2s told its owner by email and "
                      "finance-ops by webhook exactly once, across a restart; cleared once approved")


if __name__ == "__main__":
    sys.exit(main())
