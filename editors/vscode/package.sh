#!/bin/sh
# Builds the crmx VS Code extension package, OUT_DIR/crmx-<version>.vsix, with @vscode/vsce (pinned
# in package.json and package-lock.json). The extension's files are copied into STAGE_DIR
# (default OUT_DIR/vscode-stage) and `npm ci` runs there, so the source tree gets no
# node_modules and no .vsix. `npm ci` runs again only when package-lock.json changes (a stamp
# in STAGE_DIR names the lock file's hash). Needs node >= 20 and npm (the registry on first use).
#
#   sh editors/vscode/package.sh OUT_DIR [STAGE_DIR]
#   npm run package -- OUT_DIR        (from editors/vscode)
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 OUT_DIR [STAGE_DIR]" >&2
  exit 2
fi
src="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
stage="${2:-$out/vscode-stage}"
mkdir -p "$stage"
stage="$(cd "$stage" && pwd)"
case "$stage/" in
  "$src"/*) echo "package.sh: STAGE_DIR must be outside $src" >&2; exit 2 ;;
esac

# A fresh copy of the sources; node_modules and the install stamp are kept between runs.
find "$stage" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name '.npm-installed-*' -exec rm -rf {} +
(cd "$src" && tar -cf - --exclude=./node_modules --exclude='*.vsix' .) | (cd "$stage" && tar -xf -)

lock_hash="$(sha256sum "$stage/package-lock.json" | cut -c1-64)"
if [ ! -f "$stage/.npm-installed-$lock_hash" ] || [ ! -d "$stage/node_modules" ]; then
  rm -rf "$stage/node_modules" "$stage"/.npm-installed-*
  # --ignore-scripts: nothing here needs an install script (vsce's signing helper is only used
  # by `vsce publish`).
  (cd "$stage" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  touch "$stage/.npm-installed-$lock_hash"
fi

version="$(node -p 'require(process.argv[1]).version' "$stage/package.json")"
vsix="$out/crmx-$version.vsix"
rm -f "$vsix"
# No repository and no LICENSE file: the extension is distributed as a .vsix, not published.
(cd "$stage" && ./node_modules/.bin/vsce package --allow-missing-repository --skip-license --out "$vsix")
echo "$vsix"
