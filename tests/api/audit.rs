//! The audit log: one record per change, in the change's transaction, hash-chained and
//! checked by `audit verify`; secrets never appear in it.

use serde_json::json;

use crate::common::H;

#[tokio::test]
async fn every_change_is_audited_with_actor_and_states() {
    let h = H::new();
    let t = h.tenant("Audited").await;
    let env = h.post("/api/v1/environments", json!({"name": "dev"})).token(&t.admin).send().await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    h.patch(&format!("/api/v1/environments/{env}"), json!({"name": "development"})).token(&t.admin).send().await;
    h.delete(&format!("/api/v1/environments/{env}")).token(&t.admin).send().await;
    h.post("/api/v1/users", json!({"email": "pw@audited.test", "password": "super-secret-pw"}))
        .token(&t.admin)
        .send()
        .await;

    let r = h.get("/api/v1/audit-log?targetType=environment&sort=seq").token(&t.admin).send().await;
    let actions: Vec<&str> = r.body["data"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["environment.created", "environment.updated", "environment.deleted"]);
    let updated = &r.body["data"][1];
    assert_eq!(updated["before"]["name"], "dev");
    assert_eq!(updated["after"]["name"], "development");
    assert_eq!(updated["actorType"], "token");
    assert_eq!(updated["actorLabel"], "admin token");
    assert_eq!(updated["tenantId"], t.id);
    assert!(updated["requestId"].is_string());

    let r = h.get("/api/v1/audit-log?actorType=human").token(&t.admin).send().await;
    assert!(r.body["data"].as_array().unwrap().iter().all(|a| a["actorType"] == "human"));
    assert_eq!(h.get("/api/v1/audit-log?actorType=robot").token(&t.admin).send().await.status, 400);
    let everything = h.get("/api/v1/platform/audit-log?limit=200").token(&h.platform).send().await;
    assert!(!everything.text.contains("super-secret-pw"));
    assert!(!everything.text.contains("argon2"));
    assert!(!everything.text.contains(&t.admin));
}

#[tokio::test]
async fn the_hash_chain_detects_tampering() {
    let h = H::new();
    let t = h.tenant("Chain").await;
    for i in 0..5 {
        h.post("/api/v1/environments", json!({"name": format!("e{i}")})).token(&t.admin).send().await;
    }
    let v = h.sql(|c| admin_appliance::domains::audit::store::verify(c).unwrap());
    assert!(v.broken.is_none(), "{:?}", v.broken);
    assert!(v.records >= 8);
    let r = h.get("/api/v1/audit-log?sort=seq&limit=200").token(&t.admin).send().await;
    let data = r.body["data"].as_array().unwrap();
    for pair in data.windows(2) {
        if pair[1]["seq"].as_i64() == pair[0]["seq"].as_i64().map(|s| s + 1) {
            assert_eq!(pair[1]["prevHash"], pair[0]["hash"]);
        }
    }
    // Alter one record's contents: verify names it.
    h.sql(|c| c.execute("UPDATE audit_log SET after_json = '{\"name\":\"forged\"}' WHERE seq = 5", []).unwrap());
    let v = h.sql(|c| admin_appliance::domains::audit::store::verify(c).unwrap());
    assert_eq!(v.broken.as_ref().map(|b| b.0), Some(5));
    // Remove a record: verify notices the gap.
    let h2 = H::new();
    let t2 = h2.tenant("Gap").await;
    h2.post("/api/v1/environments", json!({"name": "x"})).token(&t2.admin).send().await;
    h2.sql(|c| c.execute("DELETE FROM audit_log WHERE seq = 2", []).unwrap());
    let v = h2.sql(|c| admin_appliance::domains::audit::store::verify(c).unwrap());
    assert!(v.broken.unwrap().1.contains("removed"));
}
