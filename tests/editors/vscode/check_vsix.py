#!/usr/bin/env python3
"""Checks the content of the crmx VS Code extension package (ctest editors_vscode_package).

A .vsix is a zip: extension/package.json whose `main` file is in the package, extension.js, the
grammar and language configuration its manifest names, the README, the production dependency
vscode-languageclient (and what it requires), and nothing else at the top level: no lock file,
no package.sh, no .vsix, no tests, no devDependency (@vscode/vsce), no TypeScript declarations
or source maps. Prints the file count and the size. With --extract DIR, unpacks it there.

    check_vsix.py VSIX [--extract DIR] [--self-test]
"""
import argparse
import json
import os
import posixpath
import shutil
import sys
import zipfile

# Top-level entries of extension/ that may be in the package.
ALLOWED_TOP = {"extension.js", "package.json", "language-configuration.json", "syntaxes", "readme.md",
               "README.md", "LICENSE", "LICENSE.txt", "LICENSE.md", "node_modules", "changelog.md"}
REQUIRED_MODULES = ["vscode-languageclient", "vscode-languageserver-protocol", "vscode-jsonrpc",
                    "vscode-languageserver-types"]
FORBIDDEN_MODULES = ["@vscode/vsce", "@vscode", ".bin"]


def problems_of(names, read):
    """The problems of a package listing `names`; read(name) returns a member's bytes."""
    problems = []
    files = [n for n in names if not n.endswith("/")]
    if "extension.vsixmanifest" not in files:
        problems.append("no extension.vsixmanifest")
    if "extension/package.json" not in files:
        return problems + ["no extension/package.json"]
    manifest = json.loads(read("extension/package.json"))
    main = manifest.get("main")
    if not main:
        problems.append("package.json has no `main`")
    else:
        main_path = posixpath.normpath(posixpath.join("extension", main))
        if main_path not in files and main_path + ".js" not in files:
            problems.append(f"`main` {main} is not in the package")
    if "extension/extension.js" not in files:
        problems.append("no extension/extension.js")
    for grammar in manifest.get("contributes", {}).get("grammars", []):
        p = posixpath.normpath(posixpath.join("extension", grammar["path"]))
        if p not in files:
            problems.append(f"grammar {grammar['path']} is not in the package")
        else:
            grammar_json = json.loads(read(p))
            if grammar_json.get("scopeName") != grammar.get("scopeName"):
                problems.append(f"{p}: scopeName {grammar_json.get('scopeName')} != {grammar.get('scopeName')}")
    for lang in manifest.get("contributes", {}).get("languages", []):
        if "configuration" in lang:
            p = posixpath.normpath(posixpath.join("extension", lang["configuration"]))
            if p not in files:
                problems.append(f"language configuration {lang['configuration']} is not in the package")
    if not any(f.lower() == "extension/readme.md" for f in files):
        problems.append("no README")
    for module in REQUIRED_MODULES:
        pkg = f"extension/node_modules/{module}/package.json"
        if pkg not in files:
            problems.append(f"dependency {module} is not in the package")
    client_pkg = "extension/node_modules/vscode-languageclient/package.json"
    if client_pkg in files:
        want = manifest.get("dependencies", {}).get("vscode-languageclient")
        have = json.loads(read(client_pkg)).get("version")
        if want != have:
            problems.append(f"vscode-languageclient {have} packaged, package.json pins {want}")
        for entry in ["extension/node_modules/vscode-languageclient/lib/node/main.js",
                      "extension/node_modules/vscode-jsonrpc/lib/node/main.js"]:
            if entry not in files:
                problems.append(f"{entry} is not in the package")
    for f in files:
        if not f.startswith("extension/"):
            continue
        rel = f[len("extension/"):]
        top = rel.split("/", 1)[0]
        base = posixpath.basename(rel)
        if top not in ALLOWED_TOP:
            problems.append(f"unexpected file {f}")
        if base in ("package-lock.json", ".package-lock.json", "package.sh", ".vscodeignore", ".gitignore") \
                or base.endswith(".vsix") or base.startswith(".npm-installed-"):
            problems.append(f"build file in the package: {f}")
        if base.endswith((".d.ts", ".map")) or "/test/" in f or "/tests/" in f or base.endswith(".test.js"):
            problems.append(f"test or build artefact in the package: {f}")
        for module in FORBIDDEN_MODULES:
            if rel.startswith(f"node_modules/{module}/"):
                problems.append(f"devDependency in the package: {f}")
                break
    return problems


def self_test():
    """A good listing passes; each kind of bad listing is caught."""
    manifest = {"main": "./extension.js", "dependencies": {"vscode-languageclient": "1.0.0"},
                "contributes": {"grammars": [{"path": "./syntaxes/g.json", "scopeName": "source.crmx"}],
                                "languages": [{"configuration": "./language-configuration.json"}]}}
    good = {"extension.vsixmanifest": b"", "extension/package.json": json.dumps(manifest).encode(),
            "extension/extension.js": b"", "extension/readme.md": b"",
            "extension/language-configuration.json": b"{}",
            "extension/syntaxes/g.json": json.dumps({"scopeName": "source.crmx"}).encode(),
            "extension/node_modules/vscode-languageclient/lib/node/main.js": b"",
            "extension/node_modules/vscode-jsonrpc/lib/node/main.js": b""}
    for m in REQUIRED_MODULES:
        good[f"extension/node_modules/{m}/package.json"] = json.dumps({"version": "1.0.0"}).encode()

    def run(files):
        return problems_of(list(files), lambda n: files[n])

    failures = []
    if run(good):
        failures.append(f"a good package has problems: {run(good)}")
    bad_cases = {
        "lock file": {"extension/package-lock.json": b"{}"},
        "vsix": {"extension/crmx-0.1.0.vsix": b""},
        "devDependency": {"extension/node_modules/@vscode/vsce/package.json": b"{}"},
        "test file": {"extension/node_modules/x/test/a.js": b""},
        "stray top-level file": {"extension/package.sh": b""},
        "declarations": {"extension/node_modules/x/a.d.ts": b""},
    }
    for name, extra in bad_cases.items():
        if not run({**good, **extra}):
            failures.append(f"{name} not caught")
    for missing in ["extension/extension.js", "extension/syntaxes/g.json",
                    "extension/node_modules/vscode-languageclient/package.json"]:
        files = dict(good)
        del files[missing]
        if not run(files):
            failures.append(f"missing {missing} not caught")
    wrong_main = dict(good)
    wrong_main["extension/package.json"] = json.dumps({**manifest, "main": "./out/main.js"}).encode()
    if not run(wrong_main):
        failures.append("a `main` not in the package not caught")
    for f in failures:
        print(f"self-test: {f}")
    return not failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("vsix", nargs="?")
    parser.add_argument("--extract")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        ok = self_test()
        print("check_vsix self-test: " + ("ok" if ok else "FAILED"))
        if not ok or not args.vsix:
            return 0 if ok else 1
    if not args.vsix:
        parser.error("VSIX is required")
    with zipfile.ZipFile(args.vsix) as z:
        bad = z.testzip()
        if bad:
            print(f"{args.vsix}: corrupt member {bad}")
            return 1
        names = z.namelist()
        problems = problems_of(names, z.read)
        files = [n for n in names if not n.endswith("/")]
        size = os.path.getsize(args.vsix)
        unpacked = sum(i.file_size for i in z.infolist())
        print(f"{os.path.basename(args.vsix)}: {len(files)} files, {size} bytes "
              f"({size / 1024:.1f} KiB; {unpacked / 1024:.1f} KiB unpacked)")
        if args.extract:
            shutil.rmtree(args.extract, ignore_errors=True)
            z.extractall(args.extract)
    for p in problems:
        print(f"problem: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
