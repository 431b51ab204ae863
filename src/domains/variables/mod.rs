//! Variables of an environment (`/variables`, CRUD): `{environmentId, name, description, value}`.
//! The value is write-only and sealed at rest; responses only say `hasValue`.

pub mod store;

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
use crate::state::AppState;

/// Largest accepted value, in bytes.
const MAX_VALUE: usize = 64 * 1024;

/// A variable. Its value is never returned.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct Variable {
    pub id: String,
    pub tenant_id: String,
    pub environment_id: String,
    pub name: String,
    pub description: String,
    /// Whether a value is stored (the value itself is write-only).
    pub has_value: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource for Variable {
    const NAME: &'static str = "Variable";
    const FROM: &'static str = "variables";
    const COUNTED: bool = true;
    const COLUMNS: &'static str =
        "id, tenant_id, environment_id, name, description, value_sealed IS NOT NULL, created_at, updated_at";
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
        Ok(Variable {
            id: row.get(0)?,
            tenant_id: row.get(1)?,
            environment_id: row.get(2)?,
            name: row.get(3)?,
            description: row.get(4)?,
            has_value: crate::db::flag(row.get(5)?),
            created_at: row.get(6)?,
            updated_at: row.get(7)?,
        })
    }
}

/// Create a variable.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateVariable {
    pub environment_id: String,
    /// Letters, digits and `_`, not starting with a digit; unique in the environment.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Write-only; stored encrypted.
    #[oai(write_only)]
    #[serde(default)]
    pub value: Option<String>,
    /// The tenant, as the original API sends it; must be this request's tenant.
    #[serde(default, alias = "tenantId")]
    pub organization_id: Option<String>,
}

/// Change a variable; absent fields stay as they are, `"value": null` clears the value.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateVariable {
    #[serde(default)]
    pub environment_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[oai(write_only)]
    #[serde(default)]
    pub value: MaybeUndefined<String>,
    /// The tenant, as the original API sends it; must be this request's tenant.
    #[serde(default, alias = "tenantId")]
    pub organization_id: Option<String>,
}

fn check_name(errors: &mut FieldErrors, name: &str) {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        errors.add("name", "must be 1-128 letters, digits or _, not starting with a digit");
    }
}

fn check_environment(errors: &mut FieldErrors, id: &str) {
    if uuid::Uuid::parse_str(id).is_err() {
        errors.add("environmentId", "must be a UUID");
    }
}

fn check_value(errors: &mut FieldErrors, value: Option<&str>) {
    if value.is_some_and(|v| v.len() > MAX_VALUE) {
        errors.add("value", format!("must be at most {MAX_VALUE} bytes"));
    }
}

pub struct VariablesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Variables")]
impl VariablesApi {
    /// List variables
    ///
    /// Filter `environmentId`; `search` matches name and description. Values are never returned.
    #[oai(path = "/variables", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::VariablesRead>,
        q: ListParams<Variable>,
    ) -> ApiResult<Listed<Variable>> {
        state.db.page(Some(ctx.tenant_id), q.into_inner(), Extra::default()).await
    }

    /// Create a variable
    #[oai(path = "/variables", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::VariablesWrite>,
        body: JsonBody<CreateVariable>,
    ) -> ApiResult<Created<Variable>> {
        let b = body.0;
        ctx.check_named(b.organization_id.as_deref())?;
        let mut errors = FieldErrors::new();
        check_environment(&mut errors, &b.environment_id);
        check_name(&mut errors, &b.name);
        validate::text(&mut errors, "description", b.description.as_deref(), 2000);
        check_value(&mut errors, b.value.as_deref());
        errors.finish()?;
        let (actor, tenant, key) = (ctx.actor(), ctx.tenant_id, state.master_key.clone());
        let var = state
            .db
            .write(move |tx| {
                let v = store::insert(
                    tx,
                    &key,
                    &tenant,
                    store::NewVariable {
                        environment_id: &b.environment_id.to_lowercase(),
                        name: &b.name,
                        description: b.description.as_deref().unwrap_or(""),
                        value: b.value.as_deref(),
                    },
                )?;
                let entry = Entry::new(Some(&tenant), "variable.created", "variable", &v.id).after(&v);
                audit::store::record(tx, &actor, entry.secret("value", v.has_value, v.has_value))?;
                Ok(v)
            })
            .await?;
        Ok(Created::at(format!("/api/v1/variables/{}", var.id), var))
    }

    /// Get a variable
    #[oai(path = "/variables/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::VariablesRead>,
        id: Path<String>,
    ) -> ApiResult<Json<Variable>> {
        let id = path_id(&id, Variable::NAME)?;
        Ok(Json(state.db.fetch::<Variable>(Some(ctx.tenant_id), id).await?))
    }

    /// Update a variable
    ///
    /// Partial: only the fields given change; `"value": null` clears the value.
    #[oai(path = "/variables/:id", method = "patch", method = "put")]
    async fn update(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::VariablesWrite>,
        id: Path<String>,
        body: JsonBody<UpdateVariable>,
    ) -> ApiResult<Json<Variable>> {
        update_variable(&state, ctx, &id, body.0).await
    }

    /// Delete a variable
    #[oai(path = "/variables/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::VariablesWrite>,
        id: Path<String>,
    ) -> ApiResult<Json<Deleted>> {
        let id = path_id(&id, Variable::NAME)?;
        let (actor, tenant, id2) = (ctx.actor(), ctx.tenant_id, id.clone());
        state
            .db
            .write(move |tx| audit::delete_recorded::<Variable>(tx, Some(&tenant), &id2, &actor, "variable"))
            .await?;
        Ok(Deleted::of(id))
    }
}

async fn update_variable(
    state: &AppState,
    ctx: Tenant<perm::VariablesWrite>,
    raw_id: &str,
    b: UpdateVariable,
) -> ApiResult<Json<Variable>> {
    let id = path_id(raw_id, Variable::NAME)?;
    ctx.check_named(b.organization_id.as_deref())?;
    let mut errors = FieldErrors::new();
    if let Some(env) = &b.environment_id {
        check_environment(&mut errors, env);
    }
    if let Some(n) = &b.name {
        check_name(&mut errors, n);
    }
    validate::text(&mut errors, "description", b.description.as_deref(), 2000);
    check_value(&mut errors, b.value.value().map(String::as_str));
    errors.finish()?;
    let (actor, tenant, key) = (ctx.actor(), ctx.tenant_id, state.master_key.clone());
    let var = state
        .db
        .write(move |tx| {
            let before = get::<Variable>(tx, Scope::Tenant(&tenant), &id)?;
            let value = change(&b.value);
            let env = b.environment_id.as_deref().map(str::to_lowercase);
            let after = store::update(
                tx,
                &key,
                &tenant,
                &id,
                store::Changes {
                    environment_id: env.as_deref(),
                    name: b.name.as_deref(),
                    description: b.description.as_deref(),
                    value,
                },
            )?;
            let entry = Entry::new(Some(&tenant), "variable.updated", "variable", &id).before(&before).after(&after);
            audit::store::record(tx, &actor, entry.secret("value", after.has_value, value.is_some()))?;
            Ok(after)
        })
        .await?;
    Ok(Json(var))
}
