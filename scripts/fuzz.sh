#!/usr/bin/env bash
# Runs the fuzz targets of tests/fuzz (cargo-fuzz / libFuzzer) for a given time each.
#
#   scripts/fuzz.sh TARGET SECONDS     one target (see tests/fuzz/Cargo.toml for the names)
#   scripts/fuzz.sh all SECONDS        every target in turn
#   scripts/fuzz.sh --list             the target names
#
# The committed corpus (tests/fuzz/corpus/TARGET) seeds each run; new inputs go to a scratch
# directory unless KEEP_CORPUS=1 (then they are added to the committed corpus: minimise it with
# `cargo fuzz cmin` before committing). A crash leaves its input in tests/fuzz/artifacts/TARGET
# and fails the run. SANITIZER=address (default: none) builds with AddressSanitizer.
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ="$ROOT/tests/fuzz"
export RUSTC_BOOTSTRAP=1
# Instrumented builds live apart from the normal target dir (different flags would rebuild it).
export CARGO_TARGET_DIR="$FUZZ/target"
SANITIZER="${SANITIZER:-none}"

targets() {
    sed -n 's/^name = "\([a-z_]*\)"$/\1/p' "$FUZZ/Cargo.toml" | grep -v '^omnisock-fuzz$'
}

if [ "${1:-}" = "--list" ]; then
    targets
    exit 0
fi
if [ $# -ne 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]] || [ "$2" -lt 1 ]; then
    sed -n '2,13p' "$0" >&2
    exit 2
fi
command -v cargo-fuzz >/dev/null || { echo "fuzz.sh: cargo-fuzz is missing (scripts/setup.sh installs it)" >&2; exit 2; }

if [ "$1" = all ]; then
    mapfile -t list < <(targets)
else
    targets | grep -qx "$1" || { echo "fuzz.sh: unknown target $1 (try --list)" >&2; exit 2; }
    list=("$1")
fi
seconds="$2"

cd "$FUZZ"
echo "== building fuzz targets (sanitizer: $SANITIZER)"
cargo fuzz build --fuzz-dir "$FUZZ" -s "$SANITIZER" -O

failed=()
for t in "${list[@]}"; do
    seed="$FUZZ/corpus/$t"
    mkdir -p "$seed" "$FUZZ/artifacts/$t"
    if [ "${KEEP_CORPUS:-0}" = 1 ]; then
        dirs=("$seed")
    else
        scratch="$(mktemp -d)"
        dirs=("$scratch" "$seed")
    fi
    echo "== fuzzing $t for ${seconds}s"
    # -rss_limit_mb: an input that makes a target allocate without bound is a failure too.
    if cargo fuzz run --fuzz-dir "$FUZZ" -s "$SANITIZER" -O "$t" "${dirs[@]}" -- \
            -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 2>"$FUZZ/artifacts/$t/last-run.log"; then
        grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)" "$FUZZ/artifacts/$t/last-run.log" | tr '\n' ' '
        echo
        echo "== $t: ok"
    else
        tail -n 40 "$FUZZ/artifacts/$t/last-run.log"
        echo "== $t: FAILED (input saved in tests/fuzz/artifacts/$t)"
        failed+=("$t")
    fi
    [ "${KEEP_CORPUS:-0}" = 1 ] || rm -rf "$scratch"
done
if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzzing FAILED: ${failed[*]}"
    exit 1
fi
echo "fuzzing passed: ${list[*]}"
