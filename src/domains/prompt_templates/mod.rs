//! Prompt templates (`/prompt-templates`): CRUD where every update increments `version` and keeps
//! the previous state (`GET /{id}/versions`, `/versions/{n}`), `POST /{id}/execute` that renders
//! `{{variables}}` and calls the template's model, and `POST /{id}/analyze-sentiment`, offline.

pub mod execute;
pub mod sentiment;
pub mod store;

use std::collections::BTreeMap;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};
use rusqlite::Row;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::list::{Extra, Filter, FilterKind, Resource, Scope, Sort, get};
use crate::domains::audit::{self, Entry};
use crate::domains::prompts::ModelRef;
use crate::http::auth::Tenant;
use crate::http::body::{JsonBody, change};
use crate::http::error::FieldErrors;
use crate::http::list::{ListParams, Listed};
use crate::http::perms::perm;
use crate::http::respond::{ApiResult, Created, Deleted, path_id};
use crate::http::tags::Tag;
use crate::http::validate;
use crate::state::AppState;

/// A named set of values for the template's variables.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableSet {
    pub name: String,
    #[serde(default)]
    pub values: BTreeMap<String, Value>,
}

/// An environment as other resources show it.
#[derive(Debug, Clone, Object)]
pub struct EnvironmentRef {
    pub id: String,
    pub name: String,
}

/// A prompt template.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct PromptTemplate {
    pub id: String,
    pub tenant_id: String,
    pub environment_id: Option<String>,
    pub environment: Option<EnvironmentRef>,
    pub model_id: Option<String>,
    pub model: Option<ModelRef>,
    pub name: String,
    pub description: String,
    /// The prompt with `{{variable}}` placeholders.
    pub prompt_text: String,
    /// Declared variables: name → type (e.g. `string`).
    pub variables: BTreeMap<String, String>,
    pub variable_sets: Vec<VariableSet>,
    /// 1 at creation, +1 on every update.
    pub version: i64,
    /// Sentiment of the prompt text, from the last analysis.
    pub raw_sentiment_analysis: Option<Value>,
    /// Sentiment of the last execution's output, from the last analysis.
    pub result_sentiment_analysis: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource for PromptTemplate {
    const NAME: &'static str = "Prompt template";
    const FROM: &'static str = "prompt_templates p LEFT JOIN models m ON m.id = p.model_id \
        LEFT JOIN environments e ON e.id = p.environment_id";
    const COUNTED: bool = true;
    const TABLE: &'static str = "prompt_templates";
    const COLUMNS: &'static str = "p.id, p.tenant_id, p.environment_id, e.name, p.model_id, m.name, p.name, p.description, \
        p.prompt_text, p.variables, p.variable_sets, p.version, p.raw_sentiment, p.result_sentiment, p.created_at, p.updated_at";
    const ID: &'static str = "p.id";
    const CREATED: &'static str = "p.created_at";
    const TENANT: Option<&'static str> = Some("p.tenant_id");
    const SORTS: &'static [Sort] = &[
        Sort { param: "createdAt", column: "p.created_at" },
        Sort { param: "updatedAt", column: "p.updated_at" },
        Sort { param: "name", column: "p.name" },
        Sort { param: "version", column: "p.version" },
    ];
    const FILTERS: &'static [Filter] = &[
        Filter { param: "environmentId", column: "p.environment_id", kind: FilterKind::Uuid },
        Filter { param: "modelId", column: "p.model_id", kind: FilterKind::Uuid },
    ];
    const SEARCH: &'static [&'static str] = &["p.name", "p.description"];

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        let json = |i: usize| -> rusqlite::Result<Option<Value>> {
            Ok(row.get::<_, Option<String>>(i)?.and_then(|s| serde_json::from_str(&s).ok()))
        };
        let env_id: Option<String> = row.get(2)?;
        let model_id: Option<String> = row.get(4)?;
        Ok(PromptTemplate {
            id: row.get(0)?,
            tenant_id: row.get(1)?,
            environment: env_id
                .clone()
                .zip(row.get::<_, Option<String>>(3)?)
                .map(|(id, name)| EnvironmentRef { id, name }),
            environment_id: env_id,
            model: model_id.clone().zip(row.get::<_, Option<String>>(5)?).map(|(id, name)| ModelRef { id, name }),
            model_id,
            name: row.get(6)?,
            description: row.get(7)?,
            prompt_text: row.get(8)?,
            variables: serde_json::from_str(&row.get::<_, String>(9)?).unwrap_or_default(),
            variable_sets: serde_json::from_str(&row.get::<_, String>(10)?).unwrap_or_default(),
            version: row.get(11)?,
            raw_sentiment_analysis: json(12)?,
            result_sentiment_analysis: json(13)?,
            created_at: row.get(14)?,
            updated_at: row.get(15)?,
        })
    }
}

/// A previous state of a template.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct TemplateVersion {
    pub template_id: String,
    pub version: i64,
    /// The whole template as it was at this version.
    pub snapshot: Value,
    /// When this version was replaced.
    pub created_at: String,
    pub updated_at: String,
    pub id: String,
}

impl Resource for TemplateVersion {
    const NAME: &'static str = "Version";
    const FROM: &'static str = "prompt_template_versions";
    const COLUMNS: &'static str = "id, template_id, version, snapshot, created_at, updated_at";
    const ID: &'static str = "id";
    const CREATED: &'static str = "created_at";
    const TENANT: Option<&'static str> = Some("tenant_id");
    const SORTS: &'static [Sort] =
        &[Sort { param: "createdAt", column: "created_at" }, Sort { param: "version", column: "version" }];
    const FILTERS: &'static [Filter] = &[];
    const SEARCH: &'static [&'static str] = &[];
    const DEFAULT_SORT: &'static str = "-version";

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(TemplateVersion {
            id: row.get(0)?,
            template_id: row.get(1)?,
            version: row.get(2)?,
            snapshot: serde_json::from_str(&row.get::<_, String>(3)?).unwrap_or_default(),
            created_at: row.get(4)?,
            updated_at: row.get(5)?,
        })
    }
}

/// Create a prompt template.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTemplate {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub prompt_text: String,
    #[serde(default)]
    pub model_id: Option<String>,
    #[serde(default)]
    pub environment_id: Option<String>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub variable_sets: Vec<VariableSet>,
    #[serde(default, alias = "tenantId")]
    pub organization_id: Option<String>,
}

/// Change a template (a new version); absent fields stay, `null` clears `modelId`/`environmentId`.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateTemplate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub prompt_text: Option<String>,
    #[serde(default)]
    pub model_id: MaybeUndefined<String>,
    #[serde(default)]
    pub environment_id: MaybeUndefined<String>,
    #[serde(default)]
    pub variables: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub variable_sets: Option<Vec<VariableSet>>,
    #[serde(default, alias = "tenantId")]
    pub organization_id: Option<String>,
}

/// Both analyses.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct SentimentResult {
    /// `{label, score, positive, negative, neutral}` of the prompt text.
    pub raw_sentiment_analysis: Value,
    /// The same for the last execution's output; null before the first execution.
    pub result_sentiment_analysis: Option<Value>,
}

fn check(errors: &mut FieldErrors, t: &UpdateTemplate) {
    if let Some(n) = &t.name {
        validate::name(errors, "name", n, 200);
    }
    validate::text(errors, "description", t.description.as_deref(), 2000);
    if let Some(p) = &t.prompt_text {
        if p.trim().is_empty() {
            errors.add("promptText", "must not be empty");
        }
        validate::text(errors, "promptText", Some(p), 200_000);
    }
    for (field, v) in [("modelId", t.model_id.value()), ("environmentId", t.environment_id.value())] {
        if v.is_some_and(|id| uuid::Uuid::parse_str(id).is_err()) {
            errors.add(field, "must be a UUID");
        }
    }
    if let Some(sets) = &t.variable_sets {
        for (i, s) in sets.iter().enumerate() {
            validate::name(errors, &format!("variableSets[{i}].name"), &s.name, 100);
            if sets[..i].iter().any(|o| o.name == s.name) {
                errors.add(&format!("variableSets[{i}].name"), "appears twice");
            }
        }
    }
}

fn as_update(c: CreateTemplate) -> UpdateTemplate {
    let opt = |v: Option<String>| v.map_or(MaybeUndefined::Undefined, MaybeUndefined::Value);
    UpdateTemplate {
        name: Some(c.name),
        description: c.description,
        prompt_text: Some(c.prompt_text),
        model_id: opt(c.model_id),
        environment_id: opt(c.environment_id),
        variables: Some(c.variables),
        variable_sets: Some(c.variable_sets),
        organization_id: c.organization_id,
    }
}

/// Checks the ids a template refers to and turns the body into store fields.
fn fields<'a>(
    tx: &rusqlite::Connection,
    tenant: &str,
    b: &'a UpdateTemplate,
) -> Result<store::Fields<'a>, crate::http::error::ApiError> {
    let model = change(&b.model_id);
    let env = change(&b.environment_id);
    if let Some(Some(m)) = model {
        store::require_own(tx, "models", "modelId", tenant, m)?;
    }
    if let Some(Some(e)) = env {
        store::require_own(tx, "environments", "environmentId", tenant, e)?;
    }
    Ok(store::Fields {
        environment_id: env,
        model_id: model,
        name: b.name.as_deref().map(str::trim),
        description: b.description.as_deref(),
        prompt_text: b.prompt_text.as_deref(),
        variables: b.variables.as_ref().map(|v| serde_json::to_string(v).unwrap_or_default()),
        variable_sets: b.variable_sets.as_deref(),
    })
}

pub struct PromptTemplatesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Workflows")]
impl PromptTemplatesApi {
    /// List prompt templates
    #[oai(path = "/prompt-templates", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesRead>,
        q: ListParams<PromptTemplate>,
    ) -> ApiResult<Listed<PromptTemplate>> {
        state.db.page(Some(ctx.tenant_id), q.into_inner(), Extra::default()).await
    }

    /// Create a prompt template (version 1)
    #[oai(path = "/prompt-templates", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesCreate>,
        body: JsonBody<CreateTemplate>,
    ) -> ApiResult<Created<PromptTemplate>> {
        let b = as_update(body.0);
        ctx.check_named(b.organization_id.as_deref())?;
        let mut errors = FieldErrors::new();
        check(&mut errors, &b);
        errors.finish()?;
        let (actor, tenant) = (ctx.actor(), ctx.tenant_id);
        let t = state
            .db
            .write(move |tx| {
                let t = store::insert(tx, &tenant, fields(tx, &tenant, &b)?)?;
                audit::store::record(
                    tx,
                    &actor,
                    Entry::new(Some(&tenant), "prompt_template.created", "prompt_template", &t.id).after(&t),
                )?;
                Ok(t)
            })
            .await?;
        Ok(Created::at(format!("/api/v1/prompt-templates/{}", t.id), t))
    }

    /// Get a prompt template
    #[oai(path = "/prompt-templates/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesRead>,
        id: Path<String>,
    ) -> ApiResult<Json<PromptTemplate>> {
        let id = path_id(&id, PromptTemplate::NAME)?;
        Ok(Json(state.db.fetch::<PromptTemplate>(Some(ctx.tenant_id), id).await?))
    }

    /// Update a prompt template
    ///
    /// Saves the current state as a version and increments `version`.
    #[oai(path = "/prompt-templates/:id", method = "patch", method = "put")]
    async fn update(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesUpdate>,
        id: Path<String>,
        body: JsonBody<UpdateTemplate>,
    ) -> ApiResult<Json<PromptTemplate>> {
        update_template(&state, ctx, &id, body.0).await
    }

    /// Delete a prompt template (and its versions)
    #[oai(path = "/prompt-templates/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesDelete>,
        id: Path<String>,
    ) -> ApiResult<Json<Deleted>> {
        let id = path_id(&id, PromptTemplate::NAME)?;
        let (actor, tenant, id2) = (ctx.actor(), ctx.tenant_id, id.clone());
        state
            .db
            .write(move |tx| {
                audit::delete_recorded::<PromptTemplate>(tx, Some(&tenant), &id2, &actor, "prompt_template")
            })
            .await?;
        Ok(Deleted::of(id))
    }

    /// List a template's previous versions
    #[oai(path = "/prompt-templates/:id/versions", method = "get")]
    async fn versions(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesRead>,
        id: Path<String>,
        q: ListParams<TemplateVersion>,
    ) -> ApiResult<Listed<TemplateVersion>> {
        let id = path_id(&id, PromptTemplate::NAME)?;
        let (q, tenant) = (q.into_inner(), ctx.tenant_id);
        state
            .db
            .read(move |c| {
                get::<PromptTemplate>(c, Scope::Tenant(&tenant), &id)?;
                let extra = Extra::default().and("template_id = ?", [rusqlite::types::Value::Text(id)]);
                crate::db::list::list::<TemplateVersion>(c, Scope::Tenant(&tenant), &q, extra)
                    .map(|p| Listed::new(&q, p))
            })
            .await
    }

    /// Get a template as it was at version `n`
    #[oai(path = "/prompt-templates/:id/versions/:n", method = "get")]
    async fn version(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesRead>,
        id: Path<String>,
        n: Path<i64>,
    ) -> ApiResult<Json<Value>> {
        let id = path_id(&id, PromptTemplate::NAME)?;
        let (tenant, n) = (ctx.tenant_id, n.0);
        Ok(Json(state.db.read(move |c| store::version(c, &tenant, &id, n)).await?))
    }

    /// Execute a template with its model
    ///
    /// Renders `{{variables}}` from `variableSetName` and/or `values` (values win; missing ones are
    /// a 400 listing them) and calls the model in its provider's wire format. The call is recorded
    /// with its tokens, cost and duration and debited from the tenant's credits. A provider error
    /// is 502 and a timeout 504, with the provider's status in `details`. `dryRun` only renders.
    #[oai(path = "/prompt-templates/:id/execute", method = "post")]
    async fn execute(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::PromptsWrite>,
        id: Path<String>,
        body: JsonBody<execute::ExecuteRequest>,
    ) -> ApiResult<Json<execute::Execution>> {
        let id = path_id(&id, PromptTemplate::NAME)?;
        execute::run(&state, ctx.tenant_id, id, body.0).await.map(Json)
    }

    /// Analyse the sentiment of the prompt and of the last output, offline
    #[oai(path = "/prompt-templates/:id/analyze-sentiment", method = "post")]
    async fn analyze(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesRead>,
        id: Path<String>,
    ) -> ApiResult<Json<SentimentResult>> {
        let id = path_id(&id, PromptTemplate::NAME)?;
        let tenant = ctx.tenant_id;
        let out = state
            .db
            .write(move |tx| {
                let t = get::<PromptTemplate>(tx, Scope::Tenant(&tenant), &id)?;
                let raw = serde_json::to_value(sentiment::analyze(&t.prompt_text)).unwrap_or_default();
                let result = store::last_output(tx, &id)?
                    .map(|o| serde_json::to_value(sentiment::analyze(&o)).unwrap_or_default());
                store::set_sentiment(tx, &id, &raw.to_string(), result.as_ref().map(Value::to_string).as_deref())?;
                Ok(SentimentResult { raw_sentiment_analysis: raw, result_sentiment_analysis: result })
            })
            .await?;
        Ok(Json(out))
    }
}

async fn update_template(
    state: &AppState,
    ctx: Tenant<perm::EntitiesUpdate>,
    raw_id: &str,
    b: UpdateTemplate,
) -> ApiResult<Json<PromptTemplate>> {
    let id = path_id(raw_id, PromptTemplate::NAME)?;
    ctx.check_named(b.organization_id.as_deref())?;
    let mut errors = FieldErrors::new();
    check(&mut errors, &b);
    errors.finish()?;
    let (actor, tenant) = (ctx.actor(), ctx.tenant_id);
    let t = state
        .db
        .write(move |tx| {
            let before = get::<PromptTemplate>(tx, Scope::Tenant(&tenant), &id)?;
            let after = store::update(tx, &tenant, &before, fields(tx, &tenant, &b)?)?;
            audit::store::record(
                tx,
                &actor,
                Entry::new(Some(&tenant), "prompt_template.updated", "prompt_template", &id)
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(Json(t))
}
