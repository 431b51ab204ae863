//! Secrets at rest: write-only variables, model credentials and provider keys are sealed, never
//! returned, never audited in clear, and reach their endpoints exactly as stored.

use serde_json::json;

use crate::common::{H, Tenant};
use crate::fake_llm::{FakeLlm, closed_port_url};

async fn environment(h: &H, t: &Tenant, name: &str) -> String {
    let r = h.post("/api/v1/environments", json!({"name": name})).token(&t.admin).send().await;
    r.body["id"].as_str().unwrap().to_string()
}

/// Every file of the data dir (database, WAL, shared memory, key), read whole.
fn data_dir_bytes(h: &H) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(h.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| (e.file_name().to_string_lossy().to_string(), std::fs::read(e.path()).unwrap()))
        .collect()
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn planted_secrets_never_appear_in_clear() {
    let h = H::new();
    let t = h.tenant("Vault").await;
    let env = environment(&h, &t, "prod").await;
    let secret = |n: &str| format!("plaintext-{n}-{}", uuid::Uuid::new_v4().simple());
    let planted: Vec<String> = (0..9).map(|i| secret(&i.to_string())).collect();

    let var = h
        .post("/api/v1/variables", json!({"environmentId": env, "name": "DB_PASSWORD", "value": planted[0]}))
        .token(&t.admin)
        .send()
        .await;
    assert_eq!(var.status, 201, "{}", var.text);
    let var_id = var.body["id"].as_str().unwrap();
    h.patch(&format!("/api/v1/variables/{var_id}"), json!({"value": planted[1]})).token(&t.admin).send().await;
    let model = h
        .post(
            "/api/v1/models",
            json!({"name": "gpt", "provider": "openai", "modelUrl": "https://api.openai.com/v1", "modelName": "gpt-4o-mini",
                   "token": planted[2], "clientKey": planted[3], "secretKey": planted[4]}),
        )
        .token(&t.admin)
        .send()
        .await;
    assert_eq!(model.status, 201, "{}", model.text);
    let model_id = model.body["id"].as_str().unwrap();
    h.patch(&format!("/api/v1/models/{model_id}"), json!({"token": planted[5]})).token(&t.admin).send().await;
    let provider = h
        .post("/api/v1/platform/llm-providers", json!({"name": "openai-main", "type": "openai", "apiKey": planted[6]}))
        .token(&h.platform)
        .send()
        .await;
    assert_eq!(provider.status, 201, "{}", provider.text);
    h.post("/api/v1/users", json!({"email": "pw@vault.test", "password": planted[7]})).token(&t.admin).send().await;
    h.post("/api/v1/variables", json!({"environmentId": env, "name": "API_KEY", "value": planted[8]}))
        .token(&t.admin)
        .header("idempotency-key", "plant-1")
        .send()
        .await;

    // Responses say whether a secret is set, never what it is.
    let mut seen_text = String::new();
    for path in [
        "/api/v1/variables",
        &format!("/api/v1/variables/{var_id}"),
        "/api/v1/models",
        &format!("/api/v1/models/{model_id}"),
        "/api/v1/audit-log?limit=200",
    ] {
        let r = h.get(path).token(&t.admin).send().await;
        assert_eq!(r.status, 200);
        seen_text.push_str(&r.text);
    }
    seen_text.push_str(&h.get("/api/v1/platform/llm-providers").token(&h.platform).send().await.text);
    seen_text.push_str(&h.get("/api/v1/platform/audit-log?limit=200").token(&h.platform).send().await.text);
    seen_text.push_str(&var.text);
    seen_text.push_str(&model.text);
    seen_text.push_str(&provider.text);
    for p in &planted {
        assert!(!seen_text.contains(p.as_str()), "{p} appears in an API response");
    }
    let m = h.get(&format!("/api/v1/models/{model_id}")).token(&t.admin).send().await;
    assert_eq!(
        (m.body["hasToken"].as_bool(), m.body["hasClientKey"].as_bool(), m.body["hasSecretKey"].as_bool()),
        (Some(true), Some(true), Some(true))
    );
    assert!(m.body.get("token").is_none());
    assert_eq!(h.get(&format!("/api/v1/variables/{var_id}")).token(&t.admin).send().await.body["hasValue"], true);
    assert_eq!(provider.body["hasApiKey"], true);

    // Nothing in the database file, its WAL or shared memory holds a planted value.
    h.sql(|c| c.execute_batch("PRAGMA wal_checkpoint(PASSIVE);").unwrap());
    let files = data_dir_bytes(&h);
    assert!(files.iter().any(|(n, _)| n.ends_with("-wal")), "the WAL was searched too");
    for (name, bytes) in &files {
        for p in &planted {
            assert!(!contains(bytes, p), "{p} found in clear in {name}");
        }
    }
    // The sealed form carries a version and key id.
    let sealed: String = h.sql(|c| c.query_row("SELECT token_sealed FROM models", [], |r| r.get(0)).unwrap());
    assert!(sealed.starts_with(&format!("v1.{}.", &h.state.master_key.check_value()[..8])));
}

#[tokio::test]
async fn audit_records_show_that_a_secret_changed_but_not_the_secret() {
    let h = H::new();
    let t = h.tenant("Redact").await;
    let env = environment(&h, &t, "dev").await;
    let v = h
        .post("/api/v1/variables", json!({"environmentId": env, "name": "TOKEN", "value": "s3cr3t-value-1"}))
        .token(&t.admin)
        .send()
        .await;
    let id = v.body["id"].as_str().unwrap().to_string();
    h.patch(&format!("/api/v1/variables/{id}"), json!({"description": "no value change"})).token(&t.admin).send().await;
    h.patch(&format!("/api/v1/variables/{id}"), json!({"value": null})).token(&t.admin).send().await;
    let log = h.get(&format!("/api/v1/audit-log?targetId={id}&sort=seq")).token(&t.admin).send().await;
    let rows = log.body["data"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        (rows[0]["after"]["value"].as_str(), rows[0]["after"]["valueChanged"].as_bool()),
        (Some("[redacted]"), Some(true))
    );
    assert_eq!(
        (rows[1]["after"]["value"].as_str(), rows[1]["after"]["valueChanged"].as_bool()),
        (Some("[redacted]"), Some(false))
    );
    assert!(rows[2]["after"]["value"].is_null() && rows[2]["after"]["valueChanged"] == true, "cleared");
    assert!(!log.text.contains("s3cr3t-value-1"));
    let r = h.get(&format!("/api/v1/variables/{id}")).token(&t.admin).send().await;
    assert_eq!(r.body["hasValue"], false, "null clears the value");
}

#[tokio::test]
async fn variables_rules_and_isolation() {
    let h = H::new();
    let a = h.tenant("VarA").await;
    let b = h.tenant("VarB").await;
    let env = environment(&h, &a, "prod").await;
    let env2 = environment(&h, &a, "staging").await;
    let other_env = environment(&h, &b, "prod").await;
    let ok = h
        .post("/api/v1/variables", json!({"environmentId": env, "name": "REGION", "value": "eu"}))
        .token(&a.admin)
        .send()
        .await;
    assert_eq!(ok.status, 201);
    let id = ok.body["id"].as_str().unwrap().to_string();
    let r = h.post("/api/v1/variables", json!({"environmentId": env, "name": "REGION"})).token(&a.admin).send().await;
    assert_eq!((r.status, r.error_code()), (409, "already_exists"));
    assert_eq!(
        h.post("/api/v1/variables", json!({"environmentId": env2, "name": "REGION"}))
            .token(&a.admin)
            .send()
            .await
            .status,
        201,
        "unique per environment"
    );
    for (body, field) in [
        (json!({"environmentId": env, "name": "9LIVES"}), "name"),
        (json!({"environmentId": env, "name": "has space"}), "name"),
        (json!({"environmentId": env, "name": ""}), "name"),
        (json!({"environmentId": "nope", "name": "X"}), "environmentId"),
        (json!({"environmentId": other_env, "name": "X"}), "environmentId"),
        (json!({"environmentId": env, "name": "X", "value": 12345}), "value"),
    ] {
        let r = h.post("/api/v1/variables", body.clone()).token(&a.admin).send().await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert!(r.body["details"]["fields"][field].is_string(), "{body} names {field}: {}", r.text);
        assert!(!r.text.contains("12345"), "a wrong-typed secret is not echoed");
    }
    let r = h.get(&format!("/api/v1/variables?environmentId={env}")).token(&a.admin).send().await;
    assert_eq!(r.body["pagination"]["total"], 1);
    for (method, body) in [("GET", None), ("PATCH", Some(json!({"value": "x"}))), ("DELETE", None)] {
        let mut req = h.req(method, &format!("/api/v1/variables/{id}")).token(&b.admin);
        if let Some(body) = body {
            req = req.json(body);
        }
        assert_eq!(req.send().await.status, 404, "{method} of another tenant's variable");
    }
    assert_eq!(
        h.post("/api/v1/variables", json!({"environmentId": env, "name": "Y"})).token(&a.member).send().await.status,
        403
    );
    assert_eq!(h.get("/api/v1/variables").token(&a.guest).send().await.status, 200);
    // Deleting the environment takes its variables with it.
    h.delete(&format!("/api/v1/environments/{env}")).token(&a.admin).send().await;
    assert_eq!(h.get(&format!("/api/v1/variables/{id}")).token(&a.admin).send().await.status, 404);
}

#[tokio::test]
async fn model_tests_send_the_stored_credential_in_each_wire_format() {
    let h = H::new();
    let t = h.tenant("Wire").await;
    let openai = FakeLlm::start(Some("sk-openai-stored-0001"), 200).await;
    let anthropic = FakeLlm::start(Some("sk-ant-stored-0002"), 200).await;
    let ollama = FakeLlm::start(None, 200).await;
    let mk = |name: &str, provider: &str, url: String, token: Option<&str>| {
        let mut b = json!({"name": name, "provider": provider, "modelUrl": url, "modelName": "m"});
        if let Some(tok) = token {
            b["token"] = json!(tok);
        }
        b
    };
    let create = |body| async {
        h.post("/api/v1/models", body).token(&t.admin).send().await.body["id"].as_str().unwrap().to_string()
    };
    let o = create(mk("o", "openai", format!("{}/v1", openai.base), Some("sk-openai-stored-0001"))).await;
    let a = create(mk("a", "anthropic", anthropic.base.clone(), Some("sk-ant-stored-0002"))).await;
    let l = create(mk("l", "ollama", ollama.base.clone(), None)).await;

    let r = h.req("POST", &format!("/api/v1/models/{o}/test")).token(&t.admin).send().await;
    assert_eq!(
        (r.status, r.body["ok"].as_bool(), r.body["status"].as_u64()),
        (200, Some(true), Some(200)),
        "{}",
        r.text
    );
    assert!(r.body["latencyMs"].is_u64());
    let seen = openai.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/models");
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer sk-openai-stored-0001"));
    assert!(seen[0].api_key.is_none());

    let r = h.req("POST", &format!("/api/v1/models/{a}/test")).token(&t.admin).send().await;
    assert_eq!(r.body["ok"], true, "{}", r.text);
    let seen = anthropic.requests();
    assert_eq!(seen[0].path, "/v1/models");
    assert_eq!(seen[0].api_key.as_deref(), Some("sk-ant-stored-0002"));
    assert_eq!(seen[0].anthropic_version.as_deref(), Some("2023-06-01"));
    assert!(seen[0].authorization.is_none());

    let r = h.req("POST", &format!("/api/v1/models/{l}/test")).token(&t.admin).send().await;
    assert_eq!(r.body["ok"], true);
    let seen = ollama.requests();
    assert_eq!((seen[0].path.as_str(), seen[0].authorization.as_deref()), ("/api/tags", None));

    // A replaced credential is what goes out next; a wrong one is a normal answer without it.
    h.patch(&format!("/api/v1/models/{o}"), json!({"token": "sk-openai-WRONG-9999"})).token(&t.admin).send().await;
    let r = h.req("POST", &format!("/api/v1/models/{o}/test")).token(&t.admin).send().await;
    assert_eq!((r.status, r.body["ok"].as_bool(), r.body["status"].as_u64()), (200, Some(false), Some(401)));
    assert!(r.body["error"].as_str().unwrap().contains("Incorrect API key"), "{}", r.text);
    assert!(!r.text.contains("WRONG-9999") && !r.text.contains("sk-openai-WRONG"), "credential not echoed: {}", r.text);
    // Cleared: no credential is sent.
    h.patch(&format!("/api/v1/models/{o}"), json!({"token": null})).token(&t.admin).send().await;
    h.req("POST", &format!("/api/v1/models/{o}/test")).token(&t.admin).send().await;
    assert!(openai.requests().last().unwrap().authorization.is_none());
    assert_eq!(h.get(&format!("/api/v1/models/{o}")).token(&t.admin).send().await.body["hasToken"], false);

    // Unreachable is an answer, not a 500.
    let dead = create(mk("dead", "openai", closed_port_url(), Some("sk-x"))).await;
    let r = h.req("POST", &format!("/api/v1/models/{dead}/test")).token(&t.admin).send().await;
    assert_eq!((r.status, r.body["ok"].as_bool()), (200, Some(false)));
    assert!(r.body["status"].is_null());
    assert!(r.body["error"].as_str().unwrap().contains("connect"));
}

#[tokio::test]
async fn models_bad_input_and_isolation() {
    let h = H::new();
    let a = h.tenant("ModA").await;
    let b = h.tenant("ModB").await;
    let base = json!({"name": "m", "provider": "openai", "modelUrl": "https://api.openai.com/v1", "modelName": "gpt"});
    let with = |k: &str, v: serde_json::Value| {
        let mut x = base.clone();
        x[k] = v;
        x
    };
    for (body, field) in [
        (with("provider", json!("watson")), "provider"),
        (with("modelUrl", json!("not a url")), "modelUrl"),
        (with("modelUrl", json!("ftp://x.test")), "modelUrl"),
        (with("name", json!("")), "name"),
        (with("token", json!(42)), "token"),
        (with("clientKey", json!(["a"])), "clientKey"),
        (with("secretKey", json!(true)), "secretKey"),
    ] {
        let r = h.post("/api/v1/models", body.clone()).token(&a.admin).send().await;
        assert_eq!(r.status, 400, "{body}");
        assert!(r.body["details"]["fields"][field].is_string(), "{body} names {field}: {}", r.text);
    }
    let id =
        h.post("/api/v1/models", base.clone()).token(&a.admin).send().await.body["id"].as_str().unwrap().to_string();
    assert_eq!(h.post("/api/v1/models", base.clone()).token(&a.admin).send().await.status, 409);
    for (method, path) in [
        ("GET", format!("/api/v1/models/{id}")),
        ("POST", format!("/api/v1/models/{id}/test")),
        ("DELETE", format!("/api/v1/models/{id}")),
    ] {
        assert_eq!(h.req(method, &path).token(&b.admin).send().await.status, 404, "{method} {path}");
    }
    let r = h.patch(&format!("/api/v1/models/{id}"), json!({"token": "x"})).token(&b.admin).send().await;
    assert_eq!(r.status, 404);
    assert_eq!(h.post("/api/v1/models", base.clone()).token(&a.member).send().await.status, 403);
    assert_eq!(h.get("/api/v1/models").token(&a.guest).send().await.status, 200);
}

#[tokio::test]
async fn provider_health_and_plan_visibility() {
    let h = H::new();
    let healthy = FakeLlm::start(Some("provider-key-1"), 200).await;
    let failing = FakeLlm::start(None, 503).await;
    let mk = |name: &str, url: String, plans: serde_json::Value| {
        json!({"name": name, "type": "openai", "apiKey": "provider-key-1", "baseUrl": url,
               "models": [{"id": format!("{name}-small"), "name": "Small", "availableOnPlans": plans}]})
    };
    let create = |body| async { h.post("/api/v1/platform/llm-providers", body).token(&h.platform).send().await };
    let up = create(mk("up", format!("{}/v1", healthy.base), json!(["pro", "enterprise"]))).await;
    assert_eq!(up.status, 201, "{}", up.text);
    assert_eq!(up.body["status"], "unknown");
    let down = create(mk("down", failing.base.clone(), json!(["pro"]))).await;
    let gone = create(mk("gone", closed_port_url(), json!(["free"]))).await;
    let hr = &h;
    let check = |id: String| async move {
        hr.req("POST", &format!("/api/v1/platform/llm-providers/{id}/check")).token(&hr.platform).send().await
    };
    let r = check(up.body["id"].as_str().unwrap().to_string()).await;
    assert_eq!(r.body["status"], "healthy", "{}", r.text);
    assert!(r.body["lastCheckedAt"].is_string());
    assert_eq!(healthy.requests()[0].authorization.as_deref(), Some("Bearer provider-key-1"));
    assert_eq!(check(down.body["id"].as_str().unwrap().to_string()).await.body["status"], "degraded");
    assert_eq!(check(gone.body["id"].as_str().unwrap().to_string()).await.body["status"], "unreachable");
    // The scheduled job runs the same check over every enabled provider.
    assert_eq!(admin_appliance::domains::llm_providers::check_providers(&h.state, None).await.unwrap(), 3);
    let r = h.get("/api/v1/platform/llm-providers?status=unreachable").token(&h.platform).send().await;
    assert_eq!(r.body["pagination"]["total"], 1);

    // Tenants see the models their plan may use (the test tenants are on `pro`).
    let t = h.tenant("Visible").await;
    let r = h.get("/api/v1/system-models/visible").token(&t.guest).send().await;
    let ids: Vec<&str> = r.body.as_array().unwrap().iter().map(|m| m["modelId"].as_str().unwrap()).collect();
    assert_eq!(ids, ["down-small", "up-small"]);
    h.patch(
        &format!("/api/v1/platform/llm-providers/{}", down.body["id"].as_str().unwrap()),
        json!({"status": "disabled"}),
    )
    .token(&h.platform)
    .send()
    .await;
    let r = h.get("/api/v1/system-models/visible").token(&t.guest).send().await;
    assert_eq!(r.body.as_array().unwrap().len(), 1, "disabled providers are not offered");

    for (body, field) in [
        (json!({"name": "x", "type": "gemini"}), "type"),
        (json!({"name": "x", "type": "custom"}), "baseUrl"),
        (json!({"name": "x", "type": "openai", "baseUrl": "nope"}), "baseUrl"),
        (json!({"name": "", "type": "openai"}), "name"),
        (json!({"name": "x", "type": "openai", "apiKey": 7}), "apiKey"),
        (
            json!({"name": "x", "type": "openai", "models": [{"id": "a", "name": "A", "availableOnPlans": ["gold"]}]}),
            "models[0].availableOnPlans",
        ),
    ] {
        let r = h.post("/api/v1/platform/llm-providers", body.clone()).token(&h.platform).send().await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert!(r.body["details"]["fields"][field].is_string(), "{body} names {field}: {}", r.text);
    }
    assert_eq!(h.get("/api/v1/platform/llm-providers").token(&t.admin).send().await.status, 403);
}

#[tokio::test]
async fn rotation_reseals_everything_and_survives_a_crash_at_any_step() {
    let h = H::new();
    let t = h.tenant("Rotate").await;
    let fake = FakeLlm::start(Some("sk-rotate-me-123"), 200).await;
    let model = h
        .post("/api/v1/models", json!({"name": "m", "provider": "openai", "modelUrl": format!("{}/v1", fake.base), "modelName": "x", "token": "sk-rotate-me-123"}))
        .token(&t.admin)
        .send()
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let env = environment(&h, &t, "e").await;
    h.post("/api/v1/variables", json!({"environmentId": env, "name": "V", "value": "v"})).token(&t.admin).send().await;
    let old_kid = h.state.master_key.check_value()[..8].to_string();
    let (dir, old_key) = (h.dir, h.state.master_key.clone());
    drop(h.cli);
    drop(h.state);
    let config = crate::common::test_config(dir.path());
    let db_conn = || rusqlite::Connection::open(config.database_path()).unwrap();

    // Crash after staging the new key, before the database changed: the old key stays.
    admin_appliance::crypto::rotate::stage_new_key(dir.path()).unwrap();
    let (_, key) = admin_appliance::bootstrap::open(&config, false).unwrap();
    assert_eq!(key.check_value(), old_key.check_value());
    assert!(!dir.path().join("master.key.new").exists());

    // Crash after the database committed, before the key file was replaced: start-up finishes.
    let new = admin_appliance::crypto::rotate::stage_new_key(dir.path()).unwrap();
    let count = admin_appliance::crypto::rotate::reseal_all(&mut db_conn(), &old_key, &new).unwrap();
    assert!(count >= 2);
    let (_, key) = admin_appliance::bootstrap::open(&config, false).unwrap();
    assert_eq!(key.check_value(), new.check_value());

    // A full rotation, then the model still reaches its endpoint with the same credential.
    let (_, current) = admin_appliance::bootstrap::open(&config, false).unwrap();
    admin_appliance::crypto::rotate::rotate(dir.path(), &mut db_conn(), &current).unwrap();
    let h = H::open(dir);
    assert_ne!(h.state.master_key.check_value(), new.check_value());
    let kids: Vec<String> = h.sql(|c| {
        let mut s = c.prepare("SELECT token_sealed FROM models UNION ALL SELECT value_sealed FROM variables").unwrap();
        s.query_map([], |r| r.get::<_, String>(0)).unwrap().map(|v| v.unwrap()[3..11].to_string()).collect()
    });
    assert!(kids.iter().all(|k| *k == h.state.master_key.check_value()[..8] && *k != old_kid), "{kids:?}");
    let r = h.req("POST", &format!("/api/v1/models/{model}/test")).token(&t.admin).send().await;
    assert_eq!(r.body["ok"], true, "{}", r.text);
    assert_eq!(fake.requests().last().unwrap().authorization.as_deref(), Some("Bearer sk-rotate-me-123"));
}
