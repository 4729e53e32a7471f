//! `dev.omnisock.Native.hub*`: the hub runtime.

use jni::objects::{JByteArray, JLongArray, JObject, JObjectArray, JString};
use jni::sys::{jboolean, jint, jlong, jstring};
use jni::{Env, EnvUnowned};
use omnisock_core::{ConnId, Error, ErrorCode, Hub, HubConfig, Payload};

use crate::client::byte_region;
use omnisock_core::handle::Registry;
use crate::{guard, invalid, opt_string_arg, string_arg, JResult};

static HUBS: Registry<Hub> = Registry::new(0x4B, "Hub");

/// Result codes a call reports instead of throwing: the Java API answers `false`.
fn soft(result: Result<(), Error>) -> JResult<jint> {
    match result {
        Ok(()) => Ok(0),
        Err(e) if matches!(e.code(), ErrorCode::Closed | ErrorCode::QueueFull | ErrorCode::NotFound) => Ok(e.code() as jint),
        Err(e) => Err(e.into()),
    }
}

fn hub(h: jlong) -> JResult<std::sync::Arc<Hub>> {
    Ok(HUBS.get(h as u64)?)
}

/// A message from Java: text (UTF-8 checked once, here) or binary.
fn payload(env: &Env<'_>, data: &JByteArray<'_>, text: jboolean) -> JResult<Payload> {
    let n = if data.is_null() { 0 } else { data.len(env)? };
    Ok(Payload::from_bytes(byte_region(env, data, 0, n as jint)?, text)?)
}

fn except(conn: jlong) -> Option<ConnId> {
    (conn > 0).then_some(conn as ConnId)
}

/// `long hubStart(String toml)`: the hub configuration in the TOML form of the README
/// (`Hub.Builder` writes it; routes whose handshakes the host decides say `host_accepts = true`).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubStart<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, toml: JString<'l>) -> jlong {
    guard(&mut env, |env| {
        let cfg = HubConfig::from_toml(&string_arg(env, &toml, "config")?)?;
        let hub = Hub::start(cfg)?;
        Ok(HUBS.insert(hub) as jlong)
    })
}

/// `String hubLocalAddress(long h)`: `ip:port`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubLocalAddress<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, h: jlong) -> jstring {
    guard(&mut env, |env| Ok(JString::from_str(env, hub(h)?.local_addr().to_string())?.into_raw()))
}

/// `int hubSend(long h, long conn, byte[] data, boolean text)`: 0, or CLOSED / QUEUE_FULL / NOT_FOUND.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubSend<'l>(
    mut env: EnvUnowned<'l>,
    _class: JObject<'l>,
    h: jlong,
    conn: jlong,
    data: JByteArray<'l>,
    text: jboolean,
) -> jint {
    guard(&mut env, |env| {
        let hub = hub(h)?;
        let p = payload(env, &data, text)?;
        soft(hub.send(conn as ConnId, p))
    })
}

/// `int hubClose(long h, long conn, int code, String reason)`: 0, or CLOSED / NOT_FOUND.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubClose<'l>(
    mut env: EnvUnowned<'l>,
    _class: JObject<'l>,
    h: jlong,
    conn: jlong,
    code: jint,
    reason: JString<'l>,
) -> jint {
    guard(&mut env, |env| {
        let hub = hub(h)?;
        let reason = opt_string_arg(env, &reason)?.unwrap_or_default();
        if !(0..=u16::MAX as jint).contains(&code) {
            return Err(invalid(format!("close code {code} is out of range")));
        }
        soft(hub.close(conn as ConnId, code as u16, &reason))
    })
}

/// `int hubJoin(long h, long conn, String group)`: 0, or NOT_FOUND.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubJoin<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, h: jlong, conn: jlong, group: JString<'l>) -> jint {
    guard(&mut env, |env| {
        let hub = hub(h)?;
        let group = string_arg(env, &group, "group")?;
        soft(hub.join(conn as ConnId, &group))
    })
}

/// `int hubLeave(long h, long conn, String group)`: 1 left, 0 was not a member, -NOT_FOUND.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubLeave<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, h: jlong, conn: jlong, group: JString<'l>) -> jint {
    guard(&mut env, |env| {
        let hub = hub(h)?;
        let group = string_arg(env, &group, "group")?;
        match hub.leave(conn as ConnId, &group) {
            Ok(was) => Ok(was as jint),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(-(ErrorCode::NotFound as jint)),
            Err(e) => Err(e.into()),
        }
    })
}

/// `int hubPublish(long h, String group, byte[] data, boolean text, long exceptConn)`: recipients.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubPublish<'l>(
    mut env: EnvUnowned<'l>,
    _class: JObject<'l>,
    h: jlong,
    group: JString<'l>,
    data: JByteArray<'l>,
    text: jboolean,
    except_conn: jlong,
) -> jint {
    guard(&mut env, |env| {
        let hub = hub(h)?;
        let group = string_arg(env, &group, "group")?;
        let p = payload(env, &data, text)?;
        Ok(hub.publish(&group, p, except(except_conn))?.min(jint::MAX as usize) as jint)
    })
}

/// `int hubBroadcast(long h, String path, byte[] data, boolean text, long exceptConn)`: recipients.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubBroadcast<'l>(
    mut env: EnvUnowned<'l>,
    _class: JObject<'l>,
    h: jlong,
    path: JString<'l>,
    data: JByteArray<'l>,
    text: jboolean,
    except_conn: jlong,
) -> jint {
    guard(&mut env, |env| {
        let hub = hub(h)?;
        let path = string_arg(env, &path, "path")?;
        let p = payload(env, &data, text)?;
        Ok(hub.broadcast(&path, p, except(except_conn))?.min(jint::MAX as usize) as jint)
    })
}

/// `int hubGroupSize(long h, String group)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubGroupSize<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, h: jlong, group: JString<'l>) -> jint {
    guard(&mut env, |env| {
        let hub = hub(h)?;
        let group = string_arg(env, &group, "group")?;
        Ok(hub.group_size(&group).min(jint::MAX as usize) as jint)
    })
}

/// `int hubConnectionCount(long h)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubConnectionCount<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, h: jlong) -> jint {
    guard(&mut env, |_env| Ok(hub(h)?.connection_count().min(jint::MAX as usize) as jint))
}

/// `long hubQueuedBytes(long h, long conn)`: -1 for an unknown connection.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubQueuedBytes<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, h: jlong, conn: jlong) -> jlong {
    guard(&mut env, |_env| match hub(h)?.queued_bytes(conn as ConnId) {
        Ok(n) => Ok(n as jlong),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(-1),
        Err(e) => Err(e.into()),
    })
}

/// `String hubStatusJson(long h)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubStatusJson<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, h: jlong) -> jstring {
    guard(&mut env, |env| {
        let json = hub(h)?.status_json();
        Ok(JString::from_str(env, json)?.into_raw())
    })
}

/// `String hubMetricsText(long h)`: the Prometheus text also served at `/metrics`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubMetricsText<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, h: jlong) -> jstring {
    guard(&mut env, |env| {
        let text = hub(h)?.metrics_text();
        Ok(JString::from_str(env, text)?.into_raw())
    })
}

/// `int hubSetReadingPaused(long h, long conn, boolean paused)`: 0, or CLOSED / NOT_FOUND.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubSetReadingPaused<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, h: jlong, conn: jlong, paused: jboolean) -> jint {
    guard(&mut env, |_env| {
        let hub = hub(h)?;
        soft(if paused { hub.pause_reading(conn as ConnId) } else { hub.resume_reading(conn as ConnId) })
    })
}

/// `int hubSendMany(long h, long[] conns, byte[] data, boolean text)`: how many took it.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubSendMany<'l>(
    mut env: EnvUnowned<'l>,
    _class: JObject<'l>,
    h: jlong,
    conns: JLongArray<'l>,
    data: JByteArray<'l>,
    text: jboolean,
) -> jint {
    guard(&mut env, |env| {
        let hub = hub(h)?;
        if conns.is_null() {
            return Err(invalid("conns must not be null"));
        }
        let mut ids = vec![0i64; conns.len(env)?];
        conns.get_region(env, 0, &mut ids)?;
        let ids: Vec<ConnId> = ids.into_iter().map(|c| c as ConnId).collect();
        let p = payload(env, &data, text)?;
        Ok(hub.send_many(&ids, &p) as jint)
    })
}

/// `int hubAccept(long h, long conn, String protocolOrNull)`: 0, or CLOSED / NOT_FOUND.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubAccept<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, h: jlong, conn: jlong, protocol: JString<'l>) -> jint {
    guard(&mut env, |env| {
        let hub = hub(h)?;
        let protocol = opt_string_arg(env, &protocol)?;
        soft(hub.accept(conn as ConnId, protocol.as_deref()))
    })
}

/// `int hubReject(long h, long conn, int status, String body)`: 0, or CLOSED / NOT_FOUND.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubReject<'l>(
    mut env: EnvUnowned<'l>,
    _class: JObject<'l>,
    h: jlong,
    conn: jlong,
    status: jint,
    body: JString<'l>,
) -> jint {
    guard(&mut env, |env| {
        let hub = hub(h)?;
        let body = opt_string_arg(env, &body)?.unwrap_or_default();
        if !(0..=u16::MAX as jint).contains(&status) {
            return Err(invalid(format!("HTTP status {status} is out of range")));
        }
        soft(hub.reject(conn as ConnId, status as u16, &body))
    })
}

/// `int hubPing(long h, long conn, byte[] payload)`: 0, or CLOSED / NOT_FOUND.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubPing<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, h: jlong, conn: jlong, data: JByteArray<'l>) -> jint {
    guard(&mut env, |env| {
        let hub = hub(h)?;
        let bytes = if data.is_null() { Vec::new() } else { env.convert_byte_array(&data)? };
        soft(hub.ping(conn as ConnId, &bytes))
    })
}

/// `int hubPoll(long h, int timeoutMs, long[] meta, Object[] objs)`: see `events.rs`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubPoll<'l>(
    mut env: EnvUnowned<'l>,
    _class: JObject<'l>,
    h: jlong,
    timeout_ms: jint,
    meta: JLongArray<'l>,
    objs: JObjectArray<'l>,
) -> jint {
    guard(&mut env, |env| {
        let hub = hub(h)?;
        crate::events::poll_into(env, hub.events(), timeout_ms, &meta, &objs)
    })
}

/// `void hubShutdown(long h)`: graceful shutdown (blocks up to the configured timeout).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubShutdown<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, h: jlong) {
    guard(&mut env, |_env| {
        hub(h)?.shutdown();
        Ok(())
    })
}

/// `void hubFree(long h)`: shuts the hub down if needed and forgets the handle. 0 and freed
/// handles are a no-op.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_hubFree<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>, h: jlong) {
    guard(&mut env, |_env| {
        if let Some(hub) = HUBS.remove(h as u64) {
            hub.shutdown();
        }
        Ok(())
    })
}

