#!/usr/bin/env python3
"""Tests of `crmxc fmt`: golden layouts, idempotence, mangled layouts, the CLI, plan equality.

Usage: run_fmt_tests.py --crmxc PATH SUITE [--bless]

SUITE is one of:
  golden      each tests/fmt/golden/NAME.input formatted (`crmxc fmt -`) is exactly NAME.crmx, and
              NAME.crmx is already formatted (`crmxc fmt --check` exits 0). `--bless` rewrites
              the .crmx files from crmxc's output (read the diff before committing it).
  idempotent  every .crmx file of the repository that parses: fmt(fmt(x)) == fmt(x), and the
              formatted text has the same tokens and comments as the file.
  mangled     a corpus of mangled layouts of the north star (examples/acme-salesforce-netsuite)
              and of the golden inputs richest in comments and strings, generated here with a
              fixed seed: whitespace, line breaks and comment positions
              varied where the grammar allows. Every one formats, formatting is idempotent and
              keeps the tokens and comments; a mangle that only changes spaces within lines
              formats to the north star's own layout (trailing-comment columns aside).
  cli         exit statuses and output of --check, --diff, `-`, in-place writing, a folder, and
              a file with a syntax error (exit 2, the file untouched).
  plan        formatting an example changes nothing in its plan: `crmxc build` of every example
              spec, formatted in a copy of its folder, writes the same plan.
  repo        `crmxc fmt --check` passes on every spec of the repository that parses (the fuzz
              corpus's seeds apart): the repository's specs are formatted.
crmxc runs from the repository root. The last line is `fmt SUITE: N passed, M failed`.
"""

import argparse
import difflib
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
NORTH_STAR = REPO / "examples/acme-salesforce-netsuite/acme.crmx"
SEED = 20261206
# Sources of mangled layouts and how many of each: the north star, and the golden inputs with
# the most comments, block comments and multi-line strings.
MANGLED = [(NORTH_STAR, 60), (HERE / "golden/comments.input", 20), (HERE / "golden/strings.input", 20)]

# ------------------------------------------------------------------------------ a small lexer
# Enough of the grammar's lexer (grammar/Crmx.g4) to split a spec into tokens, comments and
# whitespace: the mangler needs the gaps, and the token check compares what is not whitespace.
TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\n\f]+)
  | (?P<line_comment>//[^\r\n]*)
  | (?P<block_comment>/\*.*?\*/)
  | (?P<string>[rRbB]{0,2}(?:\"\"\"(?:\\.|.)*?\"\"\"|'''(?:\\.|.)*?'''|"(?:\\.|[^\\"\r\n])*"|'(?:\\.|[^\\'\r\n])*'))
  | (?P<number>(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+)[a-zA-Z_0-9]*)
  | (?P<word>[_a-zA-Z][_a-zA-Z0-9]*|`[^`\r\n]+`)
  | (?P<op>->|\?\?|==|!=|<=|>=|&&|\|\||[=<>!+\-*/%?:,.~()\[\]{}])
  """,
    re.VERBOSE | re.DOTALL,
)


def lex(text):
    """[(kind, text)] for the whole text, whitespace included; raises on a character it cannot read."""
    out, pos = [], 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot lex at {pos}: {text[pos:pos + 20]!r}")
        out.append((m.lastgroup, m.group()))
        pos = m.end()
    return out


def words(text):
    """The tokens and comments of a text: what formatting must not change."""
    return [t for k, t in lex(text) if k != "ws"]


# ------------------------------------------------------------------------------ running crmxc
def crmxc(args, crmxc_path, stdin=None, cwd=REPO):
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([crmxc_path] + args, cwd=cwd, env=env, input=stdin, capture_output=True, text=True,
                          errors="replace", timeout=120)


def fmt_text(crmxc_path, text):
    """(exit status, stdout, stderr) of `crmxc fmt -` on `text`."""
    r = crmxc(["fmt", "-"], crmxc_path, stdin=text)
    return r.returncode, r.stdout, r.stderr


class Results:
    def __init__(self, suite):
        self.suite, self.passed, self.failed = suite, 0, 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {what}" + (f"\n{detail}" if detail else ""))
        return ok

    def finish(self):
        print(f"fmt {self.suite}: {self.passed} passed, {self.failed} failed")
        return 0 if self.failed == 0 and self.passed > 0 else 1


def diff(a, b, name):
    return "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True), name, name + " (formatted)"))


# ------------------------------------------------------------------------------ golden
def suite_golden(crmxc_path, bless):
    res = Results("golden")
    inputs = sorted(HERE.glob("golden/*.input"))
    res.check(len(inputs) >= 5, "golden: at least five input files", str(inputs))
    for inp in inputs:
        expected_path = inp.with_suffix(".crmx")
        rc, out, err = fmt_text(crmxc_path, inp.read_text())
        if not res.check(rc == 0, f"{inp.name}: crmxc fmt exited {rc}", err):
            continue
        if bless:
            expected_path.write_text(out)
        expected = expected_path.read_text() if expected_path.exists() else ""
        res.check(out == expected, f"{inp.name}: output differs from {expected_path.name}",
                  diff(expected, out, expected_path.name))
        res.check(words(out) == words(inp.read_text()), f"{inp.name}: tokens or comments changed")
        r = crmxc(["fmt", "--check", str(expected_path.relative_to(REPO))], crmxc_path)
        res.check(r.returncode == 0 and r.stdout == "", f"{expected_path.name}: not a fixed point of fmt",
                  r.stdout + r.stderr)
    return res.finish()


# ------------------------------------------------------------------------------ idempotent
def repo_specs():
    skip = {".git", "node_modules"}
    for root, dirs, files in os.walk(REPO):
        dirs[:] = sorted(d for d in dirs if d not in skip and not d.startswith("build"))
        for f in sorted(files):
            if f.endswith(".crmx"):
                yield Path(root) / f


def suite_idempotent(crmxc_path):
    res = Results("idempotent")
    formatted = refused = 0
    for spec in repo_specs():
        rel = spec.relative_to(REPO).as_posix()
        text = spec.read_text(errors="replace")
        rc, once, err = fmt_text(crmxc_path, text)
        if rc == 2 and "syntax errors" in err:
            refused += 1  # a test of syntax errors (tests/ui/syntax, the fuzz corpus)
            res.check(once == text, f"{rel}: a file with syntax errors is not passed through unchanged")
            continue
        if not res.check(rc == 0, f"{rel}: crmxc fmt exited {rc}", err):
            continue
        formatted += 1
        rc2, twice, err2 = fmt_text(crmxc_path, once)
        res.check(rc2 == 0 and twice == once, f"{rel}: formatting twice changes the text",
                  diff(once, twice, rel) + err2)
        try:
            same = words(once) == words(text)
        except ValueError:
            same = True  # text the small lexer does not read (fuzz seeds): crmxc checks it itself
        res.check(same, f"{rel}: tokens or comments changed")
    print(f"{formatted} files formatted, {refused} refused for syntax errors")
    res.check(formatted >= 50, f"at least 50 repository specs format (got {formatted})")
    return res.finish()


# ------------------------------------------------------------------------------ mangled
SAFE_TIGHT = set("()[]{},")


def mangle(text, rng, vertical):
    """A layout of `text` with the same tokens: spaces and indentation varied; when `vertical`,
    also line breaks added and removed, blank lines, comments moved to or from their own line."""
    toks = lex(text)
    out = []
    prev = None  # the previous non-whitespace token (kind, text)
    i = 0
    while i < len(toks):
        kind, tok = toks[i]
        if kind == "ws":
            i += 1
            continue
        gap = toks[i - 1][1] if i > 0 and toks[i - 1][0] == "ws" else ""
        if prev is not None:
            newlines = gap.count("\n")
            must_break = prev[0] == "line_comment"
            if vertical:
                roll = rng.random()
                if newlines == 0 and roll < 0.15:
                    newlines = 1  # a new line break (before a trailing comment: it moves to its own line)
                elif newlines > 0 and roll < 0.25 and not must_break:
                    newlines = 0  # lines joined (an own-line comment becomes a trailing one)
                elif newlines > 0 and roll < 0.35:
                    newlines = rng.randint(2, 4)
            if newlines > 0:
                out.append("\n" * newlines + rng.choice(["", " ", "\t", "  ", "      ", " " * rng.randint(0, 30)]))
            else:
                tight_ok = (prev[1] in SAFE_TIGHT or tok in SAFE_TIGHT) and "comment" not in kind + prev[0]
                spaces = rng.choice([" ", "  ", "\t", " " * rng.randint(1, 9)])
                out.append("" if tight_ok and rng.random() < 0.5 else spaces)
        out.append(tok)
        prev = (kind, tok)
        i += 1
    return "".join(out) + rng.choice(["", "\n", "\n\n\n"])


def strip_comment_columns(text):
    """The text with the spaces before every trailing line comment made one: the formatter keeps a
    trailing comment where its author put it, so only that column may differ."""
    toks = lex(text)
    out = []
    for i, (kind, tok) in enumerate(toks):
        trailing_gap = (kind == "ws" and "\n" not in tok and 0 < i < len(toks) - 1
                        and toks[i + 1][0] == "line_comment")
        out.append(" " if trailing_gap else tok)
    return "".join(out)


def suite_mangled(crmxc_path):
    res = Results("mangled")
    rng = random.Random(SEED)
    for path, count in MANGLED:
        source = path.read_text()
        rc, canonical, err = fmt_text(crmxc_path, source)
        if not res.check(rc == 0, f"{path.name} formats (exit {rc})", err):
            continue
        for n in range(count):
            vertical = n % 2 == 1
            variant = mangle(source, rng, vertical)
            name = f"{path.name} variant {n} ({'lines and spaces' if vertical else 'spaces'})"
            if not res.check(words(variant) == words(source), f"{name}: the mangler changed a token (a test bug)"):
                continue
            rc, once, err = fmt_text(crmxc_path, variant)
            if not res.check(rc == 0, f"{name}: crmxc fmt exited {rc}", err + "\n--- variant:\n" + variant):
                continue
            rc2, twice, err2 = fmt_text(crmxc_path, once)
            res.check(rc2 == 0 and twice == once, f"{name}: not idempotent",
                      diff(once, twice, name) + err2 + "\n--- variant:\n" + variant)
            res.check(words(once) == words(source), f"{name}: tokens or comments changed")
            if not vertical:
                res.check(strip_comment_columns(once) == strip_comment_columns(canonical),
                          f"{name}: a spaces-only mangle does not format to the layout of {path.name}",
                          diff(canonical, once, name))
    return res.finish()


# ------------------------------------------------------------------------------ cli
def suite_cli(crmxc_path):
    res = Results("cli")
    unformatted = (HERE / "golden/blocks.input").read_text()
    formatted = (HERE / "golden/blocks.crmx").read_text()
    with tempfile.TemporaryDirectory(prefix="crmx-fmt-") as tmp:
        tmp = Path(tmp)
        bad, good = tmp / "bad.crmx", tmp / "good.crmx"
        bad.write_text(unformatted)
        good.write_text(formatted)

        # --check on a formatted file: exit 0, nothing printed.
        r = crmxc(["fmt", "--check", str(good)], crmxc_path)
        res.check(r.returncode == 0 and r.stdout == "" and r.stderr == "", "--check on a formatted file",
                  f"exit {r.returncode}\n{r.stdout}{r.stderr}")
        # --check on an unformatted file: exit 1, a unified diff on stdout, the file untouched.
        r = crmxc(["fmt", "--check", str(bad)], crmxc_path)
        res.check(r.returncode == 1, "--check on an unformatted file exits 1", f"exit {r.returncode}\n{r.stderr}")
        res.check(r.stdout.startswith(f"--- a/{bad}\n+++ b/{bad}\n@@ -"), "--check prints a unified diff", r.stdout)
        res.check("1 file is not formatted" in r.stderr, "--check says how many files are not formatted", r.stderr)
        res.check(bad.read_text() == unformatted, "--check writes nothing")
        # The diff is the change: applied with `patch`, it gives the formatted text.
        if shutil.which("patch"):
            patched = tmp / "patched.crmx"
            patched.write_text(unformatted)
            p = subprocess.run(["patch", "-s", str(patched)], input=r.stdout, capture_output=True, text=True)
            res.check(p.returncode == 0 and patched.read_text() == formatted, "the --check diff applies with patch",
                      p.stdout + p.stderr)
        # --diff: the same diff, exit 0, nothing written.
        r2 = crmxc(["fmt", "--diff", str(bad)], crmxc_path)
        res.check(r2.returncode == 0 and r2.stdout == r.stdout and bad.read_text() == unformatted,
                  "--diff prints the diff and writes nothing", f"exit {r2.returncode}\n{r2.stdout}{r2.stderr}")
        # `-`: standard input to standard output.
        r = crmxc(["fmt", "-"], crmxc_path, stdin=unformatted)
        res.check(r.returncode == 0 and r.stdout == formatted, "fmt - formats standard input to standard output",
                  r.stderr)
        r = crmxc(["fmt", "--check", "-"], crmxc_path, stdin=unformatted)
        res.check(r.returncode == 1 and r.stdout.startswith("--- a/<stdin>"), "fmt --check - on unformatted input",
                  f"exit {r.returncode}\n{r.stdout}")
        # In place: the file is rewritten, exit 0; a second run changes nothing.
        r = crmxc(["fmt", str(bad)], crmxc_path)
        res.check(r.returncode == 0 and bad.read_text() == formatted, "fmt FILE rewrites the file in place",
                  f"exit {r.returncode}\n{r.stderr}")
        mtime = bad.stat().st_mtime_ns
        r = crmxc(["fmt", str(bad)], crmxc_path)
        res.check(r.returncode == 0 and bad.stat().st_mtime_ns == mtime, "an already formatted file is not rewritten")
        # A folder: every .crmx under it.
        sub = tmp / "dir" / "nested"
        sub.mkdir(parents=True)
        (sub / "a.crmx").write_text(unformatted)
        (tmp / "dir" / "b.crmx").write_text(formatted)
        (tmp / "dir" / "notes.txt").write_text("not a spec {")
        r = crmxc(["fmt", "--check", str(tmp / "dir")], crmxc_path)
        res.check(r.returncode == 1 and f"--- a/{sub / 'a.crmx'}" in r.stdout and "b.crmx" not in r.stdout,
                  "--check DIR checks the .crmx files under it", f"exit {r.returncode}\n{r.stdout}{r.stderr}")
        r = crmxc(["fmt", str(tmp / "dir")], crmxc_path)
        res.check(r.returncode == 0 and (sub / "a.crmx").read_text() == formatted, "fmt DIR formats them in place")
        # Syntax errors: exit 2, the diagnostics on stderr, the file untouched.
        broken_text = (HERE / "cli/syntax_error.input").read_text()
        broken = tmp / "broken.crmx"
        broken.write_text(broken_text)
        r = crmxc(["fmt", str(broken)], crmxc_path)
        res.check(r.returncode == 2, "a file with a syntax error: exit 2", f"exit {r.returncode}")
        res.check(re.search(r"error\[E\d{4}\]", r.stderr) is not None and "not formatted" in r.stderr,
                  "a file with a syntax error: its diagnostics are printed", r.stderr)
        res.check(broken.read_text() == broken_text, "a file with a syntax error is not rewritten")
        r = crmxc(["fmt", "-"], crmxc_path, stdin=broken_text)
        res.check(r.returncode == 2 and r.stdout == broken_text,
                  "fmt - with a syntax error: exit 2, the input passed through", f"exit {r.returncode}")
        r = crmxc(["fmt", "--check", str(broken), str(good)], crmxc_path)
        res.check(r.returncode == 2, "--check: a syntax error wins over formatted files (exit 2)",
                  f"exit {r.returncode}")
        # A missing file: exit 2.
        r = crmxc(["fmt", str(tmp / "missing.crmx")], crmxc_path)
        res.check(r.returncode == 2 and "no such file" in r.stderr, "a missing file: exit 2", r.stderr)
    return res.finish()


# ------------------------------------------------------------------------------ plan
def suite_plan(crmxc_path):
    res = Results("plan")
    examples = sorted(p for p in (REPO / "examples").iterdir() if p.is_dir())
    with tempfile.TemporaryDirectory(prefix="crmx-fmt-plan-") as tmp:
        # A mirror of the repository where examples/ holds formatted copies and everything else
        # is a link to the real thing: specs reach schemas by `../../schemas/...`.
        mirror = Path(tmp) / "repo"
        (mirror / "examples").mkdir(parents=True)
        for entry in REPO.iterdir():
            if entry.name != "examples" and not entry.name.startswith("build"):
                (mirror / entry.name).symlink_to(entry)
        built = changed = 0
        for example in examples:
            copy = mirror / "examples" / example.name
            shutil.copytree(example, copy, symlinks=True)
            r = crmxc(["fmt", str(copy)], crmxc_path)
            if not res.check(r.returncode == 0, f"{example.name}: crmxc fmt exited {r.returncode}", r.stderr):
                continue
            for spec in sorted(example.glob("*.crmx")):
                rel = spec.relative_to(REPO).as_posix()
                before, after = Path(tmp) / f"{spec.stem}.before.plan", Path(tmp) / f"{spec.stem}.after.plan"
                r1 = crmxc(["build", rel, "-o", str(before)], crmxc_path)
                if r1.returncode != 0:
                    print(f"SKIP {rel}: does not build as it is (exit {r1.returncode})")
                    continue
                r2 = crmxc(["build", rel, "-o", str(after)], crmxc_path, cwd=mirror)
                if not res.check(r2.returncode == 0, f"{rel} formatted: crmxc build exited {r2.returncode}",
                                 r2.stdout + r2.stderr):
                    continue
                changed += (copy / spec.name).read_text() != spec.read_text()
                a, b = before.read_text(), after.read_text()
                res.check(a == b, f"{rel}: formatting changed the plan", diff(a, b, rel)[:4000])
                built += 1
        print(f"{built} example specs built, {changed} of them changed by formatting")
        res.check(built >= 3, f"at least three example specs built (got {built})")
    return res.finish()


# ------------------------------------------------------------------------------ repo
def suite_repo(crmxc_path):
    """`crmxc fmt --check` passes on every spec of the repository that parses (the specs of
    syntax-error tests cannot be formatted and are left out)."""
    res = Results("repo")
    checked = 0
    for spec in repo_specs():
        rel = spec.relative_to(REPO).as_posix()
        # The fuzz corpus holds seeds, kept as the fuzzer wrote or mangled them, not specs.
        if rel.startswith("tests/fuzz/"):
            continue
        r = crmxc(["fmt", "--check", rel], crmxc_path)
        if r.returncode == 2 and "syntax errors" in r.stderr:
            continue
        checked += 1
        res.check(r.returncode == 0, f"{rel} is not formatted (run `crmxc fmt {rel}`)", r.stdout[:3000] + r.stderr)
    res.check(checked >= 50, f"at least 50 repository specs checked (got {checked})")
    return res.finish()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crmxc", required=True)
    ap.add_argument("--bless", action="store_true")
    ap.add_argument("suite", choices=["golden", "idempotent", "mangled", "cli", "plan", "repo"])
    args = ap.parse_args()
    crmxc_path = os.path.abspath(args.crmxc)
    if args.suite == "golden":
        return suite_golden(crmxc_path, args.bless)
    if args.suite == "idempotent":
        return suite_idempotent(crmxc_path)
    if args.suite == "mangled":
        return suite_mangled(crmxc_path)
    if args.suite == "cli":
        return suite_cli(crmxc_path)
    if args.suite == "repo":
        return suite_repo(crmxc_path)
    return suite_plan(crmxc_path)


if __name__ == "__main__":
    sys.exit(main())
