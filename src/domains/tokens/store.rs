//! API token SQL. Only the SHA-256 of a token's secret is stored.

use crate::db::Cached;
use rusqlite::{Connection, OptionalExtension, params};

use super::Token;
use crate::db::list::{Resource, Scope, get};
use crate::db::{new_id, now};
use crate::http::error::ApiError;
use crate::http::perms::Role;

pub struct NewToken<'a> {
    pub tenant_id: Option<&'a str>,
    pub name: &'a str,
    pub role: Role,
    pub kind: &'a str,
    pub created_by_user_id: Option<&'a str>,
    pub created_by_token_id: Option<&'a str>,
    pub expires_at: Option<&'a str>,
}

/// Makes a new secret for a token: `aat_…` (tenant) or `aap_…` (platform).
pub fn new_secret(platform: bool) -> String {
    format!("{}{}", if platform { "aap_" } else { "aat_" }, crate::crypto::random_secret())
}

/// How much of a secret is kept to recognise it in lists.
pub fn prefix_of(secret: &str) -> String {
    secret.chars().take(12).collect()
}

/// Stores a token for `secret` (hashed) and returns it.
pub fn insert(tx: &Connection, t: NewToken, secret: &str) -> Result<Token, ApiError> {
    let id = new_id();
    let ts = now();
    tx.execute_cached(
        "INSERT INTO api_tokens (id, tenant_id, name, role, kind, prefix, token_hash, created_by_user_id,
            created_by_token_id, expires_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        params![
            id,
            t.tenant_id,
            t.name,
            t.role.as_str(),
            t.kind,
            prefix_of(secret),
            crate::crypto::sha256_hex(secret.as_bytes()),
            t.created_by_user_id,
            t.created_by_token_id,
            t.expires_at,
            ts
        ],
    )?;
    get::<Token>(tx, Scope::AnyTenant, &id)
}

/// Whether a token with this secret is already registered.
pub fn exists_for_secret(conn: &Connection, secret: &str) -> Result<bool, rusqlite::Error> {
    conn.query_row_cached(
        "SELECT 1 FROM api_tokens WHERE token_hash = ?1",
        [crate::crypto::sha256_hex(secret.as_bytes())],
        |_| Ok(()),
    )
    .optional()
    .map(|r| r.is_some())
}

/// Revokes a live token of the tenant; 404 if there is none.
pub fn revoke(tx: &Connection, tenant: &str, id: &str) -> Result<Token, ApiError> {
    let ts = now();
    let n = tx.execute_cached(
        "UPDATE api_tokens SET revoked_at = ?3, updated_at = ?3
          WHERE id = ?1 AND tenant_id = ?2 AND revoked_at IS NULL AND kind = 'standard'",
        params![id, tenant, ts],
    )?;
    if n == 0 {
        return Err(ApiError::not_found(Token::NAME));
    }
    get::<Token>(tx, Scope::Tenant(tenant), id)
}

pub fn touch(tx: &Connection, id: &str) -> Result<(), ApiError> {
    tx.prepare_cached("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1")?.execute(params![id, now()])?;
    Ok(())
}
