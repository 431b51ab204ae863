//! Platform operations: tenant lifecycle, impersonation, plans, invoices and their numbering,
//! the credit ledger, the Razorpay webhook and billing overrides.

use chrono::Datelike;
use serde_json::{Value, json};

use crate::common::{H, Tenant};

fn year() -> i32 {
    chrono::Utc::now().year()
}

async fn first_invoice(h: &H, t: &Tenant) -> Value {
    let r = h.get(&format!("/api/v1/platform/invoices?tenantId={}", t.id)).token(&h.platform).send().await;
    r.body["data"][0].clone()
}

#[tokio::test]
async fn creating_tenants_issues_numbered_first_invoices() {
    let h = H::new();
    let body = |n: u32| {
        json!({"displayName": format!("Inv {n}"), "firstName": "A", "lastName": "B", "email": format!("inv{n}@x.test"),
               "password": "password-123", "planId": "pro"})
    };
    let a = h.post("/api/v1/platform/tenants", body(1)).token(&h.platform).send().await;
    let b = h.post("/api/v1/platform/tenants", body(2)).token(&h.platform).send().await;
    assert_eq!(a.body["invoiceNumber"], format!("INV-{}-000001", year()));
    assert_eq!(b.body["invoiceNumber"], format!("INV-{}-000002", year()));
    let r = h
        .get(&format!("/api/v1/platform/invoices/{}", a.body["invoiceId"].as_str().unwrap()))
        .token(&h.platform)
        .send()
        .await;
    assert_eq!((r.body["status"].as_str(), r.body["type"].as_str()), (Some("pending"), Some("subscription")));
    assert_eq!(
        (r.body["amountMinor"].as_i64(), r.body["amountFormatted"].as_str()),
        (Some(249_900), Some("₹2,499.00"))
    );
    let due = chrono::DateTime::parse_from_rfc3339(r.body["dueAt"].as_str().unwrap()).unwrap();
    let days = (due.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!((167..=168).contains(&days), "due in 7 days, got {days} h");

    let list = h.get("/api/v1/platform/invoices?status=pending").token(&h.platform).send().await;
    assert_eq!(list.body["pagination"]["total"], 2);
    assert_eq!(list.body["totals"]["totalAmountMinor"], 499_800);
    assert_eq!(
        (list.body["totals"]["countPaid"].as_i64(), list.body["totals"]["countFailed"].as_i64()),
        (Some(0), Some(0))
    );
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let r = h
        .get(&format!("/api/v1/platform/invoices?startDate={today}&endDate={today}&plan=pro"))
        .token(&h.platform)
        .send()
        .await;
    assert_eq!(r.body["pagination"]["total"], 2);
    let r = h.get("/api/v1/platform/invoices?endDate=2000-01-01").token(&h.platform).send().await;
    assert_eq!(
        (r.body["pagination"]["total"].as_i64(), r.body["totals"]["totalAmountMinor"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(h.get("/api/v1/platform/invoices?status=lost").token(&h.platform).send().await.status, 400);
}

#[tokio::test]
async fn the_lifecycle_moves_only_along_its_transitions() {
    let h = H::new();
    let t = h.tenant("Cycle").await;
    let path = |p: &str| format!("/api/v1/platform/tenants/{}/{p}", t.id);

    // Activate: onboarding → active, billing dates stamped, plan credits granted.
    let r = h.req("PATCH", &path("activate")).json(json!({"isActive": false})).token(&h.platform).send().await;
    assert_eq!(r.status, 400);
    let r = h.req("PATCH", &path("activate")).json(json!({"isActive": true})).token(&h.platform).send().await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("active")), "{}", r.text);
    let next = chrono::DateTime::parse_from_rfc3339(r.body["nextBillingDate"].as_str().unwrap()).unwrap();
    assert_eq!((next.day(), next.format("%H:%M").to_string()), (1, "00:00".to_string()), "first of next month");
    let r = h.req("PATCH", &path("activate")).json(json!({"isActive": true})).token(&h.platform).send().await;
    assert_eq!((r.status, r.error_code()), (409, "invalid_state"));
    let detail = h.get(&format!("/api/v1/platform/tenants/{}", t.id)).token(&h.platform).send().await;
    let sub = &detail.body["subscription"];
    assert_eq!(sub["status"], "active");
    for f in ["startDate", "billingActivatedOn", "billingStartDate", "nextBillingDate"] {
        assert!(sub[f].is_string(), "{f} stamped");
    }
    assert_eq!(detail.body["billing"]["balance"]["balanceMinor"], 250_000, "pro plan credits");
    assert_eq!(detail.body["usage"]["apiTokenCount"], 3);
    assert_eq!(detail.body["usage"]["monthlyUsageMinor"], 0);

    // Suspend needs a reason; blocks tokens; is not repeated.
    let r = h.post(&path("suspend"), json!({"reason": ""})).token(&h.platform).send().await;
    assert_eq!(r.status, 400);
    let r = h.post(&path("suspend"), json!({"reason": "unpaid invoices"})).token(&h.platform).send().await;
    assert_eq!(
        (r.status, r.body["status"].as_str(), r.body["agentsPaused"].as_i64()),
        (200, Some("suspended"), Some(0))
    );
    assert_eq!(h.get("/api/v1/environments").token(&t.admin).send().await.error_code(), "tenant_suspended");
    assert_eq!(h.post(&path("suspend"), json!({"reason": "again"})).token(&h.platform).send().await.status, 409);
    let r = h.req("PATCH", &path("activate")).json(json!({"isActive": true})).token(&h.platform).send().await;
    assert_eq!(r.status, 409, "a suspended tenant is reinstated, not activated");

    // Reinstate restores the previous state.
    let r = h.req("POST", &path("reinstate")).json(json!({"note": "paid up"})).token(&h.platform).send().await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("active")));
    assert_eq!(h.get("/api/v1/environments").token(&t.admin).send().await.status, 200);
    assert_eq!(h.req("POST", &path("reinstate")).token(&h.platform).send().await.status, 409);

    let o = h.tenant("Onboarder").await;
    h.post(&format!("/api/v1/platform/tenants/{}/suspend", o.id), json!({"reason": "kyc"}))
        .token(&h.platform)
        .send()
        .await;
    let r = h.req("POST", &format!("/api/v1/platform/tenants/{}/reinstate", o.id)).token(&h.platform).send().await;
    assert_eq!(r.body["status"], "onboarding", "back to what it was");

    let log = h
        .get(&format!("/api/v1/platform/tenants/{}/audit-log?sort=seq&actorType=token&targetType=tenant", t.id))
        .token(&h.platform)
        .send()
        .await;
    let actions: Vec<(&str, Option<&str>)> = log.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["action"].as_str().unwrap(), a["reason"].as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("tenant.created", None),
            ("tenant.activated", None),
            ("tenant.suspended", Some("unpaid invoices")),
            ("tenant.reinstated", Some("paid up"))
        ]
    );
    let unknown = uuid::Uuid::now_v7();
    assert_eq!(
        h.post(&format!("/api/v1/platform/tenants/{unknown}/suspend"), json!({"reason": "x"}))
            .token(&h.platform)
            .send()
            .await
            .status,
        404
    );
    assert_eq!(h.post(&path("suspend"), json!({"reason": "x"})).token(&t.admin).send().await.status, 403);
}

#[tokio::test]
async fn impersonation_is_read_only_bound_to_one_tenant_and_expires() {
    let h = H::new();
    let t = h.tenant("Watched").await;
    let other = h.tenant("Other").await;
    h.post("/api/v1/environments", json!({"name": "prod"})).token(&t.admin).send().await;
    h.post("/api/v1/environments", json!({"name": "theirs"})).token(&other.admin).send().await;
    let r = h.req("POST", &format!("/api/v1/platform/tenants/{}/impersonate", t.id)).token(&h.platform).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    let token = r.body["impersonationToken"].as_str().unwrap().to_string();
    assert!(r.body["dashboardUrl"].as_str().unwrap().contains(&token));
    let expires = chrono::DateTime::parse_from_rfc3339(r.body["expiresAt"].as_str().unwrap()).unwrap();
    assert!((expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes() >= 29);

    let r = h.get("/api/v1/environments").token(&token).header("x-tenant-id", &other.id).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["pagination"]["total"], 1);
    assert_eq!(r.body["data"][0]["name"], "prod", "only the impersonated tenant");
    let me = h.get("/api/v1/me").token(&token).send().await;
    assert_eq!(me.body["principalType"], "impersonation");
    let perms: Vec<&str> = me.body["permissions"].as_array().unwrap().iter().filter_map(|p| p.as_str()).collect();
    assert!(perms.contains(&"environments:read"), "{perms:?}");
    assert!(perms.iter().all(|p| p.ends_with(":read")), "only reads, as writes are refused: {perms:?}");
    for (method, path) in
        [("POST", "/api/v1/environments"), ("DELETE", "/api/v1/tokens/x"), ("PATCH", "/api/v1/users/x")]
    {
        let r = h.req(method, path).json(json!({"name": "x"})).token(&token).send().await;
        assert_eq!((r.status, r.error_code()), (403, "read_only_token"), "{method} {path}");
    }
    let reads = h.get("/api/v1/me/content-reads").token(&t.admin).send().await;
    assert!(reads.body["data"].as_array().unwrap().iter().any(|r| r["path"] == "/api/v1/environments"
        && r["actorLabel"].as_str().unwrap().contains("impersonating")));
    let audit = h.get("/api/v1/audit-log?action=impersonation.request").token(&t.admin).send().await;
    assert!(audit.body["pagination"]["total"].as_i64().unwrap() >= 5, "every request audited, refused ones too");

    // Tampered or expired tokens are not credentials.
    let mut tampered = token.clone();
    tampered.pop();
    assert_eq!(h.get("/api/v1/me").token(&tampered).send().await.status, 401);
    let claims = admin_appliance::crypto::impersonation::Claims {
        tid: t.id.clone(),
        sub: None,
        label: "ops".into(),
        exp: chrono::Utc::now().timestamp() - 1,
        jti: "old".into(),
    };
    let expired = admin_appliance::crypto::impersonation::issue(&h.state.master_key, &claims);
    assert_eq!(h.get("/api/v1/me").token(&expired).send().await.status, 401);
    assert_eq!(
        h.req("POST", &format!("/api/v1/platform/tenants/{}/impersonate", t.id)).token(&t.admin).send().await.status,
        403
    );
}

#[tokio::test]
async fn plans_are_created_and_changed() {
    let h = H::new();
    let r = h
        .post(
            "/api/v1/platform/plans",
            json!({"code": "startup", "name": "Startup", "priceMinor": 99_900, "cycle": "quarterly",
                   "includedCreditsMinor": 50_000, "rateLimitPerMinute": 500, "features": ["sso"]}),
        )
        .token(&h.platform)
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!((r.body["currency"].as_str(), r.body["cycle"].as_str()), (Some("INR"), Some("quarterly")));
    assert_eq!(
        h.post("/api/v1/platform/plans", json!({"code": "startup", "name": "X", "priceMinor": 1}))
            .token(&h.platform)
            .send()
            .await
            .status,
        409
    );
    for (body, field) in [
        (json!({"code": "Bad Code", "name": "X", "priceMinor": 1}), "code"),
        (json!({"code": "x", "name": "X", "priceMinor": -1}), "priceMinor"),
        (json!({"code": "x", "name": "X", "priceMinor": 1, "currency": "rupees"}), "currency"),
        (json!({"code": "x", "name": "X", "priceMinor": 1, "cycle": "weekly"}), "cycle"),
        (json!({"code": "x", "name": "X", "priceMinor": 1, "rateLimitPerMinute": 0}), "rateLimitPerMinute"),
    ] {
        let r = h.post("/api/v1/platform/plans", body.clone()).token(&h.platform).send().await;
        assert_eq!(r.status, 400, "{body}");
        assert!(r.body["details"]["fields"][field].is_string(), "{body}: {}", r.text);
    }
    let r = h
        .patch(&format!("/api/v1/platform/plans/{id}"), json!({"priceMinor": 129_900, "rateLimitPerMinute": null}))
        .token(&h.platform)
        .send()
        .await;
    assert_eq!((r.body["priceMinor"].as_i64(), r.body["name"].as_str()), (Some(129_900), Some("Startup")));
    assert!(r.body["rateLimitPerMinute"].is_null());
    let r = h.patch("/api/v1/platform/plans/pro", json!({"includedCreditsMinor": 1})).token(&h.platform).send().await;
    assert_eq!(r.body["includedCreditsMinor"], 1, "by code too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_balance_is_always_the_sum_of_its_rows() {
    let h = H::new();
    let t = h.tenant("Ledger").await;
    let r = h.get("/api/v1/billing/balance").token(&t.member).send().await;
    assert_eq!(
        (r.status, r.body["balanceMinor"].as_i64(), r.body["balanceFormatted"].as_str()),
        (200, Some(0), Some("₹0.00"))
    );
    assert_eq!(h.get("/api/v1/billing/balance").token(&t.guest).send().await.status, 403);
    assert_eq!(h.post("/api/v1/billing/topup", json!({"amountMinor": 100})).token(&t.member).send().await.status, 403);
    for bad in [json!({"amountMinor": 0}), json!({"amountMinor": -5}), json!({"amountMinor": "10"})] {
        let r = h.post("/api/v1/billing/topup", bad.clone()).token(&t.admin).send().await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.body["details"]["fields"]["amountMinor"].is_string());
    }
    // Concurrent top-ups, each key sent twice: every key is applied exactly once.
    let sends = (0..16).map(|i| {
        let key = format!("topup-{}", i % 8);
        h.post("/api/v1/billing/topup", json!({"amountMinor": 12_345, "note": "card"}))
            .token(&t.admin)
            .header("idempotency-key", &key)
            .send()
    });
    let results = futures_util::future::join_all(sends).await;
    for r in &results {
        assert!(r.status == 201 || r.status == 409, "{} {}", r.status, r.text);
    }
    let r = h.get("/api/v1/billing/balance").token(&t.admin).send().await;
    assert_eq!(r.body["balanceMinor"], 8 * 12_345);
    let sum: i64 = h.sql(|c| {
        c.query_row("SELECT SUM(amount_minor) FROM ledger WHERE tenant_id = ?1", [&t.id], |r| r.get(0)).unwrap()
    });
    assert_eq!(sum, 8 * 12_345);
    let first = results.iter().find(|r| r.status == 201).unwrap();
    let location = first.header("location").unwrap().to_string();
    assert_eq!(h.get(&location).token(&t.member).send().await.body["kind"], "topup");
    let tx = h.get("/api/v1/billing/transactions?kind=topup&limit=100").token(&t.admin).send().await;
    assert_eq!(tx.body["pagination"]["total"], 8);
    assert_eq!(tx.body["data"][0]["amountFormatted"], "₹123.45");
    let last_after = tx.body["data"][0]["balanceAfterMinor"].as_i64().unwrap();
    assert_eq!(last_after, 8 * 12_345, "balanceAfter of the newest row is the balance");

    // Falling below the threshold records billing.low_balance once per crossing.
    h.sql(|c| c.execute("UPDATE tenants SET low_balance_threshold_minor = 50000 WHERE id = ?1", [&t.id]).unwrap());
    let debit = |amount: i64| {
        let conn = h.state.db.conn().unwrap();
        admin_appliance::domains::billing::store::append(
            &conn,
            &t.id,
            admin_appliance::domains::billing::store::Change {
                kind: "usage",
                amount_minor: -amount,
                note: "llm",
                reference: None,
                actor_label: "test",
            },
        )
        .unwrap();
    };
    debit(40_000);
    debit(20_000);
    debit(1_000);
    let events = h.sql(|c| admin_appliance::domains::events::of_type(c, &t.id, "billing.low_balance").unwrap());
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["balanceMinor"], 8 * 12_345 - 60_000);
}

fn sign(secret: &str, body: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    hex::encode(ring::hmac::sign(&key, body.as_bytes()))
}

#[tokio::test]
async fn the_razorpay_webhook_verifies_stores_once_and_applies() {
    const SECRET: &str = "whk-test-secret-1";
    let h = H::with_config(|c| c.billing.razorpay_webhook_secret = SECRET.into());
    let t = h.tenant("Payer").await;
    let invoice = first_invoice(&h, &t).await;
    let invoice_id = invoice["id"].as_str().unwrap();
    let send = |body: String, sig: Option<String>, event: Option<&str>| {
        let mut req = h.req("POST", "/api/v1/platform/billing/webhook").raw(body.as_bytes(), "application/json");
        if let Some(s) = sig {
            req = req.header("x-razorpay-signature", &s);
        }
        if let Some(e) = event {
            req = req.header("x-razorpay-event-id", e);
        }
        req.send()
    };
    let captured = json!({"entity": "event", "event": "payment.captured", "payload": {"payment": {"entity": {
        "id": "pay_001", "amount": 249_900, "currency": "INR", "notes": {"tenantId": t.id, "invoiceId": invoice_id}}}}})
    .to_string();
    let r = send(captured.clone(), Some("00".repeat(32)), Some("evt_1")).await;
    assert_eq!(r.status, 401);
    let r = send(captured.clone(), None, Some("evt_1")).await;
    assert_eq!(r.status, 401);
    let r = send(captured.clone(), Some(sign("wrong-secret", &captured)), Some("evt_1")).await;
    assert_eq!(r.status, 401);
    assert_eq!(send(captured.clone(), Some(sign(SECRET, &captured)), None).await.status, 400);
    for _ in 0..2 {
        let r = send(captured.clone(), Some(sign(SECRET, &captured)), Some("evt_1")).await;
        assert_eq!((r.status, &r.body), (200, &json!({"received": true})), "{}", r.text);
    }
    let inv = h.get(&format!("/api/v1/platform/invoices/{invoice_id}")).token(&h.platform).send().await;
    assert_eq!((inv.body["status"].as_str(), inv.body["paymentRef"].as_str()), (Some("paid"), Some("pay_001")));
    assert!(inv.body["paidAt"].is_string());
    let payments: i64 = h.sql(|c| c.query_row("SELECT COUNT(*) FROM payments", [], |r| r.get(0)).unwrap());
    assert_eq!(payments, 1, "a replayed event is applied once");
    let events = h.get("/api/v1/platform/billing/events").token(&h.platform).send().await;
    assert_eq!(events.body["pagination"]["total"], 1);
    assert_eq!(events.body["data"][0]["outcome"], "applied");

    // A failed payment marks the invoice failed and the tenant overdue.
    let other = h.tenant("Late Payer").await;
    let inv2 = first_invoice(&h, &other).await;
    let failed = json!({"event": "payment.failed", "payload": {"payment": {"entity": {"id": "pay_002",
        "notes": {"tenantId": other.id, "invoiceId": inv2["id"]}}}}})
    .to_string();
    assert_eq!(send(failed.clone(), Some(sign(SECRET, &failed)), Some("evt_2")).await.status, 200);
    let r =
        h.get(&format!("/api/v1/platform/invoices/{}", inv2["id"].as_str().unwrap())).token(&h.platform).send().await;
    assert_eq!(r.body["status"], "failed");
    let r = h.get(&format!("/api/v1/platform/tenants/{}", other.id)).token(&h.platform).send().await;
    assert_eq!(r.body["paymentStatus"], "overdue");
    let r = h.get("/api/v1/platform/tenants?paymentStatus=overdue").token(&h.platform).send().await;
    let names: Vec<&str> = r.body["data"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, ["Late Payer"], "the overdue tenants");
    let r = h.get("/api/v1/platform/tenants?paymentStatus=late").token(&h.platform).send().await;
    assert_eq!(r.status, 400);

    // Subscription events change status and plan; unknown types are stored and ignored.
    let sub = json!({"event": "subscription.charged", "payload": {"subscription": {"entity": {"id": "sub_1",
        "notes": {"tenantId": other.id, "planId": "agency"}}}}})
    .to_string();
    assert_eq!(send(sub.clone(), Some(sign(SECRET, &sub)), Some("evt_3")).await.status, 200);
    let r = h.get(&format!("/api/v1/platform/tenants/{}", other.id)).token(&h.platform).send().await;
    assert_eq!((r.body["plan"].as_str(), r.body["paymentStatus"].as_str()), (Some("agency"), Some("current")));
    let odd = json!({"event": "refund.created", "payload": {}}).to_string();
    assert_eq!(send(odd.clone(), Some(sign(SECRET, &odd)), Some("evt_4")).await.status, 200);
    let r = h.get("/api/v1/platform/billing/events?outcome=ignored").token(&h.platform).send().await;
    assert_eq!(r.body["data"][0]["eventType"], "refund.created");
    let r = h.get("/api/v1/platform/invoices?status=paid").token(&h.platform).send().await;
    assert_eq!(r.body["totals"]["countPaid"], 1);
}

#[tokio::test]
async fn billing_overrides_and_the_billing_cycle() {
    let h = H::new();
    let t = h.tenant("Override").await;
    let path = format!("/api/v1/platform/tenants/{}/billing/override", t.id);
    let r = h.post(&path, json!({"action": "extend_trial", "value": 14})).token(&h.platform).send().await;
    assert_eq!(r.status, 400, "reason required");
    let r = h
        .post(&path, json!({"action": "extend_trial", "value": 14, "reason": "sales promise"}))
        .token(&h.platform)
        .send()
        .await;
    assert_eq!((r.status, r.body["action"].as_str()), (200, Some("extend_trial")), "{}", r.text);
    assert!(r.body["applied"]["trialEndsAt"].is_string());
    let tenant = h.get(&format!("/api/v1/platform/tenants/{}", t.id)).token(&h.platform).send().await;
    assert_eq!(tenant.body["status"], "trial");
    for bad in [
        json!({"action": "extend_trial", "value": 0, "reason": "r"}),
        json!({"action": "apply_discount", "value": 150, "reason": "r"}),
        json!({"action": "refund", "value": 1, "reason": "r"}),
    ] {
        assert_eq!(h.post(&path, bad.clone()).token(&h.platform).send().await.status, 400, "{bad}");
    }
    let r = h
        .post(&path, json!({"action": "apply_discount", "value": 20, "reason": "loyalty"}))
        .token(&h.platform)
        .send()
        .await;
    assert_eq!(r.body["applied"]["discountPercent"], 20);
    let r = h
        .post(&path, json!({"action": "change_plan", "value": "agency", "reason": "upgrade"}))
        .token(&h.platform)
        .send()
        .await;
    assert_eq!(r.body["applied"]["plan"], "agency");
    let other = h.tenant("Stranger").await;
    let foreign = first_invoice(&h, &other).await;
    let r = h
        .post(&path, json!({"action": "mark_paid", "value": foreign["id"], "reason": "r"}))
        .token(&h.platform)
        .send()
        .await;
    assert_eq!(r.status, 400, "another tenant's invoice");
    let own = first_invoice(&h, &t).await;
    let r = h
        .post(&path, json!({"action": "mark_paid", "value": own["id"], "reason": "paid by cheque"}))
        .token(&h.platform)
        .send()
        .await;
    assert_eq!(r.body["applied"]["status"], "paid");
    let log = h
        .get(&format!("/api/v1/platform/tenants/{}/audit-log?action=billing.override", t.id))
        .token(&h.platform)
        .send()
        .await;
    assert_eq!(log.body["pagination"]["total"], 4);
    assert_eq!(log.body["data"][0]["reason"], "paid by cheque");

    // The cycle: an active tenant whose billing date has come gets a discounted invoice and
    // its credits; the date moves on a month; a suspended tenant is not billed; trials expire.
    let a = h.tenant("Billed").await;
    h.req("PATCH", &format!("/api/v1/platform/tenants/{}/activate", a.id))
        .json(json!({"isActive": true}))
        .token(&h.platform)
        .send()
        .await;
    h.post(
        &format!("/api/v1/platform/tenants/{}/billing/override", a.id),
        json!({"action": "apply_discount", "value": 10, "reason": "r"}),
    )
    .token(&h.platform)
    .send()
    .await;
    let s = h.tenant("Paused").await;
    h.req("PATCH", &format!("/api/v1/platform/tenants/{}/activate", s.id))
        .json(json!({"isActive": true}))
        .token(&h.platform)
        .send()
        .await;
    h.post(&format!("/api/v1/platform/tenants/{}/suspend", s.id), json!({"reason": "r"}))
        .token(&h.platform)
        .send()
        .await;
    h.sql(|c| c.execute("UPDATE subscriptions SET next_billing_date = '2020-01-01T00:00:00.000000Z'", []).unwrap());
    h.sql(|c| {
        c.execute("UPDATE tenants SET trial_ends_at = '2020-01-01T00:00:00.000000Z' WHERE id = ?1", [&t.id]).unwrap()
    });
    let now = chrono::DateTime::parse_from_rfc3339("2020-02-15T00:00:00Z").unwrap().with_timezone(&chrono::Utc);
    let report = h.sql(|c| admin_appliance::domains::invoices::cycle::run(c, now).unwrap());
    assert_eq!(report.invoices_issued, 2, "January and February for the active tenant only");
    assert_eq!(report.trials_expired, 1);
    let r = h.get(&format!("/api/v1/platform/invoices?tenantId={}&sort=number", a.id)).token(&h.platform).send().await;
    let invoices = r.body["data"].as_array().unwrap();
    assert_eq!(invoices.len(), 3);
    assert_eq!(invoices[1]["amountMinor"], 249_900 * 9 / 10);
    assert_eq!(invoices[1]["periodStart"], "2020-01-01T00:00:00.000000Z");
    assert_eq!(invoices[2]["periodStart"], "2020-02-01T00:00:00.000000Z");
    let next: String = h.sql(|c| {
        c.query_row("SELECT next_billing_date FROM subscriptions WHERE tenant_id = ?1", [&a.id], |r| r.get(0)).unwrap()
    });
    assert_eq!(next, "2020-03-01T00:00:00.000000Z");
    let numbers: Vec<&str> = invoices.iter().map(|i| i["number"].as_str().unwrap()).collect();
    let mut sorted = numbers.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), 3, "unique numbers {numbers:?}");
    let expired = h.get(&format!("/api/v1/platform/tenants/{}", t.id)).token(&h.platform).send().await;
    assert_eq!(expired.body["status"], "suspended");
    let report = h.sql(|c| admin_appliance::domains::invoices::cycle::run(c, now).unwrap());
    assert_eq!(report.invoices_issued, 0, "a second run the same day issues nothing");
}
