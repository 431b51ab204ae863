//! Workflow authoring: entity types, workflow entities with condition trees, workflows, prompts.

use serde_json::{Value, json};

use crate::common::{H, Tenant};

async fn builtin_type(h: &H, t: &Tenant, name: &str) -> String {
    let r = h.get(&format!("/api/v1/workflow-entity-types?search={name}")).token(&t.admin).send().await;
    r.body["data"].as_array().unwrap().iter().find(|x| x["name"] == name).unwrap()["id"].as_str().unwrap().to_string()
}

fn rule(field: &str, comparison: &str, value: Value) -> Value {
    json!({"type": "rule", "field": field, "comparison": comparison, "value": value})
}

#[tokio::test]
async fn entity_types_start_with_four_that_cannot_be_deleted() {
    let h = H::new();
    let t = h.tenant("Types").await;
    let r = h.get("/api/v1/workflow-entity-types?sort=createdAt").token(&t.guest).send().await;
    let names: Vec<&str> = r.body["data"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Event", "Prompt", "Action", "Result"]);
    let event = builtin_type(&h, &t, "Event").await;
    let r = h.delete(&format!("/api/v1/workflow-entity-types/{event}")).token(&t.admin).send().await;
    assert_eq!((r.status, r.error_code()), (409, "invalid_state"));
    assert_eq!(
        h.patch(&format!("/api/v1/workflow-entity-types/{event}"), json!({"name": "Trigger"}))
            .token(&t.admin)
            .send()
            .await
            .status,
        400
    );
    let r = h
        .post("/api/v1/workflow-entity-types", json!({"name": "Webhook", "organizationId": t.id}))
        .token(&t.admin)
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let custom = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        h.post("/api/v1/workflow-entity-types", json!({"name": "Webhook"})).token(&t.admin).send().await.status,
        409
    );
    let other = h.tenant("Elsewhere").await;
    let r = h
        .post("/api/v1/workflow-entity-types", json!({"name": "X", "organizationId": other.id}))
        .token(&t.admin)
        .send()
        .await;
    assert_eq!(r.status, 400, "a body naming another tenant");
    assert_eq!(h.post("/api/v1/workflow-entity-types", json!({"name": "Y"})).token(&t.member).send().await.status, 403);
    assert_eq!(
        h.delete(&format!("/api/v1/workflow-entity-types/{custom}")).token(&other.admin).send().await.status,
        404
    );
    assert_eq!(h.delete(&format!("/api/v1/workflow-entity-types/{custom}")).token(&t.admin).send().await.status, 200);
}

#[tokio::test]
async fn condition_trees_are_validated_with_paths_and_evaluated() {
    let h = H::new();
    let t = h.tenant("Conditions").await;
    let event = builtin_type(&h, &t, "Event").await;
    let bad = json!({"type": "group", "operator": "AND", "conditions": [
        rule("message.type", "equalz", json!("x")),
        {"type": "rule", "comparison": "equals", "value": 1},
        rule("message.text", "matches", json!("(unclosed")),
        {"type": "group", "operator": "XOR", "conditions": []}
    ]});
    let r = h
        .post("/api/v1/workflow-entities", json!({"name": "bad", "workflowEntityTypeId": event, "condition": bad}))
        .token(&t.admin)
        .send()
        .await;
    assert_eq!(r.status, 400);
    let f = &r.body["details"]["fields"];
    for path in [
        "condition.conditions[0].comparison",
        "condition.conditions[1].field",
        "condition.conditions[2].value",
        "condition.conditions[3].operator",
    ] {
        assert!(f[path].is_string(), "{path} named in {}", r.text);
    }
    let mut deep = rule("message.a", "exists", Value::Null);
    for _ in 0..10 {
        deep = json!({"type": "group", "operator": "OR", "conditions": [deep]});
    }
    let r = h
        .post("/api/v1/workflow-entities", json!({"name": "deep", "workflowEntityTypeId": event, "condition": deep}))
        .token(&t.admin)
        .send()
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body["details"]["fields"]["condition"].as_str().unwrap().contains("depth"));
    let r = h
        .post(
            "/api/v1/workflow-entities",
            json!({"name": "x", "workflowEntityTypeId": uuid::Uuid::now_v7().to_string()}),
        )
        .token(&t.admin)
        .send()
        .await;
    assert!(r.body["details"]["fields"]["workflowEntityTypeId"].is_string());

    let good = json!({"type": "group", "operator": "AND", "conditions": [
        rule("message.type", "equals", json!("user.signup")),
        {"type": "group", "operator": "OR", "conditions": [
            rule("message.user.plan", "in", json!(["pro", "enterprise"])),
            rule("message.user.seats", "greater_than", json!(10))
        ]}
    ]});
    let r = h
        .post(
            "/api/v1/workflow-entities",
            json!({"organizationId": t.id, "name": "Check User Type", "description": "Evaluates if user is premium", "workflowEntityTypeId": event,
                   "condition": good, "script": "// post", "tfCondition": "True/False",
                   "arguments": [{"argumentName": "userId", "argumentValue": "{{message.user.id}}", "argumentDescription": "id"},
                                 {"argumentName": "greeting", "argumentValue": "Hi {{ message.user.name }} from {{message.nope}}"}]}),
        )
        .token(&t.admin)
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["entityType"]["name"], "Event");
    let id = r.body["id"].as_str().unwrap().to_string();
    let eval = |message: Value| {
        let id = id.clone();
        let h = &h;
        let token = t.member.clone();
        async move {
            h.post(&format!("/api/v1/workflow-entities/{id}/evaluate"), json!({"message": message}))
                .token(&token)
                .send()
                .await
        }
    };
    let r =
        eval(json!({"type": "user.signup", "user": {"id": "u-42", "name": "Ada", "plan": "free", "seats": 12}})).await;
    assert_eq!((r.status, r.body["result"].as_bool()), (200, Some(true)), "{}", r.text);
    assert_eq!(r.body["arguments"][0], json!({"argumentName": "userId", "value": "u-42", "unresolved": []}));
    assert_eq!(r.body["arguments"][1]["value"], "Hi Ada from {{message.nope}}");
    assert_eq!(r.body["arguments"][1]["unresolved"], json!(["message.nope"]));
    assert_eq!(r.body["trace"].as_array().unwrap().len(), 3, "every rule traced");
    let r = eval(json!({"type": "user.signup", "user": {"plan": "free", "seats": 2}})).await;
    assert_eq!(r.body["result"], false);
    let r = eval(json!({"type": "user.login", "user": {"plan": "pro"}})).await;
    assert_eq!(r.body["result"], false);
}

#[tokio::test]
async fn workflows_reference_real_entities_and_keep_them_in_use() {
    let h = H::with_config(|c| c.server.body_limit_bytes = 1 << 20);
    let t = h.tenant("Flows").await;
    let other = h.tenant("Foreign").await;
    let env = h.post("/api/v1/environments", json!({"name": "prod"})).token(&t.admin).send().await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let event = builtin_type(&h, &t, "Event").await;
    let action = builtin_type(&h, &t, "Action").await;
    let mk = |name: &str, ty: &str| json!({"name": name, "workflowEntityTypeId": ty});
    let e1 = h.post("/api/v1/workflow-entities", mk("Signup", &event)).token(&t.admin).send().await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let e2 = h.post("/api/v1/workflow-entities", mk("Send email", &action)).token(&t.admin).send().await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let foreign_type = builtin_type(&h, &other, "Event").await;
    let foreign =
        h.post("/api/v1/workflow-entities", mk("Theirs", &foreign_type)).token(&other.admin).send().await.body["id"]
            .as_str()
            .unwrap()
            .to_string();
    let node = |name: &str, id: &str, children: Value| json!({"name": name, "entityId": id, "entityType": "event", "presentation": {"type": "circle", "position": {"x": 100, "y": 200}}, "children": children});
    let data = json!({"root": node("Check User", &e1, json!([node("Welcome", &e2, json!([]))]))});
    let r = h
        .post("/api/v1/workflows", json!({"environmentId": env, "name": "New User Welcome", "workflowData": data}))
        .token(&t.member)
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["nodeCount"], 2);
    let wf = r.body["id"].as_str().unwrap().to_string();

    let bad = json!({"root": node("Check User", &e1, json!([node("Stolen", &foreign, json!([])), {"name": 5, "entityId": "nope"}]))});
    let r = h
        .post("/api/v1/workflows", json!({"environmentId": env, "name": "Bad", "workflowData": bad}))
        .token(&t.member)
        .send()
        .await;
    assert_eq!(r.status, 400);
    let f = &r.body["details"]["fields"];
    assert!(
        f["workflowData.root.children[1].entityId"].is_string() && f["workflowData.root.children[1].name"].is_string(),
        "{}",
        r.text
    );
    let bad = json!({"root": node("Check User", &e1, json!([node("Stolen", &foreign, json!([]))]))});
    let r = h
        .post("/api/v1/workflows", json!({"environmentId": env, "name": "Bad", "workflowData": bad}))
        .token(&t.member)
        .send()
        .await;
    assert!(
        r.body["details"]["fields"]["workflowData.root.children[0].entityId"].as_str().unwrap().contains("no such"),
        "{}",
        r.text
    );
    let r = h
        .post("/api/v1/workflows", json!({"environmentId": env, "name": "Bad", "workflowData": {}}))
        .token(&t.member)
        .send()
        .await;
    assert!(r.body["details"]["fields"]["workflowData.root"].is_string());
    let mut wide = Vec::new();
    for _ in 0..1001 {
        wide.push(node("n", &e2, json!([])));
    }
    let r = h
        .post(
            "/api/v1/workflows",
            json!({"environmentId": env, "name": "Huge", "workflowData": {"root": node("r", &e1, json!(wide))}}),
        )
        .token(&t.member)
        .send()
        .await;
    assert_eq!(r.status, 400, "node limit");

    let usage = h.get(&format!("/api/v1/workflow-entities/{e2}/usage-count")).token(&t.guest).send().await;
    assert_eq!(usage.body, json!({"count": 1, "workflows": [{"id": wf, "name": "New User Welcome"}]}));
    let r = h.delete(&format!("/api/v1/workflow-entities/{e2}")).token(&t.admin).send().await;
    assert_eq!((r.status, r.error_code()), (409, "entity_in_use"));
    // Taking the entity out of the workflow frees it.
    let r = h
        .patch(&format!("/api/v1/workflows/{wf}"), json!({"workflowData": {"root": node("Only", &e1, json!([]))}}))
        .token(&t.member)
        .send()
        .await;
    assert_eq!((r.status, r.body["nodeCount"].as_i64()), (200, Some(1)));
    assert_eq!(
        h.get(&format!("/api/v1/workflow-entities/{e2}/usage-count")).token(&t.guest).send().await.body["count"],
        0
    );
    assert_eq!(h.delete(&format!("/api/v1/workflow-entities/{e2}")).token(&t.admin).send().await.status, 200);
    let r = h.get(&format!("/api/v1/workflows?environmentId={env}&search=welcome")).token(&t.guest).send().await;
    assert_eq!(r.body["pagination"]["total"], 1);
    assert_eq!(
        h.post("/api/v1/workflows", json!({"environmentId": env, "name": "x", "workflowData": data}))
            .token(&t.guest)
            .send()
            .await
            .status,
        403
    );
    assert_eq!(h.get(&format!("/api/v1/workflows/{wf}")).token(&other.admin).send().await.status, 404);
    assert_eq!(h.delete(&format!("/api/v1/workflows/{wf}")).token(&t.member).send().await.status, 200);
}

#[tokio::test]
async fn prompts_name_their_model() {
    let h = H::new();
    let t = h.tenant("Prompting").await;
    let other = h.tenant("NotMine").await;
    let model = h
        .post("/api/v1/models", json!({"name": "GPT-4 Turbo", "provider": "openai", "modelUrl": "https://api.openai.com/v1", "modelName": "gpt-4-turbo"}))
        .token(&t.admin)
        .send()
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = h
        .post("/api/v1/prompts", json!({"organizationId": t.id, "modelId": model, "title": "Customer Support Response",
                   "content": "You are a helpful customer support agent. Respond to: {{customerMessage}}", "outputFormat": "text", "outputTemplate": null}))
        .token(&t.member)
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["model"], json!({"id": model, "name": "GPT-4 Turbo"}));
    let id = r.body["id"].as_str().unwrap().to_string();
    for (body, field) in [
        (json!({"title": "x", "content": "y", "outputFormat": "xml"}), "outputFormat"),
        (json!({"title": "", "content": "y"}), "title"),
        (json!({"title": "x", "content": " "}), "content"),
        (json!({"title": "x", "content": "y", "modelId": "nope"}), "modelId"),
        (
            json!({"title": "x", "content": "y", "outputFormat": "json", "outputTemplate": "{not json"}),
            "outputTemplate",
        ),
    ] {
        let r = h.post("/api/v1/prompts", body.clone()).token(&t.member).send().await;
        assert_eq!(r.status, 400, "{body}");
        assert!(r.body["details"]["fields"][field].is_string(), "{body}: {}", r.text);
    }
    let theirs = h
        .post(
            "/api/v1/models",
            json!({"name": "m", "provider": "ollama", "modelUrl": "http://127.0.0.1:11434", "modelName": "llama3"}),
        )
        .token(&other.admin)
        .send()
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = h
        .post("/api/v1/prompts", json!({"title": "x", "content": "y", "modelId": theirs}))
        .token(&t.member)
        .send()
        .await;
    assert_eq!(r.body["details"]["fields"]["modelId"], "no such model", "another tenant's model");
    let r = h
        .req("PUT", &format!("/api/v1/prompts/{id}"))
        .json(json!({"title": "v2", "modelId": null}))
        .token(&t.member)
        .send()
        .await;
    assert_eq!((r.body["title"].as_str(), r.body["model"].is_null()), (Some("v2"), true));
    assert_eq!(h.get("/api/v1/prompts?search=customer").token(&t.guest).send().await.body["pagination"]["total"], 1);
    assert_eq!(h.delete(&format!("/api/v1/prompts/{id}")).token(&t.guest).send().await.status, 403);
}
