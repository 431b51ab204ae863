//! Success responses shared by every resource: `Created<T>` (201 + `Location`), `Deleted`
//! (`{"success": true, "id"}`) and the `ApiResult` alias.

use poem::http::HeaderValue;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Json;
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::{ToJSON, Type};
use poem_openapi::{ApiResponse, Object};

use super::error::ApiError;

pub type ApiResult<T> = Result<T, ApiError>;

/// 201 with the created resource and its `Location`.
pub struct Created<T> {
    pub body: T,
    pub location: String,
}

impl<T> Created<T> {
    pub fn at(location: impl Into<String>, body: T) -> Self {
        Self { body, location: location.into() }
    }
}

impl<T: ToJSON + Send> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        let mut resp = Json(self.body).into_response();
        resp.set_status(poem::http::StatusCode::CREATED);
        if let Ok(v) = HeaderValue::from_str(&self.location) {
            resp.headers_mut().insert("location", v);
        }
        resp
    }
}

impl<T: ToJSON + Type + Send> ApiResponse for Created<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "Created",
                status: Some(201),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/json; charset=utf-8",
                    schema: T::schema_ref(),
                }],
                headers: vec![MetaHeader {
                    name: "Location".into(),
                    description: Some("URL of the new resource".into()),
                    required: true,
                    deprecated: false,
                    schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
                }],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

/// The body of every DELETE.
#[derive(Debug, Object)]
pub struct Deleted {
    /// Always true.
    pub success: bool,
    /// The deleted resource's id.
    pub id: String,
}

impl Deleted {
    pub fn of(id: impl Into<String>) -> Json<Deleted> {
        Json(Deleted { success: true, id: id.into() })
    }
}

/// Parses a path id, 404 when it is not a UUID (no such resource can exist).
pub fn path_id(raw: &str, what: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(raw).map(|u| u.to_string()).map_err(|_| ApiError::not_found(what))
}
