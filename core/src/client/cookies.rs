//! Cookies of a client: the configured ones and a small jar of those the server set
//! (`Set-Cookie` on a handshake response, kept for the client's reconnects and redirects).
//! The jar keeps name and value with domain and path matching (RFC 6265 §5.1.3, §5.1.4),
//! `Secure`, and expiry by `Max-Age` or `Expires`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// Most cookies the jar keeps (the oldest go first).
const MAX_COOKIES: usize = 64;
/// Longest `Set-Cookie` value considered.
const MAX_SET_COOKIE: usize = 4096;

/// Checks configured `(name, value)` cookie pairs: a token name and a value without
/// `;`, `,`, `"`, `\`, spaces or control characters (RFC 6265 §4.1.1).
pub fn check_pairs(pairs: &[(String, String)]) -> Result<()> {
    for (name, value) in pairs {
        if name.is_empty() || !name.bytes().all(is_token) {
            return Err(Error::invalid(format!("cookie name {name:?} must be a non-empty HTTP token")));
        }
        if !value.bytes().all(is_cookie_octet) {
            return Err(Error::invalid(format!("cookie {name:?}: the value may not hold ';', ',', '\"', '\\\\', spaces or control characters")));
        }
    }
    Ok(())
}

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_cookie_octet(b: u8) -> bool {
    b == 0x21 || (0x23..=0x2b).contains(&b) || (0x2d..=0x3a).contains(&b) || (0x3c..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b)
}

#[derive(Debug, Clone, PartialEq)]
struct Cookie {
    name: String,
    value: String,
    domain: String,
    /// No `Domain` attribute: only the exact host gets it back.
    host_only: bool,
    path: String,
    secure: bool,
    expires: Option<SystemTime>,
}

/// The cookies a server set for this client.
#[derive(Debug, Default)]
pub struct Jar {
    cookies: Vec<Cookie>,
}

impl Jar {
    /// Stores the `Set-Cookie` headers of a response to a request for `host` and `path`.
    pub fn store(&mut self, host: &str, path: &str, headers: &[(String, String)]) {
        let now = SystemTime::now();
        for (_, v) in headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie")) {
            if v.len() <= MAX_SET_COOKIE {
                if let Some(c) = parse_set_cookie(v, host, path, now) {
                    self.cookies.retain(|o| !(o.name == c.name && o.domain == c.domain && o.path == c.path));
                    if c.expires.is_none_or(|e| e > now) {
                        self.cookies.push(c);
                    }
                }
            }
        }
        if self.cookies.len() > MAX_COOKIES {
            let extra = self.cookies.len() - MAX_COOKIES;
            self.cookies.drain(..extra);
        }
    }

    /// The `(name, value)` pairs to send to `host` at `path` (`secure` for wss).
    pub fn matching(&self, host: &str, path: &str, secure: bool) -> Vec<(String, String)> {
        let now = SystemTime::now();
        let host = host.to_ascii_lowercase();
        self.cookies
            .iter()
            .filter(|c| c.expires.is_none_or(|e| e > now))
            .filter(|c| !c.secure || secure)
            .filter(|c| if c.host_only { host == c.domain } else { domain_matches(&host, &c.domain) })
            .filter(|c| path_matches(path, &c.path))
            .map(|c| (c.name.clone(), c.value.clone()))
            .collect()
    }
}

/// The `Cookie` header value for the configured pairs followed by the jar's (a jar cookie
/// with the name of a configured one is left out); `None` when there are none.
pub fn header(configured: &[(String, String)], jar: &[(String, String)]) -> Option<String> {
    let mut parts: Vec<String> = configured.iter().map(|(n, v)| format!("{n}={v}")).collect();
    for (n, v) in jar {
        if !configured.iter().any(|(c, _)| c == n) {
            parts.push(format!("{n}={v}"));
        }
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn domain_matches(host: &str, domain: &str) -> bool {
    host == domain || (host.ends_with(domain) && host[..host.len() - domain.len()].ends_with('.') && host.parse::<std::net::IpAddr>().is_err())
}

fn path_matches(request: &str, cookie: &str) -> bool {
    request == cookie
        || (request.starts_with(cookie) && (cookie.ends_with('/') || request[cookie.len()..].starts_with('/')))
}

/// The default path of a cookie set from a request to `path` (RFC 6265 §5.1.4).
fn default_path(path: &str) -> String {
    match path.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => path[..i].into(),
    }
}

fn parse_set_cookie(header: &str, host: &str, path: &str, now: SystemTime) -> Option<Cookie> {
    let mut parts = header.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    let (name, value) = (name.trim(), value.trim().trim_matches('"'));
    if name.is_empty() || !name.bytes().all(is_token) || !value.bytes().all(is_cookie_octet) {
        return None;
    }
    let host = host.to_ascii_lowercase();
    let mut c = Cookie {
        name: name.into(),
        value: value.into(),
        domain: host.clone(),
        host_only: true,
        path: default_path(path),
        secure: false,
        expires: None,
    };
    let mut max_age_seen = false;
    for attr in parts {
        let (k, v) = attr.split_once('=').map_or((attr.trim(), ""), |(k, v)| (k.trim(), v.trim()));
        match k.to_ascii_lowercase().as_str() {
            "domain" if !v.is_empty() => {
                let d = v.trim_start_matches('.').to_ascii_lowercase();
                if !domain_matches(&host, &d) {
                    return None; // a cookie for another site is ignored (§5.3 step 6)
                }
                c.domain = d;
                c.host_only = false;
            }
            "path" if v.starts_with('/') => c.path = v.into(),
            "secure" => c.secure = true,
            "max-age" => {
                if let Ok(secs) = v.parse::<i64>() {
                    max_age_seen = true;
                    c.expires = Some(if secs <= 0 { UNIX_EPOCH } else { now + Duration::from_secs(secs.min(1 << 40) as u64) });
                }
            }
            "expires" if !max_age_seen => c.expires = parse_http_date(v).or(c.expires),
            _ => {}
        }
    }
    Some(c)
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), also with `-` between the date
/// parts as older servers write it.
fn parse_http_date(s: &str) -> Option<SystemTime> {
    let s = s.split_once(',').map_or(s, |(_, rest)| rest).trim();
    let fields: Vec<&str> = s.split([' ', '-']).filter(|f| !f.is_empty()).collect();
    let [day, month, year, time, ..] = fields.as_slice() else { return None };
    let day: u64 = day.parse().ok()?;
    let month = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        .iter()
        .position(|m| month.len() >= 3 && month[..3].eq_ignore_ascii_case(m))? as u64
        + 1;
    let mut year: i64 = year.parse().ok()?;
    if year < 100 {
        year += if year < 70 { 2000 } else { 1900 };
    }
    let hms: Vec<u64> = time.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let [h, m, sec] = hms.as_slice() else { return None };
    if !(1..=31).contains(&day) || year < 1970 || *h > 23 || *m > 59 || *sec > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, mo) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * mo as i64 + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + m * 60 + sec;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &str) -> Vec<(String, String)> {
        vec![("Set-Cookie".into(), v.into())]
    }

    #[test]
    fn jar_matches_domain_path_secure_and_expiry() {
        let mut jar = Jar::default();
        jar.store("app.example.com", "/ws/chat", &set("sid=1; Path=/ws; HttpOnly"));
        jar.store("app.example.com", "/ws/chat", &set("wide=2; Domain=.example.com; Path=/"));
        jar.store("app.example.com", "/ws/chat", &set("sec=3; Secure"));
        jar.store("app.example.com", "/ws/chat", &set("other=4; Domain=evil.com"));
        jar.store("app.example.com", "/ws/chat", &set("gone=5; Max-Age=0"));
        jar.store("app.example.com", "/ws/chat", &set("old=6; Expires=Thu, 01 Jan 1998 00:00:00 GMT"));
        jar.store("app.example.com", "/ws/chat", &set("later=7; Expires=Fri, 01 Jan 2100 00:00:00 GMT"));
        let names = |v: Vec<(String, String)>| v.into_iter().map(|(n, _)| n).collect::<Vec<_>>();
        assert_eq!(names(jar.matching("app.example.com", "/ws/x", false)), ["sid", "wide", "later"]);
        assert_eq!(names(jar.matching("app.example.com", "/ws", true)), ["sid", "wide", "sec", "later"]);
        assert_eq!(names(jar.matching("b.example.com", "/", false)), ["wide"]);
        assert_eq!(names(jar.matching("app.example.com", "/wsx", false)), ["wide"], "/ws does not path-match /wsx");
        jar.store("app.example.com", "/ws/chat", &set("sid=9; Path=/ws"));
        assert!(jar.matching("app.example.com", "/ws", false).contains(&("sid".into(), "9".into())));
        jar.store("app.example.com", "/ws/chat", &set("sid=x; Path=/ws; Max-Age=-1"));
        assert!(!names(jar.matching("app.example.com", "/ws", false)).contains(&"sid".to_string()));
    }

    #[test]
    fn header_and_checks() {
        assert_eq!(header(&[("a".into(), "1".into())], &[("a".into(), "2".into()), ("b".into(), "3".into())]).as_deref(), Some("a=1; b=3"));
        assert_eq!(header(&[], &[]), None);
        assert!(check_pairs(&[("a b".into(), "1".into())]).is_err());
        assert!(check_pairs(&[("a".into(), "1;2".into())]).is_err());
        check_pairs(&[("a".into(), "x-y.z".into())]).unwrap();
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(UNIX_EPOCH + Duration::from_secs(784_111_777)));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(UNIX_EPOCH + Duration::from_secs(784_111_777)));
        assert_eq!(parse_http_date("garbage"), None);
    }
}
