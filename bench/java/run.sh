#!/usr/bin/env bash
# omnisock's Java client vs OkHttp 3.13 (Debian's libokhttp-java) in the same JVM, against the
# `omnisock hub` /echo route. Prints a markdown table (see RESULTS.md for the last one).
#
#   bench/java/run.sh [rounds]     (default 5 interleaved rounds per figure, plus a warm-up)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/java-bench"
(cd "$root" && cargo build --release -p omnisock-jni -p omnisock-cli)
"$root/ffi-jni/build-aar.sh" --host-jar --no-cargo --out "$out/lib" >/dev/null
cp="$out/lib/omnisock-host.jar:/usr/share/java/okhttp.jar:/usr/share/java/okio.jar"
mkdir -p "$out/classes"
javac -encoding UTF-8 -d "$out/classes" -cp "$cp" "$here/Bench.java"
java -Xmx1g -cp "$out/classes:$cp" Bench "$root/target/release/omnisock" "${1:-5}"
