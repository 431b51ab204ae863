//! Workflows SQL.

use crate::db::Cached;
use rusqlite::{Connection, params};

use crate::db::now;
use crate::http::error::ApiError;

/// Columns to write; `None` keeps the stored value on update.
pub struct Fields<'a> {
    pub environment_id: Option<&'a str>,
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub workflow_data: Option<String>,
    pub node_count: Option<i64>,
}

pub fn insert(tx: &Connection, id: &str, tenant: &str, f: Fields) -> Result<(), ApiError> {
    tx.execute_cached(
        "INSERT INTO workflows (id, tenant_id, environment_id, name, description, workflow_data, node_count, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![id, tenant, f.environment_id, f.name, f.description.unwrap_or(""), f.workflow_data, f.node_count, now()],
    )?;
    Ok(())
}

pub fn update(tx: &Connection, id: &str, tenant: &str, f: Fields) -> Result<(), ApiError> {
    tx.execute_cached(
        "UPDATE workflows SET environment_id = COALESCE(?3, environment_id), name = COALESCE(?4, name),
                description = COALESCE(?5, description), workflow_data = COALESCE(?6, workflow_data),
                node_count = COALESCE(?7, node_count), updated_at = ?8
          WHERE id = ?1 AND tenant_id = ?2",
        params![id, tenant, f.environment_id, f.name, f.description, f.workflow_data, f.node_count, now()],
    )?;
    Ok(())
}
