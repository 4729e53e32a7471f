#!/usr/bin/env bash
# Idempotently prepares the peer servers used by the benchmarks:
#   bench/.venv              Python virtualenv with `websockets` and `picows`
#   bench/peers/node_modules Node `ws`, as pinned in bench/peers/package.json
# Re-running it only installs what is missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="${PYTHON:-python3}"

if [ ! -x "$here/.venv/bin/python" ]; then
    "$py" -m venv "$here/.venv"
fi
if ! "$here/.venv/bin/python" -c "import websockets, picows" 2>/dev/null; then
    "$here/.venv/bin/python" -m pip install --quiet --upgrade pip
    "$here/.venv/bin/python" -m pip install --quiet -r "$here/peers/requirements.txt"
fi

if [ ! -d "$here/peers/node_modules/ws" ]; then
    cd "$here/peers"
    if [ -f package-lock.json ]; then npm ci --silent --no-audit --no-fund; else npm install --silent --no-audit --no-fund; fi
fi
