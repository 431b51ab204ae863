//! Argon2id hashing and checking for request handlers, on a small set of dedicated threads.
//! Each hash takes ~19 MiB and tens of milliseconds by design; run without a bound, 32 logins at
//! once took 32 hashes' worth of memory (over 1 GiB, kept by the allocator afterwards) and slowed
//! every other request. Here at most one hash per core runs at a time and further requests wait
//! their turn; each hash's memory goes back to the OS when it is done (see `.cargo/config.toml`).

use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};

use crate::http::error::ApiError;

type Work = Box<dyn FnOnce() + Send>;

fn queue() -> &'static Mutex<mpsc::Sender<Work>> {
    static QUEUE: OnceLock<Mutex<mpsc::Sender<Work>>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Work>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(4);
        for i in 0..threads {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new().name(format!("password-{i}")).spawn(move || {
                loop {
                    let work = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match work {
                        Ok(work) => work(),
                        Err(_) => return,
                    }
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Mutex::new(tx)
    })
}

async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    let (done, result) = tokio::sync::oneshot::channel();
    let work: Work = Box::new(move || {
        let _ = done.send(f());
    });
    queue()
        .lock()
        .map_err(|_| ApiError::internal("password hashing unavailable"))?
        .send(work)
        .map_err(|_| ApiError::internal("password hashing unavailable"))?;
    result.await.map_err(|_| ApiError::internal("password hashing failed"))
}

/// The Argon2id PHC string of `password`.
pub async fn hash(password: String) -> Result<String, ApiError> {
    run(move || super::hash_password(&password)).await?.map_err(ApiError::internal)
}

/// Whether `password` matches the PHC string `phc`.
pub async fn verify(password: String, phc: String) -> Result<bool, ApiError> {
    run(move || super::verify_password(&password, &phc)).await
}
