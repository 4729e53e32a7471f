//! Gives the macOS/iOS dylib a relocatable install name (`@rpath/libomnisock.dylib`), so apps,
//! Unity and the Java loader can ship it next to their own files.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "macos" || os == "ios" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libomnisock.dylib");
    }
}
