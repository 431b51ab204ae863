//! The audit log (append-only, hash-chained) and the record of platform reads of tenant
//! content: `GET /audit-log`, `GET /me/content-reads`, `GET /platform/audit-log`,
//! `GET /platform/tenants/{id}/audit-log`.

pub mod store;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use rusqlite::Row;
use serde_json::Value;

use crate::db::list::{Extra, Filter, FilterKind, Resource, Scope, Sort, get, list};
use crate::http::auth::{Platform, Tenant};
use crate::http::list::{ListParams, Listed};
use crate::http::perms::perm;
use crate::http::respond::{ApiResult, path_id};
use crate::http::tags::Tag;
use crate::state::AppState;

/// Who did something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum ActorType {
    Human,
    Agent,
    Token,
    System,
}

impl ActorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::Human => "human",
            ActorType::Agent => "agent",
            ActorType::Token => "token",
            ActorType::System => "system",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "human" => ActorType::Human,
            "agent" => ActorType::Agent,
            "token" => ActorType::Token,
            _ => ActorType::System,
        }
    }
}

/// The actor of an audited change.
#[derive(Debug, Clone)]
pub struct Actor {
    pub actor_type: ActorType,
    pub id: Option<String>,
    pub label: String,
}

impl Actor {
    /// The appliance itself (CLI commands, start-up, scheduled work).
    pub fn system(label: &str) -> Self {
        Actor { actor_type: ActorType::System, id: None, label: label.to_string() }
    }
}

/// One change to record. `before` / `after` are the API shapes, which never hold secrets.
pub struct Entry<'a> {
    pub tenant_id: Option<&'a str>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<&'a str>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<&'a str>,
}

impl<'a> Entry<'a> {
    pub fn new(tenant_id: Option<&'a str>, action: &'a str, target_type: &'a str, target_id: &'a str) -> Self {
        Entry { tenant_id, action, target_type, target_id: Some(target_id), before: None, after: None, reason: None }
    }

    pub fn before<T: poem_openapi::types::ToJSON>(mut self, v: &T) -> Self {
        self.before = v.to_json();
        self
    }

    pub fn after<T: poem_openapi::types::ToJSON>(mut self, v: &T) -> Self {
        self.after = v.to_json();
        self
    }

    /// Marks a write-only field in `after`: `"[redacted]"` (or null when unset) and whether this
    /// change touched it, so the log shows that a secret changed but never the secret.
    pub fn secret(mut self, field: &str, present: bool, changed: bool) -> Self {
        if let Some(Value::Object(m)) = self.after.as_mut() {
            m.insert(field.to_string(), if present { Value::from("[redacted]") } else { Value::Null });
            m.insert(format!("{field}Changed"), Value::from(changed));
        }
        self
    }

    pub fn reason(mut self, r: Option<&'a str>) -> Self {
        self.reason = r;
        self
    }
}

/// Deletes one `R` (of `tenant`, or any when `None`) and records `<target>.deleted` with its
/// last state, inside the caller's transaction.
pub fn delete_recorded<R: Resource + poem_openapi::types::ToJSON>(
    tx: &rusqlite::Connection,
    tenant: Option<&str>,
    id: &str,
    actor: &Actor,
    target: &str,
) -> Result<(), crate::http::error::ApiError> {
    let scope = tenant.map_or(Scope::AnyTenant, Scope::Tenant);
    let before = get::<R>(tx, scope, id)?;
    crate::db::list::delete_row(tx, R::TABLE, tenant, id, R::NAME)?;
    let action = format!("{target}.deleted");
    store::record(tx, actor, Entry::new(tenant, &action, target, id).before(&before))?;
    Ok(())
}

/// A read of tenant content by a platform principal.
pub struct ContentRead {
    pub tenant_id: String,
    pub actor: Actor,
    pub method: String,
    pub path: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub reason: Option<String>,
    pub request_id: Option<String>,
}

/// An audit record.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct AuditRecord {
    pub id: String,
    /// Position in the hash chain.
    pub seq: i64,
    pub tenant_id: Option<String>,
    pub actor_type: ActorType,
    pub actor_id: Option<String>,
    /// Email of a human, name of a token.
    pub actor_label: String,
    /// e.g. `environment.created`, `tenant.updated`.
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    /// State before the change (secrets shown as "[redacted]").
    pub before: Option<Value>,
    /// State after the change.
    pub after: Option<Value>,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub created_at: String,
    pub prev_hash: String,
    pub hash: String,
}

fn json_col(row: &Row, i: usize) -> rusqlite::Result<Option<Value>> {
    Ok(row.get::<_, Option<String>>(i)?.and_then(|s| serde_json::from_str(&s).ok()))
}

impl Resource for AuditRecord {
    const NAME: &'static str = "Audit record";
    const FROM: &'static str = "audit_log";
    const COUNTED: bool = true;
    const COLUMNS: &'static str = "id, seq, tenant_id, actor_type, actor_id, actor_label, action, target_type, \
        target_id, before_json, after_json, reason, request_id, created_at, prev_hash, hash";
    const ID: &'static str = "id";
    const CREATED: &'static str = "created_at";
    const TENANT: Option<&'static str> = Some("tenant_id");
    const SORTS: &'static [Sort] = &[
        Sort { param: "createdAt", column: "created_at" },
        Sort { param: "seq", column: "seq" },
        Sort { param: "action", column: "action" },
    ];
    const FILTERS: &'static [Filter] = &[
        Filter {
            param: "actorType",
            column: "actor_type",
            kind: FilterKind::Enum(&["human", "agent", "token", "system"]),
        },
        Filter { param: "action", column: "action", kind: FilterKind::Text },
        Filter { param: "targetType", column: "target_type", kind: FilterKind::Text },
        Filter { param: "targetId", column: "target_id", kind: FilterKind::Text },
        Filter { param: "actorId", column: "actor_id", kind: FilterKind::Text },
    ];
    const SEARCH: &'static [&'static str] = &["action", "actor_label"];

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(AuditRecord {
            id: row.get(0)?,
            seq: row.get(1)?,
            tenant_id: row.get(2)?,
            actor_type: ActorType::parse(&row.get::<_, String>(3)?),
            actor_id: row.get(4)?,
            actor_label: row.get(5)?,
            action: row.get(6)?,
            target_type: row.get(7)?,
            target_id: row.get(8)?,
            before: json_col(row, 9)?,
            after: json_col(row, 10)?,
            reason: row.get(11)?,
            request_id: row.get(12)?,
            created_at: row.get(13)?,
            prev_hash: row.get(14)?,
            hash: row.get(15)?,
        })
    }
}

/// A recorded read of this tenant's content by a platform operator.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct ContentReadRecord {
    pub id: String,
    pub actor_type: ActorType,
    pub actor_id: Option<String>,
    pub actor_label: String,
    pub method: String,
    pub path: String,
    /// First path segment after /api/v1, e.g. `environments`.
    pub resource_type: String,
    pub resource_id: Option<String>,
    /// The `X-Access-Reason` header the operator gave.
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub created_at: String,
}

impl Resource for ContentReadRecord {
    const NAME: &'static str = "Content read";
    const FROM: &'static str = "content_reads";
    const COUNTED: bool = true;
    const COLUMNS: &'static str = "id, actor_type, actor_id, actor_label, method, path, resource_type, resource_id, reason, request_id, created_at";
    const ID: &'static str = "id";
    const CREATED: &'static str = "created_at";
    const TENANT: Option<&'static str> = Some("tenant_id");
    const SORTS: &'static [Sort] = &[Sort { param: "createdAt", column: "created_at" }];
    const FILTERS: &'static [Filter] = &[
        Filter { param: "resourceType", column: "resource_type", kind: FilterKind::Text },
        Filter { param: "actorId", column: "actor_id", kind: FilterKind::Text },
    ];
    const SEARCH: &'static [&'static str] = &["path", "actor_label"];

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(ContentReadRecord {
            id: row.get(0)?,
            actor_type: ActorType::parse(&row.get::<_, String>(1)?),
            actor_id: row.get(2)?,
            actor_label: row.get(3)?,
            method: row.get(4)?,
            path: row.get(5)?,
            resource_type: row.get(6)?,
            resource_id: row.get(7)?,
            reason: row.get(8)?,
            request_id: row.get(9)?,
            created_at: row.get(10)?,
        })
    }
}

pub struct AuditApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Audit")]
impl AuditApi {
    /// List the tenant's audit log
    ///
    /// Every change in the tenant, newest first. Filters: `actorType`, `action`, `targetType`,
    /// `targetId`, `actorId`, `createdAfter`, `createdBefore`.
    #[oai(path = "/audit-log", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::AuditRead>,
        q: ListParams<AuditRecord>,
    ) -> ApiResult<Listed<AuditRecord>> {
        let q = q.into_inner();
        let tenant = ctx.tenant_id;
        let page = state
            .db
            .read(move |c| {
                list::<AuditRecord>(c, Scope::Tenant(&tenant), &q, Extra::default()).map(|p| Listed::new(&q, p))
            })
            .await?;
        Ok(page)
    }

    /// Get one audit record of the tenant
    #[oai(path = "/audit-log/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::AuditRead>,
        id: Path<String>,
    ) -> ApiResult<Json<AuditRecord>> {
        let id = path_id(&id, AuditRecord::NAME)?;
        Ok(Json(state.db.fetch::<AuditRecord>(Some(ctx.tenant_id), id).await?))
    }

    /// List platform reads of this tenant's content
    ///
    /// Every read of the tenant's content by a platform operator: who, when, what, and the
    /// `X-Access-Reason` they gave.
    #[oai(path = "/me/content-reads", method = "get")]
    async fn content_reads(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::AuditRead>,
        q: ListParams<ContentReadRecord>,
    ) -> ApiResult<Listed<ContentReadRecord>> {
        state.db.page(Some(ctx.tenant_id), q.into_inner(), Extra::default()).await
    }

    /// List the whole platform's audit log
    #[oai(path = "/platform/audit-log", method = "get", tag = "Tag::Platform")]
    async fn platform_list(
        &self,
        state: Data<&AppState>,
        _ctx: Platform,
        q: ListParams<AuditRecord>,
    ) -> ApiResult<Listed<AuditRecord>> {
        state.db.page(None, q.into_inner(), Extra::default()).await
    }

    /// List one tenant's audit log
    #[oai(path = "/platform/tenants/:id/audit-log", method = "get", tag = "Tag::Platform")]
    async fn tenant_log(
        &self,
        state: Data<&AppState>,
        _ctx: Platform,
        id: Path<String>,
        q: ListParams<AuditRecord>,
    ) -> ApiResult<Listed<AuditRecord>> {
        let tenant = path_id(&id, "Tenant")?;
        let q = q.into_inner();
        state
            .db
            .read(move |c| {
                crate::domains::tenants::store::require(c, &tenant)?;
                list(c, Scope::Tenant(&tenant), &q, Extra::default()).map(|p| Listed::new(&q, p))
            })
            .await
    }
}
