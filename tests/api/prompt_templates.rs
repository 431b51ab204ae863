//! Prompt templates: versions, execution against real local model servers (the exact request
//! each receives, tokens, cost and credit debit, timeout and malformed replies), sentiment.

use serde_json::{Value, json};

use crate::common::{H, Tenant};
use crate::fake_llm::{FakeLlm, Mode};

async fn model(h: &H, t: &Tenant, provider: &str, url: String, token: &str) -> String {
    let r = h
        .post(
            "/api/v1/models",
            json!({"name": format!("{provider}-model"), "provider": provider, "modelUrl": url, "modelName": format!("{provider}-name"),
                   "token": token, "inputPriceUsdPerMtok": 2.5, "outputPriceUsdPerMtok": 10.0}),
        )
        .token(&t.admin)
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

async fn template(h: &H, t: &Tenant, model: &str) -> String {
    let r = h
        .post(
            "/api/v1/prompt-templates",
            json!({"organizationId": t.id, "name": "Welcome Message Generator", "description": "Generates personalized welcome messages",
                   "promptText": "You are a friendly assistant. Write a warm welcome message for {{userName}} who just joined {{productName}}.",
                   "modelId": model, "variables": {"userName": "string", "productName": "string"},
                   "variableSets": [{"name": "Happy User", "values": {"userName": "Sarah", "productName": "Pulse"}}]}),
        )
        .token(&t.admin)
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn every_update_is_a_new_version_and_keeps_the_old() {
    let h = H::new();
    let t = h.tenant("Versions").await;
    let fake = FakeLlm::start(None, 200).await;
    let m = model(&h, &t, "openai", format!("{}/v1", fake.base), "sk-v").await;
    let id = template(&h, &t, &m).await;
    let r = h.get(&format!("/api/v1/prompt-templates/{id}")).token(&t.guest).send().await;
    assert_eq!((r.body["version"].as_i64(), r.body["model"]["name"].as_str()), (Some(1), Some("openai-model")));
    for (i, text) in ["Second {{userName}}", "Third {{userName}}", "Fourth {{userName}}"].iter().enumerate() {
        let r = h
            .req("PUT", &format!("/api/v1/prompt-templates/{id}"))
            .json(json!({"promptText": text}))
            .token(&t.admin)
            .send()
            .await;
        assert_eq!(r.body["version"], i as i64 + 2);
    }
    let r = h.get(&format!("/api/v1/prompt-templates/{id}/versions")).token(&t.guest).send().await;
    assert_eq!(r.body["pagination"]["total"], 3);
    let versions: Vec<i64> =
        r.body["data"].as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [3, 2, 1]);
    let v1 = h.get(&format!("/api/v1/prompt-templates/{id}/versions/1")).token(&t.guest).send().await;
    assert!(v1.body["promptText"].as_str().unwrap().starts_with("You are a friendly assistant"));
    assert_eq!(v1.body["version"], 1);
    let v4 = h.get(&format!("/api/v1/prompt-templates/{id}/versions/4")).token(&t.guest).send().await;
    assert_eq!(v4.body["promptText"], "Fourth {{userName}}");
    assert_eq!(h.get(&format!("/api/v1/prompt-templates/{id}/versions/9")).token(&t.guest).send().await.status, 404);
    let other = h.tenant("Peeker").await;
    assert_eq!(
        h.get(&format!("/api/v1/prompt-templates/{id}/versions/1")).token(&other.admin).send().await.status,
        404
    );
    let theirs = model(&h, &other, "openai", format!("{}/v1", fake.base), "sk-o").await;
    let r = h.patch(&format!("/api/v1/prompt-templates/{id}"), json!({"modelId": theirs})).token(&t.admin).send().await;
    assert!(r.body["details"]["fields"]["modelId"].as_str().is_some(), "{}", r.text);
    assert_eq!(
        h.get(&format!("/api/v1/prompt-templates/{id}")).token(&t.guest).send().await.body["version"],
        4,
        "a refused update is no version"
    );
}

#[tokio::test]
async fn execution_calls_the_model_records_the_call_and_debits_credits() {
    let h = H::new();
    let t = h.tenant("Exec").await;
    h.post("/api/v1/billing/topup", json!({"amountMinor": 10_000})).token(&t.admin).send().await;
    let openai = FakeLlm::start(Some("sk-exec-123"), 200).await;
    let m = model(&h, &t, "openai", format!("{}/v1", openai.base), "sk-exec-123").await;
    let id = template(&h, &t, &m).await;
    let exec = |body: Value| h.post(&format!("/api/v1/prompt-templates/{id}/execute"), body).token(&t.member).send();

    let r = exec(json!({"dryRun": true, "variableSetName": "Happy User"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["renderedPrompt"].as_str().unwrap().contains("for Sarah who just joined Pulse"));
    assert!(r.body["output"].is_null() && r.body["runId"].is_null());
    assert!(openai.requests().is_empty(), "a dry run calls nothing");

    let r = exec(json!({"values": {"userName": "Ada"}})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["details"]["missing"], json!(["productName"]));
    let r = exec(json!({"variableSetName": "Sad User"})).await;
    assert!(r.body["details"]["fields"]["variableSetName"].is_string());

    let r = exec(json!({"variableSetName": "Happy User", "values": {"productName": "Beacon"}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["output"], "Welcome aboard, Sarah!");
    assert_eq!((r.body["inputTokens"].as_u64(), r.body["outputTokens"].as_u64()), (Some(1200), Some(800)));
    // 1200 × $2.50/M + 800 × $10/M = $0.011, at 8300 credits per dollar = 91.3 → 92.
    assert!((r.body["costUsd"].as_f64().unwrap() - 0.011).abs() < 1e-9);
    assert_eq!(r.body["costMinor"], 92);
    assert_eq!(r.body["model"]["modelName"], "openai-name");
    let run_id = r.body["runId"].as_str().unwrap().to_string();
    let seen = &openai.requests()[0];
    assert_eq!(seen.path, "/v1/chat/completions");
    assert_eq!(seen.authorization.as_deref(), Some("Bearer sk-exec-123"));
    let body = seen.body.as_ref().unwrap();
    assert_eq!(body["model"], "openai-name");
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": "You are a friendly assistant. Write a warm welcome message for Sarah who just joined Beacon."}])
    );

    let balance = h.get("/api/v1/billing/balance").token(&t.admin).send().await;
    assert_eq!(balance.body["balanceMinor"], 10_000 - 92);
    let tx = h.get("/api/v1/billing/transactions?kind=usage").token(&t.admin).send().await;
    assert_eq!(
        (tx.body["data"][0]["amountMinor"].as_i64(), tx.body["data"][0]["reference"].as_str()),
        (Some(-92), Some(run_id.as_str()))
    );
    let call: (String, i64, i64, String) = h.sql(|c| {
        c.query_row(
            "SELECT model_name, input_tokens, cost_minor, status FROM llm_calls WHERE id = ?1",
            [&run_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap()
    });
    assert_eq!(call, ("openai-name".to_string(), 1200, 92, "ok".to_string()));

    // Anthropic's wire format.
    let anthropic = FakeLlm::start(Some("sk-ant-777"), 200).await;
    let am = model(&h, &t, "anthropic", anthropic.base.clone(), "sk-ant-777").await;
    h.patch(&format!("/api/v1/prompt-templates/{id}"), json!({"modelId": am})).token(&t.admin).send().await;
    let r = exec(json!({"variableSetName": "Happy User"})).await;
    assert_eq!((r.status, r.body["output"].as_str()), (200, Some("Hello from Claude")), "{}", r.text);
    let seen = &anthropic.requests()[0];
    assert_eq!(
        (seen.path.as_str(), seen.api_key.as_deref(), seen.anthropic_version.as_deref()),
        ("/v1/messages", Some("sk-ant-777"), Some("2023-06-01"))
    );
    assert_eq!(seen.body.as_ref().unwrap()["model"], "anthropic-name");
    assert!(seen.body.as_ref().unwrap()["max_tokens"].is_u64());
    assert_eq!(
        h.post(&format!("/api/v1/prompt-templates/{id}/execute"), json!({})).token(&t.guest).send().await.status,
        403
    );

    // Ollama's chat format, no credential.
    let ollama = FakeLlm::start(None, 200).await;
    let om = h
        .post(
            "/api/v1/models",
            json!({"name": "local", "provider": "ollama", "modelUrl": ollama.base, "modelName": "llama3"}),
        )
        .token(&t.admin)
        .send()
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    h.patch(&format!("/api/v1/prompt-templates/{id}"), json!({"modelId": om})).token(&t.admin).send().await;
    let r = exec(json!({"variableSetName": "Happy User"})).await;
    assert_eq!(
        (r.status, r.body["output"].as_str(), r.body["inputTokens"].as_u64()),
        (200, Some("hi"), Some(3)),
        "{}",
        r.text
    );
    let seen = &ollama.requests()[0];
    assert_eq!((seen.path.as_str(), seen.authorization.as_deref()), ("/api/chat", None));
    assert_eq!(seen.body.as_ref().unwrap()["stream"], false);
    assert_eq!(seen.body.as_ref().unwrap()["model"], "llama3");
}

#[tokio::test]
async fn provider_failures_are_502_and_timeouts_504_never_500() {
    let h = H::with_config(|c| c.llm.request_timeout_seconds = 1);
    let t = h.tenant("Failing").await;
    let slow = FakeLlm::start_mode(None, 200, Mode::Slow(2500)).await;
    let broken = FakeLlm::start_mode(None, 200, Mode::Malformed).await;
    let overloaded = FakeLlm::start(None, 503).await;
    let cases = [
        (slow.base.clone(), 504, "upstream_timeout", Value::Null),
        (broken.base.clone(), 502, "upstream_error", json!(200)),
        (overloaded.base.clone(), 502, "upstream_error", json!(503)),
    ];
    for (base, status, code, provider_status) in cases {
        let m = h
            .post("/api/v1/models", json!({"name": format!("m-{status}-{code}-{provider_status}"), "provider": "openai", "modelUrl": format!("{base}/v1"), "modelName": "x", "token": "sk-secret-zz"}))
            .token(&t.admin)
            .send()
            .await
            .body["id"]
            .as_str()
            .unwrap()
            .to_string();
        let id = template(&h, &t, &m).await;
        let r = h
            .post(&format!("/api/v1/prompt-templates/{id}/execute"), json!({"variableSetName": "Happy User"}))
            .token(&t.admin)
            .send()
            .await;
        assert_eq!((r.status, r.error_code()), (status, code), "{base}: {}", r.text);
        assert_eq!(r.body["details"]["providerStatus"], provider_status, "{}", r.text);
        assert!(r.body["details"]["runId"].is_string());
        assert!(!r.text.contains("sk-secret-zz"));
        h.req("DELETE", &format!("/api/v1/prompt-templates/{id}")).token(&t.admin).send().await;
    }
    let statuses: Vec<String> = h.sql(|c| {
        let mut s = c.prepare("SELECT status FROM llm_calls ORDER BY created_at").unwrap();
        s.query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect()
    });
    assert_eq!(statuses, ["timeout", "error", "error"]);
    assert_eq!(
        h.get("/api/v1/billing/balance").token(&t.admin).send().await.body["balanceMinor"],
        0,
        "failures cost nothing"
    );
}

#[tokio::test]
async fn sentiment_is_analysed_offline_for_prompt_and_output() {
    let h = H::new();
    let t = h.tenant("Moods").await;
    let fake = FakeLlm::start(None, 200).await;
    let m = model(&h, &t, "openai", format!("{}/v1", fake.base), "sk-s").await;
    let id = template(&h, &t, &m).await;
    let r = h.req("POST", &format!("/api/v1/prompt-templates/{id}/analyze-sentiment")).token(&t.guest).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["rawSentimentAnalysis"]["label"], "positive", "{}", r.text);
    assert!(r.body["resultSentimentAnalysis"].is_null(), "no execution yet");
    for k in ["score", "positive", "negative", "neutral"] {
        assert!(r.body["rawSentimentAnalysis"][k].is_f64(), "{k}");
    }
    h.post(&format!("/api/v1/prompt-templates/{id}/execute"), json!({"variableSetName": "Happy User"}))
        .token(&t.admin)
        .send()
        .await;
    let r = h.req("POST", &format!("/api/v1/prompt-templates/{id}/analyze-sentiment")).token(&t.guest).send().await;
    assert!(r.body["resultSentimentAnalysis"]["label"].is_string());
    let stored = h.get(&format!("/api/v1/prompt-templates/{id}")).token(&t.guest).send().await;
    assert_eq!(stored.body["rawSentimentAnalysis"], r.body["rawSentimentAnalysis"]);
    assert_eq!(stored.body["version"], 1, "analysis is not a new version");
}

#[tokio::test]
async fn an_idempotency_key_in_use_by_a_running_request_is_409() {
    let h = H::new();
    let t = h.tenant("Busy").await;
    let slow = FakeLlm::start_mode(None, 200, Mode::Slow(1500)).await;
    let m = model(&h, &t, "openai", format!("{}/v1", slow.base), "sk-busy").await;
    let id = template(&h, &t, &m).await;
    let url = format!("/api/v1/prompt-templates/{id}/execute");
    let run =
        || h.post(&url, json!({"variableSetName": "Happy User"})).token(&t.admin).header("idempotency-key", "run-1");
    let (first, second) = tokio::join!(run().send(), async {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        run().send().await
    });
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!((second.status, second.error_code()), (409, "idempotency_key_in_progress"), "{}", second.text);
    let third = run().send().await;
    assert_eq!((third.status, third.header("idempotent-replayed")), (200, Some("true")));
    assert_eq!(third.body, first.body);
}
