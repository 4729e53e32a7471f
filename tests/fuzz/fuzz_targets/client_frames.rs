//! The client's frame read path: bytes a server sends after the handshake.
#![no_main]
#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::block_on(omnisock_core::client::fuzz::server_frames(data));
});
