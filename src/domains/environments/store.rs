//! Environments SQL.

use crate::db::Cached;
use rusqlite::{Connection, params};

use super::Environment;
use crate::db::list::{Resource, Scope, get};
use crate::db::{is_unique_violation, new_id, now};
use crate::http::error::ApiError;

fn taken(name: &str) -> ApiError {
    ApiError::taken("name", "already taken in this tenant", format!("An environment named '{name}' already exists"))
}

pub fn insert(tx: &Connection, tenant: &str, name: &str, description: &str) -> Result<Environment, ApiError> {
    let id = new_id();
    let ts = now();
    tx.execute_cached(
        "INSERT INTO environments (id, tenant_id, name, description, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![id, tenant, name, description, ts],
    )
    .map_err(|e| if is_unique_violation(&e) { taken(name) } else { e.into() })?;
    get::<Environment>(tx, Scope::Tenant(tenant), &id)
}

pub fn update(
    tx: &Connection,
    tenant: &str,
    id: &str,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<Environment, ApiError> {
    let n = tx
        .execute_cached(
            "UPDATE environments SET name = COALESCE(?3, name), description = COALESCE(?4, description), updated_at = ?5
              WHERE id = ?1 AND tenant_id = ?2",
            params![id, tenant, name, description, now()],
        )
        .map_err(|e| if is_unique_violation(&e) { taken(name.unwrap_or_default()) } else { e.into() })?;
    if n == 0 {
        return Err(ApiError::not_found(Environment::NAME));
    }
    get::<Environment>(tx, Scope::Tenant(tenant), id)
}
