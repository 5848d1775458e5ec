#!/usr/bin/env bash
# Debian packages the test suite needs. Idempotent; skips what is installed.
set -euo pipefail
# prometheus: promtool for the alert-rule unit tests; shellcheck: deploy/deploy.sh; chromium: the
# widget's browser tests (Playwright drives /usr/bin/chromium; `playwright install` needs the internet).
packages=(make python3-venv prometheus shellcheck chromium)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages present: ${packages[*]}"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run as root or install them)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
