#!/usr/bin/env bash
# Java tests of the JNI binding (ffi-jni) and the Android sample's host-testable code.
#
#   tests/java/run.sh [--no-checkjni] [--no-build] [--after-merge] [JUnit console options, e.g. --select-class dev.omnisock.HubApiTest]
#
# --after-merge runs only tests/java/after-merge (compiled on every run): OkHttpClient options
# whose core keys (proxy, max_redirects, certificate_pins, compression) the core does not have yet.
#
# Builds the native library, the CLI hub and the C library (one cargo build), packs the Java API
# with ffi-jni/build-aar.sh (host jar + an AAR for the packaging check), makes a self-signed
# certificate and the C host program, compiles the tests with javac and runs them with the
# JUnit 5 console launcher: once normally and once under -Xcheck:jni, which must print no JNI
# warning. Exits non-zero on any failure.
#
# Needs (Debian): default-jdk-headless (javac), junit5, libokhttp-java (+ libokio-java),
# libandroid-json-java, openssl, binutils (nm), gcc, libc6-dev.
set -u -o pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/java-tests"
checkjni=1
build=1
after_merge=0
launcher_args=()
for arg in "$@"; do
    case "$arg" in
        --no-checkjni) checkjni=0 ;;
        --no-build) build=0 ;;
        --after-merge) after_merge=1 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) launcher_args+=("$arg") ;;
    esac
done

fail() { echo "tests/java/run.sh: $*" >&2; exit 1; }
for tool in cargo java javac jar openssl nm gcc timeout; do
    command -v "$tool" >/dev/null || fail "$tool is required (see the header of this script for the Debian packages)"
done
jars=/usr/share/java
need_jar() {
    local f
    for f in "$@"; do
        if [ -f "$jars/$f" ]; then echo "$jars/$f"; return 0; fi
    done
    fail "missing $jars/$1 (install the Debian package that ships it; see the header of this script)"
}
console=$(need_jar junit-platform-console-standalone.jar) || exit 1
okhttp=$(need_jar okhttp.jar) || exit 1
okio=$(need_jar okio.jar) || exit 1
json=$(need_jar com.android.json.jar json-android.jar) || exit 1

if [ "$build" = 1 ]; then
    echo "== cargo build --release -p omnisock-jni -p omnisock-cli -p omnisock-ffi"
    (cd "$root" && timeout 1800 cargo build --release -p omnisock-jni -p omnisock-cli -p omnisock-ffi) || fail "cargo build failed"
fi
lib="$root/target/release/libomnisock_jni.so"
[ -f "$lib" ] || fail "$lib missing"

rm -rf "$out"
mkdir -p "$out/aar-check/jni-libs/x86_64" "$out/tls" "$out/classes"

echo "== packing the Java API (ffi-jni/build-aar.sh)"
"$root/ffi-jni/build-aar.sh" --host-jar --no-cargo --out "$out/lib" || fail "build-aar.sh failed"
# Packaging check only: the host library stands in for an Android ABI build (no NDK here).
cp "$lib" "$out/aar-check/jni-libs/x86_64/"
"$root/ffi-jni/build-aar.sh" --no-cargo --jni-libs "$out/aar-check/jni-libs" --out "$out/aar-check" >/dev/null || fail "build-aar.sh --jni-libs failed"

echo "== test certificate (openssl) and the C host program (gcc)"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -addext "basicConstraints=critical,CA:FALSE" \
    -keyout "$out/tls/key.pem" -out "$out/tls/cert.pem" 2>/dev/null || fail "openssl req failed"
gcc -std=c11 -Wall -Wextra -Werror -O1 -I "$root/include" "$here/c-host/upper_host.c" \
    -L "$root/target/release" -lomnisock -Wl,-rpath,"$root/target/release" -o "$out/upper_host" || fail "gcc upper_host.c failed"

echo "== javac (tests + android-sample host sources)"
cp_compile="$out/lib/omnisock-host.jar:$console:$okhttp:$okio:$json"
sample="$root/android-sample/app/src/main/java/com/example/camerareceiver"
javac -encoding UTF-8 -Xlint:all,-options -d "$out/classes" -cp "$cp_compile" \
    $(find "$here/src" -name '*.java' | sort) "$sample/PositionView.java" "$sample/WebSocketClient.java" \
    || fail "javac failed"
mkdir -p "$out/classes-after-merge"
javac -encoding UTF-8 -Xlint:all,-options -d "$out/classes-after-merge" -cp "$out/classes:$cp_compile" \
    $(find "$here/after-merge" -name '*.java' | sort) || fail "javac (after-merge) failed"

props=(
    -Domnisock.test.cli="$root/target/release/omnisock"
    -Domnisock.test.chost="$out/upper_host"
    -Domnisock.test.cert="$out/tls/cert.pem"
    -Domnisock.test.key="$out/tls/key.pem"
    -Domnisock.test.aar="$out/aar-check/omnisock.aar"
    -Domnisock.test.nativelib="$lib"
    -Domnisock.test.manifest="$root/capabilities.toml"
    -Djava.util.logging.config.file=/dev/null
)
# Default: every test class; given selectors (--select-class ...) replace the scan.
if [ ${#launcher_args[@]} -gt 0 ]; then
    selectors=("${launcher_args[@]}")
elif [ "$after_merge" = 1 ]; then
    selectors=(--scan-classpath "$out/classes-after-merge")
else
    selectors=(--scan-classpath "$out/classes")
fi
run_suite() {
    local label="$1"
    shift
    echo "== JUnit ($label)"
    timeout 900 java "$@" "${props[@]}" -cp "$out/classes:$out/classes-after-merge:$cp_compile" \
        org.junit.platform.console.ConsoleLauncher --disable-banner --details=tree \
        --fail-if-no-tests "${selectors[@]}" 2>&1 | tee "$out/junit-$label.log"
    return "${PIPESTATUS[0]}"
}

count() { grep -Eo "\\[ +[0-9]+ tests $2 +\\]" "$1" | grep -Eo '[0-9]+' | head -1; }

run_suite plain
rc_plain=$?
rc_check=0
if [ "$checkjni" = 1 ]; then
    run_suite checkjni -Xcheck:jni
    rc_check=$?
    if grep -E "WARNING in native method|FATAL ERROR in native method|JNI (local refs|call made)" "$out/junit-checkjni.log" >/dev/null; then
        echo "tests/java/run.sh: -Xcheck:jni reported problems:" >&2
        grep -E "WARNING in native method|FATAL ERROR in native method|JNI (local refs|call made)" "$out/junit-checkjni.log" | sort | uniq -c >&2
        rc_check=1
    fi
fi

passed=0
failed=0
for label in plain checkjni; do
    log="$out/junit-$label.log"
    [ -f "$log" ] || continue
    p=$(count "$log" successful); f=$(count "$log" failed)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    echo "java ($label): ${p:-0} passed, ${f:-0} failed"
done
if [ "$rc_plain" -ne 0 ] || [ "$rc_check" -ne 0 ]; then
    [ "$failed" -gt 0 ] || failed=1
fi
echo "java: $passed passed, $failed failed"
[ "$rc_plain" -eq 0 ] && [ "$rc_check" -eq 0 ]
