//! Workflows (`/workflows`, CRUD): `{environmentId, name, description, workflowData: {root}}`,
//! a tree of nodes `{name, entityId, entityType, presentation, children}`. Every `entityId` must
//! be an entity of the tenant; the references are recorded for usage counts.

pub mod store;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rusqlite::{Connection, Row};
use serde::Deserialize;
use serde_json::Value;

use crate::db::list::{Extra, Filter, FilterKind, Resource, Scope, Sort, get};
use crate::db::new_id;
use crate::domains::audit::{self, Entry};
use crate::domains::variables::store::require_environment;
use crate::domains::workflow_entities::store as entities;
use crate::http::auth::Tenant;
use crate::http::body::JsonBody;
use crate::http::error::{ApiError, FieldErrors};
use crate::http::list::{ListParams, Listed};
use crate::http::perms::perm;
use crate::http::respond::{ApiResult, Created, Deleted, path_id};
use crate::http::tags::Tag;
use crate::http::validate;
use crate::state::AppState;

/// Most nodes one workflow may have.
pub const MAX_NODES: usize = 1000;
const MAX_DEPTH: usize = 64;

/// A workflow.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct Workflow {
    pub id: String,
    pub tenant_id: String,
    pub environment_id: String,
    pub name: String,
    pub description: String,
    /// `{root: node}`; node: `{name, entityId, entityType, presentation, children}`.
    pub workflow_data: Value,
    pub node_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource for Workflow {
    const NAME: &'static str = "Workflow";
    const FROM: &'static str = "workflows";
    const COUNTED: bool = true;
    const COLUMNS: &'static str =
        "id, tenant_id, environment_id, name, description, workflow_data, node_count, created_at, updated_at";
    const ID: &'static str = "id";
    const CREATED: &'static str = "created_at";
    const TENANT: Option<&'static str> = Some("tenant_id");
    const SORTS: &'static [Sort] = &[
        Sort { param: "createdAt", column: "created_at" },
        Sort { param: "updatedAt", column: "updated_at" },
        Sort { param: "name", column: "name" },
    ];
    const FILTERS: &'static [Filter] =
        &[Filter { param: "environmentId", column: "environment_id", kind: FilterKind::Uuid }];
    const SEARCH: &'static [&'static str] = &["name", "description"];

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(Workflow {
            id: row.get(0)?,
            tenant_id: row.get(1)?,
            environment_id: row.get(2)?,
            name: row.get(3)?,
            description: row.get(4)?,
            workflow_data: serde_json::from_str(&row.get::<_, String>(5)?).unwrap_or_default(),
            node_count: row.get(6)?,
            created_at: row.get(7)?,
            updated_at: row.get(8)?,
        })
    }
}

/// Create a workflow.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateWorkflow {
    pub environment_id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub workflow_data: Value,
    #[serde(default, alias = "tenantId")]
    pub organization_id: Option<String>,
}

/// Change a workflow; absent fields stay.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateWorkflow {
    #[serde(default)]
    pub environment_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub workflow_data: Option<Value>,
    #[serde(default, alias = "tenantId")]
    pub organization_id: Option<String>,
}

/// The shape of a workflow tree: its nodes' entity references (with their paths) and count.
struct Tree {
    refs: Vec<(String, String)>,
    nodes: usize,
}

/// Checks the tree's shape, collecting problems by path.
fn walk(errors: &mut FieldErrors, data: &Value) -> Tree {
    let mut tree = Tree { refs: Vec::new(), nodes: 0 };
    let Some(root) = data.get("root") else {
        errors.add("workflowData.root", "is required");
        return tree;
    };
    if data.as_object().is_some_and(|o| o.len() > 1) {
        errors.add("workflowData", "may only hold `root`");
    }
    let mut stack = vec![(root, "workflowData.root".to_string(), 1usize)];
    while let Some((node, path, depth)) = stack.pop() {
        tree.nodes += 1;
        if tree.nodes > MAX_NODES {
            errors.add("workflowData", format!("at most {MAX_NODES} nodes"));
            break;
        }
        if depth > MAX_DEPTH {
            errors.add(&path, format!("nested deeper than {MAX_DEPTH}"));
            continue;
        }
        let Some(obj) = node.as_object() else {
            errors.add(&path, "must be an object");
            continue;
        };
        for key in obj.keys() {
            if !matches!(key.as_str(), "name" | "entityId" | "entityType" | "presentation" | "children") {
                errors.add(&format!("{path}.{key}"), "unknown field");
            }
        }
        if !obj.get("name").is_none_or(Value::is_string) {
            errors.add(&format!("{path}.name"), "must be a string");
        }
        match obj.get("entityId").and_then(Value::as_str) {
            Some(id) if uuid::Uuid::parse_str(id).is_ok() => {
                tree.refs.push((format!("{path}.entityId"), id.to_lowercase()))
            }
            _ => errors.add(&format!("{path}.entityId"), "must be a workflow entity's id"),
        }
        if !obj.get("entityType").is_none_or(Value::is_string) {
            errors.add(&format!("{path}.entityType"), "must be a string");
        }
        if !obj.get("presentation").is_none_or(|p| p.is_object() || p.is_null()) {
            errors.add(&format!("{path}.presentation"), "must be an object");
        }
        match obj.get("children") {
            None | Some(Value::Null) => {}
            Some(Value::Array(children)) => {
                for (i, c) in children.iter().enumerate().rev() {
                    stack.push((c, format!("{path}.children[{i}]"), depth + 1));
                }
            }
            Some(_) => errors.add(&format!("{path}.children"), "must be an array"),
        }
    }
    tree
}

/// 400 naming every node whose entity is not the tenant's.
fn check_refs(conn: &Connection, tenant: &str, tree: &Tree) -> Result<Vec<String>, ApiError> {
    let ids: Vec<String> = tree.refs.iter().map(|r| r.1.clone()).collect();
    let missing = entities::missing(conn, tenant, &ids)?;
    if !missing.is_empty() {
        let mut errors = FieldErrors::new();
        for (path, id) in &tree.refs {
            if missing.contains(id) {
                errors.add(path, format!("no such workflow entity: {id}"));
            }
        }
        errors.finish()?;
    }
    let mut unique = ids;
    unique.sort();
    unique.dedup();
    Ok(unique)
}

pub struct WorkflowsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Workflows")]
impl WorkflowsApi {
    /// List workflows
    ///
    /// Filter `environmentId`; `search` matches name and description.
    #[oai(path = "/workflows", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::WorkflowsRead>,
        q: ListParams<Workflow>,
    ) -> ApiResult<Listed<Workflow>> {
        state.db.page(Some(ctx.tenant_id), q.into_inner(), Extra::default()).await
    }

    /// Create a workflow
    ///
    /// Every node's `entityId` must be a workflow entity of the tenant (400 naming the node);
    /// at most 1000 nodes.
    #[oai(path = "/workflows", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::WorkflowsWrite>,
        body: JsonBody<CreateWorkflow>,
    ) -> ApiResult<Created<Workflow>> {
        let b = body.0;
        ctx.check_named(b.organization_id.as_deref())?;
        let mut errors = FieldErrors::new();
        validate::name(&mut errors, "name", &b.name, 200);
        validate::text(&mut errors, "description", b.description.as_deref(), 2000);
        if uuid::Uuid::parse_str(&b.environment_id).is_err() {
            errors.add("environmentId", "must be a UUID");
        }
        let tree = walk(&mut errors, &b.workflow_data);
        errors.finish()?;
        let (actor, tenant) = (ctx.actor(), ctx.tenant_id);
        let w = state
            .db
            .write(move |tx| {
                let env = b.environment_id.to_lowercase();
                require_environment(tx, &tenant, &env)?;
                let refs = check_refs(tx, &tenant, &tree)?;
                let id = new_id();
                store::insert(
                    tx,
                    &id,
                    &tenant,
                    store::Fields {
                        environment_id: Some(&env),
                        name: Some(b.name.trim()),
                        description: b.description.as_deref(),
                        workflow_data: Some(b.workflow_data.to_string()),
                        node_count: Some(tree.nodes as i64),
                    },
                )?;
                entities::set_refs(tx, &tenant, &id, &refs)?;
                let w = get::<Workflow>(tx, Scope::Tenant(&tenant), &id)?;
                audit::store::record(
                    tx,
                    &actor,
                    Entry::new(Some(&tenant), "workflow.created", "workflow", &id).after(&w),
                )?;
                Ok(w)
            })
            .await?;
        Ok(Created::at(format!("/api/v1/workflows/{}", w.id), w))
    }

    /// Get a workflow
    #[oai(path = "/workflows/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::WorkflowsRead>,
        id: Path<String>,
    ) -> ApiResult<Json<Workflow>> {
        let id = path_id(&id, Workflow::NAME)?;
        Ok(Json(state.db.fetch::<Workflow>(Some(ctx.tenant_id), id).await?))
    }

    /// Update a workflow
    #[oai(path = "/workflows/:id", method = "patch", method = "put")]
    async fn update(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::WorkflowsWrite>,
        id: Path<String>,
        body: JsonBody<UpdateWorkflow>,
    ) -> ApiResult<Json<Workflow>> {
        update_workflow(&state, ctx, &id, body.0).await
    }

    /// Delete a workflow
    #[oai(path = "/workflows/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::WorkflowsWrite>,
        id: Path<String>,
    ) -> ApiResult<Json<Deleted>> {
        let id = path_id(&id, Workflow::NAME)?;
        let (actor, tenant, id2) = (ctx.actor(), ctx.tenant_id, id.clone());
        state
            .db
            .write(move |tx| audit::delete_recorded::<Workflow>(tx, Some(&tenant), &id2, &actor, "workflow"))
            .await?;
        Ok(Deleted::of(id))
    }
}

async fn update_workflow(
    state: &AppState,
    ctx: Tenant<perm::WorkflowsWrite>,
    raw_id: &str,
    b: UpdateWorkflow,
) -> ApiResult<Json<Workflow>> {
    let id = path_id(raw_id, Workflow::NAME)?;
    ctx.check_named(b.organization_id.as_deref())?;
    let mut errors = FieldErrors::new();
    if let Some(n) = &b.name {
        validate::name(&mut errors, "name", n, 200);
    }
    validate::text(&mut errors, "description", b.description.as_deref(), 2000);
    if b.environment_id.as_deref().is_some_and(|e| uuid::Uuid::parse_str(e).is_err()) {
        errors.add("environmentId", "must be a UUID");
    }
    let tree = b.workflow_data.as_ref().map(|d| walk(&mut errors, d));
    errors.finish()?;
    let (actor, tenant) = (ctx.actor(), ctx.tenant_id);
    let w = state
        .db
        .write(move |tx| {
            let before = get::<Workflow>(tx, Scope::Tenant(&tenant), &id)?;
            let env = b.environment_id.as_deref().map(str::to_lowercase);
            if let Some(e) = &env {
                require_environment(tx, &tenant, e)?;
            }
            let data = b.workflow_data.as_ref().map(Value::to_string);
            let nodes = tree.as_ref().map(|t| t.nodes as i64);
            if let Some(t) = &tree {
                let refs = check_refs(tx, &tenant, t)?;
                entities::set_refs(tx, &tenant, &id, &refs)?;
            }
            store::update(
                tx,
                &id,
                &tenant,
                store::Fields {
                    environment_id: env.as_deref(),
                    name: b.name.as_deref().map(str::trim),
                    description: b.description.as_deref(),
                    workflow_data: data,
                    node_count: nodes,
                },
            )?;
            let after = get::<Workflow>(tx, Scope::Tenant(&tenant), &id)?;
            audit::store::record(
                tx,
                &actor,
                Entry::new(Some(&tenant), "workflow.updated", "workflow", &id).before(&before).after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(Json(w))
}
