#!/usr/bin/env bash
# Suite "platforms": the cross-built libraries and CLIs, run where this machine can run them.
#
#   Windows x86_64 (x86_64-pc-windows-gnu, mingw) under Wine:
#     the C suites (tests/c: roundtrip, mdf, misuse) built with mingw against omnisock.dll;
#     the C client (remote_hub.c) against a Linux hub and against the Windows hub (omnisock.exe);
#     the Windows hub serving the Python `websockets` clients of tests/interop.
#   Linux aarch64 (aarch64-unknown-linux-gnu) under qemu-user:
#     the C suites against libomnisock.so; the aarch64 C client against the x86_64 hub; the
#     aarch64 hub serving x86_64 clients (remote_hub.c and the Python `websockets` clients).
#   macOS (universal: arm64 + x86_64), cross-linked with zig: built, NOT run (no macOS here);
#     checked: both slices present, the dylib exports exactly the functions of
#     include/omnisock.h, and it links no Apple framework.
#
# Builds with the `dist` profile (the one scripts/release.sh ships), only omnisock-ffi,
# omnisock-cli and omnisock-jni per target (scripts/lib/dist-build.sh, shared with the release). Usage: tests/platforms/run.sh [windows] [aarch64] [macos]
set -u -o pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/platforms"
py="$root/.venv/bin/python"

# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=../../scripts/lib/dist-build.sh
. "$root/scripts/lib/dist-build.sh"

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(windows aarch64 macos)

mkdir -p "$out"
exec 9>"$out/.lock"
flock -w 3600 9 || { echo "run.sh: another run holds $out/.lock" >&2; exit 2; }

failures=()
fail() { echo "== FAILED: $*"; failures+=("$*"); }

# Runs a test program; records a failure unless it exits 0.
run_test() {
    local name="$1"
    shift
    echo "== running $name"
    if ! timeout --kill-after=10 600 "$@"; then
        fail "$name"
    fi
}

# The Linux x86_64 build the other suites use (scripts/test.sh builds it first).
host_build() {
    if [ ! -x "$target/release/omnisock" ] || [ ! -f "$target/release/libomnisock.so" ]; then
        (cd "$root" && timeout 1800 cargo build --release --locked -p omnisock-ffi -p omnisock-cli) || return 1
    fi
    mkdir -p "$out/linux-x86_64"
    cc_host "$out/linux-x86_64/remote_hub" "$here/remote_hub.c"
}

cc_host() {
    gcc -Wall -Wextra -Werror -std=c11 -O1 -pthread -I "$root/include" -I "$root/tests/c" "$2" -o "$1" \
        -L "$target/release" -lomnisock -Wl,-rpath,"$target/release"
}

# The hub pytest files of tests/interop, with OMNISOCK_BIN pointing at a wrapper that runs
# the foreign hub.
interop_hub() {
    local name="$1" wrapper="$2"
    echo "== $name: Python websockets clients (tests/interop/test_hub_with_websockets_client.py)"
    if ! OMNISOCK_BIN="$wrapper" timeout 1200 "$py" -m pytest -q -p no:cacheprovider \
            "$root/tests/interop/test_hub_with_websockets_client.py"; then
        fail "$name: interop hub tests"
    fi
}

# ------------------------------------------------------------------ Windows under Wine
windows() {
    local t=x86_64-pc-windows-gnu dir="$out/windows-x86_64" lib="$(dist_dir x86_64-pc-windows-gnu)"
    local cc=x86_64-w64-mingw32-gcc
    echo "== building $t ($DIST_PROFILE): omnisock.dll, omnisock.exe"
    dist_build "$t" || { fail "windows: cargo build"; return; }
    for f in omnisock.dll libomnisock.dll.a omnisock.exe; do
        [ -f "$lib/$f" ] || { fail "windows: $lib/$f missing"; return; }
    done
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$lib/omnisock.dll" "$lib/omnisock.exe" "$dir/"
    x86_64-w64-mingw32-objdump -p "$dir/omnisock.dll" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' \
        | awk '{print $NF}' | check_exports windows-dll "$root/include/omnisock.h" || fail "windows: DLL exports"
    # Test-only: ProcessPrng for Wine 8 (see wine/bcryptprimitives.c). Never packaged.
    $cc -shared -O2 -o "$dir/bcryptprimitives.dll" "$here/wine/bcryptprimitives.c" -ladvapi32 \
        || { fail "windows: stand-in bcryptprimitives.dll"; return; }

    local tests=(roundtrip mdf misuse) t_
    for t_ in "${tests[@]}"; do
        echo "== compiling $t_.exe (mingw)"
        $cc -Wall -Wextra -Werror -std=c11 -O1 -D__USE_MINGW_ANSI_STDIO=1 -I "$root/include" -I "$root/tests/c" \
            "$root/tests/c/$t_.c" -o "$dir/$t_.exe" -L "$lib" -l:libomnisock.dll.a -lws2_32 -static-libgcc \
            -Wl,-Bstatic -lpthread -Wl,-Bdynamic || { fail "windows: compile $t_"; continue; }
    done
    $cc -Wall -Wextra -Werror -std=c11 -O1 -D__USE_MINGW_ANSI_STDIO=1 -I "$root/include" -I "$root/tests/c" \
        "$here/remote_hub.c" -o "$dir/remote_hub.exe" -L "$lib" -l:libomnisock.dll.a -static-libgcc \
        || { fail "windows: compile remote_hub"; return; }

    wine_setup "$out/wineprefix" || { fail "windows: Wine prefix"; return; }
    for t_ in "${tests[@]}"; do
        [ -f "$dir/$t_.exe" ] && run_test "windows: $t_ (Wine)" "$WINE" "$dir/$t_.exe"
    done

    # Windows client -> Linux hub
    if hub_start linux "$target/release/omnisock"; then
        run_test "windows: C client -> Linux x86_64 hub" "$WINE" "$dir/remote_hub.exe" "$HUB_PORT"
        hub_stop || fail "windows: Linux hub exit"
    else
        fail "windows: Linux hub did not start"
    fi
    # Windows hub <- Windows client, Linux client
    if hub_start windows "$WINE" "$dir/omnisock.exe"; then
        run_test "windows: C client -> Windows hub (both under Wine)" "$WINE" "$dir/remote_hub.exe" "$HUB_PORT"
        run_test "linux x86_64: C client -> Windows hub" "$out/linux-x86_64/remote_hub" "$HUB_PORT"
        hub_stop || fail "windows: Windows hub exit"
    else
        fail "windows: Windows hub did not start"
    fi
    # Windows hub <- Python websockets
    local wrapper="$dir/omnisock-wine.sh"
    wrapper_script "$wrapper" "WINEPREFIX=$(printf %q "$WINEPREFIX") WINEDEBUG=-all WINEDLLOVERRIDES=$(printf %q "$WINEDLLOVERRIDES") $(printf %q "$WINE")" "$dir/omnisock.exe"
    interop_hub "windows" "$wrapper"
    wine_stop
}

# ------------------------------------------------------------------ Linux aarch64 under qemu-user
aarch64() {
    local t=aarch64-unknown-linux-gnu dir="$out/linux-aarch64" lib="$(dist_dir aarch64-unknown-linux-gnu)"
    local cc=aarch64-linux-gnu-gcc
    export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
    echo "== building $t ($DIST_PROFILE): libomnisock.so, omnisock"
    dist_build "$t" || { fail "aarch64: cargo build"; return; }
    for f in libomnisock.so omnisock; do
        [ -f "$lib/$f" ] || { fail "aarch64: $lib/$f missing"; return; }
    done
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$lib/libomnisock.so" "$lib/omnisock" "$dir/"
    file "$dir/libomnisock.so" | grep -q "ARM aarch64" || { fail "aarch64: libomnisock.so is not an aarch64 ELF"; return; }
    aarch64-linux-gnu-nm -D --defined-only "$dir/libomnisock.so" | awk '{print $NF}' \
        | check_exports linux-aarch64-so "$root/include/omnisock.h" || fail "aarch64: .so exports"

    local tests=(roundtrip mdf misuse) t_
    for t_ in "${tests[@]}"; do
        echo "== compiling $t_ (aarch64)"
        $cc -Wall -Wextra -Werror -std=c11 -O1 -pthread -I "$root/include" -I "$root/tests/c" "$root/tests/c/$t_.c" \
            -o "$dir/$t_" -L "$dir" -lomnisock -Wl,-rpath,"$dir" || { fail "aarch64: compile $t_"; continue; }
    done
    $cc -Wall -Wextra -Werror -std=c11 -O1 -pthread -I "$root/include" -I "$root/tests/c" "$here/remote_hub.c" \
        -o "$dir/remote_hub" -L "$dir" -lomnisock -Wl,-rpath,"$dir" || { fail "aarch64: compile remote_hub"; return; }

    for t_ in "${tests[@]}"; do
        [ -f "$dir/$t_" ] && run_test "aarch64: $t_ (qemu-user)" qemu-aarch64 "$dir/$t_"
    done
    if hub_start linux "$target/release/omnisock"; then
        run_test "aarch64: C client -> Linux x86_64 hub" qemu-aarch64 "$dir/remote_hub" "$HUB_PORT"
        hub_stop || fail "aarch64: x86_64 hub exit"
    else
        fail "aarch64: x86_64 hub did not start"
    fi
    if hub_start aarch64 qemu-aarch64 "$dir/omnisock"; then
        run_test "linux x86_64: C client -> aarch64 hub" "$out/linux-x86_64/remote_hub" "$HUB_PORT"
        hub_stop || fail "aarch64: aarch64 hub exit"
    else
        fail "aarch64: aarch64 hub did not start"
    fi
    local wrapper="$dir/omnisock-qemu.sh"
    wrapper_script "$wrapper" "QEMU_LD_PREFIX=/usr/aarch64-linux-gnu qemu-aarch64" "$dir/omnisock"
    interop_hub "aarch64" "$wrapper"
}

# ------------------------------------------------------------------ macOS: built, not run
macos() {
    echo "== macOS: built and checked, NOT run (no macOS here)"
    if ! bash "$root/scripts/build-macos.sh" "$out/macos"; then
        fail "macos: build"
        return
    fi
    check_macho "$out/macos/libomnisock.dylib" "$root/include/omnisock.h" || fail "macos: dylib checks"
    check_macho_exe "$out/macos/omnisock" || fail "macos: CLI checks"
}

host_build || { echo "run.sh: the Linux x86_64 build failed" >&2; exit 1; }
for p in "${parts[@]}"; do
    case "$p" in
        windows | aarch64 | macos) "$p" ;;
        *) echo "run.sh: unknown part $p (windows, aarch64, macos)" >&2; exit 2 ;;
    esac
done

echo
if [ ${#failures[@]} -ne 0 ]; then
    echo "platforms FAILED:"
    printf '  %s\n' "${failures[@]}"
    exit 1
fi
echo "platforms passed: ${parts[*]}"
