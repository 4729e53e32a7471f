#!/usr/bin/env bash
# Suite "release": runs scripts/release.sh, then installs and uses each package where this
# machine can run it.
#
#   C archives: unpacked; a CMake project (find_package(omnisock)) builds the cross-process
#     client against the shared library and the .mdf suite against the static library, for
#     Linux x86_64 (run), Linux aarch64 (run under qemu-user) and Windows x86_64 (run under
#     Wine); pkg-config builds the round-trip suite on Linux x86_64 (run). The clients talk to
#     the archive's own CLI hub. macOS: contents checked, not run (no macOS here).
#   Unity tarball: Plugins/ for every desktop platform with import settings for the right
#     platform and CPU; the C# runtime from the tarball compiled with mcs.
#   Python wheels: manylinux2014 tags for x86_64 and aarch64; the x86_64 one installed into a
#     fresh venv and used (hub + websockets client + omnisock client). aarch64: not run.
#   Java jar: natives for every desktop OS/arch inside; used on this JVM with only the jar.
#
# Usage: tests/release/run.sh [--no-build]   (--no-build: test the existing dist/)
set -u -o pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dist="$root/dist"
out="${CARGO_TARGET_DIR:-$root/target}/release-tests"
# shellcheck source=../platforms/lib.sh
. "$root/tests/platforms/lib.sh"

failures=()
fail() { echo "FAIL - $*"; failures+=("$*"); }
ok() { echo "ok   - $*"; }

if [ "${1:-}" != "--no-build" ]; then
    echo "== scripts/release.sh"
    timeout 5400 bash "$root/scripts/release.sh" || { echo "release.sh failed" >&2; exit 1; }
fi
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)"
rm -rf "$out"
mkdir -p "$out"

# ------------------------------------------------------------------ C archives
unpack() { # unpack PLATFORM -> prints the unpacked root
    local a="$dist/omnisock-$version-$1.tar.gz"
    [ -f "$a" ] || { echo "missing $a" >&2; return 1; }
    tar -C "$out" -xzf "$a" && echo "$out/omnisock-$version-$1"
}

cmake_build() { # cmake_build NAME PREFIX [CMAKE ARGS...]
    local name="$1" prefix="$2"
    shift 2
    timeout 600 cmake -S "$here" -B "$out/build-$name" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release "$@" \
        >"$out/build-$name.log" 2>&1 &&
        timeout 600 cmake --build "$out/build-$name" >>"$out/build-$name.log" 2>&1 ||
        { cat "$out/build-$name.log"; return 1; }
}

x64="$(unpack linux-x86_64)" || fail "linux-x86_64 archive"
if [ -n "${x64:-}" ]; then
    for f in include/omnisock.h lib/libomnisock.so lib/libomnisock.a bin/omnisock lib/pkgconfig/omnisock.pc \
        lib/cmake/omnisock/omnisock-config.cmake lib/cmake/omnisock/omnisock-config-version.cmake; do
        [ -f "$x64/$f" ] || fail "linux-x86_64 archive lacks $f"
    done
    cmp -s "$x64/include/omnisock.h" "$root/include/omnisock.h" || fail "archive header differs from include/omnisock.h"
    # Shipped binaries name no path of the machine that built them (dist builds remap the
    # checkout and the crate registry, scripts/lib/dist-build.sh).
    for f in lib/libomnisock.so lib/libomnisock.a bin/omnisock; do
        if grep -a -q -F -e "$root/" -e "${CARGO_HOME:-$HOME/.cargo}/registry" "$x64/$f"; then
            fail "linux-x86_64 $f contains a build-machine path"
        else
            ok "linux-x86_64 $f names no build-machine path"
        fi
    done
    echo "== Linux x86_64 archive: pkg-config"
    export PKG_CONFIG_PATH="$x64/lib/pkgconfig"
    if gcc -Wall -Wextra -Werror -std=c11 -O1 -pthread -I "$root/tests/c" "$root/tests/c/roundtrip.c" -o "$out/roundtrip-pc" \
            $(pkg-config --cflags --libs omnisock) -Wl,-rpath,"$x64/lib"; then
        timeout 300 "$out/roundtrip-pc" >"$out/roundtrip-pc.log" 2>&1 && ok "pkg-config build of roundtrip.c: $(tail -n 1 "$out/roundtrip-pc.log")" \
            || fail "roundtrip.c built with pkg-config: $(tail -n 3 "$out/roundtrip-pc.log")"
    else
        fail "pkg-config build of roundtrip.c"
    fi
    [ "$(pkg-config --modversion omnisock)" = "$version" ] && ok "pkg-config --modversion omnisock = $version" || fail "pkg-config version"
    unset PKG_CONFIG_PATH
    echo "== Linux x86_64 archive: CMake find_package(omnisock)"
    if cmake_build linux-x86_64 "$x64"; then
        ok "CMake find_package(omnisock): omnisock::omnisock and omnisock::static"
        readelf -d "$out/build-linux-x86_64/mdf_static" | grep -q 'libomnisock' && fail "mdf_static depends on libomnisock.so (not static)"
        timeout 300 "$out/build-linux-x86_64/mdf_static" >"$out/mdf-x64.log" 2>&1 && ok "mdf.c on the static library: $(tail -n 1 "$out/mdf-x64.log")" \
            || fail "mdf.c on the static library (Linux x86_64): $(tail -n 3 "$out/mdf-x64.log")"
        if hub_start archive-x64 "$x64/bin/omnisock"; then
            timeout 300 "$out/build-linux-x86_64/remote_hub" "$HUB_PORT" >"$out/remote-x64.log" 2>&1 \
                && ok "client on the shared library -> the archive's hub: $(tail -n 1 "$out/remote-x64.log")" \
                || fail "client -> archive hub (x86_64): $(tail -n 3 "$out/remote-x64.log")"
            # the other archives' clients use this hub too
        else
            fail "the archive's hub (x86_64) did not start"
        fi
    else
        fail "CMake build against the Linux x86_64 archive"
    fi
fi

arm="$(unpack linux-aarch64)" || fail "linux-aarch64 archive"
if [ -n "${arm:-}" ] && [ -n "$HUB_PORT" ]; then
    echo "== Linux aarch64 archive: CMake (cross), run under qemu-user"
    export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
    if cmake_build linux-aarch64 "$arm" -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
            -DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc -DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=BOTH; then
        timeout 600 qemu-aarch64 "$out/build-linux-aarch64/mdf_static" >"$out/mdf-arm.log" 2>&1 \
            && ok "aarch64 mdf.c on the static library: $(tail -n 1 "$out/mdf-arm.log")" \
            || fail "aarch64 mdf.c on the static library: $(tail -n 3 "$out/mdf-arm.log")"
        timeout 600 qemu-aarch64 "$out/build-linux-aarch64/remote_hub" "$HUB_PORT" >"$out/remote-arm.log" 2>&1 \
            && ok "aarch64 client on the shared library -> x86_64 hub: $(tail -n 1 "$out/remote-arm.log")" \
            || fail "aarch64 client -> hub: $(tail -n 3 "$out/remote-arm.log")"
    else
        fail "CMake build against the Linux aarch64 archive"
    fi
fi

win="$(unpack windows-x86_64)" || fail "windows-x86_64 archive"
if [ -n "${win:-}" ] && [ -n "$HUB_PORT" ]; then
    echo "== Windows x86_64 archive: CMake (mingw), run under Wine"
    if cmake_build windows-x86_64 "$win" -DCMAKE_SYSTEM_NAME=Windows -DCMAKE_C_COMPILER=x86_64-w64-mingw32-gcc \
            -DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=BOTH; then
        b="$out/build-windows-x86_64"
        cp "$win/bin/omnisock.dll" "$b/"
        x86_64-w64-mingw32-gcc -shared -O2 -o "$b/bcryptprimitives.dll" "$root/tests/platforms/wine/bcryptprimitives.c" -ladvapi32
        wine_setup "$out/wineprefix" || fail "Wine prefix"
        timeout 600 "$WINE" "$b/mdf_static.exe" >"$out/mdf-win.log" 2>&1 \
            && ok "Windows mdf.exe on the static library: $(tail -n 1 "$out/mdf-win.log" | tr -d '\r')" \
            || fail "Windows mdf.exe on the static library: $(tail -n 3 "$out/mdf-win.log")"
        timeout 600 "$WINE" "$b/remote_hub.exe" "$HUB_PORT" >"$out/remote-win.log" 2>&1 \
            && ok "Windows client on omnisock.dll -> Linux hub: $(tail -n 1 "$out/remote-win.log" | tr -d '\r')" \
            || fail "Windows client -> hub: $(tail -n 3 "$out/remote-win.log")"
        wine_stop
    else
        fail "CMake build against the Windows archive"
    fi
fi
[ -n "$HUB_PID" ] && { hub_stop || fail "the archive's hub exited early"; }

mac="$(unpack macos-universal)" || fail "macos-universal archive"
if [ -n "${mac:-}" ]; then
    for f in lib/libomnisock.dylib lib/libomnisock.a bin/omnisock lib/pkgconfig/omnisock.pc lib/cmake/omnisock/omnisock-config.cmake; do
        [ -f "$mac/$f" ] || fail "macOS archive lacks $f"
    done
    file "$mac/lib/libomnisock.dylib" | grep -q "universal binary with 2 architectures" \
        && ok "macOS archive: universal dylib (built, not run: no macOS here)" || fail "macOS dylib is not universal"
fi

# ------------------------------------------------------------------ Unity
tgz="$dist/com.omnisock.websocket-$version.tgz"
if [ -f "$tgz" ]; then
    echo "== Unity tarball"
    mkdir -p "$out/unity" && tar -C "$out/unity" -xzf "$tgz"
    if python3 "$here/check_unity.py" "$out/unity/package"; then ok "Unity tarball: plugins and import settings"; else fail "Unity tarball"; fi
    if mcs -target:library -unsafe -nowarn:1591 -out:"$out/unity/Omnisock.dll" $(find "$out/unity/package/Runtime" -name '*.cs' | sort) >"$out/unity/mcs.log" 2>&1; then
        ok "Unity tarball: Runtime/*.cs compiles (mcs)"
    else
        cat "$out/unity/mcs.log"
        fail "Unity tarball: Runtime/*.cs does not compile"
    fi
else
    fail "missing $tgz"
fi
python3 "$root/unity-plugin/Tools~/package.py" --root "$root" --source-metas check && ok "unity-plugin/ .meta files committed and current" \
    || fail "unity-plugin/ .meta files"

# ------------------------------------------------------------------ Python wheels
echo "== Python wheels"
wx="$(ls "$dist"/omnisock-*manylinux*x86_64*.whl 2>/dev/null | head -n 1)"
wa="$(ls "$dist"/omnisock-*manylinux*aarch64*.whl 2>/dev/null | head -n 1)"
[ -n "$wx" ] && ok "x86_64 wheel: $(basename "$wx")" || fail "no manylinux x86_64 wheel"
[ -n "$wa" ] && ok "aarch64 wheel: $(basename "$wa") (built, not run: no aarch64 Python here)" || fail "no manylinux aarch64 wheel"
if [ -n "$wa" ]; then
    python3 - "$wa" <<'PY' && ok "aarch64 wheel holds an aarch64 extension" || fail "aarch64 wheel content"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
so = [n for n in z.namelist() if n.endswith(".so")]
assert so, "no extension module"
head = z.read(so[0])[:20]
assert head[:4] == b"\x7fELF" and int.from_bytes(head[18:20], "little") == 183, "not an aarch64 ELF"
PY
fi
if [ -n "$wx" ]; then
    python3 -m venv "$out/venv" && "$out/venv/bin/pip" install -q --disable-pip-version-check "$wx" \
        "websockets==$(sed -n 's/^websockets==//p' "$root/tests/requirements.txt")" \
        && (cd "$out" && timeout 120 "$out/venv/bin/python" "$here/wheel_smoke.py") || fail "x86_64 wheel installed and used"
fi

# ------------------------------------------------------------------ Java jar
jar="$dist/omnisock-java-$version.jar"
if [ -f "$jar" ]; then
    echo "== desktop Java jar"
    listing="$(jar tf "$jar")"
    for n in linux-x86_64/libomnisock_jni.so linux-aarch64/libomnisock_jni.so windows-x86_64/omnisock_jni.dll \
        macos-x86_64/libomnisock_jni.dylib macos-aarch64/libomnisock_jni.dylib; do
        grep -qx "dev/omnisock/native/$n" <<<"$listing" && ok "jar holds $n" || fail "jar lacks dev/omnisock/native/$n"
    done
    mkdir -p "$out/java"
    if javac -cp "$jar" -d "$out/java" "$here/JarSmoke.java"; then
        (cd "$out" && timeout 120 java -cp "$jar:$out/java" JarSmoke) || fail "Java jar used on this JVM"
    else
        fail "JarSmoke.java does not compile against the jar"
    fi
else
    fail "missing $jar"
fi

echo
if [ ${#failures[@]} -ne 0 ]; then
    echo "release FAILED:"
    printf '  %s\n' "${failures[@]}"
    exit 1
fi
echo "release packages passed"
