#!/bin/sh
# Debian's wrk, the load generator of `make bench` (a C program: it costs the server's two cores far
# less than a Python client). Exit 0: it is there. Exit 3: it cannot be had here (not root, or no
# apt-get): install wrk yourself, or put it on PATH (WRK=/path/to/wrk). Anything else: the install failed.
set -u
WRK="${WRK:-wrk}"
command -v "$WRK" >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then why="not root"; else why="no apt-get"; fi
  echo "no wrk on PATH, and it cannot be installed here ($why): install Debian's wrk (apt-get install wrk) for make bench"
  exit 3
fi
echo "installing Debian's wrk for the benchmarks (once)"
log="$(mktemp)"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet: update only when the first try fails.
if ! apt-get install -y -q wrk >"$log" 2>&1; then
  if ! { apt-get update -q && apt-get install -y -q wrk; } >"$log" 2>&1; then
    cat "$log"; rm -f "$log"
    exit 1
  fi
fi
rm -f "$log"
command -v wrk >/dev/null 2>&1 || { echo "apt-get installed wrk but it is not on PATH"; exit 1; }
