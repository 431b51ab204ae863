//! LLM provider SQL. `api_key_sealed` holds the key sealed to its row.

use crate::db::Cached;
use rusqlite::{Connection, params};

use super::{LlmProvider, ProviderModel};
use crate::crypto::master_key::MasterKey;
use crate::crypto::seal::{open_text, seal_text};
use crate::db::list::{Resource, Scope, get};
use crate::db::{is_unique_violation, new_id, now};
use crate::http::error::ApiError;
use crate::llm::ProviderKind;

const TABLE: &str = "llm_providers";
const COLUMN: &str = "api_key_sealed";

fn taken(name: &str) -> ApiError {
    ApiError::taken("name", "already taken", format!("A provider named '{name}' already exists"))
}

pub struct Fields<'a> {
    pub name: Option<&'a str>,
    pub kind: Option<ProviderKind>,
    pub base_url: Option<&'a str>,
    pub models: Option<&'a [ProviderModel]>,
    pub enabled: Option<bool>,
    /// `None` keep, `Some(None)` clear, `Some(Some(v))` set.
    pub api_key: Option<Option<&'a str>>,
}

fn models_json(models: Option<&[ProviderModel]>) -> Result<Option<String>, ApiError> {
    models.map(|m| serde_json::to_string(m).map_err(ApiError::internal)).transpose()
}

pub fn insert(tx: &Connection, key: &MasterKey, f: Fields) -> Result<LlmProvider, ApiError> {
    let id = new_id();
    let name = f.name.unwrap_or_default();
    tx.execute_cached(
        "INSERT INTO llm_providers (id, name, type, base_url, models, enabled, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            id,
            name,
            f.kind.unwrap_or(ProviderKind::Openai).as_str(),
            f.base_url.unwrap_or_default(),
            models_json(f.models)?.unwrap_or_else(|| "[]".into()),
            f.enabled.unwrap_or(true) as i64,
            now()
        ],
    )
    .map_err(|e| if is_unique_violation(&e) { taken(name) } else { e.into() })?;
    set_key(tx, key, &id, f.api_key)?;
    get::<LlmProvider>(tx, Scope::AnyTenant, &id)
}

pub fn update(tx: &Connection, key: &MasterKey, id: &str, f: Fields) -> Result<LlmProvider, ApiError> {
    let n = tx
        .execute_cached(
            "UPDATE llm_providers SET name = COALESCE(?2, name), type = COALESCE(?3, type), base_url = COALESCE(?4, base_url),
                    models = COALESCE(?5, models), enabled = COALESCE(?6, enabled), updated_at = ?7
              WHERE id = ?1",
            params![
                id,
                f.name,
                f.kind.map(ProviderKind::as_str),
                f.base_url,
                models_json(f.models)?,
                f.enabled.map(i64::from),
                now()
            ],
        )
        .map_err(|e| if is_unique_violation(&e) { taken(f.name.unwrap_or_default()) } else { e.into() })?;
    if n == 0 {
        return Err(ApiError::not_found(LlmProvider::NAME));
    }
    set_key(tx, key, id, f.api_key)?;
    get::<LlmProvider>(tx, Scope::AnyTenant, id)
}

fn set_key(tx: &Connection, key: &MasterKey, id: &str, change: Option<Option<&str>>) -> Result<(), ApiError> {
    if let Some(value) = change {
        let sealed = value.map(|v| seal_text(key, TABLE, COLUMN, id, v));
        tx.execute_cached("UPDATE llm_providers SET api_key_sealed = ?2 WHERE id = ?1", params![id, sealed])?;
    }
    Ok(())
}

/// What a health check needs about one provider, the key opened just in time.
pub struct Target {
    pub id: String,
    pub kind: ProviderKind,
    pub base_url: String,
    pub api_key: Option<String>,
}

/// The enabled providers (or just `only`), with their keys opened.
pub fn targets(conn: &Connection, key: &MasterKey, only: Option<&str>) -> Result<Vec<Target>, ApiError> {
    let mut stmt = conn.prepare(
        "SELECT id, type, base_url, api_key_sealed FROM llm_providers
          WHERE (?1 IS NULL AND enabled = 1) OR id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([only], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<String>>(3)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, kind, base_url, sealed) = row?;
        let api_key = sealed.map(|s| open_text(key, TABLE, COLUMN, &id, &s)).transpose().map_err(ApiError::internal)?;
        out.push(Target { id, kind: ProviderKind::parse(&kind), base_url, api_key });
    }
    Ok(out)
}

pub fn record_check(
    tx: &Connection,
    id: &str,
    status: &str,
    latency_ms: u64,
    error: Option<&str>,
) -> Result<(), ApiError> {
    tx.execute_cached(
        "UPDATE llm_providers SET status = ?2, last_checked_at = ?3, last_latency_ms = ?4, last_error = ?5 WHERE id = ?1",
        params![id, status, now(), latency_ms as i64, error],
    )?;
    Ok(())
}

/// Enabled providers' models as (provider, model) pairs, for the plan visibility list.
pub fn enabled(conn: &Connection) -> Result<Vec<LlmProvider>, ApiError> {
    let sql = format!("SELECT {} FROM {} WHERE enabled = 1 ORDER BY name", LlmProvider::COLUMNS, LlmProvider::FROM);
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], LlmProvider::from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The plan code of a tenant.
pub fn tenant_plan(conn: &Connection, tenant: &str) -> Result<String, ApiError> {
    Ok(conn.query_row_cached(
        "SELECT p.code FROM tenants t JOIN plans p ON p.id = t.plan_id WHERE t.id = ?1",
        [tenant],
        |r| r.get(0),
    )?)
}

/// Which of `codes` are not plan codes.
pub fn unknown_plans(conn: &Connection, codes: &[&str]) -> Result<Vec<String>, ApiError> {
    let mut missing = Vec::new();
    for code in codes {
        let n: i64 = conn.query_row_cached("SELECT COUNT(*) FROM plans WHERE code = ?1", [code], |r| r.get(0))?;
        if n == 0 {
            missing.push(code.to_string());
        }
    }
    Ok(missing)
}
