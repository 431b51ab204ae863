//! Talking to language models: the wire format of each provider kind (OpenAI-compatible,
//! Anthropic, Ollama), and a probe that checks an endpoint and credential with a real request.

pub mod chat;

use std::time::{Duration, Instant};

use poem_openapi::Enum;
use serde::{Deserialize, Serialize};

use crate::config::LlmConfig;

/// The kind of API a model or provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// OpenAI's API, or any OpenAI-compatible one.
    Openai,
    /// Anthropic's Messages API.
    Anthropic,
    /// A local or remote Ollama server.
    Ollama,
    /// Any other OpenAI-compatible endpoint.
    Custom,
}

impl ProviderKind {
    /// The chat wire format this kind speaks.
    pub fn wire(self) -> chat::Wire {
        match self {
            ProviderKind::Openai | ProviderKind::Custom => chat::Wire::OpenAi,
            ProviderKind::Anthropic => chat::Wire::Anthropic,
            ProviderKind::Ollama => chat::Wire::Ollama,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Openai => "openai",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Ollama => "ollama",
            ProviderKind::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "openai" => ProviderKind::Openai,
            "anthropic" => ProviderKind::Anthropic,
            "ollama" => ProviderKind::Ollama,
            _ => ProviderKind::Custom,
        }
    }

    /// The URL a probe asks: the provider's list of models.
    pub fn probe_url(self, base: &str) -> String {
        let base = base_url(base);
        match self {
            ProviderKind::Openai | ProviderKind::Custom => format!("{base}/models"),
            ProviderKind::Anthropic => format!("{}/models", versioned(&base)),
            ProviderKind::Ollama => format!("{base}/api/tags"),
        }
    }
}

pub use chat::{ANTHROPIC_VERSION, base_url};

/// Anthropic's endpoints live under `/v1`; accept a base with or without it.
fn versioned(base: &str) -> String {
    if base.ends_with("/v1") { base.to_string() } else { format!("{base}/v1") }
}

/// Checks that a URL is an absolute http(s) URL with a host.
pub fn valid_url(url: &str) -> bool {
    reqwest::Url::parse(url.trim())
        .map(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()))
        .unwrap_or(false)
}

/// Adds a provider's credential to a request in its wire format.
pub fn authorize(
    kind: ProviderKind,
    req: reqwest::RequestBuilder,
    credential: Option<&str>,
) -> reqwest::RequestBuilder {
    match (kind, credential) {
        (ProviderKind::Anthropic, Some(key)) => {
            req.header("x-api-key", key).header("anthropic-version", ANTHROPIC_VERSION)
        }
        (ProviderKind::Anthropic, None) => req.header("anthropic-version", ANTHROPIC_VERSION),
        (ProviderKind::Ollama, Some(key)) | (ProviderKind::Openai | ProviderKind::Custom, Some(key)) => {
            req.bearer_auth(key)
        }
        (_, None) => req,
    }
}

/// The outcome of one probe.
#[derive(Debug, Clone)]
pub struct Probe {
    pub ok: bool,
    pub status: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<String>,
}

/// Builds the shared HTTP client for outbound calls (rustls with ring, timeouts set).
pub fn client(cfg: &LlmConfig) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(cfg.request_timeout_seconds))
        .connect_timeout(Duration::from_secs(cfg.connect_timeout_seconds))
        .user_agent(concat!("admin-appliance/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client builds with rustls")
}

/// Makes a real, cheap request (list models) to check an endpoint and its credential. Never
/// fails: an unreachable endpoint is a probe with `ok: false`. No credential appears in `error`.
pub async fn probe(
    http: &reqwest::Client,
    kind: ProviderKind,
    base: &str,
    credential: Option<&str>,
    timeout: Duration,
) -> Probe {
    let started = Instant::now();
    let req = authorize(kind, http.get(kind.probe_url(base)).timeout(timeout), credential);
    let result = req.send().await;
    let latency_ms = started.elapsed().as_millis() as u64;
    match result {
        Ok(resp) => {
            let status = resp.status();
            if status.is_success() {
                return Probe { ok: true, status: Some(status.as_u16()), latency_ms, error: None };
            }
            let body = resp.text().await.unwrap_or_default();
            let detail =
                provider_message(&body).unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
            Probe {
                ok: false,
                status: Some(status.as_u16()),
                latency_ms,
                error: Some(redact(&format!("HTTP {}: {detail}", status.as_u16()), credential)),
            }
        }
        Err(e) => {
            let why = if e.is_timeout() {
                "timed out".to_string()
            } else if e.is_connect() {
                "could not connect".to_string()
            } else {
                "request failed".to_string()
            };
            Probe { ok: false, status: None, latency_ms, error: Some(why) }
        }
    }
}

/// The error message inside a provider's JSON error body, shortened.
fn provider_message(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let msg = v["error"]["message"].as_str().or_else(|| v["error"].as_str()).or_else(|| v["message"].as_str())?;
    Some(msg.chars().take(300).collect())
}

/// Removes a credential (and any long run of it) from text that may be shown or logged.
pub fn redact(text: &str, credential: Option<&str>) -> String {
    match credential {
        Some(c) if c.len() >= 4 => {
            let mut out = text.replace(c, "[redacted]");
            // Providers often echo a prefix or suffix of a wrong key.
            if c.len() >= 12 {
                out = out.replace(&c[..8], "[redacted]").replace(&c[c.len() - 8..], "[redacted]");
            }
            out
        }
        _ => text.to_string(),
    }
}
