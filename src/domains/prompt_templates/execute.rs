//! Executing a prompt template: render its `{{variables}}`, call its model over the provider's
//! wire format with the credential opened just in time, record the call and debit its cost.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use poem_openapi::Object;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{PromptTemplate, store};
use crate::db::list::{Scope, get};
use crate::domains::models::store as models;
use crate::http::error::{ApiError, Code, FieldErrors};
use crate::llm::chat;
use crate::state::AppState;

/// How to run a template.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecuteRequest {
    /// Take values from this variable set of the template.
    #[serde(default)]
    pub variable_set_name: Option<String>,
    /// Values for the variables; they win over the variable set's.
    #[serde(default)]
    pub values: BTreeMap<String, Value>,
    /// Only render the prompt; call no model.
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub temperature: Option<f64>,
}

/// The model an execution used.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct ExecutedModel {
    pub id: String,
    pub name: String,
    pub model_name: String,
    pub provider: String,
}

/// The result of an execution.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct Execution {
    pub rendered_prompt: String,
    /// The model's answer; null for a dry run.
    pub output: Option<String>,
    pub model: Option<ExecutedModel>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    /// Credits debited, in minor units of the tenant's currency.
    pub cost_minor: i64,
    pub duration_ms: u64,
    /// The recorded LLM call; null for a dry run.
    pub run_id: Option<String>,
    pub dry_run: bool,
}

/// Replaces `{{name}}` placeholders; returns the text and the names that had no value.
pub fn render(text: &str, values: &BTreeMap<String, Value>) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut missing: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return (out, missing);
        };
        let name = after[..end].trim();
        let valid =
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
        match values.get(name) {
            Some(Value::String(s)) if valid => out.push_str(s),
            Some(v) if valid => out.push_str(&v.to_string()),
            _ => {
                if valid && !missing.iter().any(|m| m == name) {
                    missing.push(name.to_string());
                }
                out.push_str(&rest[start..start + 2 + end + 2]);
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    (out, missing)
}

pub async fn run(state: &AppState, tenant: String, id: String, req: ExecuteRequest) -> Result<Execution, ApiError> {
    let mut errors = FieldErrors::new();
    if req.temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
        errors.add("temperature", "must be between 0 and 2");
    }
    if req.max_tokens.is_some_and(|m| m == 0 || m > 200_000) {
        errors.add("maxTokens", "must be between 1 and 200000");
    }
    errors.finish()?;
    let key = state.master_key.clone();
    let (t, ep) = {
        let (tenant, id) = (tenant.clone(), id.clone());
        let dry = req.dry_run;
        state
            .db
            .read(move |c| {
                let t = get::<PromptTemplate>(c, Scope::Tenant(&tenant), &id)?;
                let ep = match (&t.model_id, dry) {
                    (Some(m), false) => Some(models::endpoint(c, &key, &tenant, m)?),
                    _ => None,
                };
                Ok((t, ep))
            })
            .await?
    };
    let mut values = BTreeMap::new();
    if let Some(set) = &req.variable_set_name {
        let found = t
            .variable_sets
            .iter()
            .find(|s| &s.name == set)
            .ok_or_else(|| ApiError::field("variableSetName", "no such variable set"))?;
        values.extend(found.values.clone());
    }
    values.extend(req.values);
    let (rendered, missing) = render(&t.prompt_text, &values);
    if !missing.is_empty() {
        return Err(ApiError::new(Code::ValidationFailed, format!("Missing values for: {}", missing.join(", ")))
            .with_details(
                json!({ "fields": { "values": format!("missing: {}", missing.join(", ")) }, "missing": missing }),
            ));
    }
    if req.dry_run {
        return Ok(Execution {
            rendered_prompt: rendered,
            output: None,
            model: None,
            input_tokens: 0,
            output_tokens: 0,
            cost_usd: 0.0,
            cost_minor: 0,
            duration_ms: 0,
            run_id: None,
            dry_run: true,
        });
    }
    let (Some(model_id), Some(ep)) = (t.model_id.clone(), ep) else {
        return Err(ApiError::field("modelId", "the template has no model to execute with"));
    };
    let messages = [chat::Message { role: "user".into(), content: rendered.clone() }];
    let call = chat::build(
        &chat::ChatRequest {
            wire: ep.provider.wire(),
            base_url: &ep.model_url,
            model: &ep.model_name,
            messages: &messages,
            max_tokens: req.max_tokens,
            temperature: req.temperature,
            json_output: false,
        },
        ep.token.as_deref(),
    );
    let mut http = state.http.post(&call.url).timeout(Duration::from_secs(state.config.llm.request_timeout_seconds));
    for (k, v) in &call.headers {
        http = http.header(k.as_str(), v.as_str());
    }
    let started = Instant::now();
    let sent = http.body(call.body.to_string()).send().await;
    let result = match sent {
        Ok(resp) => {
            let status = resp.status().as_u16();
            match resp.bytes().await {
                Ok(body) => chat::parse(ep.provider.wire(), status, &body).map_err(|e| (e, status)),
                Err(e) if e.is_timeout() => {
                    Err((chat::ChatError::Provider { status: 0, message: "timed out".into() }, 0))
                }
                Err(_) => Err((chat::ChatError::Malformed { detail: "the reply could not be read".into() }, status)),
            }
        }
        Err(e) if e.is_timeout() => Err((chat::ChatError::Provider { status: 0, message: "timed out".into() }, 0)),
        Err(_) => Err((chat::ChatError::Provider { status: 0, message: "could not connect".into() }, 0)),
    };
    let duration_ms = started.elapsed().as_millis() as u64;
    let run_id = crate::db::new_id();
    let credential = ep.token.clone();
    let outcome = match &result {
        Ok(reply) => {
            let cost_usd = (reply.input_tokens as f64 * ep.input_price + reply.output_tokens as f64 * ep.output_price)
                / 1_000_000.0;
            let cost_minor = (cost_usd * state.config.billing.usd_to_credit_minor as f64).ceil() as i64;
            Ok((reply.clone(), cost_usd, cost_minor))
        }
        Err((e, status)) => Err((e.clone(), *status)),
    };
    {
        let (tenant, id, run_id, model_id) = (tenant.clone(), id.clone(), run_id.clone(), model_id.clone());
        let (provider, model_name) = (ep.provider.as_str().to_string(), ep.model_name.clone());
        let outcome = outcome.clone();
        state
            .db
            .write(move |tx| {
                let (tokens, cost_usd, cost_minor, status, error) = match &outcome {
                    Ok((r, usd, minor)) => ((r.input_tokens, r.output_tokens), *usd, *minor, "ok", None),
                    Err((e, 0)) => (
                        (0, 0),
                        0.0,
                        0,
                        if e.to_string().contains("timed out") { "timeout" } else { "error" },
                        Some(e.to_string()),
                    ),
                    Err((e, _)) => ((0, 0), 0.0, 0, "error", Some(e.to_string())),
                };
                let error = error.map(|e| crate::llm::redact(&e, credential.as_deref()));
                store::record_call(
                    tx,
                    &store::Call {
                        id: &run_id,
                        tenant: &tenant,
                        model_id: &model_id,
                        source_id: &id,
                        provider: &provider,
                        model_name: &model_name,
                        input_tokens: tokens.0,
                        output_tokens: tokens.1,
                        cost_usd,
                        cost_minor,
                        duration_ms,
                        status,
                        error: error.as_deref(),
                    },
                )?;
                if let Ok((r, _, _)) = &outcome {
                    store::set_output(tx, &id, &r.text)?;
                }
                Ok(())
            })
            .await?;
    }
    match outcome {
        Ok((reply, cost_usd, cost_minor)) => Ok(Execution {
            rendered_prompt: rendered,
            output: Some(reply.text),
            model: Some(ExecutedModel {
                id: model_id,
                name: ep.name.clone(),
                model_name: ep.model_name.clone(),
                provider: ep.provider.as_str().into(),
            }),
            input_tokens: reply.input_tokens,
            output_tokens: reply.output_tokens,
            cost_usd,
            cost_minor,
            duration_ms,
            run_id: Some(run_id),
            dry_run: false,
        }),
        Err((chat::ChatError::Provider { status: 0, message }, _)) if message == "timed out" => {
            Err(ApiError::new(Code::UpstreamTimeout, "The model did not answer in time")
                .with_details(json!({ "runId": run_id, "providerStatus": null })))
        }
        Err((e, status)) => {
            let message = crate::llm::redact(&e.to_string(), ep.token.as_deref());
            Err(ApiError::new(Code::UpstreamFailed, "The model's provider returned an error")
                .with_details(json!({ "runId": run_id, "providerStatus": if status == 0 { Value::Null } else { json!(status) }, "message": message })))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_lists_missing_variables() {
        let mut v = BTreeMap::new();
        v.insert("userName".to_string(), json!("Sarah"));
        v.insert("n".to_string(), json!(3));
        let (text, missing) = render("Hi {{userName}}, {{ n }} new in {{productName}} and {{productName}}{{", &v);
        assert_eq!(text, "Hi Sarah, 3 new in {{productName}} and {{productName}}{{");
        assert_eq!(missing, ["productName"]);
    }
}
