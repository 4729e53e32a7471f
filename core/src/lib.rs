//! omnisock core: one WebSocket engine for every host language.
//!
//! The core owns all sockets on one internal tokio [`runtime`]. It offers two runtimes:
//! - the [`Client`] (ws/wss, keepalive, reconnect, bounded send queue, line framing), and
//! - the [`Hub`] (routes `echo`/`broadcast`/`relay`/`host`, groups, bounded per-connection
//!   queues with overflow policies, limits, status and metrics).
//!
//! Both report to the host through an [`EventQueue`] that is drained in batches, so bindings
//! (C, JNI, Python) only convert arguments and events. This crate has no `unsafe` and no FFI.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backplane;
pub mod client;
pub mod config;
pub mod deflate;
pub mod error;
pub mod event;
pub mod frame;
pub mod frame_io;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz_io;
pub mod handle;
pub mod hub;
pub mod human;
pub mod io;
mod base64;
mod json;
pub mod mdf;
pub mod reply_spin;
pub mod runtime;
pub mod tls;
pub mod vocab;
pub mod ws;
pub mod x509;

pub use client::{Client, ClientState};
pub use config::{ClientConfig, ClientTls, CompressionOptions, HubConfig, HubTls, KeyRule, LiveConfig, OverflowPolicy, ReconnectPolicy, RouteConfig, RouteKind};
pub use error::{Error, ErrorCode, Result};
pub use event::{ConnId, Event, EventKind, EventQueue, OpenInfo, Payload, QueueLimits};
pub use hub::Hub;

/// The version of omnisock.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
