//! The HTTP conventions every endpoint shares: error bodies, request ids, create/update/delete
//! shapes, idempotency, body limits, the OpenAPI document.

use poem::{Route, handler};
use serde_json::json;

use crate::common::{H, Resp};

#[tokio::test]
async fn every_error_is_the_json_body_with_its_status() {
    let h = H::new();
    let t = h.tenant("Errors").await;
    let cases: Vec<(Resp, u16, &str)> = vec![
        (h.get("/api/v1/environments").send().await, 401, "unauthorized"),
        (h.get("/api/v1/environments").token("aat_nonsense").send().await, 401, "unauthorized"),
        (h.get("/api/v1/environments").header("authorization", "Basic abc").send().await, 401, "unauthorized"),
        (h.get("/api/v1/no-such-thing").token(&t.admin).send().await, 404, "not_found"),
        (h.get("/api/nope").send().await, 404, "not_found"),
        (h.req("DELETE", "/api/v1/environments").token(&t.admin).send().await, 405, "method_not_allowed"),
        (
            h.req("POST", "/api/v1/environments").token(&t.admin).raw(b"{\"name\":", "application/json").send().await,
            400,
            "invalid_json",
        ),
        (
            h.req("POST", "/api/v1/environments").token(&t.admin).raw(b"", "application/json").send().await,
            400,
            "invalid_json",
        ),
        (
            h.req("POST", "/api/v1/environments").token(&t.admin).raw(b"name=x", "text/plain").send().await,
            415,
            "unsupported_media_type",
        ),
        (h.post("/api/v1/environments", json!({"name": ""})).token(&t.admin).send().await, 400, "validation_failed"),
        (h.post("/api/v1/environments", json!({"name": 7})).token(&t.admin).send().await, 400, "validation_failed"),
        (h.post("/api/v1/environments", json!({"nam": "x"})).token(&t.admin).send().await, 400, "validation_failed"),
        (
            h.post("/api/v1/tokens", json!({"name": "x", "role": "king"})).token(&t.admin).send().await,
            400,
            "validation_failed",
        ),
        (h.get("/api/v1/environments/not-a-uuid").token(&t.admin).send().await, 404, "not_found"),
        (h.get("/api/v1/environments").token(&t.guest).header("x-tenant-id", "x").send().await, 200, ""),
        (h.post("/api/v1/environments", json!({"name": "x"})).token(&t.guest).send().await, 403, "forbidden"),
        (h.get("/api/v1/environments").token(&h.platform).send().await, 400, "tenant_required"),
    ];
    for (i, (r, status, code)) in cases.iter().enumerate() {
        assert_eq!(r.status, *status, "case {i}: {}", r.text);
        if *status >= 400 {
            assert_eq!(r.error_code(), *code, "case {i}: {}", r.text);
        }
    }
    // 401 carries WWW-Authenticate; validation failures name the field.
    assert_eq!(cases[0].0.header("www-authenticate"), Some("Bearer"));
    assert!(cases[9].0.body["details"]["fields"]["name"].is_string());
    assert!(cases[10].0.body["details"]["fields"]["name"].as_str().unwrap().contains("invalid type"));
    assert!(cases[11].0.body["details"]["fields"]["nam"].is_string());
    assert!(cases[12].0.body["details"]["fields"]["role"].as_str().unwrap().contains("king"));
    assert_eq!(cases[15].0.body["error"], "Forbidden: You do not have permission to modify environments");
}

#[handler]
fn boom() -> &'static str {
    panic!("handler failure with secret sk-should-not-leak")
}

#[tokio::test]
async fn a_panic_is_a_500_for_that_request_only() {
    let h = H::new();
    let cli = h.client_for(Route::new().at("/boom", boom).at("/healthz", admin_appliance::domains::system::healthz));
    let r = Resp::from(cli.get("/boom").send().await.0).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.error_code(), "internal_error");
    assert!(!r.text.contains("sk-should-not-leak"));
    let ok = Resp::from(cli.get("/healthz").send().await.0).await;
    assert_eq!(ok.status, 200, "the server goes on serving");
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let h = H::new();
    let r = h.get("/healthz").header("x-request-id", "trace-abc-123").send().await;
    assert_eq!(r.header("x-request-id"), Some("trace-abc-123"));
    let r = h.get("/api/v1/me").header("x-request-id", "trace-err-1").send().await;
    assert_eq!(r.body["requestId"], "trace-err-1");
    let a = h.get("/healthz").send().await;
    let b = h.get("/healthz").send().await;
    assert!(a.header("x-request-id").unwrap().len() >= 16);
    assert_ne!(a.header("x-request-id"), b.header("x-request-id"));
}

#[tokio::test]
async fn create_update_delete_shapes() {
    let h = H::new();
    let t = h.tenant("Shapes").await;
    let r = h
        .post("/api/v1/environments", json!({"name": "staging", "description": "pre-prod"}))
        .token(&t.admin)
        .send()
        .await;
    assert_eq!(r.status, 201);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.header("location"), Some(format!("/api/v1/environments/{id}").as_str()));
    assert!(uuid::Uuid::parse_str(&id).unwrap().get_version_num() == 7);
    for field in ["createdAt", "updatedAt"] {
        assert!(chrono::DateTime::parse_from_rfc3339(r.body[field].as_str().unwrap()).is_ok());
    }
    // PATCH and PUT are both partial.
    let r =
        h.patch(&format!("/api/v1/environments/{id}"), json!({"description": "changed"})).token(&t.admin).send().await;
    assert_eq!(
        (r.status, r.body["name"].as_str(), r.body["description"].as_str()),
        (200, Some("staging"), Some("changed"))
    );
    let r =
        h.req("PUT", &format!("/api/v1/environments/{id}")).json(json!({"name": "stage"})).token(&t.admin).send().await;
    assert_eq!(
        (r.status, r.body["name"].as_str(), r.body["description"].as_str()),
        (200, Some("stage"), Some("changed"))
    );
    let r = h.delete(&format!("/api/v1/environments/{id}")).token(&t.admin).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!({"success": true, "id": id}));
    let r = h.get(&format!("/api/v1/environments/{id}")).token(&t.admin).send().await;
    assert_eq!(r.status, 404);
    let r = h.delete(&format!("/api/v1/environments/{id}")).token(&t.admin).send().await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn duplicates_are_409_and_nothing_is_half_written() {
    let h = H::new();
    let t = h.tenant("Dups").await;
    let audit_rows =
        |h: &H| h.sql(|c| c.query_row("SELECT COUNT(*) FROM audit_log", [], |r| r.get::<_, i64>(0)).unwrap());
    assert_eq!(h.post("/api/v1/environments", json!({"name": "prod"})).token(&t.admin).send().await.status, 201);
    let before = audit_rows(&h);
    let r = h.post("/api/v1/environments", json!({"name": "prod"})).token(&t.admin).send().await;
    assert_eq!(r.status, 409);
    assert_eq!(r.error_code(), "already_exists");
    assert_eq!(audit_rows(&h), before, "a refused change leaves no audit row");
    let r = h.get("/api/v1/environments?search=prod").token(&t.admin).send().await;
    assert_eq!(r.body["pagination"]["total"], 1);
}

#[tokio::test]
async fn idempotency_keys_replay_and_mismatch() {
    let h = H::new();
    let t = h.tenant("Idem").await;
    let send = |body: serde_json::Value, key: &str| {
        h.post("/api/v1/environments", body).token(&t.admin).header("idempotency-key", key).send()
    };
    let first = send(json!({"name": "once"}), "key-1").await;
    assert_eq!(first.status, 201);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = send(json!({"name": "once"}), "key-1").await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body, "the stored response comes back");
    assert_eq!(again.header("location"), first.header("location"));
    let r = h.get("/api/v1/environments").token(&t.admin).send().await;
    assert_eq!(r.body["pagination"]["total"], 1, "created once");

    let other = send(json!({"name": "different"}), "key-1").await;
    assert_eq!(other.status, 422);
    assert_eq!(other.error_code(), "idempotency_key_mismatch");

    // The same key from another principal is another key.
    let r = h
        .post("/api/v1/environments", json!({"name": "once"}))
        .token(&t.member)
        .header("idempotency-key", "key-1")
        .send()
        .await;
    assert_eq!(r.status, 403, "the member's own request runs (and is refused)");

    // A stored error is replayed too.
    let dup = send(json!({"name": "once"}), "key-2").await;
    assert_eq!(dup.status, 409);
    let dup2 = send(json!({"name": "once"}), "key-2").await;
    assert_eq!((dup2.status, dup2.header("idempotent-replayed")), (409, Some("true")));

    // A key still in use by a running request: see prompt_templates.rs (a slow model).
    let long = "k".repeat(256);
    let r = send(json!({"name": "x"}), &long).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn idempotent_replays_of_secrets_are_sealed_at_rest() {
    let h = H::new();
    let t = h.tenant("Sealed").await;
    let r =
        h.post("/api/v1/tokens", json!({"name": "ci"})).token(&t.admin).header("idempotency-key", "tok-1").send().await;
    let secret = r.body["token"].as_str().unwrap().to_string();
    let again =
        h.post("/api/v1/tokens", json!({"name": "ci"})).token(&t.admin).header("idempotency-key", "tok-1").send().await;
    assert_eq!(again.body["token"].as_str(), Some(secret.as_str()));
    let stored: String =
        h.sql(|c| c.query_row("SELECT response_body FROM idempotency_keys", [], |r| r.get(0)).unwrap());
    assert!(stored.starts_with("v1."), "sealed");
    assert!(!stored.contains(&secret));
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let h = H::new();
    let t = h.tenant("Big").await;
    let big = format!("{{\"name\": \"x\", \"description\": \"{}\"}}", "a".repeat(70 * 1024));
    let r = h.req("POST", "/api/v1/environments").raw(big.as_bytes(), "application/json").token(&t.admin).send().await;
    assert_eq!(r.status, 413);
    assert_eq!(r.error_code(), "payload_too_large");
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let h = H::new();
    for path in ["/api/v1/openapi.json", "/api/openapi.json"] {
        let r = h.get(path).send().await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["openapi"].as_str().map(|s| s.starts_with("3.")), Some(true));
        let paths = r.body["paths"].as_object().unwrap();
        for p in [
            "/api/v1/environments",
            "/api/v1/platform/tenants",
            "/api/v1/auth/login",
            "/api/v1/audit-log",
            "/api/v1/me/content-reads",
        ] {
            assert!(paths.contains_key(p), "{p} documented");
        }
        let list = &paths["/api/v1/environments"]["get"];
        let props = &list["parameters"][0]["schema"]["properties"];
        for q in ["limit", "offset", "page", "cursor", "sort", "search", "createdAfter", "createdBefore"] {
            assert!(props.get(q).is_some(), "list parameter {q} documented");
        }
        assert!(list["responses"]["400"].is_object() && list["responses"]["401"].is_object());
        assert!(r.body["components"]["securitySchemes"]["bearerAuth"].is_object());
    }
    let docs = h.get("/api/docs").send().await;
    assert_eq!(docs.status, 200);
    assert!(docs.text.contains("swagger"), "interactive docs");
    assert!(admin_appliance::app::openapi_json().len() > 1000);
}

#[tokio::test]
async fn health_and_readiness() {
    let h = H::new();
    let r = h.get("/healthz").send().await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ok")));
    let r = h.get("/readyz").send().await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ready")));
    let ui = h.get("/").send().await;
    assert_eq!(ui.status, 200);
    assert!(ui.text.contains("admin-appliance"));
    // Only this origin's code, and the inline import map by its hash.
    let csp = ui.header("content-security-policy").expect("the page has a CSP").to_string();
    let map = ui.text.split("<script type=\"importmap\">").nth(1).unwrap().split("</script>").next().unwrap();
    let hash = {
        use base64::Engine;
        let d = ring::digest::digest(&ring::digest::SHA256, map.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(d)
    };
    assert!(csp.contains(&format!("script-src 'self' 'sha256-{hash}'")), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "{csp}");
    let head = h.req("HEAD", "/").send().await;
    assert_eq!(head.status, 200);
}
