#!/usr/bin/env python3
"""bench_check: times `crmxc check` on a generated N-line spec against the full real schemas.

Steps (bench/README.md describes them and today's figures):
  1. `crmxc schema import` the real vendor files the spec uses (the trimmed Salesforce
     describes of ../shared/real and NetSuite's records.json catalog, 272 record types) into
     crmx JSON, to learn the real object and field names, types, nullability and required
     fields;
  2. generate a deterministic N-line spec (default 10,000) in a temp dir whose systems point at
     those real files by absolute path (nothing is copied into the repository): many maps
     between real objects assigning type-compatible real fields, required fields set, syncs,
     owner blocks, tables, alerts, reconciles and spec tests. It must check with 0 errors
     (warnings are counted), so the benchmark measures the real path, not error reporting;
  3. time `crmxc check SPEC` as a whole process K times, pinned to one CPU when possible: wall
     time (best, median), CPU user+sys and peak RSS of the child (os.wait4). For context, the
     same spec with its schemas replaced by the crmx JSON of step 1 (`schema "x.json" as crmx`).

Output: one `key=value` line per figure on stdout (stable names), progress and problems on
stderr. Exit 0 on success (whatever the timings: a benchmark is not a timed unit test), 1 when
the generated spec does not check clean or a step fails, 2 on a usage error. When the real
schemas are absent the script prints "SKIPPED: ../shared/real not found" and exits 0.

Usage: check_bench.py --crmxc PATH [--real DIR] [--lines N] [--runs K] [--workdir DIR]
                      [--keep] [--no-crmx-variant]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_REAL = os.path.normpath(os.path.join(REPO, "..", "shared", "real"))

SF_DIR = "schemas/salesforce-describe/lwrfileupload-trimmed"
NS_FILE = "schemas/netsuite-records/records.json"

TARGET_WALL_S = 0.5
TARGET_RSS_MIB = 200.0

# Names that need backticks (docs/language.md: reserved words and contextual keywords; a
# contextual keyword is a plain name in most places, but quoting it is always allowed).
KEYWORDS = set("""integration import use system owner table map sync conflicts alert reconcile test
key require else flag hold ref for in true false null version module as schema budget batch per
warn at except csv on change when every daily hourly zone retry backoff jitter exhausted
dead_letter notify grace audit within by given expect exception""".split())

TEXT = {"string", "text", "email", "phone", "url"}
IDS = {"id", "reference"}
DEC = {"decimal", "currency", "percent"}
SF_SYSTEM_FIELDS = {"Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate",
                    "LastModifiedById", "SystemModstamp", "LastViewedDate", "LastReferencedDate",
                    "MasterRecordId", "LastActivityDate"}

# Salesforce object -> NetSuite record types it plausibly maps to (both directions).
PAIRS = {
    "Account": ["customer", "partner", "vendor", "prospect", "competitor", "subsidiary"],
    "Contact": ["contact", "employee", "customer", "partner"],
    "Lead": ["lead", "prospect", "customer", "contact"],
    "Opportunity": ["opportunity", "salesorder", "estimate", "invoice", "cashsale"],
    "Order": ["salesorder", "invoice", "cashsale", "returnauthorization", "creditmemo"],
    "OrderItem": ["workorder", "assemblybuild", "inventoryadjustment"],
    "OpportunityLineItem": ["charge", "billingschedule"],
    "Product2": ["noninventorysaleitem", "serviceitem", "inventoryitem", "kititem", "assemblyitem",
                 "discountitem", "giftcertificateitem", "otherchargesaleitem"],
    "PricebookEntry": ["pricelevel", "pricebook"],
    "Pricebook2": ["pricelevel", "pricebook", "priceplan"],
}


class Rng:
    """xorshift64, as in parse_bench.cpp: the same sequence on every Python."""

    def __init__(self, seed):
        self.s = seed & 0xFFFFFFFFFFFFFFFF

    def next(self):
        s = self.s
        s ^= (s << 13) & 0xFFFFFFFFFFFFFFFF
        s ^= s >> 7
        s ^= (s << 17) & 0xFFFFFFFFFFFFFFFF
        self.s = s
        return s

    def below(self, n):
        return self.next() % n

    def pick(self, items):
        return items[self.below(len(items))]

    def chance(self, num, den):
        return self.below(den) < num


def q(name):
    return "`" + name + "`" if name in KEYWORDS else name


def kind_of(f):
    t = f["type"]
    return t if isinstance(t, str) else t.get("kind", "any")


def must_set(f):
    # compiler/check/integration_fields.cpp MustSet.
    return (f.get("required_on_create") is True and f.get("createable", True) is not False
            and not f.get("defaulted_on_create") and f.get("default") in (None, "")
            and not f.get("key") and not f.get("navigation"))


def nullable(f):
    return f.get("nullable", True) is not False


class Obj:
    def __init__(self, system, name, raw):
        self.system, self.name, self.raw = system, name, raw
        self.fields = raw.get("fields", [])
        self.by_name = {f["name"]: f for f in self.fields}
        self.children = [c for c in raw.get("child_relationships", []) if c.get("name")]


def load_schema(path, system):
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return {name: Obj(system, name, o) for name, o in data["objects"].items()}


class SpecGen:
    """Builds the spec text from the imported schemas (deterministic)."""

    def __init__(self, sf, ns, sf_schema, ns_schema, as_crmx=False):
        self.sf, self.ns = sf, ns
        self.sf_schema, self.ns_schema, self.as_crmx = sf_schema, ns_schema, as_crmx
        self.rng = Rng(0x9E3779B97F4A7C15)
        # Fields owned by a system (never written by maps into that system).
        self.owned = {
            "crm": {"Account": ["Name", "Website"], "Opportunity": ["StageName", "CloseDate"],
                    "Contact": ["Email"]},
            "erp": {"customer": ["balance", "creditlimit"], "salesorder": ["status", "tranid"],
                    "invoice": ["amountpaid"]},
        }
        # Maps by target (system, object), for ref().
        self.maps_into = {}
        self.maps = []  # (name, src_sys, src_obj, tgt_sys, tgt_obj, assigned {tgt: src}, key)
        self.tables_used = set()

    # ------------------------------------------------------------------ helpers
    def src_fields(self, obj, kinds, need_nonnull=False):
        out = []
        for f in obj.fields:
            if kind_of(f) in kinds and (not need_nonnull or not nullable(f)):
                if obj.system == "crm" and f["name"] in ("MasterRecordId",):
                    continue
                out.append(f)
        return out

    def prefer(self, cands, tgt):
        """A source field for `tgt`: one with a similar name (phone -> Phone, companyname ->
        Name) or the same kind when there is one, most of the time; else any candidate."""
        t = tgt["name"].lower()
        similar = [f for f in cands if len(f["name"]) > 2 and (f["name"].lower() in t or t in f["name"].lower())]
        if similar and self.rng.chance(3, 4):
            return self.rng.pick(similar)
        same = [f for f in cands if kind_of(f) == kind_of(tgt)]
        if same and self.rng.chance(1, 2):
            return self.rng.pick(same)
        return self.rng.pick(cands)

    def writable(self, sysname, obj, f):
        if f.get("createable") is False or f.get("calculated") or f.get("navigation"):
            return False
        if sysname == "crm" and (f["name"] in SF_SYSTEM_FIELDS or kind_of(f) == "id"):
            return False
        if f["name"] in self.owned[sysname].get(obj.name, []):
            return False
        return True

    def pick_value_literal(self, f):
        pl = f.get("picklist", {}).get("values", [])
        active = [v["value"] for v in pl if v.get("active", True) is not False]
        if active:
            return json.dumps(active[0])
        return None

    def text_expr(self, src, tgt, required):
        """A text value from a text-like source field, or None."""
        kt = kind_of(tgt)
        cands = self.src_fields(src, TEXT | {"picklist"} | IDS)
        if not cands:
            return None
        nonnull = [f for f in cands if not nullable(f)]
        f = self.prefer(nonnull if (required and nonnull and self.rng.chance(2, 3)) else cands, tgt)
        n = q(f["name"])
        r = self.rng.below(8)
        fk = kind_of(f)
        length = tgt.get("length")
        if kt == "phone" and fk == "phone":
            e = f"e164({n}) ?? {n}"
        elif f["name"].endswith("Country") and fk == "string" and r < 3:
            e = f"country_code({n}) ?? {n}.trim().truncate(2)"
        elif f["name"].endswith("State") and fk == "string" and r < 3:
            e = f"state_code({n}) ?? {n}"
        elif fk in TEXT and r == 0:
            e = f"{n}.trim()"
        elif fk in TEXT and r == 1:
            e = f"{n}.trim().truncate({length or 80 + self.rng.below(170)})"
        elif fk in TEXT and r == 2:
            e = f"{n}.upper()" if self.rng.chance(1, 2) else f"{n}.lower()"
        elif r == 3:
            e = f'{n} ?? "{tgt["name"][:12]}"'
        else:
            e = n
        if length and "truncate" not in e:
            e = f"({e}).truncate({length})" if "??" in e else f"{e}.truncate({length})"
        if required and nullable(f) and not e.endswith('"'):
            e += f' ?? hold "no {f["name"]}"' if self.rng.chance(1, 2) else f' ?? "{tgt["name"][:12]}"'
        return e

    def num_expr(self, src, tgt, required):
        kt = kind_of(tgt)
        if kt == "int":
            ok = {"int"}
        elif kt == "double":
            ok = {"int", "double"} | DEC
        else:  # decimal, currency, percent
            ok = {"int", "double"} | DEC
        cands = self.src_fields(src, ok)
        if not cands:
            if kt == "int":
                cands = self.src_fields(src, {"double"} | DEC)
                if not cands:
                    return None
                f = self.rng.pick(cands)
                e = f"int({q(f['name'])})"
                return e + (" ?? 0" if required and nullable(f) else "")
            return None
        f = self.prefer(cands, tgt)
        n, fk = q(f["name"]), kind_of(f)
        r = self.rng.below(5)
        if kt in DEC:
            if fk == "double":
                e = f"decimal({n})"
            elif fk in DEC and r == 0:
                e = f"round({n}, 2)"
            elif r == 1:
                # A double literal times a decimal stays decimal; an int times it is a double.
                e = f"{n} * 1.1" if fk in DEC else f"{n} * 2"
            elif r == 2:
                e = f"({n} ?? 0) + 10"
            else:
                e = n
        elif kt == "double":
            e = f"double({n})" if (r == 0 and fk != "double") else (f"{n} * 2" if r == 1 else n)
        else:
            e = n if r else f"{n} + 1"
        if required and nullable(f) and "??" not in e:
            e = f"{e} ?? 0" if self.rng.chance(1, 2) else f'{e} ?? hold "no {f["name"]}"'
        return e

    def value_for(self, src, tgt, tgt_obj, required, tgt_sys):
        kt = kind_of(tgt)
        name = tgt["name"]
        if kt in TEXT:
            e = self.text_expr(src, tgt, required)
            if e is None and required:
                e = '"' + name[:16] + '"'
            return e
        if kt == "picklist":
            lit = self.pick_value_literal(tgt) or '"' + name[:10] + '"'
            cands = self.src_fields(src, {"picklist", "string"})
            if not cands:
                return lit if required else None
            f = self.rng.pick(cands)
            return f"{q(f['name'])} ?? {lit}" if nullable(f) or self.rng.chance(1, 3) else q(f["name"])
        if kt in IDS:
            targets = (tgt.get("references") or {}).get("targets") or []
            for t in targets:
                ms = self.maps_into.get((tgt_sys, t))
                if ms:
                    ids = self.src_fields(src, IDS)
                    if ids:
                        f = self.rng.pick(ids)
                        e = f"ref({self.rng.pick(ms)}, {q(f['name'])})"
                        if required and nullable(f):
                            e += f' ?? hold "no {f["name"]}"'
                        return e
            if name == "subsidiary" and "BillingCountry" in src.by_name:
                self.tables_used.add("subsidiary_by_country")
                return 'subsidiary_by_country[BillingCountry] ?? "1"'
            if name == "currency" and "BillingCountry" in src.by_name:
                return 'currency_of(BillingCountry) ?? "USD"'
            ids = self.src_fields(src, IDS)
            if ids and self.rng.chance(1, 2) and not required:
                return q(self.rng.pick(ids)["name"])
            return '"' + str(1 + self.rng.below(9)) + '"' if required else None
        if kt in ("int", "double") or kt in DEC:
            e = self.num_expr(src, tgt, required)
            if e is None and required:
                e = "1.0" if kt in DEC or kt == "double" else "1"
            return e
        if kt == "bool":
            bools = self.src_fields(src, {"bool"})
            nums = self.src_fields(src, {"int", "double"} | DEC)
            r = self.rng.below(4)
            if bools and r < 2:
                f = self.rng.pick(bools)
                e = q(f["name"]) if r == 0 else "!" + q(f["name"])
                return e + (" ?? false" if required and nullable(f) else "")
            if nums and r == 2:
                return f"({q(self.rng.pick(nums)['name'])} ?? 0) > {self.rng.below(10000)}"
            texts = self.src_fields(src, TEXT)
            if texts:
                return f"{q(self.rng.pick(texts)['name'])} != null"
            return "false" if required else None
        if kt in ("date", "datetime", "time"):
            cands = self.src_fields(src, {kt})
            if not cands:
                return f'hold "no {kt} for {name}"' if required else None
            nonnull = [f for f in cands if not nullable(f)]
            f = self.prefer(nonnull if (required and nonnull) else cands, tgt)
            e = q(f["name"])
            if required and nullable(f):
                e += f' ?? hold "no {f["name"]}"'
            return e
        return None

    def rows_expr(self, src, tgt, tgt_sys):
        """`lines = Children.map(li, {...})` into a NetSuite sublist, or None."""
        el = tgt["type"].get("element") if isinstance(tgt["type"], dict) else None
        if not el or el.get("kind") != "object" or not el.get("fields"):
            return None
        objs = self.sf if src.system == "crm" else self.ns
        children = [c for c in src.children if c.get("child_object") in objs]
        if not children:
            return None
        c = self.rng.pick(children)
        child = objs[c["child_object"]]
        cols = el["fields"]
        parts = []
        for col in cols:
            req = must_set(col)
            if not req and (len(parts) >= 4 or not self.rng.chance(1, 3)):
                continue
            if kind_of(col) in ("list", "object", "map", "address", "location", "any"):
                if req:
                    return None
                continue
            v = self.value_for(child, col, None, req, tgt_sys)
            if v is None:
                if req:
                    return None
                continue
            v = self.prefix_fields(v, child, "li")
            parts.append(f"{q(col['name'])}: {v}")
        if not parts:
            return None
        return f"{q(c['name'])}.map(li, {{" + ", ".join(parts) + "})"

    @staticmethod
    def prefix_fields(expr, obj, var):
        # Values generated for a child record read its fields through the macro variable.
        out, i, n = [], 0, len(expr)
        while i < n:
            ch = expr[i]
            if ch == '"':
                j = expr.index('"', i + 1)
                out.append(expr[i:j + 1])
                i = j + 1
                continue
            if ch.isalpha() or ch == "_" or ch == "`":
                j = i + 1
                if ch == "`":
                    j = expr.index("`", i + 1) + 1
                else:
                    while j < n and (expr[j].isalnum() or expr[j] == "_"):
                        j += 1
                word = expr[i:j]
                bare = word.strip("`")
                prev = expr[i - 1] if i else ""
                is_call = j < n and expr[j] == "("
                if bare in obj.by_name and prev != "." and not is_call:
                    out.append(var + "." + word)
                else:
                    out.append(word)
                i = j
                continue
            out.append(ch)
            i += 1
        return "".join(out)

    # ------------------------------------------------------------------ blocks
    def map_block(self, idx, src_sys, src, tgt_sys, tgt):
        name = f"m{idx}_{src.name.lower()}_to_{tgt.name.lower()}"
        lines = [f"  map {name}: {src_sys}.{src.name} -> {tgt_sys}.{tgt.name} {{"]
        assigned = {}
        key = None
        if tgt_sys == "crm":
            # Salesforce targets: update-only by the record id kept in NetSuite's externalid.
            if "externalid" in src.by_name:
                lines.append("    key Id = externalid")
                key = ("Id", "externalid")
        # NetSuite targets: records.json marks no field as an external id or unique, so a
        # `key externalid = Id` is E0406 (see bench/README.md); these maps have no key (E0407).
        reqs = []
        if src_sys == "crm" and "Name" in src.by_name and not nullable(src.by_name["Name"]):
            reqs.append('    require Name.trim() != "" else "missing Name"')
        texts = [f for f in src.fields if kind_of(f) in TEXT and nullable(f)]
        if texts and self.rng.chance(1, 2):
            f = self.rng.pick(texts)
            reqs.append(f'    require {q(f["name"])} != null else "no {f["name"]}"')
        lines += reqs
        # Required target fields first, then a random subset of the others.
        must = [f for f in tgt.fields if must_set(f) and self.writable(tgt_sys, tgt, f)] if key is None else []
        others = [f for f in tgt.fields if not must_set(f) and self.writable(tgt_sys, tgt, f)]
        want = 6 + self.rng.below(22)
        chosen = list(must)
        pool = list(others)
        while pool and len(chosen) < len(must) + want:
            f = pool.pop(self.rng.below(len(pool)))
            chosen.append(f)
        chosen.sort(key=lambda f: tgt.fields.index(f))
        for f in chosen:
            if f["name"] in assigned:
                continue
            req = must_set(f) and key is None
            if kind_of(f) == "list":
                v = self.rows_expr(src, f, tgt_sys)
            else:
                v = self.value_for(src, f, tgt, req, tgt_sys)
            if v is None:
                continue
            s = f"    {q(f['name'])} = {v}"
            if "??" in v and self.rng.chance(1, 5):
                s += f' flag "review:{f["name"]}"'
            lines.append(s)
            assigned[f["name"]] = v
        lines.append("  }")
        self.maps.append((name, src_sys, src, tgt_sys, tgt, assigned, key))
        self.maps_into.setdefault((tgt_sys, tgt.name), []).append(name)
        return name, lines

    def sync_lines(self, i, m):
        name, src_sys, src = m[0], m[1], m[2]
        preds = []
        if "IsDeleted" in src.by_name:
            preds.append("IsDeleted == false")
        nums = [f for f in src.fields if kind_of(f) in DEC | {"int", "double"}]
        if nums:
            preds.append(f"({q(self.rng.pick(nums)['name'])} ?? 0) >= 0")
        r = i % 4
        if r == 0:
            when = f" when {' && '.join(preds)}" if preds else ""
            return [f"  sync {name} on change{when} {{",
                    f"    retry {3 + self.rng.below(5)} backoff exponential(2s, 10m) jitter",
                    '    on exhausted dead_letter notify "integration-ops"',
                    "  }"]
        if r == 1:
            return [f"  sync {name} every {1 + self.rng.below(12)}h"]
        if r == 2:
            return [f"  sync {name} daily at 0{self.rng.below(6)}:{10 + self.rng.below(50)} zone \"Europe/Berlin\""]
        return [f"  sync {name} on change"]

    def watcher_block(self, i):
        """An alert, a reconcile or a pair of spec tests, about an earlier map."""
        m = self.maps[self.rng.below(len(self.maps))]
        name, src_sys, src, tgt_sys, tgt, assigned, key = m
        kind = i % 3
        if kind == 0:
            texts = [f for f in tgt.fields if kind_of(f) in TEXT]
            if not texts:
                return []
            f = self.rng.pick(texts)
            return [f"  alert a{i}_{tgt.name.lower()} on {tgt_sys}.{tgt.name} when {q(f['name'])} == \"Pending Approval\" for {24 + self.rng.below(48)}h",
                    f"    notify owner_of({src_sys}.{src.name}), \"ops\""]
        if kind == 1:
            # Rules pair a target field with the plain source field copied into it.
            rules = []
            for t, v in assigned.items():
                if v in src.by_name and kind_of(tgt.by_name[t]) in DEC | {"int", "double"} | TEXT:
                    k = kind_of(tgt.by_name[t])
                    tol = " within 2%" if k in DEC | {"int", "double"} and kind_of(src.by_name[v]) != "id" else ""
                    if tol and kind_of(src.by_name[v]) not in DEC | {"int", "double"}:
                        tol = ""
                    rules.append(f"    {q(v)} ~ {q(t)}{tol}")
                if len(rules) == 3:
                    break
            lid = "Id" if "Id" in src.by_name else None
            rid = "externalid" if "externalid" in tgt.by_name else None
            if src_sys == "erp":
                lid, rid = ("externalid" if "externalid" in src.by_name else None), ("Id" if "Id" in tgt.by_name else None)
            if not lid or not rid:
                return []
            out = [f"  reconcile daily at 03:{10 + self.rng.below(50)} {src_sys}.{src.name} ~ {tgt_sys}.{tgt.name} by {lid} == {rid} {{"]
            out += [r + ("," if j + 1 < len(rules) else "") for j, r in enumerate(rules)]
            out.append("  }")
            return out
        # Spec tests: a source record with a few literal fields, and the expected target.
        given = []
        for f in src.fields:
            k = kind_of(f)
            if k in TEXT or k == "id":
                given.append(f'{q(f["name"])}: "{f["name"][:6]}-{i}"')
            elif k in DEC:
                given.append(f'{q(f["name"])}: {100 + i}.50')
            elif k == "bool":
                given.append(f'{q(f["name"])}: false')
            if len(given) == 4:
                break
        if not given:
            return []
        out = [f'  test "map {name} case {i}" {{',
               f"    given {src_sys}.{src.name} {{ " + ", ".join(given) + " }"]
        plain = [(t, v) for t, v in assigned.items() if v in src.by_name and kind_of(tgt.by_name[t]) in TEXT
                 and kind_of(src.by_name[v]) in TEXT]
        if plain:
            t, v = plain[0]
            out.append(f'    expect {tgt_sys}.{tgt.name} {{ {q(t)}: "value-{i}" }}')
        else:
            out.append('    expect flag "review"')
        out.append("  }")
        return out

    def header(self):
        fmt = " as crmx" if self.as_crmx else ""
        lines = [
            "/// Generated by bench/check_bench.py: a large integration spec against real schemas",
            "/// (trimmed Salesforce describes and the NetSuite records catalog).",
            'integration check_bench version "1.0" {',
            "  use std.text, std.geo, std.money, std.phone, std.time",
            "",
            "  system crm: salesforce {",
        ]
        for p in self.sf_schema:
            lines.append(f'    schema "{p}"{fmt}')
        lines += ["    budget api_calls 100000 per 24h warn at 80%", "    batch 200", "  }",
                  "  system erp: netsuite {"]
        for p in self.ns_schema:
            lines.append(f'    schema "{p}"{fmt}')
        lines += ["    budget concurrency 5", "  }", ""]
        for sysname, objs in self.owned.items():
            lines.append(f"  owner {sysname} {{")
            schema = self.sf if sysname == "crm" else self.ns
            for o, fs in objs.items():
                fs = [f for f in fs if o in schema and f in schema[o].by_name]
                if fs:
                    lines.append(f"    {o} {{ " + ", ".join(q(f) for f in fs) + " }")
            lines.append("  }")
        lines += ["  conflicts latest_wins grace 60s audit", "",
                  "  table subsidiary_by_country: map<string, string> = {",
                  '    "US": "1", "CA": "2", "GB": "3", "DE": "4", "FR": "5", "JP": "6",',
                  "  }", ""]
        return lines

    def generate(self, target_lines):
        out = self.header()
        pairs = []
        for s, ts in PAIRS.items():
            if s not in self.sf:
                continue
            for t in ts:
                if t in self.ns:
                    pairs.append((s, t))
        # More NetSuite record types (entities and transactions with body fields), so the spec
        # touches a wide part of the catalog.
        extra = [n for n, o in self.ns.items()
                 if len(o.fields) >= 20 and o.raw.get("extensions", {}).get("recordCategory") in ("Entity", "Transaction")
                 and all(n != t for _, t in pairs)]
        sf_names = list(self.sf)
        for j, n in enumerate(extra):
            pairs.append((sf_names[j % len(sf_names)], n))
        body, syncs, watchers = [], [], []
        idx = 0
        # Keep room for syncs (one map = 1-4 sync lines), watchers and the closing brace.
        while True:
            s, t = pairs[idx % len(pairs)]
            if idx % 5 == 4:
                name, lines = self.map_block(idx, "erp", self.ns[t], "crm", self.sf[s])
            else:
                name, lines = self.map_block(idx, "crm", self.sf[s], "erp", self.ns[t])
            new_syncs = self.sync_lines(idx, self.maps[-1])
            w = self.watcher_block(idx) if idx % 4 == 3 else []
            used = len(out) + len(body) + len(syncs) + len(watchers) + 2
            if used + len(lines) + len(new_syncs) + len(w) + 1 > target_lines and idx > 0:
                self.maps.pop()
                self.maps_into[("crm" if idx % 5 == 4 else "erp", (self.sf[s] if idx % 5 == 4 else self.ns[t]).name)].pop()
                break
            body += lines
            syncs += new_syncs
            watchers += w
            idx += 1
        text = out + body + [""] + watchers + [""] + syncs
        while len(text) + 1 < target_lines:
            text.append("  // padding")
        text.append("}")
        return "\n".join(text) + "\n", idx


# ---------------------------------------------------------------------- running crmxc
def run_child(argv, pin):
    """Runs argv once; returns (wall_s, cpu_s, maxrss_kib, exit_code)."""
    def pre():
        if pin is not None:
            try:
                os.sched_setaffinity(0, {pin})
            except OSError:
                pass
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=pre)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, p.returncode


def diagnostics(crmxc, spec):
    r = subprocess.run([crmxc, "check", "--format", "json", spec], capture_output=True, text=True)
    try:
        doc = json.loads(r.stdout)
    except ValueError:
        sys.stderr.write(r.stdout[-2000:] + r.stderr[-2000:])
        raise SystemExit(f"check_bench: `crmxc check --format json` gave no JSON (exit {r.returncode})")
    by_code = {}
    for d in doc["diagnostics"]:
        key = d["severity"] + ":" + d["code"]
        by_code[key] = by_code.get(key, 0) + 1
    return doc["summary"]["errors"], doc["summary"]["warnings"], by_code, doc["diagnostics"]


def measure(crmxc, spec, runs, pin):
    walls, cpus, rss, codes = [], [], [], set()
    for _ in range(runs):
        w, c, m, code = run_child([crmxc, "check", spec], pin)
        walls.append(w)
        cpus.append(c)
        rss.append(m)
        codes.add(code)
    return {
        "wall_ms_best": min(walls) * 1e3,
        "wall_ms_median": statistics.median(walls) * 1e3,
        "cpu_ms": statistics.median(cpus) * 1e3,
        "cpu_ms_best": min(cpus) * 1e3,
        "peak_rss_mib": max(rss) / 1024.0,
        "exit": max(codes),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--crmxc", required=True, help="path of the crmxc binary")
    ap.add_argument("--real", default=DEFAULT_REAL, help="the shared real-schema folder (default ../shared/real)")
    ap.add_argument("--lines", type=int, default=10000, help="size of the generated spec (default 10000)")
    ap.add_argument("--runs", type=int, default=10, help="timed runs of crmxc check (default 10)")
    ap.add_argument("--workdir", help="where to write the spec and the imported schemas (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (its path goes to stderr)")
    ap.add_argument("--no-crmx-variant", action="store_true", help="skip the run against the imported crmx JSON")
    ap.add_argument("--show-diagnostics", type=int, default=0, metavar="N", help="print the first N diagnostics to stderr")
    args = ap.parse_args()
    if args.lines < 100 or args.runs < 1:
        ap.error("--lines must be >= 100 and --runs >= 1")

    real = os.path.abspath(args.real)
    sf_dir = os.path.join(real, SF_DIR)
    ns_file = os.path.join(real, NS_FILE)
    if not os.path.isdir(sf_dir) or not os.path.isfile(ns_file):
        print("SKIPPED: ../shared/real not found", flush=True)
        print(f"SKIPPED: no {sf_dir} or {ns_file}; the benchmark needs the real schemas", file=sys.stderr)
        return 0
    crmxc = os.path.abspath(args.crmxc)
    if not os.access(crmxc, os.X_OK):
        print(f"check_bench: crmxc not found or not executable: {crmxc}", file=sys.stderr)
        return 2

    sf_files = sorted(os.path.join(sf_dir, n) for n in os.listdir(sf_dir) if n.endswith(".json"))
    schema_files = sf_files + [ns_file]
    schema_bytes = sum(os.path.getsize(p) for p in schema_files)

    work = args.workdir or tempfile.mkdtemp(prefix="crmx-check-bench-")
    os.makedirs(work, exist_ok=True)
    try:
        # 1. Import the real schemas (crmx JSON) to learn names and types.
        sf_json, ns_json = os.path.join(work, "salesforce.crmx.json"), os.path.join(work, "netsuite.crmx.json")
        t0 = time.perf_counter()
        for out, files in ((sf_json, sf_files), (ns_json, [ns_file])):
            r = subprocess.run([crmxc, "schema", "import", "-q", "-o", out] + files, capture_output=True, text=True)
            if r.returncode != 0:
                sys.stderr.write(r.stderr)
                print(f"check_bench: schema import failed ({r.returncode})", file=sys.stderr)
                return 1
        import_ms = (time.perf_counter() - t0) * 1e3
        sf, ns = load_schema(sf_json, "crm"), load_schema(ns_json, "erp")

        # 2. Generate the spec, pointing at the real files by absolute path.
        sf_glob = os.path.join(sf_dir, "*.json")
        gen = SpecGen(sf, ns, [sf_glob], [ns_file])
        text, nmaps = gen.generate(args.lines)
        spec = os.path.join(work, "bench.crmx")
        with open(spec, "w", encoding="utf-8") as fh:
            fh.write(text)
        spec_crmx = os.path.join(work, "bench_crmx.crmx")
        text2, _ = SpecGen(sf, ns, [sf_json], [ns_json], as_crmx=True).generate(args.lines)
        with open(spec_crmx, "w", encoding="utf-8") as fh:
            fh.write(text2)

        errors, warnings, by_code, diags = diagnostics(crmxc, spec)
        for d in diags[:args.show_diagnostics]:
            sys.stderr.write(d["rendered"] + "\n")

        pin = 0 if hasattr(os, "sched_setaffinity") else None
        if pin is not None:
            try:
                avail = sorted(os.sched_getaffinity(0))
                pin = avail[0]
            except OSError:
                pin = None
        res = measure(crmxc, spec, args.runs, pin)

        kv = [
            ("lines", text.count("\n")), ("bytes", len(text.encode())), ("maps", nmaps),
            ("schema_files", len(schema_files)), ("schema_bytes", schema_bytes),
            ("objects", len(sf) + len(ns)), ("fields", sum(len(o.fields) for o in list(sf.values()) + list(ns.values()))),
            ("import_ms", f"{import_ms:.1f}"), ("runs", args.runs),
            ("pinned_cpu", pin if pin is not None else "none"),
            ("wall_ms_best", f"{res['wall_ms_best']:.1f}"), ("wall_ms_median", f"{res['wall_ms_median']:.1f}"),
            ("cpu_ms", f"{res['cpu_ms']:.1f}"), ("cpu_ms_best", f"{res['cpu_ms_best']:.1f}"),
            ("peak_rss_mib", f"{res['peak_rss_mib']:.1f}"), ("exit", res["exit"]),
            ("errors", errors), ("warnings", warnings),
            ("diagnostics_by_code", ",".join(f"{k}={v}" for k, v in sorted(by_code.items())) or "none"),
        ]
        if not args.no_crmx_variant:
            e2, w2, _, _ = diagnostics(crmxc, spec_crmx)
            res2 = measure(crmxc, spec_crmx, args.runs, pin)
            kv += [
                ("crmx_schema_bytes", os.path.getsize(sf_json) + os.path.getsize(ns_json)),
                ("crmx_wall_ms_best", f"{res2['wall_ms_best']:.1f}"), ("crmx_wall_ms_median", f"{res2['wall_ms_median']:.1f}"),
                ("crmx_cpu_ms", f"{res2['cpu_ms']:.1f}"), ("crmx_peak_rss_mib", f"{res2['peak_rss_mib']:.1f}"),
                ("crmx_errors", e2), ("crmx_warnings", w2),
            ]
        time_ok = res["wall_ms_best"] <= TARGET_WALL_S * 1e3
        mem_ok = res["peak_rss_mib"] <= TARGET_RSS_MIB
        kv += [
            ("target_wall_ms", f"{TARGET_WALL_S * 1e3:.0f}"), ("target_rss_mib", f"{TARGET_RSS_MIB:.0f}"),
            ("verdict_time", "PASS" if time_ok else "FAIL"), ("verdict_memory", "PASS" if mem_ok else "FAIL"),
            ("verdict", "PASS" if time_ok and mem_ok else "FAIL"),
        ]
        for k, v in kv:
            print(f"{k}={v}")
        if args.keep or args.workdir:
            print(f"check_bench: spec and schemas in {work}", file=sys.stderr)
        if errors:
            print(f"check_bench: the generated spec has {errors} error(s); the benchmark must measure a clean check "
                  f"(rerun with --keep --show-diagnostics 20)", file=sys.stderr)
            return 1
        return 0
    finally:
        if not (args.keep or args.workdir):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
