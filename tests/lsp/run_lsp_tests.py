#!/usr/bin/env python3
"""Runs the language server's transcript tests: each tests/lsp/*.jsonl file is a conversation
with `crmxc lsp` (README.md in this folder describes the format).

Usage: run_lsp_tests.py --crmxc PATH [--bless] [TRANSCRIPT ...]

Every transcript line is sent or checked in order: `send` messages are framed with
Content-Length and written to the server's stdin, `raw` text is written as it is, and each
`expect` reads the server's next message and matches it against the expectation (a subset
match: objects may have more members than expected, arrays must have the expected length).
At the end the server must have exited with the expected status and sent nothing unexpected.

--bless rewrites every `expect` that does not match with the message the server sent (the
placeholders $DIR_URI, $DOCS_URI and $DIR put back); expectations that match are left as written,
so a trimmed expectation stays trimmed. Review the diff like code.
"""
import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TIMEOUT = 20.0  # seconds to wait for one message


def placeholders():
    # In this order: `$DIR_URI` is replaced before `$DIR`.
    return {
        "$DIR_URI": HERE.as_uri(),
        "$DOCS_URI": (REPO / "docs" / "errors").as_uri(),
        "$DIR": str(HERE),
    }


def substitute(value, subs):
    """Replaces the placeholders in every string, and {"$file": PATH} by the file's text
    ({"$file": PATH, "replace": [[OLD, NEW], ...]}: with the first OLD replaced by NEW)."""
    if isinstance(value, str):
        for k, v in subs.items():
            value = value.replace(k, v)
        return value
    if isinstance(value, list):
        return [substitute(v, subs) for v in value]
    if isinstance(value, dict):
        if "$file" in value and set(value) <= {"$file", "replace"}:
            text = (HERE / value["$file"]).read_text(encoding="utf-8")
            for old, new in value.get("replace", []):
                if old not in text:
                    raise SystemExit(f"`{old}` is not in {value['$file']}")
                text = text.replace(old, new, 1)
            return text
        return {substitute(k, subs): substitute(v, subs) for k, v in value.items()}
    return value


def unsubstitute(value, subs):
    if isinstance(value, str):
        for k, v in sorted(subs.items(), key=lambda kv: -len(kv[1])):
            value = value.replace(v, k)
        return value
    if isinstance(value, list):
        return [unsubstitute(v, subs) for v in value]
    if isinstance(value, dict):
        return {unsubstitute(k, subs): unsubstitute(v, subs) for k, v in value.items()}
    return value


def match(expected, actual, where="$"):
    """None when `actual` matches `expected`, else a sentence saying where it does not.

    Objects: every expected member must match (extra actual members are fine); a member whose
    expected value is {"$absent": true} must not be there. Arrays: same length, element by
    element, unless the expectation is {"$contains": [...]}: each listed element matches some
    element of the actual array. {"$any": true} matches any value.
    """
    if isinstance(expected, dict) and set(expected) == {"$any"}:
        return None
    if isinstance(expected, dict) and set(expected) == {"$contains"}:
        if not isinstance(actual, list):
            return f"{where}: expected an array, got {json.dumps(actual)[:200]}"
        for i, e in enumerate(expected["$contains"]):
            if all(match(e, a) is not None for a in actual):
                return f"{where}: no element matches {json.dumps(e)[:200]}"
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where}: expected an object, got {json.dumps(actual)[:200]}"
        for k, e in expected.items():
            if isinstance(e, dict) and set(e) == {"$absent"}:
                if k in actual:
                    return f"{where}.{k}: expected no member, got {json.dumps(actual[k])[:200]}"
                continue
            if k not in actual:
                return f"{where}.{k}: missing"
            problem = match(e, actual[k], f"{where}.{k}")
            if problem:
                return problem
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{where}: expected an array, got {json.dumps(actual)[:200]}"
        if len(expected) != len(actual):
            return f"{where}: expected {len(expected)} elements, got {len(actual)}: {json.dumps(actual)[:300]}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            problem = match(e, a, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if type(expected) is bool or type(actual) is bool:
        ok = type(expected) is type(actual) and expected == actual
    else:
        ok = expected == actual
    return None if ok else f"{where}: expected {json.dumps(expected)}, got {json.dumps(actual)[:300]}"


def frame(message):
    body = json.dumps(message, ensure_ascii=False).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class Reader(threading.Thread):
    """Reads framed messages from the server's stdout into a queue (None at the end)."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream = stream
        self.messages = queue.Queue()

    def run(self):
        try:
            while True:
                length = None
                while True:
                    line = self.stream.readline()
                    if not line:
                        self.messages.put(None)
                        return
                    line = line.rstrip(b"\r\n")
                    if not line:
                        break
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                if length is None:
                    self.messages.put(("bad", "a message without Content-Length"))
                    continue
                body = self.stream.read(length)
                try:
                    self.messages.put(("ok", json.loads(body.decode("utf-8"))))
                except (ValueError, UnicodeDecodeError) as e:
                    self.messages.put(("bad", f"not JSON: {e}: {body[:200]!r}"))
        except Exception as e:  # report, never hang the test
            self.messages.put(("bad", f"reader failed: {e}"))
            self.messages.put(None)

    def next(self, timeout=TIMEOUT):
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            return ("timeout", None)


def load(path):
    """The transcript's lines: (line index, parsed object or None for comments/blank lines)."""
    out = []
    for i, text in enumerate(path.read_text(encoding="utf-8").splitlines()):
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            out.append((text, None))
            continue
        try:
            out.append((text, json.loads(stripped)))
        except ValueError as e:
            raise SystemExit(f"{path}:{i + 1}: not JSON: {e}")
    return out


def run_transcript(crmxc, path, bless):
    subs = placeholders()
    lines = load(path)
    errors = []
    new_lines = []
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen([crmxc, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                cwd=HERE)
        reader = Reader(proc.stdout)
        reader.start()
        exit_expected = None
        for n, (text, step) in enumerate(lines, 1):
            if step is None:
                new_lines.append(text)
                continue
            where = f"{path.name}:{n}"
            if "send" in step or "raw" in step:
                data = frame(dict({"jsonrpc": "2.0"}, **substitute(step["send"], subs))) if "send" in step \
                    else substitute(step["raw"], subs).encode("utf-8")
                try:
                    proc.stdin.write(data)
                    proc.stdin.flush()
                except BrokenPipeError:
                    errors.append(f"{where}: the server closed its input")
                new_lines.append(text)
            elif "expect" in step:
                got = reader.next()
                if got is None or got[0] != "ok":
                    errors.append(f"{where}: expected a message, got {got[1] if got else 'the end of the output'}")
                    new_lines.append(text)
                    continue
                expected = substitute(step["expect"], subs)
                problem = match(expected, got[1])
                if problem:
                    if bless:
                        new_lines.append(json.dumps({"expect": unsubstitute(got[1], subs)}, ensure_ascii=False))
                    else:
                        errors.append(f"{where}: {problem}")
                        new_lines.append(text)
                else:
                    new_lines.append(text)
            elif "close" in step:
                proc.stdin.close()
                new_lines.append(text)
            elif "exit" in step:
                exit_expected = step["exit"]
                new_lines.append(text)
            else:
                raise SystemExit(f"{where}: a step is one of send, raw, expect, close, exit")
        try:
            if not proc.stdin.closed:
                proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            status = proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            status = None
            errors.append(f"{path.name}: the server did not exit")
        reader.join(timeout=5)
        while True:
            got = reader.next(timeout=0.1)
            if got is None or got[0] == "timeout":
                break
            errors.append(f"{path.name}: unexpected message after the transcript: {json.dumps(got[1])[:300]}")
        if exit_expected is not None and status != exit_expected:
            errors.append(f"{path.name}: exit status {status}, expected {exit_expected}")
        stderr.seek(0)
        err_text = stderr.read().decode("utf-8", "replace")
    if bless:
        path.write_text("\n".join(new_lines) + "\n", encoding="utf-8")
    if errors and err_text.strip():
        errors.append("server stderr:\n" + err_text[-3000:])
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crmxc", required=True)
    ap.add_argument("--bless", action="store_true", help="rewrite the expectations that do not match")
    ap.add_argument("transcripts", nargs="*", help="transcripts to run (default: every tests/lsp/*.jsonl)")
    args = ap.parse_args()
    crmxc = os.path.abspath(args.crmxc)
    paths = [Path(p).resolve() for p in args.transcripts] or sorted(HERE.glob("*.jsonl"))
    failed = 0
    for path in paths:
        errors = run_transcript(crmxc, path, args.bless)
        if errors:
            failed += 1
            print(f"FAIL {path.name}")
            for e in errors:
                print("  " + e)
        else:
            print(f"ok   {path.name}{' (blessed)' if args.bless else ''}")
    print(f"{len(paths) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
