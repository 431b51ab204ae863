//! The role × endpoint matrix of DESIGN §4, table-driven: each principal gets exactly the
//! answers its role allows, checked before any handler logic.

use serde_json::{Value, json};

use crate::common::H;

/// Who calls.
#[derive(Clone, Copy, Debug)]
enum Who {
    Platform,
    Admin,
    Member,
    Guest,
}

const ALL: [Who; 4] = [Who::Platform, Who::Admin, Who::Member, Who::Guest];

#[tokio::test]
async fn the_permission_matrix_holds_on_every_endpoint() {
    let h = H::new();
    let t = h.tenant("Matrix").await;
    let env = h.post("/api/v1/environments", json!({"name": "base"})).token(&t.admin).send().await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let user = h
        .post("/api/v1/users", json!({"email": "target@matrix.test", "role": "guest", "password": "password-123"}))
        .token(&t.admin)
        .send()
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = h.post("/api/v1/tokens", json!({"name": "victim", "role": "guest"})).token(&t.admin).send().await.body
        ["id"]
        .as_str()
        .unwrap()
        .to_string();

    // (method, path, body, who may)
    let n = std::sync::atomic::AtomicUsize::new(0);
    let fresh = || n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let rows: Vec<(&str, String, Option<Value>, &[Who])> = vec![
        ("GET", "/api/v1/environments".into(), None, &ALL),
        ("GET", format!("/api/v1/environments/{env}"), None, &ALL),
        (
            "POST",
            "/api/v1/environments".into(),
            Some(json!({"name": format!("e{}", fresh())})),
            &[Who::Platform, Who::Admin],
        ),
        (
            "PATCH",
            format!("/api/v1/environments/{env}"),
            Some(json!({"description": "x"})),
            &[Who::Platform, Who::Admin],
        ),
        ("PUT", format!("/api/v1/environments/{env}"), Some(json!({"description": "y"})), &[Who::Platform, Who::Admin]),
        ("GET", "/api/v1/users".into(), None, &ALL),
        ("GET", format!("/api/v1/users/{user}"), None, &ALL),
        ("POST", "/api/v1/users".into(), Some(json!({"email": "new@matrix.test"})), &[Who::Platform, Who::Admin]),
        ("PATCH", format!("/api/v1/users/{user}"), Some(json!({"name": "Renamed"})), &[Who::Platform, Who::Admin]),
        ("GET", "/api/v1/tokens".into(), None, &[Who::Platform, Who::Admin]),
        ("GET", format!("/api/v1/tokens/{token}"), None, &[Who::Platform, Who::Admin]),
        ("POST", "/api/v1/tokens".into(), Some(json!({"name": "t", "role": "guest"})), &[Who::Platform, Who::Admin]),
        ("GET", "/api/v1/audit-log".into(), None, &[Who::Platform, Who::Admin]),
        ("GET", "/api/v1/me/content-reads".into(), None, &[Who::Platform, Who::Admin]),
        ("GET", "/api/v1/me".into(), None, &ALL),
        ("GET", "/api/v1/roles".into(), None, &ALL),
        ("GET", "/api/v1/platform/tenants".into(), None, &[Who::Platform]),
        ("GET", format!("/api/v1/platform/tenants/{}", t.id), None, &[Who::Platform]),
        (
            "PATCH",
            format!("/api/v1/platform/tenants/{}", t.id),
            Some(json!({"featureFlags": {"beta": true}})),
            &[Who::Platform],
        ),
        ("GET", "/api/v1/platform/plans".into(), None, &[Who::Platform]),
        ("GET", "/api/v1/platform/users".into(), None, &[Who::Platform]),
        ("GET", "/api/v1/platform/audit-log".into(), None, &[Who::Platform]),
        ("GET", format!("/api/v1/platform/tenants/{}/audit-log", t.id), None, &[Who::Platform]),
        ("POST", "/api/v1/platform/tenants".into(), Some(json!({"displayName": "X"})), &[Who::Platform]),
        ("POST", format!("/api/v1/platform/users/{user}/suspend"), None, &[Who::Platform]),
    ];
    for (method, path, body, allowed) in &rows {
        for who in ALL {
            let token = match who {
                Who::Platform => &h.platform,
                Who::Admin => &t.admin,
                Who::Member => &t.member,
                Who::Guest => &t.guest,
            };
            let mut req = h.req(method, path).token(token).header("x-tenant-id", &t.id);
            if let Some(b) = body {
                req = req.json(b.clone());
            }
            let r = req.send().await;
            let may = allowed.iter().any(|a| std::mem::discriminant(a) == std::mem::discriminant(&who));
            if may {
                // Allowed: past the permission check (a 400 or 409 from the handler still counts).
                assert!(
                    r.status != 401 && r.status != 403 && r.status < 500,
                    "{who:?} {method} {path}: {} {}",
                    r.status,
                    r.text
                );
            } else {
                assert_eq!(r.status, 403, "{who:?} {method} {path}: {}", r.text);
                assert_eq!(r.error_code(), "forbidden");
                assert!(r.body["error"].as_str().unwrap().starts_with("Forbidden: You do not have permission to"));
            }
        }
    }
    // Permission checks come before anything else: a forbidden write changes nothing.
    let r = h.get(&format!("/api/v1/environments/{env}")).token(&t.admin).send().await;
    assert_eq!(r.body["description"], "y");
}

#[tokio::test]
async fn roles_lists_the_matrix() {
    let h = H::new();
    let t = h.tenant("Roles").await;
    let r = h.get("/api/v1/roles").token(&t.guest).send().await;
    let roles = r.body.as_array().unwrap();
    assert_eq!(roles.len(), 4);
    let perms = |name: &str| -> Vec<String> {
        roles.iter().find(|r| r["name"] == name).unwrap()["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect()
    };
    assert!(perms("super_admin").contains(&"platform:*".to_string()));
    assert!(!perms("admin").contains(&"platform:*".to_string()));
    assert!(perms("member").contains(&"workflows:write".to_string()));
    assert!(perms("member").contains(&"queue:write".to_string()));
    assert!(!perms("member").contains(&"environments:write".to_string()));
    assert!(perms("member").contains(&"billing:read".to_string()));
    assert!(!perms("guest").iter().any(|p| p.ends_with(":write") || p.ends_with(":create")));
    let me = h.get("/api/v1/me").token(&t.member).send().await;
    assert_eq!(me.body["role"], "member");
    assert_eq!(me.body["tenant"]["id"], t.id);
    assert_eq!(me.body["principalType"], "token");
}

#[tokio::test]
async fn a_token_never_exceeds_its_creator() {
    let h = H::new();
    let t = h.tenant("Ceiling").await;
    // Admin tokens may make admin tokens, not super_admin ones.
    let r = h.post("/api/v1/tokens", json!({"name": "up", "role": "super_admin"})).token(&t.admin).send().await;
    assert_eq!(r.status, 403);
    // A member cannot create tokens at all; users they could create are capped too.
    let r = h.post("/api/v1/tokens", json!({"name": "up", "role": "member"})).token(&t.member).send().await;
    assert_eq!(r.status, 403);
    let r = h
        .post("/api/v1/users", json!({"email": "boss@ceiling.test", "role": "super_admin"}))
        .token(&t.admin)
        .send()
        .await;
    assert_eq!(r.status, 403);
    // Default role of a new token is the creator's own.
    let r = h.post("/api/v1/tokens", json!({"name": "same"})).token(&t.admin).send().await;
    assert_eq!(r.body["role"], "admin");
    // A platform operator acting in a tenant hands out at most admin.
    let r =
        h.post("/api/v1/tokens", json!({"name": "ops"})).token(&h.platform).header("x-tenant-id", &t.id).send().await;
    assert_eq!((r.status, r.body["role"].as_str()), (201, Some("admin")));
}
