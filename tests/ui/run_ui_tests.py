#!/usr/bin/env python3
"""Runs the golden UI tests of crmxc (in the style of rustc's UI tests).

Each tests/ui/**/NAME.crmx file (outside directories named `aux`) is one test. The runner
checks it with `crmxc check --format human` and `crmxc check --format json`, from the
repository root and with the test's path relative to it, so paths in the output are stable,
and compares:

  * stderr of the human run with NAME.stderr,
  * stdout of the JSON run, normalised (sorted keys, two-space indentation), with NAME.json,
  * the exit status with 1 when the file has `//~ ERROR` annotations and 0 otherwise
    (a `// exit: N` line overrides),
  * every reported diagnostic with the inline annotations: each diagnostic (line of its
    primary span, severity, code) matches exactly one annotation and every annotation is
    matched, so a wrong re-bless is caught.

Annotations (see README.md):
    //~ ERROR E0004            a diagnostic on this line
    //~^ ERROR E0004           one line up (each `^` is one more line up)
    //~| ERROR E0003           the same line as the previous annotation
    //~? ERROR E0105           a diagnostic in another file (an imported module)
  Severity is ERROR, WARN (or WARNING), NOTE or HELP. Text after the code, if any, must be a
  substring of the diagnostic's message.

`--bless` rewrites the .stderr and .json files from the compiler's output (never the
annotations: those are the reviewer's statement of what must be reported), except for tests
whose diagnostics or exit status disagree with their annotations: those fail and are left as
they are. `--coverage`
only checks that every code of compiler/diagnostics/kinds.def appears in some .stderr file;
a full run (no filter) checks it too. Uses the Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

UI_DIR = Path(__file__).resolve().parent
REPO_ROOT = UI_DIR.parent.parent
KINDS_DEF = REPO_ROOT / "compiler" / "diagnostics" / "kinds.def"
AUX_DIR_NAME = "aux"
TIMEOUT_SECONDS = 60

ANNOTATION_RE = re.compile(
    r"//~(?P<where>\^+|\||\?)?\s*(?P<sev>ERROR|WARNING|WARN|NOTE|HELP)\s+(?P<code>E\d{4})(?P<msg>(?:(?!//~).)*)"
)
EXIT_RE = re.compile(r"^\s*//\s*exit:\s*(?P<code>\d+)\s*$")
SEVERITY_NAMES = {"ERROR": "error", "WARN": "warning", "WARNING": "warning", "NOTE": "note", "HELP": "help"}


@dataclass
class Annotation:
    line: int | None  # None: a diagnostic in another file (`//~?`)
    severity: str
    code: str
    message: str
    written_on: int

    def describe(self) -> str:
        where = f"line {self.line}" if self.line is not None else "another file"
        text = f" `{self.message}`" if self.message else ""
        return f"{self.severity}[{self.code}] on {where}{text} (annotation on line {self.written_on})"


@dataclass
class Outcome:
    name: str
    problems: list[str] = field(default_factory=list)
    blessed: list[str] = field(default_factory=list)


def parse_annotations(text: str) -> tuple[list[Annotation], list[str]]:
    annotations: list[Annotation] = []
    errors: list[str] = []
    previous_line: int | None = None
    for index, line in enumerate(text.splitlines(), start=1):
        for m in ANNOTATION_RE.finditer(line):
            where = m.group("where") or ""
            if where == "|":
                if previous_line is None and not annotations:
                    errors.append(f"line {index}: `//~|` with no annotation before it")
                    continue
                target = previous_line
            elif where == "?":
                target = None
            else:
                target = index - len(where)
                if target < 1:
                    errors.append(f"line {index}: annotation points above the first line")
                    continue
            previous_line = target
            annotations.append(Annotation(target, SEVERITY_NAMES[m.group("sev")], m.group("code"),
                                          m.group("msg").strip(), index))
        if "//~" in line and not ANNOTATION_RE.search(line):
            errors.append(f"line {index}: malformed annotation: {line.strip()}")
    return annotations, errors


def expected_exit(text: str, annotations: list[Annotation]) -> int:
    for line in text.splitlines():
        m = EXIT_RE.match(line)
        if m:
            return int(m.group("code"))
    return 1 if any(a.severity == "error" for a in annotations) else 0


def normalise_json(raw: str) -> str:
    return json.dumps(json.loads(raw), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def unified(expected: str, actual: str, path: str) -> str:
    diff = difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                                fromfile=f"{path} (expected)", tofile=f"{path} (actual)")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in diff)


def run_crmxc(crmxc: str, fmt: str, rel: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    env.pop("CLICOLOR_FORCE", None)
    return subprocess.run([crmxc, "check", "--format", fmt, rel], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_SECONDS)


def match_diagnostics(rel: str, diagnostics: list[dict], annotations: list[Annotation]) -> list[str]:
    problems: list[str] = []
    unmatched = list(annotations)
    for d in diagnostics:
        in_this_file = d.get("file") == rel
        line = (d.get("span") or {}).get("line") if in_this_file else None
        severity = d.get("severity", "?")
        code = d.get("code", "?")
        message = d.get("message", "")
        found = None
        for a in unmatched:
            if a.line == line and a.severity == severity and a.code == code and a.message in message:
                found = a
                break
        if found is not None:
            unmatched.remove(found)
        else:
            where = f"line {line}" if in_this_file else f"{d.get('file')}:{(d.get('span') or {}).get('line')}"
            problems.append(f"diagnostic without a matching annotation: {severity}[{code}] at {where}: {message}")
    for a in unmatched:
        problems.append(f"annotation not matched by any diagnostic: {a.describe()}")
    return problems


def run_test(crmxc: str, test: Path, bless: bool) -> Outcome:
    rel = test.relative_to(REPO_ROOT).as_posix()
    outcome = Outcome(rel)
    text = test.read_text(encoding="utf-8", errors="replace")
    annotations, annotation_errors = parse_annotations(text)
    outcome.problems.extend(annotation_errors)
    want_exit = expected_exit(text, annotations)

    try:
        human = run_crmxc(crmxc, "human", rel)
        machine = run_crmxc(crmxc, "json", rel)
    except subprocess.TimeoutExpired:
        outcome.problems.append(f"crmxc took longer than {TIMEOUT_SECONDS}s")
        return outcome

    for fmt, proc in (("human", human), ("json", machine)):
        if proc.returncode != want_exit:
            outcome.problems.append(f"`--format {fmt}` exited with {proc.returncode}, expected {want_exit}")

    try:
        document = json.loads(machine.stdout)
        actual_json = normalise_json(machine.stdout)
    except json.JSONDecodeError as e:
        outcome.problems.append(f"`--format json` printed invalid JSON ({e}):\n{machine.stdout}{machine.stderr}")
        document, actual_json = None, machine.stdout

    if document is not None:
        outcome.problems.extend(match_diagnostics(rel, document.get("diagnostics", []), annotations))

    # A test whose diagnostics or exit status disagree with its annotations is never blessed:
    # its expected files keep what the reviewer last accepted until the annotations are fixed.
    can_bless = bless and not outcome.problems
    for suffix, actual in ((".stderr", human.stderr), (".json", actual_json)):
        golden = test.with_suffix(suffix)
        golden_rel = golden.relative_to(REPO_ROOT).as_posix()
        expected = golden.read_text(encoding="utf-8") if golden.exists() else None
        if can_bless:
            if expected != actual:
                golden.write_text(actual, encoding="utf-8")
                outcome.blessed.append(golden_rel)
            continue
        if expected is None:
            outcome.problems.append(f"{golden_rel} is missing (run with --bless to create it)")
        elif expected != actual:
            outcome.problems.append(f"{golden_rel} differs:\n{unified(expected, actual, golden_rel)}")
    return outcome


def find_tests(filters: list[str]) -> list[Path]:
    tests = []
    for path in sorted(UI_DIR.rglob("*.crmx")):
        if AUX_DIR_NAME in path.relative_to(UI_DIR).parts[:-1]:
            continue
        rel = path.relative_to(REPO_ROOT).as_posix()
        if filters and not any(f in rel for f in filters):
            continue
        tests.append(path)
    return tests


def check_coverage() -> list[str]:
    codes = re.findall(r"^\s*CRMX_DIAG\(\s*(E\d{4})\s*,", KINDS_DEF.read_text(encoding="utf-8"), re.M)
    if not codes:
        return [f"no codes found in {KINDS_DEF.relative_to(REPO_ROOT)}"]
    seen: set[str] = set()
    for golden in UI_DIR.rglob("*.stderr"):
        seen.update(re.findall(r"^(?:error|warning|note|help)\[(E\d{4})\]",
                               golden.read_text(encoding="utf-8", errors="replace"), re.M))
    missing = [c for c in codes if c not in seen]
    return [f"{c} is not exercised by any tests/ui/**/*.stderr (no `error[{c}]`)" for c in missing]


def main() -> int:
    parser = argparse.ArgumentParser(description="Run crmxc's golden UI tests.")
    parser.add_argument("--crmxc", help="path to the crmxc binary (required unless --coverage)")
    parser.add_argument("--bless", action="store_true", help="rewrite the .stderr and .json files")
    parser.add_argument("--coverage", action="store_true",
                        help="only check that every diagnostic code is exercised by some test")
    parser.add_argument("filters", nargs="*", help="run only tests whose path contains one of these")
    args = parser.parse_args()

    if args.coverage:
        missing = check_coverage()
        for m in missing:
            print(f"coverage: {m}")
        print(f"ui coverage: {'ok' if not missing else f'{len(missing)} codes not covered'}")
        return 1 if missing else 0

    if not args.crmxc:
        parser.error("--crmxc PATH is required")
    crmxc = str(Path(args.crmxc).resolve())
    if not os.access(crmxc, os.X_OK):
        print(f"error: {args.crmxc} is not an executable", file=sys.stderr)
        return 2

    tests = find_tests(args.filters)
    passed = failed = 0
    for test in tests:
        outcome = run_test(crmxc, test, args.bless)
        for b in outcome.blessed:
            print(f"blessed {b}")
        if outcome.problems:
            failed += 1
            print(f"FAIL {outcome.name}")
            for p in outcome.problems:
                print("  " + p.replace("\n", "\n  ").rstrip())
        else:
            passed += 1
    if args.filters and not tests:
        print(f"no test matches {' '.join(args.filters)}")

    if not args.filters:
        missing = check_coverage()
        for m in missing:
            print(f"coverage: {m}")
        if missing:
            failed += 1
            print("FAIL coverage")
        else:
            passed += 1

    print(f"ui: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
