//! Prompts SQL.

use crate::db::Cached;
use rusqlite::{Connection, OptionalExtension, params};

use crate::db::now;
use crate::http::error::ApiError;

/// Columns to write; `None` keeps the stored value on update.
pub struct Fields<'a> {
    pub model_id: Option<&'a str>,
    pub title: Option<&'a str>,
    pub content: Option<&'a str>,
    pub output_format: Option<&'a str>,
    pub output_template: Option<&'a str>,
}

/// 400 unless the model is the tenant's.
pub fn require_model(conn: &Connection, tenant: &str, model: &str) -> Result<(), ApiError> {
    conn.query_row_cached("SELECT 1 FROM models WHERE id = ?1 AND tenant_id = ?2", [model, tenant], |_| Ok(()))
        .optional()?
        .ok_or_else(|| ApiError::field("modelId", "no such model"))
}

pub fn insert(tx: &Connection, id: &str, tenant: &str, f: Fields) -> Result<(), ApiError> {
    tx.execute_cached(
        "INSERT INTO prompts (id, tenant_id, model_id, title, content, output_format, output_template, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![id, tenant, f.model_id, f.title, f.content, f.output_format.unwrap_or("text"), f.output_template, now()],
    )?;
    Ok(())
}

/// Updates title, content and format (model and template change through their own setters,
/// since they can be cleared).
pub fn update(tx: &Connection, id: &str, tenant: &str, f: Fields) -> Result<(), ApiError> {
    tx.execute_cached(
        "UPDATE prompts SET title = COALESCE(?3, title), content = COALESCE(?4, content),
                output_format = COALESCE(?5, output_format), updated_at = ?6 WHERE id = ?1 AND tenant_id = ?2",
        params![id, tenant, f.title, f.content, f.output_format, now()],
    )?;
    Ok(())
}

pub fn set_model(tx: &Connection, id: &str, model: Option<&str>) -> Result<(), ApiError> {
    tx.execute_cached("UPDATE prompts SET model_id = ?2 WHERE id = ?1", params![id, model])?;
    Ok(())
}

pub fn set_template(tx: &Connection, id: &str, template: Option<&str>) -> Result<(), ApiError> {
    tx.execute_cached("UPDATE prompts SET output_template = ?2 WHERE id = ?1", params![id, template])?;
    Ok(())
}
