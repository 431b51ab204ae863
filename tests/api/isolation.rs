//! Tenant isolation: another tenant's resources are 404 for reads and writes alike, never
//! listed, and platform reads of tenant content are recorded.

use serde_json::json;

use crate::common::H;

#[tokio::test]
async fn another_tenants_resources_are_404_everywhere() {
    let h = H::new();
    let a = h.tenant("Alpha").await;
    let b = h.tenant("Beta").await;
    let env = h.post("/api/v1/environments", json!({"name": "alpha-prod"})).token(&a.admin).send().await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let user = h
        .post("/api/v1/users", json!({"email": "u@alpha.test", "password": "password-123"}))
        .token(&a.admin)
        .send()
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = h.post("/api/v1/tokens", json!({"name": "alpha-ci"})).token(&a.admin).send().await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let audit = h.get("/api/v1/audit-log?limit=1").token(&a.admin).send().await.ids()[0].clone();

    let probes = [
        ("GET", format!("/api/v1/environments/{env}"), None),
        ("PATCH", format!("/api/v1/environments/{env}"), Some(json!({"name": "stolen"}))),
        ("PUT", format!("/api/v1/environments/{env}"), Some(json!({"name": "stolen"}))),
        ("DELETE", format!("/api/v1/environments/{env}"), None),
        ("GET", format!("/api/v1/users/{user}"), None),
        ("PATCH", format!("/api/v1/users/{user}"), Some(json!({"name": "stolen"}))),
        ("DELETE", format!("/api/v1/users/{user}"), None),
        ("GET", format!("/api/v1/tokens/{token}"), None),
        ("DELETE", format!("/api/v1/tokens/{token}"), None),
        ("GET", format!("/api/v1/audit-log/{audit}"), None),
    ];
    for (method, path, body) in &probes {
        let mut req = h.req(method, path).token(&b.admin);
        if let Some(body) = body {
            req = req.json(body.clone());
        }
        let r = req.send().await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.text);
        assert_eq!(r.error_code(), "not_found");
        // A tenant principal cannot reach another tenant by naming it either.
        let mut req = h.req(method, path).token(&b.admin).header("x-tenant-id", &a.id);
        if let Some(body) = body {
            req = req.json(body.clone());
        }
        let r = req.send().await;
        assert!(r.status == 404 || r.status == 400, "{method} {path} with X-Tenant-Id: {}", r.status);
    }
    // Nothing of Alpha's shows in Beta's lists; Alpha's things are intact.
    for list in ["/api/v1/environments", "/api/v1/users", "/api/v1/tokens", "/api/v1/audit-log"] {
        let r = h.get(&format!("{list}?limit=200")).token(&b.admin).send().await;
        let text = r.text.clone();
        for id in [&env, &user, &token, &audit] {
            assert!(!text.contains(id.as_str()), "{list} leaks {id}");
        }
    }
    let r = h.get(&format!("/api/v1/environments/{env}")).token(&a.admin).send().await;
    assert_eq!(r.body["name"], "alpha-prod");
    assert_eq!(h.get("/api/v1/tokens").token(&a.admin).send().await.status, 200);
}

#[tokio::test]
async fn platform_principals_name_the_tenant_and_their_reads_are_recorded() {
    let h = H::new();
    let a = h.tenant("Gamma").await;
    h.post("/api/v1/environments", json!({"name": "g1"})).token(&a.admin).send().await;
    let r = h.get("/api/v1/environments").token(&h.platform).send().await;
    assert_eq!((r.status, r.error_code()), (400, "tenant_required"));
    for header in ["x-tenant-id", "x-workspace-id"] {
        let r = h
            .get("/api/v1/environments")
            .token(&h.platform)
            .header(header, &a.id)
            .header("x-access-reason", "ticket 42")
            .send()
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["pagination"]["total"], 1);
    }
    let r = h.get(&format!("/api/v1/environments?organizationId={}", a.id)).token(&h.platform).send().await;
    assert_eq!(r.body["pagination"]["total"], 1);
    let r = h
        .get("/api/v1/environments")
        .token(&h.platform)
        .header("x-tenant-id", &uuid::Uuid::now_v7().to_string())
        .send()
        .await;
    assert_eq!(r.status, 404);
    let r = h.get("/api/v1/environments").token(&h.platform).header("x-tenant-id", "nope").send().await;
    assert_eq!(r.status, 400);

    let reads = h.get("/api/v1/me/content-reads").token(&a.admin).send().await;
    assert_eq!(reads.status, 200);
    assert_eq!(reads.body["pagination"]["total"], 3);
    let first = &reads.body["data"][2];
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], "/api/v1/environments");
    assert_eq!(first["resourceType"], "environments");
    assert_eq!(first["reason"], "ticket 42");
    assert_eq!(first["actorLabel"], "test-platform");
    // The tenant's own reads are not content reads.
    let again = h.get("/api/v1/me/content-reads").token(&a.admin).send().await;
    assert_eq!(again.body["pagination"]["total"], 3);
}

#[tokio::test]
async fn bodies_may_name_their_own_tenant_only() {
    let h = H::new();
    let a = h.tenant("Named").await;
    let b = h.tenant("Other Named").await;
    let r =
        h.post("/api/v1/environments", json!({"organizationId": a.id, "name": "prod"})).token(&a.admin).send().await;
    assert_eq!(r.status, 201, "{}", r.text);
    let env = r.body["id"].as_str().unwrap().to_string();
    let cases = [
        ("/api/v1/environments", json!({"organizationId": b.id, "name": "x"})),
        ("/api/v1/variables", json!({"organizationId": b.id, "environmentId": env, "name": "X"})),
        (
            "/api/v1/models",
            json!({"tenantId": b.id, "name": "m", "provider": "openai", "modelUrl": "https://api.openai.com/v1", "modelName": "g"}),
        ),
    ];
    for (path, body) in cases {
        let r = h.post(path, body).token(&a.admin).send().await;
        assert_eq!(r.status, 400, "{path}: {}", r.text);
        assert!(r.body["details"]["fields"]["organizationId"].is_string(), "{path}");
    }
    let r = h
        .post("/api/v1/variables", json!({"organizationId": a.id, "environmentId": env, "name": "X"}))
        .token(&a.admin)
        .send()
        .await;
    assert_eq!(r.status, 201);
    let r = h
        .patch(&format!("/api/v1/environments/{env}"), json!({"organizationId": b.id, "description": "x"}))
        .token(&a.admin)
        .send()
        .await;
    assert_eq!(r.status, 400);
}
