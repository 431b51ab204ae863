//! Group commit: every write of the running server goes through one writer thread, which takes
//! the writes queued at that moment and runs them in one transaction, each inside its own
//! savepoint. A write that fails rolls back to its savepoint alone; the others commit together,
//! sharing one WAL append. Nobody hears back before the commit that holds their write has
//! succeeded; with `synchronous=FULL` nothing is acknowledged before that commit is also flushed
//! to disk, by `wal_sync.rs` on its own thread (one flush for everything committed meanwhile).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use super::wal_sync::{self, WalSync};
use crate::http::error::ApiError;

/// What a write changes, as far as cached principals are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    /// Anything: a change to an auth table advances the auth epoch.
    Change,
    /// Only usage bookkeeping in auth tables (a token's `last_used_at`), which no principal is
    /// built from: the epoch stays, so cached principals stay valid.
    UsageOnly,
}

thread_local! {
    /// Set on the writer thread while a `UsageOnly` write runs.
    static USAGE_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Writes taken into one transaction at most; more wait for the next one.
const MAX_BATCH: usize = 256;

/// What a queued write does once its batch is settled: hands its caller the outcome, given the
/// commit's error if the batch could not be committed.
type Reply = Box<dyn FnOnce(Option<&ApiError>) + Send>;
/// A queued write: run on the writer's connection inside a savepoint (or told why it cannot be).
type Job = Box<dyn FnOnce(Result<&Connection, &ApiError>) -> Reply + Send>;

/// How often the WAL is copied back into the database file, off the writer thread.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// The handle to the writer thread; dropping it lets the thread finish its queue and waits.
pub struct Writer {
    queue: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    stop_checkpoints: Option<mpsc::Sender<()>>,
    checkpointer: Option<JoinHandle<()>>,
    /// Flushes the WAL when the configured durability is FULL (the writer runs at NORMAL then).
    sync: Option<Arc<WalSync>>,
}

impl Writer {
    /// Starts the writer thread on `conn`, and a checkpointer on `checkpoints` that keeps the
    /// WAL short so the writer never stops to do it; `auth_epoch` advances after every commit
    /// that changed one of the auth tables (see `Db::auth_epoch`). With `sync`, commits are
    /// flushed by it.
    pub fn start(conn: Connection, checkpoints: Connection, auth_epoch: Arc<AtomicU64>, sync: Option<WalSync>) -> Self {
        let sync = sync.map(Arc::new);
        let commits = sync.clone();
        if let Err(e) = conn.pragma_update(None, "wal_autocheckpoint", 0) {
            tracing::warn!(error = %e, "cannot hand WAL checkpoints to their own thread");
        }
        let (queue, jobs) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || run(conn, jobs, auth_epoch, commits))
            .expect("cannot start the database writer thread");
        let (stop_checkpoints, stop) = mpsc::channel::<()>();
        let checkpointer = std::thread::Builder::new()
            .name("db-checkpoint".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
                    // PASSIVE: copies what it can without waiting for readers or the writer.
                    if let Err(e) = checkpoints.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                        tracing::warn!(error = %e, "WAL checkpoint failed");
                    }
                }
            })
            .expect("cannot start the database checkpoint thread");
        Self {
            queue: Some(queue),
            thread: Some(thread),
            stop_checkpoints: Some(stop_checkpoints),
            checkpointer: Some(checkpointer),
            sync,
        }
    }

    /// The WAL flusher, when commits are flushed apart from the writer.
    pub fn sync(&self) -> Option<&WalSync> {
        self.sync.as_deref()
    }

    /// Queues `f`; its result arrives once the transaction holding it has committed (and, with
    /// FULL durability outside a request `wal_sync::scope`, has been flushed to disk).
    pub async fn write<T, F>(&self, f: F, kind: WriteKind) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let (done, outcome) = tokio::sync::oneshot::channel::<Result<T, ApiError>>();
        let request_id = crate::http::request_id::current();
        let job: Job = Box::new(move |conn| {
            let out = match conn {
                Ok(conn) => crate::http::request_id::sync_scope(request_id, || {
                    USAGE_ONLY.set(kind == WriteKind::UsageOnly);
                    let out = in_savepoint(conn, f);
                    USAGE_ONLY.set(false);
                    out
                }),
                Err(e) => Err(e.clone()),
            };
            Box::new(move |commit_error| {
                let out = match (out, commit_error) {
                    (Ok(_), Some(e)) => Err(e.clone()),
                    (out, _) => out,
                };
                let _ = done.send(out);
            })
        });
        let queue = self.queue.as_ref().ok_or_else(|| ApiError::internal("database writer stopped"))?;
        queue.send(job).map_err(|_| ApiError::internal("database writer stopped"))?;
        let out = outcome.await.map_err(|_| ApiError::internal("database writer stopped"))?;
        if let (Ok(_), Some(sync)) = (&out, &self.sync) {
            let commit = sync.last_commit();
            if !wal_sync::defer(commit) {
                sync.wait(commit).await?;
            }
        }
        out
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.queue.take());
        drop(self.stop_checkpoints.take());
        for t in [self.thread.take(), self.checkpointer.take()].into_iter().flatten() {
            let _ = t.join();
        }
    }
}

/// Runs `f` inside a savepoint: released when it succeeds, rolled back when it fails or panics.
fn in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<T, ApiError>) -> Result<T, ApiError> {
    step(conn, "SAVEPOINT w")?;
    let out = match catch_unwind(AssertUnwindSafe(|| f(conn))) {
        Ok(out) => out,
        Err(_) => Err(ApiError::internal("a database write panicked")),
    };
    match &out {
        Ok(_) => step(conn, "RELEASE w")?,
        Err(_) => {
            step(conn, "ROLLBACK TO w")?;
            step(conn, "RELEASE w")?
        }
    }
    out
}

/// Runs one statement kept prepared (these run several times per write).
fn step(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// The writer loop: wait for a write, take whatever else is queued, run them all, commit once.
fn run(conn: Connection, jobs: mpsc::Receiver<Job>, auth_epoch: Arc<AtomicU64>, sync: Option<Arc<WalSync>>) {
    // Set while a batch changes an auth table; the epoch advances once more after the commit,
    // so a principal read while the batch was uncommitted is not trusted afterwards.
    let auth_changed = Arc::new(AtomicBool::new(false));
    let mut always = false;
    {
        let (changed, epoch) = (auth_changed.clone(), auth_epoch.clone());
        let hook = move |_: rusqlite::hooks::Action, _: &str, table: &str, _: i64| {
            if super::is_auth_table(table) && !USAGE_ONLY.get() {
                changed.store(true, Ordering::SeqCst);
                epoch.fetch_add(1, Ordering::SeqCst);
            }
        };
        if let Err(e) = conn.update_hook(Some(hook)) {
            tracing::error!(error = %e, "cannot watch the auth tables; every commit now invalidates cached principals");
            auth_changed.store(true, Ordering::SeqCst);
            always = true;
        }
    }
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = step(&conn, "BEGIN IMMEDIATE") {
            let error = ApiError::from(e);
            for job in batch {
                job(Err(&error))(Some(&error));
            }
            continue;
        }
        let replies: Vec<Reply> = batch.into_iter().map(|job| job(Ok(&conn))).collect();
        let commit = step(&conn, "COMMIT").map_err(ApiError::from);
        if commit.is_err() && !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        if let (Ok(()), Some(sync)) = (&commit, &sync) {
            sync.committed();
        }
        if auth_changed.swap(always, Ordering::SeqCst) {
            auth_epoch.fetch_add(1, Ordering::SeqCst);
        }
        let error = commit.err();
        for reply in replies {
            reply(error.as_ref());
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::StorageConfig;
    use crate::db::Db;
    use crate::http::error::ApiError;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_failed_or_panicking_write_leaves_the_others_of_its_batch_committed() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("w.db"), &StorageConfig::default()).unwrap();
        db.conn().unwrap().execute_batch("CREATE TABLE t (n INTEGER PRIMARY KEY)").unwrap();
        let writes = (0..200i64).map(|n| {
            let db = db.clone();
            tokio::spawn(async move {
                db.write(move |c| {
                    c.execute("INSERT INTO t (n) VALUES (?1)", [n])?;
                    match n % 4 {
                        1 => {
                            Err(ApiError::conflict(crate::http::error::Code::AlreadyExists, "refused after its insert"))
                        }
                        2 if n % 8 == 2 => panic!("a write that panics"),
                        _ => Ok(n),
                    }
                })
                .await
            })
        });
        let results = futures_util::future::join_all(writes).await;
        let mut committed = Vec::new();
        for (n, r) in results.into_iter().enumerate() {
            match (n % 4, n % 8, r.unwrap()) {
                (1, _, Err(e)) => assert_eq!(e.status().as_u16(), 409),
                (2, 2, Err(e)) => assert_eq!(e.status().as_u16(), 500),
                (_, _, Ok(v)) => committed.push(v),
                (_, _, Err(e)) => panic!("write {n} failed: {e}"),
            }
        }
        let stored: Vec<i64> = {
            let conn = db.conn().unwrap();
            let mut stmt = conn.prepare("SELECT n FROM t ORDER BY n").unwrap();
            stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
        };
        assert_eq!(stored, committed, "exactly the writes that succeeded are in the file");
        assert_eq!(stored.len(), 200 - 50 - 25);
    }
}
