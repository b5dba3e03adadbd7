#!/usr/bin/env bash
# The long run of one fuzz target: `scripts/fuzz.sh <target> <minutes>`.
#
# Runs the target's seeds, then generated cases until <minutes> of wall-clock time have passed,
# at low priority, and prints the summary line (cases run, crashes, duration). Targets: path,
# envelope, chunks-open, multipart, render, cleanup. A failing input is printed shrunk and saved
# under target/fuzz/<target>/; if the process itself dies (an abort, a stack overflow), the input
# it was working on is in target/fuzz/<target>/current-input.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -ne 2 ]; then
  echo "usage: scripts/fuzz.sh <target> <minutes>" >&2
  exit 2
fi
target=$1 minutes=$2

nice -n 10 cargo build --quiet -p vps-fuzz --bin vps-fuzz
status=0
nice -n 15 target/debug/vps-fuzz "$target" "$minutes" || status=$?
if [ "$status" -gt 2 ]; then
  echo "fuzz $target: the process died (exit status $status); its last input is in target/fuzz/$target/current-input.txt" >&2
fi
exit "$status"
