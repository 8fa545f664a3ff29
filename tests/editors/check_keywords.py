#!/usr/bin/env python3
"""Checks that the editor grammars know exactly the keywords of grammar/Crmx.g4.

The lexer rules between `// KEYWORDS (reserved)` and `// END KEYWORDS` (split by
`// CONTEXTUAL KEYWORDS`) are the source of truth. Each editor file is compared with them:

- editors/vscode/syntaxes/crmx.tmLanguage.json: the word alternations in the `match` regexes
  of `repository["reserved-keywords"]` and `repository["contextual-keywords"]`;
- editors/vim/syntax/crmx.vim: the lists `let s:reserved_* = [...]` and `let s:contextual = [...]`.

A word missing from an editor file, present but not in the grammar, or in the wrong class
(reserved vs contextual) fails the check with a diff. `--self-test` runs the checker's own
tests, which feed it deliberately mismatched lists and require it to fail.

Standard library only. Exit status: 0 in sync, 1 out of sync, 2 a file could not be parsed.
"""

import argparse
import json
import os
import re
import sys
import unittest

RESERVED = "reserved"
CONTEXTUAL = "contextual"
CLASSES = (RESERVED, CONTEXTUAL)


class ParseError(Exception):
    """A file is not in the shape this checker reads."""


# ------------------------------------------------------------------------------ grammar
_RULE = re.compile(r"^([A-Z][A-Z0-9_]*)\s*:\s*'([^'\\]+)'\s*;\s*(//.*)?$")


def grammar_keywords(text):
    """The reserved and contextual keyword sets of a Crmx.g4 text."""
    sets = {RESERVED: set(), CONTEXTUAL: set()}
    current = None
    seen_end = False
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("// KEYWORDS (reserved)"):
            current = RESERVED
            continue
        if current is None:
            continue
        if line.startswith("// CONTEXTUAL KEYWORDS"):
            current = CONTEXTUAL
            continue
        if line.startswith("// END KEYWORDS"):
            seen_end = True
            break
        if not line or line.startswith("//"):
            continue
        m = _RULE.match(line)
        if not m:
            raise ParseError(f"grammar line {lineno}: not of the form `NAME : 'word' ;`: {line}")
        sets[current].add(m.group(2))
    if current is None:
        raise ParseError("grammar: no `// KEYWORDS (reserved)` marker")
    if not seen_end:
        raise ParseError("grammar: no `// END KEYWORDS` marker")
    if not sets[RESERVED] or not sets[CONTEXTUAL]:
        raise ParseError("grammar: a keyword class is empty")
    return sets


# ------------------------------------------------------------------------------ TextMate
_ALTERNATION = re.compile(r"\((?:\?:)?([a-z_]+(?:\|[a-z_]+)*)\)")


def _regexes(node):
    if isinstance(node, dict):
        for key in ("match", "begin"):
            if isinstance(node.get(key), str):
                yield node[key]
        for value in node.values():
            if isinstance(value, (dict, list)):
                yield from _regexes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _regexes(value)


def tmlanguage_keywords(grammar):
    """The keyword sets of a parsed tmLanguage JSON object."""
    repo = grammar.get("repository", {})
    sets = {}
    for cls in CLASSES:
        key = f"{cls}-keywords"
        if key not in repo:
            raise ParseError(f"tmLanguage: no repository entry `{key}`")
        words = set()
        for regex in _regexes(repo[key]):
            groups = _ALTERNATION.findall(regex)
            if len(groups) != 1:
                raise ParseError(f"tmLanguage `{key}`: expected one word alternation in {regex!r}")
            words.update(groups[0].split("|"))
        sets[cls] = words
    return sets


# ------------------------------------------------------------------------------ vim
_VIM_LIST = re.compile(r"^\s*let\s+s:(\w+)\s*=\s*\[(.*?)\]", re.S | re.M)


def vim_keywords(text):
    """The keyword sets of a vim syntax file's `let s:reserved_*` / `let s:contextual` lists."""
    joined = re.sub(r"\n\s*\\", " ", text)  # line continuations
    sets = {RESERVED: set(), CONTEXTUAL: set()}
    for name, body in _VIM_LIST.findall(joined):
        cls = RESERVED if name.startswith("reserved") else CONTEXTUAL if name.startswith("contextual") else None
        if cls is None:
            continue
        leftover = re.sub(r"'[^']*'|[\s,]", "", body)
        if leftover:
            raise ParseError(f"vim list s:{name}: unexpected text {leftover!r}")
        sets[cls].update(re.findall(r"'([^']*)'", body))
    for cls in CLASSES:
        if not sets[cls]:
            raise ParseError(f"vim: no `let s:{cls}...` keyword list")
    return sets


# ------------------------------------------------------------------------------ compare
def compare(expected, actual, label):
    """Problems (a list of lines, empty when in sync) between the grammar's sets and a file's."""
    problems = []
    for cls in CLASSES:
        other = CONTEXTUAL if cls == RESERVED else RESERVED
        missing = sorted(expected[cls] - actual[cls])
        extra = sorted(actual[cls] - expected[cls])
        for word in missing:
            where = f" (it is listed as {other})" if word in actual[other] else ""
            problems.append(f"{label}: {cls} keyword `{word}` is missing{where}")
        for word in extra:
            where = f" (the grammar has it as {other})" if word in expected[other] else " (not a keyword of the grammar)"
            problems.append(f"{label}: `{word}` is listed as {cls} but should not be{where}")
    return problems


def run_check(root):
    paths = {
        "grammar": os.path.join(root, "grammar", "Crmx.g4"),
        "vscode": os.path.join(root, "editors", "vscode", "syntaxes", "crmx.tmLanguage.json"),
        "vim": os.path.join(root, "editors", "vim", "syntax", "crmx.vim"),
    }
    try:
        with open(paths["grammar"], encoding="utf-8") as f:
            expected = grammar_keywords(f.read())
        with open(paths["vscode"], encoding="utf-8") as f:
            vscode = tmlanguage_keywords(json.load(f))
        with open(paths["vim"], encoding="utf-8") as f:
            vim = vim_keywords(f.read())
    except (OSError, ValueError, ParseError) as e:
        print(f"check_keywords: error: {e}", file=sys.stderr)
        return 2
    problems = compare(expected, vscode, os.path.relpath(paths["vscode"], root))
    problems += compare(expected, vim, os.path.relpath(paths["vim"], root))
    counts = f"{len(expected[RESERVED])} reserved, {len(expected[CONTEXTUAL])} contextual"
    if problems:
        print(f"check_keywords: FAIL: editor keyword lists differ from grammar/Crmx.g4 ({counts})")
        for p in problems:
            print("  " + p)
        return 1
    print(f"check_keywords: ok: VS Code and vim match grammar/Crmx.g4 ({counts})")
    return 0


# ------------------------------------------------------------------------------ self-test
_G4 = """grammar T;
// KEYWORDS (reserved)
MAP : 'map' ;
HOLD : 'hold' ;
// CONTEXTUAL KEYWORDS
SCHEMA : 'schema' ;
EVERY : 'every' ;
// END KEYWORDS
ARROW : '->' ;
"""


def _tm(reserved, contextual):
    def kw(words):
        return {"match": r"(?<![\w.`])\b(?:" + "|".join(words) + r")\b(?![\w`]|:(?!:))"}
    return {"repository": {"reserved-keywords": {"patterns": [kw(reserved)]},
                           "contextual-keywords": {"patterns": [kw(contextual)]}}}


def _vim(reserved, contextual):
    q = lambda ws: ", ".join(f"'{w}'" for w in ws)
    return f"let s:reserved_a = [{q(reserved)}]\nlet s:contextual = [\n      \\ {q(contextual)}]\n"


class SelfTest(unittest.TestCase):
    def setUp(self):
        self.expected = grammar_keywords(_G4)

    def test_grammar_parse(self):
        self.assertEqual(self.expected, {RESERVED: {"map", "hold"}, CONTEXTUAL: {"schema", "every"}})

    def test_grammar_rejects_unknown_rule_shape(self):
        with self.assertRaises(ParseError):
            grammar_keywords(_G4.replace("EVERY : 'every' ;", "EVERY : 'every' | 'each' ;"))

    def test_in_sync_passes(self):
        self.assertEqual(compare(self.expected, tmlanguage_keywords(_tm(["map", "hold"], ["schema", "every"])), "tm"), [])
        self.assertEqual(compare(self.expected, vim_keywords(_vim(["map", "hold"], ["schema", "every"])), "vim"), [])

    def test_missing_and_extra_fail(self):
        problems = compare(self.expected, tmlanguage_keywords(_tm(["map"], ["schema", "every", "daily"])), "tm")
        text = "\n".join(problems)
        self.assertEqual(len(problems), 2, text)
        self.assertIn("reserved keyword `hold` is missing", text)
        self.assertIn("`daily` is listed as contextual but should not be (not a keyword of the grammar)", text)

    def test_wrong_class_fails(self):
        problems = compare(self.expected, vim_keywords(_vim(["map", "hold", "schema"], ["every"])), "vim")
        text = "\n".join(problems)
        self.assertIn("contextual keyword `schema` is missing (it is listed as reserved)", text)
        self.assertIn("`schema` is listed as reserved but should not be (the grammar has it as contextual)", text)

    def test_unreadable_tm_entry_fails(self):
        with self.assertRaises(ParseError):
            tmlanguage_keywords({"repository": {"reserved-keywords": {"match": "map"}, "contextual-keywords": {}}})

    def test_run_check_end_to_end(self):
        # run_check on a scratch tree: 0 when in sync, 1 when one file lacks a word.
        import contextlib
        import io
        import tempfile
        with tempfile.TemporaryDirectory() as root, contextlib.redirect_stdout(io.StringIO()):
            def write(rel, text):
                path = os.path.join(root, *rel.split("/"))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
            write("grammar/Crmx.g4", _G4)
            write("editors/vscode/syntaxes/crmx.tmLanguage.json", json.dumps(_tm(["map", "hold"], ["schema", "every"])))
            write("editors/vim/syntax/crmx.vim", _vim(["map", "hold"], ["schema", "every"]))
            self.assertEqual(run_check(root), 0)
            write("editors/vim/syntax/crmx.vim", _vim(["map"], ["schema", "every"]))
            self.assertEqual(run_check(root), 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        help="repository root (default: two levels above this script)")
    parser.add_argument("--self-test", action="store_true", help="run the checker's own tests")
    args = parser.parse_args()
    if args.self_test:
        result = unittest.TextTestRunner(verbosity=1).run(unittest.defaultTestLoader.loadTestsFromTestCase(SelfTest))
        return 0 if result.wasSuccessful() else 1
    return run_check(args.root)


if __name__ == "__main__":
    sys.exit(main())
