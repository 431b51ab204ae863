//! Audit SQL: appending hash-chained records (inside the caller's transaction), content reads,
//! and verifying the chain.

use crate::db::Cached;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Actor, ContentRead, Entry};
use crate::db::{new_id, now};
use crate::http::error::ApiError;

/// The hash every chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields a record's hash covers, exactly as stored.
#[allow(clippy::too_many_arguments)]
fn record_hash(
    prev: &str,
    seq: i64,
    id: &str,
    tenant_id: Option<&str>,
    actor_type: &str,
    actor_id: Option<&str>,
    actor_label: &str,
    action: &str,
    target_type: &str,
    target_id: Option<&str>,
    before: Option<&str>,
    after: Option<&str>,
    reason: Option<&str>,
    request_id: Option<&str>,
    created_at: &str,
) -> String {
    let material = serde_json::json!([
        seq,
        id,
        tenant_id,
        actor_type,
        actor_id,
        actor_label,
        action,
        target_type,
        target_id,
        before,
        after,
        reason,
        request_id,
        created_at
    ]);
    crate::crypto::sha256_hex(format!("{prev}\n{material}").as_bytes())
}

/// Appends one audit record. Call it inside the transaction of the change it records.
pub fn record(tx: &Connection, actor: &Actor, e: Entry) -> Result<String, ApiError> {
    let last: Option<(i64, String)> = tx
        .query_row_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (seq, prev) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_string()),
    };
    let id = new_id();
    let created_at = now();
    let before = e.before.map(|v| v.to_string());
    let after = e.after.map(|v| v.to_string());
    let request_id = crate::http::request_id::current();
    let hash = record_hash(
        &prev,
        seq,
        &id,
        e.tenant_id,
        actor.actor_type.as_str(),
        actor.id.as_deref(),
        &actor.label,
        e.action,
        e.target_type,
        e.target_id,
        before.as_deref(),
        after.as_deref(),
        e.reason,
        request_id.as_deref(),
        &created_at,
    );
    tx.prepare_cached(
        "INSERT INTO audit_log (id, seq, tenant_id, actor_type, actor_id, actor_label, action, target_type,
            target_id, before_json, after_json, reason, request_id, created_at, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        id,
        seq,
        e.tenant_id,
        actor.actor_type.as_str(),
        actor.id,
        actor.label,
        e.action,
        e.target_type,
        e.target_id,
        before,
        after,
        e.reason,
        request_id,
        created_at,
        prev,
        hash
    ])?;
    Ok(id)
}

pub fn insert_content_read(tx: &Connection, r: &ContentRead) -> Result<(), ApiError> {
    tx.prepare_cached(
        "INSERT INTO content_reads (id, tenant_id, actor_type, actor_id, actor_label, method, path,
            resource_type, resource_id, reason, request_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        new_id(),
        r.tenant_id,
        r.actor.actor_type.as_str(),
        r.actor.id,
        r.actor.label,
        r.method,
        r.path,
        r.resource_type,
        r.resource_id,
        r.reason,
        r.request_id,
        now()
    ])?;
    Ok(())
}

/// The outcome of walking the chain.
#[derive(Debug)]
pub struct Verification {
    pub records: i64,
    /// The first broken record: (seq, what is wrong).
    pub broken: Option<(i64, String)>,
}

/// Recomputes every record's hash in order and checks each links to the one before.
pub fn verify(conn: &Connection) -> Result<Verification, rusqlite::Error> {
    let mut stmt = conn.prepare(
        "SELECT seq, id, tenant_id, actor_type, actor_id, actor_label, action, target_type, target_id,
                before_json, after_json, reason, request_id, created_at, prev_hash, hash
           FROM audit_log ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected_prev = GENESIS.to_string();
    let mut expected_seq = 1;
    let mut count = 0;
    while let Some(r) = rows.next()? {
        count += 1;
        let seq: i64 = r.get(0)?;
        let prev: String = r.get(14)?;
        let hash: String = r.get(15)?;
        let fail = |why: &str| Ok(Verification { records: count, broken: Some((seq, why.to_string())) });
        if seq != expected_seq {
            return fail(&format!("expected sequence number {expected_seq}: a record was removed"));
        }
        if prev != expected_prev {
            return fail("prev_hash does not match the previous record's hash");
        }
        let s = |i| r.get::<_, Option<String>>(i);
        let recomputed = record_hash(
            &prev,
            seq,
            &r.get::<_, String>(1)?,
            s(2)?.as_deref(),
            &r.get::<_, String>(3)?,
            s(4)?.as_deref(),
            &r.get::<_, String>(5)?,
            &r.get::<_, String>(6)?,
            &r.get::<_, String>(7)?,
            s(8)?.as_deref(),
            s(9)?.as_deref(),
            s(10)?.as_deref(),
            s(11)?.as_deref(),
            s(12)?.as_deref(),
            &r.get::<_, String>(13)?,
        );
        if recomputed != hash {
            return fail("record contents do not match its hash: it was altered");
        }
        expected_prev = hash;
        expected_seq += 1;
    }
    Ok(Verification { records: count, broken: None })
}
