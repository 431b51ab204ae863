//! The payment provider's side of billing: `POST /platform/billing/webhook` (Razorpay, signed,
//! no bearer token) and `GET /platform/billing/events`.

pub mod store;

use poem::web::Data;
use poem_openapi::param::Header;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rusqlite::Row;

use crate::db::list::{Extra, Filter, FilterKind, Resource, Sort};
use crate::http::auth::Platform;
use crate::http::body::RawJsonBody;
use crate::http::error::{ApiError, Code};
use crate::http::list::{ListParams, Listed};
use crate::http::respond::ApiResult;
use crate::http::tags::Tag;
use crate::state::AppState;

/// A payment-provider event as received and applied.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct BillingEvent {
    pub id: String,
    /// The provider's event id (`X-Razorpay-Event-Id`).
    pub event_id: String,
    pub event_type: String,
    pub tenant_id: Option<String>,
    pub invoice_id: Option<String>,
    /// `applied`, `ignored` (a type not handled) or `error` (it named something unknown).
    pub outcome: String,
    pub detail: Option<String>,
    pub payload: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource for BillingEvent {
    const NAME: &'static str = "Billing event";
    const FROM: &'static str = "billing_events";
    const COLUMNS: &'static str =
        "id, event_id, event_type, tenant_id, invoice_id, outcome, detail, payload, created_at, updated_at";
    const ID: &'static str = "id";
    const CREATED: &'static str = "created_at";
    const TENANT: Option<&'static str> = None;
    const SORTS: &'static [Sort] = &[
        Sort { param: "createdAt", column: "created_at" },
        Sort { param: "updatedAt", column: "updated_at" },
        Sort { param: "eventType", column: "event_type" },
    ];
    const FILTERS: &'static [Filter] = &[
        Filter { param: "eventType", column: "event_type", kind: FilterKind::Text },
        Filter { param: "outcome", column: "outcome", kind: FilterKind::Enum(&["applied", "ignored", "error"]) },
        Filter { param: "tenantId", column: "tenant_id", kind: FilterKind::Uuid },
    ];
    const SEARCH: &'static [&'static str] = &["event_type", "event_id"];

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(BillingEvent {
            id: row.get(0)?,
            event_id: row.get(1)?,
            event_type: row.get(2)?,
            tenant_id: row.get(3)?,
            invoice_id: row.get(4)?,
            outcome: row.get(5)?,
            detail: row.get(6)?,
            payload: serde_json::from_str(&row.get::<_, String>(7)?).unwrap_or_default(),
            created_at: row.get(8)?,
            updated_at: row.get(9)?,
        })
    }
}

/// `{"received": true}`.
#[derive(Debug, Object)]
pub struct Received {
    pub received: bool,
}

/// Whether `signature` (hex) is the HMAC-SHA256 of `body` under `secret`, compared in constant
/// time.
pub fn signature_valid(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(given) = hex::decode(signature.trim()) else { return false };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    ring::hmac::verify(&key, body, &given).is_ok()
}

pub struct BillingEventsApi;

#[OpenApi(prefix_path = "/api/v1/platform", tag = "Tag::Platform")]
impl BillingEventsApi {
    /// Receive a Razorpay webhook
    ///
    /// No bearer token: the body must carry `X-Razorpay-Signature`, the hex HMAC-SHA256 of the
    /// raw body under `billing.razorpay_webhook_secret` (401 when missing or wrong). Each event is
    /// stored and applied once, by `X-Razorpay-Event-Id`: `payment.captured` marks the invoice in
    /// `notes.invoiceId` paid, `payment.failed` marks it failed and the tenant overdue,
    /// `subscription.*` change the subscription's status or plan; other types are stored and ignored.
    #[oai(path = "/billing/webhook", method = "post")]
    async fn webhook(
        &self,
        state: Data<&AppState>,
        #[oai(name = "X-Razorpay-Signature")] signature: Header<Option<String>>,
        #[oai(name = "X-Razorpay-Event-Id")] event_id: Header<Option<String>>,
        body: RawJsonBody,
    ) -> ApiResult<Json<Received>> {
        let secret = &state.config.billing.razorpay_webhook_secret;
        let valid = match signature.0.as_deref() {
            Some(sig) if !secret.is_empty() => signature_valid(secret, &body.0, sig),
            _ => false,
        };
        if !valid {
            return Err(ApiError::new(Code::InvalidCredentials, "Missing or invalid X-Razorpay-Signature"));
        }
        let Some(event_id) = event_id.0.filter(|e| !e.is_empty() && e.len() <= 200) else {
            return Err(ApiError::field("X-Razorpay-Event-Id", "is required"));
        };
        let parsed: serde_json::Value = serde_json::from_slice(&body.0)
            .map_err(|e| ApiError::new(Code::InvalidJson, format!("Malformed JSON: {e}")))?;
        let raw = String::from_utf8_lossy(&body.0).into_owned();
        state
            .db
            .write(move |tx| {
                if !store::seen(tx, &event_id)? {
                    let outcome = store::apply_and_store(tx, &event_id, &parsed, &raw)?;
                    tracing::info!(event_id, outcome = outcome.outcome, "billing event");
                }
                Ok(())
            })
            .await?;
        Ok(Json(Received { received: true }))
    }

    /// List payment-provider events
    ///
    /// Filters `eventType`, `outcome`, `tenantId`.
    #[oai(path = "/billing/events", method = "get")]
    async fn events(
        &self,
        state: Data<&AppState>,
        _ctx: Platform,
        q: ListParams<BillingEvent>,
    ) -> ApiResult<Listed<BillingEvent>> {
        state.db.page(None, q.into_inner(), Extra::default()).await
    }
}

#[cfg(test)]
mod tests {
    use super::signature_valid;

    #[test]
    fn the_razorpay_test_vector_verifies() {
        let body = r#"{"entity":"event","account_id":"acc_BFQ7uQEaa7j2z7","event":"subscription.charged","contains":["subscription","payment"],"payload":{"subscription":{"entity":{"id":"sub_00000000000001","status":"active"}}},"created_at":1700000000}"#;
        let sig = "86234ef0c07dff06398099536b54f454fd1e00242aed26e6d27e376770594db8";
        assert!(signature_valid("rzp_webhook_secret_test_123", body.as_bytes(), sig));
        assert!(!signature_valid("another-secret", body.as_bytes(), sig));
        assert!(!signature_valid("rzp_webhook_secret_test_123", body.as_bytes(), "zz"));
    }
}
