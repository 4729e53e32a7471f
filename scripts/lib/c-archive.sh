# Sourced by scripts/release.sh: the C archive of one platform.
#
#   c_archive PLATFORM STAGE_DIR DIST_DIR
#
# Writes DIST_DIR/omnisock-$VERSION-PLATFORM.tar.gz holding omnisock-$VERSION-PLATFORM/ with
#   include/omnisock.h
#   lib/      the shared library (Windows: its import library libomnisock.dll.a), libomnisock.a,
#             pkgconfig/omnisock.pc, cmake/omnisock/omnisock-config{,-version}.cmake
#   bin/      the CLI (Windows: and omnisock.dll)
# Both package files are relocatable: they find the archive's root from their own location.
# CMake: find_package(omnisock) gives omnisock::omnisock (shared) and omnisock::static.

# System libraries a static link of libomnisock.a needs, per platform
# (what `rustc --print native-static-libs` lists for the staticlib).
c_archive_private_libs() {
    case "$1" in
        linux-*) echo "-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc" ;;
        windows-*) echo "-lws2_32 -lntdll -luserenv -lbcrypt -ladvapi32 -lkernel32" ;;
        macos-*) echo "-liconv -lSystem -lc -lm" ;;
    esac
}

c_archive() {
    local plat="$1" stage="$2" dist="$3"
    local name="omnisock-$VERSION-$plat"
    local root="$dist/.c-archive/$name"
    local shared implib="" private
    rm -rf "$root"
    mkdir -p "$root/include" "$root/lib/pkgconfig" "$root/lib/cmake/omnisock" "$root/bin"
    cp "$ROOT/include/omnisock.h" "$root/include/"
    cp "$stage/libomnisock.a" "$root/lib/"
    case "$plat" in
        windows-*)
            cp "$stage/omnisock.dll" "$stage/omnisock.exe" "$root/bin/"
            cp "$stage/libomnisock.dll.a" "$root/lib/"
            shared="bin/omnisock.dll"
            implib="lib/libomnisock.dll.a"
            ;;
        macos-*)
            cp "$stage/libomnisock.dylib" "$root/lib/"
            cp "$stage/omnisock" "$root/bin/"
            shared="lib/libomnisock.dylib"
            ;;
        *)
            cp "$stage/libomnisock.so" "$root/lib/"
            cp "$stage/omnisock" "$root/bin/"
            shared="lib/libomnisock.so"
            ;;
    esac
    private="$(c_archive_private_libs "$plat")"

    cat >"$root/lib/pkgconfig/omnisock.pc" <<PC
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: omnisock
Description: WebSocket client and hub runtimes (C API)
Version: $VERSION
URL: https://github.com/omnisock/omnisock
Cflags: -I\${includedir}
Libs: -L\${libdir} -lomnisock
Libs.private: $private
PC

    local implib_line=""
    [ -n "$implib" ] && implib_line="    IMPORTED_IMPLIB \"\${_omnisock_prefix}/$implib\""
    local private_cmake
    private_cmake="$(sed -e 's/-l//g' -e 's/ /;/g' <<<"$private")"
    cat >"$root/lib/cmake/omnisock/omnisock-config.cmake" <<CMAKE
# omnisock $VERSION ($plat). find_package(omnisock) defines:
#   omnisock::omnisock  the shared library    omnisock::static  the static library
get_filename_component(_omnisock_prefix "\${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET omnisock::omnisock)
  add_library(omnisock::omnisock SHARED IMPORTED)
  set_target_properties(omnisock::omnisock PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "\${_omnisock_prefix}/include"
    IMPORTED_LOCATION "\${_omnisock_prefix}/$shared"
$implib_line
  )
  add_library(omnisock::static STATIC IMPORTED)
  set_target_properties(omnisock::static PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "\${_omnisock_prefix}/include"
    IMPORTED_LOCATION "\${_omnisock_prefix}/lib/libomnisock.a"
    INTERFACE_LINK_LIBRARIES "$private_cmake"
  )
endif()
set(omnisock_VERSION $VERSION)
set(omnisock_FOUND TRUE)
unset(_omnisock_prefix)
CMAKE

    cat >"$root/lib/cmake/omnisock/omnisock-config-version.cmake" <<CMAKE
set(PACKAGE_VERSION $VERSION)
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
CMAKE

    tar -C "$dist/.c-archive" -czf "$dist/$name.tar.gz" "$name"
    rm -rf "$dist/.c-archive"
}
