//! Prompt template SQL: writes keep the previous state as a version; LLM calls are recorded and
//! debited from the tenant's credits.

use crate::db::Cached;
use rusqlite::{Connection, params};

use super::{PromptTemplate, VariableSet};
use crate::db::list::{Resource, Scope, get};
use crate::db::{new_id, now};
use crate::http::error::ApiError;

pub struct Fields<'a> {
    pub environment_id: Option<Option<&'a str>>,
    pub model_id: Option<Option<&'a str>>,
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub prompt_text: Option<&'a str>,
    pub variables: Option<String>,
    pub variable_sets: Option<&'a [VariableSet]>,
}

fn sets_json(s: Option<&[VariableSet]>) -> Option<String> {
    s.map(|s| serde_json::to_string(s).unwrap_or_else(|_| "[]".into()))
}

pub fn insert(tx: &Connection, tenant: &str, f: Fields) -> Result<PromptTemplate, ApiError> {
    let id = new_id();
    tx.execute_cached(
        "INSERT INTO prompt_templates (id, tenant_id, environment_id, model_id, name, description, prompt_text, variables,
            variable_sets, version, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?10)",
        params![
            id,
            tenant,
            f.environment_id.flatten(),
            f.model_id.flatten(),
            f.name.unwrap_or_default(),
            f.description.unwrap_or(""),
            f.prompt_text.unwrap_or_default(),
            f.variables.unwrap_or_else(|| "{}".into()),
            sets_json(f.variable_sets).unwrap_or_else(|| "[]".into()),
            now()
        ],
    )?;
    get::<PromptTemplate>(tx, Scope::Tenant(tenant), &id)
}

/// Saves the current state as a version, then applies the changes with the version incremented.
pub fn update(tx: &Connection, tenant: &str, before: &PromptTemplate, f: Fields) -> Result<PromptTemplate, ApiError> {
    let snapshot = poem_openapi::types::ToJSON::to_json(before).unwrap_or_default().to_string();
    let ts = now();
    tx.execute_cached(
        "INSERT INTO prompt_template_versions (id, template_id, tenant_id, version, snapshot, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![new_id(), before.id, tenant, before.version, snapshot, ts],
    )?;
    tx.execute_cached(
        "UPDATE prompt_templates SET name = COALESCE(?3, name), description = COALESCE(?4, description),
                prompt_text = COALESCE(?5, prompt_text), variables = COALESCE(?6, variables),
                variable_sets = COALESCE(?7, variable_sets), version = version + 1, updated_at = ?8
          WHERE id = ?1 AND tenant_id = ?2",
        params![before.id, tenant, f.name, f.description, f.prompt_text, f.variables, sets_json(f.variable_sets), ts],
    )?;
    if let Some(env) = f.environment_id {
        tx.execute_cached("UPDATE prompt_templates SET environment_id = ?2 WHERE id = ?1", params![before.id, env])?;
    }
    if let Some(model) = f.model_id {
        tx.execute_cached("UPDATE prompt_templates SET model_id = ?2 WHERE id = ?1", params![before.id, model])?;
    }
    get::<PromptTemplate>(tx, Scope::Tenant(tenant), &before.id)
}

/// A version's snapshot (the current state for the current version).
pub fn version(conn: &Connection, tenant: &str, id: &str, n: i64) -> Result<serde_json::Value, ApiError> {
    let current = get::<PromptTemplate>(conn, Scope::Tenant(tenant), id)?;
    if n == current.version {
        return Ok(poem_openapi::types::ToJSON::to_json(&current).unwrap_or_default());
    }
    let snapshot: String = conn
        .query_row_cached(
            "SELECT snapshot FROM prompt_template_versions WHERE template_id = ?1 AND tenant_id = ?2 AND version = ?3",
            params![id, tenant, n],
            |r| r.get(0),
        )
        .map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => ApiError::not_found("Version"),
            e => e.into(),
        })?;
    serde_json::from_str(&snapshot).map_err(ApiError::internal)
}

pub struct Call<'a> {
    pub id: &'a str,
    pub tenant: &'a str,
    pub model_id: &'a str,
    pub source_id: &'a str,
    pub provider: &'a str,
    pub model_name: &'a str,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    pub cost_minor: i64,
    pub duration_ms: u64,
    pub status: &'a str,
    pub error: Option<&'a str>,
}

/// Records an LLM call; a successful one is debited from the tenant's credits.
pub fn record_call(tx: &Connection, c: &Call) -> Result<(), ApiError> {
    tx.execute_cached(
        "INSERT INTO llm_calls (id, tenant_id, model_id, source_type, source_id, provider, model_name, input_tokens,
            output_tokens, cost_usd, cost_minor, duration_ms, status, error, created_at)
         VALUES (?1, ?2, ?3, 'prompt_template', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            c.id,
            c.tenant,
            c.model_id,
            c.source_id,
            c.provider,
            c.model_name,
            c.input_tokens as i64,
            c.output_tokens as i64,
            c.cost_usd,
            c.cost_minor,
            c.duration_ms as i64,
            c.status,
            c.error,
            now()
        ],
    )?;
    if c.status == "ok" && c.cost_minor > 0 {
        crate::domains::billing::store::append(
            tx,
            c.tenant,
            crate::domains::billing::store::Change {
                kind: "usage",
                amount_minor: -c.cost_minor,
                note: &format!("LLM call: {} ({} in / {} out tokens)", c.model_name, c.input_tokens, c.output_tokens),
                reference: Some(c.id),
                actor_label: "llm",
            },
        )?;
    }
    Ok(())
}

pub fn set_output(tx: &Connection, id: &str, output: &str) -> Result<(), ApiError> {
    tx.execute_cached("UPDATE prompt_templates SET last_output = ?2 WHERE id = ?1", params![id, output])?;
    Ok(())
}

pub fn last_output(conn: &Connection, id: &str) -> Result<Option<String>, ApiError> {
    Ok(conn.query_row_cached("SELECT last_output FROM prompt_templates WHERE id = ?1", [id], |r| r.get(0))?)
}

pub fn set_sentiment(tx: &Connection, id: &str, raw: &str, result: Option<&str>) -> Result<(), ApiError> {
    tx.execute_cached(
        "UPDATE prompt_templates SET raw_sentiment = ?2, result_sentiment = ?3 WHERE id = ?1",
        params![id, raw, result],
    )?;
    Ok(())
}

/// 400 naming `field` unless `table` has row `id` in the tenant.
pub fn require_own(conn: &Connection, table: &str, field: &str, tenant: &str, id: &str) -> Result<(), ApiError> {
    let found: i64 = conn.query_row_cached(
        &format!("SELECT COUNT(*) FROM {table} WHERE id = ?1 AND tenant_id = ?2"),
        [id, tenant],
        |r| r.get(0),
    )?;
    if found == 0 { Err(ApiError::field(field, "no such resource in this tenant")) } else { Ok(()) }
}

pub fn resource_name() -> &'static str {
    PromptTemplate::NAME
}
