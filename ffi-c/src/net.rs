//! How clients reach servers and where hubs listen, beyond TCP: HTTP proxies, certificate
//! pins and Unix domain sockets. (Redirects, cookies and `proxy_from_env` are set through
//! `omnisock_client_config_from_json`: `max_redirects`, `cookies`, `proxy_from_env`.)

use std::ffi::c_char;

use crate::args::{opt_str_arg, str_arg};
use crate::client::{omnisock_client_config, with_config};
use crate::hub::{omnisock_hub_config, with_config as with_hub_config};
use crate::result::{guard, omnisock_result};

/// Sends the connection through an HTTP proxy, `http://[user:pass@]host:port`, with an HTTP
/// `CONNECT` tunnel (ws and wss alike; Basic credentials when given). NULL removes it.
/// A malformed URL fails with OMNISOCK_ERR_INVALID_ARGUMENT (the message hides credentials).
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_config_set_proxy(cfg: omnisock_client_config, url: *const c_char) -> omnisock_result {
    guard("omnisock_client_config_set_proxy", || {
        let url = opt_str_arg(url, "url")?;
        with_config(cfg, |c| {
            c.proxy = url.map(str::to_string);
            Ok(())
        })
    })
}

/// Adds a certificate pin, OkHttp `CertificatePinner` style: `pattern` is a host name,
/// `*.host` (one more label) or `**.host` (any depth); `pin` is `sha256/` + the base64
/// SHA-256 of a SubjectPublicKeyInfo. A host matching any pattern must have one of its
/// pins in its verified certificate chain, or the TLS handshake fails listing the chain's pins.
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_config_add_certificate_pin(cfg: omnisock_client_config, pattern: *const c_char, pin: *const c_char) -> omnisock_result {
    guard("omnisock_client_config_add_certificate_pin", || {
        let (pattern, pin) = (str_arg(pattern, "pattern")?, str_arg(pin, "pin")?);
        with_config(cfg, |c| {
            c.certificate_pins.push((pattern.to_string(), pin.to_string()));
            Ok(())
        })
    })
}

/// Connects over the Unix domain socket at `path` instead of TCP; the URL still gives the
/// Host header, the path and ws/wss (wss runs TLS over the Unix socket). NULL goes back to TCP.
#[no_mangle]
pub unsafe extern "C" fn omnisock_client_config_set_unix_socket(cfg: omnisock_client_config, path: *const c_char) -> omnisock_result {
    guard("omnisock_client_config_set_unix_socket", || {
        let path = opt_str_arg(path, "path")?;
        with_config(cfg, |c| {
            c.unix_socket = path.map(Into::into);
            Ok(())
        })
    })
}

/// Also listens on the Unix domain socket at `path` (a stale socket file is replaced; the file
/// is removed when the hub stops; who may connect follows the file's permissions, so put it
/// in a directory only the intended users can enter). With an empty listen address
/// (`omnisock_hub_config_set_listen(cfg, "")`) the hub listens on the Unix socket only.
/// NULL removes it.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_config_set_unix_socket(cfg: omnisock_hub_config, path: *const c_char) -> omnisock_result {
    guard("omnisock_hub_config_set_unix_socket", || {
        let path = opt_str_arg(path, "path")?;
        with_hub_config(cfg, |c| {
            c.unix = path.map(Into::into);
            Ok(())
        })
    })
}
