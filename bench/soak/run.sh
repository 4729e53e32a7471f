#!/usr/bin/env bash
# Soak: runs `omnisock hub` (bench/soak/hub.toml) for MINUTES under churn, fan-out, large
# messages, stalled readers and bad input (omnisock-loadgen soak), all on loopback, and fails
# if the hub's RSS, open fds or probe latency drift (see bench/loadgen/src/soak.rs).
#
#   bench/soak/run.sh [MINUTES]        default 2; writes bench/soak/results.json and RESULTS.md
#                                      (joined into bench/RESULTS.md by bench/collect.py)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
minutes="${1:-2}"
[[ "$minutes" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "usage: $0 [MINUTES]" >&2; exit 2; }
seconds=$(python3 -c "print(max(30.0, float('$minutes') * 60))")
sample=$(python3 -c "print(max(5.0, min(30.0, $seconds / 20)))")

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
(cd "$root" && cargo build --release -q -p omnisock-cli -p omnisock-loadgen)
bin="$CARGO_TARGET_DIR/release"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cfg="$(mktemp)"
log="$(mktemp)"
sed "s/PORT/$port/" "$here/hub.toml" >"$cfg"
"$bin/omnisock" hub --config "$cfg" >"$log" 2>&1 &
hub=$!
cleanup() {
    kill "$hub" 2>/dev/null || true
    wait "$hub" 2>/dev/null || true
    rm -f "$cfg" "$log"
}
trap cleanup EXIT
for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
    sleep 0.1
done

echo "== soak: ${seconds}s against the hub (pid $hub) on 127.0.0.1:$port, sample every ${sample}s"
set +e
"$bin/omnisock-loadgen" --threads 2 soak --url "ws://127.0.0.1:$port" --pid "$hub" \
    --duration "$seconds" --sample "$sample" | tee "$here/results.json"
rc=${PIPESTATUS[0]}
set -e
kill -0 "$hub" 2>/dev/null || { echo "== the hub died during the soak:"; cat "$log"; exit 1; }
if [ "$rc" -eq 0 ]; then
    python3 "$here/report.py" "$minutes" && python3 "$root/bench/collect.py"
fi
if [ "$rc" -ne 0 ] || ! grep -q '"ok":true' "$here/results.json"; then
    echo "== soak FAILED"
    exit 1
fi
echo "== soak passed"
