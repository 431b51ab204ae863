//! Workflow entity type SQL, including the built-in types every tenant has.

use crate::db::Cached;
use rusqlite::{Connection, params};

use super::BUILTIN;
use crate::db::{is_unique_violation, new_id, now};
use crate::http::error::ApiError;

fn taken(name: &str) -> ApiError {
    ApiError::taken(
        "name",
        "already taken in this tenant",
        format!("A workflow entity type named '{name}' already exists"),
    )
}

/// Creates the built-in types a tenant lacks.
pub fn ensure_builtin(tx: &Connection, tenant: &str) -> Result<(), rusqlite::Error> {
    for (name, description) in BUILTIN {
        tx.execute_cached(
            "INSERT INTO workflow_entity_types (id, tenant_id, name, description, builtin, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5) ON CONFLICT (tenant_id, name) DO NOTHING",
            params![new_id(), tenant, name, description, now()],
        )?;
    }
    Ok(())
}

/// `ensure_builtin` for every tenant.
pub fn ensure_builtin_everywhere(conn: &Connection) -> Result<(), rusqlite::Error> {
    let tenants: Vec<String> = {
        let mut stmt = conn.prepare("SELECT id FROM tenants")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    for t in tenants {
        ensure_builtin(conn, &t)?;
    }
    Ok(())
}

pub fn insert(tx: &Connection, id: &str, tenant: &str, name: &str, description: &str) -> Result<(), ApiError> {
    tx.execute_cached(
        "INSERT INTO workflow_entity_types (id, tenant_id, name, description, builtin, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 0, ?5, ?5)",
        params![id, tenant, name, description, now()],
    )
    .map_err(|e| if is_unique_violation(&e) { taken(name) } else { e.into() })?;
    Ok(())
}

pub fn update(
    tx: &Connection,
    id: &str,
    tenant: &str,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<(), ApiError> {
    tx.execute_cached(
        "UPDATE workflow_entity_types SET name = COALESCE(?3, name), description = COALESCE(?4, description), updated_at = ?5
          WHERE id = ?1 AND tenant_id = ?2",
        params![id, tenant, name, description, now()],
    )
    .map_err(|e| if is_unique_violation(&e) { taken(name.unwrap_or_default()) } else { e.into() })?;
    Ok(())
}

/// How many entities have this type.
pub fn entities_using(conn: &Connection, id: &str) -> Result<i64, ApiError> {
    Ok(conn.query_row_cached("SELECT COUNT(*) FROM workflow_entities WHERE entity_type_id = ?1", [id], |r| r.get(0))?)
}
