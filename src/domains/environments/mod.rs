//! Environments of a tenant (`/environments`, CRUD): `{name, description}`, the name unique
//! within the tenant.

pub mod store;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rusqlite::Row;
use serde::Deserialize;

use crate::db::list::{Extra, Filter, Resource, Scope, Sort, get};
use crate::domains::audit::{self, Entry};
use crate::http::auth::Tenant;
use crate::http::body::JsonBody;
use crate::http::error::FieldErrors;
use crate::http::list::{ListParams, Listed};
use crate::http::perms::perm;
use crate::http::respond::{ApiResult, Created, Deleted, path_id};
use crate::http::tags::Tag;
use crate::http::validate;
use crate::state::AppState;

/// An environment (e.g. development, staging, production).
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct Environment {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource for Environment {
    const NAME: &'static str = "Environment";
    const FROM: &'static str = "environments";
    const COUNTED: bool = true;
    const COLUMNS: &'static str = "id, tenant_id, name, description, created_at, updated_at";
    const ID: &'static str = "id";
    const CREATED: &'static str = "created_at";
    const TENANT: Option<&'static str> = Some("tenant_id");
    const SORTS: &'static [Sort] = &[
        Sort { param: "createdAt", column: "created_at" },
        Sort { param: "updatedAt", column: "updated_at" },
        Sort { param: "name", column: "name" },
    ];
    const FILTERS: &'static [Filter] = &[];
    const SEARCH: &'static [&'static str] = &["name", "description"];

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(Environment {
            id: row.get(0)?,
            tenant_id: row.get(1)?,
            name: row.get(2)?,
            description: row.get(3)?,
            created_at: row.get(4)?,
            updated_at: row.get(5)?,
        })
    }
}

/// Create an environment.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateEnvironment {
    /// 1–100 characters, unique in the tenant.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The tenant, as the original API sends it; must be this request's tenant.
    #[serde(default, alias = "tenantId")]
    pub organization_id: Option<String>,
}

/// Change an environment; absent fields stay as they are.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateEnvironment {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The tenant, as the original API sends it; must be this request's tenant.
    #[serde(default, alias = "tenantId")]
    pub organization_id: Option<String>,
}

pub struct EnvironmentsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Environments")]
impl EnvironmentsApi {
    /// List environments
    ///
    /// `search` matches name and description.
    #[oai(path = "/environments", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EnvironmentsRead>,
        q: ListParams<Environment>,
    ) -> ApiResult<Listed<Environment>> {
        state.db.page(Some(ctx.tenant_id), q.into_inner(), Extra::default()).await
    }

    /// Create an environment
    #[oai(path = "/environments", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EnvironmentsWrite>,
        body: JsonBody<CreateEnvironment>,
    ) -> ApiResult<Created<Environment>> {
        let b = body.0;
        ctx.check_named(b.organization_id.as_deref())?;
        let mut errors = FieldErrors::new();
        validate::name(&mut errors, "name", &b.name, 100);
        validate::text(&mut errors, "description", b.description.as_deref(), 2000);
        errors.finish()?;
        let actor = ctx.actor();
        let tenant = ctx.tenant_id;
        let env = state
            .db
            .write(move |tx| {
                let env = store::insert(tx, &tenant, b.name.trim(), b.description.as_deref().unwrap_or(""))?;
                audit::store::record(
                    tx,
                    &actor,
                    Entry::new(Some(&tenant), "environment.created", "environment", &env.id).after(&env),
                )?;
                Ok(env)
            })
            .await?;
        Ok(Created::at(format!("/api/v1/environments/{}", env.id), env))
    }

    /// Get an environment
    #[oai(path = "/environments/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EnvironmentsRead>,
        id: Path<String>,
    ) -> ApiResult<Json<Environment>> {
        let id = path_id(&id, Environment::NAME)?;
        Ok(Json(state.db.fetch::<Environment>(Some(ctx.tenant_id), id).await?))
    }

    /// Update an environment
    ///
    /// Partial: only the fields given change.
    #[oai(path = "/environments/:id", method = "patch", method = "put")]
    async fn update(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EnvironmentsWrite>,
        id: Path<String>,
        body: JsonBody<UpdateEnvironment>,
    ) -> ApiResult<Json<Environment>> {
        update_environment(&state, ctx, &id, body.0).await
    }

    /// Delete an environment
    #[oai(path = "/environments/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::EnvironmentsWrite>,
        id: Path<String>,
    ) -> ApiResult<Json<Deleted>> {
        let id = path_id(&id, Environment::NAME)?;
        let actor = ctx.actor();
        let tenant = ctx.tenant_id;
        let id2 = id.clone();
        state
            .db
            .write(move |tx| audit::delete_recorded::<Environment>(tx, Some(&tenant), &id2, &actor, "environment"))
            .await?;
        Ok(Deleted::of(id))
    }
}

async fn update_environment(
    state: &AppState,
    ctx: Tenant<perm::EnvironmentsWrite>,
    raw_id: &str,
    b: UpdateEnvironment,
) -> ApiResult<Json<Environment>> {
    let id = path_id(raw_id, Environment::NAME)?;
    ctx.check_named(b.organization_id.as_deref())?;
    let mut errors = FieldErrors::new();
    if let Some(n) = &b.name {
        validate::name(&mut errors, "name", n, 100);
    }
    validate::text(&mut errors, "description", b.description.as_deref(), 2000);
    errors.finish()?;
    let actor = ctx.actor();
    let tenant = ctx.tenant_id;
    let env = state
        .db
        .write(move |tx| {
            let before = get::<Environment>(tx, Scope::Tenant(&tenant), &id)?;
            let after = store::update(tx, &tenant, &id, b.name.as_deref().map(str::trim), b.description.as_deref())?;
            audit::store::record(
                tx,
                &actor,
                Entry::new(Some(&tenant), "environment.updated", "environment", &id).before(&before).after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(Json(env))
}
