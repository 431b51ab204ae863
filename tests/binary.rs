//! Runs the real `admin-appliance` binary the way an operator does: bootstrap from the
//! environment, serve, use it over HTTP, back it up while serving, stop it with SIGTERM,
//! start it again.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "support/fake_llm.rs"]
#[allow(dead_code)]
mod fake_llm;

const BIN: &str = env!("CARGO_BIN_EXE_admin-appliance");
const BOOTSTRAP: &str = "bootstrap-token-for-tests-0123456789abcdef";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn(dir: &Path, port: u16) -> Child {
    spawn_with(dir, port, &[])
}

fn spawn_with(dir: &Path, port: u16, env: &[(&str, &str)]) -> Child {
    Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir)
        .env("ADMIN_APPLIANCE_ADMIN_EMAIL", "ops@example.com")
        .env("ADMIN_APPLIANCE_ADMIN_PASSWORD", "operator-password-1")
        .env("ADMIN_APPLIANCE_BOOTSTRAP_TOKEN", BOOTSTRAP)
        .env("ADMIN_APPLIANCE_LOG__LEVEL", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

async fn wait_ready(c: &reqwest::Client, base: &str) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(r) = c.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server did not become ready");
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Api {
    c: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(
        &self,
        method: &str,
        path: &str,
        auth: &[(&str, &str)],
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut req = self.c.request(method.parse().unwrap(), format!("{}{path}", self.base));
        for (k, v) in auth {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.json::<Value>().await.unwrap_or(Value::Null);
        (status, headers, body)
    }
}

#[tokio::test]
async fn an_operator_runs_the_appliance_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = spawn(dir.path(), port);
    let api = Api { c: client(), base: format!("http://127.0.0.1:{port}") };
    wait_ready(&api.c, &api.base).await;
    let bearer = format!("Bearer {BOOTSTRAP}");
    let platform = [("authorization", bearer.as_str())];

    // The bootstrap token is a platform token.
    let (s, _, me) = api.call("GET", "/api/v1/me", &platform, None).await;
    assert_eq!((s, me["role"].as_str()), (200, Some("super_admin")));

    // The operator logs in with the bootstrap admin and creates a tenant with the session.
    let (s, h, login) = api
        .call(
            "POST",
            "/api/v1/auth/login",
            &[],
            Some(json!({"email": "ops@example.com", "password": "operator-password-1"})),
        )
        .await;
    assert_eq!(s, 200, "{login}");
    let cookie = h["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let csrf = login["csrfToken"].as_str().unwrap().to_string();
    let session = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    let (s, h, tenant) = api
        .call(
            "POST",
            "/api/v1/platform/tenants",
            &session,
            Some(json!({"displayName": "Initech", "firstName": "Bill", "lastName": "Lumbergh", "email": "bill@initech.test", "password": "tps-reports-1", "planId": "pro"})),
        )
        .await;
    assert_eq!(s, 201, "{tenant}");
    assert!(h["location"].to_str().unwrap().ends_with(tenant["tenantId"].as_str().unwrap()));

    // The tenant admin logs in, makes a token and environments with it.
    let (s, h, login) = api
        .call(
            "POST",
            "/api/v1/auth/login",
            &[],
            Some(json!({"email": "bill@initech.test", "password": "tps-reports-1"})),
        )
        .await;
    assert_eq!(s, 200);
    let cookie = h["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let csrf = login["csrfToken"].as_str().unwrap().to_string();
    let (s, _, token) = api
        .call(
            "POST",
            "/api/v1/tokens",
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            Some(json!({"name": "deploy"})),
        )
        .await;
    assert_eq!(s, 201);
    let bearer = format!("Bearer {}", token["token"].as_str().unwrap());
    let admin = [("authorization", bearer.as_str())];
    for name in ["development", "production"] {
        let (s, _, _) = api.call("POST", "/api/v1/environments", &admin, Some(json!({"name": name}))).await;
        assert_eq!(s, 201);
    }
    let (_, h, envs) = api.call("GET", "/api/v1/environments?sort=name", &admin, None).await;
    assert_eq!(h["x-total-count"], "2");
    assert_eq!(envs["data"][0]["name"], "development");
    let (_, _, log) = api.call("GET", "/api/v1/audit-log?sort=seq&limit=100", &admin, None).await;
    let actions: Vec<&str> = log["data"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    for a in ["tenant.created", "auth.login", "token.created", "environment.created"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let (s, _, spec) = api.call("GET", "/api/v1/openapi.json", &[], None).await;
    assert_eq!(s, 200);
    assert!(spec["paths"]["/api/v1/environments"].is_object());

    // Online backup and audit verification while serving.
    let backup = dir.path().join("backup.db");
    let out =
        Command::new(BIN).args(["backup", "--out"]).arg(&backup).arg("--data-dir").arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let copy = rusqlite::Connection::open(&backup).unwrap();
    let n: i64 = copy.query_row("SELECT COUNT(*) FROM environments", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 2);
    let out = Command::new(BIN).args(["audit", "verify", "--data-dir"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("hash chain intact"));

    // Restoring under a running server is refused.
    let out =
        Command::new(BIN).args(["restore", "--from"]).arg(&backup).arg("--data-dir").arg(dir.path()).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("stop it before restoring"));

    // A second server on the same data dir is refused.
    let mut second = spawn(dir.path(), free_port());
    let status = second.wait().unwrap();
    assert!(!status.success());
    let mut err = String::new();
    std::io::Read::read_to_string(second.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(err.contains("another admin-appliance server"), "{err}");

    // SIGTERM: graceful stop, exit 0, WAL checkpointed.
    let status = terminate(&mut child);
    assert!(status.success(), "exit status {status:?}");
    let wal = dir.path().join("appliance.db-wal");
    assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0, "WAL checkpointed");

    // Everything is there after a restart.
    let mut child = spawn(dir.path(), port);
    wait_ready(&api.c, &api.base).await;
    let (s, h, _) = api.call("GET", "/api/v1/environments", &admin, None).await;
    assert_eq!((s, h["x-total-count"].to_str().unwrap()), (200, "2"));
    let (s, _, _) = api.call("POST", "/api/v1/environments", &admin, Some(json!({"name": "after-backup"}))).await;
    assert_eq!(s, 201);
    assert!(terminate(&mut child).success());

    // Restoring the backup brings back its state.
    let out =
        Command::new(BIN).args(["restore", "--from"]).arg(&backup).arg("--data-dir").arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut child = spawn(dir.path(), port);
    wait_ready(&api.c, &api.base).await;
    let (_, h, _) = api.call("GET", "/api/v1/environments", &admin, None).await;
    assert_eq!(h["x-total-count"].to_str().unwrap(), "2");
    assert!(terminate(&mut child).success());
}

#[test]
fn init_prints_a_generated_password_once_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        let out = Command::new(BIN)
            .args(["init", "--data-dir"])
            .arg(dir.path())
            .env_remove("ADMIN_APPLIANCE_ADMIN_PASSWORD")
            .env_remove("ADMIN_APPLIANCE_ADMIN_EMAIL")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let first = run();
    let password =
        first.lines().find_map(|l| l.trim().strip_prefix("password:")).expect("password printed").trim().to_string();
    assert!(password.len() >= 16);
    let second = run();
    assert!(!second.contains("password:"), "printed only once: {second}");
    let hash: String = rusqlite::Connection::open(dir.path().join("appliance.db"))
        .unwrap()
        .query_row("SELECT password_hash FROM users WHERE role = 'super_admin'", [], |r| r.get(0))
        .unwrap();
    assert!(admin_appliance::crypto::verify_password(&password, &hash));
    assert!(!hash.contains(&password));
}

#[test]
fn bad_configuration_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[server]\nlisten = \"127.0.0.1:0\"\nlisen = 1\n").unwrap();
    let out =
        Command::new(BIN).args(["serve", "--config"]).arg(&cfg).arg("--data-dir").arg(dir.path()).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("lisen"), "{err}");
    let out = Command::new(BIN)
        .args(["init", "--data-dir"])
        .arg(dir.path())
        .env("ADMIN_APPLIANCE_STORAGE__SYNCHRONOUS", "sometimes")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("storage.synchronous"));
    let out = Command::new(BIN)
        .args(["init", "--data-dir"])
        .arg(dir.path())
        .env("ADMIN_APPLIANCE_BOOTSTRAP_TOKEN", "short")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 32"));
}

#[test]
fn every_subcommand_has_help_and_the_cli_tools_work() {
    for sub in [
        &["serve"][..],
        &["init"],
        &["migrate"],
        &["create-admin"],
        &["token", "create"],
        &["backup"],
        &["audit", "verify"],
        &["openapi"],
    ] {
        let out = Command::new(BIN).args(sub).arg("--help").output().unwrap();
        assert!(out.status.success(), "{sub:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("--data-dir") && text.contains("--config"), "{sub:?}: {text}");
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = Command::new(BIN).args(["create-admin", "--email", "second@ops.test", "--data-dir", d]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Password (shown once)"));
    let out =
        Command::new(BIN).args(["token", "create", "--super-admin", "--name", "ci", "--data-dir", d]).output().unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("aap_") && token.len() > 40);
    let out = Command::new(BIN).args(["migrate", "--data-dir", d]).output().unwrap();
    assert!(out.status.success());
    let out = Command::new(BIN).args(["openapi"]).output().unwrap();
    let spec: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(spec["paths"]["/api/v1/platform/tenants"].is_object());
    let key = std::fs::read_to_string(dir.path().join("master.key")).unwrap();
    assert_eq!(admin_appliance::crypto::master_key::MasterKey::from_base64(&key).unwrap().bytes().len(), 32);
}

/// Reads what a stopped child wrote to stdout and stderr.
fn output_of(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(out) = child.stdout.as_mut() {
        std::io::Read::read_to_string(out, &mut text).unwrap();
    }
    if let Some(err) = child.stderr.as_mut() {
        std::io::Read::read_to_string(err, &mut text).unwrap();
    }
    text
}

fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .filter(|e| std::fs::read(e.path()).unwrap().windows(needle.len()).any(|w| w == needle.as_bytes()))
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect()
}

#[tokio::test]
async fn secrets_stay_sealed_through_logs_rotation_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let debug = [("ADMIN_APPLIANCE_LOG__LEVEL", "debug"), ("ADMIN_APPLIANCE_LOG__FORMAT", "json")];
    let mut child = spawn_with(dir.path(), port, &debug);
    let api = Api { c: client(), base: format!("http://127.0.0.1:{port}") };
    wait_ready(&api.c, &api.base).await;
    let bearer = format!("Bearer {BOOTSTRAP}");
    let platform = [("authorization", bearer.as_str())];
    let (s, _, t) = api
        .call(
            "POST",
            "/api/v1/platform/tenants",
            &platform,
            Some(json!({"displayName": "Keys Inc", "firstName": "K", "lastName": "I", "email": "k@keys.test", "password": "keys-password-1", "planId": "pro"})),
        )
        .await;
    assert_eq!(s, 201);
    let tid = t["tenantId"].as_str().unwrap().to_string();
    let scoped = [("authorization", bearer.as_str()), ("x-tenant-id", tid.as_str())];

    let token = format!("sk-live-{}", uuid::Uuid::new_v4().simple());
    let value = format!("var-secret-{}", uuid::Uuid::new_v4().simple());
    let api_key = format!("provider-key-{}", uuid::Uuid::new_v4().simple());
    let fake = fake_llm::FakeLlm::start(Some(&token), 200).await;
    let (s, _, env) = api.call("POST", "/api/v1/environments", &scoped, Some(json!({"name": "prod"}))).await;
    assert_eq!(s, 201);
    let (s, _, _) = api
        .call(
            "POST",
            "/api/v1/variables",
            &scoped,
            Some(json!({"environmentId": env["id"], "name": "SECRET", "value": value})),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _, model) = api
        .call(
            "POST",
            "/api/v1/models",
            &scoped,
            Some(json!({"name": "gpt", "provider": "openai", "modelUrl": format!("{}/v1", fake.base), "modelName": "gpt", "token": token})),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _, _) = api
        .call(
            "POST",
            "/api/v1/platform/llm-providers",
            &platform,
            Some(json!({"name": "p", "type": "openai", "apiKey": api_key})),
        )
        .await;
    assert_eq!(s, 201);
    let test_path = format!("/api/v1/models/{}/test", model["id"].as_str().unwrap());
    let (_, _, result) = api.call("POST", &test_path, &scoped, None).await;
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(fake.requests().last().unwrap().authorization, Some(format!("Bearer {token}")));

    // Rotating under a running server is refused.
    let out = Command::new(BIN).args(["rotate-key", "--data-dir"]).arg(dir.path()).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("stop it before rotating"));

    assert!(terminate(&mut child).success());
    let mut logs = output_of(&mut child);
    let key_before = std::fs::read_to_string(dir.path().join("master.key")).unwrap();
    let out = Command::new(BIN).args(["rotate-key", "--data-dir"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Re-encrypted 3 secrets"));
    let key_after = std::fs::read_to_string(dir.path().join("master.key")).unwrap();
    assert_ne!(key_before, key_after);

    // After the rotation and a restart the model still reaches its endpoint with the same key.
    let mut child = spawn_with(dir.path(), port, &debug);
    wait_ready(&api.c, &api.base).await;
    let (_, _, result) = api.call("POST", &test_path, &scoped, None).await;
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(fake.requests().last().unwrap().authorization, Some(format!("Bearer {token}")));
    assert!(terminate(&mut child).success());
    logs.push_str(&output_of(&mut child));
    assert!(logs.contains("\"status\":200") || logs.contains("request"), "debug logs were captured");

    for secret in [&token, &value, &api_key] {
        assert!(!logs.contains(secret.as_str()), "{secret} in the logs");
        let found = files_containing(dir.path(), secret);
        assert!(found.is_empty(), "{secret} in clear in {found:?}");
    }

    // The previous key no longer opens this database: start-up refuses it clearly.
    let mut child = spawn_with(dir.path(), port, &[("ADMIN_APPLIANCE_MASTER_KEY", key_before.trim())]);
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(output_of(&mut child).contains("master key does not match"));
}
