//! A fake LLM provider on 127.0.0.1 that records every request it receives, answering like
//! OpenAI (`/v1/models`), Anthropic (`/v1/models` with `x-api-key`) or Ollama (`/api/tags`).

use std::sync::{Arc, Mutex};

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Request, Response, Server, handler};

#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub body: Option<serde_json::Value>,
    pub authorization: Option<String>,
    pub api_key: Option<String>,
    pub anthropic_version: Option<String>,
}

pub struct FakeLlm {
    pub base: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

/// How the fake answers chat calls.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    Normal,
    /// A 200 whose body is not JSON.
    Malformed,
    /// Answers after this many milliseconds.
    Slow(u64),
}

#[derive(Clone)]
struct Behaviour {
    mode: Mode,
    /// The credential that gets a 200 (`None`: anything does).
    accept: Option<String>,
    status: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

#[handler]
async fn any(req: &Request, body: poem::Body, b: poem::web::Data<&Behaviour>) -> Response {
    let h = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let bytes = body.into_vec().await.unwrap_or_default();
    let seen = Seen {
        body: serde_json::from_slice(&bytes).ok(),
        path: req.uri().path().to_string(),
        authorization: h("authorization"),
        api_key: h("x-api-key"),
        anthropic_version: h("anthropic-version"),
    };
    let presented = seen
        .api_key
        .clone()
        .or_else(|| seen.authorization.clone().map(|a| a.trim_start_matches("Bearer ").to_string()));
    b.seen.lock().unwrap().push(seen);
    let status = poem::http::StatusCode::from_u16(b.status).unwrap();
    if let Some(expected) = &b.accept
        && presented.as_deref() != Some(expected.as_str())
    {
        // Real providers echo part of a wrong key; the appliance must not pass it on.
        let body =
            format!(r#"{{"error": {{"message": "Incorrect API key provided: {}"}}}}"#, presented.unwrap_or_default());
        return Response::builder()
            .status(poem::http::StatusCode::UNAUTHORIZED)
            .content_type("application/json")
            .body(body);
    }
    if let Mode::Slow(ms) = b.mode {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    let path = req.uri().path();
    let chat = path.ends_with("/chat/completions") || path.ends_with("/messages") || path.ends_with("/api/chat");
    if chat && b.mode == Mode::Malformed && status.is_success() {
        return Response::builder().status(status).content_type("text/plain").body("<html>gateway</html>");
    }
    let reply = if !status.is_success() {
        r#"{"error": {"message": "upstream overloaded"}}"#.to_string()
    } else if path.ends_with("/chat/completions") {
        r#"{"id": "c1", "model": "gpt-test", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Welcome aboard, Sarah!"}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 1200, "completion_tokens": 800}}"#.to_string()
    } else if path.ends_with("/messages") {
        r#"{"id": "m1", "type": "message", "model": "claude-test", "content": [{"type": "text", "text": "Hello from Claude"}], "stop_reason": "end_turn", "usage": {"input_tokens": 20, "output_tokens": 5}}"#.to_string()
    } else if path.ends_with("/api/chat") {
        r#"{"model": "llama3", "message": {"role": "assistant", "content": "hi"}, "done": true, "done_reason": "stop", "prompt_eval_count": 3, "eval_count": 2}"#.to_string()
    } else {
        r#"{"data": [], "models": []}"#.to_string()
    };
    Response::builder().status(status).content_type("application/json").body(reply)
}

impl FakeLlm {
    /// Starts a server answering `status` to requests carrying `accept` (or any, when `None`).
    pub async fn start(accept: Option<&str>, status: u16) -> FakeLlm {
        Self::start_mode(accept, status, Mode::Normal).await
    }

    /// Like `start`, answering chat calls in the given mode.
    pub async fn start_mode(accept: Option<&str>, status: u16, mode: Mode) -> FakeLlm {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let behaviour = Behaviour { mode, accept: accept.map(str::to_string), status, seen: seen.clone() };
        let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
        let addr = acceptor.local_addr()[0].as_socket_addr().cloned().unwrap();
        let app = poem::EndpointExt::data(poem::Route::new().at("/*path", any), behaviour);
        tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(app).await;
        });
        FakeLlm { base: format!("http://{addr}"), seen }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// An address on 127.0.0.1 where nothing listens.
pub fn closed_port_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("http://127.0.0.1:{port}")
}
