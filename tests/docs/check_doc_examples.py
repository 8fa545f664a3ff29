#!/usr/bin/env python3
"""Checks every ```crmx example of the docs with `crmxc check`.

Usage: check_doc_examples.py --crmxc PATH [--keep] [-v] [DOC.md ...]
(default docs: docs/language.md and docs/cli.md of the repository holding this script).

The info string of a fenced block says how the example is checked:

  ```crmx                  a complete file, checked as written; must check clean (exit 0,
                           no diagnostics)
  ```crmx fragment         declarations or mapping lines, wrapped into a minimal valid
                           integration first (see Wrap below); must check clean
  ```crmx error [E0101]    must fail with exit 1; with codes, each code must be reported
  ```crmx fragment error   both
  ```crmx warning E0206    must check with exit 0 and report exactly these warning codes
  ```crmx file=lib/x.crmx  a support file: written at that path next to every example of the
                           same document (so examples can `import` it), and checked itself
  ```json file=schemas/x.json  a data file (json, yaml, xml, csv) written like a support file,
                           not checked
  ```crmx xfail            an example that should check clean but does not, because of a known
                           compiler bug: it must still fail; when it passes, the marker is stale
                           and the test says so (remove `xfail`)

Blocks in other languages (```text, ```sh, ...) are not checked.

Wrap: a fragment whose first word is a declaration keyword (`map`, `sync`, `table`, ...) is
placed inside `integration doc_example { ... }` after `system crm: salesforce {}` and
`system erp: netsuite {}` (each left out when the fragment declares a system of that name).
Every map the fragment declares gets `sync NAME on change` unless the fragment syncs it; every
map the fragment names in `sync` or `ref(...)` without declaring it gets a stub
`map NAME: crm.Account -> erp.Customer { key externalId = Id ... }` (and a sync) that also sets
the fields a Customer requires on create (`companyName`, `subsidiary`, with `hold`), so it checks
clean when the fragment declares systems with the north star's schemas (E0405); a fragment with
no sync at all gets one stub map and its sync, so E0101 never fires because of the wrapping. A
fragment that declares a `table` only to show its syntax need not use it: "table is never used"
(E0413) is ignored for the tables the fragment declares, unless the block lists E0413. Any
other fragment (mapping lines such as `companyName = Name.trim()`, `key ...`, `require ...`) is
placed in the body of `map doc_example: crm.Account -> erp.Customer { ... }`, which is synced.

Failures list the document line of the block (and of each diagnostic, mapped back from the
generated file), the generated file when it was wrapped, and crmxc's output. The last line is
`doc examples: N passed, M failed`.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DOCS = ["docs/language.md", "docs/cli.md"]

# Words that start an item inside an integration or module block (grammar rule `item`).
ITEM_WORDS = {
    "import", "use", "system", "owner", "table", "map", "sync", "conflicts", "alert",
    "reconcile", "test", "integration", "module",
}
NAME = r"(?:[A-Za-z_][A-Za-z_0-9]*|`[^`\n]+`)"
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
CODE = re.compile(r"^E\d{4}$")


class Block:
    def __init__(self, doc, line, info, text):
        self.doc = doc          # path of the document, relative to the repository when possible
        self.line = line        # 1-based line of the opening fence
        self.text = text
        words = info.split()
        self.words = words
        self.fragment = "fragment" in words
        self.error = "error" in words
        self.warning = "warning" in words
        self.xfail = "xfail" in words
        self.codes = [w for w in words if CODE.match(w)]
        self.file = next((w[len("file="):] for w in words if w.startswith("file=")), None)
        unknown = [w for w in words[1:] if w not in ("fragment", "error", "warning", "xfail")
                   and not CODE.match(w) and not w.startswith("file=")]
        self.bad_info = unknown

    @property
    def where(self):
        return f"{self.doc}:{self.line}"


def extract(doc_path, shown):
    """Returns the ```crmx blocks of a Markdown file."""
    blocks = []
    lines = doc_path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info = m.group("fence"), m.group("info").strip()
        start = i
        body = []
        i += 1
        while i < len(lines):
            close = re.match(r"^ {0,3}(`{3,}|~{3,})\s*$", lines[i])
            if close and close.group(1)[0] == fence[0] and len(close.group(1)) >= len(fence):
                break
            body.append(lines[i])
            i += 1
        i += 1
        words = info.split()
        if words and words[0] == "crmx":
            blocks.append(Block(shown, start + 1, info, "\n".join(body) + "\n"))
        elif words and words[0] in ("json", "yaml", "xml", "csv") and any(w.startswith("file=") for w in words):
            # A data file an example reads (a schema, a table): written, not checked.
            b = Block(shown, start + 1, info, "\n".join(body) + "\n")
            b.data = True
            blocks.append(b)
    return blocks


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    # Strings can hold anything; blank them so their words are not taken for declarations.
    text = re.sub(r'"(?:\\.|[^"\\\n])*"', '""', text)
    return text


def first_word(text):
    m = re.search(r"[A-Za-z_`]\w*", strip_comments(text))
    return m.group(0) if m else ""


def unquote(name):
    return name[1:-1] if name.startswith("`") else name


def wrap(block):
    """Returns (text, first line of the fragment in the generated file)."""
    text = block.text
    code = strip_comments(text)
    head = ["integration doc_example {"]
    tail = []
    if first_word(text) in ITEM_WORDS:
        systems = {unquote(n) for n in re.findall(rf"\bsystem\s+({NAME})\s*:", code)}
        for name, kind in (("crm", "salesforce"), ("erp", "netsuite")):
            if name not in systems:
                head.append(f"  system {name}: {kind} {{}}")
        declared = [unquote(n) for n in re.findall(rf"(?m)^\s*map\s+({NAME})\s*:", code)]
        synced = {unquote(n) for n in re.findall(rf"(?m)^\s*sync\s+({NAME})\b", code)}
        referenced = {unquote(n) for n in re.findall(rf"\bref\s*\(\s*({NAME})\s*,", code)}
        stubs = sorted((synced | referenced) - set(declared))
        if not synced and not declared and not stubs:
            stubs = ["doc_example_stub"]
        for name in stubs:
            tail.append(f"  map {name}: crm.Account -> erp.Customer {{ key externalId = Id"
                        f"  companyName = hold \"stub\"  subsidiary = hold \"stub\" }}")
        for name in declared + stubs:
            if name not in synced:
                tail.append(f"  sync {name} on change")
    else:
        head.append("  system crm: salesforce {}")
        head.append("  system erp: netsuite {}")
        head.append("  map doc_example: crm.Account -> erp.Customer {")
        tail.append("  }")
        tail.append("  sync doc_example on change")
    tail.append("}")
    return "\n".join(head) + "\n" + text + "\n".join(tail) + "\n", len(head) + 1


EXAMPLE_SCHEMAS = Path(__file__).resolve().parents[2] / "examples" / "acme-salesforce-netsuite" / "schemas"


def run_crmxc(crmxc, cwd, file_name):
    proc = subprocess.run(
        [crmxc, "check", "--format", "json", file_name],
        cwd=cwd, capture_output=True, text=True, env=dict(os.environ, NO_COLOR="1"))
    diags = []
    try:
        diags = json.loads(proc.stdout).get("diagnostics", []) if proc.stdout.strip() else []
    except json.JSONDecodeError:
        pass
    return proc.returncode, diags, proc.stdout, proc.stderr


def doc_line(block, offset, diag):
    """Maps a diagnostic of the generated file back to a line of the document."""
    span = diag.get("span")
    if not span:
        return "no location"
    line = span["line"]
    if diag.get("file") != block.generated_name:
        return f"{diag.get('file')}:{line}"
    body_lines = block.text.count("\n")
    if not block.fragment or offset <= line < offset + body_lines:
        # A complete file is the block itself; its end-of-file line is the closing fence.
        line = min(line, body_lines + 1) if not block.fragment else line
        return f"{block.doc}:{block.line + 1 + (line - offset)}"
    return f"wrapper line {line}"


def check_block(crmxc, block, support, tmp_root, index):
    workdir = Path(tmp_root) / f"ex{index:03d}_line{block.line}"
    workdir.mkdir(parents=True)
    # Complete examples name schemas as the north star does (`schemas/salesforce/...`,
    # `schemas/netsuite/...`): they get the north star's schema files.
    shutil.copytree(EXAMPLE_SCHEMAS, workdir / "schemas")
    for sb in support:
        path = workdir / sb.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sb.text, encoding="utf-8")
    if block.file:
        name = block.file
        offset = 1
    else:
        name = f"example_line{block.line}.crmx"
        if block.fragment:
            text, offset = wrap(block)
        else:
            text, offset = block.text, 1
        (workdir / name).write_text(text, encoding="utf-8")
    block.generated_name = name
    rc, diags, out, err = run_crmxc(crmxc, workdir, name)
    if block.fragment:
        # The wrapper's own systems have no schema on purpose (the fragment is about syntax):
        # their "declares no schema" warnings are the wrapper's, not the example's.
        diags = [d for d in diags if not (d.get("code") == "E0206" and doc_line(block, offset, d).startswith("wrapper"))]
        # A fragment may declare a table only to show the syntax of `table`: not using it is
        # no mistake of the example (unless the block is about that warning).
        if "E0413" not in block.codes:
            tables = {unquote(n) for n in re.findall(rf"(?m)^\s*table\s+({NAME})", strip_comments(block.text))}
            diags = [d for d in diags if not (d.get("code") == "E0413"
                                              and not doc_line(block, offset, d).startswith("wrapper")
                                              and any(f"`{t}`" in d.get("message", "") for t in tables))]
    problems = []
    if block.bad_info:
        problems.append(f"unknown word(s) in the info string: {' '.join(block.bad_info)}")
    if block.error:
        if rc != 1:
            problems.append(f"expected exit 1 (an error), got {rc}")
        reported = {d.get("code") for d in diags}
        for code in block.codes:
            if code not in reported:
                problems.append(f"expected {code}, which was not reported")
    elif block.warning:
        if rc != 0:
            problems.append(f"expected exit 0 with warnings, got {rc}")
        reported = {d.get("code") for d in diags}
        for code in block.codes:
            if code not in reported:
                problems.append(f"expected warning {code}, which was not reported")
        unexpected = sorted({d.get("code") for d in diags} - set(block.codes))
        if unexpected:
            problems.append(f"unexpected diagnostics: {', '.join(unexpected)}")
    else:
        if rc != 0 or diags:
            problems.append(f"expected to check clean, got exit {rc} and {len(diags)} diagnostic(s)")
    ok = not problems
    if block.xfail:
        if ok:
            return False, ["marked `xfail` (known compiler bug) but now checks as expected: "
                           "remove `xfail` from the info string"], ""
        return True, [], ""
    detail = []
    for d in diags:
        detail.append(f"  {doc_line(block, offset, d)}: {d.get('code')} {d.get('message')}")
    if problems:
        report = "\n".join(detail)
        if block.fragment:
            numbered = "\n".join(f"  {i:3} | {l}" for i, l in
                                 enumerate((workdir / name).read_text().split("\n"), 1))
            report += f"\n  generated file {name}:\n{numbered}"
        rendered = "\n\n".join(d.get("rendered", "").rstrip() for d in diags)
        output = (rendered + "\n" + err).strip() or "(nothing)"
        report += "\n  crmxc output:\n" + "\n".join(("    " + l).rstrip() for l in output.split("\n"))
        return False, problems, report
    return True, [], ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--crmxc", required=True, help="path to the crmxc binary")
    ap.add_argument("--keep", action="store_true", help="keep the generated files and print where")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every example checked")
    ap.add_argument("docs", nargs="*", help="Markdown files (default: docs/language.md docs/cli.md)")
    args = ap.parse_args()

    crmxc = str(Path(args.crmxc).resolve())
    if not os.access(crmxc, os.X_OK):
        print(f"error: `{args.crmxc}` is not an executable crmxc", file=sys.stderr)
        print("doc examples: 0 passed, 1 failed")
        return 1
    docs = [Path(d) for d in args.docs] if args.docs else [REPO / d for d in DEFAULT_DOCS]

    passed = failed = xfail = 0
    tmp_root = tempfile.mkdtemp(prefix="crmx-doc-examples-")
    try:
        index = 0
        for doc in docs:
            if not doc.is_file():
                if args.docs or doc.name == "language.md":
                    print(f"FAIL {doc}: no such file")
                    failed += 1
                continue
            try:
                shown = str(doc.resolve().relative_to(REPO))
            except ValueError:
                shown = str(doc)
            blocks = extract(doc, shown)
            support = [b for b in blocks if b.file]
            for block in blocks:
                if getattr(block, "data", False):
                    continue
                index += 1
                ok, problems, report = check_block(crmxc, block, support, tmp_root, index)
                kind = " ".join(block.words[1:]) or "complete"
                if ok:
                    passed += 1
                    xfail += block.xfail
                    if args.verbose:
                        print(f"ok   {block.where} ({kind})")
                else:
                    failed += 1
                    print(f"FAIL {block.where} ({kind}): " + "; ".join(problems))
                    if report:
                        print(report)
        if args.keep:
            print(f"generated files kept in {tmp_root}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp_root, ignore_errors=True)
    if xfail:
        print(f"({xfail} example(s) marked xfail still fail because of a known compiler bug)")
    print(f"doc examples: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
