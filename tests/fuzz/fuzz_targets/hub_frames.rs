//! The hub's frame read path: bytes a client sends after the handshake.
#![no_main]
#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::block_on(omnisock_core::hub::fuzz::client_frames(data));
});
