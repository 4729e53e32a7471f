//! Moves a batch of core events into Java arrays in one native call.
//!
//! Layout (mirrored by `dev.omnisock.EventBatch`): event `i` has four longs in `meta` at
//! `4*i .. 4*i+4` = `[kind, conn, a, b]` and one object in `objs[i]`; `kind` is the core's
//! `EventKind` number (`dev.omnisock.EventKinds`, generated from it):
//!
//! | kind | a | b | objs[i] |
//! |---|---|---|---|
//! | 1 OPEN | 0 | 0 | `String[]{path, query, remote, protocol or null, name1, value1, ...}` |
//! | 2 TEXT | 0 | 0 | `byte[]` UTF-8 (checked by the core) |
//! | 3 BINARY | 0 | 0 | `byte[]` |
//! | 4 CLOSE | code | clean ? 1 : 0 | `String` reason |
//! | 5 ERROR | error code | 0 | `String` message |
//! | 6 RECONNECTING | attempt | delay in ms | `String` reason |
//! | 7 PONG | 0 | 0 | `byte[]` payload |
//! | 8 HANDSHAKE | 0 | 0 | like OPEN (hub routes with `host_accepts`) |
//! | 9 REJECTED | HTTP status | 0 | `Object[]{String[]{name1, value1, ...}, byte[] body}` |

use std::time::Duration;

use jni::objects::{JLongArray, JObject, JObjectArray, JString};
use jni::Env;
use omnisock_core::{Event, EventQueue, Payload};

use crate::{invalid, JResult};

/// Waits up to `timeout_ms` for an event, then moves up to `objs.length` events into the
/// arrays. Returns how many were written.
pub(crate) fn poll_into(
    env: &mut Env<'_>,
    queue: &EventQueue,
    timeout_ms: i32,
    meta: &JLongArray<'_>,
    objs: &JObjectArray<'_>,
) -> JResult<i32> {
    if meta.is_null() || objs.is_null() {
        return Err(invalid("poll: meta and objs must not be null"));
    }
    let cap = objs.len(env)?.min(meta.len(env)? / 4);
    if cap == 0 {
        return Err(invalid("poll: objs needs at least one slot and meta four per slot"));
    }
    if timeout_ms > 0 && queue.is_empty() {
        // No spinning: on phones an idle socket must cost no CPU.
        queue.wait(Duration::from_millis(timeout_ms as u64));
    }
    let events = queue.poll(cap);
    if events.is_empty() {
        return Ok(0);
    }
    let mut m = vec![0i64; events.len() * 4];
    for (i, ev) in events.into_iter().enumerate() {
        let slot = &mut m[i * 4..i * 4 + 4];
        slot[0] = ev.kind().number() as i64;
        let obj: JObject = match ev {
            Event::Open(info) | Event::Handshake(info) => {
                slot[1] = info.conn as i64;
                let n = 4 + 2 * info.headers.len();
                let arr = JObjectArray::<JString>::new(env, n, JString::null())?;
                let put = |env: &mut Env<'_>, idx: usize, s: Option<&str>| -> JResult<()> {
                    if let Some(s) = s {
                        let js = JString::from_str(env, s)?;
                        arr.set_element(env, idx, &js)?;
                        env.delete_local_ref(js);
                    }
                    Ok(())
                };
                put(env, 0, Some(&info.path))?;
                put(env, 1, Some(&info.query))?;
                put(env, 2, Some(&info.remote))?;
                put(env, 3, info.protocol.as_deref())?;
                for (k, (name, value)) in info.headers.iter().enumerate() {
                    put(env, 4 + 2 * k, Some(name))?;
                    put(env, 5 + 2 * k, Some(value))?;
                }
                arr.into()
            }
            Event::Message { conn, data } => {
                slot[1] = conn as i64;
                let bytes = match &data {
                    Payload::Text(t) => t.as_bytes(),
                    Payload::Binary(b) => &b[..],
                };
                env.byte_array_from_slice(bytes)?.into()
            }
            Event::Close { conn, code, reason, clean } => {
                slot[1] = conn as i64;
                slot[2] = code as i64;
                slot[3] = clean as i64;
                JString::from_str(env, &reason)?.into()
            }
            Event::Error { conn, code, message } => {
                slot[1] = conn as i64;
                slot[2] = code as i64;
                JString::from_str(env, &message)?.into()
            }
            Event::Rejected(refusal) => {
                slot[2] = refusal.status as i64;
                let headers = JObjectArray::<JString>::new(env, 2 * refusal.headers.len(), JString::null())?;
                for (k, (name, value)) in refusal.headers.iter().enumerate() {
                    for (idx, s) in [(2 * k, name), (2 * k + 1, value)] {
                        let js = JString::from_str(env, s)?;
                        headers.set_element(env, idx, &js)?;
                        env.delete_local_ref(js);
                    }
                }
                let body = env.byte_array_from_slice(&refusal.body)?;
                let pair = JObjectArray::<JObject>::new(env, 2, JObject::null())?;
                pair.set_element(env, 0, &headers)?;
                pair.set_element(env, 1, &body)?;
                env.delete_local_ref(headers);
                env.delete_local_ref(body);
                pair.into()
            }
            Event::Pong { conn, payload } => {
                slot[1] = conn as i64;
                env.byte_array_from_slice(&payload)?.into()
            }
            Event::Reconnecting { attempt, delay, reason } => {
                slot[2] = attempt as i64;
                slot[3] = delay.as_millis().min(i64::MAX as u128) as i64;
                JString::from_str(env, &reason)?.into()
            }
        };
        objs.set_element(env, i, &obj)?;
        env.delete_local_ref(obj);
    }
    meta.set_region(env, 0, &m)?;
    Ok((m.len() / 4) as i32)
}
