//! Per-principal rate limits with their headers; costly writes limited more; plans override.

use serde_json::json;

use crate::common::H;

#[tokio::test]
async fn requests_beyond_the_limit_are_429_per_principal() {
    let h = H::with_config(|c| {
        c.rate_limit.per_minute = 5;
        c.rate_limit.costly_per_minute = 2;
    });
    // Tenant creation is costly: two go through, the third is limited.
    let mk = |n: u32| {
        json!({"displayName": format!("T{n}"), "firstName": "A", "lastName": "B", "email": format!("a{n}@t.test"),
               "password": "password-123", "planId": "enterprise"})
    };
    assert_eq!(h.post("/api/v1/platform/tenants", mk(1)).token(&h.platform).send().await.status, 201);
    let r = h.post("/api/v1/platform/tenants", mk(2)).token(&h.platform).send().await;
    assert_eq!((r.status, r.header("ratelimit-limit")), (201, Some("2")));
    let r = h.post("/api/v1/platform/tenants", mk(3)).token(&h.platform).send().await;
    assert_eq!((r.status, r.error_code()), (429, "rate_limited"));
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);

    // The general limit: 5 a minute for this principal (3 used above).
    let r = h.get("/api/v1/me").token(&h.platform).send().await;
    assert_eq!((r.status, r.header("ratelimit-limit"), r.header("ratelimit-remaining")), (200, Some("5"), Some("1")));
    assert!(r.header("ratelimit-reset").unwrap().parse::<u64>().unwrap() > 0);
    assert_eq!(h.get("/api/v1/me").token(&h.platform).send().await.status, 200);
    let r = h.get("/api/v1/me").token(&h.platform).send().await;
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_some());

    // Another principal has its own allowance.
    let other = h.state.db.conn().unwrap();
    let mut other = other;
    let token = admin_appliance::bootstrap::create_platform_token(&mut other, "other", None).unwrap();
    assert_eq!(h.get("/api/v1/me").token(&token).send().await.status, 200);
}

#[tokio::test]
async fn a_plans_rate_limit_overrides_the_default() {
    let h = H::with_config(|c| c.rate_limit.per_minute = 100);
    let t = h.tenant("Limited").await;
    h.sql(|c| c.execute("UPDATE plans SET rate_limit_per_minute = 3 WHERE code = 'pro'", []).unwrap());
    let r = h.get("/api/v1/environments").token(&t.guest).send().await;
    assert_eq!(r.header("ratelimit-limit"), Some("3"));
    h.get("/api/v1/environments").token(&t.guest).send().await;
    h.get("/api/v1/environments").token(&t.guest).send().await;
    assert_eq!(h.get("/api/v1/environments").token(&t.guest).send().await.status, 429);
    // The platform token is not on the tenant's plan.
    assert_eq!(h.get("/api/v1/me").token(&h.platform).send().await.header("ratelimit-limit"), Some("100"));
}

#[tokio::test]
async fn limits_can_be_switched_off() {
    let h = H::with_config(|c| {
        c.rate_limit.enabled = false;
        c.rate_limit.per_minute = 1;
    });
    for _ in 0..5 {
        let r = h.get("/api/v1/me").token(&h.platform).send().await;
        assert_eq!(r.status, 200);
        assert!(r.header("ratelimit-limit").is_none());
    }
}
