#!/usr/bin/env bash
# Regenerates include/omnisock.h from ffi-c/src with the pinned cbindgen (installed if missing).
# With --check, fails if the committed header differs from what cbindgen generates.
set -euo pipefail
cd "$(dirname "$0")/.."
CBINDGEN_VERSION=0.29.4
if ! command -v cbindgen >/dev/null || [ "$(cbindgen --version | awk '{print $2}')" != "$CBINDGEN_VERSION" ]; then
  cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --quiet
fi
if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp)
  trap 'rm -f "$tmp"' EXIT
  cbindgen --quiet --config ffi-c/cbindgen.toml --output "$tmp" ffi-c
  if ! diff -u include/omnisock.h "$tmp"; then
    echo "include/omnisock.h is stale: run scripts/gen-header.sh and commit it" >&2
    exit 1
  fi
  echo "include/omnisock.h is up to date"
else
  cbindgen --quiet --config ffi-c/cbindgen.toml --output include/omnisock.h ffi-c
fi
