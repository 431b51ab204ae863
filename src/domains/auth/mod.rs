//! Logging in and out with a session cookie: `POST /auth/login`, `POST /auth/logout`,
//! `GET /auth/session`.

pub mod guard;
pub mod store;

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;

use crate::db::list::{Scope, get};
use crate::domains::audit::{self, Actor, ActorType, Entry};
use crate::domains::tenants::{TenantRef, store as tenant_store};
use crate::domains::users::{User, store as user_store};
use crate::http::auth::{Authed, PrincipalKind, SESSION_COOKIE};
use crate::http::body::JsonBody;
use crate::http::error::{ApiError, Code, FieldErrors};
use crate::http::perms::{Role, permissions_of};
use crate::http::respond::ApiResult;
use crate::http::tags::Tag;
use crate::state::AppState;

/// Email and password.
#[derive(Debug, Object, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub email: String,
    #[oai(write_only)]
    pub password: String,
}

/// The signed-in session.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct SessionInfo {
    /// The user; null for an API token not created by a user.
    pub user: Option<User>,
    /// The user's tenant; null for platform operators.
    pub tenant: Option<TenantRef>,
    pub role: Role,
    pub permissions: Vec<String>,
    /// Send as `X-CSRF-Token` with every unsafe request made with the session cookie.
    pub csrf_token: Option<String>,
    pub expires_at: Option<String>,
}

#[derive(ApiResponse)]
pub enum LoginResponse {
    /// Logged in; the session cookie is set.
    #[oai(status = 200)]
    Ok(Json<SessionInfo>, #[oai(header = "Set-Cookie")] String),
}

/// `{"success": true}`.
#[derive(Debug, Object)]
pub struct Success {
    pub success: bool,
}

#[derive(ApiResponse)]
pub enum LogoutResponse {
    /// Logged out; the session cookie is cleared.
    #[oai(status = 200)]
    Ok(Json<Success>, #[oai(header = "Set-Cookie")] String),
}

fn cookie(state: &AppState, value: &str, max_age: u64) -> String {
    let secure = if state.config.secure_cookies() { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

pub struct AuthApi;

#[OpenApi(prefix_path = "/api/v1/auth", tag = "Tag::Auth")]
impl AuthApi {
    /// Log in
    ///
    /// Sets an HttpOnly, SameSite=Strict session cookie and returns the CSRF token to send as
    /// `X-CSRF-Token` on unsafe requests. Repeated failures for one email are slowed down and
    /// then locked for a while (429 `login_locked`).
    #[oai(path = "/login", method = "post")]
    async fn login(&self, state: Data<&AppState>, body: JsonBody<Login>) -> ApiResult<LoginResponse> {
        let Login { email, password } = body.0;
        let email = email.trim().to_lowercase();
        let mut errors = FieldErrors::new();
        if email.is_empty() {
            errors.add("email", "must not be empty");
        }
        if password.is_empty() {
            errors.add("password", "must not be empty");
        }
        errors.finish()?;
        let delay = state.login_guard.check(&email)?;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let record = {
            let email = email.clone();
            state.db.read(move |c| user_store::login_record(c, &email)).await?
        };
        let hash = record
            .as_ref()
            .and_then(|r| r.password_hash.clone())
            .unwrap_or_else(|| crate::crypto::dummy_password_hash().to_string());
        let verified = crate::crypto::password::verify(password, hash).await?;
        let record = match record {
            Some(r) if verified && r.password_hash.is_some() => r,
            _ => {
                state.login_guard.failed(&email);
                tracing::info!(email, "failed login");
                return Err(ApiError::new(Code::InvalidCredentials, "Invalid email or password"));
            }
        };
        state.login_guard.succeeded(&email);
        match (record.tenant_status.as_deref(), record.status.as_str()) {
            (Some("suspended" | "cancelled"), _) => {
                return Err(ApiError::new(Code::TenantSuspended, "This tenant is suspended"));
            }
            (_, "suspended" | "deactivated") => {
                return Err(ApiError::new(Code::UserSuspended, "This user is suspended"));
            }
            _ => {}
        }
        let secret = crate::crypto::random_secret();
        let session_hash = crate::crypto::sha256_hex(secret.as_bytes());
        let csrf = crate::crypto::random_secret();
        let ttl = state.config.security.session_ttl_hours * 3600;
        let expires_at = crate::db::format_time(chrono::Utc::now() + chrono::Duration::seconds(ttl as i64));
        let info = {
            let (csrf, expires_at, user_id) = (csrf.clone(), expires_at.clone(), record.id.clone());
            state
                .db
                .write(move |tx| {
                    store::create_session(tx, &session_hash, &user_id, &csrf, &expires_at)?;
                    user_store::mark_login(tx, &user_id)?;
                    let user = get::<User>(tx, Scope::AnyTenant, &user_id)?;
                    let actor =
                        Actor { actor_type: ActorType::Human, id: Some(user.id.clone()), label: user.email.clone() };
                    audit::store::record(
                        tx,
                        &actor,
                        Entry::new(user.tenant_id.as_deref(), "auth.login", "user", &user.id),
                    )?;
                    let tenant = user.tenant_id.as_deref().map(|t| tenant_store::tenant_ref(tx, t)).transpose()?;
                    Ok(SessionInfo {
                        role: user.role,
                        permissions: permissions_of(user.role),
                        user: Some(user),
                        tenant,
                        csrf_token: Some(csrf),
                        expires_at: Some(expires_at),
                    })
                })
                .await?
        };
        Ok(LoginResponse::Ok(Json(info), cookie(&state, &secret, ttl)))
    }

    /// Log out
    ///
    /// Ends the session and clears the cookie.
    #[oai(path = "/logout", method = "post")]
    async fn logout(&self, state: Data<&AppState>, auth: Authed) -> ApiResult<LogoutResponse> {
        if let Some(hash) = auth.principal.session_id.clone() {
            let actor = auth.principal.actor();
            let user_id = auth.principal.user_id.clone().unwrap_or_default();
            let tenant = auth.principal.tenant_id.clone();
            state
                .db
                .write(move |tx| {
                    store::delete_session(tx, &hash)?;
                    audit::store::record(tx, &actor, Entry::new(tenant.as_deref(), "auth.logout", "user", &user_id))?;
                    Ok(())
                })
                .await?;
        }
        Ok(LogoutResponse::Ok(Json(Success { success: true }), cookie(&state, "", 0)))
    }

    /// The current session
    ///
    /// Who is signed in, their tenant, role and permissions, and the CSRF token.
    #[oai(path = "/session", method = "get")]
    async fn session(&self, state: Data<&AppState>, auth: Authed) -> ApiResult<Json<SessionInfo>> {
        let p = auth.principal;
        let info = state
            .db
            .read(move |c| {
                let user = p.user_id.as_deref().map(|u| get::<User>(c, Scope::AnyTenant, u)).transpose()?;
                let tenant = p.tenant_id.as_deref().map(|t| tenant_store::tenant_ref(c, t)).transpose()?;
                let expires_at = match (&p.kind, &p.session_id) {
                    (PrincipalKind::Session, Some(h)) => store::session_expiry(c, h)?,
                    _ => None,
                };
                Ok(SessionInfo {
                    user,
                    tenant,
                    role: p.role,
                    permissions: p.permissions(),
                    csrf_token: p.csrf_token.clone(),
                    expires_at,
                })
            })
            .await?;
        Ok(Json(info))
    }
}
