//! The floor: a minimal poem + rusqlite server doing the same SQL as the appliance's
//! environment endpoints, on the appliance's `environments` table, with the same pool (r2d2,
//! 8 connections), pragmas (WAL, foreign keys, busy timeout, synchronous) and async bridge
//! (`spawn_blocking`) — but no auth, audit, idempotency, validation or JSON conventions.
//!
//! - `GET /envs/{id}`: one row by primary key, as JSON.
//! - `GET /tenants/{tenant}/envs?limit=25[&cursor=<created_at>~<id>]`: `COUNT(*)` of the tenant
//!   plus one page newest first (keyset when a cursor is given), `X-Total-Count` header.
//! - `POST /tenants/{tenant}/envs` `{"name": ...}`: one INSERT in a `BEGIN IMMEDIATE` transaction.
//! - `GET /readyz`.

use std::path::Path;
use std::time::Duration;

use poem::http::StatusCode;
use poem::listener::TcpListener;
use poem::web::{Data, Json, Query};
use poem::{EndpointExt, IntoResponse, Response, Route, Server, get, handler};
use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

/// The appliance's `environments` table (schema.sql), with a minimal `tenants` for its foreign key.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tenants (
    id    TEXT PRIMARY KEY,
    name  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS environments (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE INDEX IF NOT EXISTS environments_tenant_created ON environments (tenant_id, created_at, id);
";

type DbPool = Pool<SqliteConnectionManager>;

#[derive(Debug)]
struct Pragmas {
    synchronous: &'static str,
}

impl r2d2::CustomizeConnection<Connection, rusqlite::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut Connection) -> Result<(), rusqlite::Error> {
        apply_pragmas(conn, self.synchronous)
    }
}

/// The appliance's pragmas (src/db/mod.rs).
pub fn apply_pragmas(conn: &Connection, synchronous: &str) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(Duration::from_millis(5000))?;
    let _: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", synchronous)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// The time text the appliance stores: RFC 3339 UTC, microseconds, `Z`.
pub fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// A tenant in the floor database and the ids of its environments.
pub struct FloorTenant {
    pub id: String,
    pub env_ids: Vec<String>,
}

/// Creates the schema and seeds tenants with `rows` environments each, directly in SQL.
/// Rows get increasing `created_at` one millisecond apart, ending now.
pub fn seed(db: &Path, rows_per_tenant: &[usize]) -> Result<Vec<FloorTenant>, rusqlite::Error> {
    let mut conn = Connection::open(db)?;
    apply_pragmas(&conn, "NORMAL")?;
    conn.execute_batch(SCHEMA)?;
    let mut out = Vec::new();
    for (t, &rows) in rows_per_tenant.iter().enumerate() {
        let tenant = uuid::Uuid::now_v7().to_string();
        let tx = conn.transaction()?;
        tx.execute("INSERT INTO tenants (id, name) VALUES (?1, ?2)", params![tenant, format!("floor-{t}")])?;
        let start = chrono::Utc::now() - chrono::Duration::milliseconds(rows as i64);
        let mut ids = Vec::with_capacity(rows);
        {
            let mut stmt = tx.prepare(
                "INSERT INTO environments (id, tenant_id, name, description, created_at, updated_at)
                 VALUES (?1, ?2, ?3, '', ?4, ?4)",
            )?;
            for i in 0..rows {
                let id = uuid::Uuid::now_v7().to_string();
                let ts = format_time(start + chrono::Duration::milliseconds(i as i64));
                stmt.execute(params![id, tenant, format!("seed-{i:06}"), ts])?;
                ids.push(id);
            }
        }
        tx.commit()?;
        out.push(FloorTenant { id: tenant, env_ids: ids });
    }
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")?;
    Ok(out)
}

/// The cursor of the last page of a tenant's list (newest first, `limit` per page): the keys of
/// the row just before it, i.e. the `limit + 1`-th oldest.
pub fn last_page_cursor(db: &Path, tenant: &str, limit: usize) -> Result<String, rusqlite::Error> {
    let conn = Connection::open(db)?;
    let total: i64 =
        conn.query_row("SELECT COUNT(*) FROM environments WHERE tenant_id = ?1", [tenant], |r| r.get(0))?;
    let last_len = match total as usize % limit {
        0 => limit,
        n => n,
    };
    let (created, id): (String, String) = conn.query_row(
        "SELECT created_at, id FROM environments WHERE tenant_id = ?1 ORDER BY created_at ASC, id ASC LIMIT 1 OFFSET ?2",
        params![tenant, last_len as i64],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(format!("{created}~{id}"))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Env {
    id: String,
    tenant_id: String,
    name: String,
    description: String,
    created_at: String,
    updated_at: String,
}

fn env_from_row(r: &rusqlite::Row) -> rusqlite::Result<Env> {
    Ok(Env {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        created_at: r.get(4)?,
        updated_at: r.get(5)?,
    })
}

const COLS: &str = "id, tenant_id, name, description, created_at, updated_at";

fn internal(e: impl std::fmt::Display) -> poem::Error {
    poem::Error::from_string(e.to_string(), StatusCode::INTERNAL_SERVER_ERROR)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, poem::Error> + Send + 'static,
) -> Result<T, poem::Error> {
    tokio::task::spawn_blocking(f).await.map_err(internal)?
}

#[handler]
async fn get_env(poem::web::Path(id): poem::web::Path<String>, pool: Data<&DbPool>) -> poem::Result<Response> {
    let pool = pool.0.clone();
    let env = blocking(move || {
        let conn = pool.get().map_err(internal)?;
        conn.prepare_cached(&format!("SELECT {COLS} FROM environments WHERE id = ?1"))
            .and_then(|mut s| s.query_row([&id], env_from_row).optional())
            .map_err(internal)
    })
    .await?;
    match env {
        Some(e) => Ok(Json(e).into_response()),
        None => Ok(StatusCode::NOT_FOUND.into_response()),
    }
}

#[derive(Deserialize)]
struct ListParams {
    limit: Option<i64>,
    cursor: Option<String>,
}

#[derive(Serialize)]
struct Page {
    data: Vec<Env>,
    total: i64,
    #[serde(rename = "nextCursor")]
    next_cursor: Option<String>,
}

#[handler]
async fn list_envs(
    poem::web::Path(tenant): poem::web::Path<String>,
    Query(p): Query<ListParams>,
    pool: Data<&DbPool>,
) -> poem::Result<Response> {
    let pool = pool.0.clone();
    let limit = p.limit.unwrap_or(25).clamp(1, 200);
    let page = blocking(move || {
        let conn = pool.get().map_err(internal)?;
        let total: i64 = conn
            .prepare_cached("SELECT COUNT(*) FROM environments WHERE tenant_id = ?1")
            .and_then(|mut s| s.query_row([&tenant], |r| r.get(0)))
            .map_err(internal)?;
        let mut data: Vec<Env> = match &p.cursor {
            None => conn
                .prepare_cached(&format!(
                    "SELECT {COLS} FROM environments WHERE tenant_id = ?1
                      ORDER BY created_at DESC, id DESC LIMIT ?2"
                ))
                .and_then(|mut s| s.query_map(params![tenant, limit + 1], env_from_row)?.collect())
                .map_err(internal)?,
            Some(c) => {
                let (created, id) = c.split_once('~').ok_or_else(|| internal("bad cursor"))?;
                conn.prepare_cached(&format!(
                    "SELECT {COLS} FROM environments WHERE tenant_id = ?1 AND (created_at, id) < (?2, ?3)
                      ORDER BY created_at DESC, id DESC LIMIT ?4"
                ))
                .and_then(|mut s| s.query_map(params![tenant, created, id, limit + 1], env_from_row)?.collect())
                .map_err(internal)?
            }
        };
        let mut next_cursor = None;
        if data.len() as i64 > limit {
            data.truncate(limit as usize);
            next_cursor = data.last().map(|e| format!("{}~{}", e.created_at, e.id));
        }
        Ok(Page { data, total, next_cursor })
    })
    .await?;
    let total = page.total;
    Ok(Json(page).with_header("X-Total-Count", total).into_response())
}

#[derive(Deserialize)]
struct CreateBody {
    name: String,
    #[serde(default)]
    description: Option<String>,
}

#[handler]
async fn create_env(
    poem::web::Path(tenant): poem::web::Path<String>,
    Json(body): Json<CreateBody>,
    pool: Data<&DbPool>,
) -> poem::Result<Response> {
    let pool = pool.0.clone();
    let env = blocking(move || {
        let mut conn = pool.get().map_err(internal)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(internal)?;
        let ts = format_time(chrono::Utc::now());
        let env = Env {
            id: uuid::Uuid::now_v7().to_string(),
            tenant_id: tenant,
            name: body.name,
            description: body.description.unwrap_or_default(),
            created_at: ts.clone(),
            updated_at: ts,
        };
        tx.prepare_cached(
            "INSERT INTO environments (id, tenant_id, name, description, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        )
        .and_then(|mut s| s.execute(params![env.id, env.tenant_id, env.name, env.description, env.created_at]))
        .map_err(internal)?;
        tx.commit().map_err(internal)?;
        Ok(env)
    })
    .await?;
    Ok(Json(env).with_status(StatusCode::CREATED).into_response())
}

#[handler]
fn readyz() -> &'static str {
    "ok"
}

/// Runs the floor server until killed.
pub fn serve(db: &Path, listen: &str, synchronous: &str, pool_size: u32) -> Result<(), Box<dyn std::error::Error>> {
    let synchronous: &'static str = match synchronous.to_ascii_lowercase().as_str() {
        "normal" => "NORMAL",
        "full" => "FULL",
        other => return Err(format!("synchronous must be normal or full, not {other}").into()),
    };
    let pool = Pool::builder()
        .max_size(pool_size)
        .connection_timeout(Duration::from_secs(30))
        .connection_customizer(Box::new(Pragmas { synchronous }))
        .build(SqliteConnectionManager::file(db))?;
    pool.get()?.execute_batch(SCHEMA)?;
    let app = Route::new()
        .at("/envs/:id", get(get_env))
        .at("/tenants/:tenant/envs", get(list_envs).post(create_env))
        .at("/readyz", get(readyz))
        .data(pool);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(Server::new(TcpListener::bind(listen.to_string())).run(app))?;
    Ok(())
}
