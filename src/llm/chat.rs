//! Chat calls to language models without I/O: builds the HTTP request for each wire format and parses the reply.

use serde::Serialize;
use serde_json::{Map, Value, json};

/// The wire format an endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// OpenAI's Chat Completions API, or any compatible one (also "custom" providers).
    OpenAi,
    /// Anthropic's Messages API.
    Anthropic,
    /// Ollama's `/api/chat`.
    Ollama,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// `"system"`, `"user"` or `"assistant"`.
    pub role: String,
    /// The text of the message.
    pub content: String,
}

/// What to ask a model, independent of the wire format.
#[derive(Debug, Clone)]
pub struct ChatRequest<'a> {
    /// The wire format of the endpoint.
    pub wire: Wire,
    /// The API's base URL (a full endpoint URL is accepted too, see [`base_url`]).
    pub base_url: &'a str,
    /// The model name as the provider knows it.
    pub model: &'a str,
    /// The conversation, system messages included.
    pub messages: &'a [Message],
    /// The most tokens to generate; Anthropic requires a value and gets [`ANTHROPIC_DEFAULT_MAX_TOKENS`] if unset.
    pub max_tokens: Option<u32>,
    /// The sampling temperature, or the provider's default.
    pub temperature: Option<f64>,
    /// Ask for a JSON object as the reply (OpenAI-compatible and Ollama only).
    pub json_output: bool,
}

/// A request ready to send: POST `body` as JSON to `url` with `headers`.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpCall {
    /// The endpoint URL.
    pub url: String,
    /// Header names and values, credential included.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: Value,
}

/// The model's answer to a chat call.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatReply {
    /// The generated text.
    pub text: String,
    /// Prompt tokens as reported by the provider (0 when not reported).
    pub input_tokens: u64,
    /// Generated tokens as reported by the provider (0 when not reported).
    pub output_tokens: u64,
    /// The model that answered, when reported.
    pub model: Option<String>,
    /// Why generation stopped (`stop`, `end_turn`, `length`, ...), when reported.
    pub finish_reason: Option<String>,
}

/// Why a chat call gave no reply.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatError {
    /// The provider answered with a non-2xx status; `message` is its error text (at most 300 chars).
    Provider { status: u16, message: String },
    /// A 2xx reply that is not JSON or lacks the generated text.
    Malformed { detail: String },
}

impl std::fmt::Display for ChatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChatError::Provider { status, message } => write!(f, "provider returned HTTP {status}: {message}"),
            ChatError::Malformed { detail } => write!(f, "malformed provider reply: {detail}"),
        }
    }
}

impl std::error::Error for ChatError {}

/// The API version header value Anthropic requires.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// The `max_tokens` sent to Anthropic when the request sets none (Anthropic requires one).
pub const ANTHROPIC_DEFAULT_MAX_TOKENS: u32 = 1024;

/// The longest provider error message kept, in chars.
const MAX_MESSAGE_CHARS: usize = 300;
/// The most chars of a raw body used as an error message when it carries no error text.
const MAX_BODY_CHARS: usize = 200;

/// The base URL of an API, whether given as the base or as a full endpoint URL: strips trailing
/// slashes and one of `/chat/completions`, `/v1/messages`, `/messages`, `/api/chat`, `/api/generate`.
pub fn base_url(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    for suffix in ["/chat/completions", "/v1/messages", "/messages", "/api/chat", "/api/generate"] {
        if let Some(base) = url.strip_suffix(suffix) {
            return base.to_string();
        }
    }
    url.to_string()
}

/// Builds the HTTP call for a chat request; `credential` is the API key or token, if any.
pub fn build(req: &ChatRequest, credential: Option<&str>) -> HttpCall {
    let base = base_url(req.base_url);
    let mut headers = match (req.wire, credential) {
        (_, None) => Vec::new(),
        (Wire::Anthropic, Some(key)) => vec![header("x-api-key", key)],
        (_, Some(key)) => vec![header("Authorization", &format!("Bearer {key}"))],
    };
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    let temperature = req.temperature.map(|t| json!(t));
    let url = match req.wire {
        Wire::OpenAi => {
            headers.push(header("Content-Type", "application/json"));
            body.insert("messages".into(), json!(req.messages));
            put(&mut body, "max_tokens", req.max_tokens.map(|max| json!(max)));
            put(&mut body, "temperature", temperature);
            put(&mut body, "response_format", req.json_output.then(|| json!({"type": "json_object"})));
            format!("{base}/chat/completions")
        }
        Wire::Anthropic => {
            headers.push(header("anthropic-version", ANTHROPIC_VERSION));
            headers.push(header("content-type", "application/json"));
            body.insert("max_tokens".into(), json!(req.max_tokens.unwrap_or(ANTHROPIC_DEFAULT_MAX_TOKENS)));
            let turns: Vec<&Message> =
                req.messages.iter().filter(|m| m.role == "user" || m.role == "assistant").collect();
            body.insert("messages".into(), json!(turns));
            let system: Vec<&str> =
                req.messages.iter().filter(|m| m.role == "system").map(|m| m.content.as_str()).collect();
            put(&mut body, "system", (!system.is_empty()).then(|| json!(system.join("\n\n"))));
            put(&mut body, "temperature", temperature);
            if base.ends_with("/v1") { format!("{base}/messages") } else { format!("{base}/v1/messages") }
        }
        Wire::Ollama => {
            headers.push(header("Content-Type", "application/json"));
            body.insert("messages".into(), json!(req.messages));
            body.insert("stream".into(), json!(false));
            put(&mut body, "format", req.json_output.then(|| json!("json")));
            let mut options = Map::new();
            put(&mut options, "temperature", temperature);
            put(&mut options, "num_predict", req.max_tokens.map(|max| json!(max)));
            put(&mut body, "options", (!options.is_empty()).then_some(Value::Object(options)));
            format!("{base}/api/chat")
        }
    };
    HttpCall { url, headers, body: Value::Object(body) }
}

/// Parses a provider's reply to a call made by [`build`], given its HTTP status and body.
pub fn parse(wire: Wire, status: u16, body: &[u8]) -> Result<ChatReply, ChatError> {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    if !(200..300).contains(&status) {
        return Err(ChatError::Provider { status, message: provider_message(json.as_ref(), body) });
    }
    let json = json.ok_or_else(|| malformed("response body is not JSON"))?;
    let (text, input, output, finish) = match wire {
        Wire::OpenAi => {
            let text = json.pointer("/choices/0/message/content").and_then(Value::as_str);
            let text = text.ok_or_else(|| malformed("missing choices[0].message.content"))?.to_string();
            (text, "/usage/prompt_tokens", "/usage/completion_tokens", "/choices/0/finish_reason")
        }
        Wire::Anthropic => {
            let blocks = json.get("content").and_then(Value::as_array).ok_or_else(|| malformed("missing content"))?;
            let text = blocks.iter().filter(|b| b["type"] == "text").filter_map(|b| b["text"].as_str()).collect();
            (text, "/usage/input_tokens", "/usage/output_tokens", "/stop_reason")
        }
        Wire::Ollama => {
            let text = json.pointer("/message/content").and_then(Value::as_str);
            let text = text.ok_or_else(|| malformed("missing message.content"))?.to_string();
            (text, "/prompt_eval_count", "/eval_count", "/done_reason")
        }
    };
    let count = |pointer: &str| json.pointer(pointer).and_then(Value::as_u64).unwrap_or(0);
    let string = |pointer: &str| json.pointer(pointer).and_then(Value::as_str).map(str::to_string);
    let (input_tokens, output_tokens) = (count(input), count(output));
    Ok(ChatReply { text, input_tokens, output_tokens, model: string("/model"), finish_reason: string(finish) })
}

/// Inserts `key` into a JSON object when there is a value.
fn put(object: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        object.insert(key.into(), value);
    }
}

fn header(name: &str, value: &str) -> (String, String) {
    (name.to_string(), value.to_string())
}

fn malformed(detail: &str) -> ChatError {
    ChatError::Malformed { detail: detail.to_string() }
}

/// The error text of a failed call: `error.message`, `error` as a string, or `message`; else the start of the body.
fn provider_message(json: Option<&Value>, body: &[u8]) -> String {
    let from_json = json.and_then(|v| v["error"]["message"].as_str().or(v["error"].as_str()).or(v["message"].as_str()));
    match from_json {
        Some(message) => truncate(message.trim(), MAX_MESSAGE_CHARS),
        None => {
            let raw = String::from_utf8_lossy(body);
            let raw = raw.trim();
            if raw.is_empty() { "empty response body".to_string() } else { truncate(raw, MAX_BODY_CHARS) }
        }
    }
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(role: &str, content: &str) -> Message {
        Message { role: role.to_string(), content: content.to_string() }
    }

    fn request<'a>(wire: Wire, base_url: &'a str, messages: &'a [Message]) -> ChatRequest<'a> {
        ChatRequest { wire, base_url, model: "m", messages, max_tokens: None, temperature: None, json_output: false }
    }

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| header(n, v)).collect()
    }

    fn reply(text: &str, input_tokens: u64, output_tokens: u64, model: &str, finish: &str) -> ChatReply {
        let model = Some(model.to_string());
        ChatReply { text: text.into(), input_tokens, output_tokens, model, finish_reason: Some(finish.into()) }
    }

    fn provider(status: u16, message: &str) -> Result<ChatReply, ChatError> {
        Err(ChatError::Provider { status, message: message.to_string() })
    }

    #[test]
    fn openai_with_credential_and_options() {
        let messages = [msg("system", "Be terse."), msg("user", "Hi")];
        let base = request(Wire::OpenAi, "https://api.openai.com/v1", &messages);
        let req = ChatRequest { max_tokens: Some(50), temperature: Some(0.2), json_output: true, ..base };
        let call = build(&req, Some("sk-test"));
        assert_eq!(call.url, "https://api.openai.com/v1/chat/completions");
        assert_eq!(call.headers, headers(&[("Authorization", "Bearer sk-test"), ("Content-Type", "application/json")]));
        let expected = json!({"model": "m", "messages": [{"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Hi"}], "max_tokens": 50, "temperature": 0.2,
            "response_format": {"type": "json_object"}});
        assert_eq!(call.body, expected);
    }

    #[test]
    fn openai_without_credential_or_options() {
        let messages = [msg("user", "Hi")];
        let call = build(&request(Wire::OpenAi, "http://localhost:8000/v1/", &messages), None);
        assert_eq!(call.url, "http://localhost:8000/v1/chat/completions");
        assert_eq!(call.headers, headers(&[("Content-Type", "application/json")]));
        assert_eq!(call.body, json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}]}));
    }

    #[test]
    fn anthropic_moves_system_messages_and_defaults_max_tokens() {
        let messages =
            [msg("system", "Be terse."), msg("user", "Hi"), msg("assistant", "Hello"), msg("system", "Use French.")];
        let req =
            ChatRequest { temperature: Some(0.5), ..request(Wire::Anthropic, "https://api.anthropic.com", &messages) };
        let call = build(&req, Some("sk-ant"));
        assert_eq!(call.url, "https://api.anthropic.com/v1/messages");
        let expected_headers =
            [("x-api-key", "sk-ant"), ("anthropic-version", "2023-06-01"), ("content-type", "application/json")];
        assert_eq!(call.headers, headers(&expected_headers));
        let expected = json!({"model": "m", "max_tokens": 1024,
            "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
            "system": "Be terse.\n\nUse French.", "temperature": 0.5});
        assert_eq!(call.body, expected);
    }

    #[test]
    fn anthropic_base_with_v1_and_no_system() {
        let messages = [msg("user", "Hi")];
        let req = ChatRequest { max_tokens: Some(10), json_output: true, ..request(Wire::Anthropic, "", &messages) };
        for base in ["https://api.anthropic.com/v1", "https://api.anthropic.com/v1/", "https://api.anthropic.com/"] {
            let call = build(&ChatRequest { base_url: base, ..req.clone() }, None);
            assert_eq!(call.url, "https://api.anthropic.com/v1/messages", "base {base}");
            let expected_headers = [("anthropic-version", "2023-06-01"), ("content-type", "application/json")];
            assert_eq!(call.headers, headers(&expected_headers));
            let expected = json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "Hi"}]});
            assert_eq!(call.body, expected);
        }
    }

    #[test]
    fn ollama_with_options_and_json() {
        let messages = [msg("system", "Be terse."), msg("user", "Hi")];
        let base = request(Wire::Ollama, "http://127.0.0.1:11434/", &messages);
        let req = ChatRequest { max_tokens: Some(64), temperature: Some(0.0), json_output: true, ..base };
        let call = build(&req, None);
        assert_eq!(call.url, "http://127.0.0.1:11434/api/chat");
        assert_eq!(call.headers, headers(&[("Content-Type", "application/json")]));
        let expected = json!({"model": "m", "messages": [{"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Hi"}], "stream": false, "format": "json",
            "options": {"temperature": 0.0, "num_predict": 64}});
        assert_eq!(call.body, expected);
    }

    #[test]
    fn ollama_with_credential_omits_empty_options() {
        let messages = [msg("user", "Hi")];
        let call = build(&request(Wire::Ollama, "https://ollama.example.com", &messages), Some("tok"));
        assert_eq!(call.url, "https://ollama.example.com/api/chat");
        assert_eq!(call.headers, headers(&[("Authorization", "Bearer tok"), ("Content-Type", "application/json")]));
        let expected = json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}], "stream": false});
        assert_eq!(call.body, expected);
    }

    #[test]
    fn base_url_strips_endpoints_and_build_accepts_them() {
        assert_eq!(base_url("https://api.openai.com/v1/"), "https://api.openai.com/v1");
        assert_eq!(base_url("https://api.openai.com/v1/chat/completions"), "https://api.openai.com/v1");
        assert_eq!(base_url("https://api.anthropic.com/v1/messages/"), "https://api.anthropic.com");
        assert_eq!(base_url("https://proxy.example.com/anthropic/messages"), "https://proxy.example.com/anthropic");
        assert_eq!(base_url("http://127.0.0.1:11434/api/chat"), "http://127.0.0.1:11434");
        assert_eq!(base_url(" http://127.0.0.1:11434/api/generate "), "http://127.0.0.1:11434");
        assert_eq!(base_url("http://127.0.0.1:11434"), "http://127.0.0.1:11434");
        let messages = [msg("user", "Hi")];
        let call = build(&request(Wire::Anthropic, "https://api.anthropic.com/v1/messages", &messages), None);
        assert_eq!(call.url, "https://api.anthropic.com/v1/messages");
        let call = build(&request(Wire::OpenAi, "https://api.openai.com/v1/chat/completions", &messages), None);
        assert_eq!(call.url, "https://api.openai.com/v1/chat/completions");
    }

    #[test]
    fn parses_openai_reply() {
        let body = br#"{
            "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", "object": "chat.completion", "created": 1741569952,
            "model": "gpt-4.1-2025-04-14",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello! How can I assist you today?",
                "refusal": null, "annotations": []}, "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0}},
            "service_tier": "default"
        }"#;
        assert_eq!(
            parse(Wire::OpenAi, 200, body),
            Ok(reply("Hello! How can I assist you today?", 19, 10, "gpt-4.1-2025-04-14", "stop"))
        );
    }

    #[test]
    fn parses_anthropic_reply_joining_text_blocks() {
        let body = br#"{
            "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF", "type": "message", "role": "assistant",
            "model": "claude-3-7-sonnet-20250219",
            "content": [{"type": "text", "text": "Hi! My name is Claude."},
                {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {}},
                {"type": "text", "text": " Nice to meet you."}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 2095, "output_tokens": 503}
        }"#;
        assert_eq!(
            parse(Wire::Anthropic, 200, body),
            Ok(reply("Hi! My name is Claude. Nice to meet you.", 2095, 503, "claude-3-7-sonnet-20250219", "end_turn"))
        );
    }

    #[test]
    fn parses_ollama_reply() {
        let body = br#"{
            "model": "llama3.2", "created_at": "2023-12-12T14:13:43.416799Z",
            "message": {"role": "assistant", "content": "Hello! How are you today?"},
            "done_reason": "stop", "done": true, "total_duration": 5191566416, "load_duration": 2154458,
            "prompt_eval_count": 26, "prompt_eval_duration": 383809000,
            "eval_count": 298, "eval_duration": 4799921000
        }"#;
        assert_eq!(parse(Wire::Ollama, 200, body), Ok(reply("Hello! How are you today?", 26, 298, "llama3.2", "stop")));
    }

    #[test]
    fn missing_token_counts_are_zero() {
        let body = br#"{"choices": [{"message": {"role": "assistant", "content": "ok"}}]}"#;
        let reply = parse(Wire::OpenAi, 200, body).unwrap();
        let expected =
            ChatReply { text: "ok".into(), input_tokens: 0, output_tokens: 0, model: None, finish_reason: None };
        assert_eq!(reply, expected);
        let reply = parse(Wire::Ollama, 200, br#"{"message": {"role": "assistant", "content": "ok"}}"#).unwrap();
        assert_eq!(reply, expected);
    }

    #[test]
    fn provider_error_object_401() {
        let body = br#"{"error": {"message": "Incorrect API key provided: sk-abc.", "type": "invalid_request_error",
            "param": null, "code": "invalid_api_key"}}"#;
        assert_eq!(parse(Wire::OpenAi, 401, body), provider(401, "Incorrect API key provided: sk-abc."));
        let body = br#"{"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}"#;
        assert_eq!(parse(Wire::Anthropic, 401, body), provider(401, "invalid x-api-key"));
    }

    #[test]
    fn provider_error_string_429_and_top_level_message() {
        let body = br#"{"error": "rate limit exceeded"}"#;
        assert_eq!(parse(Wire::Ollama, 429, body), provider(429, "rate limit exceeded"));
        let body = br#"{"message": "model not found"}"#;
        assert_eq!(parse(Wire::OpenAi, 404, body), provider(404, "model not found"));
    }

    #[test]
    fn provider_error_non_json_500() {
        let body = format!("<html>{}</html>", "x".repeat(500));
        let Err(ChatError::Provider { status, message }) = parse(Wire::OpenAi, 500, body.as_bytes()) else {
            panic!("expected a provider error");
        };
        assert_eq!(status, 500);
        assert_eq!(message, body.chars().take(200).collect::<String>());
        assert_eq!(parse(Wire::Anthropic, 502, b""), provider(502, "empty response body"));
    }

    #[test]
    fn provider_error_message_truncated() {
        let long = "é".repeat(400);
        let body = json!({"error": {"message": long}}).to_string();
        let Err(ChatError::Provider { message, .. }) = parse(Wire::OpenAi, 400, body.as_bytes()) else {
            panic!("expected a provider error");
        };
        assert_eq!(message.chars().count(), 300);
    }

    #[test]
    fn malformed_success_replies() {
        let not_json = parse(Wire::OpenAi, 200, b"upstream ok");
        assert_eq!(not_json, Err(malformed("response body is not JSON")));
        let no_choices = parse(Wire::OpenAi, 200, br#"{"id": "chatcmpl-1", "object": "chat.completion"}"#);
        assert_eq!(no_choices, Err(malformed("missing choices[0].message.content")));
        let no_content = parse(Wire::Anthropic, 200, br#"{"type": "message", "usage": {}}"#);
        assert_eq!(no_content, Err(malformed("missing content")));
        let no_message = parse(Wire::Ollama, 200, br#"{"model": "llama3.2", "done": true}"#);
        assert_eq!(no_message, Err(malformed("missing message.content")));
    }
}
