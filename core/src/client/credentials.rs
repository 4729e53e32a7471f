//! Credentials in the URL (`ws://user:pass@host/`): sent as `Authorization: Basic`, as Python
//! `websockets` does, unless the request already has an `Authorization` header. They never
//! appear in messages (see [`super::proxy::redact`]).

use tungstenite::handshake::client::Request;
use tungstenite::http::HeaderValue;

use crate::error::{Error, ErrorCode, Result};

/// Adds `Authorization: Basic` from the userinfo of the request's URI, if any.
pub(super) fn authorize(request: &mut Request, url_for_messages: &str) -> Result<()> {
    let Some(userinfo) = request.uri().authority().and_then(|a| a.as_str().rsplit_once('@')).map(|(u, _)| u.to_string()) else {
        return Ok(());
    };
    if request.headers().contains_key("authorization") {
        return Ok(());
    }
    let decoded = percent_encoding::percent_decode_str(&userinfo)
        .decode_utf8()
        .map_err(|_| Error::new(ErrorCode::InvalidUrl, format!("URL {url_for_messages:?}: the credentials are not UTF-8")))?;
    let (user, pass) = decoded.split_once(':').unwrap_or((&decoded, ""));
    let token = crate::base64::encode(format!("{user}:{pass}").as_bytes());
    let value = HeaderValue::from_str(&format!("Basic {token}")).map_err(|_| Error::invalid("invalid credentials"))?;
    request.headers_mut().insert("authorization", value);
    Ok(())
}
