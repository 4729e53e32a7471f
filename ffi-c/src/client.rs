//! `omnisock_client_config_*` and `omnisock_client_*`.

use std::ffi::{c_char, c_int, c_void};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use omnisock_core::{Client, ClientConfig, Error, EventQueue, ReconnectPolicy};

use crate::args::{bytes_arg, check_ptr, copy_bytes, need_out, opt_str_arg, str_arg, write_out};
use crate::event::{self, omnisock_event, omnisock_wake_callback, Borrowed, EventSource};
use omnisock_core::handle::Registry;
use crate::result::{guard, omnisock_result};
use crate::vocab::omnisock_ready_state;

/// A client configuration under construction (opaque handle; 0 is never valid).
#[allow(non_camel_case_types)]
pub type omnisock_client_config = u64;
/// A client connection (opaque handle; 0 is never valid).
#[allow(non_camel_case_types)]
pub type omnisock_client = u64;

pub(crate) struct ClientObj {
    client: Client,
    borrowed: Mutex<Borrowed>,
}

impl EventSource for ClientObj {
    fn queue(&self) -> &EventQueue {
        self.client.events()
    }
    fn borrowed(&self) -> &Mutex<Borrowed> {
        &self.borrowed
    }
}

static CONFIGS: Registry<Mutex<ClientConfig>> = Registry::new(0x11, "client config");
pub(crate) static CLIENTS: Registry<ClientObj> = Registry::new(0x12, "client");

/// Applies `f` to the configuration, keeping the change only when the core's
/// `ClientConfig::validate` accepts the result (so a bad value fails at once, with the core's
/// message, and leaves the configuration as it was).
pub(crate) fn with_config(cfg: omnisock_client_config, f: impl FnOnce(&mut ClientConfig) -> Result<(), Error>) -> Result<(), Error> {
    let c = CONFIGS.get(cfg)?;
    let mut guard = c.lock().unwrap_or_else(|e| e.into_inner());
    let mut changed = guard.clone();
    f(&mut changed)?;
    changed.validate()?;
    *guard = changed;
    Ok(())
}

/// Creates a client configuration for a `ws://` or `wss://` URL with the defaults: 10 s
/// connect timeout, ping every 20 s with a 20 s pong timeout, no reconnect, 16 MiB send queue
/// and max message size, certificates verified against the webpki roots.
/// Free it with `omnisock_client_config_free`.
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_config_new(url: *const c_char, out: *mut omnisock_client_config) -> omnisock_result {
    guard("omnisock_client_config_new", || {
        let url = str_arg(url, "url")?;
        need_out(out, "out")?;
        write_out(out, CONFIGS.insert(Mutex::new(ClientConfig::new(url))), "out")
    })
}

/// Creates a client configuration from its JSON form (`len` bytes of UTF-8): every option of
/// the core's `ClientConfig` by name, sizes and durations in human form, e.g.
/// `{"url":"wss://h/ws","fallback_urls":["wss://h2/ws"],"max_message_size":"1MiB",
/// "ping_interval":"15s","reconnect":{"max_attempts":5}}`. Missing keys keep the defaults;
/// unknown keys and invalid values fail with OMNISOCK_ERR_CONFIG / OMNISOCK_ERR_INVALID_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_config_from_json(text: *const c_char, len: usize, out: *mut omnisock_client_config) -> omnisock_result {
    guard("omnisock_client_config_from_json", || {
        need_out(out, "out")?;
        let bytes = bytes_arg(text as *const u8, len, "text")?;
        let text = std::str::from_utf8(bytes).map_err(|e| Error::new(omnisock_core::ErrorCode::InvalidUtf8, format!("JSON text is not valid UTF-8: {e}")))?;
        write_out(out, CONFIGS.insert(Mutex::new(ClientConfig::from_json(text)?)), "out")
    })
}

/// Creates a client configuration from MMDAgent-EX `.mdf` text (`len` bytes, need not be
/// NUL-terminated nor UTF-8), the way its Plugin_Remote reads it: `Plugin_Remote_Websocket_Host`,
/// `_Port` (default 80; 443 means wss://) and `_Directory` (default "/") give the URL; line
/// framing is on; `X-App-Type: MMDAgent` is sent; `Plugin_Remote_RetryCount` retries a failed
/// connect or a lost connection every 0.5 s; HTTP 429 retries with the path `<directory>-N`;
/// `Plugin_Remote_Websocket_VerifyCertificate=false` turns certificate checks off (on by
/// default). Lines in other encodings (Shift_JIS comments) are skipped; a needed value that is
/// not UTF-8 fails with OMNISOCK_ERR_CONFIG naming the key and the line.
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_config_from_mdf(text: *const c_char, len: usize, out: *mut omnisock_client_config) -> omnisock_result {
    guard("omnisock_client_config_from_mdf", || {
        let bytes = bytes_arg(text as *const u8, len, "text")?;
        need_out(out, "out")?;
        let cfg = ClientConfig::from_mdf_bytes(bytes)?;
        write_out(out, CONFIGS.insert(Mutex::new(cfg)), "out")
    })
}

/// Frees a client configuration. 0 and already freed handles are ignored.
#[no_mangle]
pub extern "C" fn omnisock_client_config_free(cfg: omnisock_client_config) {
    guard("omnisock_client_config_free", || {
        CONFIGS.remove(cfg);
        Ok(())
    });
}

/// Adds a request header sent with the opening handshake.
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_config_add_header(cfg: omnisock_client_config, name: *const c_char, value: *const c_char) -> omnisock_result {
    guard("omnisock_client_config_add_header", || {
        let (name, value) = (str_arg(name, "name")?, str_arg(value, "value")?);
        with_config(cfg, |c| {
            c.headers.push((name.to_string(), value.to_string()));
            Ok(())
        })
    })
}

/// Adds a subprotocol to offer (in preference order).
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_config_add_subprotocol(cfg: omnisock_client_config, name: *const c_char) -> omnisock_result {
    guard("omnisock_client_config_add_subprotocol", || {
        let name = str_arg(name, "name")?;
        with_config(cfg, |c| {
            c.subprotocols.push(name.to_string());
            Ok(())
        })
    })
}

/// Adds another URL of the same service (e.g. another hub node): after a failed attempt or a
/// lost connection, the next reconnect tries the next URL in turn. Checked when connecting.
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_config_add_fallback_url(cfg: omnisock_client_config, url: *const c_char) -> omnisock_result {
    guard("omnisock_client_config_add_fallback_url", || {
        let url = str_arg(url, "url")?;
        with_config(cfg, |c| {
            c.fallback_urls.push(url.to_string());
            Ok(())
        })
    })
}

/// Sets the limit for TCP connect + TLS + WebSocket handshake (milliseconds, > 0).
#[no_mangle]
pub extern "C" fn omnisock_client_config_set_connect_timeout_ms(cfg: omnisock_client_config, ms: u32) -> omnisock_result {
    guard("omnisock_client_config_set_connect_timeout_ms", || {
        with_config(cfg, |c| {
            c.connect_timeout = Duration::from_millis(ms as u64);
            Ok(())
        })
    })
}

/// Sets keepalive: a ping after `ping_interval_ms` without incoming data (0 = no pings), and
/// the connection is reported dead (close 1006 "keepalive timeout") when nothing arrives
/// within `pong_timeout_ms` after a ping.
#[no_mangle]
pub extern "C" fn omnisock_client_config_set_keepalive(cfg: omnisock_client_config, ping_interval_ms: u32, pong_timeout_ms: u32) -> omnisock_result {
    guard("omnisock_client_config_set_keepalive", || {
        with_config(cfg, |c| {
            c.ping_interval = (ping_interval_ms > 0).then(|| Duration::from_millis(ping_interval_ms as u64));
            if ping_interval_ms > 0 || pong_timeout_ms > 0 {
                c.pong_timeout = Duration::from_millis(pong_timeout_ms as u64);
            }
            Ok(())
        })
    })
}

/// Sets the reconnect policy: up to `max_attempts` retries (0 = off) with exponential backoff
/// from `initial_delay_ms` doubling up to `max_delay_ms`, each delay randomly shortened by up
/// to half (jitter).
#[no_mangle]
pub extern "C" fn omnisock_client_config_set_reconnect(cfg: omnisock_client_config, max_attempts: u32, initial_delay_ms: u32, max_delay_ms: u32) -> omnisock_result {
    guard("omnisock_client_config_set_reconnect", || {
        with_config(cfg, |c| {
            let mut p = if max_attempts == 0 { ReconnectPolicy::off() } else { ReconnectPolicy::backoff(max_attempts) };
            if max_attempts > 0 {
                p.initial_delay = Duration::from_millis(initial_delay_ms as u64);
                p.max_delay = Duration::from_millis(max_delay_ms as u64);
            }
            c.reconnect = p;
            Ok(())
        })
    })
}

/// Sets the send queue limit in bytes (> 0). A send that would exceed it fails with
/// `OMNISOCK_ERR_QUEUE_FULL` and queues nothing (retry once the queue drained); a message
/// larger than the limit itself can never fit and fails with `OMNISOCK_ERR_MESSAGE_TOO_BIG`.
#[no_mangle]
pub extern "C" fn omnisock_client_config_set_send_queue_limit(cfg: omnisock_client_config, bytes: usize) -> omnisock_result {
    guard("omnisock_client_config_set_send_queue_limit", || {
        with_config(cfg, |c| {
            c.send_queue_limit = bytes;
            Ok(())
        })
    })
}

/// Sets the largest accepted incoming message (> 0); a bigger one closes with 1009 and an
/// ERROR event.
#[no_mangle]
pub extern "C" fn omnisock_client_config_set_max_message_size(cfg: omnisock_client_config, bytes: usize) -> omnisock_result {
    guard("omnisock_client_config_set_max_message_size", || {
        with_config(cfg, |c| {
            c.max_message_size = bytes;
            Ok(())
        })
    })
}

/// Turns line framing on or off: each received text is split into one TEXT event per
/// "\n"-terminated line, and "\n" is appended to each sent text.
#[no_mangle]
pub extern "C" fn omnisock_client_config_set_line_framing(cfg: omnisock_client_config, on: bool) -> omnisock_result {
    guard("omnisock_client_config_set_line_framing", || {
        with_config(cfg, |c| {
            c.line_framing = on;
            Ok(())
        })
    })
}

/// Offers permessage-deflate (RFC 7692) in the handshake when `on` (default off). Once the
/// server accepts, messages from the compression threshold up go out compressed and compressed
/// messages are inflated (bounded by the max message size). Window bits and context takeover:
/// the JSON config's "compression_options".
#[no_mangle]
pub extern "C" fn omnisock_client_config_set_compression(cfg: omnisock_client_config, on: bool) -> omnisock_result {
    guard("omnisock_client_config_set_compression", || {
        with_config(cfg, |c| {
            c.compression = on;
            Ok(())
        })
    })
}

/// With compression negotiated, messages shorter than `bytes` go uncompressed (default 1024).
#[no_mangle]
pub extern "C" fn omnisock_client_config_set_compression_threshold(cfg: omnisock_client_config, bytes: usize) -> omnisock_result {
    guard("omnisock_client_config_set_compression_threshold", || {
        with_config(cfg, |c| {
            c.compression_threshold = bytes;
            Ok(())
        })
    })
}

/// Trusts the CA certificates in `pem` (`len` bytes) in addition to the webpki roots.
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_config_add_ca_pem(cfg: omnisock_client_config, pem: *const u8, len: usize) -> omnisock_result {
    guard("omnisock_client_config_add_ca_pem", || {
        let pem = bytes_arg(pem, len, "pem")?;
        omnisock_core::tls::certs_from_pem(pem)?;
        with_config(cfg, |c| {
            c.tls.extra_ca_pem.extend_from_slice(pem);
            c.tls.extra_ca_pem.push(b'\n');
            Ok(())
        })
    })
}

/// Trusts the CA certificates in a PEM file in addition to the webpki roots.
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_config_add_ca_file(cfg: omnisock_client_config, path: *const c_char) -> omnisock_result {
    guard("omnisock_client_config_add_ca_file", || {
        let path = str_arg(path, "path")?;
        let pem = std::fs::read(path).map_err(|e| Error::new(omnisock_core::ErrorCode::Io, format!("cannot read CA file {path}: {e}")))?;
        omnisock_core::tls::certs_from_pem(&pem)?;
        with_config(cfg, |c| {
            c.tls.extra_ca_pem.extend_from_slice(&pem);
            c.tls.extra_ca_pem.push(b'\n');
            Ok(())
        })
    })
}

/// DANGEROUS: accept any server certificate, which removes all authentication of the server
/// (anyone on the path can read and change the traffic). For local testing only.
#[no_mangle]
pub extern "C" fn omnisock_client_config_dangerous_accept_any_certificate(cfg: omnisock_client_config, on: bool) -> omnisock_result {
    guard("omnisock_client_config_dangerous_accept_any_certificate", || {
        with_config(cfg, |c| {
            c.tls.danger_accept_invalid_certs = on;
            Ok(())
        })
    })
}

/// Starts connecting with a copy of `cfg` (which stays owned by the caller) and returns at
/// once. Bad URLs and TLS material fail here; network errors arrive as ERROR/CLOSE events.
/// Free the client with `omnisock_client_free`.
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_connect(cfg: omnisock_client_config, out: *mut omnisock_client) -> omnisock_result {
    guard("omnisock_client_connect", || {
        need_out(out, "out")?;
        let config = CONFIGS.get(cfg)?.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let client = Client::connect(config)?;
        write_out(out, CLIENTS.insert(ClientObj { client, borrowed: Mutex::new(Borrowed::default()) }), "out")
    })
}

/// Queues a text message of `len` bytes (checked to be UTF-8; need not be NUL-terminated).
/// Never blocks on the network. Fails with OMNISOCK_ERR_INVALID_UTF8, _QUEUE_FULL or _CLOSED,
/// and with OMNISOCK_ERR_MESSAGE_TOO_BIG (before reading `text`) when `len` exceeds the send
/// queue limit.
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_send_text(client: omnisock_client, text: *const c_char, len: usize) -> omnisock_result {
    guard("omnisock_client_send_text", || {
        check_ptr(text, len, "text")?;
        let obj = CLIENTS.get(client)?;
        // The size is checked before the bytes are read: a wrong length never touches memory.
        obj.client.check_send_len(len)?;
        obj.client.send_text_bytes(bytes_arg(text as *const u8, len, "text")?)
    })
}

/// Queues a binary message of `len` bytes (copied). Never blocks on the network. Fails as
/// `omnisock_client_send_text` does (but for UTF-8).
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_send_binary(client: omnisock_client, data: *const u8, len: usize) -> omnisock_result {
    guard("omnisock_client_send_binary", || {
        check_ptr(data, len, "data")?;
        let obj = CLIENTS.get(client)?;
        obj.client.check_send_len(len)?;
        obj.client.send_binary(copy_bytes(bytes_arg(data, len, "data")?, "data")?)
    })
}

/// Starts the closing handshake after the queued messages. `reason` may be NULL; at most 123
/// bytes. Codes: 1000-1003, 1007-1011, 3000-4999. A CLOSE event follows. Fails with
/// OMNISOCK_ERR_CLOSED when already closing or closed.
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_close(client: omnisock_client, code: u16, reason: *const c_char) -> omnisock_result {
    guard("omnisock_client_close", || {
        let reason = opt_str_arg(reason, "reason")?.unwrap_or("");
        CLIENTS.get(client)?.client.close(code, reason)
    })
}

/// Queues a ping with `len` bytes of payload (at most 125; `data` may be NULL when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_ping(client: omnisock_client, data: *const u8, len: usize) -> omnisock_result {
    guard("omnisock_client_ping", || {
        let bytes = bytes_arg(data, len, "data")?;
        CLIENTS.get(client)?.client.ping(bytes)
    })
}

/// Writes the client's state.
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_state(client: omnisock_client, out: *mut omnisock_ready_state) -> omnisock_result {
    guard("omnisock_client_state", || {
        let s = omnisock_ready_state::from(CLIENTS.get(client)?.client.state());
        write_out(out, s, "out")
    })
}

/// Writes the number of bytes waiting in the send queue.
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_queued_bytes(client: omnisock_client, out: *mut usize) -> omnisock_result {
    guard("omnisock_client_queued_bytes", || write_out(out, CLIENTS.get(client)?.client.queued_bytes(), "out"))
}

/// Moves up to `capacity` events into `events` and writes how many to `out_count`. Never
/// blocks. The pointers inside the events stay valid until the next poll or free of this
/// client; poll one handle from one thread at a time.
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_poll(client: omnisock_client, events: *mut omnisock_event, capacity: usize, out_count: *mut usize) -> omnisock_result {
    guard("omnisock_client_poll", || event::poll_c(|| Ok(CLIENTS.get(client)? as Arc<dyn EventSource>), events, capacity, out_count))
}

/// Blocks up to `timeout_ms` until an event is queued; writes whether one is. A wait that
/// follows a send or ping on this client first spins up to 50 µs for the answer before it
/// sleeps, reading the socket itself meanwhile (plain TCP): a request/response round trip then
/// pays no thread wake-up. A wait with no send before it sleeps at once, and after a spin that
/// saw nothing the next 15 waits sleep at once.
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_wait(client: omnisock_client, timeout_ms: u32, out_ready: *mut bool) -> omnisock_result {
    guard("omnisock_client_wait", || event::wait_c(|| Ok(CLIENTS.get(client)? as Arc<dyn EventSource>), timeout_ms, out_ready))
}

/// Writes a file descriptor that is readable while events are queued (for epoll/select/
/// asyncio). Do not read it or close it; it lives until `omnisock_client_free`. Unix only:
/// elsewhere it fails with OMNISOCK_ERR_INVALID_ARGUMENT (use `omnisock_wait_any`).
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_wake_fd(client: omnisock_client, out_fd: *mut c_int) -> omnisock_result {
    guard("omnisock_client_wake_fd", || {
        let obj = CLIENTS.get(client)?;
        write_out(out_fd, crate::event::wake_fd(obj.client.events())?, "out_fd")
    })
}

/// Sets (or, with NULL, clears) a callback run on an omnisock thread when events become
/// available. See `omnisock_wake_callback` for what it may do.
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_set_wake_callback(client: omnisock_client, callback: omnisock_wake_callback, user_data: *mut c_void) -> omnisock_result {
    guard("omnisock_client_set_wake_callback", || {
        let obj: Arc<dyn EventSource> = CLIENTS.get(client)?;
        event::set_callback(&obj, client, callback, user_data);
        Ok(())
    })
}

/// Frees a client. An open connection is dropped at once (no closing handshake: call
/// `omnisock_client_close` and wait for the CLOSE event first for a clean close). Events and
/// their borrowed bytes are released. A thread blocked in `omnisock_client_wait` on it returns
/// at once with OMNISOCK_ERR_INVALID_HANDLE. 0 and already freed handles are ignored.
#[no_mangle]
pub extern "C" fn omnisock_client_free(client: omnisock_client) {
    guard("omnisock_client_free", || {
        if let Some(obj) = CLIENTS.remove(client) {
            obj.client.events().set_callback(None);
            obj.client.events().close();
            obj.client.abort();
        }
        Ok(())
    });
}
