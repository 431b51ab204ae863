//! Identity: sessions with CSRF, login throttling, API tokens (hashed, shown once, expiry,
//! revocation, lastUsedAt), and suspended tenants and users.

use serde_json::json;

use crate::common::H;

#[tokio::test]
async fn login_session_csrf_and_logout() {
    let h = H::new();
    let t = h.tenant("Sessions").await;
    let r = h
        .post("/api/v1/auth/login", json!({"email": t.email.to_uppercase(), "password": "admin-password-1"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let cookie = r.header("set-cookie").unwrap().to_string();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http public_url");
    assert_eq!(r.body["role"], "admin");
    assert_eq!(r.body["tenant"]["id"], t.id);
    assert_eq!(r.body["user"]["email"], t.email);
    assert!(r.body["user"].get("passwordHash").is_none());
    let s = h.login(&t.email, "admin-password-1").await;

    let r = h.get("/api/v1/auth/session").header("cookie", &s.cookie).send().await;
    assert_eq!((r.status, r.body["csrfToken"].as_str()), (200, Some(s.csrf.as_str())));
    // Safe methods need no CSRF token; unsafe ones do.
    assert_eq!(h.get("/api/v1/environments").header("cookie", &s.cookie).send().await.status, 200);
    let r = h.post("/api/v1/environments", json!({"name": "x"})).header("cookie", &s.cookie).send().await;
    assert_eq!((r.status, r.error_code()), (403, "csrf_failed"));
    let r = h
        .post("/api/v1/environments", json!({"name": "x"}))
        .header("cookie", &s.cookie)
        .header("x-csrf-token", "wrong")
        .send()
        .await;
    assert_eq!(r.status, 403);
    let r = h.post("/api/v1/environments", json!({"name": "x"})).session(&s).send().await;
    assert_eq!(r.status, 201);

    let r = h.req("POST", "/api/v1/auth/logout").session(&s).send().await;
    assert_eq!(r.status, 200);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    let r = h.get("/api/v1/environments").header("cookie", &s.cookie).send().await;
    assert_eq!(r.status, 401, "the session is gone");
    // A stale cookie does not stop a new login.
    let r = h
        .post("/api/v1/auth/login", json!({"email": t.email, "password": "admin-password-1"}))
        .header("cookie", &s.cookie)
        .send()
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn failed_logins_are_slowed_then_locked() {
    let h = H::new();
    let t = h.tenant("Locks").await;
    let bad = json!({"email": t.email, "password": "wrong-password"});
    for _ in 0..4 {
        let r = h.post("/api/v1/auth/login", bad.clone()).send().await;
        assert_eq!((r.status, r.error_code()), (401, "invalid_credentials"));
    }
    let r = h.post("/api/v1/auth/login", json!({"email": t.email, "password": "admin-password-1"})).send().await;
    assert_eq!((r.status, r.error_code()), (429, "login_locked"), "even the right password waits");
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() > 0);
    // Unknown emails get the same answer as wrong passwords.
    let r =
        h.post("/api/v1/auth/login", json!({"email": "nobody@nowhere.test", "password": "whatever-1"})).send().await;
    assert_eq!((r.status, r.error_code()), (401, "invalid_credentials"));
    let r = h.post("/api/v1/auth/login", json!({"email": "", "password": ""})).send().await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn tokens_are_hashed_shown_once_expire_and_revoke() {
    let h = H::new();
    let t = h.tenant("Tokens").await;
    let r = h.post("/api/v1/tokens", json!({"name": "deploy", "role": "member"})).token(&t.admin).send().await;
    assert_eq!(r.status, 201);
    let secret = r.body["token"].as_str().unwrap().to_string();
    let id = r.body["id"].as_str().unwrap().to_string();
    assert!(secret.starts_with(r.body["prefix"].as_str().unwrap()));
    let stored: String =
        h.sql(|c| c.query_row("SELECT token_hash FROM api_tokens WHERE id = ?1", [&id], |r| r.get(0)).unwrap());
    assert_eq!(stored, admin_appliance::crypto::sha256_hex(secret.as_bytes()));
    let listed = h.get("/api/v1/tokens").token(&t.admin).send().await;
    assert!(!listed.text.contains(&secret), "never shown again");
    assert!(h.get(&format!("/api/v1/tokens/{id}")).token(&t.admin).send().await.body["lastUsedAt"].is_null());

    let epoch = h.state.db.auth_epoch();
    assert_eq!(h.get("/api/v1/me").token(&secret).send().await.status, 200);
    let r = h.get(&format!("/api/v1/tokens/{id}")).token(&t.admin).send().await;
    assert!(r.body["lastUsedAt"].is_string(), "lastUsedAt tracked");
    assert_eq!(h.state.db.auth_epoch(), epoch, "recording a token's use leaves cached principals valid");

    let r = h.delete(&format!("/api/v1/tokens/{id}")).token(&t.admin).send().await;
    assert_eq!(r.body, json!({"success": true, "id": id}));
    let r = h.get("/api/v1/me").token(&secret).send().await;
    assert_eq!(r.status, 401, "revoked at once");
    assert!(h.get(&format!("/api/v1/tokens/{id}")).token(&t.admin).send().await.body["revokedAt"].is_string());

    let r = h
        .post("/api/v1/tokens", json!({"name": "old", "expiresAt": "2020-01-01T00:00:00Z"}))
        .token(&t.admin)
        .send()
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body["details"]["fields"]["expiresAt"].is_string());
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let r = h.post("/api/v1/tokens", json!({"name": "brief", "expiresAt": soon})).token(&t.admin).send().await;
    let brief = r.body["token"].as_str().unwrap().to_string();
    assert_eq!(h.get("/api/v1/me").token(&brief).send().await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(h.get("/api/v1/me").token(&brief).send().await.status, 401, "expired");
}

#[tokio::test]
async fn suspended_tenants_and_users_are_blocked() {
    let h = H::new();
    let t = h.tenant("Blocked").await;
    let (member_id, s) = h.user_session(&t.admin, "mem@blocked.test", "member", "member-pass-1").await;
    assert_eq!(h.get("/api/v1/environments").header("cookie", &s.cookie).send().await.status, 200);

    // Suspending the user ends their session at once and blocks login.
    let r = h
        .post(&format!("/api/v1/platform/users/{member_id}/suspend"), json!({"reason": "abuse"}))
        .token(&h.platform)
        .send()
        .await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("suspended")));
    assert_eq!(h.get("/api/v1/environments").header("cookie", &s.cookie).send().await.status, 401);
    let r =
        h.post("/api/v1/auth/login", json!({"email": "mem@blocked.test", "password": "member-pass-1"})).send().await;
    assert_eq!((r.status, r.error_code()), (403, "user_suspended"));
    let r = h.post(&format!("/api/v1/platform/users/{member_id}/suspend"), json!({})).token(&h.platform).send().await;
    assert_eq!(r.status, 409, "already suspended");
    let r = h.req("POST", &format!("/api/v1/platform/users/{member_id}/reinstate")).token(&h.platform).send().await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("active")));
    h.login("mem@blocked.test", "member-pass-1").await;

    // Suspending the tenant blocks its tokens and logins with 403 tenant_suspended.
    let r = h
        .patch(&format!("/api/v1/platform/tenants/{}", t.id), json!({"status": "suspended"}))
        .token(&h.platform)
        .send()
        .await;
    assert_eq!(r.status, 200);
    let r = h.get("/api/v1/environments").token(&t.admin).send().await;
    assert_eq!((r.status, r.error_code()), (403, "tenant_suspended"));
    let r = h.post("/api/v1/auth/login", json!({"email": t.email, "password": "admin-password-1"})).send().await;
    assert_eq!((r.status, r.error_code()), (403, "tenant_suspended"));
    // Operators still reach it.
    assert_eq!(h.get("/api/v1/environments").token(&h.platform).header("x-tenant-id", &t.id).send().await.status, 200);
    let r = h
        .patch(&format!("/api/v1/platform/tenants/{}", t.id), json!({"status": "active"}))
        .token(&h.platform)
        .send()
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(h.get("/api/v1/environments").token(&t.admin).send().await.status, 200);
}

#[tokio::test]
async fn users_crud_with_and_without_password() {
    let h = H::new();
    let t = h.tenant("People").await;
    let r = h
        .post("/api/v1/users", json!({"email": "Invitee@People.test", "name": "In Vitee", "role": "guest"}))
        .token(&t.admin)
        .send()
        .await;
    assert_eq!(r.status, 201);
    assert_eq!((r.body["email"].as_str(), r.body["status"].as_str()), (Some("invitee@people.test"), Some("invited")));
    let id = r.body["id"].as_str().unwrap().to_string();
    let r =
        h.post("/api/v1/auth/login", json!({"email": "invitee@people.test", "password": "anything-1"})).send().await;
    assert_eq!(r.status, 401, "invited users cannot log in");
    let r = h.patch(&format!("/api/v1/users/{id}"), json!({"password": "new-password-1"})).token(&t.admin).send().await;
    assert_eq!(r.body["status"], "active", "setting a password activates");
    h.login("invitee@people.test", "new-password-1").await;
    let r = h.post("/api/v1/users", json!({"email": "invitee@people.test"})).token(&t.admin).send().await;
    assert_eq!((r.status, r.error_code()), (409, "already_exists"));
    assert!(r.body["details"]["fields"]["email"].is_string(), "the taken field is named: {}", r.body);
    let r = h.post("/api/v1/users", json!({"email": "not-an-email"})).token(&t.admin).send().await;
    assert!(r.body["details"]["fields"]["email"].is_string());
    let r = h
        .post("/api/v1/users", json!({"email": "short@people.test", "password": "short"}))
        .token(&t.admin)
        .send()
        .await;
    assert!(r.body["details"]["fields"]["password"].is_string());
    let r = h.patch(&format!("/api/v1/users/{}", t.admin_user), json!({"role": "guest"})).token(&t.admin).send().await;
    assert_eq!(r.status, 409, "a token acts as the user who created it, who cannot demote themselves");
    let r = h.delete(&format!("/api/v1/users/{id}")).token(&h.platform).header("x-tenant-id", &t.id).send().await;
    assert_eq!(r.body["success"], true);
    assert_eq!(h.get(&format!("/api/v1/users/{id}")).token(&t.admin).send().await.status, 404);
}

#[tokio::test]
async fn you_cannot_lock_yourself_out() {
    let h = H::new();
    let t = h.tenant("Selfish").await;
    let s = h.login(&t.email, "admin-password-1").await;
    let r = h.patch(&format!("/api/v1/users/{}", t.admin_user), json!({"role": "guest"})).session(&s).send().await;
    assert_eq!(r.status, 409);
    let r = h.delete(&format!("/api/v1/users/{}", t.admin_user)).session(&s).send().await;
    assert_eq!(r.status, 409);
}

#[tokio::test]
async fn a_role_change_applies_to_the_next_request() {
    // Principals are cached between requests; a change to the user must still count at once.
    let h = H::new();
    let t = h.tenant("Roles").await;
    let (id, s) = h.user_session(&t.admin, "dev@roles.test", "admin", "member-pass-1").await;
    let create = |name: &'static str| h.post("/api/v1/environments", json!({"name": name})).session(&s);
    assert_eq!(create("one").send().await.status, 201);
    assert_eq!(create("two").send().await.status, 201, "served from the cache");

    let r = h.patch(&format!("/api/v1/users/{id}"), json!({"role": "member"})).token(&t.admin).send().await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = create("three").send().await;
    assert_eq!((r.status, r.error_code()), (403, "forbidden"), "{}", r.body);
    assert_eq!(h.get("/api/v1/me").session(&s).send().await.body["role"], "member");

    let r = h.patch(&format!("/api/v1/users/{id}"), json!({"role": "admin"})).token(&t.admin).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(create("four").send().await.status, 201);
}
