//! Users SQL.

use crate::db::Cached;
use rusqlite::{Connection, OptionalExtension, params};

use super::User;
use crate::db::list::{Resource, Scope, get};
use crate::db::{new_id, now};
use crate::http::error::ApiError;
use crate::http::perms::Role;

pub struct NewUser<'a> {
    pub tenant_id: Option<&'a str>,
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub status: &'a str,
    pub password_hash: Option<String>,
}

/// Inserts a user; 409 `already_exists` when the email is taken anywhere on the platform.
pub fn insert(tx: &Connection, u: NewUser) -> Result<User, ApiError> {
    let id = new_id();
    let ts = now();
    let email = u.email.trim().to_lowercase();
    if email_taken(tx, &email)? {
        return Err(ApiError::taken("email", "already taken", format!("A user with email {email} already exists")));
    }
    tx.execute_cached(
        "INSERT INTO users (id, tenant_id, email, name, role, status, password_hash, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![id, u.tenant_id, email, u.name, u.role.as_str(), u.status, u.password_hash, ts],
    )?;
    get::<User>(tx, Scope::AnyTenant, &id)
}

pub fn email_taken(conn: &Connection, email: &str) -> Result<bool, ApiError> {
    Ok(conn
        .query_row_cached("SELECT 1 FROM users WHERE email = ?1", [email.trim().to_lowercase()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Applies the given changes to a user of the scope.
pub fn update(
    tx: &Connection,
    scope: Scope,
    id: &str,
    name: Option<&str>,
    role: Option<Role>,
    status: Option<&str>,
    password_hash: Option<String>,
) -> Result<User, ApiError> {
    let tenant = match scope {
        Scope::Tenant(t) => Some(t),
        Scope::AnyTenant => None,
    };
    let n = tx.execute_cached(
        "UPDATE users SET name = COALESCE(?3, name), role = COALESCE(?4, role), status = COALESCE(?5, status),
                password_hash = COALESCE(?6, password_hash), updated_at = ?7
          WHERE id = ?1 AND (?2 IS NULL OR tenant_id = ?2)",
        params![id, tenant, name, role.map(Role::as_str), status, password_hash, now()],
    )?;
    if n == 0 {
        return Err(ApiError::not_found(User::NAME));
    }
    if matches!(status, Some("suspended") | Some("deactivated")) {
        end_sessions(tx, id)?;
    }
    get::<User>(tx, scope, id)
}

/// Ends every session of a user at once.
pub fn end_sessions(tx: &Connection, user_id: &str) -> Result<usize, ApiError> {
    Ok(tx.execute_cached("DELETE FROM sessions WHERE user_id = ?1", [user_id])?)
}

/// Deletes a user of the tenant and revokes the tokens they created.
pub fn delete(tx: &Connection, tenant: &str, id: &str) -> Result<(), ApiError> {
    let ts = now();
    tx.execute_cached(
        "UPDATE api_tokens SET revoked_at = ?2, updated_at = ?2 WHERE created_by_user_id = ?1 AND revoked_at IS NULL",
        params![id, ts],
    )?;
    crate::db::list::delete_row(tx, "users", Some(tenant), id, User::NAME)
}

/// The login record of an email: (user id, password hash, status, tenant status).
pub struct LoginRecord {
    pub id: String,
    pub password_hash: Option<String>,
    pub status: String,
    pub tenant_status: Option<String>,
}

pub fn login_record(conn: &Connection, email: &str) -> Result<Option<LoginRecord>, ApiError> {
    Ok(conn
        .query_row_cached(
            "SELECT u.id, u.password_hash, u.status, t.status
               FROM users u LEFT JOIN tenants t ON t.id = u.tenant_id WHERE u.email = ?1",
            [email],
            |r| {
                Ok(LoginRecord { id: r.get(0)?, password_hash: r.get(1)?, status: r.get(2)?, tenant_status: r.get(3)? })
            },
        )
        .optional()?)
}

pub fn mark_login(tx: &Connection, id: &str) -> Result<(), ApiError> {
    tx.execute_cached("UPDATE users SET last_login_at = ?2 WHERE id = ?1", params![id, now()])?;
    Ok(())
}

/// Whether any platform operator exists.
pub fn has_super_admin(conn: &Connection) -> Result<bool, rusqlite::Error> {
    conn.query_row_cached("SELECT COUNT(*) FROM users WHERE role = 'super_admin'", [], |r| r.get::<_, i64>(0))
        .map(|n| n > 0)
}
