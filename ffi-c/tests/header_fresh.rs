//! The committed include/omnisock.h must be exactly what cbindgen (pinned) generates now.

#[test]
fn committed_header_matches_cbindgen_output() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = std::process::Command::new("bash")
        .arg(root.join("scripts/gen-header.sh"))
        .arg("--check")
        .current_dir(root)
        .output()
        .expect("run scripts/gen-header.sh");
    assert!(
        out.status.success(),
        "include/omnisock.h is stale (run scripts/gen-header.sh):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The header must compile on its own as C11 and as C++ (a name clash between a type and a
/// function once slipped through cbindgen).
#[test]
fn header_compiles_as_c_and_cpp() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let header = root.join("include/omnisock.h");
    for (lang, std) in [("c", "-std=c11"), ("c++", "-std=c++17")] {
        let out = std::process::Command::new(if lang == "c" { "gcc" } else { "g++" })
            .args(["-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-pedantic", std, "-x", lang])
            .arg(&header)
            .output()
            .expect("run the C compiler");
        assert!(out.status.success(), "include/omnisock.h does not compile as {lang}:\n{}", String::from_utf8_lossy(&out.stderr));
    }
}
