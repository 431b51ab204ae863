//! Users: the tenant's users (`/users`, CRUD) and every user on the platform
//! (`/platform/users`, list, suspend, reinstate). Suspending a user ends their sessions at once.

pub mod store;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use rusqlite::Row;
use serde::Deserialize;

use crate::db::list::{Extra, Filter, FilterKind, Resource, Scope, Sort, get};
use crate::domains::audit::{self, Entry};
use crate::http::auth::{Platform, Tenant};
use crate::http::body::{JsonBody, MaybeJsonBody};
use crate::http::error::{ApiError, Code, FieldErrors};
use crate::http::list::{ListParams, Listed};
use crate::http::perms::{Role, perm};
use crate::http::respond::{ApiResult, Created, Deleted, path_id};
use crate::http::tags::Tag;
use crate::http::validate;
use crate::state::AppState;

/// A user's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// Can log in.
    Active,
    /// Created without a password; cannot log in until one is set.
    Invited,
    /// Blocked by an administrator; sessions ended.
    Suspended,
    /// Switched off for good; sessions ended.
    Deactivated,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Invited => "invited",
            UserStatus::Suspended => "suspended",
            UserStatus::Deactivated => "deactivated",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "active" => UserStatus::Active,
            "invited" => UserStatus::Invited,
            "suspended" => UserStatus::Suspended,
            _ => UserStatus::Deactivated,
        }
    }
}

/// A user.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    /// Null for platform operators.
    pub tenant_id: Option<String>,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub status: UserStatus,
    pub last_login_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource for User {
    const NAME: &'static str = "User";
    const FROM: &'static str = "users";
    const COUNTED: bool = true;
    const COLUMNS: &'static str = "id, tenant_id, email, name, role, status, last_login_at, created_at, updated_at";
    const ID: &'static str = "id";
    const CREATED: &'static str = "created_at";
    const TENANT: Option<&'static str> = Some("tenant_id");
    const SORTS: &'static [Sort] = &[
        Sort { param: "createdAt", column: "created_at" },
        Sort { param: "updatedAt", column: "updated_at" },
        Sort { param: "name", column: "name" },
        Sort { param: "email", column: "email" },
    ];
    const FILTERS: &'static [Filter] = &[
        Filter { param: "role", column: "role", kind: FilterKind::Enum(&["super_admin", "admin", "member", "guest"]) },
        Filter {
            param: "status",
            column: "status",
            kind: FilterKind::Enum(&["active", "invited", "suspended", "deactivated"]),
        },
        Filter { param: "tenantId", column: "tenant_id", kind: FilterKind::Uuid },
    ];
    const SEARCH: &'static [&'static str] = &["email", "name"];

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(User {
            id: row.get(0)?,
            tenant_id: row.get(1)?,
            email: row.get(2)?,
            name: row.get(3)?,
            role: Role::parse(&row.get::<_, String>(4)?).unwrap_or(Role::Guest),
            status: UserStatus::parse(&row.get::<_, String>(5)?),
            last_login_at: row.get(6)?,
            created_at: row.get(7)?,
            updated_at: row.get(8)?,
        })
    }
}

/// Create a user in the tenant.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateUser {
    pub email: String,
    #[serde(default)]
    pub name: Option<String>,
    /// `admin`, `member` (default) or `guest`; never above your own role.
    #[serde(default)]
    pub role: Option<Role>,
    /// At least 8 characters. Without one the user is `invited` and cannot log in yet.
    #[serde(default)]
    pub password: Option<String>,
}

/// Change a user; absent fields stay as they are.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateUser {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    /// `active`, `suspended` or `deactivated`.
    #[serde(default)]
    pub status: Option<UserStatus>,
    /// A new password (at least 8 characters).
    #[serde(default)]
    pub password: Option<String>,
}

/// An optional reason for a suspension or reinstatement.
#[derive(Debug, Object, Deserialize, Default)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reason {
    #[serde(default)]
    pub reason: Option<String>,
}

/// The highest role a principal may hand out inside a tenant.
fn grantable(actor: Role) -> Role {
    actor.min(Role::Admin)
}

fn check_role(actor: Role, wanted: Role) -> Result<(), ApiError> {
    if wanted > grantable(actor) {
        return Err(ApiError::forbidden(format!(
            "Forbidden: you cannot grant the role {} (highest you may grant: {})",
            wanted.as_str(),
            grantable(actor).as_str()
        )));
    }
    Ok(())
}

/// The hash of a new password, if one was given.
async fn hash(password: Option<&str>) -> Result<Option<String>, ApiError> {
    match password {
        Some(p) => crate::crypto::password::hash(p.to_string()).await.map(Some),
        None => Ok(None),
    }
}

pub struct UsersApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Users")]
impl UsersApi {
    /// List the tenant's users
    ///
    /// Filters: `role`, `status`; `search` matches email and name.
    #[oai(path = "/users", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::UsersRead>,
        q: ListParams<User>,
    ) -> ApiResult<Listed<User>> {
        state.db.page(Some(ctx.tenant_id), q.into_inner(), Extra::default()).await
    }

    /// Create a user
    ///
    /// With a password the user is `active` at once; without one the user is `invited`. The
    /// email must be unused across the whole platform (409).
    #[oai(path = "/users", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::UsersWrite>,
        body: JsonBody<CreateUser>,
    ) -> ApiResult<Created<User>> {
        let b = body.0;
        let mut errors = FieldErrors::new();
        validate::email(&mut errors, "email", &b.email);
        validate::text(&mut errors, "name", b.name.as_deref(), 200);
        if let Some(p) = &b.password {
            validate::password(&mut errors, "password", p);
        }
        errors.finish()?;
        let role = b.role.unwrap_or(Role::Member);
        check_role(ctx.principal.role, role)?;
        let password_hash = hash(b.password.as_deref()).await?;
        let actor = ctx.actor();
        let tenant = ctx.tenant_id;
        let user = state
            .db
            .write(move |tx| {
                let status = if password_hash.is_some() { "active" } else { "invited" };
                let name = b.name.as_deref().map(str::trim).unwrap_or("");
                let user = store::insert(
                    tx,
                    store::NewUser { tenant_id: Some(&tenant), email: &b.email, name, role, status, password_hash },
                )?;
                audit::store::record(
                    tx,
                    &actor,
                    Entry::new(Some(&tenant), "user.created", "user", &user.id).after(&user),
                )?;
                Ok(user)
            })
            .await?;
        Ok(Created::at(format!("/api/v1/users/{}", user.id), user))
    }

    /// Get a user
    #[oai(path = "/users/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::UsersRead>,
        id: Path<String>,
    ) -> ApiResult<Json<User>> {
        let id = path_id(&id, User::NAME)?;
        Ok(Json(state.db.fetch::<User>(Some(ctx.tenant_id), id).await?))
    }

    /// Update a user
    ///
    /// Partial: only the fields given change. Suspending or deactivating ends the user's
    /// sessions at once. You cannot change your own role or status.
    #[oai(path = "/users/:id", method = "patch", method = "put")]
    async fn update(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::UsersWrite>,
        id: Path<String>,
        body: JsonBody<UpdateUser>,
    ) -> ApiResult<Json<User>> {
        update_user(&state, ctx, &id, body.0).await
    }

    /// Delete a user
    ///
    /// Removes the user and revokes every API token they created. You cannot delete yourself.
    #[oai(path = "/users/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::UsersWrite>,
        id: Path<String>,
    ) -> ApiResult<Json<Deleted>> {
        let id = path_id(&id, User::NAME)?;
        if ctx.principal.user_id.as_deref() == Some(id.as_str()) {
            return Err(ApiError::new(Code::InvalidState, "You cannot delete yourself"));
        }
        let actor = ctx.actor();
        let tenant = ctx.tenant_id;
        let user = get_target(&state, &tenant, &id).await?;
        check_role(actor_role(&ctx.principal), user.role)?;
        let id2 = id.clone();
        state
            .db
            .write(move |tx| {
                let before = get::<User>(tx, Scope::Tenant(&tenant), &id2)?;
                store::delete(tx, &tenant, &id2)?;
                audit::store::record(
                    tx,
                    &actor,
                    Entry::new(Some(&tenant), "user.deleted", "user", &id2).before(&before),
                )?;
                Ok(())
            })
            .await?;
        Ok(Deleted::of(id))
    }
}

fn actor_role(p: &crate::http::auth::Principal) -> Role {
    p.role
}

async fn get_target(state: &AppState, tenant: &str, id: &str) -> Result<User, ApiError> {
    let (tenant, id) = (tenant.to_string(), id.to_string());
    state.db.read(move |c| get::<User>(c, Scope::Tenant(&tenant), &id)).await
}

async fn update_user(
    state: &AppState,
    ctx: Tenant<perm::UsersWrite>,
    raw_id: &str,
    b: UpdateUser,
) -> ApiResult<Json<User>> {
    let id = path_id(raw_id, User::NAME)?;
    let mut errors = FieldErrors::new();
    if let Some(n) = &b.name {
        validate::text(&mut errors, "name", Some(n), 200);
    }
    if let Some(p) = &b.password {
        validate::password(&mut errors, "password", p);
    }
    if b.status == Some(UserStatus::Invited) {
        errors.add("status", "can only be active, suspended or deactivated");
    }
    errors.finish()?;
    let target = get_target(state, &ctx.tenant_id, &id).await?;
    // You may only manage users at or below the role you can grant.
    check_role(ctx.principal.role, target.role)?;
    if let Some(role) = b.role {
        check_role(ctx.principal.role, role)?;
    }
    let own = ctx.principal.user_id.as_deref() == Some(id.as_str());
    if own && (b.role.is_some_and(|r| r != target.role) || b.status.is_some_and(|s| s != target.status)) {
        return Err(ApiError::new(Code::InvalidState, "You cannot change your own role or status"));
    }
    let password_hash = hash(b.password.as_deref()).await?;
    let actor = ctx.actor();
    let tenant = ctx.tenant_id;
    let user = state
        .db
        .write(move |tx| {
            let before = get::<User>(tx, Scope::Tenant(&tenant), &id)?;
            // Setting a password activates an invited user.
            let status = match (b.status, &password_hash, before.status) {
                (Some(s), _, _) => Some(s.as_str()),
                (None, Some(_), UserStatus::Invited) => Some("active"),
                _ => None,
            };
            let changed_password = password_hash.is_some();
            let name = b.name.as_deref().map(str::trim);
            let after = store::update(tx, Scope::Tenant(&tenant), &id, name, b.role, status, password_hash)?;
            let mut entry = Entry::new(Some(&tenant), "user.updated", "user", &id).before(&before).after(&after);
            if changed_password && let Some(serde_json::Value::Object(m)) = entry.after.as_mut() {
                m.insert("password".into(), serde_json::json!("[redacted]"));
            }
            audit::store::record(tx, &actor, entry)?;
            Ok(after)
        })
        .await?;
    Ok(Json(user))
}

pub struct PlatformUsersApi;

#[OpenApi(prefix_path = "/api/v1/platform", tag = "Tag::Platform")]
impl PlatformUsersApi {
    /// List users across all tenants
    ///
    /// Filters: `tenantId`, `role`, `status`; `search` matches email and name.
    #[oai(path = "/users", method = "get")]
    async fn list(&self, state: Data<&AppState>, _ctx: Platform, q: ListParams<User>) -> ApiResult<Listed<User>> {
        state.db.page(None, q.into_inner(), Extra::default()).await
    }

    /// Suspend a user
    ///
    /// Blocks logins and API tokens the user created, and ends their sessions at once.
    #[oai(path = "/users/:id/suspend", method = "post")]
    async fn suspend(
        &self,
        state: Data<&AppState>,
        ctx: Platform,
        id: Path<String>,
        body: MaybeJsonBody<Reason>,
    ) -> ApiResult<Json<User>> {
        set_status(&state, ctx, &id, UserStatus::Suspended, body.into_inner().unwrap_or_default()).await
    }

    /// Reinstate a suspended user
    #[oai(path = "/users/:id/reinstate", method = "post")]
    async fn reinstate(
        &self,
        state: Data<&AppState>,
        ctx: Platform,
        id: Path<String>,
        body: MaybeJsonBody<Reason>,
    ) -> ApiResult<Json<User>> {
        set_status(&state, ctx, &id, UserStatus::Active, body.into_inner().unwrap_or_default()).await
    }
}

async fn set_status(
    state: &AppState,
    ctx: Platform,
    raw_id: &str,
    to: UserStatus,
    reason: Reason,
) -> ApiResult<Json<User>> {
    let id = path_id(raw_id, User::NAME)?;
    if ctx.principal.user_id.as_deref() == Some(id.as_str()) {
        return Err(ApiError::new(Code::InvalidState, "You cannot suspend yourself"));
    }
    let actor = ctx.principal.actor();
    let user = state
        .db
        .write(move |tx| {
            let before = get::<User>(tx, Scope::AnyTenant, &id)?;
            let allowed = match to {
                UserStatus::Suspended => before.status != UserStatus::Suspended,
                _ => before.status == UserStatus::Suspended,
            };
            if !allowed {
                return Err(ApiError::new(
                    Code::InvalidState,
                    format!(
                        "User is {}; cannot {}",
                        before.status.as_str(),
                        if to == UserStatus::Suspended { "suspend" } else { "reinstate" }
                    ),
                ));
            }
            let after = store::update(tx, Scope::AnyTenant, &id, None, None, Some(to.as_str()), None)?;
            let action = if to == UserStatus::Suspended { "user.suspended" } else { "user.reinstated" };
            audit::store::record(
                tx,
                &actor,
                Entry::new(before.tenant_id.as_deref(), action, "user", &id)
                    .before(&before)
                    .after(&after)
                    .reason(reason.reason.as_deref()),
            )?;
            Ok(after)
        })
        .await?;
    Ok(Json(user))
}
