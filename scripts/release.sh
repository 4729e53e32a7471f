#!/usr/bin/env bash
# Builds every release artifact this machine can build into dist/ and prints the table
# (platform, artifact, size, built here, run here). Android and iOS are built elsewhere (see
# RELEASES.md): scripts/build-android.sh and scripts/build-ios.sh, and .github/workflows/mobile.yml.
#
#   scripts/release.sh              everything below
#   scripts/release.sh --no-macos   skip the macOS cross build (the slowest)
#
# dist/
#   omnisock-VER-<platform>.tar.gz       C archive: include/, lib/ (shared + static + pkg-config +
#                                        CMake package), bin/ (CLI; Windows: the DLL too)
#   debug/<platform>/*.debug             debug info split from each stripped ELF/PE file
#   com.omnisock.websocket-VER.tgz       Unity package, Plugins/ for every desktop platform
#   omnisock-VER-*.whl                   Python wheels, manylinux2014 x86_64 and aarch64
#   omnisock-java-VER.jar                desktop Java API with natives per OS/arch
#   sizes.tsv                            the table's data
# Libraries are built with the `dist` profile (Cargo.toml), stripped here; budget 3 MiB each.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=lib/dist-build.sh
. "$ROOT/scripts/lib/dist-build.sh"
# shellcheck source=lib/c-archive.sh
. "$ROOT/scripts/lib/c-archive.sh"

with_macos=1
for a in "$@"; do
    case "$a" in
        --no-macos) with_macos=0 ;;
        -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "release.sh: unknown argument $a" >&2; exit 2 ;;
    esac
done

VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
DIST="$ROOT/dist"
STAGE="$DIST/.stage"
TOOLS="$ROOT/.deps/release-tools"
BUDGET=$((3 * 1024 * 1024))
rm -rf "$DIST"
mkdir -p "$STAGE" "$DIST/debug"
: >"$DIST/sizes.tsv"
log() { printf '[release] %s\n' "$*" >&2; }

LLVM_BIN="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin"

# strip_split PLATFORM FILE OBJCOPY: moves the debug info of FILE into dist/debug/PLATFORM/
# (linked back with .gnu_debuglink) and strips FILE.
strip_split() {
    local plat="$1" f="$2" objcopy="$3" dbg
    mkdir -p "$DIST/debug/$plat"
    dbg="$DIST/debug/$plat/$(basename "$f").debug"
    "$objcopy" --only-keep-debug "$f" "$dbg"
    "$objcopy" --strip-all --add-gnu-debuglink="$dbg" "$f"
}

# row PLATFORM ARTIFACT FILE BUILT RUN: one line of the table (size of FILE).
row() {
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$(stat -c %s "$3")" "$4" "$5" >>"$DIST/sizes.tsv"
}

check_budget() {
    local size
    size="$(stat -c %s "$2")"
    if [ "$size" -gt "$BUDGET" ]; then
        echo "release.sh: $1 $(basename "$2") is $size bytes stripped, over the 3 MiB budget" >&2
        exit 1
    fi
}

# ------------------------------------------------------------------ native builds
# stage_elf PLATFORM TARGET OBJCOPY: stages the stripped library, CLI, JNI library and the
# static library (debug info removed) of one ELF target.
stage_elf() {
    local plat="$1" t="$2" objcopy="$3" src d
    src="$(dist_dir "$t")"
    d="$STAGE/$plat"
    mkdir -p "$d"
    cp "$src/libomnisock.so" "$src/libomnisock.a" "$src/omnisock" "$src/libomnisock_jni.so" "$d/"
    for f in libomnisock.so omnisock libomnisock_jni.so; do strip_split "$plat" "$d/$f" "$objcopy"; done
    "$LLVM_BIN/llvm-strip" --strip-debug "$d/libomnisock.a"
    check_budget "$plat" "$d/libomnisock.so"
    check_budget "$plat" "$d/libomnisock_jni.so"
}

log "Linux x86_64"
dist_build host
stage_elf linux-x86_64 host objcopy

log "Linux aarch64"
dist_build aarch64-unknown-linux-gnu
stage_elf linux-aarch64 aarch64-unknown-linux-gnu aarch64-linux-gnu-objcopy

log "Windows x86_64"
dist_build x86_64-pc-windows-gnu
src="$(dist_dir x86_64-pc-windows-gnu)"
d="$STAGE/windows-x86_64"
mkdir -p "$d"
cp "$src/omnisock.dll" "$src/libomnisock.dll.a" "$src/libomnisock.a" "$src/omnisock.exe" "$src/omnisock_jni.dll" "$d/"
for f in omnisock.dll omnisock.exe omnisock_jni.dll; do strip_split windows-x86_64 "$d/$f" x86_64-w64-mingw32-objcopy; done
"$LLVM_BIN/llvm-strip" --strip-debug "$d/libomnisock.a"
check_budget windows-x86_64 "$d/omnisock.dll"
check_budget windows-x86_64 "$d/omnisock_jni.dll"

if [ "$with_macos" = 1 ]; then
    log "macOS universal (cargo-zigbuild)"
    d="$STAGE/macos-universal"
    bash "$ROOT/scripts/build-macos.sh" "$d"
    # Mach-O: local symbols and debug info stripped per architecture, then merged again. The
    # DWARF of Mach-O builds stays in the object files (no dsymutil here): no separate file.
    for f in libomnisock.dylib libomnisock_jni.dylib omnisock; do
        for a in aarch64 x86_64; do
            "$LLVM_BIN/llvm-strip" -x -S -o "$STAGE/$f.$a" "$(dist_dir "$a-apple-darwin")/$f"
        done
        python3 "$ROOT/scripts/lib/fat_macho.py" "$d/$f" "arm64=$STAGE/$f.aarch64" "x86_64=$STAGE/$f.x86_64"
        rm -f "$STAGE/$f.aarch64" "$STAGE/$f.x86_64"
    done
    "$LLVM_BIN/llvm-strip" -S "$d/libomnisock.a" 2>/dev/null || true
    # The budget holds per architecture (one slice is what a Mac loads).
    for a in aarch64 x86_64; do
        "$LLVM_BIN/llvm-strip" -x -S -o "$STAGE/slice.dylib" "$(dist_dir "$a-apple-darwin")/libomnisock.dylib"
        check_budget "macos-$a" "$STAGE/slice.dylib"
        row "macOS $a" "libomnisock.dylib (one slice)" "$STAGE/slice.dylib" yes "no: no macOS here"
        rm -f "$STAGE/slice.dylib"
    done
fi

# ------------------------------------------------------------------ C archives
RUN_WIN="C suites, C client <-> hubs, websockets clients (Wine)"
RUN_ARM="C suites, C client <-> hubs, websockets clients (qemu-user)"
RUN_X64="every suite"
c_archive linux-x86_64 "$STAGE/linux-x86_64" "$DIST"
c_archive linux-aarch64 "$STAGE/linux-aarch64" "$DIST"
c_archive windows-x86_64 "$STAGE/windows-x86_64" "$DIST"
[ "$with_macos" = 1 ] && c_archive macos-universal "$STAGE/macos-universal" "$DIST"

row "Linux x86_64" libomnisock.so "$STAGE/linux-x86_64/libomnisock.so" yes "$RUN_X64"
row "Linux x86_64" omnisock "$STAGE/linux-x86_64/omnisock" yes "$RUN_X64"
row "Linux aarch64" libomnisock.so "$STAGE/linux-aarch64/libomnisock.so" yes "$RUN_ARM"
row "Linux aarch64" omnisock "$STAGE/linux-aarch64/omnisock" yes "$RUN_ARM"
row "Windows x86_64" omnisock.dll "$STAGE/windows-x86_64/omnisock.dll" yes "$RUN_WIN"
row "Windows x86_64" omnisock.exe "$STAGE/windows-x86_64/omnisock.exe" yes "$RUN_WIN"
if [ "$with_macos" = 1 ]; then
    row "macOS universal" libomnisock.dylib "$STAGE/macos-universal/libomnisock.dylib" yes "no: no macOS here (exports checked)"
    row "macOS universal" omnisock "$STAGE/macos-universal/omnisock" yes "no: no macOS here"
fi
for f in "$DIST"/omnisock-"$VERSION"-*.tar.gz; do
    case "$f" in
        *macos*) run="no: contents checked (no macOS here)" ;;
        *aarch64*) run="CMake + static/shared C tests under qemu-user (tests/release)" ;;
        *windows*) run="CMake + static/shared C tests under Wine (tests/release)" ;;
        *) run="CMake + pkg-config, static/shared C tests (tests/release)" ;;
    esac
    row "$(basename "$f" .tar.gz | sed "s/^omnisock-$VERSION-//")" "$(basename "$f")" "$f" yes "$run"
done

# ------------------------------------------------------------------ packages
bash "$ROOT/scripts/lib/package-unity.sh" "$STAGE" "$DIST" "$VERSION"
row "all desktop" "com.omnisock.websocket-$VERSION.tgz" "$DIST/com.omnisock.websocket-$VERSION.tgz" yes "plugins + import settings checked, C# compiled (no Unity here)"

bash "$ROOT/scripts/lib/package-java.sh" "$STAGE" "$DIST" "$VERSION"
row "all desktop" "omnisock-java-$VERSION.jar" "$DIST/omnisock-java-$VERSION.jar" yes "Linux x86_64 JVM (tests/release)"

log "Python wheels (maturin, manylinux2014, zig as the linker)"
for t in x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu; do
    (cd "$ROOT/ffi-python" && PATH="$TOOLS/bin:$PATH" timeout 3600 "$TOOLS/bin/maturin" build --locked --profile "$DIST_PROFILE" \
        --target "$t" --zig --compatibility manylinux2014 --auditwheel check -o "$DIST")
done
for w in "$DIST"/*.whl; do
    case "$w" in
        *x86_64*) row "Linux x86_64" "$(basename "$w")" "$w" yes "installed + used (tests/release)" ;;
        *) row "Linux aarch64" "$(basename "$w")" "$w" yes "no: no aarch64 Python here" ;;
    esac
done

rm -rf "$STAGE"
bash "$ROOT/scripts/lib/release-table.sh" "$DIST/sizes.tsv" | tee "$DIST/table.md"
