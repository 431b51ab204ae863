//! Workflow entity types (`/workflow-entity-types`, CRUD). `Event`, `Prompt`, `Action` and
//! `Result` exist in every tenant from its creation and cannot be deleted.

pub mod store;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rusqlite::Row;
use serde::Deserialize;

use crate::db::list::{Extra, Filter, FilterKind, Resource, Scope, Sort, get};
use crate::db::new_id;
use crate::domains::audit::{self, Entry};
use crate::http::auth::Tenant;
use crate::http::body::JsonBody;
use crate::http::error::{ApiError, Code, FieldErrors};
use crate::http::list::{ListParams, Listed};
use crate::http::perms::perm;
use crate::http::respond::{ApiResult, Created, Deleted, path_id};
use crate::http::tags::Tag;
use crate::http::validate;
use crate::state::AppState;

/// The types every tenant has.
pub const BUILTIN: &[(&str, &str)] = &[
    ("Event", "Something that happened: starts a workflow when its condition holds"),
    ("Prompt", "A call to a language model"),
    ("Action", "Something the workflow does"),
    ("Result", "What the workflow produces"),
];

/// A kind of workflow entity.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct EntityType {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub description: String,
    /// One of the four every tenant has; cannot be deleted.
    pub builtin: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource for EntityType {
    const NAME: &'static str = "Workflow entity type";
    const FROM: &'static str = "workflow_entity_types";
    const COLUMNS: &'static str = "id, tenant_id, name, description, builtin, created_at, updated_at";
    const ID: &'static str = "id";
    const CREATED: &'static str = "created_at";
    const TENANT: Option<&'static str> = Some("tenant_id");
    const SORTS: &'static [Sort] = &[
        Sort { param: "createdAt", column: "created_at" },
        Sort { param: "updatedAt", column: "updated_at" },
        Sort { param: "name", column: "name" },
    ];
    const FILTERS: &'static [Filter] = &[Filter { param: "builtin", column: "builtin", kind: FilterKind::Bool }];
    const SEARCH: &'static [&'static str] = &["name", "description"];
    const DEFAULT_SORT: &'static str = "createdAt";

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(EntityType {
            id: row.get(0)?,
            tenant_id: row.get(1)?,
            name: row.get(2)?,
            description: row.get(3)?,
            builtin: crate::db::flag(row.get(4)?),
            created_at: row.get(5)?,
            updated_at: row.get(6)?,
        })
    }
}

pub use store::{ensure_builtin, ensure_builtin_everywhere};

/// Create a type.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateEntityType {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The tenant, as the original API sends it; must be this request's tenant.
    #[serde(default, alias = "tenantId")]
    pub organization_id: Option<String>,
}

/// Change a type; absent fields stay.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateEntityType {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, alias = "tenantId")]
    pub organization_id: Option<String>,
}

pub struct EntityTypesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Workflows")]
impl EntityTypesApi {
    /// List workflow entity types
    #[oai(path = "/workflow-entity-types", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesRead>,
        q: ListParams<EntityType>,
    ) -> ApiResult<Listed<EntityType>> {
        state.db.page(Some(ctx.tenant_id), q.into_inner(), Extra::default()).await
    }

    /// Create a workflow entity type
    #[oai(path = "/workflow-entity-types", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesCreate>,
        body: JsonBody<CreateEntityType>,
    ) -> ApiResult<Created<EntityType>> {
        let b = body.0;
        ctx.check_named(b.organization_id.as_deref())?;
        let mut errors = FieldErrors::new();
        validate::name(&mut errors, "name", &b.name, 100);
        validate::text(&mut errors, "description", b.description.as_deref(), 2000);
        errors.finish()?;
        let (actor, tenant) = (ctx.actor(), ctx.tenant_id);
        let t = state
            .db
            .write(move |tx| {
                let id = new_id();
                let name = b.name.trim();
                store::insert(tx, &id, &tenant, name, b.description.as_deref().unwrap_or(""))?;
                let t = get::<EntityType>(tx, Scope::Tenant(&tenant), &id)?;
                audit::store::record(
                    tx,
                    &actor,
                    Entry::new(Some(&tenant), "workflow_entity_type.created", "workflow_entity_type", &id).after(&t),
                )?;
                Ok(t)
            })
            .await?;
        Ok(Created::at(format!("/api/v1/workflow-entity-types/{}", t.id), t))
    }

    /// Get a workflow entity type
    #[oai(path = "/workflow-entity-types/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesRead>,
        id: Path<String>,
    ) -> ApiResult<Json<EntityType>> {
        let id = path_id(&id, EntityType::NAME)?;
        Ok(Json(state.db.fetch::<EntityType>(Some(ctx.tenant_id), id).await?))
    }

    /// Update a workflow entity type
    ///
    /// Partial. Built-in types keep their names.
    #[oai(path = "/workflow-entity-types/:id", method = "patch", method = "put")]
    async fn update(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesUpdate>,
        id: Path<String>,
        body: JsonBody<UpdateEntityType>,
    ) -> ApiResult<Json<EntityType>> {
        update_type(&state, ctx, &id, body.0).await
    }

    /// Delete a workflow entity type
    ///
    /// 409 for a built-in type or one that entities use.
    #[oai(path = "/workflow-entity-types/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EntitiesDelete>,
        id: Path<String>,
    ) -> ApiResult<Json<Deleted>> {
        let id = path_id(&id, EntityType::NAME)?;
        let (actor, tenant, id2) = (ctx.actor(), ctx.tenant_id, id.clone());
        state
            .db
            .write(move |tx| {
                let t = get::<EntityType>(tx, Scope::Tenant(&tenant), &id2)?;
                if t.builtin {
                    return Err(ApiError::new(
                        Code::InvalidState,
                        format!("'{}' is a built-in type and cannot be deleted", t.name),
                    ));
                }
                let used = store::entities_using(tx, &id2)?;
                if used > 0 {
                    return Err(ApiError::new(Code::Conflict, format!("{used} workflow entities use this type"))
                        .with_details(serde_json::json!({ "count": used })));
                }
                audit::delete_recorded::<EntityType>(tx, Some(&tenant), &id2, &actor, "workflow_entity_type")
            })
            .await?;
        Ok(Deleted::of(id))
    }
}

async fn update_type(
    state: &AppState,
    ctx: Tenant<perm::EntitiesUpdate>,
    raw_id: &str,
    b: UpdateEntityType,
) -> ApiResult<Json<EntityType>> {
    let id = path_id(raw_id, EntityType::NAME)?;
    ctx.check_named(b.organization_id.as_deref())?;
    let mut errors = FieldErrors::new();
    if let Some(n) = &b.name {
        validate::name(&mut errors, "name", n, 100);
    }
    validate::text(&mut errors, "description", b.description.as_deref(), 2000);
    errors.finish()?;
    let (actor, tenant) = (ctx.actor(), ctx.tenant_id);
    let t = state
        .db
        .write(move |tx| {
            let before = get::<EntityType>(tx, Scope::Tenant(&tenant), &id)?;
            let name = b.name.as_deref().map(str::trim);
            if before.builtin && name.is_some_and(|n| n != before.name) {
                return Err(ApiError::field("name", "a built-in type keeps its name"));
            }
            store::update(tx, &id, &tenant, name, b.description.as_deref())?;
            let after = get::<EntityType>(tx, Scope::Tenant(&tenant), &id)?;
            audit::store::record(
                tx,
                &actor,
                Entry::new(Some(&tenant), "workflow_entity_type.updated", "workflow_entity_type", &id)
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(Json(t))
}
