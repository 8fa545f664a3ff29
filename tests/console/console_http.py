#!/usr/bin/env python3
"""The operations console over plain HTTP (no browser): who may see and do what.

    console_http.py CRMXC CRMX_RUN CRMX_EMULATE

Against the north star served by `crmx-run serve` beside the Salesforce and NetSuite emulators,
with an operator login and a read-only login in the profile (console_world.py), checks:
- without a session, every page and every action answers 401 (the login form), also with a
  made-up session cookie; a wrong token answers 401 and sets no cookie;
- the session cookie is HttpOnly, SameSite=Strict, Path=/, with a Max-Age, and Secure only when
  a proxy says the request came over https (secure_cookie: auto);
- the read-only login reads every page (200) and every action answers it 403, nothing done;
- an operator's action without the CSRF token, with a wrong one, or with another session's,
  answers 403 and does nothing; with its own it acts (a resolve, recorded as console:ann);
- the pages carry the security headers (CSP, no framing, no caching);
- logging out ends the session;
- neither token nor any session id appears in any response body or in serve's stderr."""
import json
import sys

import console_world as cw
from harness import Checks

PAGES = ["/", "/queues", "/queues?queue=held", "/queues/held", "/queues/1", "/runs", "/runs/1", "/reports",
         "/reports/data-quality", "/graph"]
# Pages that read a system (checked for 401 without a session; read with a held item below).
SOURCE_PAGES = ["/queues/1/source"]


def main():
    crmxc, crmx_run, emulate = sys.argv[1:4]
    check = Checks()
    w = cw.ConsoleWorld(crmxc, crmx_run, emulate)
    bodies, session_ids = [], []
    try:
        pages = PAGES + ["/reports/reconcile/" + r["name"] for r in w.plan.get("reconciles", [])]

        def req(method, path, **kw):
            status, h, body = cw.request(w.url, method, path, **kw)
            bodies.append(body)
            return status, h, body

        # Without a session: 401 everywhere, with the login form.
        for cookie in (None, "crmx_session=" + "A" * 43, "crmx_session="):
            for p in pages + SOURCE_PAGES:
                status, h, body = req("GET", p, cookie=cookie)
                check(status == 401, f"GET {p} with cookie {cookie!r}: {status}, expected 401")
                check('name="token"' in body, f"GET {p} without a session: the 401 is not the login form")
            for p in ["/queues/1/replay", "/queues/1/resolve", "/queues/1/discard", "/logout"]:
                status, _, _ = req("POST", p, form={"csrf": "x", "note": "n", "step": "confirm"}, cookie=cookie)
                check(status == 401, f"POST {p} with cookie {cookie!r}: {status}, expected 401")
        status, _, body = req("GET", "/login")
        check(status == 200 and 'name="token"' in body and "<label for=\"token\"" in body, "GET /login: the form with a label")
        status, h, _ = req("GET", "/static/console.css")
        check(status == 200 and h.get("content-type", [""])[0].startswith("text/css"), "the style sheet is served")

        # A wrong token.
        status, set_cookie, _ = cw.log_in(w.url, "not-a-token-of-this-console")
        check(status == 401 and not set_cookie, f"a wrong token: {status}, cookie {set_cookie!r}")

        # The cookie's attributes.
        status, set_cookie, op = cw.log_in(w.url, cw.OPERATOR_TOKEN)
        check(status == 303, f"operator login: {status}, expected 303")
        attrs = [a.strip() for a in set_cookie.split(";")]
        check(attrs[0].startswith("crmx_session=") and len(attrs[0]) == len("crmx_session=") + 43,
              f"the session cookie: {attrs[0][:14]}...")
        for a in ("HttpOnly", "SameSite=Strict", "Path=/"):
            check(a in attrs, f"the session cookie lacks {a}: {attrs[1:]}")
        check(any(a.startswith("Max-Age=") and int(a[8:]) == 3600 for a in attrs), f"the cookie's Max-Age: {attrs[1:]}")
        check("Secure" not in attrs, "Secure over plain HTTP with secure_cookie: auto")
        session_ids.append(op.split("=", 1)[1])
        _, secure_cookie, op2 = cw.log_in(w.url, cw.OPERATOR_TOKEN, headers={"X-Forwarded-Proto": "https"})
        check("Secure" in [a.strip() for a in secure_cookie.split(";")], "no Secure behind a proxy saying https")
        session_ids.append(op2.split("=", 1)[1])
        status, _, ro = cw.log_in(w.url, cw.READER_TOKEN)
        check(status == 303, f"read-only login: {status}")
        session_ids.append(ro.split("=", 1)[1])

        # The read-only login reads every page.
        for p in pages:
            status, h, body = req("GET", p, cookie=ro)
            check(status == 200, f"read-only GET {p}: {status}")
            check("default-src 'none'" in h.get("content-security-policy", [""])[0], f"GET {p}: no CSP")
            check(h.get("x-frame-options") == ["DENY"], f"GET {p}: framing not refused")
            check(h.get("cache-control") == ["no-store"], f"GET {p}: cacheable")
        status, _, overview = req("GET", "/", cookie=ro)
        for part in ("Benchmarks", "failure rate", "data-quality backlog", "Open alerts", "Budgets", "account_to_customer"):
            check(part in overview, f"the overview lacks {part!r}")
        # A held item to act on, and a data-quality one.
        _, _, held = req("GET", "/queues?queue=held", cookie=ro)
        _, _, dq = req("GET", "/queues?queue=data_quality", cookie=ro)
        import re
        held_ids = re.findall(r'<a href="/queues/(\d+)">', held)
        dq_ids = re.findall(r'<a href="/queues/(\d+)">', dq)
        check(len(held_ids) > 0 and len(dq_ids) > 1, f"items: held {len(held_ids)}, data-quality {len(dq_ids)}")
        item = dq_ids[0]
        status, _, body = req("GET", f"/queues/{held_ids[0]}/source", cookie=ro)
        check(status == 200 and "holds it now" in body and "<code>Id</code>" in body, f"read-only reads a held item's source values: {status}")
        _, _, page = req("GET", f"/queues/{item}", cookie=ro)
        ro_csrf = cw.csrf_of(page)
        check(ro_csrf is not None, "the read-only page has a logout form with a CSRF token")
        check('id="resolve"' not in page, "the read-only page shows the actions")
        for verb in ("replay", "resolve", "discard"):
            status, _, body = req("POST", f"/queues/{item}/{verb}", form={"csrf": ro_csrf, "note": "ro", "step": "confirm"},
                                  cookie=ro)
            check(status == 403, f"read-only POST {verb}: {status}, expected 403")

        # The operator: CSRF checked on every POST.
        _, _, page = req("GET", f"/queues/{item}", cookie=op)
        csrf = cw.csrf_of(page)
        _, _, other_page = req("GET", "/", cookie=op2)
        other_csrf = cw.csrf_of(other_page)
        check(csrf and other_csrf and csrf != other_csrf, "each session has its own CSRF token")
        for label, form in (("no token", {"note": "n"}), ("a wrong token", {"note": "n", "csrf": "x" * 43}),
                            ("another session's token", {"note": "n", "csrf": other_csrf}),
                            ("the session id", {"note": "n", "csrf": session_ids[0]})):
            for verb in ("replay", "resolve", "discard"):
                status, _, _ = req("POST", f"/queues/{item}/{verb}", form=dict(form, step="confirm"), cookie=op)
                check(status == 403, f"operator POST {verb} with {label}: {status}, expected 403")
        status, _, _ = req("POST", "/logout", form={"csrf": "wrong"}, cookie=op)
        check(status == 403, f"logout without the CSRF token: {status}")
        _, _, page = req("GET", f"/queues/{item}", cookie=op)
        check("<dd>open" in page, "the item is not open any more after the refused actions")
        # With its token: the resolve is done, recorded with who.
        status, h, _ = req("POST", f"/queues/{item}/resolve", form={"csrf": csrf, "note": "fixed in Salesforce by hand"},
                           cookie=op)
        check(status == 303 and h.get("location") == [f"/queues/{item}"], f"resolve: {status} {h.get('location')}")
        _, _, page = req("GET", f"/queues/{item}", cookie=op)
        check("resolved by console:ann" in page and "fixed in Salesforce by hand" in page, "the resolve is not recorded")
        status, _, _ = req("POST", f"/queues/{item}/resolve", form={"csrf": csrf, "note": "again"}, cookie=op)
        check(status == 409, f"resolving a resolved item: {status}, expected 409")
        status, _, _ = req("POST", f"/queues/{dq_ids[1]}/discard", form={"csrf": csrf, "note": "  "}, cookie=op)
        check(status == 400, f"a discard without a note: {status}, expected 400")
        # A dry run changes nothing and offers the confirmation.
        status, _, body = req("POST", f"/queues/{held_ids[0]}/replay", form={"csrf": csrf, "step": "preview"}, cookie=op)
        check(status == 200 and "A dry run" in body and 'id="confirm"' in body, f"the dry run: {status} {body[-300:]}")

        # Logging out ends the session.
        status, h, _ = req("POST", "/logout", form={"csrf": csrf}, cookie=op)
        check(status == 303 and "Max-Age=0" in (h.get("set-cookie") or [""])[0], f"logout: {status}")
        status, _, _ = req("GET", "/", cookie=op)
        check(status == 401, f"after logout: {status}, expected 401")
        status, _, _ = req("GET", "/", cookie=op2)
        check(status == 200, f"another session of the same login survives the logout: {status}")
    finally:
        rc = w.stop()
    check(rc == 0, f"serve exited {rc} on SIGTERM")
    log = w.stderr_text()
    for secret in cw.TOKENS + tuple(session_ids):
        check(all(secret not in b for b in bodies), f"a secret ({secret[:6]}...) appears in a response body")
        check(secret not in log, f"a secret ({secret[:6]}...) appears in serve's stderr")
    return check.done("console over HTTP", f"{len(bodies)} answers checked: 401 without a session, 403 for read-only "
                      "and without CSRF, cookie flags, no secret in bodies or logs")


if __name__ == "__main__":
    sys.exit(main())
