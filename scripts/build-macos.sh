#!/usr/bin/env bash
# Cross-builds omnisock for macOS (arm64 + x86_64 in universal files) with cargo-zigbuild and
# zig from PyPI (installed by scripts/setup.sh into .deps/release-tools). No Apple SDK and no
# Apple framework is needed: TLS trust is webpki roots plus the user's CA everywhere.
#
# Usage: scripts/build-macos.sh OUT_DIR
#   OUT_DIR/libomnisock.dylib  universal C library (install name @rpath/libomnisock.dylib)
#   OUT_DIR/libomnisock.a      universal static library
#   OUT_DIR/omnisock           universal CLI
# Built here, not run here (there is no macOS on the build machines).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:?usage: scripts/build-macos.sh OUT_DIR}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TOOLS="$ROOT/.deps/release-tools"
PROFILE="${OMNISOCK_PROFILE:-dist}"

[ -x "$TOOLS/bin/cargo-zigbuild" ] || { echo "build-macos.sh: run scripts/setup.sh first (cargo-zigbuild, ziglang)" >&2; exit 2; }
export PATH="$TOOLS/bin:$PATH"
# The oldest macOS versions Rust supports on each architecture.
export MACOSX_DEPLOYMENT_TARGET="${MACOSX_DEPLOYMENT_TARGET:-10.12}"

cd "$ROOT"
timeout 3600 cargo zigbuild --locked --profile "$PROFILE" --target universal2-apple-darwin -p omnisock-ffi -p omnisock-cli

src="$TARGET_DIR/universal2-apple-darwin/$PROFILE"
mkdir -p "$OUT"
for f in libomnisock.dylib libomnisock.a omnisock; do
    [ -f "$src/$f" ] || { echo "build-macos.sh: $src/$f missing" >&2; exit 1; }
    cp "$src/$f" "$OUT/$f"
done
echo "macOS universal artifacts in $OUT"
