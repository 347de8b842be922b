#!/usr/bin/env bash
# Installs what the browser tests drive: Debian's Chromium and the CJK fonts that show Korean.
# Never downloads a browser build of Playwright's own.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; else
    echo "install-browser: missing ${need[*]}; run 'sudo apt-get install ${need[*]}' (browser tests will skip)" >&2
    exit 0
  fi
else SUDO=""; fi
if ! command -v apt-get >/dev/null; then
  echo "install-browser: no apt-get here; install Chromium and Noto CJK fonts yourself (browser tests will skip)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq </dev/null
$SUDO apt-get install -y -qq "${need[@]}" </dev/null >/dev/null
echo "install-browser: installed ${need[*]}"
