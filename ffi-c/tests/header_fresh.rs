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
