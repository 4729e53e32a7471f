# Sourced by scripts/release.sh, scripts/build-macos.sh and tests/platforms/run.sh: one cargo
# invocation per target, the same everywhere, so the test suite and the release share one build.
#
#   dist_build TARGET [BUILD...]   cargo build --profile dist --target TARGET for the C library,
#                                  the CLI and the JNI library (the crates the packages need).
#                                  TARGET "host" builds for this machine (target/dist). BUILD
#                                  replaces `cargo build` (e.g. `cargo zigbuild`).
#   dist_dir TARGET                where its artifacts land
DIST_PROFILE="${OMNISOCK_PROFILE:-dist}"
DIST_CRATES=(-p omnisock-ffi -p omnisock-cli -p omnisock-jni)

dist_build() {
    local t="$1"
    shift
    local cargo=(cargo build)
    [ $# -gt 0 ] && cargo=("$@")
    local args=(--locked --profile "$DIST_PROFILE" "${DIST_CRATES[@]}")
    [ "$t" = host ] || args+=(--target "$t")
    # Source paths in the shipped binaries (panic locations) name the crate, not the machine
    # that built it: the checkout becomes "omnisock", the crate registry "crates".
    local top="${ROOT:-$root}"
    local registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
    local remap="--remap-path-prefix=$top=omnisock --remap-path-prefix=$registry=crates"
    (cd "$top" && RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }$remap" timeout 3600 "${cargo[@]}" "${args[@]}")
}

dist_dir() {
    local base="${CARGO_TARGET_DIR:-${ROOT:-$root}/target}"
    if [ "$1" = host ]; then echo "$base/$DIST_PROFILE"; else echo "$base/$1/$DIST_PROFILE"; fi
}
