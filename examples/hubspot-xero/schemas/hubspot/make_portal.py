#!/usr/bin/env python3
"""Writes this example's HubSpot portal properties: the project's default definitions
(../../../../schemas/hubspot) plus the portal's custom properties below, in the shape of
`GET /crm/v3/properties/{objectType}` (what a HubSpot admin would save from their account).

    python3 schemas/hubspot/make_portal.py [CRMXC]   (from examples/hubspot-xero; deterministic)

With the path of crmxc it also imports them into schemas/hubspot.schema.json (crmx schema JSON,
what the spec names) and adds the one fact the properties API does not give: a deal's line items
are the LineItem records whose `crmx_deal_id` is the deal's id (the child relation `line_items`).
The emulator serves the *.properties.json files; the spec reads the imported file.
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


# The connector does not read associations yet (docs/connectors/hubspot.md, "Not done"): the
# portal copies each deal's primary company id, and each line item's deal id, into a custom
# property with a workflow, and the spec joins on those.
CUSTOM = {
    "deals": [
        prop("crmx_company_id", "Primary company id", "string", "text",
             "The id of the deal's primary associated company (copied by a workflow)"),
        prop("xero_invoice_number", "Xero invoice number", "string", "text",
             "The Xero invoice raised for this deal (written by crmx)"),
        prop("xero_invoice_status", "Xero invoice status", "enumeration", "select",
             "The Xero invoice's status (written by crmx)",
             ("DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED")),
        prop("xero_amount_due", "Xero amount due", "number", "number",
             "What the customer still owes on the Xero invoice (written by crmx)"),
    ],
    "line_items": [
        prop("crmx_deal_id", "Deal id", "string", "text",
             "The id of the deal the line item belongs to (copied by a workflow)", group="lineiteminformation"),
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
    doc["objects"]["Deal"]["child_relationships"] = [
        {"name": "line_items", "child_object": "LineItem", "field": "crmx_deal_id"}]
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
