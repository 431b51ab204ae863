//! Who is calling, and may they? `Principal` is resolved from a bearer token or a session cookie;
//! the extractors `Tenant<P>`, `Platform` and `Authed` check the permission matrix before any
//! handler logic runs, fix the tenant the request acts on, enforce CSRF for cookie sessions and
//! record platform reads of tenant content.

use std::marker::PhantomData;

use poem::{Request, RequestBody};
use poem_openapi::registry::{MetaSecurityScheme, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

use super::error::{ApiError, Code};
use super::perms::{Perm, Permission, Role, Scope};
use crate::domains::auth::store as auth_store;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "aa_session";
pub const BEARER_SCHEME: &str = "bearerAuth";
pub const COOKIE_SCHEME: &str = "cookieAuth";

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    Session,
    Token,
    Impersonation,
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// The user behind the request (the session's user, or the token's creator).
    pub user_id: Option<String>,
    pub token_id: Option<String>,
    /// The caller's own tenant; `None` for platform principals.
    pub tenant_id: Option<String>,
    pub role: Role,
    /// Email for sessions, token name for tokens: what the audit log shows.
    pub label: String,
    pub csrf_token: Option<String>,
    /// The session id hash, for logout.
    pub session_id: Option<String>,
    /// Requests per minute set by the tenant's plan, overriding the configured limit.
    pub rate_limit: Option<u32>,
    /// When the credential expires (RFC 3339), if it does.
    pub expires_at: Option<String>,
}

impl Principal {
    /// The permission names the caller holds: its role's, and only the reads when impersonating
    /// (writes are refused whatever the role).
    pub fn permissions(&self) -> Vec<String> {
        let all = super::perms::permissions_of(self.role);
        match self.kind {
            PrincipalKind::Impersonation => all.into_iter().filter(|name| name.ends_with(":read")).collect(),
            _ => all,
        }
    }

    /// A stable key for per-principal state (rate limits, idempotency).
    pub fn key(&self) -> String {
        match (&self.token_id, &self.session_id) {
            (Some(t), _) => format!("token:{t}"),
            (None, Some(s)) => format!("session:{s}"),
            _ => "anonymous".into(),
        }
    }

    pub fn is_platform(&self) -> bool {
        self.role == Role::SuperAdmin && self.tenant_id.is_none()
    }

    /// The audit actor for this principal.
    pub fn actor(&self) -> crate::domains::audit::Actor {
        use crate::domains::audit::{Actor, ActorType};
        let (actor_type, id) = match self.kind {
            PrincipalKind::Session => (ActorType::Human, self.user_id.clone()),
            PrincipalKind::Token => (ActorType::Token, self.token_id.clone()),
            PrincipalKind::Impersonation => (ActorType::Human, self.user_id.clone()),
        };
        Actor { actor_type, id, label: self.label.clone() }
    }
}

/// The resolved caller of this request (or why its credential was refused), stored in the
/// request's extensions by the `authenticate` middleware.
#[derive(Debug, Clone)]
pub struct Caller(pub Result<Option<Principal>, ApiError>);

impl Caller {
    /// The principal, if the request carried a valid credential.
    pub fn principal(&self) -> Option<&Principal> {
        self.0.as_ref().ok().and_then(Option::as_ref)
    }
}

/// Reads the credential of a request: `Authorization: Bearer …` or the session cookie.
pub enum Credential {
    Bearer(String),
    Session(String),
    None,
}

pub fn credential(req: &Request) -> Result<Credential, ApiError> {
    if let Some(value) = req.headers().get("authorization") {
        let value = value.to_str().map_err(|_| ApiError::unauthorized("Malformed Authorization header"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::unauthorized("Authorization must be `Bearer <token>`"))?;
        return Ok(Credential::Bearer(token.to_string()));
    }
    let session = req
        .headers()
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_string());
    Ok(session.map(Credential::Session).unwrap_or(Credential::None))
}

/// Resolves the principal of a request (once; the middleware caches it).
pub async fn resolve(state: &AppState, req: &Request) -> Result<Option<Principal>, ApiError> {
    let principal = match credential(req)? {
        Credential::None => return Ok(None),
        Credential::Bearer(secret) if secret.starts_with(crate::crypto::impersonation::PREFIX) => {
            impersonator(state, req, &secret).await?
        }
        Credential::Bearer(secret) => lookup(state, &secret, auth_store::principal_by_token).await?,
        Credential::Session(secret) => lookup(state, &secret, auth_store::principal_by_session).await?,
    };
    let principal = principal.ok_or_else(|| ApiError::unauthorized("Invalid or expired credentials"))?;
    if let Some(token_id) = principal.token_id.clone() {
        state.token_usage.touch(&state.db, token_id).await;
    }
    if principal.kind == PrincipalKind::Session && !is_safe(req.method()) {
        let sent = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
        let expected = principal.csrf_token.as_deref().unwrap_or("");
        if expected.is_empty() || !crate::crypto::constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
            return Err(ApiError::new(Code::CsrfFailed, "Missing or wrong X-CSRF-Token header"));
        }
    }
    if principal.kind == PrincipalKind::Impersonation && !is_safe(req.method()) {
        return Err(ApiError::new(Code::ReadOnlyToken, "Impersonation tokens are read-only"));
    }
    Ok(Some(principal))
}

/// The principal of a token or session secret: from the cache when nothing it was built from has
/// changed since (see `principal_cache.rs`), else from the database.
async fn lookup(
    state: &AppState,
    secret: &str,
    find: fn(&rusqlite::Connection, &str) -> Result<Option<Principal>, ApiError>,
) -> Result<Option<Principal>, ApiError> {
    let hash = crate::crypto::sha256_hex(secret.as_bytes());
    let epoch = state.db.auth_epoch();
    if let Some(p) = state.principals.get(&hash, epoch) {
        return Ok(Some(p));
    }
    let found = state.db.read_key(|c| find(c, &hash))?;
    if let Some(p) = &found {
        state.principals.put(hash, epoch, p);
    }
    Ok(found)
}

/// The principal of an impersonation token: read-only admin of one tenant. Every request made
/// with one is audited, whatever its outcome.
async fn impersonator(state: &AppState, req: &Request, token: &str) -> Result<Option<Principal>, ApiError> {
    let now = chrono::Utc::now().timestamp();
    let Some(claims) = crate::crypto::impersonation::verify(&state.master_key, token, now) else {
        return Ok(None);
    };
    let actor = crate::domains::audit::Actor {
        actor_type: crate::domains::audit::ActorType::Human,
        id: claims.sub.clone(),
        label: format!("{} (impersonating)", claims.label),
    };
    let (tenant, method, path) = (claims.tid.clone(), req.method().to_string(), req.uri().path().to_string());
    state
        .db
        .write(move |tx| {
            let mut entry =
                crate::domains::audit::Entry::new(Some(&tenant), "impersonation.request", "tenant", &tenant);
            entry.after = Some(serde_json::json!({ "method": method, "path": path }));
            crate::domains::audit::store::record(tx, &actor, entry).map(|_| ())
        })
        .await?;
    Ok(Some(Principal {
        kind: PrincipalKind::Impersonation,
        user_id: claims.sub,
        token_id: Some(claims.jti),
        tenant_id: Some(claims.tid),
        role: Role::Admin,
        label: format!("{} (impersonating)", claims.label),
        csrf_token: None,
        session_id: None,
        rate_limit: None,
        expires_at: None,
    }))
}

pub fn is_safe(method: &poem::http::Method) -> bool {
    matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS")
}

fn state_of(req: &Request) -> Result<&AppState, ApiError> {
    req.data::<AppState>().ok_or_else(|| ApiError::internal("AppState missing from request data"))
}

fn caller(req: &Request) -> Result<Principal, ApiError> {
    match req.extensions().get::<Caller>() {
        Some(Caller(Ok(Some(p)))) => Ok(p.clone()),
        Some(Caller(Err(e))) => Err(e.clone()),
        _ => Err(ApiError::unauthorized("Authentication required")),
    }
}

/// Checks one permission against the principal's role: the single enforcement point.
pub fn authorize(principal: &Principal, perm: Perm) -> Result<(), ApiError> {
    if perm.granted_to(principal.role) { Ok(()) } else { Err(ApiError::forbidden(perm.describe())) }
}

/// The tenant a request acts on: the principal's own, or for a platform principal the one named
/// by `X-Tenant-Id` / `x-workspace-id` / `organizationId` / `tenantId`.
async fn resolve_tenant(state: &AppState, req: &Request, principal: &Principal) -> Result<String, ApiError> {
    if let Some(t) = &principal.tenant_id {
        return Ok(t.clone());
    }
    let named = ["x-tenant-id", "x-workspace-id"]
        .iter()
        .find_map(|h| req.headers().get(*h).and_then(|v| v.to_str().ok()).map(str::to_string))
        .or_else(|| {
            super::list::query_pairs(req)
                .into_iter()
                .find(|(k, _)| k == "organizationId" || k == "tenantId")
                .map(|(_, v)| v)
        });
    let Some(named) = named else {
        return Err(ApiError::new(
            Code::TenantRequired,
            "A platform principal must name the tenant with the X-Tenant-Id header",
        ));
    };
    let id = named.trim().to_string();
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(ApiError::field("X-Tenant-Id", "must be a UUID"));
    }
    let exists = {
        let id = id.clone();
        state.db.read(move |c| auth_store::tenant_exists(c, &id)).await?
    };
    if !exists {
        return Err(ApiError::not_found("Tenant"));
    }
    Ok(id)
}

/// A request authorised for permission `P` on one tenant's content.
pub struct Tenant<P: Permission> {
    pub principal: Principal,
    pub tenant_id: String,
    _perm: PhantomData<P>,
}

impl<P: Permission> Tenant<P> {
    pub fn actor(&self) -> crate::domains::audit::Actor {
        self.principal.actor()
    }

    /// Bodies may name their tenant (`organizationId`, as the seeds do); it must be this one.
    pub fn check_named(&self, named: Option<&str>) -> Result<(), ApiError> {
        match named {
            Some(n) if !n.eq_ignore_ascii_case(&self.tenant_id) => {
                Err(ApiError::field("organizationId", "does not match the tenant of this request"))
            }
            _ => Ok(()),
        }
    }
}

/// A request by a platform operator (`platform:*`).
pub struct Platform {
    pub principal: Principal,
}

/// Any authenticated request.
pub struct Authed {
    pub principal: Principal,
}

fn register_schemes(registry: &mut Registry) {
    registry.create_security_scheme(
        BEARER_SCHEME,
        MetaSecurityScheme {
            ty: "http",
            description: Some("An API token: `Authorization: Bearer <token>`"),
            name: None,
            key_in: None,
            scheme: Some("bearer"),
            bearer_format: None,
            flows: None,
            openid_connect_url: None,
        },
    );
    registry.create_security_scheme(
        COOKIE_SCHEME,
        MetaSecurityScheme {
            ty: "apiKey",
            description: Some(
                "The session cookie set by POST /api/v1/auth/login; unsafe methods also need X-CSRF-Token",
            ),
            name: Some(SESSION_COOKIE),
            key_in: Some("cookie"),
            scheme: None,
            bearer_format: None,
            flows: None,
            openid_connect_url: None,
        },
    );
}

macro_rules! security_extractor {
    ($ty:ty, [$($bounds:tt)*], |$req:ident| $body:block) => {
        impl<'a, $($bounds)*> ApiExtractor<'a> for $ty {
            const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
            type ParamType = ();
            type ParamRawType = ();

            fn register(registry: &mut Registry) {
                register_schemes(registry);
            }

            fn security_schemes() -> Vec<&'static str> {
                vec![BEARER_SCHEME, COOKIE_SCHEME]
            }

            async fn from_request(
                $req: &'a Request,
                _body: &mut RequestBody,
                _opts: ExtractParamOptions<()>,
            ) -> poem::Result<Self> {
                let out: Result<Self, ApiError> = async $body.await;
                out.map_err(Into::into)
            }
        }
    };
}

security_extractor!(Tenant<P>, [P: Permission], |req| {
    let state = state_of(req)?;
    let principal = caller(req)?;
    debug_assert_eq!(P::PERM.scope(), Scope::Tenant);
    authorize(&principal, P::PERM)?;
    let tenant_id = resolve_tenant(state, req, &principal).await?;
    let operator = principal.tenant_id.is_none() || principal.kind == PrincipalKind::Impersonation;
    if operator && is_safe(req.method()) {
        record_content_read(state, req, &principal, &tenant_id).await?;
    }
    Ok(Tenant { principal, tenant_id, _perm: PhantomData })
});

security_extractor!(Platform, [], |req| {
    let principal = caller(req)?;
    authorize(&principal, Perm::Platform)?;
    Ok(Platform { principal })
});

security_extractor!(Authed, [], |req| {
    let principal = caller(req)?;
    Ok(Authed { principal })
});

/// Records that a platform principal read a tenant's content.
async fn record_content_read(
    state: &AppState,
    req: &Request,
    principal: &Principal,
    tenant_id: &str,
) -> Result<(), ApiError> {
    let path = req.uri().path().to_string();
    let mut segments = path.trim_start_matches("/api/v1/").split('/');
    let resource_type = segments.next().unwrap_or("").to_string();
    let resource_id = segments.next().map(str::to_string);
    let reason = req
        .headers()
        .get("x-access-reason")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(500).collect::<String>());
    let read = crate::domains::audit::ContentRead {
        tenant_id: tenant_id.to_string(),
        actor: principal.actor(),
        method: req.method().to_string(),
        path,
        resource_type,
        resource_id,
        reason,
        request_id: super::request_id::current(),
    };
    state.db.write(move |tx| crate::domains::audit::store::insert_content_read(tx, &read)).await
}
