#!/usr/bin/env bash
# Python suite: builds the omnisock wheel with maturin, installs it with pip into a fresh venv
# (target/py-venv, made anew whenever the wheel or requirements change), builds the C
# MMDAgent-EX stand-in client, and runs pytest on tests/python.
#
#   tests/python/run.sh [pytest args...]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
py="${PYTHON:-python3}"
log() { printf '[python] %s\n' "$*" >&2; }

# ---- maturin (its own venv, kept between runs) ----
tools="$target/py-tools"
if ! "$tools/bin/maturin" --version 2>/dev/null | grep -q '^maturin 1\.16\.'; then
    log "installing maturin 1.16 into $tools"
    rm -rf "$tools"
    "$py" -m venv "$tools"
    "$tools/bin/pip" install -q --disable-pip-version-check "maturin>=1.16,<1.17"
fi

# ---- the wheel ----
wheels="$target/py-wheels"
rm -rf "$wheels"
log "building the wheel (maturin build --release)"
(cd "$root/ffi-python" && timeout 1800 "$tools/bin/maturin" build --release --locked -o "$wheels")
wheel="$(ls "$wheels"/omnisock-*.whl | head -n 1)"
[ -f "$wheel" ] || { log "no wheel in $wheels"; exit 1; }

# ---- a fresh venv with the wheel ----
venv="$target/py-venv"
stamp="$(cat "$wheel" "$here/requirements.txt" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$stamp" ]; then
    log "creating a fresh venv in $venv"
    rm -rf "$venv"
    "$py" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
    "$venv/bin/pip" install -q --disable-pip-version-check "$wheel"
    echo "$stamp" >"$venv/.stamp"
fi
# The wheel must import from outside the source tree.
(cd / && "$venv/bin/python" -c "import omnisock, sys; print('omnisock', omnisock.__version__, 'on Python', sys.version.split()[0])")

# ---- the C client of seed 000 (include/omnisock.h + libomnisock) ----
if [ ! -f "$target/release/libomnisock.so" ]; then
    log "building libomnisock (cargo build --release -p omnisock-ffi)"
    (cd "$root" && timeout 1800 cargo build --release -p omnisock-ffi)
fi
out="$target/py-tests"
mkdir -p "$out"
gcc -Wall -Wextra -Werror -std=c11 -O1 -I "$root/include" "$here/mmdagent_client.c" -o "$out/mmdagent_client" \
    -L "$target/release" -lomnisock -Wl,-rpath,"$target/release"
export OMNISOCK_MMDAGENT_CLIENT="$out/mmdagent_client"

# ---- playwright-core for the Chromium tests (no browser download: Debian's chromium) ----
if [ ! -d "$here/node_modules/playwright-core" ]; then
    log "installing playwright-core (npm)"
    (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --silent)
fi

cd "$here"
exec timeout --kill-after=10 1500 "$venv/bin/python" -m pytest -v -p no:cacheprovider "$@"
