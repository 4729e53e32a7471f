#!/usr/bin/env bash
# Prints dist/sizes.tsv (written by scripts/release.sh) as a Markdown table.
set -euo pipefail
printf '| platform | artifact | size | built here | run here |\n| --- | --- | ---: | --- | --- |\n'
while IFS=$'\t' read -r plat art size built run; do
    printf '| %s | %s | %s | %s | %s |\n' "$plat" "$art" \
        "$(awk -v b="$size" 'BEGIN { if (b >= 1048576) printf "%.2f MiB", b / 1048576; else printf "%.0f KiB", b / 1024 }')" \
        "$built" "$run"
done <"$1"
