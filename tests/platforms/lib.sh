# Helpers for tests/platforms/run.sh (sourced): Wine, foreign hub processes, Mach-O checks.

# ------------------------------------------------------------------ Wine
WINE="$(command -v wine64 || command -v wine || echo /usr/lib/wine/wine64)"
WINESERVER="$(command -v wineserver || echo /usr/lib/wine/wineserver)"

# Creates (once) and starts a Wine prefix for the tests; exports what wine_run needs.
wine_setup() {
    export WINEPREFIX="$1" WINEARCH=win64 WINEDEBUG=-all
    # bcryptprimitives: the test-only stand-in beside the program (native) before Wine's own.
    # mscoree/mshtml: no Mono/Gecko install prompts.
    export WINEDLLOVERRIDES="bcryptprimitives=n,b;mscoree=;mshtml="
    [ -x "$WINE" ] || { echo "wine64 not found (scripts/setup.sh installs Debian's wine64)" >&2; return 1; }
    if [ ! -f "$WINEPREFIX/system.reg" ]; then
        echo "== creating the Wine prefix $WINEPREFIX (first run only)"
        timeout 600 "$WINE" wineboot --init >/dev/null 2>&1 || return 1
    fi
    # One wineserver for the whole suite (each program starts faster); stopped by wine_stop.
    "$WINESERVER" -p 600 >/dev/null 2>&1 || true
}


# Stops the wineserver of this suite's prefix (and any program left in it).
wine_stop() { "$WINESERVER" -k >/dev/null 2>&1 || true; }

# ------------------------------------------------------------------ foreign hubs
HUB_PID=""
HUB_PORT=""
HUB_LOG=""

# hub_start NAME CMD...: runs `CMD... hub --listen 127.0.0.1:0` and waits (bounded) for its
# "listening on" line; sets HUB_PORT and HUB_PID.
hub_start() {
    local name="$1"
    shift
    HUB_LOG="$out/hub-$name.log"
    HUB_PORT=""
    "$@" hub --listen 127.0.0.1:0 </dev/null >"$HUB_LOG" 2>&1 &
    HUB_PID=$!
    local i
    for i in $(seq 1 600); do
        HUB_PORT="$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$HUB_LOG" | head -n 1)"
        [ -n "$HUB_PORT" ] && break
        kill -0 "$HUB_PID" 2>/dev/null || break
        sleep 0.2
    done
    if [ -z "$HUB_PORT" ]; then
        echo "hub $name did not report its port:" >&2
        cat "$HUB_LOG" >&2
        kill "$HUB_PID" 2>/dev/null
        wait "$HUB_PID" 2>/dev/null
        return 1
    fi
    echo "== hub $name listening on 127.0.0.1:$HUB_PORT (pid $HUB_PID)"
}

# Stops the hub started last (SIGTERM, bounded wait). Fails if it had died before.
hub_stop() {
    local alive=0 i
    kill -0 "$HUB_PID" 2>/dev/null && alive=1
    kill -TERM "$HUB_PID" 2>/dev/null
    for i in $(seq 1 100); do
        kill -0 "$HUB_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$HUB_PID" 2>/dev/null
    wait "$HUB_PID" 2>/dev/null
    if [ "$alive" = 0 ]; then
        echo "the hub had exited before it was stopped:" >&2
        cat "$HUB_LOG" >&2
        return 1
    fi
}

# wrapper_script FILE PREFIX PROGRAM: an executable that runs PROGRAM under PREFIX (an
# emulator command line) with the wrapper's arguments, for OMNISOCK_BIN.
wrapper_script() {
    printf '#!/bin/sh\nexec env %s %q "$@"\n' "$2" "$3" >"$1"
    chmod +x "$1"
}

# ------------------------------------------------------------------ Mach-O checks
llvm_tool() {
    local sysroot
    sysroot="$(rustc --print sysroot)"
    local p="$sysroot/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/$1"
    [ -x "$p" ] || { echo "$1 not found (scripts/setup.sh adds rustup's llvm-tools)" >&2; return 1; }
    echo "$p"
}

# The exported functions of include/omnisock.h, one per line, sorted.
header_functions() {
    grep -oE '^[a-zA-Z_][a-zA-Z0-9_ *]*[ *](omnisock_[a-z0-9_]+)\(' "$1" | sed -E 's/.*(omnisock_[a-z0-9_]+)\($/\1/' | sort -u
}

# check_exports LABEL HEADER: stdin is the library's exported symbol names; they must include
# exactly the header's functions among omnisock_* names.
check_exports() {
    local label="$1" header="$2" list="$out/exports-$1.txt"
    grep -E '^omnisock_' | sort -u >"$list"
    if diff -u <(header_functions "$header") "$list"; then
        echo "ok   - $label exports exactly the $(wc -l <"$list") functions of include/omnisock.h"
    else
        echo "FAIL - $label exports differ from include/omnisock.h (diff above: - header only, + library only)"
        return 1
    fi
}

# check_macho DYLIB HEADER: both architectures, exports == header, no Apple framework linked.
check_macho() {
    local dylib="$1" header="$2" nm objdump ok=0 arch
    nm="$(llvm_tool llvm-nm)" || return 1
    objdump="$(llvm_tool llvm-objdump)" || return 1
    [ -f "$dylib" ] || { echo "$dylib missing"; return 1; }
    header_functions "$header" >"$out/macos/header.txt"
    echo "== macOS dylib: $(wc -l <"$out/macos/header.txt") functions in the header"
    for arch in arm64 x86_64; do
        if ! "$nm" --arch="$arch" --extern-only --defined-only --just-symbol-name "$dylib" >"$out/macos/nm-$arch.raw" 2>"$out/macos/nm-$arch.err"; then
            echo "FAIL - no $arch slice in $dylib: $(cat "$out/macos/nm-$arch.err")"
            ok=1
            continue
        fi
        # Mach-O C symbols carry a leading underscore.
        sed -n 's/^_\(omnisock_.*\)$/\1/p' "$out/macos/nm-$arch.raw" | sort -u >"$out/macos/exports-$arch.txt"
        if diff -u "$out/macos/header.txt" "$out/macos/exports-$arch.txt"; then
            echo "ok   - $arch slice exports exactly the header's $(wc -l <"$out/macos/header.txt") functions"
        else
            echo "FAIL - $arch slice exports differ from include/omnisock.h (diff above: - header only, + dylib only)"
            ok=1
        fi
        local other
        # Besides omnisock_*: symbols the linker adds to every dylib, and Rust runtime symbols
        # the toolchain exports from every cdylib (unwinding personality, std internals).
        other="$(grep -v '^_omnisock_' "$out/macos/nm-$arch.raw" | grep -v '^$' \
            | grep -vxE '__mh_dylib_header|___dso_handle|_rust_eh_personality|__RNv[A-Za-z0-9_]*3std[A-Za-z0-9_]*' | head -n 5)"
        if [ -n "$other" ]; then
            echo "FAIL - $arch slice exports other symbols too, e.g.: $other"
            ok=1
        else
            echo "ok   - $arch slice exports nothing else but linker and Rust runtime symbols"
        fi
    done
    for arch in arm64 x86_64; do
        if "$objdump" --macho --arch="$arch" --dylib-id "$dylib" | grep -qx '@rpath/libomnisock.dylib'; then
            echo "ok   - $arch: install name @rpath/libomnisock.dylib"
        else
            echo "FAIL - $arch: install name is not @rpath/libomnisock.dylib: $("$objdump" --macho --arch="$arch" --dylib-id "$dylib" | tail -n 1)"
            ok=1
        fi
    done
    check_no_framework "$dylib" || ok=1
    return $ok
}

# check_no_framework FILE: the Mach-O links only libSystem / libiconv / libc++ style dylibs,
# no Apple framework (Security, CoreFoundation, ...).
check_no_framework() {
    local objdump arch libs ok=0
    objdump="$(llvm_tool llvm-objdump)" || return 1
    for arch in arm64 x86_64; do
        libs="$("$objdump" --macho --arch="$arch" --dylibs-used "$1" 2>&1 | tail -n +2 | grep -v '@rpath/libomnisock.dylib')"
        if [ -z "$libs" ]; then
            echo "FAIL - $arch: cannot read the linked libraries of $1"
            ok=1
        elif grep -q '\.framework/' <<<"$libs"; then
            echo "FAIL - $arch: $1 links an Apple framework:"
            echo "$libs"
            ok=1
        else
            echo "ok   - $arch: $(basename "$1") links no Apple framework ($(tr -s ' \t\n' ' ' <<<"$libs" | sed 's/(compatibility[^)]*)//g'))"
        fi
    done
    return $ok
}

# check_macho_exe FILE: the CLI has both slices and links no framework.
check_macho_exe() {
    local nm arch ok=0
    nm="$(llvm_tool llvm-nm)" || return 1
    for arch in arm64 x86_64; do
        if "$nm" --arch="$arch" --undefined-only "$1" >/dev/null 2>&1; then
            echo "ok   - $(basename "$1"): $arch slice present"
        else
            echo "FAIL - $(basename "$1"): no $arch slice"
            ok=1
        fi
    done
    check_no_framework "$1" || ok=1
    return $ok
}
