//! `Idempotency-Key` on POST: the same principal, key, method, path and body within 24 h get
//! the stored response again (`Idempotent-Replayed: true`); the same key with another request is
//! 422 `idempotency_key_mismatch`; while the first is still running, 409
//! `idempotency_key_in_progress`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};

use poem::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use poem::{Body, Endpoint, IntoResponse, Request, Response};

use super::auth::Caller;
use super::body::{body_limit, read_limited};
use super::error::{ApiError, Code};
use crate::db::idempotency::{self as store, Begin, Stored};
use crate::state::AppState;

/// Response headers kept with a stored response.
const KEPT_HEADERS: &[&str] = &["content-type", "location", "x-total-count", "link"];

pub async fn handle<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let key = req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if key.is_empty() || key.len() > 255 {
        return Err(ApiError::field("Idempotency-Key", "must be 1 to 255 characters").into());
    }
    let state = req.data::<AppState>().cloned().ok_or_else(|| ApiError::internal("no state"))?;
    let principal_key = match req.extensions().get::<Caller>().and_then(Caller::principal) {
        Some(p) => p.key(),
        None => "anonymous".to_string(),
    };
    let limit = body_limit(&req);
    let mut body = poem::RequestBody::new(req.take_body());
    let bytes = read_limited(&mut body, limit).await?;
    let fingerprint = fingerprint(&state.master_key, req.method().as_str(), &req.uri().to_string(), &bytes);
    req.set_body(bytes);

    // The key is claimed in memory while the request runs (one process owns the data dir), and
    // the record is written once, with the response, when it is done.
    let Some(_claim) = Claim::take(&principal_key, &key) else {
        return Err(ApiError::new(
            Code::IdempotencyKeyInProgress,
            "A request with this Idempotency-Key is still being processed",
        )
        .into());
    };
    let begin = state.db.read_key(|c| store::lookup(c, &state.master_key, &principal_key, &key, &fingerprint))?;
    match begin {
        Begin::Mismatch => {
            return Err(ApiError::new(
                Code::IdempotencyKeyMismatch,
                "This Idempotency-Key was used with a different request",
            )
            .into());
        }
        Begin::Replay(stored) => return Ok(replay(stored)),
        Begin::Started => {}
    }

    let resp = match ep.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    let status = resp.status();
    // Failures that a retry may cure are not remembered.
    let keep =
        !(status.is_server_error() || status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS);
    if !keep {
        return Ok(resp);
    }
    let (parts, body) = resp.into_parts();
    let body_bytes = body.into_vec().await.map_err(ApiError::internal)?;
    let headers: Vec<(String, String)> = KEPT_HEADERS
        .iter()
        .filter_map(|h| parts.headers.get(*h).and_then(|v| v.to_str().ok()).map(|v| (h.to_string(), v.to_string())))
        .collect();
    let stored = Stored { status: parts.status.as_u16(), headers, body: body_bytes.clone() };
    {
        let (pk, k, fp, s) = (principal_key, key, fingerprint, stored);
        let key = state.master_key.clone();
        state.db.write(move |tx| store::finish(tx, &key, &pk, &k, &fp, &s)).await?;
    }
    let mut resp = Response::from_parts(parts, Body::from(body_bytes));
    resp.headers_mut().remove("idempotent-replayed");
    Ok(resp)
}

/// A key being processed, released when the request is done (also if it fails or is dropped).
struct Claim(String);

fn claims() -> &'static Mutex<HashSet<String>> {
    static CLAIMS: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    CLAIMS.get_or_init(Mutex::default)
}

impl Claim {
    fn take(principal: &str, key: &str) -> Option<Claim> {
        let id = store::row_id(principal, key);
        let fresh = claims().lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone());
        fresh.then_some(Claim(id))
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        claims().lock().unwrap_or_else(|p| p.into_inner()).remove(&self.0);
    }
}

/// What identifies "the same request": method, path with query, and body; keyed with the
/// master key because a body may carry a password.
pub fn fingerprint(key: &crate::crypto::master_key::MasterKey, method: &str, uri: &str, body: &[u8]) -> String {
    let mut material = format!("{method}\n{uri}\n").into_bytes();
    material.extend_from_slice(body);
    crate::crypto::hmac_hex(key.bytes(), &material)
}

fn replay(stored: Stored) -> Response {
    let mut headers = HeaderMap::new();
    for (k, v) in &stored.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::from_str(v)) {
            headers.insert(k, v);
        }
    }
    let mut resp =
        Response::builder().status(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK)).body(stored.body);
    resp.headers_mut().extend(headers);
    resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    resp
}
