#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboards' browser tests when it is missing. Test tools never download
# a browser of their own (Playwright is pointed at /usr/bin/chromium). Needs root (or sudo) and apt.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium
command -v chromium
