//! Link settings of the C library: a relocatable install name on Apple platforms
//! (`@rpath/libomnisock.dylib`) and a SONAME on Linux/Android (`libomnisock.so`), so apps, Unity
//! and the packages can ship it next to their own files.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    match os.as_str() {
        "macos" | "ios" => println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libomnisock.dylib"),
        "linux" | "android" => println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libomnisock.so"),
        _ => {}
    }
}
