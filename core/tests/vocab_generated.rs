//! The generator of the bindings' constant files, and the test that they are fresh.
//!
//! Error codes, event kinds and client states are defined once, in the core
//! (`omnisock_core::vocab`). This test renders them for each binding and compares the result
//! with the committed files:
//!
//! | file | for |
//! |---|---|
//! | `ffi-c/src/vocab.rs` | the C ABI enums (cbindgen puts them in `include/omnisock.h`) |
//! | `ffi-jni/java/dev/omnisock/ErrorCodes.java`, `EventKinds.java` | Java |
//! | `unity-plugin/Runtime/Vocab.cs` | C# |
//! | `ffi-python/python/omnisock/_vocab.py` | Python |
//!
//! With `OMNISOCK_UPDATE_GENERATED=1` it writes them instead (`scripts/gen-vocab.sh`).

use std::path::{Path, PathBuf};

use omnisock_core::vocab::{vocabularies, Term, Vocabulary, EVENT_FLAG_CLEAN};

const NOTICE: &str = "Generated from omnisock-core's vocabulary (core/src/vocab.rs) by scripts/gen-vocab.sh. Do not edit.";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn vocab(kind: &str) -> Vocabulary {
    vocabularies().into_iter().find(|v| v.kind == kind).expect("vocabulary")
}

fn doc_lines(t: &Term) -> impl Iterator<Item = &str> {
    t.doc.lines().map(str::trim)
}

fn one_line(t: &Term) -> String {
    doc_lines(t).collect::<Vec<_>>().join(" ")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

// ---- C (Rust source that cbindgen turns into the header)

fn c_enum(out: &mut String, ty: &str, doc: &[&str], first: Option<(&str, &str, i64)>, prefix: &str, v: &Vocabulary) {
    for l in doc {
        out.push_str(&format!("/// {l}\n"));
    }
    out.push_str("#[repr(C)]\n#[allow(non_camel_case_types)]\n#[derive(Debug, Clone, Copy, PartialEq, Eq)]\n");
    out.push_str(&format!("pub enum {ty} {{\n"));
    if let Some((name, d, n)) = first {
        out.push_str(&format!("    /// {d}\n    {name} = {n},\n"));
    }
    for t in v.terms {
        for l in doc_lines(t) {
            out.push_str(&format!("    /// {l}\n"));
        }
        out.push_str(&format!("    {prefix}{} = {},\n", t.name, t.number));
    }
    out.push_str("}\n\n");
}

fn c_from(out: &mut String, core_ty: &str, ty: &str, prefix: &str, v: &Vocabulary) {
    out.push_str(&format!("impl From<{core_ty}> for {ty} {{\n    fn from(v: {core_ty}) -> Self {{\n        match v {{\n"));
    for t in v.terms {
        out.push_str(&format!("            {core_ty}::{} => {ty}::{prefix}{},\n", t.variant, t.name));
    }
    out.push_str("        }\n    }\n}\n\n");
}

fn render_c() -> String {
    let (errors, events, states) = (vocab("error"), vocab("event"), vocab("state"));
    let mut s = format!("//! The C ABI's numbered enums. {NOTICE}\n\nuse omnisock_core::{{ClientState, ErrorCode, EventKind}};\n\n");
    c_enum(
        &mut s,
        "omnisock_result",
        &[
            "The result of every fallible omnisock function. `OMNISOCK_OK` (0) is success; numbers are",
            "never reused. `omnisock_last_error` gives the message of the last failure on this thread.",
        ],
        Some(("OMNISOCK_OK", "Success.", 0)),
        "OMNISOCK_ERR_",
        &errors,
    );
    c_from(&mut s, "ErrorCode", "omnisock_result", "OMNISOCK_ERR_", &errors);
    s.push_str("/// The NUL-terminated name of a result number (`OMNISOCK_ERR_UNKNOWN` for unknown numbers).\n");
    s.push_str("pub(crate) fn result_name(n: i32) -> &'static str {\n    match n {\n        0 => \"OMNISOCK_OK\\0\",\n");
    for t in errors.terms {
        s.push_str(&format!("        {} => \"OMNISOCK_ERR_{}\\0\",\n", t.number, t.name));
    }
    s.push_str("        _ => \"OMNISOCK_ERR_UNKNOWN\\0\",\n    }\n}\n\n");
    c_enum(
        &mut s,
        "omnisock_event_kind",
        &["What an event is (see `omnisock_event` for the fields each kind fills)."],
        None,
        "OMNISOCK_EVENT_",
        &events,
    );
    c_from(&mut s, "EventKind", "omnisock_event_kind", "OMNISOCK_EVENT_", &events);
    s.push_str(&format!(
        "/// `flags` bit of a CLOSE event: the closing handshake completed.\npub const OMNISOCK_EVENT_FLAG_CLEAN: u32 = {EVENT_FLAG_CLEAN};\n\n"
    ));
    c_enum(
        &mut s,
        "omnisock_ready_state",
        &["The state of a client (its WebSocket readyState), written by `omnisock_client_state`."],
        None,
        "OMNISOCK_CLIENT_",
        &states,
    );
    c_from(&mut s, "ClientState", "omnisock_ready_state", "OMNISOCK_CLIENT_", &states);
    s.truncate(s.trim_end().len());
    s.push('\n');
    s
}

// ---- Java

fn java_constants(out: &mut String, v: &Vocabulary) {
    for t in v.terms {
        out.push_str(&format!("    /** {} */\n    int {} = {};\n", xml_escape(&one_line(t)), t.name, t.number));
    }
}

fn render_java_errors() -> String {
    let mut s = format!(
        "// {NOTICE}\npackage dev.omnisock;\n\n/**\n * The core's stable error codes (numbers are never reused). {} maps them to exceptions;\n * {} carries them.\n */\npublic interface ErrorCodes {{\n",
        "{@link Errors#toThrowable}", "{@link OmnisockException#code()}"
    );
    java_constants(&mut s, &vocab("error"));
    s.push_str("}\n");
    s
}

fn render_java_events() -> String {
    let mut s = format!("// {NOTICE}\npackage dev.omnisock;\n\n/** The core's event kinds, as {{@link EventBatch}} reports them, and the close flag. */\ninterface EventKinds {{\n");
    java_constants(&mut s, &vocab("event"));
    s.push_str(&format!("    /** Close event flag: the closing handshake completed. */\n    int FLAG_CLEAN = {EVENT_FLAG_CLEAN};\n}}\n"));
    s
}

// ---- C#

fn render_csharp() -> String {
    let mut s = format!(
        "// {NOTICE}\nnamespace Omnisock\n{{\n    /// <summary>Result codes of the native library (omnisock_result); numbers are never reused.</summary>\n    public enum OmnisockResult\n    {{\n        /// <summary>Success.</summary>\n        Ok = 0,\n"
    );
    for t in vocab("error").terms {
        s.push_str(&format!("        /// <summary>{}</summary>\n        {} = {},\n", xml_escape(&one_line(t)), t.variant, t.number));
    }
    s.push_str("    }\n\n    internal static partial class Native\n    {\n");
    for t in vocab("event").terms {
        s.push_str(&format!("        /// <summary>{}</summary>\n        internal const int EVENT_{} = {};\n", xml_escape(&one_line(t)), t.name, t.number));
    }
    s.push_str(&format!(
        "        /// <summary>Close event flag: the closing handshake completed.</summary>\n        internal const uint EVENT_FLAG_CLEAN = {EVENT_FLAG_CLEAN};\n"
    ));
    for t in vocab("state").terms {
        s.push_str(&format!("        /// <summary>{}</summary>\n        internal const int STATE_{} = {};\n", xml_escape(&one_line(t)), t.name, t.number));
    }
    s.push_str("    }\n}\n");
    s
}

// ---- Python

fn render_python() -> String {
    let mut s = format!("\"\"\"The core's error codes, event kinds and client states.\n\n{NOTICE}\n\"\"\"\n\n");
    let sections = [("error", "ERR_"), ("event", "EVENT_"), ("state", "STATE_")];
    for (kind, prefix) in sections {
        for t in vocab(kind).terms {
            s.push_str(&format!("{prefix}{} = {}\n\"\"\"{}\"\"\"\n", t.name, t.number, one_line(t).replace('\\', "\\\\")));
        }
        s.push('\n');
    }
    s.push_str(&format!("EVENT_FLAG_CLEAN = {EVENT_FLAG_CLEAN}\n\"\"\"Close event flag: the closing handshake completed.\"\"\"\n\n"));
    s.push_str("ERROR_NAMES = {\n");
    for t in vocab("error").terms {
        s.push_str(&format!("    {}: \"{}\",\n", t.number, t.name));
    }
    s.push_str("}\n\"\"\"Error code number -> name.\"\"\"\n");
    s
}

fn outputs() -> Vec<(&'static str, String)> {
    vec![
        ("ffi-c/src/vocab.rs", render_c()),
        ("ffi-jni/java/dev/omnisock/ErrorCodes.java", render_java_errors()),
        ("ffi-jni/java/dev/omnisock/EventKinds.java", render_java_events()),
        ("unity-plugin/Runtime/Vocab.cs", render_csharp()),
        ("ffi-python/python/omnisock/_vocab.py", render_python()),
    ]
}

#[test]
fn generated_vocabulary_files_are_fresh() {
    let update = std::env::var_os("OMNISOCK_UPDATE_GENERATED").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (rel, want) in outputs() {
        let path = root().join(rel);
        if update {
            std::fs::write(&path, &want).unwrap_or_else(|e| panic!("writing {rel}: {e}"));
            continue;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            stale.push(rel);
        }
    }
    assert!(stale.is_empty(), "stale generated files (run scripts/gen-vocab.sh and commit them): {stale:?}");
}
