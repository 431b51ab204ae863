//! Data survives a restart; the online backup is a consistent, checked copy.

use serde_json::json;

use crate::common::H;

#[tokio::test]
async fn everything_survives_a_restart() {
    let h = H::new();
    let t = h.tenant("Durable").await;
    let env = h.post("/api/v1/environments", json!({"name": "kept"})).token(&t.admin).send().await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let key_check = h.state.master_key.check_value();
    let dir = h.dir;
    drop(h.cli);
    drop(h.state);
    let h = H::open(dir);
    assert_eq!(h.state.master_key.check_value(), key_check, "the key file is reused");
    let r = h.get(&format!("/api/v1/environments/{env}")).token(&t.admin).send().await;
    assert_eq!((r.status, r.body["name"].as_str()), (200, Some("kept")));
    let s = h.login(&t.email, "admin-password-1").await;
    assert_eq!(h.get("/api/v1/audit-log").session(&s).send().await.status, 200);
    let v = h.sql(|c| admin_appliance::domains::audit::store::verify(c).unwrap());
    assert!(v.broken.is_none());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(h.dir.path().join("master.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn a_wrong_master_key_is_refused() {
    let h = H::new();
    let dir = h.dir;
    drop(h.cli);
    drop(h.state);
    std::fs::remove_file(dir.path().join("master.key")).unwrap();
    std::fs::write(
        dir.path().join("master.key"),
        admin_appliance::crypto::master_key::MasterKey::generate().to_base64(),
    )
    .unwrap();
    let config = crate::common::test_config(dir.path());
    let err = admin_appliance::bootstrap::open(&config, true).err().expect("refused");
    assert!(err.contains("master key does not match"), "{err}");
}

#[tokio::test]
async fn backup_is_consistent_while_serving() {
    let h = H::new();
    let t = h.tenant("Backed").await;
    for i in 0..20 {
        h.post("/api/v1/environments", json!({"name": format!("b{i}")})).token(&t.admin).send().await;
    }
    let out = h.dir.path().join("copy.db");
    let src = h.state.config.database_path();
    admin_appliance::db::backup(&src, &out).unwrap();
    let copy = rusqlite::Connection::open(&out).unwrap();
    let check: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let n: i64 = copy.query_row("SELECT COUNT(*) FROM environments", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 20);
    assert!(admin_appliance::db::backup(&src, &out).is_err(), "never overwrites");
}

#[test]
fn the_example_config_is_complete_and_valid() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let c = admin_appliance::config::Config::load_from(Some(&path), &Default::default(), &Default::default()).unwrap();
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.storage.database_file, "appliance.db");
}

#[test]
fn a_newer_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = rusqlite::Connection::open(dir.path().join("x.db")).unwrap();
    admin_appliance::db::migrate::migrate(&mut conn).unwrap();
    assert!(admin_appliance::db::migrate::migrate(&mut conn).unwrap().is_empty(), "idempotent");
    conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'now')", [])
        .unwrap();
    let err = admin_appliance::db::migrate::migrate(&mut conn).unwrap_err();
    assert!(err.contains("newer than this binary"), "{err}");
}

#[test]
fn an_older_database_is_migrated_forward() {
    use admin_appliance::db::migrate::{MIGRATIONS, current_version, latest_version, migrate};
    let dir = tempfile::tempdir().unwrap();
    let mut conn = rusqlite::Connection::open(dir.path().join("old.db")).unwrap();
    // A database as version 1 of the binary left it.
    conn.execute_batch(MIGRATIONS[0].2).unwrap();
    conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'initial', 'then')", [])
        .unwrap();
    assert_eq!(current_version(&conn).unwrap(), 1);
    let applied = migrate(&mut conn).unwrap();
    assert_eq!(applied, (2..=latest_version()).collect::<Vec<_>>());
    conn.execute_batch("SELECT value_sealed FROM variables; SELECT token_sealed FROM models; SELECT api_key_sealed FROM llm_providers;")
        .unwrap();
    // The migrated schema matches a fresh one.
    let fresh_dir = tempfile::tempdir().unwrap();
    let mut fresh = rusqlite::Connection::open(fresh_dir.path().join("new.db")).unwrap();
    migrate(&mut fresh).unwrap();
    let shape = |c: &rusqlite::Connection| -> Vec<String> {
        let mut s = c.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name").unwrap();
        s.query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect()
    };
    assert_eq!(shape(&conn), shape(&fresh));
}

/// `synchronous = "full"`: no response before the writes it acknowledges are flushed to disk,
/// and requests committed meanwhile share a flush instead of paying one each.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn full_durability_flushes_before_answering_and_requests_share_flushes() {
    let h = H::with_config(|c| c.storage.synchronous = admin_appliance::config::Synchronous::Full);
    let t = h.tenant("Flushed").await;
    // Token use is recorded in the background (its own write, which waits for its own flush).
    let mut before = h.state.db.wal_flush_stats().expect("the writer flushes its commits itself");
    for _ in 0..100 {
        if before.flushed == before.commits {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        before = h.state.db.wal_flush_stats().unwrap();
    }
    assert_eq!(before.flushed, before.commits);

    let creates = (0..48).map(|i| {
        h.post("/api/v1/environments", json!({"name": format!("env-{i}")}))
            .token(&t.admin)
            .header("idempotency-key", &format!("key-{i}"))
            .send()
    });
    let responses = futures_util::future::join_all(creates).await;
    assert!(responses.iter().all(|r| r.status == 201), "{:?}", responses.iter().map(|r| r.status).collect::<Vec<_>>());
    let after = h.state.db.wal_flush_stats().unwrap();
    assert_eq!(after.flushed, after.commits, "every commit was flushed before its response went out");
    // Each request commits twice (the environment with its audit row, then the idempotency
    // record) and waits for one flush, shared with whoever committed meanwhile.
    let flushes = after.flushes - before.flushes;
    assert!((1..48).contains(&flushes), "{flushes} flushes for 48 requests");

    // A write outside any request waits for its own flush before it returns.
    h.state.db.write(|c| Ok(c.execute("UPDATE tenants SET updated_at = updated_at", [])?)).await.unwrap();
    let later = h.state.db.wal_flush_stats().unwrap();
    assert_eq!((later.commits, later.flushed), (after.commits + 1, after.commits + 1));

    let dir = h.dir;
    drop(h.cli);
    drop(h.state);
    let h = H::open(dir);
    let r = h.get("/api/v1/environments?limit=1").token(&t.admin).send().await;
    assert_eq!(r.header("x-total-count"), Some("48"));
}
