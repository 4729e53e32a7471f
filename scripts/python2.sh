#!/usr/bin/env bash
# Runs Python 2.7 (needed by Autobahn|Testsuite), found through pyenv.
# `python2.sh --print-path` prints the interpreter's path instead.
set -euo pipefail

find_py2() {
    local cand root
    if command -v pyenv >/dev/null 2>&1; then
        root="$(pyenv root)"
        cand="$root/versions/2.7.18/bin/python2.7"
        if [ -x "$cand" ]; then echo "$cand"; return 0; fi
    fi
    for root in "${PYENV_ROOT:-}" "$HOME/.pyenv"; do
        [ -n "$root" ] || continue
        cand="$root/versions/2.7.18/bin/python2.7"
        if [ -x "$cand" ]; then echo "$cand"; return 0; fi
    done
    if command -v python2.7 >/dev/null 2>&1 && python2.7 -c 'import sys; sys.exit(0 if sys.version_info[:2] == (2, 7) else 1)' 2>/dev/null; then
        command -v python2.7
        return 0
    fi
    return 1
}

PY2="$(find_py2)" || { echo "python2.sh: Python 2.7 not found" >&2; exit 1; }
if [ "${1:-}" = "--print-path" ]; then
    echo "$PY2"
    exit 0
fi
exec "$PY2" "$@"
