# W1 peer: jq 1.6+. Run by w1_jq.sh, which passes the tables and splits the output:
#   jq -nr --slurpfile geo geo.json --rawfile rates rates.csv -f w1.jq IN/Account.jsonl
# Emits one line per output record, tagged by its first character: C (Customer.jsonl),
# Q (quality.jsonl), H (held.jsonl), F (flags.jsonl). Semantics: bench/w1/SEMANTICS.md;
# the Q, H and F lines are crmx-run's queue lines (SEMANTICS.md, "Queue lines").

def trim: sub("^[ \t\n\u000b\f\r]+"; "") | sub("[ \t\n\u000b\f\r]+$"; "");
def js: if . == null then "null" else tojson end;

$geo[0] as $g
| ($rates | split("\n") | .[1:] | map(select(length > 0) | split(",")
    | {key: .[0], value: (.[1] | split(".") as $p
        | {m: (($p[0] + ($p[1] // "")) | tonumber), s: (($p[1] // "") | length)})})
  | from_entries) as $r
| {"US": "Acme Inc", "CA": "Acme Canada", "GB": "Acme UK Ltd", "DE": "Acme GmbH"} as $sub
# Constant per run: the start of every queue line (map: the spec's map name), and its "file".
| "{\"map\":\("account_to_customer" | tojson),\"key\":" as $qhead
| ",\"file\":\("Account.jsonl" | tojson),\"line\":" as $qfile

| def lookup($t): if . == null then null else $t[trim | ascii_downcase] end;

  def e164($country):
    if . == null then null
    else (explode | map(select(. >= 48 and . <= 57)) | implode) as $d
    | if $d == "" then null
      elif (trim | startswith("+")) then "+" + $d
      elif ($g.nanp | index([$country])) != null then
        if ($d | length) == 10 then "+1" + $d
        elif ($d | length) == 11 and ($d | startswith("1")) then "+" + $d
        else null end
      elif ($d | startswith("0")) and ($d | length) > 1 then "+" + $g.calling_codes[$country] + $d[1:]
      else null end
    end;

  # amount (a whole number) * rate, rounded to cents half up, away from zero (SEMANTICS.md,
  # "Money"), as a decimal string. Exact in doubles while amount * mantissa < 2^53 (checked):
  # every value below is an integer under 2^53. The magnitude is rounded, then the sign put back.
  def usd($currency):
    # No rate (a null result): a null amount, a null currency (indexing an object with null
    # is an error in jq) or a currency missing from rates.csv.
    if . == null or $currency == null or $r[$currency] == null then null
    else $r[$currency] as $rate | (. * $rate.m) as $p
    | if ($p | fabs) >= 9007199254740992 then error("amount too large for exact jq arithmetic") else . end
    | ($p | fabs) as $m
    | (if $rate.s > 2 then
         (pow(10; $rate.s - 2)) as $div | (5 * pow(10; $rate.s - 3)) as $half
         | ($m / $div | floor) as $q0 | ($m - $q0 * $div) as $r0
         # the quotient is rounded before floor: step back or on if it landed one off
         | (if $r0 < 0 then [$q0 - 1, $r0 + $div] elif $r0 >= $div then [$q0 + 1, $r0 - $div]
            else [$q0, $r0] end) as [$q, $rem]
         | if $rem >= $half then $q + 1 else $q end
       else $m * pow(10; 2 - $rate.s) end) as $a
    | ($a % 100) as $c
    | (if $p < 0 and $a != 0 then "-" else "" end) + ((($a - $c) / 100) | tostring) + "."
      + (if $c < 10 then "0" else "" end) + ($c | tostring)
    end;

  # $line: the record's 1-based line in Account.jsonl (the input has no blank lines).
  foreach inputs as $a (0; . + 1; . as $line | $a
  | (.Id | js) as $id
  | ((.Name // "") | trim) as $name
  | if $name == "" then "Q\($qhead)\($id)\($qfile)\($line),\"reasons\":[\"missing Name\"],\"fields\":[\"Name\"]}"
    else ((.BillingCountry) | lookup($g.countries)) as $country
    | if $country == null then "H\($qhead)\($id)\($qfile)\($line),\"reasons\":[\"Unknown country\"]}"
      else
        ((.BillingState // .ShippingState) | lookup($g.states)) as $state
      | (.Phone | e164($country)) as $phone
      | (.Subsidiary__c // $sub[$country] // "PENDING_REVIEW") as $subsidiary
      | (.PaymentTerms__c == null) as $dflt
      | (.PaymentTerms__c // "Net 30") as $terms
      | .CurrencyIsoCode as $currency
      | (.AnnualRevenue | usd($currency)) as $rev
      | (if $dflt then "F\($qhead)\($id),\"flag\":\"finance:default_terms\"}" else empty end),
        "C{\"externalId\":\($id),\"companyName\":\($name | js),\"state\":\($state | js),\"country\":\($country | js),\"phone\":\($phone | js),\"subsidiary\":\($subsidiary | js),\"terms\":\($terms | js),\"currency\":\($currency | js),\"annualRevenueUsd\":\($rev // "null")}"
      end
    end)
