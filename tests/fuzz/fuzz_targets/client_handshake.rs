//! The client's parser of the server's handshake response (status, headers, refusal body).
#![no_main]
#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::block_on(omnisock_core::client::fuzz::handshake_response(data));
});
