//! Platform tenants, plans and users.

use serde_json::json;

use crate::common::H;

fn tenant_body(name: &str, email: &str) -> serde_json::Value {
    json!({"displayName": name, "firstName": "Grace", "lastName": "Hopper", "email": email, "password": "cobol-rules-1"})
}

#[tokio::test]
async fn creating_a_tenant_needs_a_plan_and_a_free_email() {
    let h = H::new();
    let r = h.post("/api/v1/platform/tenants", tenant_body("No Plan", "np@x.test")).token(&h.platform).send().await;
    assert_eq!(r.status, 400);
    assert!(r.body["details"]["fields"]["planId"].as_str().unwrap().contains("plan is required"));
    let mut body = tenant_body("Bad Plan", "bp@x.test");
    body["planId"] = json!("platinum");
    let r = h.post("/api/v1/platform/tenants", body).token(&h.platform).send().await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["details"]["fields"]["planId"], "no such plan");
    let mut body = tenant_body("Half Custom", "hc@x.test");
    body["customPlanName"] = json!("Special");
    let r = h.post("/api/v1/platform/tenants", body).token(&h.platform).send().await;
    assert!(r.body["details"]["fields"]["customRegionId"].is_string());
    assert_eq!(
        h.get("/api/v1/platform/tenants").token(&h.platform).send().await.body["pagination"]["total"],
        0,
        "nothing half-written"
    );

    let mut body = tenant_body("Navy Labs", "grace@navy.test");
    body["planId"] = json!("agency");
    body["gstin"] = json!("29ABCDE1234F1Z5");
    body["billingCity"] = json!("Bengaluru");
    let r = h.post("/api/v1/platform/tenants", body.clone()).token(&h.platform).send().await;
    assert_eq!(r.status, 201, "{}", r.text);
    for k in ["tenantId", "tenantName", "userId", "email", "subscriptionId"] {
        assert!(r.body[k].is_string(), "{k}");
    }
    assert_eq!(
        (r.body["tenantName"].as_str(), r.body["status"].as_str(), r.body["domain"].as_str()),
        (Some("Navy Labs"), Some("onboarding"), Some("navy-labs"))
    );
    let id = r.body["tenantId"].as_str().unwrap().to_string();
    assert_eq!(r.header("location"), Some(format!("/api/v1/platform/tenants/{id}").as_str()));

    body["displayName"] = json!("Navy Labs");
    let r = h.post("/api/v1/platform/tenants", body).token(&h.platform).send().await;
    assert_eq!((r.status, r.error_code()), (409, "already_exists"));
    assert!(r.body["details"]["fields"]["email"].is_string(), "the taken email is named: {}", r.body);

    // Onboarding tenants are fully usable by their users.
    let s = h.login("grace@navy.test", "cobol-rules-1").await;
    assert!(!s.csrf.is_empty());
    let r = h.post("/api/v1/environments", json!({"name": "prod"})).session(&s).send().await;
    assert_eq!(r.status, 201);

    let r = h.get(&format!("/api/v1/platform/tenants/{id}")).token(&h.platform).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["plan"], "agency");
    assert_eq!(r.body["billingProfile"]["gstin"], "29ABCDE1234F1Z5");
    assert_eq!(r.body["billingProfile"]["billingCity"], "Bengaluru");
    assert_eq!(r.body["subscription"]["status"], "pending");
    assert_eq!(r.body["users"][0]["role"], "admin");
    assert_eq!(r.body["userCount"], 1);

    // A custom plan.
    let mut body = tenant_body("Custom Co", "cc@custom.test");
    body["customPlanName"] = json!("Custom Gold");
    body["customRegionId"] = json!("ap-south-1");
    body["customPrice"] = json!(99_900);
    body["customCycle"] = json!("yearly");
    let r = h.post("/api/v1/platform/tenants", body).token(&h.platform).send().await;
    assert_eq!(r.status, 201, "{}", r.text);
    let plan = h
        .get(&format!("/api/v1/platform/plans/{}", r.body["planId"].as_str().unwrap()))
        .token(&h.platform)
        .send()
        .await;
    assert_eq!(
        (plan.body["isCustom"].as_bool(), plan.body["cycle"].as_str(), plan.body["priceMinor"].as_i64()),
        (Some(true), Some("yearly"), Some(99_900))
    );
}

#[tokio::test]
async fn listing_filtering_and_updating_tenants() {
    let h = H::new();
    let a = h.tenant("Acme Rockets").await;
    h.tenant("Bolt Bikes").await;
    let mut body = tenant_body("Acme Free", "free@acme-free.test");
    body["planId"] = json!("free");
    h.post("/api/v1/platform/tenants", body).token(&h.platform).send().await;

    let r = h.get("/api/v1/platform/tenants?search=acme").token(&h.platform).send().await;
    assert_eq!(r.body["pagination"]["total"], 2);
    let r = h.get("/api/v1/platform/tenants?plan=free").token(&h.platform).send().await;
    assert_eq!(r.body["pagination"]["total"], 1);
    assert_eq!(r.body["data"][0]["name"], "Acme Free");
    let r = h.get("/api/v1/platform/tenants?status=onboarding&sort=name").token(&h.platform).send().await;
    assert_eq!(r.body["data"][0]["name"], "Acme Free");
    let r = h.get("/api/v1/platform/tenants?status=sleeping").token(&h.platform).send().await;
    assert_eq!(r.status, 400);

    let r = h
        .patch(&format!("/api/v1/platform/tenants/{}", a.id), json!({"name": "Acme Rocketry", "plan": "enterprise", "spendCapUsd": 500.0, "featureFlags": {"beta": true}}))
        .token(&h.platform)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["name"].as_str(), r.body["plan"].as_str(), r.body["spendCapUsd"].as_f64()),
        (Some("Acme Rocketry"), Some("enterprise"), Some(500.0))
    );
    assert_eq!(r.body["featureFlags"]["beta"], true);
    let r = h
        .patch(&format!("/api/v1/platform/tenants/{}", a.id), json!({"spendCapUsd": null}))
        .token(&h.platform)
        .send()
        .await;
    assert!(r.body["spendCapUsd"].is_null(), "null clears");
    assert_eq!(r.body["name"], "Acme Rocketry", "absent fields stay");
    for bad in [json!({"status": "sleeping"}), json!({"plan": "nope"}), json!({"spendCapUsd": -1}), json!({"name": ""})]
    {
        let r = h.patch(&format!("/api/v1/platform/tenants/{}", a.id), bad.clone()).token(&h.platform).send().await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
    }
    let r = h
        .patch(&format!("/api/v1/platform/tenants/{}", uuid::Uuid::now_v7()), json!({"name": "x"}))
        .token(&h.platform)
        .send()
        .await;
    assert_eq!(r.status, 404);
    let log = h
        .get(&format!("/api/v1/platform/tenants/{}/audit-log?action=tenant.updated", a.id))
        .token(&h.platform)
        .send()
        .await;
    assert_eq!(log.body["pagination"]["total"], 2);
    assert_eq!(log.body["data"][1]["before"]["name"], "Acme Rockets");
    assert_eq!(log.body["data"][1]["after"]["name"], "Acme Rocketry");
}

#[tokio::test]
async fn plans_are_seeded() {
    let h = H::new();
    let r = h.get("/api/v1/platform/plans").token(&h.platform).send().await;
    let codes: Vec<&str> = r.body["data"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["free", "pro", "agency", "enterprise"]);
    assert_eq!(h.get("/api/v1/platform/plans/pro").token(&h.platform).send().await.body["priceMinor"], 249_900);
    assert_eq!(h.get("/api/v1/platform/plans/gold").token(&h.platform).send().await.status, 404);
}

#[tokio::test]
async fn platform_users_list_across_tenants() {
    let h = H::new();
    let a = h.tenant("One").await;
    h.tenant("Two").await;
    let r = h.get("/api/v1/platform/users?role=admin").token(&h.platform).send().await;
    assert_eq!(r.body["pagination"]["total"], 2);
    let r = h.get(&format!("/api/v1/platform/users?tenantId={}", a.id)).token(&h.platform).send().await;
    assert_eq!(r.body["pagination"]["total"], 1);
    assert_eq!(r.body["data"][0]["email"], a.email);
}
