//! The C ABI's argument decoding: byte buffers with lengths, C strings, enum values passed as
//! integers, and arbitrary 64-bit handles (which must never reach an object they do not name).
//! Nothing here connects or listens.
#![no_main]

use std::ffi::CString;

use omnisock::*;

/// Splits the input into NUL-free parts at 0xff bytes.
fn parts(data: &[u8]) -> Vec<CString> {
    data.split(|b| *b == 0xff).map(|p| CString::new(p.iter().copied().filter(|b| *b != 0).collect::<Vec<u8>>()).unwrap()).collect()
}

fn u64_at(data: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    for (i, x) in data.iter().skip(at).take(8).enumerate() {
        b[i] = *x;
    }
    u64::from_le_bytes(b)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let p = parts(data);
    let arg = |i: usize| p[i % p.len()].as_ptr();
    unsafe {
        // Buffers with their length (need not be NUL-terminated or UTF-8).
        let mut cfg = 0u64;
        if omnisock_client_config_from_mdf(data.as_ptr() as *const _, data.len(), &mut cfg) == omnisock_result::OMNISOCK_OK {
            omnisock_client_config_free(cfg);
        }
        let mut hcfg = 0u64;
        if omnisock_hub_config_from_toml(data.as_ptr() as *const _, data.len(), &mut hcfg) == omnisock_result::OMNISOCK_OK {
            omnisock_hub_config_free(hcfg);
        }
        // C strings into a client configuration.
        let mut c = 0u64;
        if omnisock_client_config_new(arg(0), &mut c) == omnisock_result::OMNISOCK_OK {
            let _ = omnisock_client_config_add_header(c, arg(1), arg(2));
            let _ = omnisock_client_config_add_subprotocol(c, arg(3));
            let _ = omnisock_client_config_add_ca_pem(c, data.as_ptr(), data.len());
            omnisock_client_config_free(c);
        }
        // Enum values as plain integers, sizes and paths into a hub configuration.
        let mut h = 0u64;
        if omnisock_hub_config_new(arg(0), &mut h) == omnisock_result::OMNISOCK_OK {
            let kind = u64_at(data, 0) as i32;
            let overflow = u64_at(data, 4) as i32;
            let _ = omnisock_hub_config_add_route(h, arg(1), kind, u64_at(data, 8) as usize, overflow);
            let _ = omnisock_hub_config_add_route_subprotocol(h, arg(1), arg(2));
            let _ = omnisock_hub_config_set_token(h, arg(3));
            let _ = omnisock_hub_config_set_handshake_limits(h, u64_at(data, 16) as u32, u64_at(data, 20) as usize);
            omnisock_hub_config_free(h);
        }
        // Arbitrary handles: refused or harmless, never dereferenced.
        let handle = u64_at(data, 0);
        let mut st = omnisock_ready_state::OMNISOCK_CLIENT_CLOSED;
        let _ = omnisock_client_state(handle, &mut st);
        let mut port = 0u16;
        let _ = omnisock_hub_local_port(handle, &mut port);
        let _ = omnisock_client_send_binary(handle, data.as_ptr(), data.len());
        let mut ready = false;
        let _ = omnisock_hub_wait(handle, 0, &mut ready);
        let _ = omnisock_result_name(u64_at(data, 8) as i32);
        let mut buf = [0 as std::ffi::c_char; 64];
        let _ = omnisock_last_error(buf.as_mut_ptr(), (u64_at(data, 12) as usize) % 65);
    }
});
