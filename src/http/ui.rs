//! The admin UI, embedded from `assets/`: files by path with their content type and an ETag,
//! `index.html` for client-side routes, and never in the way of `/api/...`. The page carries a
//! Content-Security-Policy allowing only this origin's scripts, styles and API (plus the one
//! inline script, the import map, by its hash).

use std::sync::OnceLock;

use base64::Engine;
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
    let page = mime.starts_with("text/html");
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
    if page {
        if let Ok(v) = HeaderValue::from_str(content_security_policy()) {
            headers.insert("content-security-policy", v);
        }
        headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    }
    resp
}

/// The policy of the UI's page: everything from this origin, no inline code but the import map
/// (allowed by its SHA-256, computed from the embedded page), no framing, no plugins.
fn content_security_policy() -> &'static str {
    static POLICY: OnceLock<String> = OnceLock::new();
    POLICY.get_or_init(|| {
        let page = Assets::get("index.html").map(|f| f.data.into_owned()).unwrap_or_default();
        let hashes: String = inline_scripts(&String::from_utf8_lossy(&page))
            .map(|script| {
                let digest = ring::digest::digest(&ring::digest::SHA256, script.as_bytes());
                format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
            })
            .collect();
        format!(
            "default-src 'self'; script-src 'self'{hashes}; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
    })
}

/// The text of each inline `<script>` (one without `src`) of an HTML page.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attrs, body) = rest.split_once('>')?;
        let (text, _) = body.split_once("</script>")?;
        (!attrs.contains("src=")).then_some(text)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn inline_scripts_are_found_and_scripts_with_src_skipped() {
        let html = r#"<script type="importmap">{"a": 1}</script><script type="module" src="/app.js"></script>"#;
        assert_eq!(super::inline_scripts(html).collect::<Vec<_>>(), [r#"{"a": 1}"#]);
    }
}
