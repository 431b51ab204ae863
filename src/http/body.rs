//! `JsonBody<T>`: the request-body extractor every endpoint uses. It documents `T`'s schema in
//! the OpenAPI spec like poem-openapi's `Json<T>`, but parses with serde so that every error
//! names the offending field (`details.fields`), and it stops reading at the body limit (413)
//! instead of buffering an oversized body.

use futures_util::StreamExt;
use poem::{Request, RequestBody};
use poem_openapi::impl_apirequest_for_payload;
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::de::DeserializeOwned;

use super::error::{ApiError, Code, FieldErrors};

/// A JSON request body parsed into `T`.
pub struct JsonBody<T>(pub T);

impl<T: Type + Send> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        is_json(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + DeserializeOwned + Send> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let limit = body_limit(request);
        let bytes = read_limited(body, limit).await?;
        parse_json(&bytes).map(JsonBody).map_err(Into::into)
    }
}

impl_apirequest_for_payload!(JsonBody<T>, T: Type + DeserializeOwned + Send);

pub fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The configured body limit, stored in the request's data by the app.
pub fn body_limit(request: &Request) -> u64 {
    request.data::<BodyLimit>().map(|l| l.0).unwrap_or(50 * 1024 * 1024)
}

/// The maximum request body size, shared through request data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub u64);

/// Reads the whole body, failing with 413 as soon as it passes `limit`.
pub async fn read_limited(body: &mut RequestBody, limit: u64) -> Result<Vec<u8>, ApiError> {
    let body = body.take().map_err(|_| ApiError::bad_request("Request body already read"))?;
    let mut stream = body.into_bytes_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("Cannot read body: {e}")))?;
        if (out.len() + chunk.len()) as u64 > limit {
            return Err(too_large(limit));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

pub fn too_large(limit: u64) -> ApiError {
    ApiError::new(Code::PayloadTooLarge, format!("Request body exceeds the limit of {limit} bytes"))
}

/// Parses JSON into `T`, turning serde's errors into 400s that name the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(Code::InvalidJson, "Request body must be a JSON document"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let msg = strip_position(&inner.to_string());
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::new(Code::InvalidJson, format!("Malformed JSON: {msg}"))
                .with_details(serde_json::Value::String(msg));
        }
        let field = field_name(&path, &msg);
        // A wrong-typed secret must not be echoed back (serde quotes numbers it rejects).
        let msg = if is_secret_field(&field) { "must be a string".to_string() } else { msg };
        FieldErrors::one(&field, msg).into_error()
    })
}

/// Write-only fields whose values never appear in an error message.
pub const SECRET_FIELDS: &[&str] = &["value", "token", "clientKey", "secretKey", "apiKey", "password"];

fn is_secret_field(path: &str) -> bool {
    SECRET_FIELDS.contains(&path.rsplit('.').next().unwrap_or(path))
}

/// serde appends " at line L column C"; that locates the error for a human but not a field.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// The dotted path of the failing field. For missing or unknown fields serde reports the
/// enclosing object's path and names the field in the message.
fn field_name(path: &str, msg: &str) -> String {
    let named = msg
        .strip_prefix("missing field `")
        .or_else(|| msg.strip_prefix("unknown field `"))
        .and_then(|rest| rest.split('`').next());
    let base = if path == "." { "" } else { path };
    match named {
        Some(name) if base.is_empty() => name.to_string(),
        Some(name) if !base.ends_with(name) => format!("{base}.{name}"),
        _ if base.is_empty() => "body".to_string(),
        _ => base.to_string(),
    }
}

/// An optional JSON body: a request without a body (or with an empty one) gives `None`.
pub struct MaybeJsonBody<T>(pub Option<T>);

impl<T> MaybeJsonBody<T> {
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

impl<'a, T: Type + DeserializeOwned + Send> poem_openapi::ApiExtractor<'a> for MaybeJsonBody<T> {
    const TYPES: &'static [poem_openapi::ApiExtractorType] = &[poem_openapi::ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
        Some(poem_openapi::registry::MetaRequest {
            description: None,
            content: vec![poem_openapi::registry::MetaMediaType {
                content_type: "application/json",
                schema: T::schema_ref(),
            }],
            required: false,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _opts: poem_openapi::ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        let limit = body_limit(request);
        let bytes = read_limited(body, limit).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(MaybeJsonBody(None));
        }
        match request.content_type() {
            Some(ct) if is_json(ct) => {}
            Some(ct) => {
                return Err(
                    ApiError::new(Code::UnsupportedMediaType, format!("Expected application/json, got {ct}")).into()
                );
            }
            None => return Err(ApiError::new(Code::UnsupportedMediaType, "Expected application/json").into()),
        }
        parse_json(&bytes).map(|v| MaybeJsonBody(Some(v))).map_err(Into::into)
    }
}

/// A JSON body kept as the exact bytes received, for signature checks over the raw body.
pub struct RawJsonBody(pub Vec<u8>);

impl Payload for RawJsonBody {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        is_json(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(poem_openapi::registry::MetaSchema::new("object")))
    }
}

impl ParsePayload for RawJsonBody {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        Ok(RawJsonBody(read_limited(body, body_limit(request)).await?))
    }
}

impl_apirequest_for_payload!(RawJsonBody);

/// How a PATCH changes an optional field: `None` keep it, `Some(None)` clear it (JSON `null`),
/// `Some(Some(v))` set it.
pub fn change(v: &poem_openapi::types::MaybeUndefined<String>) -> Option<Option<&str>> {
    match v {
        poem_openapi::types::MaybeUndefined::Undefined => None,
        poem_openapi::types::MaybeUndefined::Null => Some(None),
        poem_openapi::types::MaybeUndefined::Value(s) => Some(Some(s.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct T {
        name: String,
        n: Option<i64>,
    }

    fn fields(e: ApiError) -> serde_json::Value {
        e.details.unwrap()["fields"].clone()
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse_json::<T>(br#"{"name": 5}"#).unwrap_err();
        assert!(fields(e)["name"].as_str().unwrap().contains("invalid type"));
        let e = parse_json::<T>(br#"{}"#).unwrap_err();
        assert!(fields(e)["name"].as_str().unwrap().contains("missing"));
        let e = parse_json::<T>(br#"{"name": "a", "bogus": 1}"#).unwrap_err();
        assert!(fields(e)["bogus"].as_str().unwrap().contains("unknown field"));
        let e = parse_json::<T>(br#"{"name": "#).unwrap_err();
        assert_eq!(e.code, Code::InvalidJson);
    }
}
