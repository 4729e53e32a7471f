//! Client and hub configuration, with the TOML and `.mdf` readers.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Default maximum incoming message size: 16 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 << 20;

/// Default compression threshold of a client: messages shorter than 1,024 bytes go
/// uncompressed (OkHttp's `minimumDeflateSize`).
pub const DEFAULT_COMPRESSION_THRESHOLD: usize = 1024;

/// How a client reconnects after losing its connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReconnectPolicy {
    /// Retries after a lost connection (0 = reconnect off).
    pub max_attempts: u32,
    /// Delay before the first retry.
    #[serde(with = "crate::human::duration")]
    pub initial_delay: Duration,
    /// Upper bound of the delay.
    #[serde(with = "crate::human::duration")]
    pub max_delay: Duration,
    /// Growth factor per attempt.
    pub multiplier: f64,
    /// Random part of each delay, 0.0..=1.0 (0.5 = the delay is scaled by 0.5..1.0 at random).
    pub jitter: f64,
}

impl Default for ReconnectPolicy {
    /// Reconnect off (with the backoff delays used once attempts are set).
    fn default() -> Self {
        Self::off()
    }
}

impl ReconnectPolicy {
    /// No reconnecting: a lost connection is final.
    pub fn off() -> Self {
        ReconnectPolicy { max_attempts: 0, ..Self::backoff(0) }
    }
    /// Exponential backoff with jitter: 250 ms doubling up to 10 s, for `max_attempts` retries.
    pub fn backoff(max_attempts: u32) -> Self {
        ReconnectPolicy {
            max_attempts,
            initial_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
            multiplier: 2.0,
            jitter: 0.5,
        }
    }
    /// Whether reconnecting is on.
    pub fn enabled(&self) -> bool {
        self.max_attempts > 0
    }
    /// The delay before retry number `attempt` (1-based), jitter included.
    pub fn delay(&self, attempt: u32) -> Duration {
        let base = self.initial_delay.as_secs_f64() * self.multiplier.max(1.0).powi(attempt.saturating_sub(1).min(64) as i32);
        let capped = base.min(self.max_delay.as_secs_f64());
        let jitter = self.jitter.clamp(0.0, 1.0);
        let scale = 1.0 - jitter * rand::random::<f64>();
        Duration::from_secs_f64(capped * scale)
    }
}

/// TLS options of a client.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientTls {
    /// Extra trusted CA certificates (PEM), added to the webpki roots.
    #[serde(with = "crate::human::pem")]
    pub extra_ca_pem: Vec<u8>,
    /// Accept any server certificate. DANGEROUS: disables all authentication of the server.
    pub danger_accept_invalid_certs: bool,
    /// The name sent in SNI and checked against the certificate, instead of the URL's host
    /// (Python `websockets`' `server_hostname=`). `None`: the URL's host.
    pub server_name: Option<String>,
}

/// Everything a client needs to connect. Serialized (JSON, TOML) with sizes and durations in
/// human form (`"16MiB"`, `"250ms"`); missing keys keep the defaults of [`ClientConfig::new`],
/// unknown keys are errors ([`ClientConfig::from_json`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientConfig {
    /// `ws://` or `wss://` URL.
    pub url: String,
    /// More URLs of the same service (e.g. other hub nodes): after a failed attempt or a lost
    /// connection, the next reconnect tries the next URL in turn.
    pub fallback_urls: Vec<String>,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// Subprotocols to offer, in preference order.
    pub subprotocols: Vec<String>,
    /// Limit for TCP connect + TLS + WebSocket handshake.
    #[serde(with = "crate::human::duration")]
    pub connect_timeout: Duration,
    /// Interval between keepalive pings (`None` = no pings).
    #[serde(with = "crate::human::optional_duration")]
    pub ping_interval: Option<Duration>,
    /// Time to wait for any data (a pong at the latest) after a ping before the peer is dead.
    #[serde(with = "crate::human::duration")]
    pub pong_timeout: Duration,
    /// Time to wait for the peer's close frame after sending one.
    #[serde(with = "crate::human::duration")]
    pub close_timeout: Duration,
    /// Reconnect policy.
    pub reconnect: ReconnectPolicy,
    /// Bytes that may wait in the send queue; `send` fails beyond it.
    #[serde(with = "crate::human::size")]
    pub send_queue_limit: usize,
    /// Largest accepted incoming message; bigger closes with 1009.
    #[serde(with = "crate::human::size")]
    pub max_message_size: usize,
    /// MMDAgent-EX line framing: one event per received `"\n"`-terminated line, `"\n"` appended on send.
    pub line_framing: bool,
    /// TLS options.
    pub tls: ClientTls,
    /// Offer permessage-deflate (RFC 7692) in the handshake; used when the server accepts.
    pub compression: bool,
    /// With compression negotiated, messages shorter than this many bytes go uncompressed.
    #[serde(with = "crate::human::size")]
    pub compression_threshold: usize,
    /// What the permessage-deflate offer asks for (window bits, context takeover).
    pub compression_options: CompressionOptions,
    /// HTTP proxy, `http://[user:pass@]host:port`: the connection goes through an HTTP
    /// `CONNECT` tunnel (Basic credentials when given), for ws and wss alike.
    pub proxy: Option<String>,
    /// Take the proxy from `https_proxy` / `http_proxy` / `all_proxy` (and their upper-case
    /// forms), skipping hosts listed in `no_proxy`, as Python `websockets` does. An explicit
    /// [`proxy`](Self::proxy) wins.
    pub proxy_from_env: bool,
    /// Redirects (301, 302, 303, 307, 308 with a `Location`) followed per connection attempt;
    /// 0 makes a redirect an error that names the `Location`.
    pub max_redirects: u32,
    /// Certificate pins, OkHttp `CertificatePinner` style: `[pattern, "sha256/BASE64"]` pairs
    /// where the pattern is `host`, `*.host` (one label) or `**.host` (any depth). A host that
    /// matches a pattern must present one of that pattern's keys somewhere in its verified chain.
    pub certificate_pins: Vec<(String, String)>,
    /// Cookies sent with every handshake (`Cookie` header), besides those the server set.
    pub cookies: Vec<(String, String)>,
    /// Connect over this Unix domain socket instead of TCP (the URL still gives the Host
    /// header, the path and ws/wss).
    pub unix_socket: Option<std::path::PathBuf>,
    /// MMDAgent-EX `Plugin_Remote` behaviour: an HTTP 429 answer makes the next attempt use
    /// the path with `-N` appended (N = 1, 2, … per 429 since the last open), to find a
    /// channel name not in use. The retries themselves follow [`reconnect`](Self::reconnect).
    pub too_many_requests_path_suffix: bool,
    /// Limits of the event queue.
    #[serde(skip)]
    pub event_limits: crate::event::QueueLimits,
}

/// The permessage-deflate offer of a client (RFC 7692 §7.1). The defaults are those of Python
/// `websockets`: no limits asked of the server, the server may limit the client's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompressionOptions {
    /// Ask the server to compress every message on its own (less memory for both, less ratio).
    pub server_no_context_takeover: bool,
    /// Compress every message on its own (told to the server in the offer): no compressor
    /// state is kept between messages.
    pub client_no_context_takeover: bool,
    /// Largest window the server may compress with, 9-15 (15: no limit asked).
    pub server_max_window_bits: u8,
    /// Largest window this client compresses with, 9-15.
    pub client_max_window_bits: u8,
}

impl Default for CompressionOptions {
    fn default() -> Self {
        CompressionOptions { server_no_context_takeover: false, client_no_context_takeover: false, server_max_window_bits: 15, client_max_window_bits: 15 }
    }
}

impl CompressionOptions {
    /// The codec settings of this offer (zlib level 6, memory level 5, as `websockets`).
    pub fn settings(&self) -> crate::deflate::Settings {
        crate::deflate::Settings {
            server_no_context_takeover: self.server_no_context_takeover,
            client_no_context_takeover: self.client_no_context_takeover,
            server_max_window_bits: self.server_max_window_bits,
            client_max_window_bits: self.client_max_window_bits,
            ..crate::deflate::Settings::default()
        }
    }
}

impl Default for ClientConfig {
    /// The defaults of [`ClientConfig::new`], without a URL.
    fn default() -> Self {
        ClientConfig::new("")
    }
}

impl ClientConfig {
    /// A configuration for `url` with the defaults: 10 s connect timeout, ping every 20 s with a
    /// 20 s pong timeout, no reconnect, 16 MiB send queue and max message size, no line framing.
    pub fn new(url: impl Into<String>) -> Self {
        ClientConfig {
            url: url.into(),
            fallback_urls: Vec::new(),
            headers: Vec::new(),
            subprotocols: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            ping_interval: Some(Duration::from_secs(20)),
            pong_timeout: Duration::from_secs(20),
            close_timeout: Duration::from_secs(5),
            reconnect: ReconnectPolicy::off(),
            send_queue_limit: 16 << 20,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            line_framing: false,
            tls: ClientTls::default(),
            compression: false,
            compression_threshold: DEFAULT_COMPRESSION_THRESHOLD,
            compression_options: CompressionOptions::default(),
            proxy: None,
            proxy_from_env: false,
            max_redirects: 0,
            certificate_pins: Vec::new(),
            cookies: Vec::new(),
            unix_socket: None,
            too_many_requests_path_suffix: false,
            event_limits: Default::default(),
        }
    }

    /// Reads the serialized form (JSON; see the type's docs) and validates it: the one way a
    /// binding hands the core a whole client configuration.
    pub fn from_json(text: &str) -> Result<Self> {
        let cfg: ClientConfig = serde_json::from_str(text).map_err(|e| Error::config(format!("client config: {e}")))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The serialized form (JSON, human sizes and durations).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Checks the numbers every binding may set: timeouts and limits above zero, a pong
    /// timeout when pings are on, and reconnect delays with `0 < initial_delay <= max_delay`.
    /// The one place client options are validated; bindings call it after each change.
    pub fn validate(&self) -> Result<()> {
        if self.connect_timeout.is_zero() {
            return Err(Error::invalid("connect timeout must be > 0"));
        }
        if self.ping_interval.is_some_and(|p| !p.is_zero()) && self.pong_timeout.is_zero() {
            return Err(Error::invalid("pong timeout must be > 0 when pings are on"));
        }
        if self.close_timeout.is_zero() {
            return Err(Error::invalid("close timeout must be > 0"));
        }
        let r = &self.reconnect;
        if r.enabled() && (r.initial_delay.is_zero() || r.max_delay < r.initial_delay) {
            return Err(Error::invalid("reconnect delays must satisfy 0 < initial delay <= max delay"));
        }
        if self.send_queue_limit == 0 {
            return Err(Error::invalid("send queue limit must be > 0"));
        }
        if self.max_message_size == 0 {
            return Err(Error::invalid("max message size must be > 0"));
        }
        self.compression_options.settings().validate().map_err(|m| Error::invalid(format!("compression options: {m}")))?;
        if let Some(p) = &self.proxy {
            crate::client::proxy::Proxy::parse(p)?;
        }
        crate::tls::pins::Pins::parse(&self.certificate_pins)?;
        crate::client::cookies::check_pairs(&self.cookies)?;
        if self.unix_socket.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
            return Err(Error::invalid("unix_socket must be a path (or null for TCP)"));
        }
        Ok(())
    }

    /// Reads an MMDAgent-EX `.mdf` text the way its `Plugin_Remote` does (see [`crate::mdf`]):
    /// host, port (default 80; 443 means `wss://`) and directory give the URL, line framing is
    /// on, `X-App-Type: MMDAgent` is sent, `Plugin_Remote_RetryCount` retries every 0.5 s.
    pub fn from_mdf(text: &str) -> Result<Self> {
        crate::mdf::client_config(text.as_bytes())
    }

    /// [`from_mdf`](Self::from_mdf) from the file's bytes, which need not be UTF-8 (lines in
    /// other encodings, e.g. Shift_JIS comments, are skipped).
    pub fn from_mdf_bytes(bytes: &[u8]) -> Result<Self> {
        crate::mdf::client_config(bytes)
    }
}

/// What a hub route does with incoming messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteKind {
    /// Send each message back to its sender.
    Echo,
    /// Send each message to every connection on the route, the sender included.
    Broadcast,
    /// Send each message to every connection on the route but the sender.
    Relay,
    /// Deliver open/message/close events to the host program.
    Host,
}

impl RouteKind {
    /// Parses `echo`, `broadcast`, `relay` or `host`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "echo" => Ok(RouteKind::Echo),
            "broadcast" => Ok(RouteKind::Broadcast),
            "relay" => Ok(RouteKind::Relay),
            "host" => Ok(RouteKind::Host),
            _ => Err(Error::config(format!("unknown route kind {s:?} (expected echo, broadcast, relay or host)"))),
        }
    }
    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            RouteKind::Echo => "echo",
            RouteKind::Broadcast => "broadcast",
            RouteKind::Relay => "relay",
            RouteKind::Host => "host",
        }
    }
}

/// What happens when a connection's outbound queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverflowPolicy {
    /// Close the slow connection with 1008.
    Close,
    /// Drop the oldest queued messages to make room.
    DropOldest,
    /// Drop the new message.
    DropNewest,
}

impl OverflowPolicy {
    /// Parses `close`, `drop_oldest` or `drop_newest`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "close" => Ok(OverflowPolicy::Close),
            "drop_oldest" => Ok(OverflowPolicy::DropOldest),
            "drop_newest" => Ok(OverflowPolicy::DropNewest),
            _ => Err(Error::config(format!("unknown overflow policy {s:?} (expected close, drop_oldest or drop_newest)"))),
        }
    }
    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            OverflowPolicy::Close => "close",
            OverflowPolicy::DropOldest => "drop_oldest",
            OverflowPolicy::DropNewest => "drop_newest",
        }
    }
}

/// One route of a hub.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteConfig {
    /// Exact request path, starting with `/`.
    pub path: String,
    /// What the route does.
    pub kind: RouteKind,
    /// Per-connection outbound queue limit in bytes.
    pub queue_limit: usize,
    /// What to do when that limit is reached.
    pub on_overflow: OverflowPolicy,
    /// Subprotocols the route speaks; the hub picks the first one the client offers.
    pub subprotocols: Vec<String>,
    /// `host` routes: the host accepts or rejects each handshake (see `Event::Handshake`).
    pub host_accepts: bool,
    /// Live-stream handling (conflation by key, rate caps, staleness, snapshots); see
    /// [`LiveConfig`]. Applies to messages fanned out to the route (broadcast, relay, host
    /// broadcasts), on every node.
    pub live: Option<LiveConfig>,
    /// permessage-deflate with clients that offer it (`None`: never). On by default, as
    /// `websockets`' `serve()`; see [`crate::deflate::RouteCompression`].
    pub compression: Option<crate::deflate::RouteCompression>,
}

/// How a live route finds a message's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRule {
    /// A JSON pointer (RFC 6901) into a JSON message, e.g. `/id`; written `"/id"`.
    JsonPointer(String),
    /// The first N bytes of the message; written `"prefix:N"`.
    Prefix(usize),
    /// The whole stream is one key; written `"stream"`.
    Stream,
}

impl KeyRule {
    /// Parses `"/id"`, `"prefix:8"` or `"stream"`.
    pub fn parse(s: &str) -> Result<Self> {
        if s == "stream" {
            Ok(KeyRule::Stream)
        } else if s.starts_with('/') {
            Ok(KeyRule::JsonPointer(s.to_string()))
        } else if let Some(n) = s.strip_prefix("prefix:") {
            match n.parse::<usize>() {
                Ok(n) if n > 0 && n <= 1024 => Ok(KeyRule::Prefix(n)),
                _ => Err(Error::config(format!("live key {s:?}: prefix length must be 1-1024"))),
            }
        } else {
            Err(Error::config(format!("live key {s:?}: use a JSON pointer such as \"/id\", \"prefix:N\" or \"stream\"")))
        }
    }
}

/// Live-stream settings of a route (see `hub::live`).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveConfig {
    /// How a message's key is found.
    pub key: KeyRule,
    /// Queued messages a subscriber may have before newer ones replace older ones of the same
    /// key (a subscriber that keeps up stays below it and gets every message).
    pub threshold: usize,
    /// A queued message older than this when its turn comes is not written.
    pub max_age: Option<Duration>,
    /// Send a joining subscriber the latest value of every key first.
    pub snapshot: bool,
    /// Most keys remembered for snapshots and rate caps (older keys are evicted, counted).
    pub max_keys: usize,
    /// Default per-subscriber cap, messages per second per key (`?max_rate=` overrides).
    pub max_rate: Option<f64>,
}

impl LiveConfig {
    /// Conflation by `key` with the defaults: threshold 8, no max age, snapshots on, 10,000
    /// keys, no rate cap.
    pub fn new(key: KeyRule) -> Self {
        LiveConfig { key, threshold: 8, max_age: None, snapshot: true, max_keys: 10_000, max_rate: None }
    }
}

impl RouteConfig {
    /// A route with a 1 MiB queue that closes slow consumers. The path `"*"` makes a fallback
    /// route for every path without a route of its own.
    pub fn new(path: impl Into<String>, kind: RouteKind) -> Self {
        RouteConfig {
            path: path.into(),
            kind,
            queue_limit: 1 << 20,
            on_overflow: OverflowPolicy::Close,
            subprotocols: Vec::new(),
            host_accepts: false,
            live: None,
            compression: Some(crate::deflate::RouteCompression::for_kind(kind)),
        }
    }
}

/// TLS files of a hub (PEM).
#[derive(Debug, Clone, PartialEq)]
pub struct HubTls {
    /// Certificate chain file.
    pub cert: PathBuf,
    /// Private key file.
    pub key: PathBuf,
}

/// Everything a hub needs.
#[derive(Debug, Clone, PartialEq)]
pub struct HubConfig {
    /// Listen address, `ip:port` (port 0 picks a free one); empty for none (then `unix`
    /// must be set).
    pub listen: String,
    /// Also (or only) listen on this Unix domain socket path. A stale socket file is replaced;
    /// the file is removed when the hub stops.
    pub unix: Option<PathBuf>,
    /// Routes by path.
    pub routes: Vec<RouteConfig>,
    /// Most connections held at once; more get HTTP 503.
    pub max_connections: usize,
    /// Largest accepted incoming message; bigger closes with 1009. Messages the host sends
    /// through the hub are held to it as well.
    pub max_message_size: usize,
    /// Allowed `Origin` header values (empty = any origin, and requests without one).
    pub origins: Vec<String>,
    /// Required `token` query parameter (percent-encoded) or `Authorization: Bearer` value on
    /// every handshake and on `/_omnisock/status` and `/metrics` (None = no check).
    pub token: Option<String>,
    /// Directory served for plain GET requests that match no route.
    pub static_dir: Option<PathBuf>,
    /// Serve the built-in demo page at `/` (the default config does).
    pub demo_page: bool,
    /// wss: certificate and key.
    pub tls: Option<HubTls>,
    /// Time a graceful shutdown waits for connections to finish closing.
    pub shutdown_timeout: Duration,
    /// Interval of keepalive pings to idle connections (`None` = no pings).
    pub ping_interval: Option<Duration>,
    /// A connection that sends nothing (not even a pong) this long after a ping is closed
    /// (1011, "keepalive ping timeout").
    pub pong_timeout: Duration,
    /// Backplane: `None` or `"local"` for one process; a multi-node URL such as
    /// `"redis://host:6379/"` joins every hub with the same URL and prefix into one.
    pub backplane: Option<String>,
    /// Key/channel prefix on a shared backplane (several apps on one Redis).
    pub backplane_prefix: String,
    /// PEM file of a CA trusted (besides the webpki roots) by a `rediss://` backplane.
    pub backplane_ca: Option<PathBuf>,
    /// Limits of the host event queue.
    pub event_limits: crate::event::QueueLimits,
    /// Hub-wide budget of outbound bytes held for all connections together (queued and being
    /// written). When it is reached, each route's overflow policy applies to the connections
    /// that lag (a non-empty queue); connections that keep up are not affected.
    pub max_buffered: usize,
    /// Kernel send buffer per connection (`SO_SNDBUF`; Linux doubles it), so a stalled reader
    /// is noticed after this much instead of the several hundred KiB autotuning allows.
    /// 0 leaves the kernel's autotuning.
    pub send_buffer: usize,
    /// Time a new socket has for its TLS handshake and its HTTP request head (default 10 s);
    /// a socket still silent then is closed.
    pub handshake_timeout: Duration,
    /// Most sockets in their TLS handshake or request head at once (default 1024). A new socket
    /// beyond it evicts the oldest pending one, so silent sockets cannot crowd out clients.
    pub max_pending_handshakes: usize,
}

/// Default of [`HubConfig::max_buffered`].
pub const DEFAULT_MAX_BUFFERED: usize = 512 << 20;
/// Default of [`HubConfig::send_buffer`].
pub const DEFAULT_SEND_BUFFER: usize = 64 << 10;

impl HubConfig {
    /// An empty hub on `listen` with no routes.
    pub fn new(listen: impl Into<String>) -> Self {
        HubConfig {
            listen: listen.into(),
            unix: None,
            routes: Vec::new(),
            max_connections: 100_000,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            origins: Vec::new(),
            token: None,
            static_dir: None,
            demo_page: false,
            tls: None,
            shutdown_timeout: Duration::from_secs(5),
            ping_interval: Some(Duration::from_secs(20)),
            pong_timeout: Duration::from_secs(20),
            backplane: None,
            backplane_prefix: "omnisock".into(),
            backplane_ca: None,
            event_limits: Default::default(),
            max_buffered: DEFAULT_MAX_BUFFERED,
            send_buffer: DEFAULT_SEND_BUFFER,
            handshake_timeout: Duration::from_secs(10),
            max_pending_handshakes: 1024,
        }
    }

    /// The embedded default: 127.0.0.1:9001 with `/echo` (echo), `/chat` (broadcast),
    /// `/ws/camera` (relay) and the demo page at `/`.
    pub fn default_hub() -> Self {
        let mut cfg = HubConfig::new("127.0.0.1:9001");
        cfg.routes = vec![
            RouteConfig::new("/echo", RouteKind::Echo),
            RouteConfig::new("/chat", RouteKind::Broadcast),
            RouteConfig::new("/ws/camera", RouteKind::Relay),
        ];
        cfg.demo_page = true;
        cfg
    }

    /// Parses the TOML form (see the README); unknown keys are errors.
    pub fn from_toml(text: &str) -> Result<Self> {
        let file: HubFile = toml::from_str(text).map_err(|e| Error::config(format!("hub config: {e}")))?;
        // A Unix socket without a listen address listens on the Unix socket only.
        let default_listen = if file.unix.is_some() { "" } else { "127.0.0.1:9001" };
        let mut cfg = HubConfig::new(file.listen.unwrap_or_else(|| default_listen.into()));
        cfg.unix = file.unix;
        if let Some(n) = file.max_connections {
            cfg.max_connections = n;
        }
        if let Some(s) = file.max_message_size {
            cfg.max_message_size = parse_size(&s)?;
        }
        if let Some(s) = file.max_buffered {
            cfg.max_buffered = parse_size(&s)?;
        }
        if let Some(s) = file.send_buffer {
            cfg.send_buffer = parse_size(&s)?;
        }
        cfg.origins = file.origins.unwrap_or_default();
        cfg.token = file.token;
        cfg.static_dir = file.static_dir;
        cfg.demo_page = file.demo_page.unwrap_or(false);
        if let Some(t) = file.tls {
            cfg.tls = Some(HubTls { cert: t.cert, key: t.key });
        }
        cfg.backplane = file.backplane;
        cfg.backplane_ca = file.backplane_ca;
        if let Some(p) = file.backplane_prefix {
            cfg.backplane_prefix = p;
        }
        if let Some(p) = file.ping_interval {
            cfg.ping_interval = if p > 0.0 { Some(seconds("ping_interval", p)?) } else { None };
        }
        if let Some(n) = file.max_pending_handshakes {
            cfg.max_pending_handshakes = n;
        }
        if let Some(t) = file.handshake_timeout {
            if t <= 0.0 {
                return Err(Error::config("handshake_timeout must be > 0 seconds"));
            }
            cfg.handshake_timeout = seconds("handshake_timeout", t)?;
        }
        if let Some(p) = file.pong_timeout {
            if p <= 0.0 {
                return Err(Error::config("pong_timeout must be > 0 seconds"));
            }
            cfg.pong_timeout = seconds("pong_timeout", p)?;
        }
        for r in file.route {
            let mut route = RouteConfig::new(r.path, r.kind);
            route.subprotocols = r.subprotocols.unwrap_or_default();
            route.host_accepts = r.host_accepts.unwrap_or(false);
            if let Some(c) = r.compression {
                route.compression = c.resolve(route.kind).map_err(|e| Error::config(format!("route {:?}: {e}", route.path)))?;
            }
            if let Some(q) = r.queue_limit {
                route.queue_limit = parse_size(&q)?;
            }
            if let Some(p) = r.on_overflow {
                route.on_overflow = p;
            }
            if let Some(l) = r.live {
                let mut live = LiveConfig::new(KeyRule::parse(&l.key).map_err(|e| Error::config(format!("route {:?}: {e}", route.path)))?);
                if let Some(t) = l.threshold {
                    live.threshold = t;
                }
                if let Some(a) = l.max_age {
                    if a <= 0.0 || !a.is_finite() {
                        return Err(Error::config(format!("route {:?}: live.max_age must be > 0 seconds", route.path)));
                    }
                    live.max_age = Some(Duration::from_secs_f64(a));
                }
                if let Some(s) = l.snapshot {
                    live.snapshot = s;
                }
                if let Some(k) = l.max_keys {
                    live.max_keys = k;
                }
                live.max_rate = l.max_rate;
                route.live = Some(live);
            }
            cfg.routes.push(route);
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks paths, duplicates and limits.
    pub fn validate(&self) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        for r in &self.routes {
            if !r.path.starts_with('/') && r.path != "*" {
                return Err(Error::config(format!("route path {:?} must start with '/' (or be \"*\" for every other path)", r.path)));
            }
            if r.path.starts_with("/_omnisock/") || r.path == "/metrics" {
                return Err(Error::config(format!("route path {:?} is reserved for status and metrics", r.path)));
            }
            if !seen.insert(r.path.as_str()) {
                return Err(Error::config(format!("route path {:?} is defined twice", r.path)));
            }
            if r.host_accepts && r.kind != RouteKind::Host {
                return Err(Error::config(format!("route {:?}: host_accepts needs kind = \"host\"", r.path)));
            }
            if r.queue_limit == 0 {
                return Err(Error::config(format!("route {:?}: queue_limit must be > 0", r.path)));
            }
            if let Some(c) = &r.compression {
                c.validate().map_err(|e| Error::config(format!("route {:?}: compression: {e}", r.path)))?;
            }
            if let Some(l) = &r.live {
                if l.max_keys == 0 {
                    return Err(Error::config(format!("route {:?}: live.max_keys must be > 0", r.path)));
                }
                if l.max_rate.is_some_and(|m| !(m > 0.0 && m.is_finite())) {
                    return Err(Error::config(format!("route {:?}: live.max_rate must be > 0 messages per second", r.path)));
                }
                if !matches!(r.kind, RouteKind::Broadcast | RouteKind::Relay | RouteKind::Host) {
                    return Err(Error::config(format!("route {:?}: live needs kind broadcast, relay or host", r.path)));
                }
            }
        }
        if self.max_message_size == 0 {
            return Err(Error::config("max_message_size must be > 0"));
        }
        if self.max_buffered == 0 {
            return Err(Error::config("max_buffered must be > 0 (e.g. \"512MiB\")"));
        }
        if self.send_buffer > (1 << 30) {
            return Err(Error::config("send_buffer must be at most 1GiB (0 = the kernel's autotuning)"));
        }
        if self.max_pending_handshakes == 0 {
            return Err(Error::config("max_pending_handshakes must be > 0"));
        }
        if self.handshake_timeout.is_zero() {
            return Err(Error::config("handshake_timeout must be > 0"));
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HubFile {
    listen: Option<String>,
    /// Unix domain socket path.
    unix: Option<PathBuf>,
    max_connections: Option<usize>,
    max_message_size: Option<SizeValue>,
    max_buffered: Option<SizeValue>,
    send_buffer: Option<SizeValue>,
    origins: Option<Vec<String>>,
    token: Option<String>,
    static_dir: Option<PathBuf>,
    demo_page: Option<bool>,
    backplane: Option<String>,
    backplane_prefix: Option<String>,
    backplane_ca: Option<PathBuf>,
    /// Seconds between keepalive pings (0 = off).
    ping_interval: Option<f64>,
    /// Seconds to wait for any data after a ping.
    pong_timeout: Option<f64>,
    /// Seconds a new socket has for its TLS handshake and request head.
    handshake_timeout: Option<f64>,
    /// Most sockets in their handshake at once.
    max_pending_handshakes: Option<usize>,
    tls: Option<TlsFile>,
    #[serde(default)]
    route: Vec<RouteFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    cert: PathBuf,
    key: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteFile {
    path: String,
    kind: RouteKind,
    queue_limit: Option<SizeValue>,
    on_overflow: Option<OverflowPolicy>,
    subprotocols: Option<Vec<String>>,
    host_accepts: Option<bool>,
    live: Option<LiveFile>,
    compression: Option<crate::deflate::CompressionFile>,
}

/// `[route.live]` in TOML.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LiveFile {
    key: String,
    threshold: Option<usize>,
    /// Seconds.
    max_age: Option<f64>,
    snapshot: Option<bool>,
    max_keys: Option<usize>,
    max_rate: Option<f64>,
}

/// A duration in seconds from the TOML file; NaN, infinite or absurd values are errors, not panics.
fn seconds(key: &str, v: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(v)
        .ok()
        .filter(|d| d.as_secs() < 100 * 365 * 86_400)
        .ok_or_else(|| Error::config(format!("{key} = {v}: expected a number of seconds")))
}

/// A size written as a number of bytes or a string like `"1MiB"`.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum SizeValue {
    Bytes(u64),
    Text(String),
}

pub(crate) fn parse_size(v: &SizeValue) -> Result<usize> {
    match v {
        SizeValue::Bytes(n) => Ok(*n as usize),
        SizeValue::Text(s) => parse_size_str(s),
    }
}

/// Parses `"512"`, `"64KiB"`, `"1MiB"`, `"1GiB"`, `"10kB"`, `"1MB"` into bytes.
pub fn parse_size_str(s: &str) -> Result<usize> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: usize = num.parse().map_err(|_| Error::config(format!("size {s:?}: expected a number followed by B, KiB, MiB or GiB")))?;
    let mult = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "K" => 1 << 10,
        "MiB" | "M" => 1 << 20,
        "GiB" | "G" => 1 << 30,
        "kB" | "KB" => 1000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        u => return Err(Error::config(format!("size {s:?}: unknown unit {u:?} (use B, KiB, MiB, GiB, kB, MB, GB)"))),
    };
    n.checked_mul(mult).ok_or_else(|| Error::config(format!("size {s:?} is too large")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_route_from_toml_and_its_errors() {
        let cfg = HubConfig::from_toml(
            "[[route]]\npath = \"/cam\"\nkind = \"broadcast\"\n[route.live]\nkey = \"/id\"\nthreshold = 4\nmax_age = 1.5\nsnapshot = false\nmax_keys = 100\nmax_rate = 10\n",
        )
        .unwrap();
        let live = cfg.routes[0].live.clone().unwrap();
        assert_eq!(live.key, KeyRule::JsonPointer("/id".into()));
        assert_eq!((live.threshold, live.snapshot, live.max_keys, live.max_rate), (4, false, 100, Some(10.0)));
        assert_eq!(live.max_age, Some(Duration::from_millis(1500)));
        let prefix = HubConfig::from_toml("[[route]]\npath = \"/p\"\nkind = \"relay\"\n[route.live]\nkey = \"prefix:4\"\n").unwrap();
        assert_eq!(prefix.routes[0].live.as_ref().unwrap().key, KeyRule::Prefix(4));
        for (bad, says) in [
            ("key = \"id\"", "JSON pointer"),
            ("key = \"prefix:0\"", "prefix length"),
            ("key = \"/id\"\nmax_rate = -1", "max_rate"),
            ("key = \"/id\"\nmax_age = 0", "max_age"),
            ("key = \"/id\"\nbogus = 1", "bogus"),
        ] {
            let e = HubConfig::from_toml(&format!("[[route]]\npath = \"/c\"\nkind = \"broadcast\"\n[route.live]\n{bad}\n")).unwrap_err();
            assert!(e.to_string().contains(says), "{bad}: {e}");
        }
        let echo = HubConfig::from_toml("[[route]]\npath = \"/e\"\nkind = \"echo\"\n[route.live]\nkey = \"stream\"\n").unwrap_err();
        assert!(echo.to_string().contains("broadcast, relay or host"), "{echo}");
    }

    #[test]
    fn client_config_crosses_as_json_with_human_sizes_and_durations() {
        let mut c = ClientConfig::new("ws://127.0.0.1:9/a");
        c.fallback_urls = vec!["ws://127.0.0.1:10/a".into()];
        c.reconnect = ReconnectPolicy::backoff(3);
        c.ping_interval = None;
        c.headers = vec![("X-A".into(), "1".into())];
        let json = c.to_json();
        assert!(json.contains("\"max_message_size\":\"16MiB\""), "{json}");
        assert!(json.contains("\"initial_delay\":\"250ms\""), "{json}");
        assert!(json.contains("\"ping_interval\":\"off\""), "{json}");
        assert_eq!(ClientConfig::from_json(&json).unwrap(), c);
        let short = ClientConfig::from_json(r#"{"url":"ws://h/","max_message_size":"1MiB","connect_timeout":"1.5s","ping_interval":5}"#).unwrap();
        assert_eq!(short.max_message_size, 1 << 20);
        assert_eq!(short.connect_timeout, Duration::from_millis(1500));
        assert_eq!(short.ping_interval, Some(Duration::from_secs(5)));
        assert_eq!(short.send_queue_limit, ClientConfig::new("").send_queue_limit, "missing keys keep the defaults");
        let unknown = ClientConfig::from_json(r#"{"url":"ws://h/","max_size":1}"#).unwrap_err();
        assert_eq!(unknown.code(), crate::ErrorCode::Config);
        assert!(unknown.to_string().contains("max_size"), "{unknown}");
        let invalid = ClientConfig::from_json(r#"{"url":"ws://h/","send_queue_limit":0}"#).unwrap_err();
        assert!(invalid.to_string().contains("send queue limit"), "{invalid}");
        assert!(ClientConfig::from_json(r#"{"url":"ws://h/","connect_timeout":"soon"}"#).is_err());
    }

    #[test]
    fn network_options_cross_as_json_under_their_names() {
        let c = ClientConfig::from_json(
            r#"{"url":"wss://h/","proxy":"http://u:p@127.0.0.1:3128","proxy_from_env":true,"max_redirects":10,
                "certificate_pins":[["**.h","sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]],
                "cookies":[["a","1"]],"unix_socket":"/tmp/s.sock","too_many_requests_path_suffix":true}"#,
        )
        .unwrap();
        assert_eq!(c.proxy.as_deref(), Some("http://u:p@127.0.0.1:3128"));
        assert!(c.proxy_from_env && c.too_many_requests_path_suffix);
        assert_eq!(c.max_redirects, 10);
        assert_eq!(c.certificate_pins[0].0, "**.h");
        assert_eq!(c.cookies, vec![("a".to_string(), "1".to_string())]);
        assert_eq!(c.unix_socket.as_deref(), Some(std::path::Path::new("/tmp/s.sock")));
        assert_eq!(ClientConfig::from_json(&c.to_json()).unwrap(), c);
        let d = ClientConfig::from_json(r#"{"url":"ws://h/","proxy":null,"unix_socket":null}"#).unwrap();
        assert_eq!((d.proxy.is_none(), d.proxy_from_env, d.max_redirects, d.unix_socket.is_none()), (true, false, 0, true));
        for (bad, says) in [
            (r#"{"url":"ws://h/","proxy":"socks5://h:1"}"#, "socks5"),
            (r#"{"url":"ws://h/","certificate_pins":[["h","md5/x"]]}"#, "sha256/"),
            (r#"{"url":"ws://h/","cookies":[["a b","1"]]}"#, "cookie name"),
            (r#"{"url":"ws://h/","unix_socket":""}"#, "unix_socket"),
        ] {
            let e = ClientConfig::from_json(bad).unwrap_err();
            assert!(e.to_string().contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn client_validate_accepts_the_defaults_and_refuses_zero_limits() {
        let ok = ClientConfig::new("ws://127.0.0.1:1/");
        ok.validate().unwrap();
        let mut c = ok.clone();
        c.connect_timeout = Duration::ZERO;
        assert!(c.validate().unwrap_err().to_string().contains("connect timeout"));
        let mut c = ok.clone();
        c.pong_timeout = Duration::ZERO;
        assert!(c.validate().is_err(), "pings on need a pong timeout");
        c.ping_interval = None;
        c.validate().unwrap();
        let mut c = ok.clone();
        c.reconnect = ReconnectPolicy::backoff(3);
        c.reconnect.max_delay = c.reconnect.initial_delay / 2;
        assert!(c.validate().unwrap_err().to_string().contains("reconnect"));
        let mut c = ok.clone();
        c.send_queue_limit = 0;
        assert!(c.validate().is_err());
        let mut c = ok;
        c.max_message_size = 0;
        assert_eq!(c.validate().unwrap_err().code(), crate::ErrorCode::InvalidArgument);
    }

    #[test]
    fn mdf_443_is_wss_and_turns_line_framing_on() {
        let cfg = ClientConfig::from_mdf("# comment\nPlugin_Remote_Websocket_Host=foo.bar.com\nPlugin_Remote_Websocket_Port=443\nPlugin_Remote_Websocket_Directory=/channel\n").unwrap();
        assert_eq!(cfg.url, "wss://foo.bar.com:443/channel");
        assert!(cfg.line_framing);
        let cfg = ClientConfig::from_mdf("Plugin_Remote_Websocket_Host=localhost\r\nPlugin_Remote_Websocket_Port=9001\r\nPlugin_Remote_Websocket_Directory=chat\r\n").unwrap();
        assert_eq!(cfg.url, "ws://localhost:9001/chat");
    }

    #[test]
    fn mdf_errors_name_the_key() {
        let e = ClientConfig::from_mdf("Plugin_Remote_Websocket_Port=80").unwrap_err();
        assert!(e.message().contains("Plugin_Remote_Websocket_Host"), "{e}");
        let e = ClientConfig::from_mdf("Plugin_Remote_Websocket_Host=a\nPlugin_Remote_Websocket_Port=http").unwrap_err();
        assert!(e.message().contains("line 2"), "{e}");
    }

    #[test]
    fn route_compression_from_toml() {
        let cfg = HubConfig::from_toml(
            "[[route]]\npath = \"/e\"\nkind = \"echo\"\n[[route]]\npath = \"/b\"\nkind = \"broadcast\"\ncompression = false\n[[route]]\npath = \"/c\"\nkind = \"broadcast\"\ncompression = { threshold = \"4KiB\", window_bits = 15, memory_level = 8, client_context_takeover = false }\n",
        )
        .unwrap();
        let e = cfg.routes[0].compression.clone().unwrap();
        assert!(e.context_takeover, "echo keeps its context by default");
        assert_eq!((e.threshold, e.window_bits, e.memory_level), (1024, 12, 5));
        assert_eq!(cfg.routes[1].compression, None);
        let c = cfg.routes[2].compression.clone().unwrap();
        assert_eq!((c.threshold, c.window_bits, c.memory_level, c.context_takeover, c.client_context_takeover), (4096, 15, 8, false, false));
        for bad in ["window_bits = 8", "memory_level = 0", "level = 10", "mystery = 1"] {
            let t = format!("[[route]]\npath = \"/c\"\nkind = \"echo\"\ncompression = {{ {bad} }}\n");
            assert!(HubConfig::from_toml(&t).is_err(), "{bad}");
        }
    }

    #[test]
    fn toml_routes_and_sizes() {
        let cfg = HubConfig::from_toml("listen = \"127.0.0.1:0\"\n[[route]]\npath = \"/chat\"\nkind = \"broadcast\"\nqueue_limit = \"1MiB\"\non_overflow = \"drop_oldest\"\n").unwrap();
        assert_eq!(cfg.routes[0].queue_limit, 1 << 20);
        assert_eq!(cfg.routes[0].on_overflow, OverflowPolicy::DropOldest);
        assert!(HubConfig::from_toml("bogus = 1").unwrap_err().message().contains("bogus"));
        assert!(HubConfig::from_toml("[[route]]\npath = \"x\"\nkind = \"echo\"").is_err());
        assert!(parse_size_str("12 parsecs").is_err());
        assert_eq!(parse_size_str("64KiB").unwrap(), 65536);
        for bad in ["ping_interval = 1e300", "pong_timeout = inf", "pong_timeout = nan", "handshake_timeout = 1e30"] {
            assert!(HubConfig::from_toml(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn backoff_grows_and_caps() {
        let mut p = ReconnectPolicy::backoff(5);
        p.jitter = 0.0;
        assert_eq!(p.delay(1), Duration::from_millis(250));
        assert_eq!(p.delay(2), Duration::from_millis(500));
        assert_eq!(p.delay(40), Duration::from_secs(10));
        p.jitter = 0.5;
        for _ in 0..100 {
            let d = p.delay(3);
            assert!(d >= Duration::from_millis(500) && d <= Duration::from_millis(1000));
        }
    }
}
