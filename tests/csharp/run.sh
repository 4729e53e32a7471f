#!/usr/bin/env bash
# C# tests of the Unity package (unity-plugin/Runtime) under Mono, against real hubs.
# Builds libomnisock and the omnisock CLI (cargo; skipped with OMNISOCK_NO_BUILD=1), compiles the
# runtime, a minimal UnityEngine stand-in, the seed's CameraPositionSender sample and the tests
# with mcs, runs them, and prints "N passed, M failed". Exits non-zero on any failure.
#
# Usage: tests/csharp/run.sh [TestName ...]
# Needs (Debian): mono-mcs mono-runtime (plus openssl for the TLS test CA).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/csharp-tests"
release="$root/target/release"

for tool in mcs mono openssl timeout; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is required (apt-get install mono-mcs mono-runtime openssl)" >&2; exit 2; }
done

if [ "${OMNISOCK_NO_BUILD:-0}" != 1 ]; then
    echo "== building libomnisock and the omnisock CLI"
    (cd "$root" && timeout 1800 cargo build --release -p omnisock-ffi -p omnisock-cli)
fi
[ -f "$release/libomnisock.so" ] || { echo "run.sh: $release/libomnisock.so missing" >&2; exit 1; }
[ -x "$release/omnisock" ] || { echo "run.sh: $release/omnisock missing" >&2; exit 1; }

mkdir -p "$out"
MCS=(mcs -langversion:7.2 -nologo -warnaserror+ -debug)

echo "== compiling the runtime (unity-plugin/Runtime, as outside Unity)"
"${MCS[@]}" -target:library -unsafe -out:"$out/Omnisock.dll" "$root"/unity-plugin/Runtime/*.cs

echo "== compiling the runtime's Unity-only code against the UnityEngine API stand-in"
"${MCS[@]}" -target:library -out:"$out/UnityEngineApi.dll" "$here/UnityStandIn/UnityEngine.cs" "$here/UnityStandIn/UnityEngineApi.cs"
"${MCS[@]}" -target:library -unsafe -define:UNITY_5_3_OR_NEWER -r:"$out/UnityEngineApi.dll" \
    -out:"$out/Omnisock.Unity.dll" "$root"/unity-plugin/Runtime/*.cs

echo "== compiling the seed sample (Samples~/CameraPositionSender) with the UnityEngine stand-in"
"${MCS[@]}" -target:library -out:"$out/UnityEngine.dll" "$here/UnityStandIn/UnityEngine.cs"
"${MCS[@]}" -target:library -r:"$out/UnityEngine.dll" -r:"$out/Omnisock.dll" -out:"$out/Sample.dll" \
    "$root/unity-plugin/Samples~/CameraPositionSender/CameraPositionSender.cs"

echo "== compiling the tests"
"${MCS[@]}" -target:exe -r:"$out/Omnisock.dll" -r:"$out/UnityEngine.dll" -r:"$out/Sample.dll" \
    -out:"$out/OmnisockTests.exe" "$here"/*.cs

echo "== compiling the console programs written the websocket-sharp way (Programs/)"
for prog in ChatServer ChatClient; do
    "${MCS[@]}" -target:exe -r:"$out/Omnisock.dll" -out:"$out/$prog.exe" "$here/Programs/$prog.cs"
done

echo "== making a test CA and a server certificate for 127.0.0.1"
tls="$out/tls"
mkdir -p "$tls"
(
    cd "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=omnisock test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 30 -extfile ext.cnf 2>/dev/null
    # The server key's SPKI SHA-256 in base64 (a certificate pin is "sha256/" + this)
    openssl x509 -in server.pem -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64 > server.pin
)

echo "== running"
cd "$out"
LD_LIBRARY_PATH="$release${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
OMNISOCK_BIN="$release/omnisock" OMNISOCK_ROOT="$root" OMNISOCK_TLS_DIR="$tls" \
    timeout 900 mono --debug "$out/OmnisockTests.exe" "$@"
