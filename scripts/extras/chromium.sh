#!/usr/bin/env bash
# Headless Chromium for the dashboard's browser tests (driven by playwright-core, no browser download):
# Debian's package, installed only when /usr/bin/chromium is missing.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" != "0" ]; then
  echo "chromium is missing: install it with 'apt-get install -y chromium' (as root) for the browser tests" >&2
  exit 0
fi
echo "[setup] installing chromium from Debian packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
