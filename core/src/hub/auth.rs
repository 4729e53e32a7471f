//! The hub's token check, shared by WebSocket handshakes and the status/metrics endpoints.
//!
//! A request carries the token as `Authorization: Bearer <token>` (scheme case-insensitive,
//! RFC 7235 §2.1) or as a percent-encoded `token` query parameter. The comparison takes the
//! same time for every token of a given length.

use super::http::{percent_decode, Request};

/// Whether `req` carries `token`.
pub(crate) fn authorized(req: &Request, token: &str) -> bool {
    let want = token.as_bytes();
    // Both places are checked every time, so timing does not tell which one was used.
    let bearer = req.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("authorization")).any(|(_, v)| {
        bearer_token(v).is_some_and(|t| constant_time_eq(t.as_bytes(), want))
    });
    let query = query_values(&req.query, "token").any(|v| percent_decode(v).is_some_and(|t| constant_time_eq(&t, want)));
    bearer | query
}

/// The credentials of an `Authorization: Bearer ...` value (scheme matched case-insensitively).
fn bearer_token(value: &str) -> Option<&str> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(|c: char| c == ' ' || c == '\t')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// The raw (still encoded) values of a query parameter.
fn query_values<'a>(query: &'a str, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    query.split('&').filter_map(|kv| kv.split_once('=')).filter(move |(k, _)| *k == key).map(|(_, v)| v)
}

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer   abc "), Some("abc"));
        assert_eq!(bearer_token("BEARER\tabc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearerabc"), None);
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
