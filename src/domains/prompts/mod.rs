//! Prompts (`/prompts`, CRUD): `{modelId, title, content, outputFormat: text|json,
//! outputTemplate}`, each showing its model as `{id, name}`.

pub mod store;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object, OpenApi};
use rusqlite::Row;
use serde::Deserialize;

use crate::db::list::{Extra, Filter, FilterKind, Resource, Scope, Sort, get};
use crate::db::new_id;
use crate::domains::audit::{self, Entry};
use crate::http::auth::Tenant;
use crate::http::body::{JsonBody, change};
use crate::http::error::FieldErrors;
use crate::http::list::{ListParams, Listed};
use crate::http::perms::perm;
use crate::http::respond::{ApiResult, Created, Deleted, path_id};
use crate::http::tags::Tag;
use crate::http::validate;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    Text,
    Json,
}

impl OutputFormat {
    fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Text => "text",
            OutputFormat::Json => "json",
        }
    }
}

/// A model as other resources show it.
#[derive(Debug, Clone, Object)]
pub struct ModelRef {
    pub id: String,
    pub name: String,
}

/// A prompt.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct Prompt {
    pub id: String,
    pub tenant_id: String,
    pub model_id: Option<String>,
    pub model: Option<ModelRef>,
    pub title: String,
    pub content: String,
    /// `text` or `json`.
    pub output_format: String,
    pub output_template: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource for Prompt {
    const NAME: &'static str = "Prompt";
    const FROM: &'static str = "prompts p LEFT JOIN models m ON m.id = p.model_id";
    const COUNTED: bool = true;
    const TABLE: &'static str = "prompts";
    const COLUMNS: &'static str = "p.id, p.tenant_id, p.model_id, m.name, p.title, p.content, p.output_format, \
        p.output_template, p.created_at, p.updated_at";
    const ID: &'static str = "p.id";
    const CREATED: &'static str = "p.created_at";
    const TENANT: Option<&'static str> = Some("p.tenant_id");
    const SORTS: &'static [Sort] = &[
        Sort { param: "createdAt", column: "p.created_at" },
        Sort { param: "updatedAt", column: "p.updated_at" },
        Sort { param: "title", column: "p.title" },
    ];
    const FILTERS: &'static [Filter] = &[
        Filter { param: "modelId", column: "p.model_id", kind: FilterKind::Uuid },
        Filter { param: "outputFormat", column: "p.output_format", kind: FilterKind::Enum(&["text", "json"]) },
    ];
    const SEARCH: &'static [&'static str] = &["p.title", "p.content"];

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        let model_id: Option<String> = row.get(2)?;
        let model_name: Option<String> = row.get(3)?;
        Ok(Prompt {
            id: row.get(0)?,
            tenant_id: row.get(1)?,
            model: model_id.clone().zip(model_name).map(|(id, name)| ModelRef { id, name }),
            model_id,
            title: row.get(4)?,
            content: row.get(5)?,
            output_format: row.get(6)?,
            output_template: row.get(7)?,
            created_at: row.get(8)?,
            updated_at: row.get(9)?,
        })
    }
}

/// Create a prompt.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreatePrompt {
    #[serde(default)]
    pub model_id: Option<String>,
    pub title: String,
    pub content: String,
    #[serde(default)]
    pub output_format: Option<OutputFormat>,
    #[serde(default)]
    pub output_template: Option<String>,
    #[serde(default, alias = "tenantId")]
    pub organization_id: Option<String>,
}

/// Change a prompt; absent fields stay, `null` clears `modelId` or `outputTemplate`.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdatePrompt {
    #[serde(default)]
    pub model_id: MaybeUndefined<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub output_format: Option<OutputFormat>,
    #[serde(default)]
    pub output_template: MaybeUndefined<String>,
    #[serde(default, alias = "tenantId")]
    pub organization_id: Option<String>,
}

pub use store::require_model;

fn check(
    errors: &mut FieldErrors,
    title: Option<&str>,
    content: Option<&str>,
    model: Option<&str>,
    template: Option<&str>,
    format: Option<OutputFormat>,
) {
    if let Some(t) = title {
        validate::name(errors, "title", t, 200);
    }
    if let Some(c) = content {
        if c.trim().is_empty() {
            errors.add("content", "must not be empty");
        }
        validate::text(errors, "content", Some(c), 100_000);
    }
    if model.is_some_and(|m| uuid::Uuid::parse_str(m).is_err()) {
        errors.add("modelId", "must be a UUID");
    }
    validate::text(errors, "outputTemplate", template, 100_000);
    if format == Some(OutputFormat::Json)
        && template.is_some_and(|t| serde_json::from_str::<serde_json::Value>(t).is_err())
    {
        errors.add("outputTemplate", "must be JSON when outputFormat is json");
    }
}

pub struct PromptsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Workflows")]
impl PromptsApi {
    /// List prompts
    ///
    /// Filters `modelId`, `outputFormat`; `search` matches title and content.
    #[oai(path = "/prompts", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::PromptsRead>,
        q: ListParams<Prompt>,
    ) -> ApiResult<Listed<Prompt>> {
        state.db.page(Some(ctx.tenant_id), q.into_inner(), Extra::default()).await
    }

    /// Create a prompt
    #[oai(path = "/prompts", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::PromptsWrite>,
        body: JsonBody<CreatePrompt>,
    ) -> ApiResult<Created<Prompt>> {
        let b = body.0;
        ctx.check_named(b.organization_id.as_deref())?;
        let mut errors = FieldErrors::new();
        check(
            &mut errors,
            Some(&b.title),
            Some(&b.content),
            b.model_id.as_deref(),
            b.output_template.as_deref(),
            b.output_format,
        );
        errors.finish()?;
        let (actor, tenant) = (ctx.actor(), ctx.tenant_id);
        let p = state
            .db
            .write(move |tx| {
                let model = b.model_id.as_deref().map(str::to_lowercase);
                if let Some(m) = &model {
                    require_model(tx, &tenant, m)?;
                }
                let id = new_id();
                store::insert(
                    tx,
                    &id,
                    &tenant,
                    store::Fields {
                        model_id: model.as_deref(),
                        title: Some(b.title.trim()),
                        content: Some(&b.content),
                        output_format: b.output_format.map(OutputFormat::as_str),
                        output_template: b.output_template.as_deref(),
                    },
                )?;
                let p = get::<Prompt>(tx, Scope::Tenant(&tenant), &id)?;
                audit::store::record(tx, &actor, Entry::new(Some(&tenant), "prompt.created", "prompt", &id).after(&p))?;
                Ok(p)
            })
            .await?;
        Ok(Created::at(format!("/api/v1/prompts/{}", p.id), p))
    }

    /// Get a prompt
    #[oai(path = "/prompts/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::PromptsRead>,
        id: Path<String>,
    ) -> ApiResult<Json<Prompt>> {
        let id = path_id(&id, Prompt::NAME)?;
        Ok(Json(state.db.fetch::<Prompt>(Some(ctx.tenant_id), id).await?))
    }

    /// Update a prompt
    #[oai(path = "/prompts/:id", method = "patch", method = "put")]
    async fn update(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::PromptsWrite>,
        id: Path<String>,
        body: JsonBody<UpdatePrompt>,
    ) -> ApiResult<Json<Prompt>> {
        update_prompt(&state, ctx, &id, body.0).await
    }

    /// Delete a prompt
    #[oai(path = "/prompts/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::PromptsWrite>,
        id: Path<String>,
    ) -> ApiResult<Json<Deleted>> {
        let id = path_id(&id, Prompt::NAME)?;
        let (actor, tenant, id2) = (ctx.actor(), ctx.tenant_id, id.clone());
        state.db.write(move |tx| audit::delete_recorded::<Prompt>(tx, Some(&tenant), &id2, &actor, "prompt")).await?;
        Ok(Deleted::of(id))
    }
}

async fn update_prompt(
    state: &AppState,
    ctx: Tenant<perm::PromptsWrite>,
    raw_id: &str,
    b: UpdatePrompt,
) -> ApiResult<Json<Prompt>> {
    let id = path_id(raw_id, Prompt::NAME)?;
    ctx.check_named(b.organization_id.as_deref())?;
    let mut errors = FieldErrors::new();
    let template = b.output_template.value().map(String::as_str);
    check(
        &mut errors,
        b.title.as_deref(),
        b.content.as_deref(),
        b.model_id.value().map(String::as_str),
        template,
        b.output_format,
    );
    errors.finish()?;
    let (actor, tenant) = (ctx.actor(), ctx.tenant_id);
    let p = state
        .db
        .write(move |tx| {
            let before = get::<Prompt>(tx, Scope::Tenant(&tenant), &id)?;
            let model = change(&b.model_id).map(|m| m.map(str::to_lowercase));
            if let Some(Some(m)) = &model {
                require_model(tx, &tenant, m)?;
            }
            store::update(
                tx,
                &id,
                &tenant,
                store::Fields {
                    model_id: None,
                    title: b.title.as_deref().map(str::trim),
                    content: b.content.as_deref(),
                    output_format: b.output_format.map(OutputFormat::as_str),
                    output_template: None,
                },
            )?;
            if let Some(m) = model {
                store::set_model(tx, &id, m.as_deref())?;
            }
            if let Some(t) = change(&b.output_template) {
                store::set_template(tx, &id, t)?;
            }
            let after = get::<Prompt>(tx, Scope::Tenant(&tenant), &id)?;
            audit::store::record(
                tx,
                &actor,
                Entry::new(Some(&tenant), "prompt.updated", "prompt", &id).before(&before).after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(Json(p))
}
