//! Platform LLM providers (`/platform/llm-providers`, CRUD and `POST /{id}/check`), their
//! scheduled health checks, and `GET /system-models/visible`: the provider models a tenant's
//! plan gives it. The API key is write-only and sealed at rest.

pub mod store;

use crate::db::Cached;
use std::collections::HashSet;
use std::time::Duration;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object, OpenApi};
use rusqlite::Row;
use serde::{Deserialize, Serialize};

use crate::db::list::{Extra, Filter, FilterKind, Resource, Scope, Sort, get};
use crate::domains::audit::{self, Actor, Entry};
use crate::http::auth::{Platform, Tenant};
use crate::http::body::{JsonBody, change};
use crate::http::error::{ApiError, FieldErrors};
use crate::http::list::{ListParams, Listed};
use crate::http::perms::perm;
use crate::http::respond::{ApiResult, Created, Deleted, path_id};
use crate::http::tags::Tag;
use crate::http::validate;
use crate::llm::{self, ProviderKind};
use crate::state::AppState;

/// A model a provider offers, and the plans that may use it.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProviderModel {
    /// The provider's model id, e.g. `gpt-4o-mini`.
    pub id: String,
    pub name: String,
    /// Plan codes whose tenants may use this model; none means no tenant sees it.
    #[serde(default)]
    pub available_on_plans: Vec<String>,
}

/// Whether an operator has switched a provider on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Switch {
    Active,
    Disabled,
}

/// A platform LLM provider. The API key is never returned.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct LlmProvider {
    pub id: String,
    pub name: String,
    #[oai(rename = "type")]
    pub kind: ProviderKind,
    pub base_url: String,
    pub models: Vec<ProviderModel>,
    /// Switched on by an operator; disabled providers are neither checked nor offered.
    pub enabled: bool,
    /// Last health check: `healthy`, `degraded`, `unreachable`, or `unknown` before the first.
    pub status: String,
    pub last_checked_at: Option<String>,
    pub last_latency_ms: Option<i64>,
    pub last_error: Option<String>,
    pub has_api_key: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource for LlmProvider {
    const NAME: &'static str = "LLM provider";
    const FROM: &'static str = "llm_providers";
    const COLUMNS: &'static str = "id, name, type, base_url, models, enabled, status, last_checked_at, last_latency_ms, \
        last_error, api_key_sealed IS NOT NULL, created_at, updated_at";
    const ID: &'static str = "id";
    const CREATED: &'static str = "created_at";
    const TENANT: Option<&'static str> = None;
    const SORTS: &'static [Sort] = &[
        Sort { param: "createdAt", column: "created_at" },
        Sort { param: "updatedAt", column: "updated_at" },
        Sort { param: "name", column: "name" },
    ];
    const FILTERS: &'static [Filter] = &[
        Filter { param: "type", column: "type", kind: FilterKind::Enum(&["openai", "anthropic", "ollama", "custom"]) },
        Filter {
            param: "status",
            column: "status",
            kind: FilterKind::Enum(&["healthy", "degraded", "unreachable", "unknown"]),
        },
        Filter { param: "enabled", column: "enabled", kind: FilterKind::Bool },
    ];
    const SEARCH: &'static [&'static str] = &["name", "base_url"];

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(LlmProvider {
            id: row.get(0)?,
            name: row.get(1)?,
            kind: ProviderKind::parse(&row.get::<_, String>(2)?),
            base_url: row.get(3)?,
            models: serde_json::from_str(&row.get::<_, String>(4)?).unwrap_or_default(),
            enabled: crate::db::flag(row.get(5)?),
            status: row.get(6)?,
            last_checked_at: row.get(7)?,
            last_latency_ms: row.get(8)?,
            last_error: row.get(9)?,
            has_api_key: crate::db::flag(row.get(10)?),
            created_at: row.get(11)?,
            updated_at: row.get(12)?,
        })
    }
}

/// Add a provider.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateProvider {
    pub name: String,
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub kind: ProviderKind,
    /// Write-only; stored encrypted.
    #[oai(write_only)]
    #[serde(default)]
    pub api_key: Option<String>,
    /// Defaults to the provider's public API (required for `custom`).
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub models: Vec<ProviderModel>,
    /// `active` (default) or `disabled`.
    #[serde(default)]
    pub status: Option<Switch>,
}

/// Change a provider; absent fields stay, `"apiKey": null` clears the key.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateProvider {
    #[serde(default)]
    pub name: Option<String>,
    #[oai(rename = "type")]
    #[serde(default, rename = "type")]
    pub kind: Option<ProviderKind>,
    #[oai(write_only)]
    #[serde(default)]
    pub api_key: MaybeUndefined<String>,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub models: Option<Vec<ProviderModel>>,
    #[serde(default)]
    pub status: Option<Switch>,
}

/// A provider model this tenant's plan may use.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct SystemModel {
    pub provider_id: String,
    pub provider_name: String,
    pub provider_type: ProviderKind,
    /// The provider's health.
    pub provider_status: String,
    pub model_id: String,
    pub model_name: String,
}

fn default_base(kind: ProviderKind) -> Option<&'static str> {
    match kind {
        ProviderKind::Openai => Some("https://api.openai.com/v1"),
        ProviderKind::Anthropic => Some("https://api.anthropic.com"),
        ProviderKind::Ollama => Some("http://127.0.0.1:11434"),
        ProviderKind::Custom => None,
    }
}

fn check_models(errors: &mut FieldErrors, models: &[ProviderModel]) {
    let mut seen = HashSet::new();
    for (i, m) in models.iter().enumerate() {
        validate::name(errors, &format!("models[{i}].id"), &m.id, 200);
        validate::name(errors, &format!("models[{i}].name"), &m.name, 200);
        if !seen.insert(m.id.as_str()) {
            errors.add(&format!("models[{i}].id"), "appears twice");
        }
    }
}

/// Plan codes must exist: checked inside the write transaction.
fn check_plans(conn: &rusqlite::Connection, models: &[ProviderModel]) -> Result<(), ApiError> {
    let mut errors = FieldErrors::new();
    for (i, m) in models.iter().enumerate() {
        let codes: Vec<&str> = m.available_on_plans.iter().map(String::as_str).collect();
        let missing = store::unknown_plans(conn, &codes)?;
        if !missing.is_empty() {
            errors.add(&format!("models[{i}].availableOnPlans"), format!("no such plan: {}", missing.join(", ")));
        }
    }
    errors.finish()
}

fn check_key(errors: &mut FieldErrors, key: Option<&str>) {
    match key {
        Some("") => errors.add("apiKey", "must not be empty (use null to clear)"),
        Some(k) if k.len() > 8192 => errors.add("apiKey", "must be at most 8192 bytes"),
        _ => {}
    }
}

pub struct LlmProvidersApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Platform")]
impl LlmProvidersApi {
    /// List LLM providers
    ///
    /// Filters `type`, `status`, `enabled`; `search` matches name and base URL.
    #[oai(path = "/platform/llm-providers", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        _ctx: Platform,
        q: ListParams<LlmProvider>,
    ) -> ApiResult<Listed<LlmProvider>> {
        state.db.page(None, q.into_inner(), Extra::default()).await
    }

    /// Add an LLM provider
    #[oai(path = "/platform/llm-providers", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        ctx: Platform,
        body: JsonBody<CreateProvider>,
    ) -> ApiResult<Created<LlmProvider>> {
        let b = body.0;
        let mut errors = FieldErrors::new();
        validate::name(&mut errors, "name", &b.name, 100);
        check_key(&mut errors, b.api_key.as_deref());
        let base_url = b.base_url.clone().or_else(|| default_base(b.kind).map(str::to_string));
        match &base_url {
            Some(u) if !llm::valid_url(u) => errors.add("baseUrl", "must be an absolute http(s) URL"),
            None => errors.add("baseUrl", "is required for custom providers"),
            _ => {}
        }
        check_models(&mut errors, &b.models);
        errors.finish()?;
        let (actor, key) = (ctx.principal.actor(), state.master_key.clone());
        let provider = state
            .db
            .write(move |tx| {
                check_plans(tx, &b.models)?;
                let p = store::insert(
                    tx,
                    &key,
                    store::Fields {
                        name: Some(b.name.trim()),
                        kind: Some(b.kind),
                        base_url: base_url.as_deref().map(str::trim),
                        models: Some(&b.models),
                        enabled: Some(b.status != Some(Switch::Disabled)),
                        api_key: Some(b.api_key.as_deref()),
                    },
                )?;
                let entry = Entry::new(None, "llm_provider.created", "llm_provider", &p.id).after(&p);
                audit::store::record(tx, &actor, entry.secret("apiKey", p.has_api_key, p.has_api_key))?;
                Ok(p)
            })
            .await?;
        Ok(Created::at(format!("/api/v1/platform/llm-providers/{}", provider.id), provider))
    }

    /// Get an LLM provider
    #[oai(path = "/platform/llm-providers/:id", method = "get")]
    async fn get(&self, state: Data<&AppState>, _ctx: Platform, id: Path<String>) -> ApiResult<Json<LlmProvider>> {
        let id = path_id(&id, LlmProvider::NAME)?;
        Ok(Json(state.db.fetch::<LlmProvider>(None, id).await?))
    }

    /// Update an LLM provider
    ///
    /// Partial: rotate the API key, change the base URL or models, or switch it with
    /// `status: active|disabled`.
    #[oai(path = "/platform/llm-providers/:id", method = "patch", method = "put")]
    async fn update(
        &self,
        state: Data<&AppState>,
        ctx: Platform,
        id: Path<String>,
        body: JsonBody<UpdateProvider>,
    ) -> ApiResult<Json<LlmProvider>> {
        update_provider(&state, ctx, &id, body.0).await
    }

    /// Remove an LLM provider
    #[oai(path = "/platform/llm-providers/:id", method = "delete")]
    async fn delete(&self, state: Data<&AppState>, ctx: Platform, id: Path<String>) -> ApiResult<Json<Deleted>> {
        let id = path_id(&id, LlmProvider::NAME)?;
        let (actor, id2) = (ctx.principal.actor(), id.clone());
        state.db.write(move |tx| audit::delete_recorded::<LlmProvider>(tx, None, &id2, &actor, "llm_provider")).await?;
        Ok(Deleted::of(id))
    }

    /// Check an LLM provider's health now
    ///
    /// Probes the provider with a real request and records `healthy`, `degraded` or
    /// `unreachable` with `lastCheckedAt`, as the scheduled check does.
    #[oai(path = "/platform/llm-providers/:id/check", method = "post")]
    async fn check(&self, state: Data<&AppState>, _ctx: Platform, id: Path<String>) -> ApiResult<Json<LlmProvider>> {
        let id = path_id(&id, LlmProvider::NAME)?;
        let id2 = id.clone();
        state.db.read(move |c| get::<LlmProvider>(c, Scope::AnyTenant, &id2).map(|_| ())).await?;
        check_providers(&state, Some(&id)).await?;
        Ok(Json(state.db.fetch::<LlmProvider>(None, id).await?))
    }

    /// List the provider models this tenant's plan may use
    #[oai(path = "/system-models/visible", method = "get", tag = "Tag::Models")]
    async fn visible(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesRead>,
    ) -> ApiResult<Json<Vec<SystemModel>>> {
        let tenant = ctx.tenant_id;
        let models = state
            .db
            .read(move |c| {
                let plan = store::tenant_plan(c, &tenant)?;
                let mut out = Vec::new();
                for p in store::enabled(c)? {
                    for m in p.models.iter().filter(|m| m.available_on_plans.contains(&plan)) {
                        out.push(SystemModel {
                            provider_id: p.id.clone(),
                            provider_name: p.name.clone(),
                            provider_type: p.kind,
                            provider_status: p.status.clone(),
                            model_id: m.id.clone(),
                            model_name: m.name.clone(),
                        });
                    }
                }
                Ok(out)
            })
            .await?;
        Ok(Json(models))
    }
}

async fn update_provider(
    state: &AppState,
    ctx: Platform,
    raw_id: &str,
    b: UpdateProvider,
) -> ApiResult<Json<LlmProvider>> {
    let id = path_id(raw_id, LlmProvider::NAME)?;
    let mut errors = FieldErrors::new();
    if let Some(n) = &b.name {
        validate::name(&mut errors, "name", n, 100);
    }
    check_key(&mut errors, b.api_key.value().map(String::as_str));
    if let Some(u) = &b.base_url
        && !llm::valid_url(u)
    {
        errors.add("baseUrl", "must be an absolute http(s) URL");
    }
    if let Some(m) = &b.models {
        check_models(&mut errors, m);
    }
    errors.finish()?;
    let (actor, key) = (ctx.principal.actor(), state.master_key.clone());
    let provider = state
        .db
        .write(move |tx| {
            let before = get::<LlmProvider>(tx, Scope::AnyTenant, &id)?;
            if let Some(m) = &b.models {
                check_plans(tx, m)?;
            }
            let api_key = change(&b.api_key);
            let after = store::update(
                tx,
                &key,
                &id,
                store::Fields {
                    name: b.name.as_deref().map(str::trim),
                    kind: b.kind,
                    base_url: b.base_url.as_deref().map(str::trim),
                    models: b.models.as_deref(),
                    enabled: b.status.map(|s| s == Switch::Active),
                    api_key,
                },
            )?;
            let entry = Entry::new(None, "llm_provider.updated", "llm_provider", &id).before(&before).after(&after);
            audit::store::record(tx, &actor, entry.secret("apiKey", after.has_api_key, api_key.is_some()))?;
            Ok(after)
        })
        .await?;
    Ok(Json(provider))
}

/// Probes the enabled providers (or one) and records each one's health.
pub async fn check_providers(state: &AppState, only: Option<&str>) -> Result<usize, ApiError> {
    let key = state.master_key.clone();
    let only_owned = only.map(str::to_string);
    let targets = state.db.read(move |c| store::targets(c, &key, only_owned.as_deref())).await?;
    let timeout = Duration::from_secs(state.config.llm.request_timeout_seconds.min(30));
    let slow = state.config.llm.degraded_latency_ms;
    let checks = targets.iter().map(|t| llm::probe(&state.http, t.kind, &t.base_url, t.api_key.as_deref(), timeout));
    let results = futures_util::future::join_all(checks).await;
    let count = results.len();
    let outcomes: Vec<(String, &'static str, u64, Option<String>)> = targets
        .iter()
        .zip(results)
        .map(|(t, p)| {
            let status = match (p.ok, p.status) {
                (true, _) if p.latency_ms <= slow => "healthy",
                (_, Some(_)) => "degraded",
                (false, None) => "unreachable",
                (true, None) => "healthy",
            };
            let error = match (p.ok, p.error) {
                (true, _) if p.latency_ms > slow => Some(format!("slow: {} ms", p.latency_ms)),
                (_, e) => e,
            };
            (t.id.clone(), status, p.latency_ms, error)
        })
        .collect();
    state
        .db
        .write(move |tx| {
            for (id, status, latency, error) in &outcomes {
                let before: String =
                    tx.query_row_cached("SELECT status FROM llm_providers WHERE id = ?1", [id], |r| r.get(0))?;
                store::record_check(tx, id, status, *latency, error.as_deref())?;
                if before != *status {
                    let mut entry = Entry::new(None, "llm_provider.health_changed", "llm_provider", id);
                    entry.before = Some(serde_json::json!({ "status": before }));
                    entry.after = Some(serde_json::json!({ "status": status, "error": error }));
                    audit::store::record(tx, &Actor::system("health-check"), entry)?;
                }
            }
            Ok(())
        })
        .await?;
    Ok(count)
}
