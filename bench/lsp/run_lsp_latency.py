#!/usr/bin/env python3
"""Latency of diagnostics as you type: how long `crmxc lsp` takes from a didChange to the
publishDiagnostics for it, on the north star spec (README.md in this folder).

Usage: run_lsp_latency.py --crmxc PATH [--spec FILE] [--edits N] [--warmup K]

It starts `crmxc lsp`, opens the spec, then sends N full-text didChange notifications, one at
a time, alternating three kinds of edits a person makes (a comment typed, a field name
misspelled so an error appears, the spelling fixed so it goes), and times each from the
write of the didChange to the read of the publishDiagnostics that carries its version.
Output: one key=value per line on stdout. The verdict compares the median with the target
(100 ms) and never changes the exit status: a benchmark is not a timed test. The exit status
is 1 only when the server misbehaves (no diagnostics, wrong version, an edit that should
report an error reports none).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import queue
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
TARGET_MS = 100.0


class Server:
    def __init__(self, crmxc):
        self.proc = subprocess.Popen([crmxc, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.messages = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.next_id = 0

    def _read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.messages.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            self.messages.put((time.perf_counter(), json.loads(out.read(length))))

    def send(self, message):
        body = json.dumps(dict({"jsonrpc": "2.0"}, **message)).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        return time.perf_counter()

    def request(self, method, params):
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            _, msg = self.wait()
            if msg.get("id") == self.next_id:
                return msg

    def wait(self, timeout=30):
        got = self.messages.get(timeout=timeout)
        if got is None:
            raise SystemExit("error: the server stopped")
        return got

    def diagnostics_for(self, uri, version):
        """The arrival time and diagnostics of the publishDiagnostics for `version`."""
        while True:
            at, msg = self.wait()
            if msg.get("method") == "textDocument/publishDiagnostics" and msg["params"]["uri"] == uri:
                if msg["params"].get("version") == version:
                    return at, msg["params"]["diagnostics"]

    def close(self):
        self.request("shutdown", None)
        self.send({"method": "exit"})
        self.proc.wait(timeout=30)


def percentile(values, p):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crmxc", required=True)
    ap.add_argument("--spec", default=str(REPO / "examples/acme-salesforce-netsuite/acme.crmx"))
    ap.add_argument("--edits", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=5)
    args = ap.parse_args()

    spec = Path(args.spec).resolve()
    text = spec.read_text(encoding="utf-8")
    uri = spec.as_uri()
    # The misspelling: the first source field read in the first map, `Name` -> `Nmae`.
    good, bad = "companyName = Name.trim()", "companyName = Nmae.trim()"
    if good not in text:
        good, bad = text.splitlines()[0], text.splitlines()[0]  # another spec: comments only

    server = Server(os.path.abspath(args.crmxc))
    server.request("initialize", {"processId": os.getpid(), "rootUri": REPO.as_uri(), "capabilities": {}})
    server.send({"method": "initialized", "params": {}})
    sent = server.send({"method": "textDocument/didOpen",
                        "params": {"textDocument": {"uri": uri, "languageId": "crmx", "version": 0, "text": text}}})
    at, diags = server.diagnostics_for(uri, 0)
    open_ms = (at - sent) * 1000
    baseline_errors = sum(1 for d in diags if d.get("severity") == 1)

    latencies = []
    broken = False
    problems = 0
    for version in range(1, args.warmup + args.edits + 1):
        kind = version % 3
        if kind == 0:
            body = text + "// typed %d\n" % version
        elif kind == 1:
            body, broken = text.replace(good, bad, 1), True
        else:
            body, broken = text, False
        sent = server.send({"method": "textDocument/didChange",
                            "params": {"textDocument": {"uri": uri, "version": version},
                                       "contentChanges": [{"text": body}]}})
        at, diags = server.diagnostics_for(uri, version)
        errors = sum(1 for d in diags if d.get("severity") == 1)
        if good != bad and broken and errors <= baseline_errors:
            problems += 1
        if version > args.warmup:
            latencies.append((at - sent) * 1000)
    server.close()

    median = statistics.median(latencies)
    print(f"spec={spec.relative_to(REPO) if spec.is_relative_to(REPO) else spec}")
    print(f"bytes={len(text.encode('utf-8'))}")
    print(f"edits={len(latencies)}")
    print(f"warmup={args.warmup}")
    print(f"open_ms={open_ms:.1f}")
    print(f"min_ms={min(latencies):.1f}")
    print(f"median_ms={median:.1f}")
    print(f"p95_ms={percentile(latencies, 95):.1f}")
    print(f"max_ms={max(latencies):.1f}")
    print(f"target_ms={TARGET_MS:.0f}")
    print(f"verdict={'PASS' if median <= TARGET_MS else 'FAIL'}")
    if problems:
        print(f"error: {problems} misspelling edits reported no new error", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
