//! `rotate-key`: re-seal every secret under a new master key so that a crash at any point
//! leaves a usable state. The steps:
//! 1. the new key is written to `master.key.new` (0600, synced);
//! 2. one database transaction re-seals every sealed column and stores the new key's check
//!    value (committed with `synchronous=FULL`);
//! 3. `master.key.new` is renamed over `master.key`.
//!
//! At start-up, [`finish_interrupted`] completes step 3 when the database already holds the new
//! key's check value, and removes `master.key.new` when it does not (step 2 never committed).

use std::path::Path;

use rusqlite::{Connection, params};

use super::master_key::{KEY_ENV, KEY_FILE, MasterKey};
use super::seal::{Cell, SEALED_COLUMNS, open, seal};

pub const NEW_KEY_FILE: &str = "master.key.new";
pub const KEY_CHECK: &str = "master_key_check";

/// Step 1: a new key, written beside the current one.
pub fn stage_new_key(dir: &Path) -> Result<MasterKey, String> {
    let path = dir.join(NEW_KEY_FILE);
    let _ = std::fs::remove_file(&path);
    let key = MasterKey::generate();
    super::master_key::write_key_file(&path, &key)?;
    Ok(key)
}

/// Step 2: re-seals every sealed value and records the new key, in one transaction.
/// Returns how many values were re-sealed.
pub fn reseal_all(conn: &mut Connection, old: &MasterKey, new: &MasterKey) -> Result<usize, String> {
    conn.pragma_update(None, "synchronous", "FULL").map_err(|e| e.to_string())?;
    let tx = conn.transaction().map_err(|e| e.to_string())?;
    let mut count = 0;
    for (table, column) in SEALED_COLUMNS {
        let rows: Vec<(String, String)> = {
            let mut stmt = tx
                .prepare(&format!("SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL"))
                .map_err(|e| e.to_string())?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(|e| e.to_string())?;
            rows.collect::<Result<_, _>>().map_err(|e| e.to_string())?
        };
        for (id, sealed) in rows {
            let cell = Cell { table, column, id: &id };
            let plain = open(old, &cell, &sealed).map_err(|e| format!("{table}.{column} of {id}: {e}"))?;
            tx.execute(
                &format!("UPDATE {table} SET {column} = ?2 WHERE id = ?1"),
                params![id, seal(new, &cell, &plain)],
            )
            .map_err(|e| e.to_string())?;
            count += 1;
        }
    }
    // Stored idempotent responses are sealed to (principal, key).
    let rows: Vec<(String, String, String)> = {
        let mut stmt = tx
            .prepare(
                "SELECT principal_key, idem_key, response_body FROM idempotency_keys WHERE response_body IS NOT NULL",
            )
            .map_err(|e| e.to_string())?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(|e| e.to_string())?;
        rows.collect::<Result<_, _>>().map_err(|e| e.to_string())?
    };
    for (principal, key, sealed) in rows {
        let id = crate::db::idempotency::row_id(&principal, &key);
        let cell = crate::db::idempotency::cell(&id);
        let plain = open(old, &cell, &sealed).map_err(|e| format!("idempotency record: {e}"))?;
        tx.execute(
            "UPDATE idempotency_keys SET response_body = ?3 WHERE principal_key = ?1 AND idem_key = ?2",
            params![principal, key, seal(new, &cell, &plain)],
        )
        .map_err(|e| e.to_string())?;
        count += 1;
    }
    tx.execute(
        "UPDATE settings SET value = ?2, updated_at = ?3 WHERE key = ?1",
        params![KEY_CHECK, new.check_value(), crate::db::now()],
    )
    .map_err(|e| e.to_string())?;
    tx.commit().map_err(|e| e.to_string())?;
    Ok(count)
}

/// Step 3: the new key becomes the key.
pub fn promote_new_key(dir: &Path) -> Result<(), String> {
    std::fs::rename(dir.join(NEW_KEY_FILE), dir.join(KEY_FILE))
        .map_err(|e| format!("cannot replace the key file: {e}"))?;
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| e.to_string())
}

/// Completes or undoes a rotation a crash interrupted (see the module docs).
pub fn finish_interrupted(dir: &Path, conn: &Connection) -> Result<(), String> {
    let staged = dir.join(NEW_KEY_FILE);
    if !staged.exists() {
        return Ok(());
    }
    let new = MasterKey::from_base64(&std::fs::read_to_string(&staged).map_err(|e| e.to_string())?)?;
    let stored: Option<String> = rusqlite::OptionalExtension::optional(conn.query_row(
        "SELECT value FROM settings WHERE key = ?1",
        [KEY_CHECK],
        |r| r.get(0),
    ))
    .map_err(|e| e.to_string())?;
    if stored.as_deref() == Some(new.check_value().as_str()) {
        tracing::warn!("finishing an interrupted key rotation");
        promote_new_key(dir)
    } else {
        tracing::warn!("discarding the staged key of a rotation that never committed");
        std::fs::remove_file(&staged).map_err(|e| e.to_string())
    }
}

/// The whole rotation, for the CLI. Refused when the key comes from the environment.
pub fn rotate(dir: &Path, conn: &mut Connection, old: &MasterKey) -> Result<usize, String> {
    if std::env::var(KEY_ENV).is_ok() {
        return Err(format!(
            "the master key comes from {KEY_ENV}; rotate-key replaces the key file only. Unset it to use {}",
            dir.join(KEY_FILE).display()
        ));
    }
    let new = stage_new_key(dir)?;
    let count = reseal_all(conn, old, &new)?;
    promote_new_key(dir)?;
    Ok(count)
}
