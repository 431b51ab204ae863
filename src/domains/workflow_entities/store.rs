//! Workflow entity SQL, and the usage of entities by workflows.

use crate::db::Cached;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Argument, WorkflowEntity, WorkflowRef};
use crate::db::list::{Resource, Scope, get};
use crate::db::{new_id, now};
use crate::http::error::ApiError;

pub struct Fields<'a> {
    pub entity_type_id: Option<&'a str>,
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    /// `Some(None)` clears the condition.
    pub condition: Option<Option<String>>,
    pub script: Option<Option<&'a str>>,
    pub tf_condition: Option<Option<&'a str>>,
    pub arguments: Option<&'a [Argument]>,
}

/// 400 unless the entity type is the tenant's.
pub fn require_type(conn: &Connection, tenant: &str, id: &str) -> Result<(), ApiError> {
    conn.query_row_cached("SELECT 1 FROM workflow_entity_types WHERE id = ?1 AND tenant_id = ?2", [id, tenant], |_| {
        Ok(())
    })
    .optional()?
    .ok_or_else(|| ApiError::field("workflowEntityTypeId", "no such workflow entity type"))
}

fn arguments_json(a: Option<&[Argument]>) -> Option<String> {
    a.map(|a| serde_json::to_string(a).unwrap_or_else(|_| "[]".into()))
}

pub fn insert(tx: &Connection, tenant: &str, f: Fields) -> Result<WorkflowEntity, ApiError> {
    let type_id = f.entity_type_id.unwrap_or_default();
    require_type(tx, tenant, type_id)?;
    let id = new_id();
    tx.execute_cached(
        "INSERT INTO workflow_entities (id, tenant_id, entity_type_id, name, description, condition_json, script, tf_condition,
            arguments_json, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![
            id,
            tenant,
            type_id,
            f.name.unwrap_or_default(),
            f.description.unwrap_or(""),
            f.condition.flatten(),
            f.script.flatten(),
            f.tf_condition.flatten(),
            arguments_json(f.arguments).unwrap_or_else(|| "[]".into()),
            now()
        ],
    )?;
    get::<WorkflowEntity>(tx, Scope::Tenant(tenant), &id)
}

pub fn update(tx: &Connection, tenant: &str, id: &str, f: Fields) -> Result<WorkflowEntity, ApiError> {
    if let Some(t) = f.entity_type_id {
        require_type(tx, tenant, t)?;
    }
    let n = tx.execute_cached(
        "UPDATE workflow_entities SET entity_type_id = COALESCE(?3, entity_type_id), name = COALESCE(?4, name),
                description = COALESCE(?5, description), arguments_json = COALESCE(?6, arguments_json), updated_at = ?7
          WHERE id = ?1 AND tenant_id = ?2",
        params![id, tenant, f.entity_type_id, f.name, f.description, arguments_json(f.arguments), now()],
    )?;
    if n == 0 {
        return Err(ApiError::not_found(WorkflowEntity::NAME));
    }
    if let Some(c) = f.condition {
        tx.execute_cached("UPDATE workflow_entities SET condition_json = ?2 WHERE id = ?1", params![id, c])?;
    }
    if let Some(s) = f.script {
        tx.execute_cached("UPDATE workflow_entities SET script = ?2 WHERE id = ?1", params![id, s])?;
    }
    if let Some(t) = f.tf_condition {
        tx.execute_cached("UPDATE workflow_entities SET tf_condition = ?2 WHERE id = ?1", params![id, t])?;
    }
    get::<WorkflowEntity>(tx, Scope::Tenant(tenant), id)
}

/// The workflows that use an entity.
pub fn usage(conn: &Connection, tenant: &str, entity: &str) -> Result<Vec<WorkflowRef>, ApiError> {
    let mut stmt = conn.prepare(
        "SELECT w.id, w.name FROM workflow_entity_refs r JOIN workflows w ON w.id = r.workflow_id
          WHERE r.entity_id = ?1 AND r.tenant_id = ?2 ORDER BY w.name, w.id",
    )?;
    let rows = stmt.query_map([entity, tenant], |r| Ok(WorkflowRef { id: r.get(0)?, name: r.get(1)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Which of `ids` are not entities of the tenant.
pub fn missing(conn: &Connection, tenant: &str, ids: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    let mut stmt = conn.prepare_cached("SELECT 1 FROM workflow_entities WHERE id = ?1 AND tenant_id = ?2")?;
    for id in ids {
        if stmt.query_row([id, tenant], |_| Ok(())).optional()?.is_none() {
            out.push(id.clone());
        }
    }
    Ok(out)
}

/// Replaces the recorded entity references of a workflow.
pub fn set_refs(tx: &Connection, tenant: &str, workflow: &str, entities: &[String]) -> Result<(), ApiError> {
    tx.execute_cached("DELETE FROM workflow_entity_refs WHERE workflow_id = ?1", [workflow])?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO workflow_entity_refs (workflow_id, entity_id, tenant_id) VALUES (?1, ?2, ?3)
         ON CONFLICT (workflow_id, entity_id) DO NOTHING",
    )?;
    for e in entities {
        stmt.execute(params![workflow, e, tenant])?;
    }
    Ok(())
}
