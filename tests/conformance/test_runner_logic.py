#!/usr/bin/env python3
"""Tests run_conformance.py without a CEL implementation: value comparison, verdicts,
known-failure bookkeeping, and whole runs against a fake `crmxc` that answers from canned
results (batch mode, single mode, crashes, and no eval command at all)."""

import contextlib
import io
import json
import os
import stat
import sys
import tempfile
import textwrap
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_conformance as rc  # noqa: E402


def I(n):
    return {"int": str(n)}


def D(x):
    return {"double": x}


def S(s):
    return {"string": s}


class ValuesEqual(unittest.TestCase):
    def test_scalars(self):
        self.assertTrue(rc.values_equal(I(123), {"int": "123"}))
        self.assertTrue(rc.values_equal(I(123), {"int": 123}))  # number form accepted
        self.assertTrue(rc.values_equal(I(-9223372036854775808), {"int": "-9223372036854775808"}))
        self.assertFalse(rc.values_equal(I(1), D(1.0)))  # kinds must match
        self.assertFalse(rc.values_equal(I(1), {"uint": "1"}))
        self.assertFalse(rc.values_equal(I(1), {"int": 1.0}))
        self.assertTrue(rc.values_equal({"bool": True}, {"bool": True}))
        self.assertFalse(rc.values_equal({"bool": True}, {"bool": 1}))
        self.assertTrue(rc.values_equal({"null": True}, {"null": True}))
        self.assertTrue(rc.values_equal(S("é"), S("é")))
        self.assertFalse(rc.values_equal(S("a"), S("a ")))
        self.assertTrue(rc.values_equal({"bytes": "AP8="}, {"bytes": "AP8="}))
        self.assertTrue(rc.values_equal({"type": "int"}, {"type": "int"}))
        self.assertFalse(rc.values_equal({"type": "int"}, S("int")))

    def test_doubles(self):
        self.assertTrue(rc.values_equal(D("NaN"), D("NaN")))
        self.assertFalse(rc.values_equal(D("NaN"), D(0.0)))
        self.assertTrue(rc.values_equal(D(0.0), D(-0.0)))  # CEL: -0.0 == 0.0
        self.assertTrue(rc.values_equal(D(0), D("-0")))
        self.assertTrue(rc.values_equal(D("Infinity"), D("Infinity")))
        self.assertFalse(rc.values_equal(D("Infinity"), D("-Infinity")))
        self.assertTrue(rc.values_equal(D(1.5), D(1.5)))
        self.assertTrue(rc.values_equal(D(2.0), D(2)))
        self.assertFalse(rc.values_equal(D(0.1), D(0.1000000000000001)))

    def test_containers(self):
        self.assertTrue(rc.values_equal({"list": [I(1), S("a")]}, {"list": [I(1), S("a")]}))
        self.assertFalse(rc.values_equal({"list": [I(1), I(2)]}, {"list": [I(2), I(1)]}))
        self.assertFalse(rc.values_equal({"list": [I(1)]}, {"list": [I(1), I(1)]}))
        m1 = {"map": [[S("a"), I(1)], [S("b"), {"list": []}]]}
        m2 = {"map": [[S("b"), {"list": []}], [S("a"), I(1)]]}
        self.assertTrue(rc.values_equal(m1, m2))  # unordered
        self.assertFalse(rc.values_equal(m1, {"map": [[S("a"), I(1)]]}))
        self.assertFalse(rc.values_equal(m1, {"map": [[S("a"), I(2)], [S("b"), {"list": []}]]}))
        self.assertFalse(rc.values_equal({"map": [[I(1), I(1)]]}, {"map": [[D(1.0), I(1)]]}))

    def test_time(self):
        self.assertTrue(rc.values_equal({"duration": "1.5s"}, {"duration": "1.500s"}))
        self.assertFalse(rc.values_equal({"duration": "1s"}, {"duration": "-1s"}))
        self.assertTrue(rc.values_equal({"timestamp": "2009-02-13T23:31:30Z"},
                                        {"timestamp": "2009-02-13T23:31:30.000Z"}))
        self.assertTrue(rc.values_equal({"timestamp": "2009-02-13T23:31:30Z"},
                                        {"timestamp": "2009-02-14T01:31:30+02:00"}))

    def test_malformed(self):
        self.assertFalse(rc.values_equal(I(1), {"int": "1", "double": 1}))
        self.assertFalse(rc.values_equal(I(1), 1))
        self.assertFalse(rc.values_equal({"bytes": "AP8="}, {"bytes": "!!"}))


def case(cid, expected, expr="x", **kw):
    f, s, n = cid.split("/", 2)
    c = {"id": cid, "file": f, "section": s, "name": n, "expr": expr,
         "type_env": [], "bindings": {}, "expected": expected}
    c.update(kw)
    return c


class Verdicts(unittest.TestCase):
    def test_judge(self):
        val = case("f/s/v", {"value": I(1)})
        err = case("f/s/e", {"error": True, "messages": ["no such overload"]})
        self.assertTrue(rc.judge(val, {"value": I(1), "type": "int"})[0])
        self.assertFalse(rc.judge(val, {"value": D(1.0)})[0])
        self.assertFalse(rc.judge(val, {"error": "boom", "phase": "eval"})[0])
        self.assertTrue(rc.judge(err, {"error": "other words", "phase": "eval"})[0])
        self.assertTrue(rc.judge(err, {"error": "rejected", "phase": "check"})[0])  # compile time counts
        self.assertFalse(rc.judge(err, {"value": I(1)})[0])
        self.assertFalse(rc.judge(err, {"harness": "timeout"})[0])  # a crash is not an error result
        self.assertFalse(rc.judge(case("f/s/u", {"unknown": [1]}), {"value": I(1)})[0])

    def test_known_failures_parse(self):
        known, errors = rc.parse_known_failures(textwrap.dedent("""\
            # header comment
            basic/self_eval/a  # reason one

            string_ext/format/dyntype NaN/infinity support  # names hold spaces and slashes
            lists/index/b
            x/y
            basic/self_eval/a # twice
            """))
        self.assertIn("basic/self_eval/a", known)
        self.assertIn("string_ext/format/dyntype NaN/infinity support", known)
        self.assertEqual(len(errors), 4)  # b, x/y: no reason; x/y: not file/section/name; a twice

    def test_evaluate(self):
        cases = [case("f/s/pass", {"value": I(1)}), case("f/s/fail", {"value": I(1)}),
                 case("f/s/known", {"value": I(1)}), case("f/s/fixed", {"value": I(1)}),
                 case("f/s/missing", {"value": I(1)})]
        results = {"f/s/pass": {"value": I(1)}, "f/s/fail": {"value": I(2)},
                   "f/s/known": {"error": "x", "phase": "check"}, "f/s/fixed": {"value": I(1)}}
        known = {"f/s/known": "r", "f/s/fixed": "r", "f/s/gone": "r"}
        rep = rc.evaluate(cases, results, known)
        self.assertEqual(rep["passed"], ["f/s/pass", "f/s/fixed"])
        self.assertEqual([c for c, _ in rep["unexpected_failures"]], ["f/s/fail", "f/s/missing"])
        self.assertEqual(rep["unexpected_passes"], ["f/s/fixed"])
        self.assertEqual(rep["known_failed"], ["f/s/known"])
        self.assertEqual(rep["stale"], ["f/s/gone"])

    def test_summarize(self):
        cases = [case(f"f/s/c{i}", {"value": I(1)}) for i in range(20)]
        results = {c["id"]: {"value": I(1)} for c in cases}
        results["f/s/c0"] = {"value": I(0)}
        out = io.StringIO()
        rep = rc.evaluate(cases, results, {"f/s/c0": "known"})
        self.assertEqual(rc.summarize(cases, rep, 95.0, out), 0)  # 19/20 = 95%
        self.assertEqual(out.getvalue().splitlines()[-1], "conformance: 19 passed, 1 failed")
        results["f/s/c1"] = {"value": I(0)}
        rep = rc.evaluate(cases, results, {"f/s/c0": "known", "f/s/c1": "known"})
        out = io.StringIO()
        self.assertEqual(rc.summarize(cases, rep, 95.0, out), 1)  # 90% is below target
        self.assertIn("below the target", out.getvalue())
        out = io.StringIO()
        rep = rc.evaluate(cases, {c["id"]: {"value": I(1)} for c in cases}, {"f/s/c0": "known"})
        self.assertEqual(rc.summarize(cases, rep, 95.0, out), 1)  # unexpected pass
        self.assertIn("UNEXPECTED PASSES", out.getvalue())

    def test_vars_and_argv(self):
        c = case("f/s/v", {"value": I(1)}, expr="-x + y",
                 type_env=[{"name": "x", "type": "int"}, {"name": "z", "type": "list(int)"}],
                 bindings={"x": I(2), "y": S("é")}, disable_check=True)
        self.assertEqual(rc.case_vars(c), [
            {"name": "x", "type": "int", "value": I(2)},
            {"name": "z", "type": "list(int)"},
            {"name": "y", "type": "dyn", "value": S("é")}])
        self.assertEqual(rc.single_argv("crmxc", c), [
            "crmxc", "eval", "--format", "json", "--var", 'x:int={"int": "2"}',
            "--decl", "z:list(int)", "--var", 'y:dyn={"string": "é"}', "--no-check", "--", "-x + y"])
        self.assertEqual(rc.batch_request(c)["disable_check"], True)


FAKE = r'''#!/usr/bin/env python3
# Fake crmxc: answers `eval` from canned results keyed by expression.
import json, os, sys
mode = os.environ["FAKE_MODE"]
canned = json.load(open(os.environ["FAKE_RESULTS"]))
args = sys.argv[1:]
if args[:1] != ["eval"] or mode == "noeval":
    print("error: unknown command", file=sys.stderr); sys.exit(2)
if "--help" in args:
    print("crmxc eval [--var NAME:TYPE=JSON]... [--format json]" + (" [--batch FILE]" if mode == "batch" else ""))
    sys.exit(0)
def answer(expr):
    r = canned.get(expr, {"error": "no canned result", "phase": "check"})
    if r == "crash":
        sys.exit(139)
    return r
if "--batch" in args:
    with open(args[args.index("--batch") + 1]) as f:
        for line in f:
            req = json.loads(line)
            r = answer(req["expr"])
            print(json.dumps(dict(r, id=req["id"])), flush=True)
    sys.exit(0)
expr = args[args.index("--") + 1]
r = answer(expr)
print(json.dumps(r))
sys.exit(1 if "error" in r else 0)
'''


class FakeCrmxc(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.tmp.name
        self.crmxc = os.path.join(d, "crmxc")
        with open(self.crmxc, "w") as f:
            f.write(FAKE)
        os.chmod(self.crmxc, os.stat(self.crmxc).st_mode | stat.S_IXUSR)
        self.cases_dir = os.path.join(d, "cases")
        os.makedirs(os.path.join(self.cases_dir, "basic"))
        cases = [case("basic/s/one", {"value": I(1)}, expr="1"),
                 case("basic/s/err", {"error": True}, expr="1/0"),
                 case("basic/s/neg", {"value": D("NaN")}, expr="-0.0/0.0"),
                 case("basic/s/known", {"value": S("a")}, expr="'a'")]
        with open(os.path.join(self.cases_dir, "basic", "s.json"), "w") as f:
            json.dump({"file": "basic", "section": "s", "cases": cases}, f)
        with open(os.path.join(self.cases_dir, "index.json"), "w") as f:
            json.dump({"version": "test", "sections": [
                {"file": "basic", "section": "s", "path": "basic/s.json", "cases": 4}]}, f)
        self.known = os.path.join(d, "known_failures.txt")
        with open(self.known, "w") as f:
            f.write("basic/s/known  # strings are not implemented in the fake\n")
        self.canned = {"1": {"value": I(1), "type": "int"},
                       "1/0": {"error": "division by zero", "phase": "eval"},
                       "-0.0/0.0": {"value": D("NaN"), "type": "double"},
                       "'a'": {"error": "nope", "phase": "check"}}

    def tearDown(self):
        self.tmp.cleanup()

    def run_fake(self, mode, canned=None, min_rate="70"):
        path = os.path.join(self.tmp.name, "canned.json")
        with open(path, "w") as f:
            json.dump(self.canned if canned is None else canned, f)
        os.environ["FAKE_MODE"], os.environ["FAKE_RESULTS"] = mode, path
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            status = rc.main(["--crmxc", self.crmxc, "--cases", self.cases_dir,
                              "--known-failures", self.known, "--min-pass-rate", min_rate,
                              "--jobs", "2"])
        return status, out.getvalue().splitlines()

    def test_skip_only_without_eval(self):
        status, lines = self.run_fake("noeval")
        self.assertEqual((status, lines), (0, ["SKIPPED: crmxc eval not implemented yet"]))

    def test_missing_binary_fails(self):
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(rc.main(["--crmxc", os.path.join(self.tmp.name, "nope"),
                                      "--cases", self.cases_dir]), 2)

    def test_batch_and_single(self):
        for mode in ("batch", "single"):
            status, lines = self.run_fake(mode)
            self.assertEqual(status, 0, "\n".join(lines))
            self.assertIn(f"({mode} mode)", lines[0])
            self.assertEqual(lines[-1], "conformance: 3 passed, 1 failed")
            self.assertIn("pass rate: 75.0%", "\n".join(lines))

    def test_unexpected_pass_and_failure(self):
        canned = dict(self.canned)
        canned["'a'"] = {"value": S("a"), "type": "string"}  # the known failure now passes
        canned["1"] = {"value": D(1.0), "type": "double"}  # a regression
        status, lines = self.run_fake("batch", canned)
        text = "\n".join(lines)
        self.assertEqual(status, 1)
        self.assertIn("UNEXPECTED PASSES", text)
        self.assertIn("basic/s/one: expected", text)
        self.assertEqual(lines[-1], "conformance: 3 passed, 1 failed")

    def test_crash_in_batch_falls_back_to_single(self):
        canned = dict(self.canned)
        canned["1/0"] = "crash"
        status, lines = self.run_fake("batch", canned)
        text = "\n".join(lines)
        self.assertEqual(status, 1)  # the crashing case fails even though an error was expected
        self.assertIn("one by one", text)
        self.assertIn("basic/s/err: harness: exit 139", text)
        self.assertEqual(lines[-1], "conformance: 2 passed, 2 failed")

    def test_pass_rate_target(self):
        status, lines = self.run_fake("single", min_rate="95")
        self.assertEqual(status, 1)
        self.assertIn("below the target", "\n".join(lines))


if __name__ == "__main__":
    unittest.main(verbosity=1)
