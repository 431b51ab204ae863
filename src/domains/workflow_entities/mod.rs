//! Workflow entities (`/workflow-entities`, CRUD, `GET /{id}/usage-count`, `POST /{id}/evaluate`):
//! a typed step with an optional condition tree (validated; see `condition.rs`), a script, a
//! true/false condition and arguments with `{{message.x}}` placeholders. An entity a workflow uses
//! cannot be deleted (409 `entity_in_use`).

pub mod condition;
pub mod store;

use std::collections::HashSet;

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
use crate::http::auth::Tenant;
use crate::http::body::{JsonBody, change};
use crate::http::error::{ApiError, Code, FieldErrors};
use crate::http::list::{ListParams, Listed};
use crate::http::perms::perm;
use crate::http::respond::{ApiResult, Created, Deleted, path_id};
use crate::http::tags::Tag;
use crate::http::validate;
use crate::state::AppState;

/// A named argument; `argumentValue` may hold `{{message.x}}` placeholders.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Argument {
    pub argument_name: String,
    #[serde(default)]
    pub argument_value: String,
    #[serde(default)]
    pub argument_description: String,
}

/// The type of an entity, as entities show it.
#[derive(Debug, Clone, Object)]
pub struct TypeRef {
    pub id: String,
    pub name: String,
}

/// A workflow entity.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct WorkflowEntity {
    pub id: String,
    pub tenant_id: String,
    pub workflow_entity_type_id: String,
    pub entity_type: TypeRef,
    pub name: String,
    pub description: String,
    /// The condition tree: groups `{type: "group", operator, conditions}` and rules
    /// `{type: "rule", field, comparison, value}`.
    pub condition: Option<Value>,
    pub script: Option<String>,
    pub tf_condition: Option<String>,
    pub arguments: Vec<Argument>,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource for WorkflowEntity {
    const NAME: &'static str = "Workflow entity";
    const FROM: &'static str = "workflow_entities e JOIN workflow_entity_types t ON t.id = e.entity_type_id";
    const COUNTED: bool = true;
    const TABLE: &'static str = "workflow_entities";
    const COLUMNS: &'static str = "e.id, e.tenant_id, e.entity_type_id, t.name, e.name, e.description, e.condition_json, \
        e.script, e.tf_condition, e.arguments_json, e.created_at, e.updated_at";
    const ID: &'static str = "e.id";
    const CREATED: &'static str = "e.created_at";
    const TENANT: Option<&'static str> = Some("e.tenant_id");
    const SORTS: &'static [Sort] = &[
        Sort { param: "createdAt", column: "e.created_at" },
        Sort { param: "updatedAt", column: "e.updated_at" },
        Sort { param: "name", column: "e.name" },
    ];
    const FILTERS: &'static [Filter] =
        &[Filter { param: "workflowEntityTypeId", column: "e.entity_type_id", kind: FilterKind::Uuid }];
    const SEARCH: &'static [&'static str] = &["e.name", "e.description"];

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        let type_id: String = row.get(2)?;
        Ok(WorkflowEntity {
            id: row.get(0)?,
            tenant_id: row.get(1)?,
            entity_type: TypeRef { id: type_id.clone(), name: row.get(3)? },
            workflow_entity_type_id: type_id,
            name: row.get(4)?,
            description: row.get(5)?,
            condition: row.get::<_, Option<String>>(6)?.and_then(|c| serde_json::from_str(&c).ok()),
            script: row.get(7)?,
            tf_condition: row.get(8)?,
            arguments: serde_json::from_str(&row.get::<_, String>(9)?).unwrap_or_default(),
            created_at: row.get(10)?,
            updated_at: row.get(11)?,
        })
    }
}

/// Create a workflow entity.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateEntity {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub workflow_entity_type_id: String,
    #[serde(default)]
    pub condition: Option<Value>,
    #[serde(default)]
    pub script: Option<String>,
    #[serde(default)]
    pub tf_condition: Option<String>,
    #[serde(default)]
    pub arguments: Vec<Argument>,
    /// The tenant, as the original API sends it; must be this request's tenant.
    #[serde(default, alias = "tenantId")]
    pub organization_id: Option<String>,
}

/// Change a workflow entity; absent fields stay, `null` clears `condition`, `script`, `tfCondition`.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateEntity {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub workflow_entity_type_id: Option<String>,
    #[serde(default)]
    pub condition: MaybeUndefined<Value>,
    #[serde(default)]
    pub script: MaybeUndefined<String>,
    #[serde(default)]
    pub tf_condition: MaybeUndefined<String>,
    #[serde(default)]
    pub arguments: Option<Vec<Argument>>,
    #[serde(default, alias = "tenantId")]
    pub organization_id: Option<String>,
}

/// How many workflows use an entity, and which.
#[derive(Debug, Object)]
pub struct UsageCount {
    pub count: i64,
    pub workflows: Vec<WorkflowRef>,
}

#[derive(Debug, Clone, Object)]
pub struct WorkflowRef {
    pub id: String,
    pub name: String,
}

/// A sample message to evaluate an entity against.
#[derive(Debug, Object, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluateRequest {
    pub message: Value,
}

/// An argument with its placeholders filled from the message.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct ResolvedArgument {
    pub argument_name: String,
    pub value: String,
    /// Placeholders the message had no value for (left as written).
    pub unresolved: Vec<String>,
}

/// What an entity makes of a message.
#[derive(Debug, Object)]
pub struct EvaluateResult {
    /// The condition's verdict; true when the entity has no condition.
    pub result: bool,
    pub arguments: Vec<ResolvedArgument>,
    /// Each rule, with the value it found and whether it passed.
    pub trace: Vec<Value>,
}

/// Validates a condition tree, returning its canonical JSON.
fn check_condition(errors: &mut FieldErrors, value: &Value) -> Option<String> {
    match condition::parse(value, "condition") {
        Ok(c) => serde_json::to_string(&c).ok(),
        Err(problems) => {
            for (path, problem) in problems {
                errors.add(&path, problem);
            }
            None
        }
    }
}

fn check_arguments(errors: &mut FieldErrors, args: &[Argument]) {
    let mut seen = HashSet::new();
    for (i, a) in args.iter().enumerate() {
        let field = format!("arguments[{i}].argumentName");
        let n = a.argument_name.trim();
        if n.is_empty()
            || n.len() > 100
            || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
        {
            errors.add(&field, "must be 1-100 letters, digits, _, . or -");
        } else if !seen.insert(n.to_string()) {
            errors.add(&field, "appears twice");
        }
        validate::text(errors, &format!("arguments[{i}].argumentValue"), Some(&a.argument_value), 10_000);
        validate::text(errors, &format!("arguments[{i}].argumentDescription"), Some(&a.argument_description), 2000);
    }
    if args.len() > 100 {
        errors.add("arguments", "at most 100 arguments");
    }
}

pub struct WorkflowEntitiesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Workflows")]
impl WorkflowEntitiesApi {
    /// List workflow entities
    ///
    /// Filter `workflowEntityTypeId`; `search` matches name and description.
    #[oai(path = "/workflow-entities", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesRead>,
        q: ListParams<WorkflowEntity>,
    ) -> ApiResult<Listed<WorkflowEntity>> {
        state.db.page(Some(ctx.tenant_id), q.into_inner(), Extra::default()).await
    }

    /// Create a workflow entity
    ///
    /// The condition tree is validated: known operators and comparisons, a field on every rule,
    /// a value where the comparison needs one, bounded regexes, depth at most 10. Errors name
    /// the path, e.g. `condition.conditions[0].comparison`.
    #[oai(path = "/workflow-entities", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesCreate>,
        body: JsonBody<CreateEntity>,
    ) -> ApiResult<Created<WorkflowEntity>> {
        let b = body.0;
        ctx.check_named(b.organization_id.as_deref())?;
        let mut errors = FieldErrors::new();
        validate::name(&mut errors, "name", &b.name, 200);
        validate::text(&mut errors, "description", b.description.as_deref(), 2000);
        if uuid::Uuid::parse_str(&b.workflow_entity_type_id).is_err() {
            errors.add("workflowEntityTypeId", "must be a UUID");
        }
        let condition = b.condition.as_ref().filter(|c| !c.is_null()).and_then(|c| check_condition(&mut errors, c));
        validate::text(&mut errors, "script", b.script.as_deref(), 100_000);
        validate::text(&mut errors, "tfCondition", b.tf_condition.as_deref(), 2000);
        check_arguments(&mut errors, &b.arguments);
        errors.finish()?;
        let (actor, tenant) = (ctx.actor(), ctx.tenant_id);
        let e = state
            .db
            .write(move |tx| {
                let e = store::insert(
                    tx,
                    &tenant,
                    store::Fields {
                        entity_type_id: Some(&b.workflow_entity_type_id.to_lowercase()),
                        name: Some(b.name.trim()),
                        description: b.description.as_deref(),
                        condition: Some(condition),
                        script: Some(b.script.as_deref()),
                        tf_condition: Some(b.tf_condition.as_deref()),
                        arguments: Some(&b.arguments),
                    },
                )?;
                audit::store::record(
                    tx,
                    &actor,
                    Entry::new(Some(&tenant), "workflow_entity.created", "workflow_entity", &e.id).after(&e),
                )?;
                Ok(e)
            })
            .await?;
        Ok(Created::at(format!("/api/v1/workflow-entities/{}", e.id), e))
    }

    /// Get a workflow entity
    #[oai(path = "/workflow-entities/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesRead>,
        id: Path<String>,
    ) -> ApiResult<Json<WorkflowEntity>> {
        let id = path_id(&id, WorkflowEntity::NAME)?;
        Ok(Json(state.db.fetch::<WorkflowEntity>(Some(ctx.tenant_id), id).await?))
    }

    /// Update a workflow entity
    #[oai(path = "/workflow-entities/:id", method = "patch", method = "put")]
    async fn update(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesUpdate>,
        id: Path<String>,
        body: JsonBody<UpdateEntity>,
    ) -> ApiResult<Json<WorkflowEntity>> {
        update_entity(&state, ctx, &id, body.0).await
    }

    /// Delete a workflow entity
    ///
    /// 409 `entity_in_use` while a workflow uses it.
    #[oai(path = "/workflow-entities/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesDelete>,
        id: Path<String>,
    ) -> ApiResult<Json<Deleted>> {
        let id = path_id(&id, WorkflowEntity::NAME)?;
        let (actor, tenant, id2) = (ctx.actor(), ctx.tenant_id, id.clone());
        state
            .db
            .write(move |tx| {
                get::<WorkflowEntity>(tx, Scope::Tenant(&tenant), &id2)?;
                let users = store::usage(tx, &tenant, &id2)?;
                if !users.is_empty() {
                    let names: Vec<&str> = users.iter().map(|w| w.name.as_str()).collect();
                    return Err(ApiError::new(Code::EntityInUse, format!("Used by {} workflow(s): {}", users.len(), names.join(", ")))
                        .with_details(serde_json::json!({ "workflows": users.iter().map(|w| serde_json::json!({"id": w.id, "name": w.name})).collect::<Vec<_>>() })));
                }
                audit::delete_recorded::<WorkflowEntity>(tx, Some(&tenant), &id2, &actor, "workflow_entity")
            })
            .await?;
        Ok(Deleted::of(id))
    }

    /// Count the workflows that use an entity
    #[oai(path = "/workflow-entities/:id/usage-count", method = "get")]
    async fn usage_count(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesRead>,
        id: Path<String>,
    ) -> ApiResult<Json<UsageCount>> {
        let id = path_id(&id, WorkflowEntity::NAME)?;
        let tenant = ctx.tenant_id;
        let workflows = state
            .db
            .read(move |c| {
                get::<WorkflowEntity>(c, Scope::Tenant(&tenant), &id)?;
                store::usage(c, &tenant, &id)
            })
            .await?;
        Ok(Json(UsageCount { count: workflows.len() as i64, workflows }))
    }

    /// Evaluate an entity against a sample message
    ///
    /// Runs the condition tree and fills the arguments' `{{message.x}}` placeholders; the trace
    /// shows each rule's value and verdict.
    #[oai(path = "/workflow-entities/:id/evaluate", method = "post")]
    async fn evaluate(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesRead>,
        id: Path<String>,
        body: JsonBody<EvaluateRequest>,
    ) -> ApiResult<Json<EvaluateResult>> {
        let id = path_id(&id, WorkflowEntity::NAME)?;
        let e = state.db.fetch::<WorkflowEntity>(Some(ctx.tenant_id), id).await?;
        let message = body.0.message;
        let (result, trace) = match e.condition.as_ref().map(|c| condition::parse(c, "condition")) {
            Some(Ok(c)) => {
                let ev = condition::evaluate(&c, &message);
                (ev.result, ev.trace.iter().filter_map(|t| serde_json::to_value(t).ok()).collect())
            }
            Some(Err(_)) => return Err(ApiError::internal("a stored condition no longer parses")),
            None => (true, Vec::new()),
        };
        let arguments = e
            .arguments
            .iter()
            .map(|a| {
                let (value, unresolved) = condition::render(&a.argument_value, &message);
                ResolvedArgument { argument_name: a.argument_name.clone(), value, unresolved }
            })
            .collect();
        Ok(Json(EvaluateResult { result, arguments, trace }))
    }
}

async fn update_entity(
    state: &AppState,
    ctx: Tenant<perm::EntitiesUpdate>,
    raw_id: &str,
    b: UpdateEntity,
) -> ApiResult<Json<WorkflowEntity>> {
    let id = path_id(raw_id, WorkflowEntity::NAME)?;
    ctx.check_named(b.organization_id.as_deref())?;
    let mut errors = FieldErrors::new();
    if let Some(n) = &b.name {
        validate::name(&mut errors, "name", n, 200);
    }
    validate::text(&mut errors, "description", b.description.as_deref(), 2000);
    if b.workflow_entity_type_id.as_deref().is_some_and(|t| uuid::Uuid::parse_str(t).is_err()) {
        errors.add("workflowEntityTypeId", "must be a UUID");
    }
    let condition = match &b.condition {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(check_condition(&mut errors, v)),
    };
    validate::text(&mut errors, "script", b.script.value().map(String::as_str), 100_000);
    validate::text(&mut errors, "tfCondition", b.tf_condition.value().map(String::as_str), 2000);
    if let Some(a) = &b.arguments {
        check_arguments(&mut errors, a);
    }
    errors.finish()?;
    let (actor, tenant) = (ctx.actor(), ctx.tenant_id);
    let e = state
        .db
        .write(move |tx| {
            let before = get::<WorkflowEntity>(tx, Scope::Tenant(&tenant), &id)?;
            let type_id = b.workflow_entity_type_id.as_deref().map(str::to_lowercase);
            let after = store::update(
                tx,
                &tenant,
                &id,
                store::Fields {
                    entity_type_id: type_id.as_deref(),
                    name: b.name.as_deref().map(str::trim),
                    description: b.description.as_deref(),
                    condition,
                    script: change(&b.script),
                    tf_condition: change(&b.tf_condition),
                    arguments: b.arguments.as_deref(),
                },
            )?;
            audit::store::record(
                tx,
                &actor,
                Entry::new(Some(&tenant), "workflow_entity.updated", "workflow_entity", &id)
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(Json(e))
}
