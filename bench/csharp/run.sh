#!/usr/bin/env bash
# Benchmarks the Unity package's C# client against Mono's System.Net.WebSockets.ClientWebSocket
# (same Mono, same `omnisock hub` /echo route on 127.0.0.1). Prints a Markdown table of medians.
#
# Usage: bench/csharp/run.sh [REPS [ROUNDTRIPS [PIPELINED [MIB_MESSAGES [IDLE_SECONDS]]]]]   (default 5 20000 100000 50 10)
# Needs: mono-mcs mono-runtime; builds libomnisock + the CLI with cargo (OMNISOCK_NO_BUILD=1 skips).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/csharp-bench"
release="$root/target/release"
if [ "${OMNISOCK_NO_BUILD:-0}" != 1 ]; then
    (cd "$root" && cargo build --release -p omnisock-ffi -p omnisock-cli)
fi
mkdir -p "$out"
mcs -langversion:7.2 -nologo -optimize+ -target:library -unsafe -out:"$out/Omnisock.dll" "$root"/unity-plugin/Runtime/*.cs
mcs -langversion:7.2 -nologo -optimize+ -target:exe -r:"$out/Omnisock.dll" -out:"$out/Bench.exe" "$here/Bench.cs"

log="$out/hub.log"
"$release/omnisock" hub --listen 127.0.0.1:0 >"$log" 2>&1 &
hub=$!
trap 'kill $hub 2>/dev/null || true' EXIT
port=""
for _ in $(seq 100); do
    port="$(sed -n 's#.*127\.0\.0\.1:\([0-9]*\)/.*#\1#p' "$log" | head -1)"
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "hub did not start: $(cat "$log")" >&2; exit 1; }
echo "mono: $(mono --version | head -1)" >&2
echo "hub: ws://127.0.0.1:$port/echo ($("$release/omnisock" --version 2>/dev/null || echo omnisock))" >&2
cd "$out"
LD_LIBRARY_PATH="$release${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" timeout 3000 mono --optimize=all "$out/Bench.exe" "ws://127.0.0.1:$port/echo" "$@"
