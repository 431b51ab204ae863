//! Ledger SQL. Every change of a tenant's credit is one row; the balance is their sum.

use crate::db::Cached;
use chrono::Datelike;
use rusqlite::{Connection, OptionalExtension, params};

use super::Transaction;
use crate::db::list::{Scope, get};
use crate::db::{new_id, now};
use crate::http::error::ApiError;

/// A tenant's currency (its plan's) and low-balance threshold.
pub fn settings(conn: &Connection, tenant: &str) -> Result<(String, i64), ApiError> {
    Ok(conn.query_row_cached(
        "SELECT p.currency, t.low_balance_threshold_minor FROM tenants t JOIN plans p ON p.id = t.plan_id WHERE t.id = ?1",
        [tenant],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

pub fn balance(conn: &Connection, tenant: &str) -> Result<i64, ApiError> {
    Ok(conn.query_row_cached(
        "SELECT COALESCE(SUM(amount_minor), 0) FROM ledger WHERE tenant_id = ?1",
        [tenant],
        |r| r.get(0),
    )?)
}

pub struct Change<'a> {
    pub kind: &'a str,
    pub amount_minor: i64,
    pub note: &'a str,
    pub reference: Option<&'a str>,
    pub actor_label: &'a str,
}

/// Appends a ledger row; when the balance falls below the tenant's threshold from at or above
/// it, records a `billing.low_balance` event. Call inside the write transaction.
pub fn append(tx: &Connection, tenant: &str, c: Change) -> Result<Transaction, ApiError> {
    let (currency, threshold) = settings(tx, tenant)?;
    let before = balance(tx, tenant)?;
    let after = before + c.amount_minor;
    let id = new_id();
    let ts = now();
    tx.execute_cached(
        "INSERT INTO ledger (id, tenant_id, kind, amount_minor, balance_after_minor, currency, note, reference, actor_label,
            created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![id, tenant, c.kind, c.amount_minor, after, currency, c.note, c.reference, c.actor_label, ts],
    )?;
    if before >= threshold && after < threshold {
        crate::domains::events::record(
            tx,
            Some(tenant),
            "billing.low_balance",
            &serde_json::json!({ "tenantId": tenant, "balanceMinor": after, "thresholdMinor": threshold, "currency": currency }),
        )?;
    }
    get::<Transaction>(tx, Scope::Tenant(tenant), &id)
}

/// The last payment's amount and time, if any.
pub fn last_payment(conn: &Connection, tenant: &str) -> Result<Option<(i64, String)>, ApiError> {
    Ok(conn
        .query_row_cached(
            "SELECT amount_minor, created_at FROM payments WHERE tenant_id = ?1 AND status = 'captured'
              ORDER BY created_at DESC LIMIT 1",
            [tenant],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Credit spent on usage since the start of this month (a positive number).
pub fn usage_this_month(conn: &Connection, tenant: &str) -> Result<i64, ApiError> {
    let start = chrono::Utc::now().date_naive().with_day0(0).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc());
    let start = crate::db::format_time(start.unwrap_or_else(chrono::Utc::now));
    Ok(conn.query_row_cached(
        "SELECT COALESCE(-SUM(amount_minor), 0) FROM ledger WHERE tenant_id = ?1 AND kind = 'usage' AND created_at >= ?2",
        params![tenant, start],
        |r| r.get(0),
    )?)
}
