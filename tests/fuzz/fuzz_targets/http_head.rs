//! The hub's HTTP request-head parser and the checks on a parsed head (upgrade, key, token,
//! static path).
#![no_main]
#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::block_on(omnisock_core::hub::fuzz::request_head(data));
});
