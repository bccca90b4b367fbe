#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (test/browser/, driven by playwright-core), if it
# is not there yet. `npm test` runs this first (the `pretest` script), so a fresh machine and CI get
# it. About 20 s with apt-get update; nothing when chromium is already installed.
# CHROMIUM_PATH names another browser binary (the tests use it too); then nothing is installed.
set -euo pipefail

browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  exit 0
fi
if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "install-chromium: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file." >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "install-chromium: /usr/bin/chromium is missing and this user cannot install packages." >&2
  echo "install-chromium: run 'sudo apt-get install -y chromium' (or set CHROMIUM_PATH); the browser tests fail until then." >&2
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: no apt-get here; install Chromium and set CHROMIUM_PATH for the browser tests." >&2
  exit 0
fi

echo "install-chromium: installing Debian's chromium for the browser tests..."
started=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq chromium >/dev/null
echo "install-chromium: $("$browser" --version 2>/dev/null || echo chromium) installed in $(( $(date +%s) - started )) s."
