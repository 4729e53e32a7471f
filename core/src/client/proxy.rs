//! HTTP proxies for the client: the `proxy` option or the environment (`https_proxy`,
//! `http_proxy`, `all_proxy`, `no_proxy`, as Python `websockets` reads them), and the
//! `CONNECT` tunnel through one, with Basic credentials when the proxy URL has them.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::{Error, ErrorCode, Result};

/// Largest proxy response head read.
const MAX_HEAD: usize = 8 << 10;

/// A parsed `http://[user:pass@]host:port` proxy.
#[derive(Clone, PartialEq)]
pub struct Proxy {
    host: String,
    port: u16,
    /// `user:pass` (percent-decoded), sent as `Proxy-Authorization: Basic`.
    credentials: Option<String>,
}

impl std::fmt::Debug for Proxy {
    /// Never shows the credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Proxy({})", self.display())
    }
}

impl Proxy {
    /// Parses a proxy URL: scheme `http` (no scheme means http), a host and an optional port
    /// (default 8080, as websockets and curl use), optional `user:pass@`.
    pub fn parse(url: &str) -> Result<Proxy> {
        let bad = |why: &str| Error::invalid(format!("proxy {}: {why} (expected http://[user:pass@]host:port)", redact(url)));
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => return Err(bad(&format!("scheme {scheme:?} is not supported; only http:// proxies (HTTP CONNECT)"))),
            None => url,
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, hp)) => {
                let decoded = percent_encoding::percent_decode_str(userinfo).decode_utf8().map_err(|_| bad("credentials are not UTF-8"))?;
                (Some(decoded.into_owned()), hp)
            }
            None => (None, authority),
        };
        let (host, port) = split_host_port(host_port).ok_or_else(|| bad("no host or a bad port"))?;
        Ok(Proxy { host, port: port.unwrap_or(8080), credentials })
    }

    /// `host:port` (no credentials), for messages.
    pub fn display(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }

    /// Connects to the proxy and opens a tunnel to `host:port`; returns the tunnelled stream.
    pub(crate) async fn tunnel(&self, host: &str, port: u16) -> Result<TcpStream> {
        let fail = |m: String| Error::new(ErrorCode::Connect, format!("proxy {}: {m}", self.display()));
        let mut tcp = TcpStream::connect((self.host.as_str(), self.port)).await.map_err(|e| fail(format!("cannot connect: {e}")))?;
        let _ = tcp.set_nodelay(true);
        let target = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
        let mut req = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
        if let Some(c) = &self.credentials {
            req.push_str(&format!("Proxy-Authorization: Basic {}\r\n", crate::base64::encode(c.as_bytes())));
        }
        req.push_str("\r\n");
        tcp.write_all(req.as_bytes()).await.map_err(|e| fail(format!("cannot send CONNECT: {e}")))?;
        // Read byte by byte up to the end of the head: nothing of the tunnel may be consumed.
        let mut head = Vec::with_capacity(256);
        while !head.ends_with(b"\r\n\r\n") {
            if head.len() >= MAX_HEAD {
                return Err(fail(format!("response head to CONNECT larger than {MAX_HEAD} bytes")));
            }
            let b = tcp.read_u8().await.map_err(|e| fail(format!("connection closed during CONNECT: {e}")))?;
            head.push(b);
        }
        let mut slots = [httparse::EMPTY_HEADER; 32];
        let mut resp = httparse::Response::new(&mut slots);
        resp.parse(&head).map_err(|e| fail(format!("malformed answer to CONNECT: {e}")))?;
        match resp.code {
            Some(200..=299) => Ok(tcp),
            Some(407) => Err(fail("answered 407 Proxy Authentication Required (set user:pass in the proxy URL)".into())),
            code => Err(fail(format!("refused CONNECT to {target}: HTTP {} {}", code.unwrap_or(0), resp.reason.unwrap_or("")))),
        }
    }
}

/// `host[:port]` or `[v6][:port]`; `None` when the host is empty or the port is not 1..=65535.
fn split_host_port(s: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        (h, after.strip_prefix(':'))
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(p.parse::<u16>().ok().filter(|n| *n > 0 && p.bytes().all(|b| b.is_ascii_digit()))?),
    };
    Some((host.to_string(), port))
}

/// The URL with any `user:pass@` replaced by `***@`, for messages.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => {
            let sep = if scheme.is_empty() { "" } else { "://" };
            format!("{scheme}{sep}***@{}", &rest[at + 1..])
        }
        None => url.to_string(),
    }
}

/// Reads one environment variable in lower case, then upper case; empty counts as unset.
fn env(name: &str) -> Option<String> {
    [name.to_string(), name.to_ascii_uppercase()].iter().find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
}

/// The proxy the environment gives for a `secure` (wss) or plain connection to `host`:
/// `https_proxy` for wss, `http_proxy` for ws, then `all_proxy`; `None` when `no_proxy`
/// lists the host (a name matches itself and its subdomains; `*` matches all).
pub fn from_env(host: &str, secure: bool) -> Result<Option<Proxy>> {
    if env("no_proxy").is_some_and(|list| no_proxy_matches(&list, host)) {
        return Ok(None);
    }
    let var = if secure { "https_proxy" } else { "http_proxy" };
    match env(var).or_else(|| env("all_proxy")) {
        Some(url) => Proxy::parse(&url).map(Some),
        None => Ok(None),
    }
}

/// Whether the comma-separated `no_proxy` list covers `host` (case-insensitive; entries may
/// start with `.`, carry a `:port` that is ignored, and `*` covers every host).
pub fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    list.split(',').map(str::trim).filter(|e| !e.is_empty()).any(|entry| {
        if entry == "*" {
            return true;
        }
        let entry = entry.strip_prefix('[').map_or(entry, |e| e.split(']').next().unwrap_or(e));
        let entry = if entry.matches(':').count() == 1 { entry.split(':').next().unwrap_or(entry) } else { entry };
        let entry = entry.trim_start_matches('.').to_ascii_lowercase();
        host == entry || host.ends_with(&format!(".{entry}"))
    })
}

/// The proxy for a connection to `host` under `config`: the explicit one, else the
/// environment's when `proxy_from_env` is on. A Unix socket connection uses none.
pub(crate) fn for_target(config: &crate::ClientConfig, host: &str, secure: bool) -> Result<Option<Proxy>> {
    if config.unix_socket.is_some() {
        return Ok(None);
    }
    match &config.proxy {
        Some(p) => Proxy::parse(p).map(Some),
        None if config.proxy_from_env => from_env(host, secure),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proxy_urls_and_hides_credentials() {
        let p = Proxy::parse("http://us%40er:p%3Ass@127.0.0.1:3128/").unwrap();
        assert_eq!((p.host.as_str(), p.port, p.credentials.as_deref()), ("127.0.0.1", 3128, Some("us@er:p:ss")));
        assert!(!format!("{p:?}").contains("p:ss"));
        assert_eq!(Proxy::parse("proxy.local").unwrap().port, 8080);
        assert_eq!(Proxy::parse("http://[::1]:1080").unwrap().host, "::1");
        for bad in ["socks5://h:1", "http://:80", "http://h:0", "http://h:x", "http://u:secret@h:99999"] {
            let e = Proxy::parse(bad).unwrap_err();
            assert!(!e.to_string().contains("secret"), "{e}");
        }
        assert_eq!(redact("ws://user:pw@h:1/p?q@x"), "ws://***@h:1/p?q@x");
        assert_eq!(redact("ws://h/a@b"), "ws://h/a@b");
    }

    #[test]
    fn no_proxy_matching() {
        assert!(no_proxy_matches("localhost, .example.com", "api.example.com"));
        assert!(no_proxy_matches("example.com:443", "example.com"));
        assert!(no_proxy_matches("*", "anything"));
        assert!(no_proxy_matches("[::1]", "[::1]"));
        assert!(!no_proxy_matches("example.com", "badexample.com"));
        assert!(!no_proxy_matches("", "h"));
    }
}
