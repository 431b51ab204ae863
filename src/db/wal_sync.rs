//! `synchronous=FULL` with one fsync shared by everything committed meanwhile, off the writer.
//!
//! SQLite's own FULL makes each COMMIT wait for an fsync of the WAL, so the writer thread stands
//! still while the disk flushes and every request's writes pay one flush each. Instead the writer
//! runs at `synchronous=NORMAL` (WAL frames written, not flushed: consistent after a crash, but
//! the last commits may be lost) and this module flushes the WAL file itself on its own thread:
//! each flush covers every commit made before it began. Nothing is acknowledged before the flush
//! covering it: a request's response waits for it (`scope`, used by the HTTP layer), and a write
//! outside any request waits before it returns (`Writer::write`).
//!
//! Flushing another descriptor of the same file flushes the file (Linux flushes per inode), and
//! SQLite keeps the WAL file in place while the writer's connection is open; checkpoints still
//! flush the WAL before copying it and the database file after, as they do at NORMAL.

use std::cell::Cell;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use tokio::sync::watch;

use crate::http::error::ApiError;

tokio::task_local! {
    /// The highest commit the current request's writes are in (0: it wrote nothing).
    static REQUEST_COMMITS: Cell<u64>;
}

/// Runs `fut` (one request) collecting the commits its writes land in instead of waiting for
/// each to reach the disk; returns its output and the commit to wait for before answering.
pub async fn scope<F: Future>(fut: F) -> (F::Output, u64) {
    REQUEST_COMMITS
        .scope(Cell::new(0), async move {
            let out = fut.await;
            (out, REQUEST_COMMITS.with(Cell::get))
        })
        .await
}

/// Notes that the current request wrote up to commit `seq`; false outside a request `scope`.
pub fn defer(seq: u64) -> bool {
    REQUEST_COMMITS.try_with(|c| c.set(c.get().max(seq))).is_ok()
}

/// Counters of the flushing, for tests and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushStats {
    /// Commits made by the writer.
    pub commits: u64,
    /// The last commit known to be on disk.
    pub flushed: u64,
    /// Flushes run, each covering every commit made before it began.
    pub flushes: u64,
}

/// Where the flushing stands: the last commit known to be on disk, or why flushing failed.
#[derive(Debug, Clone)]
enum Flushed {
    Upto(u64),
    Failed(String),
}

struct Shared {
    /// Counts the writer's commits.
    committed: AtomicU64,
    /// The highest commit somebody waits for.
    wanted: Mutex<(u64, bool)>,
    wake: Condvar,
    flushed: watch::Sender<Flushed>,
    flushes: AtomicU64,
}

/// The flushing thread of one database; stops (after a last flush) when dropped.
pub struct WalSync {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl WalSync {
    /// Starts flushing `<database>-wal` on demand.
    pub fn start(database: &Path) -> Self {
        let shared = Arc::new(Shared {
            committed: AtomicU64::new(0),
            wanted: Mutex::new((0, false)),
            wake: Condvar::new(),
            flushed: watch::Sender::new(Flushed::Upto(0)),
            flushes: AtomicU64::new(0),
        });
        let wal = PathBuf::from(format!("{}-wal", database.display()));
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("db-wal-sync".into())
            .spawn(move || run(&s, &wal))
            .expect("cannot start the WAL flushing thread");
        Self { shared, thread: Some(thread) }
    }

    /// Called by the writer after each successful COMMIT.
    pub fn committed(&self) {
        self.shared.committed.fetch_add(1, Ordering::SeqCst);
    }

    /// The number of the last commit.
    pub fn last_commit(&self) -> u64 {
        self.shared.committed.load(Ordering::SeqCst)
    }

    /// Waits until commit `seq` is on disk.
    pub async fn wait(&self, seq: u64) -> Result<(), ApiError> {
        let mut rx = self.shared.flushed.subscribe();
        if !matches!(*rx.borrow(), Flushed::Upto(n) if n >= seq) {
            let mut wanted = self.shared.wanted.lock().unwrap_or_else(|p| p.into_inner());
            wanted.0 = wanted.0.max(seq);
            self.shared.wake.notify_one();
        }
        let state = rx
            .wait_for(|f| matches!(f, Flushed::Failed(_)) || matches!(f, Flushed::Upto(n) if *n >= seq))
            .await
            .map_err(|_| ApiError::internal("the WAL flushing thread stopped"))?
            .clone();
        match state {
            Flushed::Upto(_) => Ok(()),
            Flushed::Failed(e) => Err(ApiError::internal(format!("the database could not be flushed to disk: {e}"))),
        }
    }

    /// Commits, how far they are flushed, and how many flushes that took.
    pub fn stats(&self) -> FlushStats {
        let flushed = match &*self.shared.flushed.borrow() {
            Flushed::Upto(n) => *n,
            Flushed::Failed(_) => 0,
        };
        FlushStats { commits: self.last_commit(), flushed, flushes: self.shared.flushes.load(Ordering::SeqCst) }
    }
}

impl Drop for WalSync {
    fn drop(&mut self) {
        {
            let mut wanted = self.shared.wanted.lock().unwrap_or_else(|p| p.into_inner());
            wanted.0 = u64::MAX;
            wanted.1 = true;
        }
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The flushing loop: sleep until a commit is waited for, then flush everything committed.
fn run(shared: &Shared, wal: &Path) {
    let mut file: Option<File> = None;
    let mut done = 0u64;
    loop {
        let stopping = {
            let mut wanted = shared.wanted.lock().unwrap_or_else(|p| p.into_inner());
            while wanted.0 <= done && !wanted.1 {
                wanted = shared.wake.wait(wanted).unwrap_or_else(|p| p.into_inner());
            }
            wanted.1
        };
        // Everything committed before the flush starts is covered by it.
        let upto = shared.committed.load(Ordering::SeqCst);
        if upto > done {
            match flush(&mut file, wal) {
                Ok(()) => {
                    done = upto;
                    shared.flushes.fetch_add(1, Ordering::SeqCst);
                    shared.flushed.send_replace(Flushed::Upto(done));
                }
                Err(e) => {
                    // After a failed fsync the kernel may have dropped the dirty pages: a later
                    // "successful" flush proves nothing, so every later wait fails too.
                    tracing::error!(error = %e, wal = %wal.display(), "flushing the WAL failed; restart the server");
                    shared.flushed.send_replace(Flushed::Failed(e.to_string()));
                    return;
                }
            }
        }
        if stopping {
            return;
        }
    }
}

/// fdatasync of the WAL; the first time also of its directory, so the file itself survives.
fn flush(file: &mut Option<File>, wal: &Path) -> std::io::Result<()> {
    if file.is_none() {
        let f = File::open(wal)?;
        let dir = wal.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        File::open(dir)?.sync_all()?;
        *file = Some(f);
    }
    file.as_ref().map_or(Ok(()), File::sync_data)
}
