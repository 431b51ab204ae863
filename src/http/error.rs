//! The one API error type. Every error the API can answer has a stable snake_case code, and the
//! table below gives each code its HTTP status in one line. The body is always
//! `{"error", "code", "details"?, "requestId"}`; internal causes are logged, never sent.

use std::collections::BTreeMap;
use std::fmt;

use poem::http::{HeaderValue, StatusCode};
use poem::{IntoResponse, Response};
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Object};
use serde_json::Value;

macro_rules! error_codes {
    ($($variant:ident => $status:ident, $name:literal;)*) => {
        /// Every error code the API answers with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub fn status(self) -> StatusCode {
                match self { $(Code::$variant => StatusCode::$status,)* }
            }
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }
            /// All codes, for documentation and tests.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];
        }
    };
}

error_codes! {
    BadRequest => BAD_REQUEST, "bad_request";
    ValidationFailed => BAD_REQUEST, "validation_failed";
    InvalidJson => BAD_REQUEST, "invalid_json";
    InvalidQuery => BAD_REQUEST, "invalid_query";
    TenantRequired => BAD_REQUEST, "tenant_required";
    Unauthorized => UNAUTHORIZED, "unauthorized";
    InvalidCredentials => UNAUTHORIZED, "invalid_credentials";
    Forbidden => FORBIDDEN, "forbidden";
    CsrfFailed => FORBIDDEN, "csrf_failed";
    TenantSuspended => FORBIDDEN, "tenant_suspended";
    UserSuspended => FORBIDDEN, "user_suspended";
    ReadOnlyToken => FORBIDDEN, "read_only_token";
    NotFound => NOT_FOUND, "not_found";
    MethodNotAllowed => METHOD_NOT_ALLOWED, "method_not_allowed";
    Conflict => CONFLICT, "conflict";
    AlreadyExists => CONFLICT, "already_exists";
    InvalidState => CONFLICT, "invalid_state";
    EntityInUse => CONFLICT, "entity_in_use";
    IdempotencyKeyInProgress => CONFLICT, "idempotency_key_in_progress";
    PayloadTooLarge => PAYLOAD_TOO_LARGE, "payload_too_large";
    UnsupportedMediaType => UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type";
    IdempotencyKeyMismatch => UNPROCESSABLE_ENTITY, "idempotency_key_mismatch";
    RateLimited => TOO_MANY_REQUESTS, "rate_limited";
    LoginLocked => TOO_MANY_REQUESTS, "login_locked";
    Internal => INTERNAL_SERVER_ERROR, "internal_error";
    NotReady => SERVICE_UNAVAILABLE, "not_ready";
    UpstreamFailed => BAD_GATEWAY, "upstream_error";
    UpstreamTimeout => GATEWAY_TIMEOUT, "upstream_timeout";
}

/// The JSON error body.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Error", rename_all = "camelCase")]
pub struct ErrorBody {
    /// Human-readable message.
    pub error: String,
    /// Stable snake_case code.
    pub code: String,
    /// Optional extra detail: a string, or an object such as `{"fields": {"name": "must not be empty"}}`.
    #[oai(skip_serializing_if_is_none)]
    pub details: Option<Value>,
    /// The request id, also in the `X-Request-Id` header.
    pub request_id: String,
}

/// An API error: code, message, optional details, optional `Retry-After`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
    pub details: Option<Value>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), details: None, retry_after: None }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(Code::BadRequest, message)
    }

    /// A 400 naming one field.
    pub fn field(field: &str, problem: impl Into<String>) -> Self {
        FieldErrors::one(field, problem).into_error()
    }

    pub fn invalid_query(param: &str, problem: impl Into<String>) -> Self {
        let problem = problem.into();
        Self::new(Code::InvalidQuery, format!("Invalid query parameter `{param}`: {problem}"))
            .with_details(serde_json::json!({ "fields": { param: problem } }))
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(Code::Unauthorized, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(Code::Forbidden, message)
    }

    /// 404 for a resource, phrased the same whether it is missing or another tenant's.
    pub fn not_found(what: &str) -> Self {
        Self::new(Code::NotFound, format!("{what} not found"))
    }

    pub fn conflict(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, message)
    }

    /// 409 `already_exists`, naming the field whose value is taken (forms show it there).
    pub fn taken(field: &str, problem: &str, message: impl Into<String>) -> Self {
        Self::new(Code::AlreadyExists, message).with_details(serde_json::json!({ "fields": { field: problem } }))
    }

    /// An internal failure: logged with the request id, hidden from the client.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(
            request_id = crate::http::request_id::current().unwrap_or_default(),
            error = %cause,
            "internal error"
        );
        Self::new(Code::Internal, "Internal server error")
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.message.clone(),
            code: self.code.as_str().to_string(),
            details: self.details.clone(),
            request_id: crate::http::request_id::current().unwrap_or_default(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code.as_str())
    }
}

impl std::error::Error for ApiError {}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => ApiError::not_found("Resource"),
            ref e if crate::db::is_unique_violation(e) => {
                ApiError::new(Code::AlreadyExists, "A resource with these values already exists")
            }
            e => ApiError::internal(e),
        }
    }
}

impl poem::error::ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.code.status()
    }

    fn as_response(&self) -> Response {
        let body = serde_json::to_vec(&poem_openapi::types::ToJSON::to_json(&self.body())).unwrap_or_default();
        let mut resp =
            Response::builder().status(self.status()).content_type("application/json; charset=utf-8").body(body);
        if self.status() == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert("www-authenticate", HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert("retry-after", v);
        }
        resp
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        poem::error::ResponseError::as_response(&self)
    }
}

impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        let doc = [
            (400, "Invalid input: malformed JSON, a bad field, an unknown query parameter"),
            (401, "No or bad credentials"),
            (403, "Authenticated but not allowed"),
            (404, "Not found (also for another tenant's resources)"),
            (409, "Duplicate or state conflict"),
            (422, "Idempotency-Key reused with a different request"),
            (429, "Rate limited"),
            (500, "Internal error"),
        ];
        MetaResponses {
            responses: doc
                .into_iter()
                .map(|(status, description)| MetaResponse {
                    description,
                    status: Some(status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: "application/json; charset=utf-8",
                        schema: ErrorBody::schema_ref(),
                    }],
                    headers: vec![],
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        ErrorBody::register(registry);
    }
}

/// Collects per-field validation problems into one 400 `validation_failed`.
#[derive(Debug, Default)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn one(field: &str, problem: impl Into<String>) -> Self {
        let mut f = Self::new();
        f.add(field, problem);
        f
    }

    pub fn add(&mut self, field: &str, problem: impl Into<String>) {
        self.0.entry(field.to_string()).or_insert_with(|| problem.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_error(self) -> ApiError {
        let summary = self.0.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; ");
        ApiError::new(Code::ValidationFailed, format!("Validation failed: {summary}"))
            .with_details(serde_json::json!({ "fields": self.0 }))
    }

    /// `Ok(())` when nothing was added, else the 400.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.is_empty() { Ok(()) } else { Err(self.into_error()) }
    }
}

/// Turns an error poem or poem-openapi produced itself (routing, parsing, size limits) into our
/// body, keeping its status.
pub fn from_poem_error(err: &poem::Error) -> ApiError {
    let status = err.status();
    let code = match status {
        StatusCode::NOT_FOUND => Code::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => Code::MethodNotAllowed,
        StatusCode::UNAUTHORIZED => Code::Unauthorized,
        StatusCode::FORBIDDEN => Code::Forbidden,
        StatusCode::PAYLOAD_TOO_LARGE => Code::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Code::UnsupportedMediaType,
        StatusCode::TOO_MANY_REQUESTS => Code::RateLimited,
        s if s.is_server_error() => return ApiError::internal(err),
        _ => Code::BadRequest,
    };
    let message = match code {
        Code::NotFound => "No such route".to_string(),
        Code::MethodNotAllowed => "Method not allowed on this route".to_string(),
        Code::Unauthorized => "Missing or invalid credentials".to_string(),
        Code::PayloadTooLarge => "Request body too large".to_string(),
        _ => err.to_string(),
    };
    ApiError::new(code, message)
}
