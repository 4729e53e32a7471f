#!/usr/bin/env bash
# The peer of bench/redis: Django Channels + daphne + channels_redis (latest from PyPI) in
# bench/redis/.venv. redis-server comes from Debian (scripts/setup.sh installs it).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ ! -x "$HERE/.venv/bin/python" ]; then
    python3 -m venv "$HERE/.venv"
fi
"$HERE/.venv/bin/pip" install -q --upgrade django channels channels_redis daphne
