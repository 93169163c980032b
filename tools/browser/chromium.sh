#!/usr/bin/env bash
# Prints the path of a headless-capable Chromium, installing Debian's
# `chromium` package first when none is on the machine and apt-get can be
# used (root, or passwordless sudo). Exits 3 with the reason on stderr when
# it can be neither found nor installed: the browser tests then skip and say
# why. Used by crates/cli/tests/pages.rs.
#
#   tools/browser/chromium.sh            # the browser's path
#   TASKNET_CHROMIUM=/path/to/chrome ... # use this one instead
set -euo pipefail

find_browser() {
  if [ -n "${TASKNET_CHROMIUM:-}" ] && [ -x "$TASKNET_CHROMIUM" ]; then
    echo "$TASKNET_CHROMIUM"; return 0
  fi
  for name in chromium chromium-browser google-chrome-stable google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  done
  return 1
}

if find_browser; then exit 0; fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "no Chromium on this machine and no apt-get to install it (set TASKNET_CHROMIUM)" >&2
  exit 3
fi
SUDO=
if [ "$(id -u)" != 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "no Chromium on this machine, and installing it needs root (apt-get install chromium)" >&2
    exit 3
  fi
fi
# One installer at a time: parallel tests share this script.
LOCK=${TMPDIR:-/tmp}/tasknet-chromium-install.lock
exec 9>"$LOCK"
flock 9
if find_browser; then exit 0; fi
echo "installing Debian's chromium package (once)…" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium; } >&2; then
  echo "apt-get could not install chromium" >&2
  exit 3
fi
find_browser || { echo "chromium installed but not found on PATH" >&2; exit 3; }
