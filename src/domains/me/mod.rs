//! `GET /me` (identity, tenant, role, permissions) and `GET /roles` (the permission matrix).

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};

use crate::db::list::{Scope, get};
use crate::domains::tenants::{TenantRef, store as tenant_store};
use crate::domains::users::User;
use crate::http::auth::{Authed, PrincipalKind};
use crate::http::perms::{Role, permissions_of};
use crate::http::respond::ApiResult;
use crate::http::tags::Tag;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "lowercase")]
pub enum PrincipalType {
    Session,
    Token,
    Impersonation,
}

/// Who the caller is.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct Me {
    pub principal_type: PrincipalType,
    /// The signed-in user, or the user who created the token.
    pub user: Option<User>,
    /// The API token used, if any.
    pub token_id: Option<String>,
    pub token_name: Option<String>,
    /// The caller's tenant; null for platform principals.
    pub tenant: Option<TenantRef>,
    pub role: Role,
    pub permissions: Vec<String>,
}

/// A role and what it may do.
#[derive(Debug, Object)]
pub struct RoleInfo {
    pub name: Role,
    pub description: String,
    pub permissions: Vec<String>,
}

pub struct MeApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Me")]
impl MeApi {
    /// Who am I
    ///
    /// Identity, tenant, role and permissions of the caller.
    #[oai(path = "/me", method = "get")]
    async fn me(&self, state: Data<&AppState>, auth: Authed) -> ApiResult<Json<Me>> {
        let p = auth.principal;
        let me = state
            .db
            .read(move |c| {
                let user = match p.user_id.as_deref() {
                    Some(u) => match get::<User>(c, Scope::AnyTenant, u) {
                        Ok(user) => Some(user),
                        Err(e) if e.code == crate::http::error::Code::NotFound => None,
                        Err(e) => return Err(e),
                    },
                    None => None,
                };
                let tenant = p.tenant_id.as_deref().map(|t| tenant_store::tenant_ref(c, t)).transpose()?;
                let principal_type = match p.kind {
                    PrincipalKind::Session => PrincipalType::Session,
                    PrincipalKind::Token => PrincipalType::Token,
                    PrincipalKind::Impersonation => PrincipalType::Impersonation,
                };
                let is_token = p.token_id.is_some();
                Ok(Me {
                    principal_type,
                    user,
                    token_id: p.token_id.clone(),
                    token_name: is_token.then(|| p.label.clone()),
                    tenant,
                    role: p.role,
                    permissions: p.permissions(),
                })
            })
            .await?;
        Ok(Json(me))
    }

    /// List roles and their permissions
    #[oai(path = "/roles", method = "get")]
    async fn roles(&self, _auth: Authed) -> Json<Vec<RoleInfo>> {
        Json(
            Role::ALL
                .iter()
                .map(|r| RoleInfo {
                    name: *r,
                    description: match r {
                        Role::SuperAdmin => "Platform operator: everything, in every tenant",
                        Role::Admin => "Tenant administrator: everything in the tenant",
                        Role::Member => "Builds workflows, prompts and pipelines; reads the rest",
                        Role::Guest => "Read-only",
                    }
                    .to_string(),
                    permissions: permissions_of(*r),
                })
                .collect(),
        )
    }
}
