#!/usr/bin/env bash
# Checks libomnisock against capabilities.toml: every `c = "symbol"` entry must be a function
# the built library exports (nm -D). Prints each missing one and exits 1 if any is missing.
#
# Usage: tests/c/manifest.sh [path/to/libomnisock.so]
set -u -o pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
lib="${1:-$root/target/release/libomnisock.so}"
manifest="$root/capabilities.toml"
[ -f "$lib" ] || { echo "manifest.sh: $lib missing" >&2; exit 2; }
command -v nm >/dev/null || { echo "manifest.sh: nm is required (binutils)" >&2; exit 2; }

exported="$(nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sort -u)"
checked=0
missing=()
id=""
while IFS= read -r line; do
    case "$line" in
        id\ =\ *) id="$(sed -E 's/^id = "(.*)"$/\1/' <<<"$line")" ;;
        c\ =\ *)
            sym="$(sed -E 's/^c = "(.*)"$/\1/' <<<"$line")"
            case "$sym" in none:*) continue ;; esac
            checked=$((checked + 1))
            grep -qx -- "$sym" <<<"$exported" || missing+=("$id: $sym")
            ;;
    esac
done <"$manifest"

if [ "$checked" -eq 0 ]; then
    echo "manifest.sh: no c entries read from $manifest" >&2
    exit 2
fi
if [ ${#missing[@]} -ne 0 ]; then
    echo "capabilities.toml lists symbols libomnisock does not export:"
    printf '  %s\n' "${missing[@]}"
    exit 1
fi
echo "capabilities.toml: all $checked C symbols exported by $(basename "$lib")"
