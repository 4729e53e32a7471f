#!/usr/bin/env bash
# Builds the omnisock native library for one Unity platform and puts it where the package build
# (build-package.sh) picks it up: target/<rust-target>/release/ (or target/release for the host).
#
#   build-native.sh linux-x64        Linux x86_64 (.so)            - any Linux with Rust
#   build-native.sh windows-x64      Windows x86_64 (omnisock.dll) - on Windows (MSVC), or on Linux
#                                    with `rustup target add x86_64-pc-windows-gnu` + mingw-w64
#   build-native.sh macos            macOS universal (arm64 + x86_64 .dylib via lipo) - on macOS
#   build-native.sh android          arm64-v8a, armeabi-v7a, x86_64 (.so) - needs the Android NDK
#                                    and `cargo install cargo-ndk`
#   build-native.sh ios              iOS arm64 static library (.a, linked as __Internal) - on macOS
#
# For a release with every desktop platform (Linux x86_64 + arm64, Windows, macOS universal,
# cross-built on Linux and tested under Wine / qemu-user), use scripts/release.sh instead: its
# dist/com.omnisock.websocket-<version>.tgz carries them all. Android and iOS:
# scripts/build-android.sh and scripts/build-ios.sh (not run on the development machines).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
platform="${1:-linux-x64}"

need_target() {
    if command -v rustup >/dev/null; then rustup target add "$@"; fi
}

case "$platform" in
    linux-x64)
        cargo build --release -p omnisock-ffi
        ;;
    windows-x64)
        if [ "$(uname -s)" = Linux ]; then
            need_target x86_64-pc-windows-gnu
            cargo build --release -p omnisock-ffi --target x86_64-pc-windows-gnu
        else
            need_target x86_64-pc-windows-msvc
            cargo build --release -p omnisock-ffi --target x86_64-pc-windows-msvc
        fi
        ;;
    macos)
        need_target aarch64-apple-darwin x86_64-apple-darwin
        MACOSX_DEPLOYMENT_TARGET=10.15 cargo build --release -p omnisock-ffi --target aarch64-apple-darwin
        MACOSX_DEPLOYMENT_TARGET=10.15 cargo build --release -p omnisock-ffi --target x86_64-apple-darwin
        mkdir -p target/universal-apple-darwin/release
        lipo -create -output target/universal-apple-darwin/release/libomnisock.dylib \
            target/aarch64-apple-darwin/release/libomnisock.dylib target/x86_64-apple-darwin/release/libomnisock.dylib
        # Unity loads the plugin by name; give it a relative install name.
        install_name_tool -id @rpath/libomnisock.dylib target/universal-apple-darwin/release/libomnisock.dylib
        ;;
    android)
        need_target aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
        cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -P 21 build --release -p omnisock-ffi
        ;;
    ios)
        need_target aarch64-apple-ios
        IPHONEOS_DEPLOYMENT_TARGET=12.0 cargo build --release -p omnisock-ffi --target aarch64-apple-ios
        ;;
    *)
        echo "usage: $0 linux-x64|windows-x64|macos|android|ios" >&2
        exit 2
        ;;
esac
