#!/usr/bin/env bash
# The project's test command (CI runs it through .ci/run).
#
#   scripts/test.sh            everything: setup, build, Rust tests, every suite below
#   scripts/test.sh SUITE...   setup, build, then only the named suites
#
# Suites: rust (cargo nextest / cargo test), interop (pytest + Python websockets),
# browser (headless Chromium), c (tests/c/run.sh), autobahn (Autobahn|Testsuite, both
# directions), and any other tests/NAME/run.sh, run as suite NAME.
# Exits non-zero if any step fails; prints a summary at the end.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

NAMES=()
RESULTS=()
TIMES=()
FAILED=0

step() {
    local name="$1"
    shift
    local start rc
    start=$(date +%s)
    printf '\n======== %s ========\n' "$name"
    "$@" </dev/null
    rc=$?
    NAMES+=("$name")
    TIMES+=("$(($(date +%s) - start))")
    if [ "$rc" -eq 0 ]; then
        RESULTS+=("ok")
    else
        RESULTS+=("FAILED (exit $rc)")
        FAILED=$((FAILED + 1))
    fi
    return "$rc"
}

summary() {
    local i passed=0
    printf '\n======== summary ========\n'
    for i in "${!NAMES[@]}"; do
        printf '  %-12s %-16s %5ss\n' "${NAMES[$i]}" "${RESULTS[$i]}" "${TIMES[$i]}"
        [ "${RESULTS[$i]}" = "ok" ] && passed=$((passed + 1))
    done
    printf 'steps: %d passed, %d failed\n' "$passed" "$FAILED"
}

run_rust_tests() {
    if cargo nextest --version >/dev/null 2>&1; then
        cargo nextest run --workspace --release --no-tests=pass
    else
        cargo test --workspace --release
    fi
}

run_interop() {
    "$ROOT/.venv/bin/python" -m pytest "$ROOT/tests/interop" -v
}

run_browser() {
    node "$ROOT/tests/browser/chat.test.js"
}

run_autobahn() {
    bash "$ROOT/tests/autobahn/run.sh" all
}

run_suite_script() {
    bash "$ROOT/tests/$1/run.sh"
}

# Which suites: the fixed ones, then any other tests/*/run.sh; autobahn last (the longest).
ALL_SUITES=(rust interop browser)
[ -f tests/c/run.sh ] && ALL_SUITES+=(c)
for f in tests/*/run.sh; do
    [ -f "$f" ] || continue
    name="$(basename "$(dirname "$f")")"
    case "$name" in c | autobahn | interop | browser) continue ;; esac
    ALL_SUITES+=("$name")
done
ALL_SUITES+=(autobahn)

if [ "$#" -gt 0 ]; then
    SUITES=("$@")
else
    SUITES=("${ALL_SUITES[@]}")
fi

if ! step setup bash "$ROOT/scripts/setup.sh"; then
    summary
    exit 1
fi
if ! step build cargo build --workspace --release --locked; then
    summary
    exit 1
fi

for suite in "${SUITES[@]}"; do
    case "$suite" in
        rust) step rust run_rust_tests ;;
        interop) step interop run_interop ;;
        browser) step browser run_browser ;;
        autobahn) step autobahn run_autobahn ;;
        *)
            if [ -f "tests/$suite/run.sh" ]; then
                step "$suite" run_suite_script "$suite"
            else
                echo "unknown suite: $suite" >&2
                NAMES+=("$suite"); RESULTS+=("FAILED (unknown)"); TIMES+=(0); FAILED=$((FAILED + 1))
            fi
            ;;
    esac
done

summary
[ "$FAILED" -eq 0 ]
