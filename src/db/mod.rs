//! The database: an r2d2 pool of SQLite connections with the pragmas set on each, and the one
//! async bridge (`Db::read` / `Db::write`) through which every blocking query runs. Dialect
//! details (pragmas, placeholders) stay in this module and `migrate.rs`.

pub mod idempotency;
pub mod list;
pub mod migrate;
mod wal_sync;
pub use wal_sync::FlushStats;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use r2d2::{CustomizeConnection, Pool, PooledConnection};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;

use crate::config::{StorageConfig, Synchronous};
use crate::http::error::ApiError;

pub type Conn = PooledConnection<SqliteConnectionManager>;

/// The pooled database handle shared by the whole process.
#[derive(Clone)]
pub struct Db {
    pool: Pool<SqliteConnectionManager>,
    /// The group-commit writer, started on the first write (CLI commands never need it).
    writer: Arc<OnceLock<writer::Writer>>,
    path: PathBuf,
    pragmas: Pragmas,
    auth_epoch: Arc<AtomicU64>,
}

/// The tables a principal is built from: a change to any of them advances the auth epoch.
const AUTH_TABLES: &[&str] = &["api_tokens", "sessions", "users", "tenants", "plans"];

fn is_auth_table(table: &str) -> bool {
    AUTH_TABLES.contains(&table)
}

#[derive(Debug, Clone, Copy)]
struct Pragmas {
    synchronous: Synchronous,
    busy_timeout_ms: u64,
}

/// Sets up each pooled connection: the pragmas, and (should a pooled connection ever write) the
/// auth epoch advanced on a change to the auth tables.
#[derive(Debug)]
struct Customizer {
    pragmas: Pragmas,
    auth_epoch: Arc<AtomicU64>,
}

impl CustomizeConnection<Connection, rusqlite::Error> for Customizer {
    fn on_acquire(&self, conn: &mut Connection) -> Result<(), rusqlite::Error> {
        apply_pragmas(conn, self.pragmas.synchronous, self.pragmas.busy_timeout_ms)?;
        let epoch = self.auth_epoch.clone();
        conn.update_hook(Some(move |_: rusqlite::hooks::Action, _: &str, table: &str, _: i64| {
            if is_auth_table(table) {
                epoch.fetch_add(1, Ordering::SeqCst);
            }
        }))
    }
}

/// `Connection::execute` and `query_row` with the statement kept in the connection's cache:
/// preparing an INSERT compiles its table's triggers and foreign keys every time, which costs
/// more than running it. Every store uses these.
pub trait Cached {
    fn execute_cached<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    fn query_row_cached<T, P: rusqlite::Params, F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn execute_cached<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn query_row_cached<T, P: rusqlite::Params, F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// Sets the pragmas every connection needs: WAL, foreign keys, busy timeout, synchronous.
pub fn apply_pragmas(conn: &Connection, synchronous: Synchronous, busy_timeout_ms: u64) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(Duration::from_millis(busy_timeout_ms))?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(format!("journal_mode is {mode}, not wal")),
        ));
    }
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let sync = match synchronous {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    };
    conn.pragma_update(None, "synchronous", sync)?;
    conn.set_prepared_statement_cache_capacity(256);
    Ok(())
}

impl Db {
    /// Opens (creating if needed) the database file and builds the pool.
    pub fn open(path: &Path, cfg: &StorageConfig) -> Result<Self, String> {
        let manager = SqliteConnectionManager::file(path);
        let pragmas = Pragmas { synchronous: cfg.synchronous, busy_timeout_ms: cfg.busy_timeout_ms };
        let auth_epoch = Arc::new(AtomicU64::new(0));
        let pool = Pool::builder()
            .max_size(cfg.pool_size)
            // Further connections open when first needed, not all at start-up.
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(30))
            // SQLite connections to a local file do not go stale; checking each one on checkout
            // would cost a statement per request.
            .test_on_check_out(false)
            .connection_customizer(Box::new(Customizer { pragmas, auth_epoch: auth_epoch.clone() }))
            .build(manager)
            .map_err(|e| format!("cannot open database {}: {e}", path.display()))?;
        Ok(Self { pool, writer: Arc::default(), path: path.to_path_buf(), pragmas, auth_epoch })
    }

    /// Advances on every committed change to the tables principals are built from; a cached
    /// principal is valid only under the epoch it was read in.
    pub fn auth_epoch(&self) -> u64 {
        self.auth_epoch.load(Ordering::SeqCst)
    }

    fn writer(&self) -> Result<&writer::Writer, ApiError> {
        if let Some(w) = self.writer.get() {
            return Ok(w);
        }
        let open = |synchronous| -> Result<Connection, ApiError> {
            let conn = Connection::open(&self.path).map_err(ApiError::internal)?;
            apply_pragmas(&conn, synchronous, self.pragmas.busy_timeout_ms).map_err(ApiError::internal)?;
            Ok(conn)
        };
        // The writer always commits at NORMAL; with FULL, `wal_sync` flushes its commits on a
        // thread of its own. Checkpoints run at the configured level.
        let conn = open(Synchronous::Normal)?;
        let sync = (self.pragmas.synchronous == Synchronous::Full).then(|| wal_sync::WalSync::start(&self.path));
        let checkpoints = open(self.pragmas.synchronous)?;
        // A racing first write may have started one already; these connections are then dropped.
        let _ = self.writer.set(writer::Writer::start(conn, checkpoints, self.auth_epoch.clone(), sync));
        self.writer.get().ok_or_else(|| ApiError::internal("database writer unavailable"))
    }

    /// A connection for synchronous callers (CLI commands, start-up).
    pub fn conn(&self) -> Result<Conn, String> {
        self.pool.get().map_err(|e| format!("database unavailable: {e}"))
    }

    /// Runs read-only work on a pooled connection off the async runtime.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.pool.clone();
        run_blocking(move || {
            let conn = pool.get().map_err(ApiError::internal)?;
            f(&conn)
        })
        .await
    }

    /// Runs a lookup by primary or unique key (microseconds) right here on the async worker,
    /// sparing the hand-off to a blocking thread that `read` pays. Anything that may scan rows
    /// belongs in `read`.
    pub fn read_key<T>(&self, f: impl FnOnce(&Connection) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let conn = self.pool.get().map_err(ApiError::internal)?;
        f(&conn)
    }

    /// Runs `fut`, one request, and answers only once its writes are on disk: with FULL
    /// durability its writes return at commit and are flushed together here, once per request
    /// and shared with every other request committed meanwhile (see `wal_sync.rs`).
    pub async fn acknowledged<F: Future>(&self, fut: F) -> Result<F::Output, ApiError> {
        let (out, commit) = wal_sync::scope(fut).await;
        if commit > 0
            && let Some(sync) = self.writer.get().and_then(writer::Writer::sync)
        {
            sync.wait(commit).await?;
        }
        Ok(out)
    }

    /// With FULL durability (once the first write started the writer), how the flushing of
    /// commits stands.
    pub fn wal_flush_stats(&self) -> Option<FlushStats> {
        self.writer.get().and_then(writer::Writer::sync).map(wal_sync::WalSync::stats)
    }

    /// Runs `f` as one atomic change: all of it is committed, or none of it if `f` fails. A
    /// mutation and its audit record always go through here together. Writes are group-committed
    /// (see `writer.rs`): the result arrives once the change is durable.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ApiError> + Send + 'static,
    {
        self.writer()?.write(f, writer::WriteKind::Change).await
    }

    /// `write` for usage bookkeeping in the auth tables (a token's `last_used_at`): committed
    /// like any write, but cached principals stay valid, as nothing they hold changed.
    pub async fn write_usage<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ApiError> + Send + 'static,
    {
        self.writer()?.write(f, writer::WriteKind::UsageOnly).await
    }
}

/// Runs blocking work on tokio's blocking pool, carrying the request id along for logs.
async fn run_blocking<T, F>(f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    let request_id = crate::http::request_id::current();
    tokio::task::spawn_blocking(move || crate::http::request_id::sync_scope(request_id, f))
        .await
        .map_err(|e| if e.is_panic() { ApiError::internal("database task panicked") } else { ApiError::internal(e) })?
}

/// The current time as the RFC 3339 UTC text stored in every `*_at` column. The fixed width
/// (microseconds, `Z`) makes text order equal time order.
pub fn now() -> String {
    format_time(chrono::Utc::now())
}

pub fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Parses an RFC 3339 time given by a client into the stored form.
pub fn parse_time(s: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| format_time(t.with_timezone(&chrono::Utc)))
}

/// A new UUIDv7 id (time-ordered, so ids sort like creation times).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Booleans are stored as 0/1 integers (portable to PostgreSQL as SMALLINT); read them here.
pub fn flag(v: i64) -> bool {
    v != 0
}

/// Whether a rusqlite error is a UNIQUE constraint violation.
pub fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

/// Consistent online copy of the database with SQLite's backup API, checked afterwards.
pub fn backup(src: &Path, out: &Path) -> Result<(), String> {
    if out.exists() {
        return Err(format!("{} already exists; refusing to overwrite it", out.display()));
    }
    let source = Connection::open_with_flags(src, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot open {}: {e}", src.display()))?;
    source.busy_timeout(Duration::from_secs(30)).map_err(|e| e.to_string())?;
    let mut dest = Connection::open(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    {
        let backup = rusqlite::backup::Backup::new(&source, &mut dest).map_err(|e| e.to_string())?;
        backup.run_to_completion(256, Duration::from_millis(5), None).map_err(|e| format!("backup failed: {e}"))?;
    }
    let check: String = dest.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|e| e.to_string())?;
    if check != "ok" {
        return Err(format!("backup copy failed integrity_check: {check}"));
    }
    // A backup is a single self-contained file: leave it in rollback-journal mode.
    dest.pragma_update(None, "journal_mode", "DELETE").map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn stored_times_have_a_fixed_width_so_text_order_is_time_order() {
        use chrono::TimeZone;
        let t = chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap() + chrono::Duration::microseconds(6);
        assert_eq!(super::format_time(t), "2026-01-02T03:04:05.000006Z");
        let whole = chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(super::format_time(whole), "2026-01-02T03:04:05.000000Z");
    }
}
