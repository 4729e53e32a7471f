//! `dev.omnisock.Native.client*`: the client runtime.


use jni::objects::{JByteArray, JByteBuffer, JLongArray, JObject, JObjectArray, JString};
use jni::sys::{jint, jlong};
use jni::{Env, EnvUnowned};
use omnisock_core::{Client, ClientConfig, Error, ErrorCode};

use omnisock_core::handle::Registry;
use crate::{guard, invalid, opt_string_arg, string_arg, JResult};

static CLIENTS: Registry<Client> = Registry::new(0xC1, "WebSocket");

/// Copies `len` bytes at `off` of a Java `byte[]` (bounds checked).
pub(crate) fn byte_region(env: &Env<'_>, arr: &JByteArray<'_>, off: jint, len: jint) -> JResult<Vec<u8>> {
    if arr.is_null() {
        return Err(invalid("data must not be null"));
    }
    let total = arr.len(env)?;
    if off < 0 || len < 0 || off as usize + len as usize > total {
        return Err(invalid(format!("offset {off} and length {len} do not fit an array of {total} bytes")));
    }
    let mut buf = vec![0u8; len as usize];
    // SAFETY: u8 and i8 have the same size and alignment; only the bit patterns are copied.
    let dst: &mut [i8] = unsafe { std::slice::from_raw_parts_mut(buf.as_mut_ptr() as *mut i8, buf.len()) };
    arr.get_region(env, off, dst)?;
    Ok(buf)
}

/// Copies `len` bytes at `off` of a direct `ByteBuffer` (bounds checked).
pub(crate) fn direct_region(env: &Env<'_>, buf: &JByteBuffer<'_>, off: jint, len: jint) -> JResult<Vec<u8>> {
    if buf.is_null() {
        return Err(invalid("buffer must not be null"));
    }
    let addr = env.get_direct_buffer_address(buf)?;
    let cap = env.get_direct_buffer_capacity(buf)?;
    if addr.is_null() || off < 0 || len < 0 || off as usize + len as usize > cap {
        return Err(invalid(format!("offset {off} and length {len} do not fit a direct buffer of {cap} bytes")));
    }
    // SAFETY: the range was checked against the buffer's capacity; the buffer stays alive (and
    // its memory mapped) for the duration of this native call because Java holds a reference.
    Ok(unsafe { std::slice::from_raw_parts(addr.add(off as usize), len as usize) }.to_vec())
}

/// Result codes a `send`-like call reports instead of throwing: the Java API answers `false`.
fn soft(result: Result<(), Error>) -> JResult<jint> {
    match result {
        Ok(()) => Ok(0),
        Err(e) if matches!(e.code(), ErrorCode::Closed | ErrorCode::QueueFull | ErrorCode::InvalidHandle) => Ok(e.code() as jint),
        Err(e) => Err(e.into()),
    }
}

/// `long clientConnect(String configJson)`: the core's `ClientConfig` in its JSON form, built by
/// `OmnisockClient.configJson` (validated and defaulted by the core).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_clientConnect<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, config: JString<'l>) -> jlong {
    guard(&mut env, |env| {
        let json = string_arg(env, &config, "config")?;
        // Everything the core can refuse here is configuration (URL, headers, CA PEM, option
        // values): to Java that is a bad argument, whatever part of the core found it.
        let as_argument = |e: Error| match e.code() {
            ErrorCode::Tls | ErrorCode::Config => Error::invalid(e.message()),
            _ => e,
        };
        let cfg = ClientConfig::from_json(&json).map_err(as_argument)?;
        let client = Client::connect(cfg).map_err(as_argument)?;
        Ok(CLIENTS.insert(client) as jlong)
    })
}

/// `int clientSendText(long h, byte[] utf8, int off, int len)`: 0, or CLOSED / QUEUE_FULL / INVALID_HANDLE.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_clientSendText<'l>(
    mut env: EnvUnowned<'l>,
    _class: JObject<'l>,
    h: jlong,
    data: JByteArray<'l>,
    off: jint,
    len: jint,
) -> jint {
    guard(&mut env, |env| {
        let c = match CLIENTS.get(h as u64) {
            Ok(c) => c,
            Err(e) => return soft(Err(e)),
        };
        let bytes = byte_region(env, &data, off, len)?;
        soft(c.send_text_bytes(&bytes))
    })
}

/// `int clientSendBinary(long h, byte[] data, int off, int len)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_clientSendBinary<'l>(
    mut env: EnvUnowned<'l>,
    _class: JObject<'l>,
    h: jlong,
    data: JByteArray<'l>,
    off: jint,
    len: jint,
) -> jint {
    guard(&mut env, |env| {
        let c = match CLIENTS.get(h as u64) {
            Ok(c) => c,
            Err(e) => return soft(Err(e)),
        };
        let bytes = byte_region(env, &data, off, len)?;
        soft(c.send_binary(bytes))
    })
}

/// `int clientSendDirect(long h, ByteBuffer direct, int off, int len)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_clientSendDirect<'l>(
    mut env: EnvUnowned<'l>,
    _class: JObject<'l>,
    h: jlong,
    buf: JByteBuffer<'l>,
    off: jint,
    len: jint,
) -> jint {
    guard(&mut env, |env| {
        let c = match CLIENTS.get(h as u64) {
            Ok(c) => c,
            Err(e) => return soft(Err(e)),
        };
        let bytes = direct_region(env, &buf, off, len)?;
        soft(c.send_binary(bytes))
    })
}

/// `int clientPing(long h, byte[] payload)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_clientPing<'l>(
    mut env: EnvUnowned<'l>,
    _class: JObject<'l>,
    h: jlong,
    payload: JByteArray<'l>,
) -> jint {
    guard(&mut env, |env| {
        let c = match CLIENTS.get(h as u64) {
            Ok(c) => c,
            Err(e) => return soft(Err(e)),
        };
        let bytes = if payload.is_null() { Vec::new() } else { env.convert_byte_array(&payload)? };
        soft(c.ping(&bytes))
    })
}

/// `int clientClose(long h, int code, String reason)`: 0, or CLOSED / INVALID_HANDLE; throws
/// `IllegalArgumentException` for a code or reason the protocol does not allow.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_clientClose<'l>(
    mut env: EnvUnowned<'l>,
    _class: JObject<'l>,
    h: jlong,
    code: jint,
    reason: JString<'l>,
) -> jint {
    guard(&mut env, |env| {
        let reason = opt_string_arg(env, &reason)?.unwrap_or_default();
        if !(0..=u16::MAX as jint).contains(&code) {
            return Err(invalid(format!("close code {code} is out of range")));
        }
        let c = match CLIENTS.get(h as u64) {
            Ok(c) => c,
            Err(e) => return soft(Err(e)),
        };
        soft(c.close(code as u16, &reason))
    })
}

/// `void clientCancel(long h)`: drops the connection at once. The event queue then ends with a
/// `Close` (1006, "aborted") so the dispatcher can finish. No-op for a stale handle.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_clientCancel<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, h: jlong) {
    guard(&mut env, |_env| {
        if let Ok(c) = CLIENTS.get(h as u64) {
            if c.state() != omnisock_core::ClientState::Closed {
                // The core reports the final Close (1006) itself.
                c.abort();
            }
        }
        Ok(())
    })
}

/// `int clientState(long h)`: 0 connecting, 1 open, 2 closing, 3 closed.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_clientState<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, h: jlong) -> jint {
    guard(&mut env, |_env| Ok(CLIENTS.get(h as u64)?.state() as jint))
}

/// `long clientQueuedBytes(long h)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_clientQueuedBytes<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, h: jlong) -> jlong {
    guard(&mut env, |_env| Ok(CLIENTS.get(h as u64)?.queued_bytes() as jlong))
}

/// `int clientPoll(long h, int timeoutMs, long[] meta, Object[] objs)`: see `events.rs`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_clientPoll<'l>(
    mut env: EnvUnowned<'l>,
    _class: JObject<'l>,
    h: jlong,
    timeout_ms: jint,
    meta: JLongArray<'l>,
    objs: JObjectArray<'l>,
) -> jint {
    guard(&mut env, |env| {
        let c = CLIENTS.get(h as u64)?;
        crate::events::poll_into(env, c.events(), timeout_ms, &meta, &objs)
    })
}

/// `void clientFree(long h)`: forgets the handle, dropping the connection if it is still up.
/// 0 and freed handles are a no-op.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_clientFree<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, h: jlong) {
    guard(&mut env, |_env| {
        if let Some(c) = CLIENTS.remove(h as u64) {
            c.abort();
        }
        Ok(())
    })
}
