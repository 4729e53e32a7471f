//! Small JSON helpers shared by the hub's status and the backplanes' status.

/// `s` as a JSON string literal (quoted and escaped).
pub(crate) fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}
