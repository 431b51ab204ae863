//! API tokens of a tenant: `GET/POST /tokens`, `GET/DELETE /tokens/{id}`. The secret is shown
//! once, at creation; a token's role never exceeds its creator's; revocation is immediate.

pub mod store;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rusqlite::Row;
use serde::Deserialize;

use crate::db::list::{Extra, Filter, FilterKind, Resource, Scope, Sort, get, list};
use crate::domains::audit::{self, Entry};
use crate::http::auth::Tenant;
use crate::http::body::JsonBody;
use crate::http::error::{ApiError, FieldErrors};
use crate::http::list::{ListParams, Listed};
use crate::http::perms::{Role, perm};
use crate::http::respond::{ApiResult, Created, Deleted, path_id};
use crate::http::tags::Tag;
use crate::http::validate;
use crate::state::AppState;

/// An API token (without its secret).
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct Token {
    pub id: String,
    /// Null for platform tokens.
    pub tenant_id: Option<String>,
    pub name: String,
    pub role: Role,
    /// The first characters of the secret, to recognise it.
    pub prefix: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    /// Set once the token is revoked; it no longer works.
    pub revoked_at: Option<String>,
    pub created_by_user_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource for Token {
    const NAME: &'static str = "Token";
    const FROM: &'static str = "api_tokens";
    const COUNTED: bool = true;
    const COLUMNS: &'static str = "id, tenant_id, name, role, prefix, expires_at, last_used_at, revoked_at, created_by_user_id, created_at, updated_at";
    const ID: &'static str = "id";
    const CREATED: &'static str = "created_at";
    const TENANT: Option<&'static str> = Some("tenant_id");
    const SORTS: &'static [Sort] = &[
        Sort { param: "createdAt", column: "created_at" },
        Sort { param: "updatedAt", column: "updated_at" },
        Sort { param: "name", column: "name" },
    ];
    const FILTERS: &'static [Filter] =
        &[Filter { param: "role", column: "role", kind: FilterKind::Enum(&["admin", "member", "guest"]) }];
    const SEARCH: &'static [&'static str] = &["name"];

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(Token {
            id: row.get(0)?,
            tenant_id: row.get(1)?,
            name: row.get(2)?,
            role: Role::parse(&row.get::<_, String>(3)?).unwrap_or(Role::Guest),
            prefix: row.get(4)?,
            expires_at: row.get(5)?,
            last_used_at: row.get(6)?,
            revoked_at: row.get(7)?,
            created_by_user_id: row.get(8)?,
            created_at: row.get(9)?,
            updated_at: row.get(10)?,
        })
    }
}

/// A new token and, this once, its secret.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct CreatedToken {
    /// The secret: `Authorization: Bearer <token>`. It is not shown again.
    pub token: String,
    #[oai(flatten)]
    pub info: Token,
}

/// Create a token.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateToken {
    pub name: String,
    /// Defaults to your own role (at most `admin`); never above it.
    #[serde(default)]
    pub role: Option<Role>,
    /// RFC 3339 time after which the token stops working.
    #[serde(default)]
    pub expires_at: Option<String>,
}

const STANDARD: &str = "kind = 'standard'";

pub struct TokensApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Tokens")]
impl TokensApi {
    /// List the tenant's API tokens
    #[oai(path = "/tokens", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::TokensRead>,
        q: ListParams<Token>,
    ) -> ApiResult<Listed<Token>> {
        let (q, tenant) = (q.into_inner(), ctx.tenant_id);
        state
            .db
            .read(move |c| {
                list(c, Scope::Tenant(&tenant), &q, Extra::default().and(STANDARD, [])).map(|p| Listed::new(&q, p))
            })
            .await
    }

    /// Create an API token
    ///
    /// The response carries the secret `token` once; only its SHA-256 is stored.
    #[oai(path = "/tokens", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::TokensWrite>,
        body: JsonBody<CreateToken>,
    ) -> ApiResult<Created<CreatedToken>> {
        let b = body.0;
        let mut errors = FieldErrors::new();
        validate::name(&mut errors, "name", &b.name, 100);
        let expires_at = b.expires_at.as_deref().and_then(|e| validate::future_time(&mut errors, "expiresAt", e));
        errors.finish()?;
        let ceiling = ctx.principal.role.min(Role::Admin);
        let role = b.role.unwrap_or(ceiling);
        if role > ceiling {
            return Err(ApiError::forbidden(format!(
                "Forbidden: a token's role cannot exceed your own (highest: {})",
                ceiling.as_str()
            )));
        }
        let secret = store::new_secret(false);
        let actor = ctx.actor();
        let (tenant, user, token_id) = (ctx.tenant_id, ctx.principal.user_id, ctx.principal.token_id);
        let token = {
            let secret = secret.clone();
            state
                .db
                .write(move |tx| {
                    let token = store::insert(
                        tx,
                        store::NewToken {
                            tenant_id: Some(&tenant),
                            name: b.name.trim(),
                            role,
                            kind: "standard",
                            created_by_user_id: user.as_deref(),
                            created_by_token_id: token_id.as_deref(),
                            expires_at: expires_at.as_deref(),
                        },
                        &secret,
                    )?;
                    audit::store::record(
                        tx,
                        &actor,
                        Entry::new(Some(&tenant), "token.created", "token", &token.id).after(&token),
                    )?;
                    Ok(token)
                })
                .await?
        };
        Ok(Created::at(format!("/api/v1/tokens/{}", token.id), CreatedToken { token: secret, info: token }))
    }

    /// Get an API token
    #[oai(path = "/tokens/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::TokensRead>,
        id: Path<String>,
    ) -> ApiResult<Json<Token>> {
        let id = path_id(&id, Token::NAME)?;
        Ok(Json(state.db.fetch::<Token>(Some(ctx.tenant_id), id).await?))
    }

    /// Revoke an API token
    ///
    /// Takes effect on the token's next request.
    #[oai(path = "/tokens/:id", method = "delete")]
    async fn revoke(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::TokensWrite>,
        id: Path<String>,
    ) -> ApiResult<Json<Deleted>> {
        let id = path_id(&id, Token::NAME)?;
        let actor = ctx.actor();
        let tenant = ctx.tenant_id;
        let id2 = id.clone();
        state
            .db
            .write(move |tx| {
                let before = get::<Token>(tx, Scope::Tenant(&tenant), &id2)?;
                let after = store::revoke(tx, &tenant, &id2)?;
                audit::store::record(
                    tx,
                    &actor,
                    Entry::new(Some(&tenant), "token.revoked", "token", &id2).before(&before).after(&after),
                )
            })
            .await?;
        Ok(Deleted::of(id))
    }
}
