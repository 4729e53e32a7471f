#!/usr/bin/env bash
# scripts/release.sh step: the desktop Java jar, natives per OS and architecture under
# dev/omnisock/native/<os>-<arch>/ (the names Native.platform() computes).
#   package-java.sh STAGE DIST VERSION   -> DIST/omnisock-java-VERSION.jar
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
stage="$1" dist="$2" version="$3"
work="$stage/java"
rm -rf "$work"
mkdir -p "$work/classes"
javac --release 8 -Xlint:all,-options -Werror -encoding UTF-8 -d "$work/classes" \
    $(find "$ROOT/ffi-jni/java" -name '*.java' | sort)
put() { # put OS-ARCH FILE
    mkdir -p "$work/classes/dev/omnisock/native/$1"
    cp "$2" "$work/classes/dev/omnisock/native/$1/"
}
put linux-x86_64 "$stage/linux-x86_64/libomnisock_jni.so"
put linux-aarch64 "$stage/linux-aarch64/libomnisock_jni.so"
put windows-x86_64 "$stage/windows-x86_64/omnisock_jni.dll"
if [ -f "$stage/macos-universal/libomnisock_jni.dylib" ]; then
    # One universal file serves both names Native.platform() gives on a Mac.
    put macos-x86_64 "$stage/macos-universal/libomnisock_jni.dylib"
    put macos-aarch64 "$stage/macos-universal/libomnisock_jni.dylib"
fi
printf 'Manifest-Version: 1.0\nImplementation-Title: omnisock\nImplementation-Version: %s\nAutomatic-Module-Name: dev.omnisock\n' \
    "$version" >"$work/MANIFEST.MF"
(cd "$work/classes" && jar --create --file "$dist/omnisock-java-$version.jar" --manifest "$work/MANIFEST.MF" .)
