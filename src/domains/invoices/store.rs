//! Invoices SQL: per-year numbering, issuing, payment status.

use crate::db::Cached;
use chrono::{Datelike, Utc};
use rusqlite::{Connection, params};

use super::Invoice;
use crate::db::list::{Scope, get};
use crate::db::{format_time, new_id, now};
use crate::http::error::ApiError;

/// The next number of the year: `INV-2026-000001`.
pub fn next_number(tx: &Connection, year: i32) -> Result<String, ApiError> {
    tx.execute_cached(
        "INSERT INTO invoice_counters (year, last) VALUES (?1, 1) ON CONFLICT (year) DO UPDATE SET last = last + 1",
        [year],
    )?;
    let n: i64 = tx.query_row_cached("SELECT last FROM invoice_counters WHERE year = ?1", [year], |r| r.get(0))?;
    Ok(format!("INV-{year}-{n:06}"))
}

pub struct NewInvoice<'a> {
    pub tenant_id: &'a str,
    pub subscription_id: Option<&'a str>,
    pub plan_id: Option<&'a str>,
    pub kind: &'a str,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub period_start: Option<&'a str>,
    pub period_end: Option<&'a str>,
    pub due_in_days: i64,
}

pub fn insert(tx: &Connection, i: NewInvoice) -> Result<Invoice, ApiError> {
    let id = new_id();
    let number = next_number(tx, Utc::now().year())?;
    let due = format_time(Utc::now() + chrono::Duration::days(i.due_in_days));
    tx.execute_cached(
        "INSERT INTO invoices (id, tenant_id, subscription_id, plan_id, number, type, status, amount_minor, currency,
            period_start, period_end, due_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
        params![
            id,
            i.tenant_id,
            i.subscription_id,
            i.plan_id,
            number,
            i.kind,
            i.amount_minor,
            i.currency,
            i.period_start,
            i.period_end,
            due,
            now()
        ],
    )?;
    get::<Invoice>(tx, Scope::AnyTenant, &id)
}

/// Sets an invoice's status (`paid` also stamps `paidAt` and the payment reference).
pub fn set_status(tx: &Connection, id: &str, status: &str, payment_ref: Option<&str>) -> Result<Invoice, ApiError> {
    let ts = now();
    let paid_at = (status == "paid").then(|| ts.clone());
    let n = tx.execute_cached(
        "UPDATE invoices SET status = ?2, paid_at = COALESCE(?3, paid_at), payment_ref = COALESCE(?4, payment_ref),
                updated_at = ?5 WHERE id = ?1",
        params![id, status, paid_at, payment_ref, ts],
    )?;
    if n == 0 {
        return Err(ApiError::not_found("Invoice"));
    }
    get::<Invoice>(tx, Scope::AnyTenant, id)
}
