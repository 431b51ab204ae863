//! Tenants SQL: creation with admin user and subscription, updates, lookups.

use crate::db::Cached;
use rusqlite::{Connection, OptionalExtension, params};

use super::{BillingProfile, Subscription, Tenant, TenantRef};
use crate::db::list::{Resource, Scope, get};
use crate::db::{new_id, now};
use crate::http::error::ApiError;

/// 404 unless the tenant exists.
pub fn require(conn: &Connection, id: &str) -> Result<(), ApiError> {
    if crate::domains::auth::store::tenant_exists(conn, id)? { Ok(()) } else { Err(ApiError::not_found(Tenant::NAME)) }
}

pub fn tenant_ref(conn: &Connection, id: &str) -> Result<TenantRef, ApiError> {
    conn.prepare_cached(
        "SELECT t.id, t.name, t.status, t.plan_id, p.code FROM tenants t JOIN plans p ON p.id = t.plan_id WHERE t.id = ?1",
    )?
    .query_row([id], |r| {
        Ok(TenantRef { id: r.get(0)?, name: r.get(1)?, status: r.get(2)?, plan_id: r.get(3)?, plan: r.get(4)? })
    })
    .optional()?
    .ok_or_else(|| ApiError::not_found(Tenant::NAME))
}

/// A URL-safe slug of a display name.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let s = out.trim_end_matches('-').chars().take(50).collect::<String>();
    if s.is_empty() { "tenant".into() } else { s }
}

/// A domain not yet used by any tenant, from the wanted one or the name.
pub fn free_domain(conn: &Connection, wanted: Option<&str>, name: &str) -> Result<String, ApiError> {
    let base = wanted.map(|w| w.trim().to_lowercase()).unwrap_or_else(|| slug(name));
    let mut candidate = base.clone();
    for n in 2..1000 {
        let taken = conn
            .query_row_cached("SELECT 1 FROM tenants WHERE domain = ?1", [&candidate], |_| Ok(()))
            .optional()?
            .is_some();
        if !taken {
            return Ok(candidate);
        }
        candidate = format!("{base}-{n}");
    }
    Ok(format!("{base}-{}", &new_id()[24..]))
}

pub struct NewTenant<'a> {
    pub name: &'a str,
    pub domain: &'a str,
    pub plan_id: &'a str,
    pub billing: &'a BillingProfile,
}

/// Inserts the tenant (status `onboarding`) and its pending subscription; returns their ids.
pub fn insert(tx: &Connection, t: NewTenant) -> Result<(String, String), ApiError> {
    let id = new_id();
    let ts = now();
    let b = t.billing;
    tx.execute_cached(
        "INSERT INTO tenants (id, name, domain, plan_id, status, legal_name, gstin, tds_deduction, billing_name,
            billing_address, billing_city, billing_state, billing_country, billing_postal, phone, country, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'onboarding', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)",
        params![
            id,
            t.name,
            t.domain,
            t.plan_id,
            b.legal_name,
            b.gstin,
            b.tds_deduction as i64,
            b.billing_name,
            b.billing_address,
            b.billing_city,
            b.billing_state,
            b.billing_country,
            b.billing_postal,
            b.phone,
            b.country,
            ts
        ],
    )?;
    let sub = new_id();
    tx.execute_cached(
        "INSERT INTO subscriptions (id, tenant_id, plan_id, status, created_at, updated_at) VALUES (?1, ?2, ?3, 'pending', ?4, ?4)",
        params![sub, id, t.plan_id, ts],
    )?;
    Ok((id, sub))
}

pub struct Changes<'a> {
    pub name: Option<&'a str>,
    pub domain: Option<&'a str>,
    pub plan_id: Option<&'a str>,
    pub status: Option<&'a str>,
    /// `Some(None)` clears the cap.
    pub spend_cap_usd: Option<Option<f64>>,
    pub feature_flags: Option<String>,
}

pub fn update(tx: &Connection, id: &str, c: Changes) -> Result<Tenant, ApiError> {
    let before = get::<Tenant>(tx, Scope::AnyTenant, id)?;
    let ts = now();
    // Remember what a suspension interrupted, so reinstating restores it.
    let before_suspend = match c.status {
        Some("suspended") if before.status != "suspended" => Some(before.status.clone()),
        _ => None,
    };
    tx.execute_cached(
        "UPDATE tenants SET name = COALESCE(?2, name), domain = COALESCE(?3, domain), plan_id = COALESCE(?4, plan_id),
                status = COALESCE(?5, status), status_before_suspend = COALESCE(?6, status_before_suspend),
                feature_flags = COALESCE(?7, feature_flags), updated_at = ?8
          WHERE id = ?1",
        params![id, c.name, c.domain, c.plan_id, c.status, before_suspend, c.feature_flags, ts],
    )?;
    if let Some(cap) = c.spend_cap_usd {
        tx.execute_cached("UPDATE tenants SET spend_cap_usd = ?2 WHERE id = ?1", params![id, cap])?;
    }
    if let Some(plan) = c.plan_id {
        tx.execute_cached(
            "UPDATE subscriptions SET plan_id = ?2, updated_at = ?3 WHERE tenant_id = ?1 AND status <> 'cancelled'",
            params![id, plan, ts],
        )?;
    }
    get::<Tenant>(tx, Scope::AnyTenant, id)
}

pub fn billing_profile(conn: &Connection, id: &str) -> Result<BillingProfile, ApiError> {
    Ok(conn.query_row_cached(
        "SELECT legal_name, gstin, tds_deduction, billing_name, billing_address, billing_city, billing_state,
                billing_country, billing_postal, phone, country FROM tenants WHERE id = ?1",
        [id],
        |r| {
            Ok(BillingProfile {
                legal_name: r.get(0)?,
                gstin: r.get(1)?,
                tds_deduction: crate::db::flag(r.get(2)?),
                billing_name: r.get(3)?,
                billing_address: r.get(4)?,
                billing_city: r.get(5)?,
                billing_state: r.get(6)?,
                billing_country: r.get(7)?,
                billing_postal: r.get(8)?,
                phone: r.get(9)?,
                country: r.get(10)?,
            })
        },
    )?)
}

pub fn subscription(conn: &Connection, tenant: &str) -> Result<Option<Subscription>, ApiError> {
    Ok(conn
        .query_row_cached(
            "SELECT id, plan_id, status, start_date, billing_activated_on, billing_start_date, next_billing_date,
                    created_at, updated_at
               FROM subscriptions WHERE tenant_id = ?1 ORDER BY created_at DESC LIMIT 1",
            [tenant],
            |r| {
                Ok(Subscription {
                    id: r.get(0)?,
                    plan_id: r.get(1)?,
                    status: r.get(2)?,
                    start_date: r.get(3)?,
                    billing_activated_on: r.get(4)?,
                    billing_start_date: r.get(5)?,
                    next_billing_date: r.get(6)?,
                    created_at: r.get(7)?,
                    updated_at: r.get(8)?,
                })
            },
        )
        .optional()?)
}
