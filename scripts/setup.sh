#!/usr/bin/env bash
# Installs every Debian package that building, running and testing crmx needs.
# Idempotent: packages already present are skipped by apt-get. Run as root (or with sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev
  llvm-14-dev
  antlr4 libantlr4-runtime-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev doctest-dev
  libsqlite3-dev libpq-dev postgresql libssl-dev libre2-dev libphonenumber-dev libicu-dev libprotobuf-dev libboost-dev libabsl-dev
  iso-codes libsimdjson-dev libyaml-cpp-dev libpugixml-dev
  libcurl4-openssl-dev libcpp-httplib-dev prometheus-cpp-dev curl
  python3 jq nodejs
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# npm ships with Node.js on the machine image (NodeSource); plain Debian packages it apart.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
