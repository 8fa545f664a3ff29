#!/usr/bin/env python3
"""Writes the hand-written seeds of corpus_plan/ (fuzz_plan, README.md in this folder).

The seeds built by `crmxc build` (seed-built-*.json) come from the specs; these add what no
spec produces: every optional field and every tagged value of the format, a bare body (no
envelope), an old version, a body nested past the loader's limit, and bodies that fail one
decoding check each. Their content hashes are computed here as plan.cpp computes them
(SHA-256 over the body's canonical text: keys sorted, no spaces), so ReadPlan reads them
unchanged; floats are avoided except those Python and nlohmann::json print alike (1.5, 80.5).

Usage: make_plan_seeds.py [OUT_DIR]   (default: corpus_plan/ next to this script)
"""
import copy
import hashlib
import json
import os
import sys


def canonical(body):
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# The format version of runtime/plan/plan.h (kPlanVersion).
PLAN_VERSION = 5


def envelope(body, version=PLAN_VERSION, compiler="make_plan_seeds.py"):
    h = "sha256:" + hashlib.sha256(canonical(body).encode()).hexdigest()
    return {"crmx_plan": version, "compiler": compiler, "content_hash": h, "plan": body}


VALUES = [
    None, True, False, "text", "",
    {"int": "-9223372036854775808"}, {"int": "42"}, {"uint": "18446744073709551615"},
    {"double": 1.5}, {"double": "NaN"}, {"double": "+Inf"}, {"double": "-Inf"},
    {"decimal": "-12.3400"}, {"decimal": "1e-5"}, {"bytes": "00ff7f"}, {"bytes": ""},
    {"timestamp": "2026-12-06T06:00:00.123456789Z"}, {"timestamp": "2026-12-06T23:59:60+14:00"},
    {"timestamp": "0001-01-01T00:00:00Z"}, {"timestamp": "9999-12-31T23:59:59.999999999Z"},
    {"duration": "-1h2m3.5s"}, {"duration": "0"}, {"duration": "1.5us"},
    {"type": "google.protobuf.Timestamp"}, {"type": "map"},
    {"error": "boom"}, {"error": "Pending Review", "hold": True},
]


def program(code, constants=(), inputs=(), locals_=0):
    return {"code": code, "constants": list(constants), "inputs": list(inputs), "locals": locals_}


def field_binding(name, field=None):
    return {"name": name, "kind": "field", "field": field or name}


def every_field_body():
    """Two maps, two syncs and a test using every field docs/plan-format.md lists."""
    load = program([["load_input", 0, 0]], inputs=["Name"])
    not_null = program([["load_input", 0, 0], ["const", 0, 0], ["ne", 0, 0]], [None], ["Name"])
    trimmed = program([["load_input", 0, 0], ["call", 1, "trim"]], inputs=["Name"])
    macro = program([["const", 0, 0], ["iter_init", 0, 9], ["iter_next", 0, 8], ["iter_pair", 0, 0],
                     ["load_local", 0, 4], ["append_pair_local", 3, 5], ["jump", 0, 2], ["pop", 0, 0],
                     ["load_local", 0, 5], ["pairs_to_map", 0, 0]],
                    [{"list": [{"int": "1"}, {"int": "2"}]}], [], 6)
    customer = {
        "name": "account_to_customer",
        "source": {"system": "crm", "object": "Account"},
        "target": {"system": "erp", "object": "Customer"},
        "depends_on": [],
        "referenced_by": ["won_to_order"],
        "projection": {
            "fields": ["Id", "Name", "OwnerId", "SystemModstamp"],
            "types": ["string", "string", "string", "datetime"],
            "relations": [
                {"name": "Owner", "child": False, "object": "User", "via": "OwnerId", "id_field": "Id",
                 "fields": ["Email"], "types": ["string"]},
                {"name": "Contacts", "child": True, "object": "Contact", "via": "AccountId", "id_field": "Id",
                 "fields": ["Email", "SystemModstamp"], "types": ["string", "datetime"], "cursor": "SystemModstamp"},
            ],
        },
        "target_fields": [
            {"name": "externalId", "type": "string"},
            {"name": "companyName", "type": "string"},
            {"name": "subsidiary", "type": "any", "reference": True, "create_only": True},
            {"name": "balance", "type": "decimal", "scale": 2},
            {"name": "CustomerRef.value", "type": "string", "path": ["CustomerRef", "value"]},
            {"name": "addresses", "type": "any", "sublist": "addressbook",
             "element": [{"name": "city", "type": "string"}, {"name": "zip", "type": "int"}]},
        ],
        "shared": [{"name": "shared:Name.trim()", "program": trimmed, "bindings": [field_binding("Name")]}],
        "steps": [
            {"kind": "key", "target": "externalId", "program": program([["load_input", 0, 0]], inputs=["Id"]),
             "bindings": [field_binding("Id")]},
            {"kind": "require", "reason": "missing Name", "program": not_null, "bindings": [field_binding("Name")]},
            {"kind": "assign", "target": "companyName", "flag": "data:trimmed",
             "program": program([["load_input", 0, 0], ["coalesce", 0, 3], ["const", 0, 0]], ["?"], ["shared:Name.trim()"]),
             "flag_probe": program([["load_input", 0, 0]], inputs=["shared:Name.trim()"]),
             "bindings": [{"name": "shared:Name.trim()", "kind": "shared", "field": "shared:Name.trim()"}]},
            {"kind": "assign", "target": "subsidiary",
             "program": program([["load_input", 0, 0], ["load_input", 0, 1], ["index", 0, 0], ["fail", 1, 0]],
                                ["Pending Review"], ["subsidiary_by_country", "Owner.Email"]),
             "bindings": [{"name": "subsidiary_by_country", "kind": "table", "field": "subsidiary_by_country"},
                          {"name": "Owner.Email", "kind": "parent", "relation": "Owner", "field": "Email"}]},
            {"kind": "assign", "target": "addresses", "program": macro, "bindings": []},
            {"kind": "assign", "target": "balance",
             "program": program([["load_input", 0, 0], ["call", 1, "size"]], inputs=["Contacts"]),
             "bindings": [{"name": "Contacts", "kind": "children", "relation": "Contacts"}]},
        ],
        "cursor": "SystemModstamp",
        "deleted_field": "IsDeleted",
        "source_id": "Id",
        "target_id": "id",
        "read_batch": 200,
        "write_batch": 1,
    }
    order = {
        "name": "won_to_order",
        "source": {"system": "crm", "object": "Opportunity"},
        "target": {"system": "erp", "object": "SalesOrder"},
        "depends_on": ["account_to_customer"],
        "referenced_by": [],
        "projection": {"fields": ["AccountId", "Amount", "Id", "StageName"],
                       "types": ["string", "decimal", "string", "string"], "relations": []},
        "target_fields": [{"name": "entity", "type": "string", "reference": True},
                          {"name": "memo", "type": "string"}],
        "shared": [],
        "steps": [
            {"kind": "ref", "target": "entity", "ref_map": "account_to_customer", "program": load,
             "bindings": [field_binding("Name", "AccountId")]},
            {"kind": "ref", "target": "ref:0", "ref_map": "account_to_customer", "local": True, "program": load,
             "bindings": [field_binding("Name", "AccountId")]},
            {"kind": "assign", "target": "memo", "program": program([["load_input", 0, 0]], inputs=["ref:0"]),
             "bindings": [{"name": "ref:0", "kind": "assigned", "field": "ref:0"}]},
        ],
        "read_batch": 0,
        "write_batch": 0,
    }
    when = [{"reason": "StageName is not Closed Won",
             "program": program([["load_input", 0, 0], ["const", 0, 0], ["eq", 0, 0]], ["Closed Won"], ["StageName"]),
             "bindings": [field_binding("StageName")]},
            {"reason": "Amount is not positive",
             "program": program([["load_input", 0, 0], ["const", 0, 0], ["gt", 0, 0]], [{"int": "0"}], ["Amount"]),
             "bindings": [field_binding("Amount")]}]
    pushdown = [{"field": "StageName", "op": op, "value": "Closed Won", "when": 0} for op in ["==", "!=", "<", "<=", ">", ">="]]
    pushdown.append({"field": "Amount", "op": "in", "value": {"list": [{"int": "1"}, {"double": 1.5}, {"decimal": "2.50"}, None]}, "when": 1})
    def side_expr(name):
        return {"text": name, "program": program([["load_input", 0, 0]], inputs=[name]), "bindings": [field_binding(name)]}

    reconciles = [
        {"name": "crm.Opportunity~erp.SalesOrder", "schedule": "daily", "at": "02:30 Europe/Berlin",
         "left": {"system": "crm", "object": "Opportunity", "fields": ["Amount", "Id", "StageName"],
                  "types": ["decimal", "string", "string"], "id_field": "Id", "read_batch": 2000,
                  "carried_by": "won_to_order"},
         "right": {"system": "erp", "object": "SalesOrder", "fields": ["externalId", "memo", "total"],
                   "types": ["string", "string", "decimal"], "id_field": "id", "read_batch": 1000},
         "keys": [{"left": side_expr("Id"), "right": side_expr("externalId")}],
         "rules": [{"left": side_expr("Amount"), "right": side_expr("total"), "tolerance": "percent", "within": "2"},
                   {"left": {"text": "StageName.trim()", "program": program([["load_input", 0, 0], ["call", 1, "trim"]], inputs=["StageName"]),
                             "bindings": [field_binding("StageName")]},
                    "right": side_expr("memo"), "tolerance": "exact"},
                   {"left": side_expr("Amount"), "right": side_expr("total"), "tolerance": "absolute", "within": "100.50"}]},
        {"name": "crm.Opportunity~erp.SalesOrder#2", "schedule": "every", "every_ms": 21600000,
         "left": {"system": "crm", "object": "Opportunity", "fields": ["Id"], "types": ["string"], "read_batch": 0},
         "right": {"system": "erp", "object": "SalesOrder", "fields": ["externalId"], "types": ["string"], "read_batch": 0,
                   "carried_by": "account_to_customer"},
         "keys": [{"left": side_expr("Id"), "right": side_expr("externalId")}],
         "rules": []},
    ]
    return {
        "integration": "every_field",
        "spec_version": "2026.12",
        "systems": [
            {"name": "crm", "kind": "salesforce", "batch": 200,
             "budgets": [{"metric": "api_calls", "amount": 100000, "period_ms": 86400000, "warn_at_percent": 80.5},
                         {"metric": "concurrency", "amount": 4}]},
            {"name": "erp", "kind": "netsuite", "budgets": []},
        ],
        "tables": [
            {"name": "subsidiary_by_country", "entries": [["US", "Acme Inc"], ["DE", "Acme GmbH"]]},
            {"name": "every_value", "entries": [[v, v] for v in VALUES] +
             [[{"list": VALUES}, {"map": [[k, v] for k, v in zip(VALUES[3:], VALUES)]}]]},
        ],
        "maps": [customer, order],
        "syncs": [
            {"map": "account_to_customer", "trigger": "every", "every_ms": 3600000, "when": [], "on_exhausted": [],
             "pushdown": []},
            {"map": "won_to_order", "trigger": "daily_at", "daily_at": "02:00 Europe/Berlin", "when": when,
             "pushdown": pushdown,
             "retry": {"attempts": 5, "backoff": "exponential", "backoff_args_ms": [1000, 60000], "jitter": True},
             "on_exhausted": ["dead_letter", "notify", "hold: retries exhausted"]},
        ],
        "conflicts": {"strategy": "latest_wins", "grace_ms": 60000, "audit": True},
        "reconciles": reconciles,
        "tests": [
            {"name": "a won deal becomes an order",
             "given": [{"system": "crm", "object": "Account", "fields": [["Id", "001"], ["Name", " Acme "]]},
                       {"system": "crm", "object": "Opportunity",
                        "fields": [["Id", "006"], ["AccountId", "001"], ["Amount", {"decimal": "92000.00"}],
                                   ["StageName", "Closed Won"]]}],
             "expect": [{"kind": "record", "system": "erp", "object": "Customer", "fields": [["companyName", "Acme"]]},
                        {"kind": "exception", "text": "missing Name"},
                        {"kind": "hold", "text": "Pending Review"},
                        {"kind": "flag", "text": "data:trimmed"}]},
        ],
    }


def lite_body(full):
    """`full` cut down to what the one-check-fails seeds break: small, so mutations stay cheap."""
    b = copy.deepcopy(full)
    b["tables"] = [{"name": "t", "entries": [["US", "Acme Inc"]]}]
    b["tests"] = []
    m = b["maps"][0]
    m["projection"]["relations"] = []
    m["target_fields"] = [m["target_fields"][0], m["target_fields"][4]]
    m["steps"] = m["steps"][:2]
    b["maps"][1]["steps"] = b["maps"][1]["steps"][:1]
    b["syncs"][1]["pushdown"] = b["syncs"][1]["pushdown"][:1]
    b["reconciles"] = b["reconciles"][:1]
    return b


def small_body():
    return {"integration": "small", "systems": [], "tables": [], "maps": [], "syncs": []}


def broken(body, path, value):
    """`body` with the member at `path` (keys and indexes) set to `value`."""
    b = copy.deepcopy(body)
    x = b
    for k in path[:-1]:
        x = x[k]
    x[path[-1]] = value
    return b


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus_plan")
    os.makedirs(out, exist_ok=True)
    full = every_field_body()
    lite = lite_body(full)
    seeds = {
        "seed-every-field.json": envelope(full),
        # No envelope: only the target's re-wrapping reads it.
        "seed-body-only.json": {"integration": "body_only", "systems": full["systems"], "tables": [],
                                "maps": [broken(full["maps"][1], ["depends_on"], [])], "syncs": []},
        "seed-small.json": envelope(small_body()),
        "seed-old-version.json": envelope(small_body(), version=2),
        "seed-no-body.json": {"crmx_plan": PLAN_VERSION, "content_hash": "sha256:", "compiler": "x"},
        "seed-not-object.json": [envelope(small_body())],
        "seed-bad-hex.json": envelope(broken(lite, ["tables", 0, "entries", 0], [{"bytes": "0g"}, {"bytes": "abc"}])),
        "seed-constant-out-of-range.json": envelope(broken(lite, ["maps", 0, "steps", 1, "program", "code", 1], ["const", 0, 7])),
        "seed-depends-on-later-map.json": envelope(broken(lite, ["maps", 0, "depends_on"], ["won_to_order"])),
        "seed-path-not-name.json": envelope(broken(lite, ["maps", 0, "target_fields", 1, "path"], ["CustomerRef", "id"])),
        "seed-pushdown-when-out-of-range.json": envelope(broken(lite, ["syncs", 1, "pushdown", 0, "when"], 2)),
        "seed-unknown-builtin.json": envelope(broken(lite, ["maps", 0, "shared", 0, "program", "code", 1], ["call", 1, "nosuch"])),
        "seed-types-count.json": envelope(broken(lite, ["maps", 0, "projection", "types"], ["string"])),
        "seed-conflicts-no-audit.json": envelope(broken(lite, ["conflicts"], {"strategy": "latest_wins", "grace_ms": 0})),
        "seed-reconcile-negative-within.json": envelope(broken(lite, ["reconciles", 0, "rules", 0, "within"], "-2")),
        "seed-reconcile-unprojected-field.json": envelope(broken(lite, ["reconciles", 0, "rules", 0, "left", "bindings", 0, "field"], "Nope")),
        "seed-reconcile-carried-by-unknown.json": envelope(broken(lite, ["reconciles", 0, "left", "carried_by"], "nosuch")),
        "seed-reconcile-no-keys.json": envelope(broken(lite, ["reconciles", 0, "keys"], [])),
    }
    for name, doc in seeds.items():
        with open(os.path.join(out, name), "w") as f:
            f.write(canonical(doc) + "\n")
    # One level deeper than ReadPlan takes (kMaxPlanNesting, 1000): refused before parsing.
    with open(os.path.join(out, "seed-too-deep.json"), "w") as f:
        f.write('{"crmx_plan":%d,"content_hash":"","plan":{"a":' % PLAN_VERSION + "[" * 999 + "]" * 999 + "}}\n")
    # A float in an integer member: nlohmann's get<int>() cast it, undefined behaviour (README.md).
    with open(os.path.join(out, "crash-float-in-integer-member.json"), "w") as f:
        f.write(canonical(envelope(broken(lite, ["maps", 0, "target_fields", 0, "scale"], 1e300))) + "\n")
    # The first crash (README.md): a content_hash that is not a string made ReadPlan throw.
    with open(os.path.join(out, "crash-content-hash-not-string.json"), "w") as f:
        f.write('{"content_hash":1,"crmx_plan":%d,"plan":{}}\n' % PLAN_VERSION)
    print("wrote %d seeds to %s" % (len(seeds) + 3, out))


if __name__ == "__main__":
    main()
