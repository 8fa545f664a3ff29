#!/usr/bin/env bash
# CTest driver of the HTML report's Chromium tests (tests/e2e/CMakeLists.txt; docs/assess.md,
# "The HTML report"). Skips (exit 77, said loudly) only when Chromium is absent.
#
#   run.sh fixture    NODE NPM CMAKE WORK_DIR RENDER
#   run.sh north_star NODE NPM CMAKE WORK_DIR CRMXC CRMX_RUN
#
# fixture: the fixture reports of fixtures/ rendered by RENDER (crmx_assess_html_render) and
#   checked in Chromium by check_report.js; full.json also with --self-test (broken copies of
#   the page must fail the checks).
# north_star: `crmx-run assess` on the north star's bundled data (the plan from CRMXC build of
#   examples/acme-salesforce-netsuite, crm = a copy of its data/crm with markup planted in it,
#   erp = a SQLite file that does not exist) with docs/assess-answers.example.yaml, once --format json and once --format html,
#   the two compared by check_report.js --self-test. Both at the same --now: the report says when
#   it was made (generated_at), and two runs a second apart would differ there.
# Screenshots and broken copies are left in WORK_DIR for people.
set -euo pipefail
MODE=${1:?usage: run.sh fixture|north_star NODE NPM CMAKE WORK_DIR ...}
NODE=${2:?node}
NPM=${3:?npm}
CMAKE=${4:?cmake}
WORK=${5:?work dir}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM

if [ ! -x "$CHROMIUM" ]; then
  echo "assess_html: SKIPPED: no Chromium at $CHROMIUM (scripts/setup.sh installs Debian's chromium; or set CHROMIUM)"
  exit 77
fi
for tool in "$NODE" "$NPM"; do
  if [ ! -x "$tool" ]; then
    echo "assess_html: $tool not found (node and npm are needed)" >&2
    exit 1
  fi
done

mkdir -p "$WORK"
"$CMAKE" -DSRC_DIR="$HERE" -DNPM_DIR="$WORK/npm" -DNPM="$NPM" -P "$HERE/npm_install.cmake"
check() { "$NODE" "$HERE/check_report.js" --modules "$WORK/npm" --work "$WORK" "$@"; }

case "$MODE" in
  fixture)
    RENDER=${6:?crmx_assess_html_render}
    for name in full no_answers empty; do
      "$RENDER" "$HERE/fixtures/$name.json" "$WORK/$name.html"
    done
    check --json "$HERE/fixtures/full.json" --html "$WORK/full.html" --self-test
    check --json "$HERE/fixtures/no_answers.json" --html "$WORK/no_answers.html"
    check --json "$HERE/fixtures/empty.json" --html "$WORK/empty.html"
    ;;
  north_star)
    CRMXC=${6:?crmxc}
    CRMX_RUN=${7:?crmx-run}
    EXAMPLE="$ROOT/examples/acme-salesforce-netsuite"
    rm -rf "$WORK/north_star" && mkdir -p "$WORK/north_star"
    cp -R "$EXAMPLE/data/crm" "$WORK/north_star/crm"
    # Customer data with markup in it, which the page must show as text: a BillingState on five
    # accounts (the most common invalid value, so the report lists it) and a duplicate of the
    # first account whose Id is markup (an example pair).
    "$NODE" -e '
      const fs = require("fs");
      const file = process.argv[1];
      const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim());
      for (let i = 0; i < 5; i++) {
        const r = JSON.parse(lines[i]);
        r.BillingState = "<script>window.__pwned=1</script>";
        lines[i] = JSON.stringify(r);
      }
      const dup = JSON.parse(lines[0]);
      dup.Id = "<img src=x onerror=\"window.__pwned=2\">";
      lines.push(JSON.stringify(dup));
      fs.writeFileSync(file, lines.join("\n") + "\n");
    ' "$WORK/north_star/crm/Account.jsonl"
    "$CRMXC" build "$EXAMPLE/acme.crmx" -o "$WORK/north_star/acme.plan.json"
    assess=("$CRMX_RUN" assess "$WORK/north_star/acme.plan.json" --system crm="$WORK/north_star/crm"
            --system erp="$WORK/north_star/erp.db" --answers "$ROOT/docs/assess-answers.example.yaml"
            --now 2026-12-01T00:00:00Z)
    "${assess[@]}" --format json > "$WORK/north_star.json"
    "${assess[@]}" --format html > "$WORK/north_star.html"
    if [ -e "$WORK/north_star/erp.db" ]; then
      echo "FAILED: crmx-run assess created the ERP database" >&2
      exit 1
    fi
    check --json "$WORK/north_star.json" --html "$WORK/north_star.html" --name north_star --self-test
    ;;
  *)
    echo "run.sh: unknown mode $MODE" >&2
    exit 2
    ;;
esac
echo "assess_html $MODE: passed"
