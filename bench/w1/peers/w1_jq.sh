#!/bin/sh
# W1 peer: jq. Usage: w1_jq.sh IN_DIR OUT_DIR [DATA_DIR]
# jq writes one stream of tagged lines; awk (mawk when present) splits it into the four files.
# A pipe's status is its last command's, and sh (dash) has no `set -o pipefail`: so when jq
# fails, an "E<status>" line follows its output, and awk exits with jq's status on it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
in=$1; out=$2; data=${3:-$here/..}
AWK=$(command -v mawk || command -v awk)
{ jq -nr --slurpfile geo "$data/geo.json" --rawfile rates "$data/rates.csv" -f "$here/w1.jq" "$in/Account.jsonl" ||
    echo "E$?"; } |
  "$AWK" -v C="$out/Customer.jsonl" -v Q="$out/quality.jsonl" -v H="$out/held.jsonl" -v F="$out/flags.jsonl" '
    BEGIN { printf "" > C; printf "" > Q; printf "" > H; printf "" > F }
    { t = substr($0, 1, 1); r = substr($0, 2)
      if (t == "C") print r > C; else if (t == "F") print r > F
      else if (t == "Q") print r > Q; else if (t == "H") print r > H
      else if (t == "E") { print "w1_jq: jq failed (exit status " r ")" > "/dev/stderr"; exit r + 0 }
      else { print "w1_jq: untagged line: " $0 > "/dev/stderr"; exit 1 } }'
