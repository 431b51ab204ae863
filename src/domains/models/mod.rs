//! Tenant models (`/models`, CRUD, `POST /models/{id}/test`): an LLM endpoint and its
//! credentials. `token`, `clientKey` and `secretKey` are write-only and sealed at rest; responses
//! say `hasToken`, `hasClientKey`, `hasSecretKey`.

pub mod store;

use std::time::Duration;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};
use rusqlite::Row;
use serde::Deserialize;

use crate::db::list::{Extra, Filter, FilterKind, Resource, Scope, Sort, get};
use crate::domains::audit::{self, Entry};
use crate::http::auth::Tenant;
use crate::http::body::{JsonBody, change};
use crate::http::error::FieldErrors;
use crate::http::list::{ListParams, Listed};
use crate::http::perms::perm;
use crate::http::respond::{ApiResult, Created, Deleted, path_id};
use crate::http::tags::Tag;
use crate::http::validate;
use crate::llm::{self, ProviderKind};
use crate::state::AppState;

const MAX_CREDENTIAL: usize = 8 * 1024;

/// A model endpoint of the tenant. Credentials are never returned.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct Model {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub description: String,
    pub provider: ProviderKind,
    /// Base URL of the provider's API, e.g. `https://api.openai.com/v1`.
    pub model_url: String,
    /// The provider's model name, e.g. `gpt-4o-mini`.
    pub model_name: String,
    pub has_token: bool,
    pub has_client_key: bool,
    pub has_secret_key: bool,
    /// Price of a million input tokens, in USD (for the cost of calls).
    pub input_price_usd_per_mtok: f64,
    /// Price of a million output tokens, in USD.
    pub output_price_usd_per_mtok: f64,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource for Model {
    const NAME: &'static str = "Model";
    const FROM: &'static str = "models";
    const COUNTED: bool = true;
    const COLUMNS: &'static str = "id, tenant_id, name, description, provider, model_url, model_name, \
        token_sealed IS NOT NULL, client_key_sealed IS NOT NULL, secret_key_sealed IS NOT NULL, input_price_usd_per_mtok, \
        output_price_usd_per_mtok, created_at, updated_at";
    const ID: &'static str = "id";
    const CREATED: &'static str = "created_at";
    const TENANT: Option<&'static str> = Some("tenant_id");
    const SORTS: &'static [Sort] = &[
        Sort { param: "createdAt", column: "created_at" },
        Sort { param: "updatedAt", column: "updated_at" },
        Sort { param: "name", column: "name" },
    ];
    const FILTERS: &'static [Filter] = &[Filter {
        param: "provider",
        column: "provider",
        kind: FilterKind::Enum(&["openai", "anthropic", "ollama", "custom"]),
    }];
    const SEARCH: &'static [&'static str] = &["name", "description", "model_name"];

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(Model {
            id: row.get(0)?,
            tenant_id: row.get(1)?,
            name: row.get(2)?,
            description: row.get(3)?,
            provider: ProviderKind::parse(&row.get::<_, String>(4)?),
            model_url: row.get(5)?,
            model_name: row.get(6)?,
            has_token: crate::db::flag(row.get(7)?),
            has_client_key: crate::db::flag(row.get(8)?),
            has_secret_key: crate::db::flag(row.get(9)?),
            input_price_usd_per_mtok: row.get(10)?,
            output_price_usd_per_mtok: row.get(11)?,
            created_at: row.get(12)?,
            updated_at: row.get(13)?,
        })
    }
}

/// Create a model.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateModel {
    /// USD per million input tokens (0 when unknown).
    #[serde(default)]
    pub input_price_usd_per_mtok: Option<f64>,
    /// USD per million output tokens.
    #[serde(default)]
    pub output_price_usd_per_mtok: Option<f64>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub provider: ProviderKind,
    pub model_url: String,
    pub model_name: String,
    /// API key or bearer token; write-only, stored encrypted.
    #[oai(write_only)]
    #[serde(default)]
    pub token: Option<String>,
    /// Client id for providers that use a key pair; write-only, stored encrypted.
    #[oai(write_only)]
    #[serde(default)]
    pub client_key: Option<String>,
    /// Client secret for providers that use a key pair; write-only, stored encrypted.
    #[oai(write_only)]
    #[serde(default)]
    pub secret_key: Option<String>,
    /// The tenant, as the original API sends it; must be this request's tenant.
    #[serde(default, alias = "tenantId")]
    pub organization_id: Option<String>,
}

/// Change a model; absent fields stay, a credential set to `null` is cleared.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateModel {
    /// USD per million input tokens (0 when unknown).
    #[serde(default)]
    pub input_price_usd_per_mtok: Option<f64>,
    /// USD per million output tokens.
    #[serde(default)]
    pub output_price_usd_per_mtok: Option<f64>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub provider: Option<ProviderKind>,
    #[serde(default)]
    pub model_url: Option<String>,
    #[serde(default)]
    pub model_name: Option<String>,
    #[oai(write_only)]
    #[serde(default)]
    pub token: MaybeUndefined<String>,
    #[oai(write_only)]
    #[serde(default)]
    pub client_key: MaybeUndefined<String>,
    #[oai(write_only)]
    #[serde(default)]
    pub secret_key: MaybeUndefined<String>,
    /// The tenant, as the original API sends it; must be this request's tenant.
    #[serde(default, alias = "tenantId")]
    pub organization_id: Option<String>,
}

/// The result of testing a model's endpoint and credential with a real request.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct ModelTest {
    /// The endpoint answered 2xx.
    pub ok: bool,
    /// The HTTP status, null when nothing answered.
    pub status: Option<u16>,
    pub latency_ms: u64,
    /// What went wrong, without any credential.
    pub error: Option<String>,
}

fn check_url(errors: &mut FieldErrors, url: &str) {
    if !llm::valid_url(url) {
        errors.add("modelUrl", "must be an absolute http(s) URL");
    }
}

fn check_prices(errors: &mut FieldErrors, input: Option<f64>, output: Option<f64>) {
    for (field, v) in [("inputPriceUsdPerMtok", input), ("outputPriceUsdPerMtok", output)] {
        if v.is_some_and(|p| !p.is_finite() || !(0.0..=1_000_000.0).contains(&p)) {
            errors.add(field, "must be between 0 and 1000000");
        }
    }
}

fn check_credential(errors: &mut FieldErrors, field: &str, value: Option<&str>) {
    match value {
        Some("") => errors.add(field, "must not be empty (use null to clear)"),
        Some(v) if v.len() > MAX_CREDENTIAL => errors.add(field, format!("must be at most {MAX_CREDENTIAL} bytes")),
        _ => {}
    }
}

fn audited<'a>(entry: Entry<'a>, m: &Model, changed: [bool; 3]) -> Entry<'a> {
    entry.secret("token", m.has_token, changed[0]).secret("clientKey", m.has_client_key, changed[1]).secret(
        "secretKey",
        m.has_secret_key,
        changed[2],
    )
}

pub struct ModelsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Models")]
impl ModelsApi {
    /// List models
    ///
    /// Filter `provider`; `search` matches name, description and model name.
    #[oai(path = "/models", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesRead>,
        q: ListParams<Model>,
    ) -> ApiResult<Listed<Model>> {
        state.db.page(Some(ctx.tenant_id), q.into_inner(), Extra::default()).await
    }

    /// Create a model
    #[oai(path = "/models", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesCreate>,
        body: JsonBody<CreateModel>,
    ) -> ApiResult<Created<Model>> {
        let b = body.0;
        ctx.check_named(b.organization_id.as_deref())?;
        let mut errors = FieldErrors::new();
        validate::name(&mut errors, "name", &b.name, 100);
        validate::text(&mut errors, "description", b.description.as_deref(), 2000);
        check_url(&mut errors, &b.model_url);
        validate::name(&mut errors, "modelName", &b.model_name, 200);
        check_prices(&mut errors, b.input_price_usd_per_mtok, b.output_price_usd_per_mtok);
        check_credential(&mut errors, "token", b.token.as_deref());
        check_credential(&mut errors, "clientKey", b.client_key.as_deref());
        check_credential(&mut errors, "secretKey", b.secret_key.as_deref());
        errors.finish()?;
        let (actor, tenant, key) = (ctx.actor(), ctx.tenant_id, state.master_key.clone());
        let model = state
            .db
            .write(move |tx| {
                let creds = [b.token.as_deref(), b.client_key.as_deref(), b.secret_key.as_deref()];
                let m = store::insert(
                    tx,
                    &key,
                    &tenant,
                    store::Fields {
                        name: Some(b.name.trim()),
                        description: b.description.as_deref(),
                        provider: Some(b.provider),
                        model_url: Some(b.model_url.trim()),
                        model_name: Some(b.model_name.trim()),
                        prices: (b.input_price_usd_per_mtok, b.output_price_usd_per_mtok),
                        credentials: creds.map(|c| c.map(Some)),
                    },
                )?;
                let entry = Entry::new(Some(&tenant), "model.created", "model", &m.id).after(&m);
                audit::store::record(tx, &actor, audited(entry, &m, creds.map(|c| c.is_some())))?;
                Ok(m)
            })
            .await?;
        Ok(Created::at(format!("/api/v1/models/{}", model.id), model))
    }

    /// Get a model
    #[oai(path = "/models/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesRead>,
        id: Path<String>,
    ) -> ApiResult<Json<Model>> {
        let id = path_id(&id, Model::NAME)?;
        Ok(Json(state.db.fetch::<Model>(Some(ctx.tenant_id), id).await?))
    }

    /// Update a model
    ///
    /// Partial: only the fields given change. A credential given as a string replaces the stored
    /// one; `null` clears it.
    #[oai(path = "/models/:id", method = "patch", method = "put")]
    async fn update(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesUpdate>,
        id: Path<String>,
        body: JsonBody<UpdateModel>,
    ) -> ApiResult<Json<Model>> {
        update_model(&state, ctx, &id, body.0).await
    }

    /// Delete a model
    #[oai(path = "/models/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesDelete>,
        id: Path<String>,
    ) -> ApiResult<Json<Deleted>> {
        let id = path_id(&id, Model::NAME)?;
        let (actor, tenant, id2) = (ctx.actor(), ctx.tenant_id, id.clone());
        state.db.write(move |tx| audit::delete_recorded::<Model>(tx, Some(&tenant), &id2, &actor, "model")).await?;
        Ok(Deleted::of(id))
    }

    /// Test a model's endpoint and credential
    ///
    /// Makes a real request (the provider's list of models) with the stored credential in the
    /// provider's wire format: OpenAI-compatible `Authorization: Bearer`, Anthropic `x-api-key`
    /// with `anthropic-version`, Ollama none. An unreachable endpoint is `ok: false`, not an error.
    #[oai(path = "/models/:id/test", method = "post")]
    async fn test(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesUpdate>,
        id: Path<String>,
    ) -> ApiResult<Json<ModelTest>> {
        let id = path_id(&id, Model::NAME)?;
        let (tenant, key) = (ctx.tenant_id, state.master_key.clone());
        let ep = state.db.read(move |c| store::endpoint(c, &key, &tenant, &id)).await?;
        let timeout = Duration::from_secs(state.config.llm.request_timeout_seconds.min(30));
        let credential = ep.token.as_deref();
        let probe = llm::probe(&state.http, ep.provider, &ep.model_url, credential, timeout).await;
        Ok(Json(ModelTest { ok: probe.ok, status: probe.status, latency_ms: probe.latency_ms, error: probe.error }))
    }
}

async fn update_model(
    state: &AppState,
    ctx: Tenant<perm::EntitiesUpdate>,
    raw_id: &str,
    b: UpdateModel,
) -> ApiResult<Json<Model>> {
    let id = path_id(raw_id, Model::NAME)?;
    ctx.check_named(b.organization_id.as_deref())?;
    let mut errors = FieldErrors::new();
    if let Some(n) = &b.name {
        validate::name(&mut errors, "name", n, 100);
    }
    validate::text(&mut errors, "description", b.description.as_deref(), 2000);
    if let Some(u) = &b.model_url {
        check_url(&mut errors, u);
    }
    if let Some(n) = &b.model_name {
        validate::name(&mut errors, "modelName", n, 200);
    }
    check_prices(&mut errors, b.input_price_usd_per_mtok, b.output_price_usd_per_mtok);
    check_credential(&mut errors, "token", b.token.value().map(String::as_str));
    check_credential(&mut errors, "clientKey", b.client_key.value().map(String::as_str));
    check_credential(&mut errors, "secretKey", b.secret_key.value().map(String::as_str));
    errors.finish()?;
    let (actor, tenant, key) = (ctx.actor(), ctx.tenant_id, state.master_key.clone());
    let model = state
        .db
        .write(move |tx| {
            let before = get::<Model>(tx, Scope::Tenant(&tenant), &id)?;
            let creds = [change(&b.token), change(&b.client_key), change(&b.secret_key)];
            let after = store::update(
                tx,
                &key,
                &tenant,
                &id,
                store::Fields {
                    name: b.name.as_deref().map(str::trim),
                    description: b.description.as_deref(),
                    provider: b.provider,
                    model_url: b.model_url.as_deref().map(str::trim),
                    model_name: b.model_name.as_deref().map(str::trim),
                    prices: (b.input_price_usd_per_mtok, b.output_price_usd_per_mtok),
                    credentials: creds,
                },
            )?;
            let entry = Entry::new(Some(&tenant), "model.updated", "model", &id).before(&before).after(&after);
            audit::store::record(tx, &actor, audited(entry, &after, creds.map(|c| c.is_some())))?;
            Ok(after)
        })
        .await?;
    Ok(Json(model))
}
