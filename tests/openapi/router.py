"""The front door of one vendor in the OpenAPI conformance test: a small HTTP proxy that sends
each request the vendor's own OpenAPI file describes (method and path) through Prism (proxy mode,
`--errors`, in front of the emulator), and every other request straight to the emulator, and
records what happened to each request.

Prism validates the request before forwarding it (with `--errors`, a request that breaks the
document is answered 422 and never reaches the emulator) and the emulator's response after
(violations are reported in the `sl-violations` response header). The router records, per request:
method, path, the operation it matched (the document's path template, or None), whether it went
through Prism, the status, Prism's violations and Prism's own error (`application/problem+json`
with a stoplight type), so the test can say which requests the document could not check and which
broke it."""
import http.client
import http.server
import json
import re
import threading
import urllib.parse

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "upgrade", "te",
              "trailer"}


class Routes:
    """The operations of a prepared document (prepare_specs.mjs's <vendor>.routes.json)."""

    def __init__(self, entries):
        self.entries = [(e["method"], e["path"], re.compile(e["regex"])) for e in entries]

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f))

    def match(self, method, path):
        """The template of the operation for METHOD PATH, preferring the one with the most literal
        characters (`/companies/search` over `/companies/{companyId}`), or None."""
        best = None
        for m, template, rx in self.entries:
            if m == method and rx.match(path):
                literal = len(re.sub(r"\{[^}]+\}", "", template))
                if best is None or literal > best[0]:
                    best = (literal, template)
        return best[1] if best else None


class Router:
    """Listens on 127.0.0.1 (a free port); `url` is its address. `log` is the list of records."""

    def __init__(self, routes, prism_url, emulator_url, name):
        self.routes = routes
        self.prism = urllib.parse.urlsplit(prism_url)
        self.emulator = urllib.parse.urlsplit(emulator_url)
        self.name = name
        self.log = []
        self.lock = threading.Lock()
        router = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_one(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                router.forward(self, body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_MERGE = handle_one

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def forward(self, h, body):
        split = urllib.parse.urlsplit(h.path)
        path = urllib.parse.unquote(split.path)
        operation = self.routes.match(h.command, path)
        target = self.prism if operation else self.emulator
        headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "host"}
        headers["Host"] = target.netloc
        if body or h.command in ("POST", "PUT", "PATCH", "MERGE"):
            headers["Content-Length"] = str(len(body))
        record = {"system": self.name, "method": h.command, "path": path, "operation": operation,
                  "via": "prism" if operation else "direct"}
        try:
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
            conn.request(h.command, h.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            status, rheaders = resp.status, resp.getheaders()
            conn.close()
        except Exception as e:  # the client sees a 502, the test sees why
            status, rheaders, data = 502, [("Content-Type", "text/plain")], f"router: {e}".encode()
        record["status"] = status
        violations = [v for k, v in rheaders if k.lower() == "sl-violations"]
        record["violations"] = []
        for v in violations:
            try:
                record["violations"] += json.loads(v)
            except ValueError:  # a header Prism cut or could not write: kept as text, still a failure
                record["violations"].append({"location": ["sl-violations"], "severity": "Error",
                                             "message": f"unreadable sl-violations header: {v[:200]!r}"})
        ctype = next((v for k, v in rheaders if k.lower() == "content-type"), "")
        if operation and "problem+json" in ctype:
            try:
                problem = json.loads(data)
            except ValueError:
                problem = {}
            if str(problem.get("type", "")).startswith("https://stoplight.io/prism/errors#"):
                record["prism_error"] = {"type": problem["type"].split("#", 1)[1], "detail": problem.get("detail"),
                                         "validation": problem.get("validation")}
        with self.lock:
            self.log.append(record)
        h.send_response(status)
        for k, v in rheaders:
            if k.lower() not in HOP_BY_HOP:
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
