#!/usr/bin/env bash
# Runs every test of vps-publish on a fresh machine: installs what the tests need, then runs them.
#
#   scripts/test.sh            # all tests
#   scripts/test.sh -p vps-server upload   # extra arguments go to `cargo test`
#
# The tests start the real server in-process (and the real binary) on 127.0.0.1, on ports chosen
# at run time, each with its own temporary data directory.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }

if ! need cargo; then
    echo "error: cargo is not installed; install Rust (https://rustup.rs) first" >&2
    exit 1
fi

# Services the tests use are installed and started here as later features need them
# (clamd, an S3 server, nginx, Chromium). With CI=true a missing one fails the run.

cargo test --workspace --locked "$@"
