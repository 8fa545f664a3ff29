#!/usr/bin/env python3
"""Deterministic generator of order records for the JIT's expression-heavy benchmark.

    gen_orders.py --n 100000 --out DIR [--seed 7]

writes DIR/Order.jsonl: one compact JSON object a line (~450 bytes), the fields of
schemas/Order.json: names with stray spaces, e-mail addresses, phones, addresses, a decimal
unit price, discount and tax rate, a quantity, a score, `;`-separated tags, free-text notes and
an SKU. The same (n, seed) gives the same bytes everywhere (W1's splitmix64 PRNG, bench/w1/gen_accounts.py)."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "w1"))
from gen_accounts import Rng  # noqa: E402  (W1's splitmix64: below, pick)


FIRST = ["Ada", "Grace", "Linus", "Barbara", "Ken", "Dennis", "Margaret", "Alan", "Edsger", "Frances"]
LAST = ["Lovelace", "Hopper", "Torvalds", "Liskov", "Thompson", "Ritchie", "Hamilton", "Turing", "Dijkstra"]
CITIES = ["Springfield", "Zürich", "São Paulo", "Berlin", "Toronto", "Austin", "Lyon", "Osaka", "Leeds"]
STREETS = ["Main St", "Bahnhofstrasse", "Rua Augusta", "Unter den Linden", "King St W", "Congress Ave"]
COUNTRIES = ["US", "CA", "MX", "DE", "FR", "GB", "JP", "BR", "CH", "AU"]
TAGS = ["vip", "new", "priority", "net30", "export", "b2b", "b2c", "promo", "returning", "wholesale"]
WORDS = ["please", "ship", "urgent", "before", "friday", "call", "customer", "invoice", "attached", "thanks"]
DOMAINS = ["example.com", "acme.io", "mail.example.org", "corp.example.net"]


def record(rng, i):
    first, last = rng.pick(FIRST), rng.pick(LAST)
    pad = " " * rng.below(3)
    tags = ";".join(rng.pick(TAGS) for _ in range(1 + rng.below(5)))
    notes = " ".join(rng.pick(WORDS) for _ in range(3 + rng.below(12)))
    return {
        "Id": "801%015d" % i,
        "Name": f"{pad}{first} {last} Order {i}{pad}",
        "FirstName": first,
        "LastName": last,
        "Email": f"{first}.{last}{rng.below(1000)}@{rng.pick(DOMAINS)}".lower(),
        "Phone": "(%03d) 555-%04d" % (200 + rng.below(700), rng.below(10000)),
        "Street": f"{1 + rng.below(999)} {rng.pick(STREETS)} ",
        "City": rng.pick(CITIES),
        "PostalCode": "%05d-%04d" % (rng.below(100000), rng.below(10000)),
        "Country": rng.pick(COUNTRIES),
        "UnitPrice": "%d.%02d" % (1 + rng.below(500), rng.below(100)),
        "Quantity": 1 + rng.below(200),
        "DiscountPct": "%d.%d" % (rng.below(30), rng.below(10)),
        "TaxRate": "0.%02d" % rng.below(25),
        "Score": rng.below(256),
        "Tags": tags,
        "Notes": notes,
        "Sku": "%s-%05d" % (rng.pick(["ABC", "XYZ", "QRS", "LMN"]), rng.below(100000)),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = Rng(args.seed)
    with open(os.path.join(args.out, "Order.jsonl"), "w", encoding="utf-8") as f:
        for i in range(args.n):
            f.write(json.dumps(record(rng, i), ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
