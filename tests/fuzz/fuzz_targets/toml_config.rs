//! The hub's TOML configuration reader and its validation.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(cfg) = omnisock_core::HubConfig::from_toml(text) {
            let _ = cfg.validate();
        }
    }
});
