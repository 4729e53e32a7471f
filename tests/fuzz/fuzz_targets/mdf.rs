//! The MMDAgent-EX `.mdf` reader, then the validation of the client configuration it gives.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(cfg) = omnisock_core::ClientConfig::from_mdf(text) {
            let _ = omnisock_core::client::fuzz::validate(&cfg);
        }
    }
});
