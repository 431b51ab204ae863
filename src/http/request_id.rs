//! The request id of the request being served, reachable anywhere in its task (and in blocking
//! DB work started from it) so error bodies and log lines can carry it.

use std::cell::RefCell;

tokio::task_local! {
    static REQUEST_ID: String;
}

thread_local! {
    static SYNC_REQUEST_ID: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The current request id, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok().or_else(|| SYNC_REQUEST_ID.with(|c| c.borrow().clone()))
}

/// Runs `fut` with `id` as the current request id.
pub async fn scope<F: std::future::Future>(id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
}

/// Runs blocking `f` with `id` as the current request id on this thread.
pub fn sync_scope<T>(id: Option<String>, f: impl FnOnce() -> T) -> T {
    let previous = SYNC_REQUEST_ID.with(|c| c.replace(id));
    let out = f();
    SYNC_REQUEST_ID.with(|c| *c.borrow_mut() = previous);
    out
}

/// A new request id.
pub fn generate() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}
