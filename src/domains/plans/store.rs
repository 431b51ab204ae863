//! Plans SQL, including the four plans every installation starts with.

use crate::db::Cached;
use rusqlite::{Connection, OptionalExtension, params};

use super::Plan;
use crate::db::list::{Resource, Scope, get};
use crate::db::{new_id, now};
use crate::http::error::ApiError;

/// (code, name, price in minor units, included credits in minor units, requests/minute, features)
type Seed = (&'static str, &'static str, i64, i64, Option<i64>, &'static [&'static str]);
const SEEDS: &[Seed] = &[
    ("free", "Free", 0, 10_000, Some(300), &["1 environment", "community support"]),
    ("pro", "Pro", 249_900, 250_000, Some(1000), &["unlimited environments", "email support"]),
    ("agency", "Agency", 799_900, 1_000_000, Some(2000), &["multiple brands", "priority support"]),
    ("enterprise", "Enterprise", 2_499_900, 5_000_000, None, &["custom limits", "dedicated support", "SSO"]),
];

/// Creates the seeded plans that are missing.
pub fn seed(tx: &Connection) -> Result<(), rusqlite::Error> {
    for (code, name, price, credits, rate, features) in SEEDS {
        let ts = now();
        tx.execute_cached(
            "INSERT INTO plans (id, code, name, description, price_minor, currency, cycle, included_credits_minor,
                rate_limit_per_minute, features, is_custom, created_at, updated_at)
             VALUES (?1, ?2, ?3, '', ?4, 'INR', 'monthly', ?5, ?6, ?7, 0, ?8, ?8)
             ON CONFLICT (code) DO NOTHING",
            params![
                new_id(),
                code,
                name,
                price,
                credits,
                rate,
                serde_json::to_string(features).unwrap_or_default(),
                ts
            ],
        )?;
    }
    Ok(())
}

/// A plan by id or by code.
pub fn find(conn: &Connection, id_or_code: &str) -> Result<Option<Plan>, ApiError> {
    let id: Option<String> = conn
        .query_row_cached("SELECT id FROM plans WHERE id = ?1 OR code = ?1", [id_or_code], |r| r.get(0))
        .optional()?;
    id.map(|id| get::<Plan>(conn, Scope::AnyTenant, &id)).transpose()
}

pub struct NewCustomPlan<'a> {
    pub name: &'a str,
    pub region_id: &'a str,
    pub price_minor: i64,
    pub cycle: &'a str,
}

pub fn insert_custom(tx: &Connection, p: NewCustomPlan) -> Result<Plan, ApiError> {
    let id = new_id();
    let ts = now();
    tx.execute_cached(
        "INSERT INTO plans (id, code, name, price_minor, currency, cycle, is_custom, region_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'INR', ?5, 1, ?6, ?7, ?7)",
        params![id, format!("custom-{id}"), p.name, p.price_minor, p.cycle, p.region_id, ts],
    )?;
    get::<Plan>(tx, Scope::AnyTenant, &id)
}

pub struct PlanFields<'a> {
    pub code: Option<&'a str>,
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub price_minor: Option<i64>,
    pub currency: Option<&'a str>,
    pub cycle: Option<&'a str>,
    pub included_credits_minor: Option<i64>,
    /// `Some(None)` clears the override.
    pub rate_limit_per_minute: Option<Option<i64>>,
    pub features: Option<&'a [String]>,
}

fn taken(code: &str) -> ApiError {
    ApiError::taken("code", "already taken", format!("A plan with code '{code}' already exists"))
}

pub fn insert(tx: &Connection, f: PlanFields) -> Result<Plan, ApiError> {
    let id = new_id();
    let ts = now();
    let code = f.code.unwrap_or_default();
    tx.execute_cached(
        "INSERT INTO plans (id, code, name, description, price_minor, currency, cycle, included_credits_minor,
            rate_limit_per_minute, features, is_custom, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, ?11, ?11)",
        params![
            id,
            code,
            f.name.unwrap_or_default(),
            f.description.unwrap_or(""),
            f.price_minor.unwrap_or(0),
            f.currency.unwrap_or("INR"),
            f.cycle.unwrap_or("monthly"),
            f.included_credits_minor.unwrap_or(0),
            f.rate_limit_per_minute.flatten(),
            serde_json::to_string(f.features.unwrap_or(&[])).unwrap_or_default(),
            ts
        ],
    )
    .map_err(|e| if crate::db::is_unique_violation(&e) { taken(code) } else { e.into() })?;
    get::<Plan>(tx, Scope::AnyTenant, &id)
}

pub fn update(tx: &Connection, id: &str, f: PlanFields) -> Result<Plan, ApiError> {
    let features = f.features.map(|v| serde_json::to_string(v).unwrap_or_default());
    let n = tx.execute_cached(
        "UPDATE plans SET name = COALESCE(?2, name), description = COALESCE(?3, description),
                price_minor = COALESCE(?4, price_minor), currency = COALESCE(?5, currency), cycle = COALESCE(?6, cycle),
                included_credits_minor = COALESCE(?7, included_credits_minor), features = COALESCE(?8, features),
                updated_at = ?9
          WHERE id = ?1",
        params![
            id,
            f.name,
            f.description,
            f.price_minor,
            f.currency,
            f.cycle,
            f.included_credits_minor,
            features,
            now()
        ],
    )?;
    if n == 0 {
        return Err(ApiError::not_found(Plan::NAME));
    }
    if let Some(rate) = f.rate_limit_per_minute {
        tx.execute_cached("UPDATE plans SET rate_limit_per_minute = ?2 WHERE id = ?1", params![id, rate])?;
    }
    get::<Plan>(tx, Scope::AnyTenant, id)
}
