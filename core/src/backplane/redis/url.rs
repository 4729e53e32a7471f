//! Reads the backplane's `redis://` / `rediss://` URL into what the dialer needs.
//!
//! Parsed here rather than by redis-rs, whose parser is a general URL parser with
//! internationalised domain names (Unicode tables that would be linked into every library for
//! a few characters of host name). The grammar is redis-rs's:
//! `redis[s]://[user][:password@]host[:port][/db][?protocol=2|3|resp2|resp3]`, user and
//! password percent-encoded, an IPv6 host in brackets.

use std::net::Ipv6Addr;

use percent_encoding::percent_decode_str;
use redis::{ProtocolVersion, RedisConnectionInfo};

/// The Redis port when the URL names none.
const DEFAULT_PORT: u16 = 6379;

/// A parsed backplane URL.
#[derive(Debug)]
pub(super) struct RedisUrl {
    /// Host name or IP address (an IPv6 address without its brackets).
    pub(super) host: String,
    pub(super) port: u16,
    /// `rediss://`: TLS to Redis.
    pub(super) tls: bool,
    /// Database, credentials and protocol version.
    pub(super) info: RedisConnectionInfo,
}

/// Parses `url`; the error says what is wrong (without repeating the URL, which may hold a
/// password).
pub(super) fn parse(url: &str) -> Result<RedisUrl, String> {
    let (tls, rest) = match (url.strip_prefix("rediss://"), url.strip_prefix("redis://")) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        _ => return Err("expected redis://host:port/ or rediss://host:port/".into()),
    };
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    let (userinfo, host_port) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    let (host, port) = split_host_port(host_port)?;
    if host == "0.0.0.0" || host == "::" {
        return Err("cannot connect to a wildcard address (0.0.0.0 or ::)".into());
    }
    let mut info = RedisConnectionInfo::default().set_db(match path.trim_matches('/') {
        "" => 0,
        db => db.parse::<i64>().map_err(|_| format!("invalid database number {db:?}"))?,
    });
    if let Some(userinfo) = userinfo {
        let (user, password) = userinfo.split_once(':').map_or((userinfo, ""), |(u, p)| (u, p));
        if !user.is_empty() {
            info = info.set_username(decode(user, "username")?);
        }
        if !password.is_empty() {
            info = info.set_password(decode(password, "password")?);
        }
    }
    for pair in query.split('&') {
        if let Some(("protocol", v)) = pair.split_once('=') {
            info = info.set_protocol(match decode(v, "protocol")?.as_str() {
                "2" | "resp2" => ProtocolVersion::RESP2,
                "3" | "resp3" => ProtocolVersion::RESP3,
                other => return Err(format!("invalid protocol version {other:?} (expected 2 or 3)")),
            });
        }
    }
    Ok(RedisUrl { host, port, tls, info })
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`; the host in lower case.
fn split_host_port(s: &str) -> Result<(String, u16), String> {
    let (host, port) = match s.strip_prefix('[') {
        Some(v6) => {
            let (addr, after) = v6.split_once(']').ok_or("unclosed '[' in the host")?;
            addr.parse::<Ipv6Addr>().map_err(|_| format!("invalid IPv6 address {addr:?}"))?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or("unexpected characters after the IPv6 address")?),
            };
            (addr, port)
        }
        None => match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        },
    };
    if host.is_empty() {
        return Err("missing host name".into());
    }
    if !host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':')) {
        return Err(format!("invalid host name {host:?}"));
    }
    let port = match port {
        None | Some("") => DEFAULT_PORT,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return Err(format!("port {p:?} must be a number from 1 to 65535")),
        },
    };
    Ok((host.to_ascii_lowercase(), port))
}

/// Percent-decodes one URL component that must be UTF-8.
fn decode(s: &str, what: &str) -> Result<String, String> {
    percent_decode_str(s).decode_utf8().map(|c| c.into_owned()).map_err(|_| format!("the {what} is not valid UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_ports_and_schemes() {
        let u = parse("redis://127.0.0.1:6380/").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.tls), ("127.0.0.1", 6380, false));
        let u = parse("rediss://Cache.Example.com").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.tls), ("cache.example.com", 6379, true));
        let u = parse("redis://[::1]:7000/2").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.info.db()), ("::1", 7000, 2));
        assert_eq!(parse("redis://[fe80::1]").unwrap().port, 6379);
        assert_eq!(parse("redis://h:/").unwrap().port, 6379);
    }

    #[test]
    fn credentials_db_and_protocol() {
        let u = parse("redis://:s3cret@host:6379/0").unwrap();
        assert_eq!((u.info.username(), u.info.password(), u.info.db()), (None, Some("s3cret"), 0));
        let u = parse("rediss://user:p@ss@host/5").unwrap();
        assert_eq!((u.info.username(), u.info.password(), u.info.db(), u.host.as_str()), (Some("user"), Some("p@ss"), 5, "host"));
        let u = parse("redis://us%20er:p%3Aw%40d@host").unwrap();
        assert_eq!((u.info.username(), u.info.password()), (Some("us er"), Some("p:w@d")));
        assert_eq!(parse("redis://h/?protocol=resp3").unwrap().info.protocol(), ProtocolVersion::RESP3);
        assert_eq!(parse("redis://h/1?x=y&protocol=2").unwrap().info.protocol(), ProtocolVersion::RESP2);
        assert_eq!(parse("redis://h").unwrap().info.protocol(), ProtocolVersion::RESP2);
    }

    #[test]
    fn bad_urls_say_why() {
        for (url, why) in [
            ("http://h/", "expected redis://"),
            ("redis:///", "missing host"),
            ("redis://:pw@/", "missing host"),
            ("redis://h:0/", "port \"0\""),
            ("redis://h:65536/", "port"),
            ("redis://h:x/", "port"),
            ("redis://h/abc", "database number"),
            ("redis://0.0.0.0/", "wildcard"),
            ("redis://[::]/", "wildcard"),
            ("redis://[::1/", "unclosed"),
            ("redis://[zz]/", "IPv6"),
            ("redis://[::1]x/", "after the IPv6"),
            ("redis://h o/", "invalid host"),
            ("redis://:%ff@h/", "password is not valid UTF-8"),
            ("redis://h/?protocol=4", "protocol version"),
        ] {
            let e = parse(url).unwrap_err();
            assert!(e.contains(why), "{url}: {e}");
        }
    }
}
