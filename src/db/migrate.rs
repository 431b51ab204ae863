//! Schema versions. `schema.sql` is the whole current schema: a new database gets it in one
//! transaction and is stamped with every migration's version. An existing database gets the
//! numbered migrations it lacks, each in its own transaction. A database newer than this binary
//! is refused.

use rusqlite::Connection;

/// Every migration this binary knows, in order (`migrations/NNNN_*.sql`); each change is also
/// folded into `schema.sql`, which a new database gets whole.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../../migrations/0001_initial.sql")),
    (2, "secrets", include_str!("../../migrations/0002_secrets.sql")),
    (3, "billing", include_str!("../../migrations/0003_billing.sql")),
    (4, "workflows", include_str!("../../migrations/0004_workflows.sql")),
    (5, "prompt_templates", include_str!("../../migrations/0005_prompt_templates.sql")),
    (6, "row_counts", include_str!("../../migrations/0006_row_counts.sql")),
];

pub const SCHEMA: &str = include_str!("../../schema.sql");

pub fn latest_version() -> i64 {
    MIGRATIONS.last().map(|m| m.0).unwrap_or(0)
}

/// The highest applied version, 0 for an empty database.
pub fn current_version(conn: &Connection) -> Result<i64, String> {
    let exists: i64 = conn
        .query_row("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'", [], |r| {
            r.get(0)
        })
        .map_err(|e| e.to_string())?;
    if exists == 0 {
        return Ok(0);
    }
    conn.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))
        .map_err(|e| e.to_string())
}

/// Brings the database up to this binary's version. Returns the versions applied.
pub fn migrate(conn: &mut Connection) -> Result<Vec<i64>, String> {
    let current = current_version(conn)?;
    let latest = latest_version();
    if current > latest {
        return Err(format!(
            "the database is at schema version {current}, newer than this binary's {latest}; \
             run a newer admin-appliance or restore a backup"
        ));
    }
    let now = super::now();
    if current == 0 {
        let tx = conn.transaction().map_err(|e| e.to_string())?;
        tx.execute_batch(SCHEMA).map_err(|e| format!("applying schema.sql: {e}"))?;
        for (version, name, _) in MIGRATIONS {
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                rusqlite::params![version, name, now],
            )
            .map_err(|e| e.to_string())?;
        }
        tx.commit().map_err(|e| e.to_string())?;
        return Ok(MIGRATIONS.iter().map(|m| m.0).collect());
    }
    let mut applied = Vec::new();
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = conn.transaction().map_err(|e| e.to_string())?;
        tx.execute_batch(sql).map_err(|e| format!("migration {version} ({name}): {e}"))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![version, name, now],
        )
        .map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())?;
        applied.push(*version);
    }
    Ok(applied)
}
