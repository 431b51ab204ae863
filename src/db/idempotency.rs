//! Storage of Idempotency-Key records (24 h).

use crate::db::Cached;
use rusqlite::{Connection, OptionalExtension, params};

use crate::crypto::master_key::MasterKey;
use crate::crypto::seal::{self, Cell};
use crate::http::error::ApiError;

/// Stored bodies may hold secrets shown once (a new token), so they are sealed, bound to the
/// principal and key they answer.
pub fn row_id(principal: &str, key: &str) -> String {
    format!("{principal}\u{1f}{key}")
}

pub fn cell(id: &str) -> Cell<'_> {
    Cell { table: "idempotency_keys", column: "response_body", id }
}

/// How long a stored response is replayed.
pub const TTL_HOURS: i64 = 24;

pub struct Stored {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

pub enum Begin {
    Started,
    Replay(Stored),
    Mismatch,
}

fn ago(minutes: i64) -> String {
    super::format_time(chrono::Utc::now() - chrono::Duration::minutes(minutes))
}

/// What a stored record says about a new request with the same key: replay it, refuse it
/// (another request used the key), or go ahead (no live record). Read-only: while a request
/// runs, its key is claimed in memory (`http/idempotency.rs`); the record is written when it
/// finishes.
pub fn lookup(
    conn: &Connection,
    master: &MasterKey,
    principal: &str,
    key: &str,
    fingerprint: &str,
) -> Result<Begin, ApiError> {
    let row = conn
        .query_row_cached(
            "SELECT fingerprint, state, status_code, response_headers, response_body, created_at
               FROM idempotency_keys WHERE principal_key = ?1 AND idem_key = ?2",
            params![principal, key],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                ))
            },
        )
        .optional()?;
    // Only finished records count; an `in_progress` row can only be left by an older version
    // that stopped mid-request.
    let Some((fp, _, status, headers, body, _)) =
        row.filter(|(_, state, _, _, _, created_at)| state == "done" && *created_at >= ago(TTL_HOURS * 60))
    else {
        return Ok(Begin::Started);
    };
    if fp != fingerprint {
        return Ok(Begin::Mismatch);
    }
    let headers: Vec<(String, String)> = headers.and_then(|h| serde_json::from_str(&h).ok()).unwrap_or_default();
    let id = row_id(principal, key);
    let body = match body {
        Some(sealed) => seal::open(master, &cell(&id), &sealed).map_err(ApiError::internal)?,
        None => Vec::new(),
    };
    Ok(Begin::Replay(Stored { status: status.unwrap_or(200) as u16, headers, body }))
}

/// Stores the response of a finished request under its key.
pub fn finish(
    tx: &Connection,
    master: &MasterKey,
    principal: &str,
    key: &str,
    fingerprint: &str,
    stored: &Stored,
) -> Result<(), ApiError> {
    let headers = serde_json::to_string(&stored.headers).map_err(ApiError::internal)?;
    let id = row_id(principal, key);
    let body = seal::seal(master, &cell(&id), &stored.body);
    tx.execute_cached(
        "INSERT INTO idempotency_keys (principal_key, idem_key, fingerprint, state, status_code, response_headers,
            response_body, created_at)
         VALUES (?1, ?2, ?3, 'done', ?4, ?5, ?6, ?7)
         ON CONFLICT (principal_key, idem_key) DO UPDATE SET
           fingerprint = excluded.fingerprint, state = 'done', status_code = excluded.status_code,
           response_headers = excluded.response_headers, response_body = excluded.response_body,
           created_at = excluded.created_at",
        params![principal, key, fingerprint, stored.status as i64, headers, body, super::now()],
    )?;
    Ok(())
}

/// Deletes records older than the replay window; returns how many.
pub fn purge_expired(conn: &Connection) -> Result<usize, ApiError> {
    Ok(conn.execute_cached("DELETE FROM idempotency_keys WHERE created_at < ?1", params![ago(TTL_HOURS * 60)])?)
}
