//! The middleware every request passes through, outermost first:
//! `request_context` (request id, one log line, early 413, every error turned into the JSON
//! body), `acknowledge` (with FULL durability, the response waits for the disk), panic
//! catching, `authenticate` (resolves the caller once) and `idempotency`.

use std::sync::Arc;
use std::time::Instant;

use poem::http::{HeaderValue, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};

use super::auth::{self, Caller};
use super::body::{BodyLimit, is_json, too_large};
use super::error::{ApiError, from_poem_error};
use super::request_id;
use crate::state::AppState;

/// Request id, access log, early body-size check and JSON errors for everything below it.
pub async fn request_context<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(request_id::generate);
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = Instant::now();
    let mut resp = request_id::scope(id.clone(), async move {
        let limit = req.data::<BodyLimit>().map(|l| l.0).unwrap_or(u64::MAX);
        let declared =
            req.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit) {
            return too_large(limit).into_response();
        }
        normalize(ep.call(req).await.map(IntoResponse::into_response))
    })
    .await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    let status = resp.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(request_id = %id, %method, %path, status, duration_ms = ms, "request");
    } else {
        tracing::info!(request_id = %id, %method, %path, status, duration_ms = ms, "request");
    }
    Ok(resp)
}

/// With FULL durability, holds the response until the request's writes are flushed to disk.
pub async fn acknowledge<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let Some(db) = req.data::<AppState>().map(|s| s.db.clone()) else {
        return ep.call(req).await.map(IntoResponse::into_response);
    };
    db.acknowledged(ep.call(req)).await?.map(IntoResponse::into_response)
}

/// Makes every error response the JSON error body, keeping statuses and our own bodies.
fn normalize(result: poem::Result<Response>) -> Response {
    match result {
        Ok(resp) => {
            let status = resp.status();
            let json = resp.content_type().is_some_and(is_json);
            if (status.is_client_error() || status.is_server_error()) && !json {
                from_status(status).into_response()
            } else {
                resp
            }
        }
        Err(err) => match err.downcast_ref::<ApiError>() {
            Some(api) => api.clone().into_response(),
            None => from_poem_error(&err).into_response(),
        },
    }
}

fn from_status(status: StatusCode) -> ApiError {
    from_poem_error(&poem::Error::from_status(status))
}

/// The response for a panic inside a handler: a 500 for that request only.
pub fn panic_response(_panic: Box<dyn std::any::Any + Send>) -> Response {
    ApiError::internal("a request handler panicked").into_response()
}

/// Resolves the caller of an API request once and stores it (or the credential error) in the
/// request; endpoints that need a caller fail with that error.
pub async fn authenticate<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let path = req.uri().path();
    if !(path.starts_with("/api/") || path.starts_with("/mcp")) {
        return ep.call(req).await.map(IntoResponse::into_response);
    }
    let state = req.data::<AppState>().cloned().ok_or_else(|| ApiError::internal("no state"))?;
    let caller = auth::resolve(&state, &req).await;
    let allowance = match &caller {
        Ok(Some(p)) => {
            let costly = super::rate_limit::is_costly(req.method(), path);
            state.limiter.check(&p.key(), p.rate_limit, costly)?
        }
        _ => None,
    };
    req.extensions_mut().insert(Caller(caller));
    let mut resp = ep.call(req).await.map(IntoResponse::into_response)?;
    if let Some(a) = allowance {
        let headers = resp.headers_mut();
        headers.insert("ratelimit-limit", HeaderValue::from(a.limit));
        headers.insert("ratelimit-remaining", HeaderValue::from(a.remaining));
        headers.insert("ratelimit-reset", HeaderValue::from(a.reset_secs));
    }
    Ok(resp)
}

/// Applies `Idempotency-Key` to POST requests.
pub async fn idempotency<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    if req.method() != poem::http::Method::POST || !req.headers().contains_key("idempotency-key") {
        return ep.call(req).await.map(IntoResponse::into_response);
    }
    super::idempotency::handle(ep, req).await
}
