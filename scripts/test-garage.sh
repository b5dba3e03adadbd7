#!/usr/bin/env bash
# Runs the S3 tests against Garage (https://garagehq.deuxfleurs.fr), a real S3 server other than
# the s3s-fs that scripts/test.sh uses: a single Garage node on 127.0.0.1, in a temp directory,
# with one bucket and one key, started here and killed on exit.
#
#   scripts/test-garage.sh             # the S3 tests of vps-testkit, vps-store, vps-server, the CLI
#   scripts/test-garage.sh multipart   # extra arguments go to the vps-testkit `cargo test`
#
# Installs Garage with `cargo install` when missing (about 15 minutes on 2 cores). The tests find
# the bucket through VPS_TEST_S3_* (see crates/testkit/src/s3.rs); each keeps its objects under a
# prefix of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

# 2.5.0 builds with Rust 1.95 (crates.io states no rust-version for it); `--locked` keeps its
# dependencies at the versions it was released with.
GARAGE_VERSION=2.5.0
BUCKET=vps-test
REGION=garage

need() { command -v "$1" >/dev/null 2>&1; }

if ! need cargo; then
    echo "error: cargo is not installed; install Rust (https://rustup.rs) first" >&2
    exit 1
fi
case ":$PATH:" in
    *":$HOME/.cargo/bin:"*) ;;
    *) export PATH="$PATH:$HOME/.cargo/bin" ;;
esac
if ! need garage; then
    echo "test-garage.sh: installing garage $GARAGE_VERSION (cargo install, about 15 minutes)" >&2
    cargo install garage --version "$GARAGE_VERSION" --locked
fi
if ! need python3; then
    echo "error: python3 is needed to pick free ports" >&2
    exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/vps-garage-XXXXXX")
garage_pid=""
cleanup() {
    if [ -n "$garage_pid" ]; then
        kill "$garage_pid" 2>/dev/null || true
        wait "$garage_pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

garage_cli() { garage -c "$dir/garage.toml" "$@"; }

# Three free ports (RPC, S3 API, admin API), each bound at once so that they differ, then released
# for Garage, which takes no port 0. Another process may take one meanwhile: then Garage exits and
# we try again.
free_ports() {
    python3 -c '
import socket
sockets = [socket.socket() for _ in range(3)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))'
}

start_garage() {
    local rpc_port s3_port admin_port
    read -r rpc_port s3_port admin_port < <(free_ports)
    rm -rf "$dir/meta" "$dir/data"
    cat >"$dir/garage.toml" <<EOF
# Written by scripts/test-garage.sh for one run.
metadata_dir = "$dir/meta"
data_dir = "$dir/data"
db_engine = "sqlite"
replication_factor = 1

rpc_bind_addr = "127.0.0.1:$rpc_port"
rpc_public_addr = "127.0.0.1:$rpc_port"
rpc_secret = "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"

[s3_api]
s3_region = "$REGION"
api_bind_addr = "127.0.0.1:$s3_port"

[admin]
api_bind_addr = "127.0.0.1:$admin_port"
admin_token = "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
EOF
    # The binary itself, not through garage_cli: $! must be garage's pid, not a subshell's.
    RUST_LOG=garage=info garage -c "$dir/garage.toml" server >"$dir/garage.log" 2>&1 &
    garage_pid=$!
    # `garage status` answers once the node serves RPC.
    for _ in $(seq 1 60); do
        if ! kill -0 "$garage_pid" 2>/dev/null; then
            wait "$garage_pid" 2>/dev/null || true
            garage_pid=""
            return 1
        fi
        if garage_cli status >/dev/null 2>&1; then
            endpoint="http://127.0.0.1:$s3_port"
            return 0
        fi
        sleep 0.5
    done
    kill "$garage_pid" 2>/dev/null || true
    wait "$garage_pid" 2>/dev/null || true
    garage_pid=""
    return 1
}

started=""
for _ in 1 2 3; do
    if start_garage; then
        started=yes
        break
    fi
done
if [ -z "$started" ]; then
    echo "error: garage did not start; its log ends with:" >&2
    tail -n 20 "$dir/garage.log" >&2
    exit 1
fi

# A one-node cluster: the node takes all the data, then the bucket and a key that may use it.
node_id=$(garage_cli node id -q)
garage_cli layout assign -z dc1 -c 1G "${node_id%%@*}" >/dev/null
garage_cli layout apply --version 1 >/dev/null
key_info=$(garage_cli key create vps-test)
garage_cli bucket create "$BUCKET" >/dev/null
garage_cli bucket allow --read --write --owner "$BUCKET" --key vps-test >/dev/null
access_key=$(awk '/^Key ID:/ { print $3 }' <<<"$key_info")
secret_key=$(awk '/^Secret key:/ { print $3 }' <<<"$key_info")
if [ -z "$access_key" ] || [ -z "$secret_key" ]; then
    echo "error: no key ID or secret key in the output of garage key create:" >&2
    echo "$key_info" >&2
    exit 1
fi

export VPS_TEST_S3_ENDPOINT="$endpoint" VPS_TEST_S3_BUCKET="$BUCKET" VPS_TEST_S3_REGION="$REGION"
export VPS_TEST_S3_ACCESS_KEY="$access_key" VPS_TEST_S3_SECRET_KEY="$secret_key"
echo "test-garage.sh: $(garage --version | awk '{ print $1, $2 }') at $endpoint, bucket $BUCKET" >&2

# Every suite runs even when one fails; the summary says which did.
summary=""
failed=0
run() {
    local name=$1
    shift
    if cargo test --locked "$@"; then
        summary="$summary${summary:+; }$name ok"
    else
        summary="$summary${summary:+; }$name FAILED"
        failed=1
    fi
}
run "vps-testkit s3" -p vps-testkit --test s3 "$@"
run "vps-store contract" -p vps-store --test contract
run "vps-server api s3_" -p vps-server --test api s3_
run "vps-publish cli migrate" -p vps-publish --test cli migrate

echo "test-garage.sh: against $(garage --version | awk '{ print $1, $2 }'): $summary"
exit "$failed"
