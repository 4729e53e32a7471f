#!/usr/bin/env bash
# Installs everything the test suites need on a Debian machine that already
# has a Rust toolchain. Idempotent: when everything is present it only checks
# and returns within a few seconds.
#
# Everything that is not a Debian package goes under the repository root:
#   .venv/            Python venv for tests/interop (tests/requirements.txt)
#   .deps/autobahn/   Autobahn|Testsuite (Python 2.7, installed with --target)
#   tests/browser/node_modules/  playwright-core (no browser download)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[setup] %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

# ---------------------------------------------------------------- apt
APT_PACKAGES=(
    chromium
    valgrind
    python3-venv
    redis-server
    mono-mcs
    mono-runtime
    nunit-console
    libnunit-cil-dev
    junit5
    libokhttp-java
    libandroid-json-java
    default-jdk-headless
    openssl
    binutils
    pkg-config
    gcc
    libc6-dev
    make
    curl
    nodejs
    npm
    # cross builds and their test runners (tests/platforms, scripts/release.sh)
    gcc-mingw-w64-x86-64
    wine64
    gcc-aarch64-linux-gnu
    libc6-arm64-cross
    libc6-dev-arm64-cross
    qemu-user
    cmake
    file
    zip
    unzip
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
    if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
        # nodejs/npm may come from somewhere other than Debian's packages.
        case "$p" in
            nodejs) command -v node >/dev/null 2>&1 && continue ;;
            npm) command -v npm >/dev/null 2>&1 && continue ;;
        esac
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    log "Debian packages: all present"
fi

# ---------------------------------------------------------------- python venv
REQ="$ROOT/tests/requirements.txt"
VENV="$ROOT/.venv"
STAMP="$VENV/.requirements.sha256"
want_sum="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want_sum" ]; then
    PY=""
    for cand in python3 /usr/bin/python3; do
        if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import venv, ensurepip' >/dev/null 2>&1; then
            PY="$cand"
            break
        fi
    done
    if [ -z "$PY" ]; then
        echo "setup: no python3 with the venv module found" >&2
        exit 1
    fi
    log "creating .venv with $PY"
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQ"
    echo "$want_sum" >"$STAMP"
else
    log "Python venv: up to date"
fi

# ---------------------------------------------------------------- cross targets
# Rust standard libraries for the platforms built here (Windows under Wine, Linux aarch64
# under qemu-user, macOS cross-linked with zig; see tests/platforms and scripts/release.sh).
RUST_TARGETS=(x86_64-pc-windows-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin)
installed_targets="$(rustup target list --installed 2>/dev/null || true)"
for t in "${RUST_TARGETS[@]}"; do
    if ! grep -qx "$t" <<<"$installed_targets"; then
        log "adding Rust target $t"
        rustup target add "$t"
    fi
done

# llvm-nm / llvm-objdump read the macOS Mach-O files (exports, linked libraries).
if ! rustup component list --installed 2>/dev/null | grep -q '^llvm-tools'; then
    log "adding rustup component llvm-tools"
    rustup component add llvm-tools
fi

# Release tools in their own venv: ziglang (the macOS cross linker), cargo-zigbuild (its cargo
# front end, a pip wheel) and maturin (the Python wheels).
TOOLS_REQ="$ROOT/scripts/release-tools.txt"
TOOLS="$ROOT/.deps/release-tools"
TOOLS_STAMP="$TOOLS/.requirements.sha256"
tools_sum="$(sha256sum "$TOOLS_REQ" | cut -d' ' -f1)"
if [ ! -x "$TOOLS/bin/python" ] || [ "$(cat "$TOOLS_STAMP" 2>/dev/null)" != "$tools_sum" ]; then
    log "installing release tools into .deps/release-tools"
    rm -rf "$TOOLS"
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/pip" install -q --disable-pip-version-check -r "$TOOLS_REQ"
    echo "$tools_sum" >"$TOOLS_STAMP"
else
    log "release tools: up to date"
fi

# ---------------------------------------------------------------- node
BROWSER_DIR="$ROOT/tests/browser"
if [ -f "$BROWSER_DIR/package.json" ]; then
    NM_STAMP="$BROWSER_DIR/node_modules/.omnisock-lock.sha256"
    lock_sum="$(cd "$BROWSER_DIR" && { cat package.json; [ ! -f package-lock.json ] || cat package-lock.json; } | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$NM_STAMP" 2>/dev/null)" != "$lock_sum" ]; then
        log "installing node modules in tests/browser"
        export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
        (
            cd "$BROWSER_DIR"
            if [ -f package-lock.json ]; then
                npm ci --no-audit --no-fund --loglevel=error
            else
                npm install --no-audit --no-fund --loglevel=error
            fi
        )
        echo "$lock_sum" >"$NM_STAMP"
    else
        log "node modules: up to date"
    fi
fi

# ---------------------------------------------------------------- autobahn
AUTOBAHN_VERSION="25.10.1"
AB_DIR="$ROOT/.deps/autobahn"
AB_STAMP="$AB_DIR/.omnisock-version"
if [ "$(cat "$AB_STAMP" 2>/dev/null)" != "$AUTOBAHN_VERSION" ]; then
    PY2="$("$ROOT/scripts/python2.sh" --print-path 2>/dev/null || true)"
    if [ -z "$PY2" ]; then
        if command -v pyenv >/dev/null 2>&1; then
            log "installing Python 2.7.18 with pyenv"
            pyenv install -s 2.7.18
            PY2="$("$ROOT/scripts/python2.sh" --print-path)"
        else
            echo "setup: Python 2.7 is needed for Autobahn|Testsuite and pyenv is not available" >&2
            exit 1
        fi
    fi
    log "installing autobahntestsuite==$AUTOBAHN_VERSION with $PY2"
    rm -rf "$AB_DIR"
    mkdir -p "$AB_DIR"
    "$PY2" -m pip install -q --disable-pip-version-check --no-warn-script-location \
        --target "$AB_DIR" "autobahntestsuite==$AUTOBAHN_VERSION"
    # zope is a namespace package; with --target its __init__ is missing.
    touch "$AB_DIR/zope/__init__.py"
    echo "$AUTOBAHN_VERSION" >"$AB_STAMP"
else
    log "Autobahn|Testsuite: present"
fi

# ---------------------------------------------------------------- cargo-fuzz
# For the `fuzz` suite (tests/fuzz/run.sh, scripts/fuzz.sh). Pinned; installed from crates.io.
CARGO_FUZZ_VERSION="0.13.2"
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$CARGO_FUZZ_VERSION" ]; then
    log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --quiet
else
    log "cargo-fuzz: present"
fi

log "done"
