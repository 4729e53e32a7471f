#!/usr/bin/env bash
# Android, one command (NOT run on the machines this repository is developed on: no NDK there;
# CI runs it on a hosted runner, .github/workflows/mobile.yml):
#
#   scripts/build-android.sh [--no-gradle]
#
# Needs: the Android NDK (ANDROID_NDK_HOME), cargo-ndk (`cargo install cargo-ndk`), Gradle 8.7+
# and the Android SDK (for the AAR). Builds, for arm64-v8a, armeabi-v7a and x86_64, minSdk 21:
#   target/android-jniLibs/<abi>/libomnisock_jni.so   the JNI library (the AAR's jniLibs)
#   target/android-ffi/<abi>/libomnisock.so           the C library (Unity: Plugins/Android/<abi>/)
# then the Gradle library module ffi-jni/android: the AAR in ffi-jni/android/build/outputs/aar/
# and dev.omnisock:omnisock-android:<version> in the local Maven repository (publishToMavenLocal).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
command -v cargo-ndk >/dev/null || { echo "build-android.sh: needs cargo-ndk (cargo install cargo-ndk) and the Android NDK" >&2; exit 2; }
rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
ABIS=(-t arm64-v8a -t armeabi-v7a -t x86_64)
cargo ndk "${ABIS[@]}" -P 21 -o target/android-jniLibs build --locked --profile dist -p omnisock-jni
cargo ndk "${ABIS[@]}" -P 21 -o target/android-ffi build --locked --profile dist -p omnisock-ffi
for abi in arm64-v8a armeabi-v7a x86_64; do
    ls -l "target/android-jniLibs/$abi/libomnisock_jni.so" "target/android-ffi/$abi/libomnisock.so"
done
if [ "${1:-}" != "--no-gradle" ]; then
    (cd ffi-jni/android && gradle --no-daemon assembleRelease publishToMavenLocal)
    ls -l ffi-jni/android/build/outputs/aar/
fi
