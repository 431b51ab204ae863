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
/// An in-progress record older than this is taken to be from a crashed process and reused.
const STALE_MINUTES: i64 = 5;

pub struct Stored {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

pub enum Begin {
    Started,
    Replay(Stored),
    Mismatch,
    InProgress,
}

fn ago(minutes: i64) -> String {
    super::format_time(chrono::Utc::now() - chrono::Duration::minutes(minutes))
}

/// Claims the key for this request, or says why it cannot be claimed.
pub fn begin(
    tx: &Connection,
    master: &MasterKey,
    principal: &str,
    key: &str,
    fingerprint: &str,
) -> Result<Begin, ApiError> {
    let row = tx
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
    if let Some((fp, state, status, headers, body, created_at)) = row {
        let expired = created_at < ago(TTL_HOURS * 60);
        let stale = state == "in_progress" && created_at < ago(STALE_MINUTES);
        if !expired && !stale {
            if fp != fingerprint {
                return Ok(Begin::Mismatch);
            }
            if state == "in_progress" {
                return Ok(Begin::InProgress);
            }
            let headers: Vec<(String, String)> =
                headers.and_then(|h| serde_json::from_str(&h).ok()).unwrap_or_default();
            let id = row_id(principal, key);
            let body = match body {
                Some(sealed) => seal::open(master, &cell(&id), &sealed).map_err(ApiError::internal)?,
                None => Vec::new(),
            };
            return Ok(Begin::Replay(Stored { status: status.unwrap_or(200) as u16, headers, body }));
        }
    }
    tx.execute_cached(
        "INSERT INTO idempotency_keys (principal_key, idem_key, fingerprint, state, created_at)
         VALUES (?1, ?2, ?3, 'in_progress', ?4)
         ON CONFLICT (principal_key, idem_key) DO UPDATE SET
           fingerprint = excluded.fingerprint, state = 'in_progress', status_code = NULL,
           response_headers = NULL, response_body = NULL, created_at = excluded.created_at",
        params![principal, key, fingerprint, super::now()],
    )?;
    Ok(Begin::Started)
}

pub fn finish(
    tx: &Connection,
    master: &MasterKey,
    principal: &str,
    key: &str,
    stored: &Stored,
) -> Result<(), ApiError> {
    let headers = serde_json::to_string(&stored.headers).map_err(ApiError::internal)?;
    let id = row_id(principal, key);
    let body = seal::seal(master, &cell(&id), &stored.body);
    tx.execute_cached(
        "UPDATE idempotency_keys SET state = 'done', status_code = ?3, response_headers = ?4, response_body = ?5
          WHERE principal_key = ?1 AND idem_key = ?2",
        params![principal, key, stored.status as i64, headers, body],
    )?;
    Ok(())
}

pub fn release(tx: &Connection, principal: &str, key: &str) -> Result<(), ApiError> {
    tx.execute_cached(
        "DELETE FROM idempotency_keys WHERE principal_key = ?1 AND idem_key = ?2",
        params![principal, key],
    )?;
    Ok(())
}

/// Deletes records older than the replay window; returns how many.
pub fn purge_expired(conn: &Connection) -> Result<usize, ApiError> {
    Ok(conn.execute_cached("DELETE FROM idempotency_keys WHERE created_at < ?1", params![ago(TTL_HOURS * 60)])?)
}
