// Shared by the targets: one single-threaded runtime per fuzzing process.
use std::future::Future;

thread_local! {
    static RT: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
}

/// Runs a future to completion on this thread's runtime.
pub fn block_on<F: Future>(f: F) -> F::Output {
    RT.with(|rt| rt.block_on(f))
}
