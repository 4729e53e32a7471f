#!/usr/bin/env bash
# Builds the Android library (omnisock.aar) and, for desktop JVMs, a jar with the host library.
#
#   ffi-jni/build-aar.sh [--out DIR] [--ndk] [--jni-libs DIR] [--host-jar] [--no-cargo]
#
#   --ndk            first build the Android ABIs with cargo-ndk (needs `cargo install cargo-ndk`,
#                    the Rust targets and ANDROID_NDK_HOME):
#                      cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -P 21 \
#                        -o target/android-jniLibs build --release -p omnisock-jni
#   --jni-libs DIR   take DIR/<abi>/libomnisock_jni.so for every <abi> folder in DIR (what
#                    `cargo ndk -o DIR` writes; default with --ndk: target/android-jniLibs)
#   --host-jar       also build omnisock-host.jar: the classes plus this machine's library under
#                    dev/omnisock/native/<os>-<arch>/ (Native loads it when loadLibrary fails)
#   --no-cargo       do not run cargo for the host library (use the existing target/release one)
#   --out DIR        where to write (default target/omnisock-java)
#
# Writes DIR/omnisock.aar (classes.jar, AndroidManifest.xml with INTERNET, jni/<abi>/*.so,
# proguard.txt keep rules, R.txt), DIR/omnisock-classes.jar and with --host-jar
# DIR/omnisock-host.jar. Needs a JDK (javac, jar) and zip-capable `jar`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$root/target/omnisock-java"
jni_libs=""
ndk=0
host_jar=0
cargo_build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        --jni-libs) jni_libs="$2"; shift 2 ;;
        --ndk) ndk=1; shift ;;
        --host-jar) host_jar=1; shift ;;
        --no-cargo) cargo_build=0; shift ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "build-aar.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if [ "$ndk" = 1 ]; then
    command -v cargo-ndk >/dev/null || { echo "build-aar.sh: --ndk needs cargo-ndk (cargo install cargo-ndk) and the Android NDK" >&2; exit 2; }
    jni_libs="${jni_libs:-$root/target/android-jniLibs}"
    (cd "$root" && cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -P 21 -o "$jni_libs" build --release -p omnisock-jni)
fi

work="$out/.work"
rm -rf "$work"
mkdir -p "$work/classes" "$work/aar"

echo "== compiling the Java API (Java 8 level)"
javac --release 8 -Xlint:all,-options -Werror -encoding UTF-8 -d "$work/classes" $(find "$here/java" -name '*.java' | sort)
(cd "$work/classes" && jar --create --file "$out/omnisock-classes.jar" .)

echo "== packing omnisock.aar"
cp "$out/omnisock-classes.jar" "$work/aar/classes.jar"
cp "$here/android/AndroidManifest.xml" "$work/aar/AndroidManifest.xml"
cp "$here/android/proguard.txt" "$work/aar/proguard.txt"
: > "$work/aar/R.txt"
abis=0
if [ -n "$jni_libs" ]; then
    for dir in "$jni_libs"/*/; do
        abi="$(basename "$dir")"
        if [ -f "$dir/libomnisock_jni.so" ]; then
            mkdir -p "$work/aar/jni/$abi"
            cp "$dir/libomnisock_jni.so" "$work/aar/jni/$abi/"
            echo "   jni/$abi/libomnisock_jni.so"
            abis=$((abis + 1))
        fi
    done
    [ "$abis" -gt 0 ] || { echo "build-aar.sh: no <abi>/libomnisock_jni.so under $jni_libs" >&2; exit 1; }
else
    echo "   (no --jni-libs/--ndk: the AAR has no native libraries; see ffi-jni/README.md)"
fi
rm -f "$out/omnisock.aar"
(cd "$work/aar" && jar --create --no-manifest --file "$out/omnisock.aar" .)
echo "   $out/omnisock.aar"

if [ "$host_jar" = 1 ]; then
    echo "== host jar"
    if [ "$cargo_build" = 1 ]; then
        (cd "$root" && cargo build --release -p omnisock-jni)
    fi
    lib="$root/target/release/libomnisock_jni.so"
    case "$(uname -s)" in
        Darwin) lib="$root/target/release/libomnisock_jni.dylib"; os=macos ;;
        *) os=linux ;;
    esac
    case "$(uname -m)" in
        x86_64|amd64) arch=x86_64 ;;
        aarch64|arm64) arch=aarch64 ;;
        *) arch="$(uname -m)" ;;
    esac
    [ -f "$lib" ] || { echo "build-aar.sh: $lib is missing (cargo build --release -p omnisock-jni)" >&2; exit 1; }
    mkdir -p "$work/classes/dev/omnisock/native/$os-$arch"
    cp "$lib" "$work/classes/dev/omnisock/native/$os-$arch/"
    # The release profile keeps debug info; the packed copy does not need it.
    if command -v strip >/dev/null; then
        strip --strip-debug "$work/classes/dev/omnisock/native/$os-$arch/$(basename "$lib")" 2>/dev/null || true
    fi
    rm -f "$out/omnisock-host.jar"
    (cd "$work/classes" && jar --create --file "$out/omnisock-host.jar" .)
    echo "   $out/omnisock-host.jar (dev/omnisock/native/$os-$arch/$(basename "$lib"))"
fi
rm -rf "$work"
