# W1 peer: jq 1.6+. Run by w1_jq.sh, which passes the tables and splits the output:
#   jq -nr --slurpfile geo geo.json --rawfile rates rates.csv -f w1.jq IN/Account.jsonl
# Emits one line per output record, tagged by its first character: C (Customer.jsonl),
# Q (quality.jsonl), H (held.jsonl), F (flags.jsonl). Semantics: bench/w1/SEMANTICS.md.

def trim: sub("^[ \t\n\u000b\f\r]+"; "") | sub("[ \t\n\u000b\f\r]+$"; "");
def js: if . == null then "null" else tojson end;

$geo[0] as $g
| ($rates | split("\n") | .[1:] | map(select(length > 0) | split(",")
    | {key: .[0], value: (.[1] | split(".") as $p
        | {m: (($p[0] + ($p[1] // "")) | tonumber), s: (($p[1] // "") | length)})})
  | from_entries) as $r
| {"US": "Acme Inc", "CA": "Acme Canada", "GB": "Acme UK Ltd", "DE": "Acme GmbH"} as $sub

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

  # amount (a whole number) * rate, rounded half-even to cents, as a decimal string.
  # Exact in doubles while amount * mantissa < 2^53 (checked).
  def usd($currency):
    if . == null or $r[$currency] == null then null
    else $r[$currency] as $rate | (. * $rate.m) as $p
    | if ($p | fabs) >= 9007199254740992 then error("amount too large for exact jq arithmetic") else . end
    | (if $rate.s > 2 then
         (pow(10; $rate.s - 2)) as $div | (5 * pow(10; $rate.s - 3)) as $half
         | ($p / $div | floor) as $q | ($p - $q * $div) as $rem
         | if $rem > $half or ($rem == $half and ($q % 2) != 0) then $q + 1 else $q end
       else $p * pow(10; 2 - $rate.s) end) as $q
    | ($q | fabs) as $a | ($a % 100) as $c
    | (if $q < 0 then "-" else "" end) + ((($a - $c) / 100) | tostring) + "."
      + (if $c < 10 then "0" else "" end) + ($c | tostring)
    end;

  inputs
  | (.Id | js) as $id
  | ((.Name // "") | trim) as $name
  | if $name == "" then "Q{\"Id\":\($id),\"reason\":\"missing Name\"}"
    else ((.BillingCountry) | lookup($g.countries)) as $country
    | if $country == null then "H{\"Id\":\($id),\"reason\":\"Unknown country\"}"
      else
        ((.BillingState // .ShippingState) | lookup($g.states)) as $state
      | (.Phone | e164($country)) as $phone
      | (.Subsidiary__c // $sub[$country] // "PENDING_REVIEW") as $subsidiary
      | (.PaymentTerms__c == null) as $dflt
      | (.PaymentTerms__c // "Net 30") as $terms
      | .CurrencyIsoCode as $currency
      | (.AnnualRevenue | usd($currency)) as $rev
      | (if $dflt then "F{\"Id\":\($id),\"flag\":\"finance:default_terms\"}" else empty end),
        "C{\"externalId\":\($id),\"companyName\":\($name | js),\"state\":\($state | js),\"country\":\($country | js),\"phone\":\($phone | js),\"subsidiary\":\($subsidiary | js),\"terms\":\($terms | js),\"currency\":\($currency | js),\"annualRevenueUsd\":\($rev // "null")}"
      end
    end
