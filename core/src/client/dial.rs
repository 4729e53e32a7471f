//! The way to an open WebSocket: the transport (TCP, an HTTP proxy tunnel or a Unix socket),
//! TLS, the opening handshake with cookies, and redirects.

use tokio::net::TcpStream;

use super::handshake::{handshake, Accepted};
use super::session::Target;
use super::{cookies, proxy, redirect, Shared};
use crate::error::{Error, ErrorCode, Result};
use crate::io::{BoxedIo, NetStream, Stream};

/// What a client remembers between attempts.
#[derive(Debug, Default)]
pub(super) struct State {
    /// Cookies the server set.
    cookies: cookies::Jar,
    /// HTTP 429 answers since the last open (see `too_many_requests_path_suffix`).
    busy: u32,
}

/// A connection whose opening handshake succeeded.
pub(super) struct Opened {
    /// The stream, positioned after the response head.
    pub io: BoxedIo,
    /// What the handshake answered.
    pub accepted: Accepted,
    /// Peer address (the proxy's through a proxy; the socket path for a Unix socket).
    pub remote: String,
    /// Local address (empty for a Unix socket).
    pub local: String,
    /// Path of the URL finally connected to (after redirects).
    pub path: String,
    /// Query of that URL.
    pub query: String,
}

/// Opens `first` (following redirects up to `max_redirects`), sending the configured cookies
/// and those of the jar, and storing the cookies the server sets.
pub(super) async fn open(shared: &Shared, first: &Target) -> Result<Opened> {
    let config = &shared.config;
    let busy = shared.dial.lock().unwrap_or_else(|e| e.into_inner()).busy;
    let mut redirected: Option<Target> = match busy {
        n if n > 0 && config.too_many_requests_path_suffix => Some(Target::parse(config, &with_path_suffix(&first.raw, n))?),
        _ => None,
    };
    let mut hops = 0u32;
    loop {
        let target = redirected.as_ref().unwrap_or(first);
        let (mut io, remote, local) = transport(config, target).await?;
        let uri = target.request.uri();
        let (host, path) = (target.host.as_str(), uri.path());
        let mut request = target.request.clone();
        let jar = shared.dial.lock().unwrap_or_else(|e| e.into_inner()).cookies.matching(host, path, target.tls.is_some());
        if let Some(v) = cookies::header(&config.cookies, &jar) {
            let v = tungstenite::http::HeaderValue::from_str(&v).map_err(|_| Error::invalid("invalid Cookie header"))?;
            request.headers_mut().insert("cookie", v);
        }
        let result = handshake(&mut io, &request, &config.subprotocols, &target.url).await;
        let headers = match &result {
            Ok(a) => &a.headers,
            Err(e) => match e.refusal() {
                Some(r) => &r.headers,
                None => return Err(result.err().unwrap_or_else(|| Error::new(ErrorCode::Connect, "handshake failed"))),
            },
        };
        {
            let mut state = shared.dial.lock().unwrap_or_else(|e| e.into_inner());
            state.cookies.store(host, path, headers);
            match &result {
                Ok(_) => state.busy = 0,
                Err(e) if e.refusal().is_some_and(|r| r.status == 429) => state.busy = state.busy.saturating_add(1),
                Err(_) => {}
            }
        }
        match result {
            Ok(accepted) => {
                let (path, query) = (path.to_string(), uri.query().unwrap_or("").to_string());
                return Ok(Opened { io, accepted, remote, local, path, query });
            }
            Err(e) => {
                let Some((refusal, location)) = e.refusal().and_then(|r| Some((r, redirect::location(r)?))) else { return Err(e) };
                if hops >= config.max_redirects {
                    return Err(redirect::not_followed(&target.url, refusal, location, config.max_redirects));
                }
                let next = redirect::resolve(&target.raw, location)?;
                redirected = Some(Target::parse(config, &next)?);
                hops += 1;
            }
        }
    }
}

/// `url` with `-n` appended to its path (before any query): `ws://h/chat` → `ws://h/chat-1`.
fn with_path_suffix(url: &str, n: u32) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let path_start = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(path_start);
    let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
    let (path, query) = tail.split_at(path_end);
    let path = if path.is_empty() { "/" } else { path };
    format!("{scheme}://{authority}{path}-{n}{query}")
}

/// The byte stream to `target`: over a Unix socket, a proxy tunnel or TCP, then TLS for wss.
async fn transport(config: &crate::ClientConfig, target: &Target) -> Result<(BoxedIo, String, String)> {
    let url = &target.url;
    if let Some(path) = &config.unix_socket {
        return unix(path, target).await;
    }
    let tcp = match proxy::for_target(config, &target.host, target.tls.is_some())? {
        Some(p) => p.tunnel(&target.host, target.port).await.map_err(|e| Error::new(ErrorCode::Connect, format!("cannot connect to {url}: {}", e.message())))?,
        None => {
            let tcp = TcpStream::connect((target.host.as_str(), target.port))
                .await
                .map_err(|e| Error::new(ErrorCode::Connect, format!("cannot connect to {url}: {e}")))?;
            let _ = tcp.set_nodelay(true);
            tcp
        }
    };
    let remote = tcp.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    let local = tcp.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let io = match target.tls {
        None => Stream::tcp(tcp),
        Some(_) => secure(target, NetStream::Tcp(tcp)).await?,
    };
    Ok((io, remote, local))
}

#[cfg(unix)]
async fn unix(path: &std::path::Path, target: &Target) -> Result<(BoxedIo, String, String)> {
    let s = tokio::net::UnixStream::connect(path)
        .await
        .map_err(|e| Error::new(ErrorCode::Connect, format!("cannot connect to {} over the Unix socket {}: {e}", target.url, path.display())))?;
    let io = match target.tls {
        None => Stream::boxed(s),
        Some(_) => secure(target, NetStream::Unix(s)).await?,
    };
    Ok((io, path.display().to_string(), String::new()))
}

#[cfg(not(unix))]
async fn unix(path: &std::path::Path, _target: &Target) -> Result<(BoxedIo, String, String)> {
    Err(Error::invalid(format!("unix_socket {}: Unix domain sockets are not available on this platform", path.display())))
}

/// The TLS handshake of a wss target over `s`.
async fn secure(target: &Target, s: NetStream) -> Result<BoxedIo> {
    let Some((config, name)) = &target.tls else { return Ok(Stream::boxed(s)) };
    let tls = tokio_rustls::TlsConnector::from(config.clone()).connect(name.clone(), s).await.map_err(|e| {
        let e = e.to_string();
        let hint = if e.contains("CaUsedAsEndEntity") {
            format!(" (the server presents {})", crate::tls::CA_AS_SERVER_CERT_FIX)
        } else {
            String::new()
        };
        Error::new(ErrorCode::Tls, format!("TLS handshake with {} failed: {e}{hint}", target.url))
    })?;
    Ok(Stream::boxed(tls))
}

#[cfg(test)]
mod tests {
    #[test]
    fn path_suffix_goes_before_the_query() {
        assert_eq!(super::with_path_suffix("ws://h:1/chat", 1), "ws://h:1/chat-1");
        assert_eq!(super::with_path_suffix("wss://h/chat?x=1", 2), "wss://h/chat-2?x=1");
        assert_eq!(super::with_path_suffix("ws://h", 3), "ws://h/-3");
    }
}
