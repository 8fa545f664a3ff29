#!/usr/bin/env python3
"""Writes this example's HubSpot portal properties: the project's default definitions
(../../../../schemas/hubspot) plus the portal's custom properties below, in the shape of
`GET /crm/v3/properties/{objectType}` (what a HubSpot admin would save from their account).

    python3 schemas/hubspot/make_portal.py [CRMXC]   (from examples/hubspot-xero; deterministic)

With the path of crmxc it also imports them into schemas/hubspot.schema.json (crmx schema JSON,
what the spec names); the importer adds the associations among the imported object types: a
deal's company ids (`associations.companies`) and its line items (the relationship `LineItems`:
the line items associated with the deal). The emulator serves the *.properties.json files; the
spec reads the imported file.
"""
import subprocess
import sys
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULTS = os.path.join(HERE, "..", "..", "..", "..", "schemas", "hubspot")


def prop(name, label, type_, field_type, description, options=(), group="dealinformation"):
    return {"name": name, "label": label, "type": type_, "fieldType": field_type, "description": description,
            "groupName": group, "options": [{"label": o, "value": o, "displayOrder": i, "hidden": False}
                                            for i, o in enumerate(options)],
            "calculated": False, "externalOptions": False, "hasUniqueValue": False, "hidden": False,
            "formField": False,
            "modificationMetadata": {"archivable": True, "readOnlyDefinition": False, "readOnlyValue": False}}


# Where the Xero invoice comes back to the deal. A deal's company and line items are its
# associations (the connector reads them): no custom property copies them.
CUSTOM = {
    "deals": [
        prop("xero_invoice_number", "Xero invoice number", "string", "text",
             "The Xero invoice raised for this deal (written by crmx)"),
        prop("xero_invoice_status", "Xero invoice status", "enumeration", "select",
             "The Xero invoice's status (written by crmx)",
             ("DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED")),
        prop("xero_amount_due", "Xero amount due", "number", "number",
             "What the customer still owes on the Xero invoice (written by crmx)"),
    ],
}

for object_type in ("companies", "deals", "line_items"):
    doc = json.load(open(os.path.join(DEFAULTS, f"{object_type}.properties.json")))
    doc["results"] += CUSTOM.get(object_type, [])
    with open(os.path.join(HERE, f"{object_type}.properties.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")

if len(sys.argv) > 1:
    out = os.path.join(HERE, "..", "hubspot.schema.json")
    subprocess.run([sys.argv[1], "schema", "import", "--from", "hubspot", "-o", out] +
                   [os.path.join("schemas", "hubspot", f"{t}.properties.json") for t in ("companies", "deals", "line_items")],
                   check=True, cwd=os.path.join(HERE, "..", ".."))
    doc = json.load(open(out))
    with open(out, "w") as f:  # the repository's layout of the file (one space an indent)
        json.dump(doc, f, indent=1)
        f.write("\n")
