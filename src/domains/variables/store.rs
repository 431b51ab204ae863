//! Variables SQL. `value_sealed` holds the value sealed under the master key, bound to its row.

use crate::db::Cached;
use rusqlite::{Connection, OptionalExtension, params};

use super::Variable;
use crate::crypto::master_key::MasterKey;
use crate::crypto::seal::seal_text;
use crate::db::list::{Resource, Scope, get};
use crate::db::{is_unique_violation, new_id, now};
use crate::http::error::ApiError;

const TABLE: &str = "variables";
const COLUMN: &str = "value_sealed";

fn taken(name: &str) -> ApiError {
    ApiError::taken(
        "name",
        "already taken in this environment",
        format!("A variable named '{name}' already exists in this environment"),
    )
}

/// 400 unless the environment is the tenant's.
pub fn require_environment(conn: &Connection, tenant: &str, environment: &str) -> Result<(), ApiError> {
    let found = conn
        .query_row_cached("SELECT 1 FROM environments WHERE id = ?1 AND tenant_id = ?2", [environment, tenant], |_| {
            Ok(())
        })
        .optional()?;
    found.ok_or_else(|| ApiError::field("environmentId", "no such environment"))
}

pub struct NewVariable<'a> {
    pub environment_id: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub value: Option<&'a str>,
}

pub fn insert(tx: &Connection, key: &MasterKey, tenant: &str, v: NewVariable) -> Result<Variable, ApiError> {
    require_environment(tx, tenant, v.environment_id)?;
    let id = new_id();
    let sealed = v.value.map(|p| seal_text(key, TABLE, COLUMN, &id, p));
    tx.execute_cached(
        "INSERT INTO variables (id, tenant_id, environment_id, name, description, value_sealed, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![id, tenant, v.environment_id, v.name, v.description, sealed, now()],
    )
    .map_err(|e| if is_unique_violation(&e) { taken(v.name) } else { e.into() })?;
    get::<Variable>(tx, Scope::Tenant(tenant), &id)
}

pub struct Changes<'a> {
    pub environment_id: Option<&'a str>,
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    /// `Some(None)` clears the value.
    pub value: Option<Option<&'a str>>,
}

pub fn update(tx: &Connection, key: &MasterKey, tenant: &str, id: &str, c: Changes) -> Result<Variable, ApiError> {
    if let Some(env) = c.environment_id {
        require_environment(tx, tenant, env)?;
    }
    let n = tx
        .execute_cached(
            "UPDATE variables SET environment_id = COALESCE(?3, environment_id), name = COALESCE(?4, name),
                    description = COALESCE(?5, description), updated_at = ?6
              WHERE id = ?1 AND tenant_id = ?2",
            params![id, tenant, c.environment_id, c.name, c.description, now()],
        )
        .map_err(|e| if is_unique_violation(&e) { taken(c.name.unwrap_or_default()) } else { e.into() })?;
    if n == 0 {
        return Err(ApiError::not_found(Variable::NAME));
    }
    if let Some(value) = c.value {
        let sealed = value.map(|p| seal_text(key, TABLE, COLUMN, id, p));
        tx.execute_cached("UPDATE variables SET value_sealed = ?2 WHERE id = ?1", params![id, sealed])?;
    }
    get::<Variable>(tx, Scope::Tenant(tenant), id)
}
