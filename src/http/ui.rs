//! The admin UI, embedded from `assets/`: files by path with their content type and an ETag,
//! `index.html` for client-side routes, and never in the way of `/api/...`.

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{IntoResponse, Request, Response, handler};
use rust_embed::RustEmbed;

use super::error::ApiError;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

#[handler]
pub fn serve(req: &Request) -> Response {
    let path = req.uri().path().trim_start_matches('/');
    if path.starts_with("api/") || path == "api" {
        return ApiError::new(super::error::Code::NotFound, "No such route").into_response();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return ApiError::new(super::error::Code::MethodNotAllowed, "Method not allowed on this route").into_response();
    }
    let wanted = if path.is_empty() { "index.html" } else { path };
    let file = match Assets::get(wanted) {
        Some(f) => f,
        // A path without an extension is a client-side route: serve the app page.
        None if !wanted.rsplit('/').next().unwrap_or("").contains('.') => match Assets::get("index.html") {
            Some(f) => f,
            None => return StatusCode::NOT_FOUND.into_response(),
        },
        None => return ApiError::new(super::error::Code::NotFound, "No such file").into_response(),
    };
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    if req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return StatusCode::NOT_MODIFIED.with_header(header::ETAG, etag).into_response();
    }
    let mime = file.metadata.mimetype().to_string();
    // The UI is plain ES modules without hashed names: every file is revalidated with its ETag
    // (a cheap 304), so after an upgrade the browser never mixes old and new modules.
    let cache = "no-cache";
    let body = if req.method() == Method::HEAD { Vec::new() } else { file.data.into_owned() };
    let mut resp = Response::builder().content_type(mime).body(body);
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    resp
}
