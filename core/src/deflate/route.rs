//! A hub route's compression settings and their TOML form.

use serde::Deserialize;

use super::Settings;
use crate::config::RouteKind;

/// Default of [`RouteCompression::threshold`] (OkHttp's `minimumDeflateSize`).
pub const DEFAULT_THRESHOLD: usize = 1024;

/// permessage-deflate on a hub route. The hub accepts a client's offer with these settings;
/// clients that do not offer compression are served as before, with no zlib state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteCompression {
    /// Messages shorter than this go out uncompressed (default 1024 bytes).
    pub threshold: usize,
    /// Largest window the hub compresses with, 9-15 (default 12, as `websockets`).
    pub window_bits: u8,
    /// Largest window the hub asks clients to compress with, 9-15 (default 12).
    pub client_window_bits: u8,
    /// zlib memory level 1-9 (default 5, as `websockets`).
    pub memory_level: u8,
    /// zlib compression level 0-9 (default 6).
    pub level: u8,
    /// The hub keeps its compression context between the messages of a connection (better
    /// ratio, one compressor per connection). Off, the hub answers `server_no_context_takeover`
    /// and compresses each fanned-out message once for every subscriber. Default: on for
    /// `echo`, off for `broadcast`, `relay` and `host`.
    pub context_takeover: bool,
    /// Let clients keep their context between messages. Off, the hub asks for
    /// `client_no_context_takeover`, and a connection's inflater is freed while it is idle.
    /// Default: on for `echo`, off for the others.
    pub client_context_takeover: bool,
}

impl RouteCompression {
    /// The defaults for a route of `kind`.
    pub fn for_kind(kind: RouteKind) -> Self {
        RouteCompression {
            threshold: DEFAULT_THRESHOLD,
            window_bits: 12,
            client_window_bits: 12,
            memory_level: 5,
            level: 6,
            context_takeover: kind == RouteKind::Echo,
            client_context_takeover: kind == RouteKind::Echo,
        }
    }

    /// The negotiation settings of the server side.
    pub fn settings(&self) -> Settings {
        Settings {
            server_no_context_takeover: !self.context_takeover,
            client_no_context_takeover: !self.client_context_takeover,
            server_max_window_bits: self.window_bits,
            client_max_window_bits: self.client_window_bits,
            level: self.level,
            mem_level: self.memory_level,
        }
    }

    /// Checks the ranges; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        self.settings().validate()
    }
}

/// `compression = true | false | { threshold = …, window_bits = …, … }` in a `[[route]]`.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum CompressionFile {
    /// On with the defaults, or off.
    Switch(bool),
    /// On with some values set.
    Table(CompressionTable),
}

/// The table form of [`CompressionFile`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CompressionTable {
    threshold: Option<crate::config::SizeValue>,
    window_bits: Option<u8>,
    client_window_bits: Option<u8>,
    memory_level: Option<u8>,
    level: Option<u8>,
    context_takeover: Option<bool>,
    client_context_takeover: Option<bool>,
}

impl CompressionFile {
    /// The route's setting (`None`: off).
    pub(crate) fn resolve(self, kind: RouteKind) -> Result<Option<RouteCompression>, String> {
        let t = match self {
            CompressionFile::Switch(false) => return Ok(None),
            CompressionFile::Switch(true) => return Ok(Some(RouteCompression::for_kind(kind))),
            CompressionFile::Table(t) => t,
        };
        let mut c = RouteCompression::for_kind(kind);
        if let Some(v) = t.threshold {
            c.threshold = crate::config::parse_size(&v).map_err(|e| format!("compression.threshold: {e}"))?;
        }
        c.window_bits = t.window_bits.unwrap_or(c.window_bits);
        c.client_window_bits = t.client_window_bits.unwrap_or(c.client_window_bits);
        c.memory_level = t.memory_level.unwrap_or(c.memory_level);
        c.level = t.level.unwrap_or(c.level);
        c.context_takeover = t.context_takeover.unwrap_or(c.context_takeover);
        c.client_context_takeover = t.client_context_takeover.unwrap_or(c.client_context_takeover);
        c.validate().map_err(|e| format!("compression: {e}"))?;
        Ok(Some(c))
    }
}
