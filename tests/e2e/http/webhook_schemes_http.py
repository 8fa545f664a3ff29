"""QuickBooks Online and Xero webhooks through `crmx-run serve`, over HTTP (issue "Always on").

The north star against the Salesforce and NetSuite emulators, with a profile whose crm system takes
Xero-signed webhooks and whose erp system takes QuickBooks-signed ones (the verifiers do not depend
on the system's kind). serve polls once an hour, so only a webhook starts an `on change` sync:

- Xero's intent-to-receive probe (`"events": []`): 200 with an empty body when signed with the
  webhook key, 401 with an empty body otherwise (Xero's rule), and no sync run either way;
- a signed Xero event after a deal is closed won: accepted, won_to_order runs and the sales order
  appears; the same delivery again is a replay (200, no second run);
- QuickBooks (`intuit-signature`): unsigned and badly signed are refused 401; a signed
  eventNotifications body is accepted and runs order_status_back (which reads erp);
- /metrics counts each of these under crmx_webhooks_total{system, result}.

Usage: webhook_schemes_http.py CRMXC CRMX_RUN CRMX_EMULATE
"""
import base64
import hashlib
import hmac
import json
import sys
import time

import serving


def sign(key, body):
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def main():
    crmxc, crmx_run, emulate = sys.argv[1:4]
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)
            print("FAIL:", what)
        return cond

    world = serving.World(crmxc, crmx_run, emulate, webhooks={
        "crm": ("xero", "env:CRMX_TEST_XERO_KEY"),
        "erp": ("quickbooks", "env:CRMX_TEST_QBO_VERIFIER"),
    })
    serve = None
    try:
        serve = serving.Serve(world, "--poll", "1h")
        # serve runs every sync once at start; wait for those, then only webhooks start one.
        serve.wait_for(lambda: {e["sync"] for e in serve.syncs()} >= {"won_to_order", "order_status_back"}, 120,
                       "the first runs")
        time.sleep(0.5)

        def runs(sync):
            return len(serve.syncs(sync))

        def xero(body, key=serving.XERO_KEY, signed=True):
            headers = {"Content-Type": "application/json"}
            if signed:
                headers["x-xero-signature"] = sign(key, body)
            return serve.post("/webhooks/crm", body, headers)

        def quickbooks(body, key=serving.QUICKBOOKS_VERIFIER, signed=True, signed_body=None):
            headers = {"Content-Type": "application/json"}
            if signed:
                headers["intuit-signature"] = sign(key, body if signed_body is None else signed_body)
            return serve.post("/webhooks/erp", body, headers)

        # Xero's intent-to-receive: the same probe body, signed right and wrong.
        probe = json.dumps({"events": [], "firstEventSequence": 0, "lastEventSequence": 0,
                            "entropy": "S0m3r4Nd0mt3xt"}).encode()
        won_before = runs("won_to_order")
        st, text = xero(probe, key="not-the-webhook-key")
        check(st == 401 and text == "", f"a badly signed intent-to-receive probe gets 401 with no body: {st} {text!r}")
        st, text = xero(probe)
        check(st == 200 and text == "", f"a signed intent-to-receive probe gets 200 with no body: {st} {text!r}")
        st, text = xero(probe)
        check(st == 200, f"a second probe (Xero sends several) is still 200, not refused as a replay: {st} {text!r}")
        time.sleep(1.5)
        check(runs("won_to_order") == won_before, "an intent-to-receive probe ran won_to_order")

        # A Xero event after a deal closed won.
        opp = world.open_opportunities()[0]
        world.close_won(opp)
        event = json.dumps({"events": [{
            "resourceUrl": "https://api.xero.com/api.xro/2.0/Contacts/717f2bfc-c6d4-41fd-b238-3f2f0c0cf777",
            "resourceId": "717f2bfc-c6d4-41fd-b238-3f2f0c0cf777", "eventDateUtc": "2026-12-06T10:00:00.000",
            "eventType": "UPDATE", "eventCategory": "CONTACT",
            "tenantId": "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f", "tenantType": "ORGANISATION"}],
            "firstEventSequence": 1, "lastEventSequence": 1, "entropy": "YSXCMKAQBJOEMGUZEPFZ"}).encode()
        st, text = xero(event, signed=False)
        check(st == 401 and text == "", f"an unsigned Xero event is refused 401, no body: {st} {text!r}")
        time.sleep(1.0)
        check(world.order_of(opp) is None, "a sales order appeared without an accepted webhook")
        st, text = xero(event)
        check(st == 200, f"a signed Xero event is accepted: {st} {text!r}")
        serve.wait_for(lambda: world.order_of(opp) is not None, 60, f"the sales order of {opp} after the Xero event")
        serve.wait_for(lambda: any(e.get("why") == "webhook" for e in serve.syncs("won_to_order")[won_before:]), 30,
                       "won_to_order's run for the webhook")
        won_after = runs("won_to_order")
        st, text = xero(event)
        check(st == 200 and text == "", f"the same Xero delivery again is answered 200 (a replay), no body: {st} {text!r}")
        time.sleep(1.5)
        check(runs("won_to_order") == won_after, "a replayed Xero delivery ran won_to_order again")

        # QuickBooks: eventNotifications for the erp system.
        back_before = runs("order_status_back")
        note = json.dumps({"eventNotifications": [{"realmId": "1185883450", "dataChangeEvent": {"entities": [
            {"name": "Invoice", "id": "142", "operation": "Update", "lastUpdated": "2026-12-06T10:00:00.000Z"}]}}]}
        ).encode()
        st, text = quickbooks(note, signed=False)
        check(st == 401, f"an unsigned QuickBooks notification is refused 401: {st} {text!r}")
        st, text = quickbooks(note, key="not-the-verifier-token")
        check(st == 401, f"a badly signed QuickBooks notification is refused 401: {st} {text!r}")
        st, text = quickbooks(note[:-1] + b" }", signed_body=note)
        check(st == 401, "a body changed after signing is refused 401 (the signature is over the exact bytes): "
                         f"{st} {text!r}")
        time.sleep(1.5)
        check(runs("order_status_back") == back_before, "a refused QuickBooks notification ran order_status_back")
        st, text = quickbooks(note)
        check(st == 200, f"a signed QuickBooks notification is accepted: {st} {text!r}")
        serve.wait_for(lambda: any(e.get("why") == "webhook" for e in serve.syncs("order_status_back")[back_before:]), 30,
                       "order_status_back run by the QuickBooks notification")
        check(runs("won_to_order") == won_after, "a webhook for erp ran won_to_order, which reads crm")

        st, body = serve.get("/metrics")
        samples = serving.parse_prometheus(body) if st == 200 else {}
        counts = sorted((dict(l)['system'], dict(l)['result'], v) for (n, l), v in samples.items()
                        if n == 'crmx_webhooks_total')

        def hooks(system, result):
            return serving.metric(samples, "crmx_webhooks_total", system=system, result=result) or 0

        check(hooks("crm", "accepted") == 1 and hooks("crm", "replayed") == 1,
              f"crm: 1 accepted, 1 replayed: {hooks('crm', 'accepted')}, {hooks('crm', 'replayed')}")
        check(hooks("crm", "intent_to_receive") == 2 and hooks("crm", "bad_signature") == 1 and
              hooks("crm", "unsigned") == 1,
              "crm: 2 intent-to-receive, 1 bad signature, 1 unsigned: "
              f"{counts}")
        check(hooks("erp", "accepted") == 1 and hooks("erp", "unsigned") == 1 and hooks("erp", "bad_signature") == 2,
              "erp: 1 accepted, 1 unsigned, 2 bad signatures: "
              f"{counts}")
        rc = serve.stop()
        serve = None
        check(rc == 0, f"serve exits 0 on SIGTERM, got {rc}")
    finally:
        if serve is not None:
            serve.stop()
        world.stop()
    if failures:
        print(f"webhook_schemes_http: {len(failures)} failure(s)")
        return 1
    print("webhook_schemes_http: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
