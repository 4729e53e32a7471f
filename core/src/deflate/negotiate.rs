//! RFC 7692 §5-§7.1 negotiation: parsing `Sec-WebSocket-Extensions` values, the server's
//! choice among a client's offers, the client's offer and its check of the server's answer.

use super::{Params, Settings, EXTENSION};

/// Why a negotiation failed (client side: the connection must fail) or an offer was declined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiationError(pub String);

impl std::fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "permessage-deflate negotiation: {}", self.0)
    }
}

impl std::error::Error for NegotiationError {}

fn err<T>(msg: impl Into<String>) -> Result<T, NegotiationError> {
    Err(NegotiationError(msg.into()))
}

/// One extension of a header value: its name and its parameters (value unquoted).
type Extension = (String, Vec<(String, Option<String>)>);

/// Splits header values into extensions (`name; p; p=v, name2…`), honouring quoted strings.
fn split_extensions<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Vec<Extension>, NegotiationError> {
    let mut out = Vec::new();
    for value in values {
        // Split into elements at top-level ',' and ';', remembering which separator ended each.
        let mut elements: Vec<(String, char)> = Vec::new();
        let (mut cur, mut quoted, mut escaped) = (String::new(), false, false);
        for c in value.chars() {
            if quoted {
                cur.push(c);
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    quoted = false;
                }
            } else if c == ',' || c == ';' {
                elements.push((std::mem::take(&mut cur), c));
            } else {
                if c == '"' {
                    quoted = true;
                }
                cur.push(c);
            }
        }
        if quoted {
            return err("unterminated quoted string");
        }
        elements.push((cur, ','));
        let mut current: Option<Extension> = None;
        for (text, sep) in elements {
            let text = text.trim();
            match current.as_mut() {
                None => {
                    if text.is_empty() {
                        // Empty list elements are allowed by the `#` rule.
                        if sep == ';' {
                            return err("parameter without an extension name");
                        }
                        continue;
                    }
                    if !is_token(text) {
                        return err(format!("invalid extension name {text:?}"));
                    }
                    current = Some((text.to_ascii_lowercase(), Vec::new()));
                }
                Some((_, params)) => {
                    if text.is_empty() {
                        return err("empty extension parameter");
                    }
                    params.push(parse_param(text)?);
                }
            }
            if sep == ',' {
                out.extend(current.take());
            }
        }
    }
    Ok(out)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn parse_param(text: &str) -> Result<(String, Option<String>), NegotiationError> {
    let Some((name, value)) = text.split_once('=') else {
        return if is_token(text) { Ok((text.to_ascii_lowercase(), None)) } else { err(format!("invalid parameter {text:?}")) };
    };
    let (name, value) = (name.trim(), value.trim());
    if !is_token(name) {
        return err(format!("invalid parameter name {name:?}"));
    }
    let value = if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        let mut v = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            v.push(if c == '\\' { chars.next().unwrap_or('\\') } else { c });
        }
        v
    } else if is_token(value) {
        value.to_string()
    } else {
        return err(format!("invalid value for {name}: {value:?}"));
    };
    Ok((name.to_ascii_lowercase(), Some(value)))
}

/// `client_max_window_bits` in an offer: absent, valueless ("any value you like"), or a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientBits {
    Absent,
    Any,
    Max(u8),
}

/// A parsed `permessage-deflate` element (an offer, or a response with `Any` not allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Element {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    client_max_window_bits: ClientBits,
}

/// Window bits: a decimal 8-15 without leading zeros (RFC 7692 §7.1.2).
fn window_bits(name: &str, value: Option<&str>) -> Result<u8, NegotiationError> {
    match value {
        Some(v) if v.len() <= 2 && !v.starts_with('0') && v.bytes().all(|b| b.is_ascii_digit()) => match v.parse::<u8>() {
            Ok(n @ 8..=15) => Ok(n),
            _ => err(format!("{name}={v} is outside 8..15")),
        },
        Some(v) => err(format!("{name}={v:?} is not a number 8..15")),
        None => err(format!("{name} needs a value")),
    }
}

/// Parses the parameters of one `permessage-deflate` element; unknown, duplicate or invalid
/// parameters are errors (the RFC makes a server decline such an offer, a client fail).
fn parse_element(params: &[(String, Option<String>)], offer: bool) -> Result<Element, NegotiationError> {
    let mut e = Element { server_no_context_takeover: false, client_no_context_takeover: false, server_max_window_bits: None, client_max_window_bits: ClientBits::Absent };
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in params {
        if seen.contains(&name.as_str()) {
            return err(format!("duplicate parameter {name}"));
        }
        seen.push(name);
        let value = value.as_deref();
        match name.as_str() {
            "server_no_context_takeover" | "client_no_context_takeover" => {
                if value.is_some() {
                    return err(format!("{name} takes no value"));
                }
                if name == "server_no_context_takeover" {
                    e.server_no_context_takeover = true;
                } else {
                    e.client_no_context_takeover = true;
                }
            }
            "server_max_window_bits" => e.server_max_window_bits = Some(window_bits(name, value)?),
            "client_max_window_bits" => {
                e.client_max_window_bits = match value {
                    None if offer => ClientBits::Any,
                    v => ClientBits::Max(window_bits(name, v)?),
                }
            }
            _ => return err(format!("unknown parameter {name}")),
        }
    }
    Ok(e)
}

/// The server's side: picks the first acceptable `permessage-deflate` offer among the
/// `Sec-WebSocket-Extensions` header values and returns the parameters to answer with, or
/// `None` (compression declined; the connection goes on without it). Offers with unknown,
/// duplicate or invalid parameters are declined, as are offers the server cannot honour
/// (a compression window below 9 bits, which zlib cannot produce).
pub fn server_negotiate<'a>(settings: &Settings, header_values: impl IntoIterator<Item = &'a str>) -> Option<Params> {
    let extensions = split_extensions(header_values).ok()?;
    extensions.iter().filter(|(name, _)| name == EXTENSION).find_map(|(_, params)| {
        let offer = parse_element(params, true).ok()?;
        server_answer(settings, &offer)
    })
}

fn server_answer(s: &Settings, offer: &Element) -> Option<Params> {
    let server_max_window_bits = match offer.server_max_window_bits {
        // The client limits our window: answer with the same or a smaller value.
        Some(n) => Some(n.min(s.server_max_window_bits)),
        None => (s.server_max_window_bits < 15).then_some(s.server_max_window_bits),
    };
    if server_max_window_bits.is_some_and(|n| n < super::MIN_COMPRESS_WINDOW) {
        return None;
    }
    let client_max_window_bits = match offer.client_max_window_bits {
        // Without the parameter in the offer the response must not carry it.
        ClientBits::Absent => None,
        ClientBits::Any => (s.client_max_window_bits < 15).then_some(s.client_max_window_bits),
        ClientBits::Max(n) => Some(n.min(s.client_max_window_bits)),
    };
    Some(Params {
        server_no_context_takeover: offer.server_no_context_takeover || s.server_no_context_takeover,
        client_no_context_takeover: offer.client_no_context_takeover || s.client_no_context_takeover,
        server_max_window_bits,
        client_max_window_bits,
    })
}

/// The client's offer, a `Sec-WebSocket-Extensions` value. `client_max_window_bits` is always
/// offered (valueless when the settings allow 15 bits) so the server may size our window.
pub fn client_offer(s: &Settings) -> String {
    let mut v = String::from(EXTENSION);
    if s.server_no_context_takeover {
        v.push_str("; server_no_context_takeover");
    }
    if s.client_no_context_takeover {
        v.push_str("; client_no_context_takeover");
    }
    if s.server_max_window_bits < 15 {
        v.push_str(&format!("; server_max_window_bits={}", s.server_max_window_bits));
    }
    if s.client_max_window_bits < 15 {
        v.push_str(&format!("; client_max_window_bits={}", s.client_max_window_bits));
    } else {
        v.push_str("; client_max_window_bits");
    }
    v
}

/// The client's check of the server's `Sec-WebSocket-Extensions` values after sending
/// [`client_offer`]`(s)`: `Ok(None)` when the server declined compression, `Ok(Some(params))`
/// when it accepted, an error (fail the connection) when the answer is not one the offer
/// allows or one this side cannot honour.
pub fn client_accept<'a>(s: &Settings, header_values: impl IntoIterator<Item = &'a str>) -> Result<Option<Params>, NegotiationError> {
    let extensions = split_extensions(header_values)?;
    let mut found: Option<Params> = None;
    for (name, params) in &extensions {
        if name != EXTENSION {
            return err(format!("server accepted extension {name:?}, which was not offered"));
        }
        if found.is_some() {
            return err("server answered with permessage-deflate twice");
        }
        let e = parse_element(params, false)?;
        if s.server_no_context_takeover && !e.server_no_context_takeover {
            return err("server_no_context_takeover was requested but not accepted");
        }
        if s.server_max_window_bits < 15 {
            match e.server_max_window_bits {
                None => return err("server_max_window_bits was requested but not accepted"),
                Some(n) if n > s.server_max_window_bits => return err(format!("server_max_window_bits={n} is larger than offered")),
                _ => {}
            }
        }
        let client_max_window_bits = match e.client_max_window_bits {
            ClientBits::Max(n) if n > s.client_max_window_bits => return err(format!("client_max_window_bits={n} is larger than offered")),
            ClientBits::Max(n) if n < super::MIN_COMPRESS_WINDOW => return err(format!("client_max_window_bits={n} cannot be honoured (zlib compresses with at least 9 bits)")),
            ClientBits::Max(n) => Some(n),
            ClientBits::Absent | ClientBits::Any => None,
        };
        found = Some(Params {
            server_no_context_takeover: e.server_no_context_takeover,
            client_no_context_takeover: e.client_no_context_takeover,
            server_max_window_bits: e.server_max_window_bits,
            client_max_window_bits,
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(offer: &str) -> Option<String> {
        server_negotiate(&Settings::default(), [offer]).map(|p| p.response())
    }

    #[test]
    fn server_answers_the_first_acceptable_offer() {
        assert_eq!(server("permessage-deflate").as_deref(), Some("permessage-deflate"));
        assert_eq!(server("x-webkit-deflate-frame, permessage-deflate; client_max_window_bits").as_deref(), Some("permessage-deflate"));
        assert_eq!(server("permessage-deflate; server_max_window_bits=8, permessage-deflate; client_no_context_takeover").as_deref(), Some("permessage-deflate; client_no_context_takeover"), "8 bits declined, next offer taken");
        assert_eq!(server("permessage-deflate; server_max_window_bits=9").as_deref(), Some("permessage-deflate; server_max_window_bits=9"));
        assert_eq!(server("permessage-deflate; server_no_context_takeover; client_max_window_bits=10").as_deref(), Some("permessage-deflate; server_no_context_takeover; client_max_window_bits=10"));
        assert_eq!(server("permessage-deflate; client_max_window_bits=\"8\"").as_deref(), Some("permessage-deflate; client_max_window_bits=8"), "quoted values, 8 fine for the peer's compressor");
        assert_eq!(server("Permessage-Deflate; Server_No_Context_Takeover").as_deref(), Some("permessage-deflate; server_no_context_takeover"));
        assert_eq!(server("x-webkit-deflate-frame"), None);
        assert_eq!(server(""), None);
    }

    #[test]
    fn server_declines_invalid_offers() {
        for bad in [
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=010",
            "permessage-deflate; client_max_window_bits=abc",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; mystery",
            "permessage-deflate; client_max_window_bits=\"10",
        ] {
            assert_eq!(server(bad), None, "{bad}");
        }
    }

    #[test]
    fn server_settings_shape_the_answer() {
        let s = Settings { server_max_window_bits: 12, client_max_window_bits: 12, server_no_context_takeover: true, ..Settings::default() };
        let p = server_negotiate(&s, ["permessage-deflate; client_max_window_bits"]).unwrap();
        assert_eq!(p.response(), "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=12");
        let p = server_negotiate(&s, ["permessage-deflate; server_max_window_bits=10"]).unwrap();
        assert_eq!(p.server_max_window_bits, Some(10));
        assert_eq!(p.client_max_window_bits, None, "not offered, so not in the answer");
    }

    #[test]
    fn header_values_split_across_lines_and_commas() {
        let p = server_negotiate(&Settings::default(), ["foo; a=\"x,y;z\"", " , permessage-deflate ;client_no_context_takeover"]).unwrap();
        assert!(p.client_no_context_takeover);
    }

    #[test]
    fn client_offer_and_accept() {
        let s = Settings::default();
        assert_eq!(client_offer(&s), "permessage-deflate; client_max_window_bits");
        let s2 = Settings { server_no_context_takeover: true, server_max_window_bits: 10, client_max_window_bits: 11, ..Settings::default() };
        assert_eq!(client_offer(&s2), "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11");
        assert_eq!(client_accept(&s, std::iter::empty()).unwrap(), None);
        let p = client_accept(&s, ["permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"]).unwrap().unwrap();
        assert_eq!((p.server_max_window_bits, p.client_max_window_bits), (Some(12), Some(12)));
        assert!(client_accept(&s, ["permessage-deflate; client_no_context_takeover"]).unwrap().unwrap().client_no_context_takeover);
        for bad in [
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; client_max_window_bits=8",
            "permessage-deflate; bogus",
            "permessage-deflate, permessage-deflate",
            "x-other",
        ] {
            assert!(client_accept(&s, [bad]).is_err(), "{bad}");
        }
        assert!(client_accept(&s2, ["permessage-deflate; server_max_window_bits=10"]).is_err(), "server_no_context_takeover missing");
        assert!(client_accept(&s2, ["permessage-deflate; server_no_context_takeover"]).is_err(), "server_max_window_bits missing");
        assert!(client_accept(&s2, ["permessage-deflate; server_no_context_takeover; server_max_window_bits=11"]).is_err(), "larger than offered");
        assert!(client_accept(&s2, ["permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits=12"]).is_err());
        assert!(client_accept(&s2, ["permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9"]).is_ok());
    }
}
