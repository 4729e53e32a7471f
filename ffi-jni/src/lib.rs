//! JNI bindings of omnisock: the native side of the `dev.omnisock` Java API (`java/`).
//!
//! This crate binds the core directly (not through the C ABI) and stays thin: it converts
//! arguments, handles and events, nothing else.
//!
//! - Objects are opaque 64-bit handles from a registry ([`handle`]); a stale or foreign handle
//!   throws `IllegalStateException` and never crashes the JVM.
//! - Every native method runs inside `catch_unwind` (jni's `with_env`); core errors and panics
//!   become Java exceptions chosen in one place, `dev.omnisock.Errors.toThrowable(code, message)`.
//! - No core thread ever calls into the JVM: a Java dispatcher thread blocks in `*Poll` (wait +
//!   batch poll, one native call per batch) and hands the events to the listener's executor.

mod client;
mod events;
mod hub;

use std::fmt;

use jni::errors::ErrorPolicy;
use jni::objects::{JObject, JString, JThrowable, JValue};
use jni::sys::jstring;
use jni::{jni_sig, jni_str, Env, EnvUnowned};
use omnisock_core::ErrorCode;

/// An error inside a native method: from the core, or from JNI itself (then usually a Java
/// exception is already pending).
#[derive(Debug)]
pub(crate) enum JniErr {
    Core(omnisock_core::Error),
    Jni(jni::errors::Error),
}

impl fmt::Display for JniErr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JniErr::Core(e) => e.fmt(f),
            JniErr::Jni(e) => write!(f, "JNI error: {e}"),
        }
    }
}

impl std::error::Error for JniErr {}

impl From<jni::errors::Error> for JniErr {
    fn from(e: jni::errors::Error) -> Self {
        JniErr::Jni(e)
    }
}

impl From<omnisock_core::Error> for JniErr {
    fn from(e: omnisock_core::Error) -> Self {
        JniErr::Core(e)
    }
}

pub(crate) type JResult<T> = Result<T, JniErr>;

/// Shorthand for an invalid-argument error.
pub(crate) fn invalid(msg: impl Into<String>) -> JniErr {
    JniErr::Core(omnisock_core::Error::invalid(msg))
}

/// Throws the Java exception for a core error code: `dev.omnisock.Errors.toThrowable` decides
/// the class, so the mapping lives in one place (the same one that builds `onFailure` causes).
fn throw_code(env: &mut Env<'_>, code: i32, message: &str) -> jni::errors::Result<()> {
    let msg = JString::from_str(env, message)?;
    let t = env
        .call_static_method(
            jni_str!("dev/omnisock/Errors"),
            jni_str!("toThrowable"),
            jni_sig!("(ILjava/lang/String;)Ljava/lang/Throwable;"),
            &[JValue::Int(code), JValue::Object(&msg)],
        )?
        .l()?;
    let t: JThrowable = env.cast_local::<JThrowable>(t)?;
    let _ = env.throw(t);
    Ok(())
}

/// The error policy of every native method: core errors become typed Java exceptions, JNI
/// errors leave the pending Java exception (or throw `IllegalStateException`), panics become
/// `IllegalStateException` (code PANIC). The return value is then the type's default.
pub(crate) struct ThrowTyped;

impl<T: Default> ErrorPolicy<T, JniErr> for ThrowTyped {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'l: 'n, 'n>(env: &mut Env<'l>, _cap: &mut (), err: JniErr) -> jni::errors::Result<T> {
        if env.exception_check() {
            return Ok(T::default());
        }
        match err {
            JniErr::Core(e) => throw_code(env, e.code() as i32, e.message())?,
            JniErr::Jni(e) => {
                let _ = env.throw_new(jni_str!("java/lang/IllegalStateException"), jni::strings::JNIString::from(format!("omnisock JNI error: {e}")));
            }
        }
        Ok(T::default())
    }

    fn on_panic<'l: 'n, 'n>(env: &mut Env<'l>, _cap: &mut (), payload: Box<dyn std::any::Any + Send + 'static>) -> jni::errors::Result<T> {
        let what = if let Some(s) = payload.downcast_ref::<&'static str>() {
            (*s).to_string()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "non-string panic payload".to_string()
        };
        // A panic payload's destructor could itself panic; leak it instead.
        std::mem::forget(payload);
        if env.exception_check() {
            env.exception_clear();
        }
        throw_code(env, ErrorCode::Panic as i32, &format!("internal panic in omnisock (a bug; the JVM keeps running): {what}"))?;
        Ok(T::default())
    }
}

/// Runs a native method body under `catch_unwind` with the [`ThrowTyped`] policy.
pub(crate) fn guard<'local, T: Default>(
    env: &mut EnvUnowned<'local>,
    f: impl FnOnce(&mut Env<'local>) -> JResult<T>,
) -> T {
    env.with_env(f).resolve::<ThrowTyped>()
}

/// A Java string argument as a Rust string (null → error naming the argument).
pub(crate) fn string_arg(env: &Env<'_>, s: &JString<'_>, what: &str) -> JResult<String> {
    if s.is_null() {
        return Err(invalid(format!("{what} must not be null")));
    }
    Ok(s.try_to_string(env)?)
}

/// A nullable Java string argument.
pub(crate) fn opt_string_arg(env: &Env<'_>, s: &JString<'_>) -> JResult<Option<String>> {
    if s.is_null() {
        return Ok(None);
    }
    Ok(Some(s.try_to_string(env)?))
}

/// `dev.omnisock.Native.version()`: the library version.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_version<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>) -> jstring {
    guard(&mut env, |env| Ok(JString::from_str(env, omnisock_core::VERSION)?.into_raw()))
}

/// `dev.omnisock.Native.panicForTest()`: panics inside a native method, to prove that a panic
/// becomes a Java exception and the JVM keeps running.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_omnisock_Native_panicForTest<'l>(mut env: EnvUnowned<'l>, _class: JObject<'l>) {
    guard(&mut env, |_env| -> JResult<()> { panic!("panicForTest was called") })
}
