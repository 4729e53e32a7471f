//! HTTP redirects of the opening handshake: which answers are redirects and where they lead.

use crate::error::{Error, ErrorCode, Refusal, Result};

/// The statuses followed: 301, 302, 303, 307 and 308 (as Python `websockets` and OkHttp do).
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The `Location` of a redirect refusal, if it is one.
pub fn location(refusal: &Refusal) -> Option<&str> {
    if !is_redirect(refusal.status) {
        return None;
    }
    refusal.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("location")).map(|(_, v)| v.trim())
}

/// The absolute `ws://` / `wss://` URL a redirect from `current` to `location` leads to:
/// `http`/`https` map to `ws`/`wss`, a location without a scheme is resolved against the
/// current URL (`//host/p`, `/p`, `p`). A redirect from wss to plain ws is refused, as
/// `websockets` does (it would drop TLS).
pub fn resolve(current: &str, location: &str) -> Result<String> {
    let bad = |why: &str| Error::new(ErrorCode::Connect, format!("redirect to {location:?}: {why}"));
    if location.is_empty() {
        return Err(bad("empty Location"));
    }
    let (cur_scheme, cur_rest) = current.split_once("://").ok_or_else(|| bad("the current URL has no scheme"))?;
    let cur_secure = cur_scheme.eq_ignore_ascii_case("wss");
    let next = if let Some((scheme, rest)) = location.split_once("://").filter(|(s, _)| !s.contains(['/', '?'])) {
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "ws" | "http" => "ws",
            "wss" | "https" => "wss",
            other => return Err(bad(&format!("scheme {other:?} cannot carry a WebSocket"))),
        };
        format!("{scheme}://{rest}")
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{cur_scheme}://{rest}")
    } else {
        let auth_end = cur_rest.find(['/', '?', '#']).unwrap_or(cur_rest.len());
        let authority = &cur_rest[..auth_end];
        let path = if location.starts_with('/') {
            location.to_string()
        } else {
            let cur_path = cur_rest[auth_end..].split(['?', '#']).next().unwrap_or("");
            let dir = cur_path.rfind('/').map_or("/", |i| &cur_path[..=i]);
            let dir = if dir.is_empty() { "/" } else { dir };
            format!("{dir}{location}")
        };
        format!("{cur_scheme}://{authority}{path}")
    };
    if cur_secure && next.starts_with("ws://") {
        return Err(bad("a redirect from wss:// to ws:// is not followed (it would drop TLS)"));
    }
    Ok(next)
}

/// The error for a redirect not followed (`max_redirects` is 0 or used up).
pub fn not_followed(url: &str, refusal: &Refusal, location: &str, max: u32) -> Error {
    let why = if max == 0 {
        "redirects are off (max_redirects = 0)".to_string()
    } else {
        format!("more than max_redirects = {max} redirects")
    };
    Error::refused(
        format!("WebSocket handshake with {url} answered HTTP {} redirecting to {location}: not followed, {why}", refusal.status),
        refusal.clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_absolute_relative_and_mapped_locations() {
        let cur = "ws://h:1/a/b?x=1";
        assert_eq!(resolve(cur, "http://o:2/c").unwrap(), "ws://o:2/c");
        assert_eq!(resolve(cur, "https://o/c").unwrap(), "wss://o/c");
        assert_eq!(resolve(cur, "wss://o/c").unwrap(), "wss://o/c");
        assert_eq!(resolve(cur, "/c?y").unwrap(), "ws://h:1/c?y");
        assert_eq!(resolve(cur, "c").unwrap(), "ws://h:1/a/c");
        assert_eq!(resolve("ws://h", "c").unwrap(), "ws://h/c");
        assert_eq!(resolve(cur, "//o:3/d").unwrap(), "ws://o:3/d");
        assert!(resolve("wss://h/", "ws://h/").unwrap_err().to_string().contains("drop TLS"));
        assert!(resolve("wss://h/", "http://h/").is_err());
        assert!(resolve(cur, "ftp://h/").is_err());
        assert!(resolve(cur, "").is_err());
    }

    #[test]
    fn only_redirect_statuses_with_a_location_count() {
        let r = |status: u16| Refusal { status, headers: vec![("Location".into(), " /x ".into())], body: vec![] };
        assert_eq!(location(&r(302)), Some("/x"));
        assert_eq!(location(&r(308)), Some("/x"));
        assert_eq!(location(&r(300)), None);
        assert_eq!(location(&r(404)), None);
    }
}
