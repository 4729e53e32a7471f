//! Result codes, the thread-local last error, and the panic boundary.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use omnisock_core::{Error, ErrorCode};

pub use crate::vocab::omnisock_result;

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Records `e` as this thread's last error and returns its code.
pub(crate) fn fail(e: Error) -> omnisock_result {
    LAST_ERROR.with(|l| *l.borrow_mut() = e.to_string());
    e.code().into()
}

/// Copies this thread's last error message into `buf`.
pub(crate) fn last_error_into(buf: &mut [u8]) -> usize {
    LAST_ERROR.with(|l| {
        let msg = l.borrow();
        if !buf.is_empty() {
            let n = msg.len().min(buf.len() - 1);
            // Cut at a character boundary so the copy stays valid UTF-8.
            let mut n2 = n;
            while !msg.is_char_boundary(n2) {
                n2 -= 1;
            }
            buf[..n2].copy_from_slice(&msg.as_bytes()[..n2]);
            buf[n2] = 0;
        }
        msg.len()
    })
}

/// Runs an exported function body: errors set the last error, panics become
/// `OMNISOCK_ERR_PANIC` and never unwind into the host.
///
/// Only the `catch_unwind` call is instantiated per exported function; turning its outcome
/// into a result code is [`outcome`], compiled once.
#[inline]
pub(crate) fn guard(name: &str, f: impl FnOnce() -> Result<(), Error>) -> omnisock_result {
    outcome(name, catch_unwind(AssertUnwindSafe(f)))
}

/// The result code of a guarded body: `OMNISOCK_OK`, its error, or its panic.
#[inline(never)]
fn outcome(name: &str, r: std::thread::Result<Result<(), Error>>) -> omnisock_result {
    match r {
        Ok(Ok(())) => omnisock_result::OMNISOCK_OK,
        Ok(Err(e)) => fail(e),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            fail(Error::new(ErrorCode::Panic, format!("{name}: internal panic: {what}")))
        }
    }
}
