//! Process health: `GET /healthz` (the process is up) and `GET /readyz` (the database answers
//! and its schema is this binary's).

use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};
use serde_json::json;

use crate::http::error::{ApiError, Code};
use crate::state::AppState;

#[handler]
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

#[handler]
pub async fn readyz(state: Data<&AppState>) -> Response {
    let check = state
        .db
        .read(|c| {
            let version = crate::db::migrate::current_version(c).map_err(ApiError::internal)?;
            Ok(version)
        })
        .await;
    match check {
        Ok(v) if v == crate::db::migrate::latest_version() => {
            Json(json!({ "status": "ready", "database": "ok", "schemaVersion": v })).into_response()
        }
        Ok(v) => ApiError::new(Code::NotReady, format!("schema version {v} is not this binary's")).into_response(),
        Err(_) => ApiError::new(Code::NotReady, "database unavailable").into_response(),
    }
}
