#!/usr/bin/env bash
# Builds the Unity package from the workspace:
#   target/unity-package/com.omnisock.websocket/          the package folder (add it with
#                                                         "Add package from disk...")
#   target/unity-package/com.omnisock.websocket-VER.tgz   the same as a tarball ("from tarball...")
# It copies unity-plugin/, adds every native library found under target/ (see build-native.sh;
# linux-x64 is built here unless --no-build) to Plugins/<platform>/ with a .meta that selects the
# platform, writes .meta files (stable GUIDs) for everything else, and packs the tgz.
#
# Usage: unity-plugin/Tools~/build-package.sh [--no-build] [--require linux-x64,android,...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build=1
args=()
for a in "$@"; do
    case "$a" in
        --no-build) build=0 ;;
        *) args+=("$a") ;;
    esac
done
if [ "$build" = 1 ]; then
    bash "$here/build-native.sh" linux-x64
fi
exec python3 "$here/package.py" --root "$root" ${args[@]+"${args[@]}"}
