#!/usr/bin/env bash
# Cross-builds omnisock for macOS (arm64 + x86_64 in universal files) with cargo-zigbuild and
# zig from PyPI (installed by scripts/setup.sh into .deps/release-tools). No Apple SDK and no
# Apple framework is needed: TLS trust is webpki roots plus the user's CA everywhere.
#
# Usage: scripts/build-macos.sh OUT_DIR
#   OUT_DIR/libomnisock.dylib  universal C library (install name @rpath/libomnisock.dylib)
#   OUT_DIR/libomnisock.a      universal static library
#   OUT_DIR/omnisock           universal CLI
#   OUT_DIR/libomnisock_jni.dylib  universal JNI library (desktop Java jar)
# Built here, not run here (there is no macOS on the build machines).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:?usage: scripts/build-macos.sh OUT_DIR}"
TOOLS="$ROOT/.deps/release-tools"

[ -x "$TOOLS/bin/cargo-zigbuild" ] || { echo "build-macos.sh: run scripts/setup.sh first (cargo-zigbuild, ziglang)" >&2; exit 2; }
export PATH="$TOOLS/bin:$PATH"
# macOS 11 (Big Sur, the first with arm64): the oldest zig's bundled macOS headers support.
export MACOSX_DEPLOYMENT_TARGET="${MACOSX_DEPLOYMENT_TARGET:-11.0}"

cd "$ROOT"
# Each architecture on its own, then one universal file per artifact (scripts/lib/fat_macho.py):
# cargo-zigbuild's universal2 target pairs up the wrong files when a build has several artifacts.
# shellcheck source=lib/dist-build.sh
. "$ROOT/scripts/lib/dist-build.sh"
for t in aarch64-apple-darwin x86_64-apple-darwin; do
    dist_build "$t" cargo zigbuild
done

mkdir -p "$OUT"
for f in libomnisock.dylib libomnisock.a omnisock libomnisock_jni.dylib; do
    arm="$(dist_dir aarch64-apple-darwin)/$f"
    x86="$(dist_dir x86_64-apple-darwin)/$f"
    [ -f "$arm" ] && [ -f "$x86" ] || { echo "build-macos.sh: $f missing for one architecture" >&2; exit 1; }
    python3 "$ROOT/scripts/lib/fat_macho.py" "$OUT/$f" "arm64=$arm" "x86_64=$x86"
done
chmod +x "$OUT/omnisock" "$OUT/libomnisock.dylib" "$OUT/libomnisock_jni.dylib"
echo "macOS universal artifacts in $OUT"
