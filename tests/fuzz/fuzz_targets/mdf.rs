//! The MMDAgent-EX `.mdf` reader (any bytes: files need not be UTF-8), then the validation of
//! the client configuration it gives.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(cfg) = omnisock_core::ClientConfig::from_mdf_bytes(data) {
        let _ = omnisock_core::client::fuzz::validate(&cfg);
    }
});
