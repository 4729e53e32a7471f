#!/usr/bin/env bash
# The Redis backplane suite: a real redis-server (Debian package redis-server) on a free loopback
# port with its own temp dir, hub processes (target/release/omnisock and the redis-node host
# program), and the scenarios of tests/redis/src/bin/redis-scenarios.rs:
#   three-nodes, presence, seed-002, node-killed, redis-outage
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

exec_rc=0
target/release/redis-scenarios \
    --omnisock target/release/omnisock \
    --node target/release/redis-node \
    --redis-server "$REDIS_SERVER" \
    --dir "$DIR" "$@" || exec_rc=$?
exit "$exec_rc"
