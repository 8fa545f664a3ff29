#!/usr/bin/env bash
# Editor support tests: keyword lists in sync with grammar/Crmx.g4, TextMate scopes of
# sample.crmx.test (vscode-tmgrammar-test), and a vim smoke test when vim is installed.
# Works from any directory; installs the pinned npm packages into tests/editors/node_modules
# the first time (needs the npm registry). Exits non-zero when any check fails.
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root" || exit 2

failed=()
passed=()
skipped=()

step() {  # step NAME COMMAND...
  local name="$1"; shift
  echo "== editors: $name"
  if "$@"; then passed+=("$name"); else failed+=("$name"); fi
}

step "keyword self-test" python3 tests/editors/check_keywords.py --self-test
step "keyword sync" python3 tests/editors/check_keywords.py --root "$root"

if [ ! -x "$here/node_modules/.bin/vscode-tmgrammar-test" ]; then
  echo "== editors: installing npm packages (npm ci)"
  if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error); then
    failed+=("npm ci")
  fi
fi
if [ -x "$here/node_modules/.bin/vscode-tmgrammar-test" ]; then
  step "TextMate scopes" "$here/node_modules/.bin/vscode-tmgrammar-test" \
    -g editors/vscode/syntaxes/crmx.tmLanguage.json 'tests/editors/*.crmx.test'
else
  failed+=("TextMate scopes (vscode-tmgrammar-test not installed)")
fi

if command -v vim >/dev/null 2>&1; then
  step "vim smoke" vim -Nu NONE -i NONE -es -S tests/editors/vim/smoke.vim </dev/null
else
  skipped+=("vim smoke (vim not installed)")
fi

summary="editors: ${#passed[@]} passed, ${#failed[@]} failed, ${#skipped[@]} skipped"
[ ${#skipped[@]} -gt 0 ] && summary+=" [skipped: $(IFS=,; echo "${skipped[*]}")]"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAIL $summary [failed: $(IFS=,; echo "${failed[*]}")]"
  exit 1
fi
echo "OK $summary"
