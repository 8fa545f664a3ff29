#!/usr/bin/env python3
"""W1 peer: hand-written Python (stdlib json only). Usage: w1.py IN_DIR OUT_DIR [DATA_DIR]

Reads IN_DIR/Account.jsonl, writes OUT_DIR/{Customer,quality,held,flags}.jsonl following
bench/w1/SEMANTICS.md. DATA_DIR (default: bench/w1) holds geo.json and rates.csv.
quality/held/flags.jsonl are crmx-run's queue lines (SEMANTICS.md, "Queue lines")."""
import json
import os
import sys

WS = " \t\n\v\f\r"
MAP = "account_to_customer"  # the spec's map name (w1.crmx)
SUBSIDIARY = {"US": "Acme Inc", "CA": "Acme Canada", "GB": "Acme UK Ltd", "DE": "Acme GmbH"}
LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def js(s):
    return "null" if s is None else json.dumps(s, ensure_ascii=False)


def load_rates(path):
    rates = {}
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            line = line.strip()
            if not line:
                continue
            cur, val = line.split(",")
            whole, _, frac = val.partition(".")
            rates[cur] = (int(whole + frac), len(frac))  # mantissa, scale
    return rates


def main():
    in_dir, out_dir = sys.argv[1], sys.argv[2]
    data = sys.argv[3] if len(sys.argv) > 3 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(data, "geo.json"), encoding="utf-8") as f:
        geo = json.load(f)
    states, countries, calling = geo["states"], geo["countries"], geo["calling_codes"]
    nanp = set(geo["nanp"])
    rates = load_rates(os.path.join(data, "rates.csv"))
    usd_m, usd_s = rates["USD"]
    assert (usd_m, usd_s) in ((1, 0), (10 ** usd_s, usd_s)), "rates.csv: USD must be 1"

    def e164(phone, country):
        if phone is None:
            return None
        digits = "".join(c for c in phone if "0" <= c <= "9")
        if not digits:
            return None
        if phone.lstrip(WS).startswith("+"):
            return "+" + digits
        if country in nanp:
            if len(digits) == 10:
                return "+1" + digits
            if len(digits) == 11 and digits[0] == "1":
                return "+" + digits
            return None
        if digits[0] == "0" and len(digits) > 1:
            return "+" + calling[country] + digits[1:]
        return None

    def usd(amount, currency):
        if amount is None or currency not in rates:
            return None
        m, s = rates[currency]
        p = int(amount) * m  # exact: amount is a whole number (SEMANTICS.md)
        # Cents, rounded half up, away from zero (SEMANTICS.md, "Money"): round the magnitude,
        # a tie (remainder exactly half) goes up, then put the sign back.
        sign = "-" if p < 0 else ""
        p = abs(p)
        if s > 2:
            q, r = divmod(p, 10 ** (s - 2))
            if r >= 5 * 10 ** (s - 3):
                q += 1
        else:
            q = p * 10 ** (2 - s)
        if q == 0:
            sign = ""  # 0.00, never -0.00
        return "%s%d.%02d" % (sign, q // 100, q % 100)

    loads = json.loads
    out = {k: open(os.path.join(out_dir, k + ".jsonl"), "w", encoding="utf-8", newline="\n")
           for k in ("Customer", "quality", "held", "flags")}
    cust, qual, held, flags = (out[k].write for k in ("Customer", "quality", "held", "flags"))
    in_file = "Account.jsonl"
    # Constant per run: the start of every queue line, and its "file".
    q_head = '{"map":%s,"key":' % js(MAP)
    q_file = ',"file":%s,"line":' % js(in_file)
    with open(os.path.join(in_dir, in_file), encoding="utf-8", newline="\n") as f:
        for lineno, line in enumerate(f, 1):
            a = loads(line)
            rid = js(a.get("Id"))
            name = a.get("Name")
            name = name.strip(WS) if name is not None else ""
            if name == "":
                qual('%s%s%s%d,"reasons":["missing Name"],"fields":["Name"]}\n' % (q_head, rid, q_file, lineno))
                continue
            st = a.get("BillingState")
            if st is None:
                st = a.get("ShippingState")
            state = states.get(st.strip(WS).translate(LOWER)) if st is not None else None
            bc = a.get("BillingCountry")
            country = countries.get(bc.strip(WS).translate(LOWER)) if bc is not None else None
            if country is None:
                held('%s%s%s%d,"reasons":["Unknown country"]}\n' % (q_head, rid, q_file, lineno))
                continue
            phone = e164(a.get("Phone"), country)
            sub = a.get("Subsidiary__c")
            if sub is None:
                sub = SUBSIDIARY.get(country, "PENDING_REVIEW")
            terms = a.get("PaymentTerms__c")
            if terms is None:
                terms = "Net 30"
                flags('%s%s,"flag":"finance:default_terms"}\n' % (q_head, rid))
            currency = a.get("CurrencyIsoCode")
            rev = usd(a.get("AnnualRevenue"), currency)
            cust('{"externalId":%s,"companyName":%s,"state":%s,"country":%s,"phone":%s,'
                 '"subsidiary":%s,"terms":%s,"currency":%s,"annualRevenueUsd":%s}\n'
                 % (rid, js(name), js(state), js(country), js(phone), js(sub), js(terms),
                    js(currency), "null" if rev is None else rev))
    for f in out.values():
        f.close()


if __name__ == "__main__":
    main()
