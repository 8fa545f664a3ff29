#!/usr/bin/env python3
"""Builds this example's HubSpot schema from the project's definitions (../../schemas/hubspot).

    python3 schemas/make_schemas.py CRMXC

A HubSpot admin adds three custom deal properties for the integration (where the invoice's
number, balance and payment status come back); this script adds them to copies of the
project's properties files (schemas/hubspot/, what the HubSpot emulator is started with) and
imports those with `crmxc schema import --from hubspot` into schemas/hubspot.schema.json (what
the spec reads). The importer adds the associations among the imported object types
(docs/schema-format.md, "HubSpot"): `Deal.associations.companies` (the deal's company ids) and
the relationship `Deal.LineItems` (the line items associated with the deal)."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.join(HERE, "..", "..", "..", "schemas", "hubspot")


def prop(name, label, typ, field_type, group, description, options=None, readonly=False):
    return {"name": name, "label": label, "type": typ, "fieldType": field_type, "description": description,
            "groupName": group, "options": options or [], "calculated": False, "externalOptions": False,
            "hasUniqueValue": False, "hidden": False, "formField": False,
            "modificationMetadata": {"archivable": True, "readOnlyDefinition": False, "readOnlyValue": readonly}}


CUSTOM = {
    "deals": [
        prop("qbo_invoice_number", "QuickBooks invoice number", "string", "text", "dealinformation",
             "Set by crmx: the QuickBooks invoice's DocNumber"),
        prop("qbo_balance", "QuickBooks open balance", "number", "number", "dealinformation",
             "Set by crmx: the invoice's Balance"),
        prop("qbo_payment_status", "QuickBooks payment status", "enumeration", "select", "dealinformation",
             "Set by crmx from the invoice's Balance",
             [{"label": l, "value": v, "displayOrder": i, "hidden": False}
              for i, (v, l) in enumerate([("unpaid", "Unpaid"), ("partially_paid", "Partially paid"), ("paid", "Paid")])]),
    ],
}


def main():
    crmxc = sys.argv[1] if len(sys.argv) > 1 else "crmxc"
    out = os.path.join(HERE, "hubspot")
    os.makedirs(out, exist_ok=True)
    for obj in ("companies", "deals", "line_items", "products"):
        doc = json.load(open(os.path.join(PROJECT, f"{obj}.properties.json")))
        doc["results"].extend(CUSTOM.get(obj, []))
        with open(os.path.join(out, f"{obj}.properties.json"), "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
    target = os.path.join(HERE, "hubspot.schema.json")
    files = [os.path.join("schemas", "hubspot", f"{o}.properties.json") for o in ("companies", "deals", "line_items", "products")]
    subprocess.run([crmxc, "schema", "import", "--from", "hubspot", "--system", "hubspot", "-q", *files, "-o", target],
                   check=True, cwd=os.path.dirname(HERE))
    doc = json.load(open(target))
    with open(target, "w") as f:  # the repository's layout of the file (one space an indent)
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
