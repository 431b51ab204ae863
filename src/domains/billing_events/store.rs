//! Applying payment-provider events: payments mark invoices paid or failed, subscription events
//! change a subscription's status or plan. Each event is stored once, by its id.

use crate::db::Cached;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use crate::db::{new_id, now};
use crate::domains::audit::{self, Actor, Entry};
use crate::domains::invoices::store as invoices;
use crate::http::error::ApiError;

/// What became of an event.
pub struct Outcome {
    pub outcome: &'static str,
    pub tenant_id: Option<String>,
    pub invoice_id: Option<String>,
    pub detail: Option<String>,
}

impl Outcome {
    fn new(outcome: &'static str, detail: impl Into<Option<String>>) -> Self {
        Outcome { outcome, tenant_id: None, invoice_id: None, detail: detail.into() }
    }
}

pub fn seen(conn: &Connection, event_id: &str) -> Result<bool, ApiError> {
    Ok(conn
        .query_row_cached("SELECT 1 FROM billing_events WHERE event_id = ?1", [event_id], |_| Ok(()))
        .optional()?
        .is_some())
}

fn tenant_exists(tx: &Connection, id: &str) -> Result<bool, ApiError> {
    crate::domains::auth::store::tenant_exists(tx, id)
}

fn text(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// Applies a verified event and stores it; the caller has checked it was not seen before.
pub fn apply_and_store(tx: &Connection, event_id: &str, body: &Value, raw: &str) -> Result<Outcome, ApiError> {
    let kind = body["event"].as_str().unwrap_or("").to_string();
    let result = if kind == "payment.captured" || kind == "payment.failed" {
        payment(tx, &kind, &body["payload"]["payment"]["entity"])?
    } else if let Some(action) = kind.strip_prefix("subscription.") {
        subscription(tx, action, &body["payload"]["subscription"]["entity"])?
    } else {
        Outcome::new("ignored", format!("event type `{kind}` is not handled"))
    };
    let ts = now();
    tx.execute_cached(
        "INSERT INTO billing_events (id, event_id, event_type, tenant_id, invoice_id, outcome, detail, payload, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        params![new_id(), event_id, kind, result.tenant_id, result.invoice_id, result.outcome, result.detail, raw, ts],
    )?;
    Ok(result)
}

fn payment(tx: &Connection, kind: &str, entity: &Value) -> Result<Outcome, ApiError> {
    let notes = &entity["notes"];
    let (Some(tenant), Some(invoice)) = (text(&notes["tenantId"]), text(&notes["invoiceId"])) else {
        return Ok(Outcome::new("error", "notes.tenantId and notes.invoiceId are required".to_string()));
    };
    let belongs = tx
        .query_row_cached("SELECT 1 FROM invoices WHERE id = ?1 AND tenant_id = ?2", [&invoice, &tenant], |_| Ok(()))
        .optional()?
        .is_some();
    if !belongs {
        return Ok(Outcome::new("error", "no such invoice for that tenant".to_string()));
    }
    let captured = kind == "payment.captured";
    let reference = text(&entity["id"]).unwrap_or_else(|| "unknown".into());
    let status = if captured { "paid" } else { "failed" };
    let before = crate::db::list::get::<crate::domains::invoices::Invoice>(
        tx,
        crate::db::list::Scope::Tenant(&tenant),
        &invoice,
    )?;
    let after = invoices::set_status(tx, &invoice, status, captured.then_some(reference.as_str()))?;
    tx.execute_cached(
        "INSERT INTO payments (id, tenant_id, invoice_id, provider_ref, amount_minor, currency, status, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            new_id(),
            tenant,
            invoice,
            reference,
            entity["amount"].as_i64().unwrap_or(after.amount_minor),
            text(&entity["currency"]).unwrap_or_else(|| after.currency.clone()),
            if captured { "captured" } else { "failed" },
            now()
        ],
    )?;
    let payment_status = if captured { "current" } else { "overdue" };
    tx.execute_cached(
        "UPDATE tenants SET payment_status = ?2, updated_at = ?3 WHERE id = ?1",
        params![tenant, payment_status, now()],
    )?;
    let action = if captured { "invoice.paid" } else { "invoice.payment_failed" };
    audit::store::record(
        tx,
        &Actor::system("razorpay"),
        Entry::new(Some(&tenant), action, "invoice", &invoice).before(&before).after(&after),
    )?;
    Ok(Outcome { outcome: "applied", tenant_id: Some(tenant), invoice_id: Some(invoice), detail: None })
}

fn subscription(tx: &Connection, action: &str, entity: &Value) -> Result<Outcome, ApiError> {
    let Some(tenant) = text(&entity["notes"]["tenantId"]) else {
        return Ok(Outcome::new("error", "notes.tenantId is required".to_string()));
    };
    if !tenant_exists(tx, &tenant)? {
        return Ok(Outcome::new("error", "no such tenant".to_string()));
    }
    let status = match action {
        "activated" | "charged" | "resumed" | "authenticated" => Some("active"),
        "halted" | "paused" | "pending" => Some("paused"),
        "cancelled" | "completed" | "expired" => Some("cancelled"),
        _ => None,
    };
    let mut changes = serde_json::Map::new();
    let ts = now();
    if let Some(status) = status {
        tx.execute_cached(
            "UPDATE subscriptions SET status = ?2, updated_at = ?3 WHERE tenant_id = ?1 AND status <> 'cancelled'",
            params![tenant, status, ts],
        )?;
        let payment_status = match status {
            "active" => "current",
            "paused" => "overdue",
            _ => "cancelled",
        };
        tx.execute_cached(
            "UPDATE tenants SET payment_status = ?2, updated_at = ?3 WHERE id = ?1",
            params![tenant, payment_status, ts],
        )?;
        changes.insert("subscriptionStatus".into(), status.into());
    }
    if let Some(plan) = text(&entity["notes"]["planId"]) {
        let Some(plan) = crate::domains::plans::store::find(tx, &plan)? else {
            return Ok(Outcome::new("error", "notes.planId names no plan".to_string()));
        };
        crate::domains::tenants::store::update(
            tx,
            &tenant,
            crate::domains::tenants::store::Changes {
                name: None,
                domain: None,
                plan_id: Some(&plan.id),
                status: None,
                spend_cap_usd: None,
                feature_flags: None,
            },
        )?;
        changes.insert("plan".into(), plan.code.into());
    }
    if changes.is_empty() {
        return Ok(Outcome {
            outcome: "ignored",
            tenant_id: Some(tenant),
            invoice_id: None,
            detail: Some(format!("subscription.{action} changes nothing")),
        });
    }
    let mut entry = Entry::new(Some(&tenant), "subscription.updated", "tenant", &tenant);
    entry.after = Some(Value::Object(changes));
    audit::store::record(tx, &Actor::system("razorpay"), entry)?;
    Ok(Outcome { outcome: "applied", tenant_id: Some(tenant), invoice_id: None, detail: None })
}
