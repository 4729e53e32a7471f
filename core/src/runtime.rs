//! The one internal tokio runtime that owns every socket.
//!
//! It starts on first use (multi-thread, worker threads named `omnisock-rt`) and lives until
//! [`shutdown`] is called. After shutdown, starting clients or hubs fails with
//! [`ErrorCode::Shutdown`](crate::ErrorCode::Shutdown); existing handles report closed.

use std::sync::Mutex;
use std::time::Duration;

use tokio::runtime::{Builder, Handle, Runtime};

use crate::error::{Error, ErrorCode, Result};

enum State {
    NotStarted,
    Running(Runtime),
    ShutDown,
}

static RUNTIME: Mutex<State> = Mutex::new(State::NotStarted);

/// Number of worker threads: the available cores, at most 4 (the work is I/O bound).
fn worker_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(1, 4)
}

/// Returns a handle to the runtime, starting it on first use.
pub fn handle() -> Result<Handle> {
    let mut state = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    match &*state {
        State::Running(rt) => Ok(rt.handle().clone()),
        State::ShutDown => Err(Error::new(ErrorCode::Shutdown, "the omnisock runtime has been shut down")),
        State::NotStarted => {
            let rt = Builder::new_multi_thread()
                .worker_threads(worker_threads())
                .thread_name("omnisock-rt")
                .enable_all()
                .build()
                .map_err(|e| Error::new(ErrorCode::Io, format!("cannot start the omnisock runtime: {e}")))?;
            let handle = rt.handle().clone();
            *state = State::Running(rt);
            Ok(handle)
        }
    }
}

/// Whether [`shutdown`] has been called.
pub fn is_shut_down() -> bool {
    matches!(*RUNTIME.lock().unwrap_or_else(|e| e.into_inner()), State::ShutDown)
}

/// Stops the runtime: every connection task is dropped (sockets close without a closing
/// handshake; close hubs and clients first for a graceful end). Waits at most `timeout` for
/// tasks to stop. Idempotent. Must not be called from a runtime thread.
pub fn shutdown(timeout: Duration) {
    let old = {
        let mut state = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::replace(&mut *state, State::ShutDown)
    };
    if let State::Running(rt) = old {
        rt.shutdown_timeout(timeout);
    }
}
