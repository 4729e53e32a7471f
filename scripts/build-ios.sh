#!/usr/bin/env bash
# iOS, one command (NOT run on the machines this repository is developed on: no Apple SDK there;
# CI runs it on a hosted macOS runner, .github/workflows/mobile.yml):
#
#   scripts/build-ios.sh
#
# Needs macOS with Xcode. Builds the C library as static libraries (iOS apps and Unity link it
# statically: DllImport("__Internal")) and packs them into one XCFramework:
#   target/ios/libomnisock-device.a        aarch64-apple-ios
#   target/ios/libomnisock-simulator.a     aarch64-apple-ios-sim + x86_64-apple-ios (lipo)
#   target/ios/omnisock.xcframework        both, with include/omnisock.h
# No Apple framework is needed at link time (TLS trust is webpki roots plus the user's CA).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export IPHONEOS_DEPLOYMENT_TARGET="${IPHONEOS_DEPLOYMENT_TARGET:-12.0}"
TARGETS=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
rustup target add "${TARGETS[@]}"
for t in "${TARGETS[@]}"; do
    cargo build --locked --profile dist --target "$t" -p omnisock-ffi
done
out=target/ios
rm -rf "$out"
mkdir -p "$out/include"
cp include/omnisock.h "$out/include/"
cp target/aarch64-apple-ios/dist/libomnisock.a "$out/libomnisock-device.a"
lipo -create -output "$out/libomnisock-simulator.a" \
    target/aarch64-apple-ios-sim/dist/libomnisock.a target/x86_64-apple-ios/dist/libomnisock.a
strip -S "$out/libomnisock-device.a" "$out/libomnisock-simulator.a"
xcodebuild -create-xcframework \
    -library "$out/libomnisock-device.a" -headers "$out/include" \
    -library "$out/libomnisock-simulator.a" -headers "$out/include" \
    -output "$out/omnisock.xcframework"
ls -l "$out"
