//! Domain events (`billing.low_balance`, `tenant.suspended`, …) kept in an outbox table until the
//! webhook deliverer sends them to subscribers.

use crate::db::Cached;
use rusqlite::{Connection, params};

use crate::db::{new_id, now};
use crate::http::error::ApiError;

/// Records an event inside the caller's transaction, so it exists exactly when the change does.
pub fn record(
    tx: &Connection,
    tenant: Option<&str>,
    kind: &str,
    payload: &serde_json::Value,
) -> Result<String, ApiError> {
    let id = new_id();
    tx.execute_cached(
        "INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, tenant, kind, payload.to_string(), now()],
    )?;
    Ok(id)
}

/// Events of a type for a tenant, oldest first (for tests and the deliverer).
pub fn of_type(conn: &Connection, tenant: &str, kind: &str) -> Result<Vec<serde_json::Value>, ApiError> {
    let mut stmt =
        conn.prepare("SELECT payload FROM events WHERE tenant_id = ?1 AND type = ?2 ORDER BY created_at, id")?;
    let rows = stmt.query_map([tenant, kind], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(serde_json::from_str(&r?).unwrap_or_default());
    }
    Ok(out)
}
