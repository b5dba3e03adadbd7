#!/usr/bin/env bash
# Runs every test of vps-publish on a fresh machine: installs what the tests need, then runs them.
#
#   scripts/test.sh            # all tests
#   scripts/test.sh -p vps-server upload   # extra arguments go to `cargo test`
#
# The tests start the real server in-process (and the real binary) on 127.0.0.1, on ports chosen
# at run time, each with its own temporary data directory. Services they need are installed when
# missing: Chromium and chromedriver, clamd, nginx (apt-get), s3s-fs (cargo install).
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }

if ! need cargo; then
    echo "error: cargo is not installed; install Rust (https://rustup.rs) first" >&2
    exit 1
fi

# Services the tests use are installed and started here as later features need them
# (clamd, an S3 server, nginx, Chromium). With CI=true a missing one fails the run.

# Chromium and its WebDriver, for the browser test (crates/server/tests/site/browser.rs), which
# starts chromedriver itself on a free port. Without them that test prints SKIP (fails with CI=true).
if ! need chromium || ! need chromedriver; then
    echo "test.sh: installing chromium and chromium-driver (Debian) for the browser test" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    if ! need apt-get; then
        echo "test.sh: warning: no apt-get; install chromium and chromedriver to run the browser test" >&2
    elif ! { $sudo apt-get update -qq \
            && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; } >/dev/null; then
        echo "test.sh: warning: could not install chromium and chromium-driver; the browser test will skip" >&2
    fi
fi

# clamd (ClamAV's daemon) and clamdscan, for the virus-scanning tests (crates/scan/tests/scan,
# crates/server/tests/api), which start a private clamd with their own config and a one-signature
# database (EICAR), so no freshclam download is needed. Without them those tests print SKIP
# (fail with CI=true).
if [ ! -x /usr/sbin/clamd ] || ! need clamdscan; then
    echo "test.sh: installing clamav-daemon and clamdscan (Debian) for the virus-scanning tests" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    if ! need apt-get; then
        echo "test.sh: warning: no apt-get; install clamav-daemon and clamdscan to run the virus-scanning tests" >&2
    elif ! { $sudo apt-get update -qq \
            && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clamav-daemon clamdscan; } >/dev/null; then
        echo "test.sh: warning: could not install clamav-daemon and clamdscan; the virus-scanning tests will skip" >&2
    fi
fi

# nginx, for the reverse-proxy tests (crates/cli/tests/cli/nginx.rs), which start a private
# nginx (one process, its own prefix directory, a port chosen at run time) configured by the
# shipped deploy/nginx/vps-publish.conf. Without it those tests print SKIP (fail with CI=true).
# The package would start a system nginx on port 80, which the tests never use: a policy-rc.d
# that forbids starting services (exit 101) is put in place for the install, unless the
# machine already has one.
if [ ! -x /usr/sbin/nginx ]; then
    echo "test.sh: installing nginx (Debian) for the reverse-proxy tests" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    if ! need apt-get; then
        echo "test.sh: warning: no apt-get; install nginx to run the reverse-proxy tests" >&2
    else
        policy=""
        if [ ! -e /usr/sbin/policy-rc.d ] \
            && printf '#!/bin/sh\n# test.sh: no service starts while nginx is installed\nexit 101\n' \
                | $sudo tee /usr/sbin/policy-rc.d >/dev/null \
            && $sudo chmod 755 /usr/sbin/policy-rc.d; then
            policy="yes"
        fi
        if ! { $sudo apt-get update -qq \
                && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; } >/dev/null; then
            echo "test.sh: warning: could not install nginx; the reverse-proxy tests will skip" >&2
        fi
        if [ -n "$policy" ]; then $sudo rm -f /usr/sbin/policy-rc.d; fi
    fi
fi

# s3s-fs, an S3 server over a directory, for the S3 tests (crates/testkit/tests/s3.rs and those
# using vps_testkit::s3), which start it on a free port with a fresh bucket. 0.14.1 is the last
# version that builds with Rust 1.95. Without it those tests print SKIP (fail with CI=true).
# scripts/test-garage.sh runs the same tests against Garage instead.
if ! need s3s-fs && [ ! -x "$HOME/.cargo/bin/s3s-fs" ]; then
    echo "test.sh: installing s3s-fs 0.14.1 (cargo install, a few minutes) for the S3 tests" >&2
    if ! cargo install s3s-fs --version 0.14.1 --features binary --locked; then
        echo "test.sh: warning: could not install s3s-fs; the S3 tests will skip" >&2
    fi
fi
# cargo install puts it there; the tests look it up on PATH.
case ":$PATH:" in
    *":$HOME/.cargo/bin:"*) ;;
    *) export PATH="$PATH:$HOME/.cargo/bin" ;;
esac

cargo test --workspace --locked "$@"
