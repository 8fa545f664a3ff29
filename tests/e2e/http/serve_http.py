#!/usr/bin/env python3
"""`crmx-run serve` against the emulators (the "Always on" issue):

    serve_http.py CRMXC CRMX_RUN CRMX_EMULATE

After an initial `crmx-run run` of the north star, serve starts with a poll interval too long to
matter (600s), so only webhooks move `won_to_order`:
- serve runs each sync once at start (none ran under serve before), and /healthz says ok;
- an opportunity is closed-won through the Salesforce API; an unsigned, a forged (wrong secret)
  and a 6-minute-old HubSpot v3 webhook are refused with 401 and change nothing (no sales order
  after them); a correct one is accepted and the sales order appears in NetSuite;
- /metrics parses as the Prometheus text format and counts the webhooks by result and the runs;
- SIGTERM stops serve with exit 0; a restart with `--poll 1s` does not run the hourly account
  sync again (its last due instant was kept in the state), and a second closed-won opportunity
  becomes a sales order by polling, with no webhook."""
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import serving  # noqa: E402


def main():
    crmxc, crmx_run, emulate = sys.argv[1:4]
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)
            print("FAILED:", what)

    world = serving.World(crmxc, crmx_run, emulate)
    serve = None
    try:
        candidates = world.open_opportunities()
        if len(candidates) < 2:
            raise RuntimeError(f"the example has {len(candidates)} open opportunities of written accounts; need 2")
        serve = serving.Serve(world, "--poll", "600s")
        serve.wait_for(lambda: len(serve.syncs()) >= 3, 120, "the first run of each of the 3 syncs")
        first = {e["sync"]: e for e in serve.syncs()}
        check(set(first) == {"account_to_customer", "won_to_order", "order_status_back"}, f"first runs: {first}")
        check(all(e["ok"] for e in first.values()), f"the first runs failed: {first}")
        # The north star's `reconcile daily`: serve never ran it, so it runs at start, finding 0.
        serve.wait_for(lambda: any(e.get("event") == "reconcile" for e in serve.events), 60, "the daily reconciliation")
        rec = [e for e in serve.events if e.get("event") == "reconcile"]
        check(len(rec) == 1 and rec[0].get("ok") and rec[0].get("discrepancies") == 0 and rec[0].get("matched", 0) > 0,
              f"the daily reconciliation ran once at start with 0 discrepancies: {rec}")
        status, body = serve.get("/healthz")
        check(status == 200 and json.loads(body)["status"] == "ok", f"/healthz: {status} {body}")

        opp = candidates[0]
        closed_first = time.time()
        world.close_won(opp)
        before = len(serve.syncs("won_to_order"))
        payload = json.dumps([{"objectId": 1, "subscriptionType": "deal.propertyChange",
                               "propertyName": "dealstage", "occurredAt": int(time.time() * 1000)}]).encode()
        refused = {
            "unsigned": serving.hubspot_webhook(serve, payload, signed=False),
            "bad_signature": serving.hubspot_webhook(serve, payload, secret="not-the-secret"),
            "too_old": serving.hubspot_webhook(serve, payload, ts_ms=int(time.time() * 1000) - 6 * 60 * 1000),
        }
        for why, (st, text) in refused.items():
            check(st == 401 and why in text, f"a {why} webhook is refused with 401 naming it: {st} {text!r}")
        time.sleep(1.5)
        check(len(serve.syncs("won_to_order")) == before, "a refused webhook ran won_to_order")
        check(world.order_of(opp) is None, "a sales order appeared without an accepted webhook")
        sent = time.time()
        st, text = serving.hubspot_webhook(serve, payload)
        check(st == 200 and "accepted" in text, f"a correct webhook is accepted: {st} {text!r}")
        serve.wait_for(lambda: world.order_of(opp) is not None, 60, f"the sales order of {opp}")
        webhook_latency = time.time() - sent
        first_change_to_order = time.time() - closed_first  # the refused webhooks' wait included
        # The order is in NetSuite before the run ends (and logs, and counts): wait for that too.
        serve.wait_for(lambda: any(e.get("why") == "webhook" for e in serve.syncs("won_to_order")[before:]), 30,
                       "the end of the run the webhook started")
        by_webhook = [e for e in serve.syncs("won_to_order")[before:] if e.get("why") == "webhook"]
        check(len(by_webhook) == 1 and by_webhook[0].get("written") == 1,
              f"the webhook ran won_to_order once, writing 1 order: {by_webhook}")
        # The same signed delivery again: a replay, not processed a second time.
        st, text = serving.hubspot_webhook(serve, payload, ts_ms=None)
        check(st in (200, 202), f"a second correct webhook is answered: {st}")

        status, text = serve.get("/metrics")
        check(status == 200, f"/metrics answers {status}")
        try:
            samples = serving.parse_prometheus(text)
        except ValueError as e:
            samples = {}
            check(False, f"/metrics is not the Prometheus text format: {e}")
        for why in ("unsigned", "bad_signature", "too_old"):
            check(serving.metric(samples, "crmx_webhooks_total", system="crm", result=why) == 1,
                  f"crmx_webhooks_total{{result={why}}} is 1")
        check(serving.metric(samples, "crmx_webhooks_total", system="crm", result="accepted") >= 1,
              "crmx_webhooks_total{result=accepted} >= 1")
        check(serving.metric(samples, "crmx_sync_runs_total", sync="won_to_order", result="ok") >= 2,
              "crmx_sync_runs_total counts won_to_order's runs")
        check(serving.metric(samples, "crmx_records_total", map="won_to_order", outcome="written") >= 1,
              "crmx_records_total counts the written order")
        check(serving.metric(samples, "crmx_up") == 1, "crmx_up is 1")
        check(serving.metric(samples, "crmx_delivery_latency_seconds_count", sync="won_to_order") >= 1,
              "the delivery latency histogram has the webhook's run")

        rc = serve.stop()
        check(rc == 0, f"serve exits 0 on SIGTERM, got {rc}")
        check(any(e.get("event") == "stopping" for e in serve.events), "serve says it is stopping")

        # A restart: polling every second; the hourly sync is not run again at once.
        serve = serving.Serve(world, "--poll", "1s")
        serve.wait_for(lambda: len(serve.syncs("won_to_order")) >= 1, 30, "won_to_order polled after the restart")
        opp2 = candidates[1]
        closed = time.time()
        world.close_won(opp2)
        serve.wait_for(lambda: world.order_of(opp2) is not None, 60, f"the sales order of {opp2} by polling")
        poll_latency = time.time() - closed
        check(poll_latency < 1 + 5, f"polling every 1s delivers within the interval + 5s: {poll_latency:.2f}s")
        check(not [e for e in serve.events if e.get("event") == "reconcile"],
              "the daily reconciliation ran again right after the restart (its last due instant is kept)")
        check(not serve.syncs("account_to_customer"),
              f"the hourly account sync ran again right after the restart: {serve.syncs('account_to_customer')}")
        # crmx-run status beside the running serve (read-only, no run lock).
        rc, out, err = harness.run([crmx_run, "status", world.plan, "--state", world.state, "--format", "json"],
                                   check=False)
        check(rc == 0, f"status beside serve exits 0: {rc} {err}")
        if rc == 0:
            st = json.loads(out)
            syncs = {x["sync"]: x for x in st["syncs"]}
            check(syncs["won_to_order"].get("last_result") == "ok" and syncs["won_to_order"].get("next_due", "-") != "-",
                  f"status shows won_to_order's last run and next due: {syncs.get('won_to_order')}")
            acct = syncs["account_to_customer"]
            check(acct.get("last_result") == "ok" and acct.get("next_due", "").endswith(":00:00Z"),
                  f"status keeps the account sync's last run from before the restart, next due on the hour: {acct}")
            bands = {b["benchmark"]: b for b in st["benchmarks"]}
            check(len(bands) == 7, f"status shows the seed's 7 benchmarks: {list(bands)}")
            db = sqlite3.connect(world.state)
            dq = db.execute("SELECT count(*) FROM queued_items WHERE queue = 'data_quality' AND status = 'open'").fetchone()[0]
            db.close()
            backlog = bands.get("data-quality backlog", {})
            check(backlog.get("value") == dq and backlog.get("band") == ("good" if dq < 10 else "typical" if dq <= 50 else "red"),
                  f"the data-quality backlog is the open items ({dq}) in its band: {backlog}")
            check(bands.get("sync latency, event-driven", {}).get("band") == "good",
                  f"won_to_order's latency is good: {bands.get('sync latency, event-driven')}")
            # Closed-won to sales order, from the ledger: the two deals closed under serve (the
            # backfill's orders, changed before the first run, are not counted).
            won = bands.get("closed-won to sales order", {})
            changes = st.get("change_to_delivery", {}).get("won_to_order", {})
            db = sqlite3.connect(world.state)
            counted = db.execute(
                "SELECT count(*) FROM deliveries WHERE map = 'won_to_order' AND state = 'done' AND source_changed >= "
                "(SELECT (julianday(min(started)) - 2440587.5) * 86400000.0 FROM runs)").fetchone()[0]
            backfill = db.execute("SELECT count(*) FROM deliveries WHERE map = 'won_to_order' AND state = 'done' "
                                  "AND source_changed IS NOT NULL").fetchone()[0]
            db.close()
            check(changes.get("done") == counted == 2 and backfill > counted,
                  f"closed-won to sales order counts the 2 deals closed under serve, not the {backfill - counted} "
                  f"of the backfill: {changes}")
            slowest = max(first_change_to_order, poll_latency) + 2  # the state's times are to the second
            check(won.get("of") == "won_to_order" and won.get("band") == "good" and
                  0 <= won.get("value", -1) <= slowest,
                  f"closed-won to sales order is measured from the state, good, within {slowest:.1f}s: {won}")
        rc = serve.stop()
        serve = None
        check(rc == 0, f"the restarted serve exits 0 on SIGTERM, got {rc}")
        print(f"latency: webhook {webhook_latency:.3f}s, polling(1s) {poll_latency:.3f}s")
    finally:
        if serve is not None:
            serve.stop()
        world.stop()
    if failures:
        print(f"serve_http: {len(failures)} failure(s)")
        return 1
    print("serve_http: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
