#!/usr/bin/env bash
# scripts/release.sh step: the Unity package with Plugins/ for every desktop platform staged.
#   package-unity.sh STAGE DIST VERSION   -> DIST/com.omnisock.websocket-VERSION.tgz
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
stage="$1" dist="$2" version="$3"
require="linux-x64,linux-arm64,windows-x64"
[ -f "$stage/macos-universal/libomnisock.dylib" ] && require="$require,macos"
python3 "$ROOT/unity-plugin/Tools~/package.py" --root "$ROOT" --natives "$stage" --out "$stage/unity" --require "$require"
cp "$stage/unity/com.omnisock.websocket-$version.tgz" "$dist/"
