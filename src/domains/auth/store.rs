//! Credential lookups: API tokens and sessions to principals, and session rows.

use crate::db::Cached;
use rusqlite::{Connection, OptionalExtension, params};

use crate::db::now;
use crate::http::auth::{Principal, PrincipalKind};
use crate::http::error::{ApiError, Code};
use crate::http::perms::Role;

/// Refuses principals whose tenant or user is blocked.
fn check_blocked(tenant_status: Option<&str>, user_status: Option<&str>) -> Result<(), ApiError> {
    match tenant_status {
        Some("suspended") => return Err(ApiError::new(Code::TenantSuspended, "This tenant is suspended")),
        Some("cancelled") => return Err(ApiError::new(Code::TenantSuspended, "This tenant is cancelled")),
        _ => {}
    }
    match user_status {
        Some("suspended") => Err(ApiError::new(Code::UserSuspended, "This user is suspended")),
        Some("deactivated") => Err(ApiError::new(Code::UserSuspended, "This user is deactivated")),
        _ => Ok(()),
    }
}

/// The principal of an API token, by the SHA-256 of its secret. `None` when unknown, revoked or
/// expired.
pub fn principal_by_token(conn: &Connection, hash: &str) -> Result<Option<Principal>, ApiError> {
    let row = conn
        .prepare_cached(
            "SELECT t.id, t.tenant_id, t.name, t.role, t.kind, t.expires_at, t.revoked_at, t.created_by_user_id,
                    tn.status, u.status, p.rate_limit_per_minute
               FROM api_tokens t
               LEFT JOIN tenants tn ON tn.id = t.tenant_id
               LEFT JOIN plans p ON p.id = tn.plan_id
               LEFT JOIN users u ON u.id = t.created_by_user_id
              WHERE t.token_hash = ?1",
        )?
        .query_row([hash], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, Option<i64>>(10)?,
            ))
        })
        .optional()?;
    let Some((id, tenant_id, name, role, kind, expires_at, revoked_at, user_id, tenant_status, user_status, rate)) =
        row
    else {
        return Ok(None);
    };
    if revoked_at.is_some() || expires_at.as_deref().is_some_and(|e| e <= now().as_str()) {
        return Ok(None);
    }
    let kind = if kind == "impersonation" { PrincipalKind::Impersonation } else { PrincipalKind::Token };
    if kind != PrincipalKind::Impersonation {
        check_blocked(tenant_status.as_deref(), user_status.as_deref())?;
    }
    Ok(Some(Principal {
        kind,
        user_id,
        token_id: Some(id),
        tenant_id,
        role: Role::parse(&role).unwrap_or(Role::Guest),
        label: name,
        csrf_token: None,
        session_id: None,
        rate_limit: rate.and_then(|r| u32::try_from(r).ok()),
        expires_at,
    }))
}

/// The principal of a login session, by the SHA-256 of the cookie value.
pub fn principal_by_session(conn: &Connection, hash: &str) -> Result<Option<Principal>, ApiError> {
    let row = conn
        .prepare_cached(
            "SELECT s.user_id, s.csrf_token, s.expires_at, u.tenant_id, u.role, u.email, u.status, tn.status,
                    p.rate_limit_per_minute
               FROM sessions s
               JOIN users u ON u.id = s.user_id
               LEFT JOIN tenants tn ON tn.id = u.tenant_id
               LEFT JOIN plans p ON p.id = tn.plan_id
              WHERE s.id = ?1",
        )?
        .query_row([hash], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<i64>>(8)?,
            ))
        })
        .optional()?;
    let Some((user_id, csrf, expires_at, tenant_id, role, email, user_status, tenant_status, rate)) = row else {
        return Ok(None);
    };
    if expires_at <= now() {
        return Ok(None);
    }
    check_blocked(tenant_status.as_deref(), Some(&user_status))?;
    Ok(Some(Principal {
        kind: PrincipalKind::Session,
        user_id: Some(user_id),
        token_id: None,
        tenant_id,
        role: Role::parse(&role).unwrap_or(Role::Guest),
        label: email,
        csrf_token: Some(csrf),
        session_id: Some(hash.to_string()),
        rate_limit: rate.and_then(|r| u32::try_from(r).ok()),
        expires_at: Some(expires_at),
    }))
}

pub fn tenant_exists(conn: &Connection, id: &str) -> Result<bool, ApiError> {
    Ok(conn.prepare_cached("SELECT 1 FROM tenants WHERE id = ?1")?.query_row([id], |_| Ok(())).optional()?.is_some())
}

pub fn create_session(
    tx: &Connection,
    hash: &str,
    user_id: &str,
    csrf: &str,
    expires_at: &str,
) -> Result<(), ApiError> {
    tx.execute_cached(
        "INSERT INTO sessions (id, user_id, csrf_token, expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![hash, user_id, csrf, expires_at, now()],
    )?;
    Ok(())
}

pub fn session_expiry(conn: &Connection, hash: &str) -> Result<Option<String>, ApiError> {
    Ok(conn.query_row_cached("SELECT expires_at FROM sessions WHERE id = ?1", [hash], |r| r.get(0)).optional()?)
}

pub fn delete_session(tx: &Connection, hash: &str) -> Result<(), ApiError> {
    tx.execute_cached("DELETE FROM sessions WHERE id = ?1", [hash])?;
    Ok(())
}

/// Removes expired sessions; returns how many.
pub fn purge_expired_sessions(conn: &Connection) -> Result<usize, ApiError> {
    Ok(conn.execute_cached("DELETE FROM sessions WHERE expires_at <= ?1", [now()])?)
}
