//! permessage-deflate (RFC 7692) for both roles: negotiation ([`server_negotiate`],
//! [`client_offer`], [`client_accept`]) and the per-message codec ([`Deflater`], [`Inflater`]).
//!
//! Compression is raw DEFLATE through zlib-rs (pure Rust) with the negotiated window: each
//! message is compressed with a sync flush and its `00 00 ff ff` tail removed; received
//! messages get the tail back before inflation. Inflation is bounded: a message that would
//! inflate past the caller's limit fails ([`CodecError::TooBig`], close 1009) having allocated
//! at most the limit plus one byte.
//!
//! Windows of 8 bits are declined wherever this side would have to compress with them: zlib
//! (and zlib-rs) cannot produce an 8-bit window. Inflating always uses at least 9 bits, which
//! reads any stream a peer limited to 8 produces.
//!
//! Memory (zlib-rs 0.6, measured with a counting allocator): no zlib state exists until a
//! message is compressed or inflated. A compressor then holds ~161 KiB with a 12-bit window and
//! memory level 5 (~371 KiB at 15/8; zlib-rs's hash table is fixed at 64 Ki entries, so the
//! memory level matters little), an inflater ~46 KiB whatever its window. Without context
//! takeover, [`Deflater::idle`] and [`Inflater::idle`] free the state between messages.

mod codec;
mod negotiate;
mod route;

pub use codec::{CodecError, Deflater, Inflater};
pub(crate) use route::CompressionFile;
pub use route::{RouteCompression, DEFAULT_THRESHOLD};
pub use negotiate::{client_accept, client_offer, server_negotiate, NegotiationError};

/// The extension's name in `Sec-WebSocket-Extensions`.
pub const EXTENSION: &str = "permessage-deflate";

/// The smallest window this side can compress with (zlib turns 8 into 9).
pub const MIN_COMPRESS_WINDOW: u8 = 9;

/// Which end of the connection this side is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The accepting side (the hub).
    Server,
    /// The connecting side.
    Client,
}

/// This side's compression preferences. For the server they shape the answer to an offer;
/// for the client they shape the offer. Window bits of 15 mean "no limit asked".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Server: always answer with `server_no_context_takeover` (the hub's compress-once
    /// fan-out needs it). Client: request it.
    pub server_no_context_takeover: bool,
    /// Server: ask the client not to take over context. Client: offer it.
    pub client_no_context_takeover: bool,
    /// Largest window the server compresses with (9-15): the server's limit, or what a client asks for.
    pub server_max_window_bits: u8,
    /// Largest window the client compresses with (9-15): what a server asks for, or the client's own limit.
    pub client_max_window_bits: u8,
    /// zlib compression level 0-9 (6 is zlib's default).
    pub level: u8,
    /// zlib memory level 1-9: hash table size (memory against speed and ratio).
    pub mem_level: u8,
}

impl Default for Settings {
    /// `websockets`' client defaults: no limits asked, memory level 5, zlib's level.
    fn default() -> Self {
        Settings { server_no_context_takeover: false, client_no_context_takeover: false, server_max_window_bits: 15, client_max_window_bits: 15, level: 6, mem_level: 5 }
    }
}

impl Settings {
    /// `websockets`' server defaults: windows of 12 bits both ways, memory level 5.
    pub fn server() -> Self {
        Settings { server_max_window_bits: 12, client_max_window_bits: 12, ..Settings::default() }
    }

    /// Checks every value's range; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [("server_max_window_bits", self.server_max_window_bits), ("client_max_window_bits", self.client_max_window_bits)] {
            if !(MIN_COMPRESS_WINDOW..=15).contains(&v) {
                return Err(format!("{name} must be 9-15 (got {v})"));
            }
        }
        if self.level > 9 {
            return Err(format!("compression level must be 0-9 (got {})", self.level));
        }
        if !(1..=9).contains(&self.mem_level) {
            return Err(format!("compression memory level must be 1-9 (got {})", self.mem_level));
        }
        Ok(())
    }
}

/// Negotiated parameters, as they appear in the server's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The server resets its compressor after every message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after every message.
    pub client_no_context_takeover: bool,
    /// Largest window the server compresses with (`None`: 15).
    pub server_max_window_bits: Option<u8>,
    /// Largest window the client compresses with (`None`: 15).
    pub client_max_window_bits: Option<u8>,
}

impl Params {
    /// The `Sec-WebSocket-Extensions` value of the server's answer.
    pub fn response(&self) -> String {
        let mut v = String::from(EXTENSION);
        if self.server_no_context_takeover {
            v.push_str("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            v.push_str("; client_no_context_takeover");
        }
        if let Some(n) = self.server_max_window_bits {
            v.push_str(&format!("; server_max_window_bits={n}"));
        }
        if let Some(n) = self.client_max_window_bits {
            v.push_str(&format!("; client_max_window_bits={n}"));
        }
        v
    }

    /// Whether `role` resets its compressor after each message.
    pub fn no_context_takeover(&self, role: Role) -> bool {
        match role {
            Role::Server => self.server_no_context_takeover,
            Role::Client => self.client_no_context_takeover,
        }
    }

    fn max_window(&self, role: Role) -> u8 {
        match role {
            Role::Server => self.server_max_window_bits,
            Role::Client => self.client_max_window_bits,
        }
        .unwrap_or(15)
    }

    /// The compressor for messages `role` sends: the negotiated window, or the settings'
    /// smaller one (a compressor may always use less).
    pub fn deflater(&self, role: Role, s: &Settings) -> Deflater {
        let own = match role {
            Role::Server => s.server_max_window_bits,
            Role::Client => s.client_max_window_bits,
        };
        let window = self.max_window(role).min(own).max(MIN_COMPRESS_WINDOW);
        Deflater::new(window, s.level, s.mem_level, self.no_context_takeover(role))
    }

    /// The decompressor for messages `role` receives (from the other side).
    pub fn inflater(&self, role: Role) -> Inflater {
        let peer = match role {
            Role::Server => Role::Client,
            Role::Client => Role::Server,
        };
        Inflater::new(self.max_window(peer).max(MIN_COMPRESS_WINDOW), self.no_context_takeover(peer))
    }
}
