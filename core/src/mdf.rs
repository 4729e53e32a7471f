//! MMDAgent-EX `.mdf` files: the WebSocket settings of its `Plugin_Remote`, read the way
//! Plugin_Remote reads them.
//!
//! | key | meaning |
//! |---|---|
//! | `Plugin_Remote_Websocket_Host` | server host (required: it turns the WebSocket client on) |
//! | `Plugin_Remote_Websocket_Port` | port, default 80; 443 means `wss://` |
//! | `Plugin_Remote_Websocket_Directory` | path, default `/` |
//! | `Plugin_Remote_RetryCount` | retries after a failed connect or a lost connection, one every 0.5 s (default 0) |
//! | `Plugin_Remote_Websocket_VerifyCertificate` | omnisock's own key: `false` turns off certificate checks for wss (default `true`) |
//!
//! The client sends `X-App-Type: MMDAgent`, frames messages by lines, and answers HTTP 429
//! by retrying with the path `<directory>-N`. The file is read as bytes: lines that are not
//! UTF-8 (Shift_JIS comments and values of other keys, common in Japanese content) are
//! skipped; a needed key whose value is not UTF-8 is an error naming the key and the line.

use std::time::Duration;

use crate::config::{ClientConfig, ReconnectPolicy};
use crate::error::{Error, Result};

/// Delay between Plugin_Remote's retries.
pub const RETRY_INTERVAL: Duration = Duration::from_millis(500);

/// The keys read.
const HOST: &str = "Plugin_Remote_Websocket_Host";
const PORT: &str = "Plugin_Remote_Websocket_Port";
const DIRECTORY: &str = "Plugin_Remote_Websocket_Directory";
const RETRY_COUNT: &str = "Plugin_Remote_RetryCount";
const VERIFY: &str = "Plugin_Remote_Websocket_VerifyCertificate";

/// Builds a client configuration from `.mdf` bytes (see the module docs).
pub fn client_config(bytes: &[u8]) -> Result<ClientConfig> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (mut host, mut port, mut dir, mut retries, mut verify) = (None, 80u16, "/".to_string(), 0u32, true);
    for (n, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = trim(raw);
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let Some(eq) = line.iter().position(|b| *b == b'=') else { continue };
        let key = trim(&line[..eq]);
        let wanted = [HOST, PORT, DIRECTORY, RETRY_COUNT, VERIFY].into_iter().find(|k| k.as_bytes() == key);
        let Some(key) = wanted else { continue };
        let value = std::str::from_utf8(trim(&line[eq + 1..]))
            .map_err(|_| Error::config(format!("mdf line {}: the value of {key} is not valid UTF-8 (save the file as UTF-8)", n + 1)))?;
        let bad = |what: &str| Error::config(format!("mdf line {}: {key} must be {what}, got {value:?}", n + 1));
        match key {
            HOST => host = Some(value.to_string()),
            PORT => port = value.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| bad("a port number"))?,
            DIRECTORY => dir = value.to_string(),
            RETRY_COUNT => retries = value.parse::<u32>().map_err(|_| bad("a number of retries (0 or more)"))?,
            _ => {
                verify = match value.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" => true,
                    "false" | "no" | "0" => false,
                    _ => return Err(bad("true or false")),
                }
            }
        }
    }
    let host = host.filter(|h| !h.is_empty()).ok_or_else(|| Error::config(format!("mdf: {HOST} is missing")))?;
    if host.contains(['/', '@', ' ']) {
        return Err(Error::config(format!("mdf: {HOST} must be a host name or address, got {host:?}")));
    }
    let dir = if dir.starts_with('/') { dir } else { format!("/{dir}") };
    let scheme = if port == 443 { "wss" } else { "ws" };
    let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host };
    let mut cfg = ClientConfig::new(format!("{scheme}://{host}:{port}{dir}"));
    cfg.line_framing = true;
    cfg.headers.push(("X-App-Type".into(), "MMDAgent".into()));
    cfg.too_many_requests_path_suffix = true;
    cfg.tls.danger_accept_invalid_certs = !verify;
    if retries > 0 {
        cfg.reconnect = ReconnectPolicy {
            max_attempts: retries,
            initial_delay: RETRY_INTERVAL,
            max_delay: RETRY_INTERVAL,
            multiplier: 1.0,
            jitter: 0.0,
        };
    }
    Ok(cfg)
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !c.is_ascii_whitespace()).map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_remote_defaults_retry_and_header() {
        let cfg = client_config(b"Plugin_Remote_Websocket_Host=h\nPlugin_Remote_RetryCount=60\n").unwrap();
        assert_eq!(cfg.url, "ws://h:80/");
        assert_eq!(cfg.reconnect.max_attempts, 60);
        assert_eq!(cfg.reconnect.delay(1), RETRY_INTERVAL);
        assert_eq!(cfg.reconnect.delay(30), RETRY_INTERVAL);
        assert!(cfg.headers.contains(&("X-App-Type".into(), "MMDAgent".into())));
        assert!(cfg.too_many_requests_path_suffix && cfg.line_framing && !cfg.tls.danger_accept_invalid_certs);
        cfg.validate().unwrap();
        let off = client_config(b"Plugin_Remote_Websocket_Host=h\nPlugin_Remote_Websocket_Port=443\nPlugin_Remote_Websocket_VerifyCertificate=false\n").unwrap();
        assert_eq!(off.url, "wss://h:443/");
        assert!(off.tls.danger_accept_invalid_certs);
        assert!(!off.reconnect.enabled());
    }

    #[test]
    fn shift_jis_lines_are_skipped_and_needed_values_must_be_utf8() {
        // "# 接続先" and a value of another key in Shift_JIS, a BOM and CRLF line ends.
        let mut text = b"\xEF\xBB\xBF# \x90\xda\x91\xb1\x90\xe6\r\nOther_Key=\x83\x65\x83\x58\x83\x67\r\n".to_vec();
        text.extend_from_slice(b"Plugin_Remote_Websocket_Host=127.0.0.1\r\nPlugin_Remote_Websocket_Port=9001\r\nPlugin_Remote_Websocket_Directory=/chat\r\n");
        assert_eq!(client_config(&text).unwrap().url, "ws://127.0.0.1:9001/chat");
        let e = client_config(b"# ok\nPlugin_Remote_Websocket_Host=h\nPlugin_Remote_Websocket_Directory=/\x83\x65\n").unwrap_err();
        assert!(e.message().contains("line 3") && e.message().contains(DIRECTORY), "{e}");
        let e = client_config(b"Plugin_Remote_Websocket_Host=h\nPlugin_Remote_RetryCount=-1\n").unwrap_err();
        assert!(e.message().contains(RETRY_COUNT) && e.message().contains("line 2"), "{e}");
        let e = client_config(b"Plugin_Remote_Websocket_Host=h\nPlugin_Remote_Websocket_VerifyCertificate=maybe\n").unwrap_err();
        assert!(e.message().contains(VERIFY), "{e}");
    }
}
