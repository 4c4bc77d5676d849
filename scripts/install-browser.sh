#!/bin/sh
# Debian's Chromium for the dashboard's browser tests, installed once by `make test`'s set-up.
# Exit 0: it is there. Exit 3: it cannot be had here (not root, or no apt-get): the tests skip.
# Anything else: an install that should have worked failed, and `make test` stops with apt's output.
set -u
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "no $CHROMIUM, and no root apt-get to install it: the browser tests will skip"
  exit 3
fi
echo "installing Debian's chromium for the browser tests (once)"
log="$(mktemp)"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet: update only when the first try fails.
if ! apt-get install -y -q chromium >"$log" 2>&1; then
  if ! { apt-get update -q && apt-get install -y -q chromium; } >"$log" 2>&1; then
    cat "$log"; rm -f "$log"
    exit 1
  fi
fi
rm -f "$log"
[ -x "$CHROMIUM" ] || { echo "apt-get installed chromium but $CHROMIUM is missing"; exit 1; }
