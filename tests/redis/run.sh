#!/usr/bin/env bash
# The Redis backplane suite: a real redis-server (Debian package redis-server) on a free loopback
# port with its own temp dir, hub processes (target/release/omnisock and the redis-node host
# program), and the scenarios of tests/redis/src/bin/redis-scenarios.rs:
#   three-nodes, presence, seed-002, node-killed, redis-outage
# and tls_backplane.py (scenario `tls`): rediss:// with a private CA given as backplane_ca.
#
#   tests/redis/run.sh               every scenario
#   tests/redis/run.sh seed-002      only the named ones
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

REDIS_SERVER="$(command -v redis-server || true)"
if [ -z "$REDIS_SERVER" ]; then
    echo "tests/redis: redis-server not found (Debian: apt-get install redis-server; scripts/setup.sh installs it)" >&2
    exit 1
fi

cargo build --release --locked -p omnisock-cli -p omnisock-redis-tests

DIR="$(mktemp -d "${TMPDIR:-/tmp}/omnisock-redis.XXXXXX")"
trap 'rm -rf "$DIR"' EXIT

scenarios=()
run_tls=0
[ "$#" -eq 0 ] && run_tls=1
for a in "$@"; do
    if [ "$a" = tls ]; then run_tls=1; else scenarios+=("$a"); fi
done

exec_rc=0
if [ "$#" -eq 0 ] || [ "${#scenarios[@]}" -gt 0 ]; then
    target/release/redis-scenarios \
        --omnisock target/release/omnisock \
        --node target/release/redis-node \
        --redis-server "$REDIS_SERVER" \
        --dir "$DIR" ${scenarios[@]+"${scenarios[@]}"} || exec_rc=$?
fi
if [ "$run_tls" = 1 ]; then
    echo "--- tls"
    mkdir -p "$DIR/tls"
    timeout 300 "$ROOT/.venv/bin/python" "$ROOT/tests/redis/tls_backplane.py" target/release/omnisock "$REDIS_SERVER" "$DIR/tls" \
        || exec_rc=1
fi
exit "$exec_rc"
