//! permessage-deflate (RFC 7692) on the client: the offer sent in the upgrade request and the
//! strict check of the server's answer. The codec itself is [`crate::deflate`].

use crate::config::ClientConfig;
use crate::deflate::{self, Params};
use crate::error::{Error, ErrorCode, Result};

/// The request header that carries extension offers and answers.
pub(super) const HEADER: &str = "sec-websocket-extensions";

/// The `Sec-WebSocket-Extensions` value to send, if `config` asks for compression.
pub(super) fn offer(config: &ClientConfig) -> Option<String> {
    config.compression.then(|| deflate::client_offer(&config.compression_options.settings()))
}

/// Checks the extensions the server accepted (`headers` of its 101 answer). With compression
/// offered: `Ok(Some(params))` when it was accepted, `Ok(None)` when declined, and an error (the
/// connection fails, RFC 7692 §5) for an answer the offer does not allow. Without an offer, any
/// accepted extension fails the connection, unless the host sent its own
/// `Sec-WebSocket-Extensions` header (then the answer is the host's business).
pub(super) fn accept(config: &ClientConfig, headers: &[(String, String)], url: &str) -> Result<Option<Params>> {
    let values = headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(HEADER)).map(|(_, v)| v.as_str());
    let fail = |m: String| Error::new(ErrorCode::Connect, format!("WebSocket handshake with {url} failed: {m}"));
    if config.compression {
        return deflate::client_accept(&config.compression_options.settings(), values).map_err(|e| fail(e.0));
    }
    let host_offered = config.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(HEADER));
    match values.map(str::trim).find(|v| !v.is_empty()) {
        Some(v) if !host_offered => Err(fail(format!("the server accepted extension(s) {v:?}, none was offered"))),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(cfg: &ClientConfig, value: &str) -> Result<Option<Params>> {
        accept(cfg, &[("Sec-WebSocket-Extensions".into(), value.into())], "ws://x/")
    }

    #[test]
    fn offer_follows_the_options_and_the_answer_is_checked_strictly() {
        let mut cfg = ClientConfig::new("ws://x/");
        assert_eq!(offer(&cfg), None);
        assert!(answer(&cfg, "permessage-deflate").is_err(), "nothing offered, something accepted");
        assert_eq!(answer(&cfg, "").unwrap(), None);
        cfg.compression = true;
        assert_eq!(offer(&cfg).as_deref(), Some("permessage-deflate; client_max_window_bits"));
        let p = answer(&cfg, "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9").unwrap().unwrap();
        assert_eq!((p.server_max_window_bits, p.client_max_window_bits), (Some(10), Some(9)));
        assert_eq!(accept(&cfg, &[], "ws://x/").unwrap(), None, "declined");
        for bad in ["permessage-deflate; foo", "x-webkit-deflate-frame", "permessage-deflate; server_max_window_bits=16", "permessage-deflate, permessage-deflate"] {
            assert!(answer(&cfg, bad).is_err(), "{bad}");
        }
        cfg.compression_options.server_no_context_takeover = true;
        cfg.compression_options.client_no_context_takeover = true;
        cfg.compression_options.server_max_window_bits = 12;
        assert_eq!(
            offer(&cfg).as_deref(),
            Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits")
        );
        assert!(answer(&cfg, "permessage-deflate; server_max_window_bits=12").is_err(), "server_no_context_takeover requested, not granted");
        assert!(answer(&cfg, "permessage-deflate; server_no_context_takeover; server_max_window_bits=13").is_err(), "window larger than asked");
        assert!(answer(&cfg, "permessage-deflate; server_no_context_takeover; server_max_window_bits=12").unwrap().is_some());
    }

    #[test]
    fn a_host_supplied_offer_is_left_to_the_host() {
        let mut cfg = ClientConfig::new("ws://x/");
        cfg.headers.push(("Sec-WebSocket-Extensions".into(), "x-custom".into()));
        assert_eq!(answer(&cfg, "x-custom").unwrap(), None);
    }

    #[test]
    fn window_bits_outside_9_to_15_are_refused_by_validation() {
        let mut cfg = ClientConfig::new("ws://x/");
        cfg.compression_options.client_max_window_bits = 8;
        assert_eq!(cfg.validate().unwrap_err().code(), ErrorCode::InvalidArgument);
        let cfg = ClientConfig::from_json(r#"{"url":"ws://x/","compression":true,"compression_threshold":"2KiB","compression_options":{"server_max_window_bits":10}}"#).unwrap();
        assert!(cfg.compression);
        assert_eq!((cfg.compression_threshold, cfg.compression_options.server_max_window_bits), (2048, 10));
        assert!(ClientConfig::from_json(r#"{"url":"ws://x/","compression_options":{"server_max_window_bits":16}}"#).is_err());
    }
}
