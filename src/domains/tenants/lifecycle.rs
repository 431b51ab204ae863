//! A tenant's lifecycle: activate (onboarding → active, billing starts), suspend and reinstate,
//! impersonation by an operator, and billing overrides. Every transition is audited with its
//! actor and reason.

use crate::db::Cached;
use chrono::Utc;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use rusqlite::{Connection, params};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Tenant, store};
use crate::db::list::{Resource, Scope, get};
use crate::db::{format_time, now};
use crate::domains::audit::{self, Entry};
use crate::domains::invoices::{self, cycle};
use crate::domains::{billing, events, plans};
use crate::http::auth::Platform;
use crate::http::body::{JsonBody, MaybeJsonBody};
use crate::http::error::{ApiError, Code, FieldErrors};
use crate::http::respond::{ApiResult, path_id};
use crate::http::tags::Tag;
use crate::http::validate;
use crate::state::AppState;

/// `{"isActive": true}`.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Activate {
    pub is_active: bool,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct Activated {
    pub tenant_id: String,
    pub status: String,
    pub message: String,
    pub next_billing_date: String,
}

/// Why the tenant is suspended (required).
#[derive(Debug, Object, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suspend {
    pub reason: String,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct Suspended {
    pub tenant_id: String,
    pub status: String,
    /// Agent workers paused (none run inside the appliance yet).
    pub agents_paused: i64,
}

/// An optional note on reinstating.
#[derive(Debug, Object, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Reinstate {
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct Reinstated {
    pub tenant_id: String,
    /// The state the suspension interrupted.
    pub status: String,
    pub agents_resumed: i64,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct Impersonation {
    /// A read-only bearer token for this tenant, valid 30 minutes.
    pub impersonation_token: String,
    /// The admin UI, opened with the token (in the URL fragment, which is never sent to servers).
    pub dashboard_url: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum OverrideAction {
    /// `value`: days to add to the trial.
    ExtendTrial,
    /// `value`: discount percent (0–100) on future invoices.
    ApplyDiscount,
    /// `value`: the id of one of the tenant's invoices.
    MarkPaid,
    /// `value`: a plan id or code.
    ChangePlan,
}

/// A manual billing change, with the reason for the audit log.
#[derive(Debug, Object, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub action: OverrideAction,
    pub value: Value,
    pub reason: String,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct OverrideResult {
    pub tenant_id: String,
    pub action: OverrideAction,
    /// What changed.
    pub applied: Value,
}

fn reason_required(errors: &mut FieldErrors, field: &str, value: &str) {
    validate::name(errors, field, value, 1000);
}

fn conflict(message: String) -> ApiError {
    ApiError::new(Code::InvalidState, message)
}

pub struct TenantLifecycleApi;

#[OpenApi(prefix_path = "/api/v1/platform", tag = "Tag::Platform")]
impl TenantLifecycleApi {
    /// Activate a tenant
    ///
    /// `onboarding` → `active`: stamps the subscription's `startDate`, `billingActivatedOn`,
    /// `billingStartDate` (now) and `nextBillingDate` (the first of next month), and grants the
    /// plan's credits. 409 if already active, 400 without an active subscription.
    #[oai(path = "/tenants/:id/activate", method = "patch")]
    async fn activate(
        &self,
        state: Data<&AppState>,
        ctx: Platform,
        id: Path<String>,
        body: JsonBody<Activate>,
    ) -> ApiResult<Json<Activated>> {
        let id = path_id(&id, Tenant::NAME)?;
        if !body.0.is_active {
            return Err(ApiError::field("isActive", "must be true (use suspend to stop a tenant)"));
        }
        let actor = ctx.principal.actor();
        let out = state
            .db
            .write(move |tx| {
                let before = get::<Tenant>(tx, Scope::AnyTenant, &id)?;
                match before.status.as_str() {
                    "active" => return Err(conflict("Tenant is already active".into())),
                    "onboarding" | "trial" => {}
                    other => return Err(conflict(format!("Tenant is {other}; it cannot be activated"))),
                }
                let sub = store::subscription(tx, &id)?
                    .filter(|s| s.status != "cancelled")
                    .ok_or_else(|| ApiError::bad_request("Tenant has no active subscription"))?;
                let now_t = Utc::now();
                let (ts, next) = (format_time(now_t), format_time(cycle::first_of_next_month(now_t)));
                tx.execute_cached(
                    "UPDATE subscriptions SET status = 'active', start_date = ?2, billing_activated_on = ?2,
                            billing_start_date = ?2, next_billing_date = ?3, updated_at = ?2 WHERE id = ?1",
                    params![sub.id, ts, next],
                )?;
                tx.execute_cached(
                    "UPDATE tenants SET status = 'active', updated_at = ?2 WHERE id = ?1",
                    params![id, ts],
                )?;
                grant_plan_credits(tx, &id, &actor.label)?;
                let after = get::<Tenant>(tx, Scope::AnyTenant, &id)?;
                audit::store::record(
                    tx,
                    &actor,
                    Entry::new(Some(&id), "tenant.activated", "tenant", &id).before(&before).after(&after),
                )?;
                events::record(tx, Some(&id), "tenant.activated", &json!({ "tenantId": id }))?;
                Ok(Activated {
                    tenant_id: id,
                    status: after.status,
                    message: "Tenant activated; billing has started".into(),
                    next_billing_date: next,
                })
            })
            .await?;
        Ok(Json(out))
    }

    /// Suspend a tenant
    ///
    /// Its users cannot log in and its tokens get 403 `tenant_suspended`; its scheduled work
    /// pauses and it is not billed. `reason` is required.
    #[oai(path = "/tenants/:id/suspend", method = "post")]
    async fn suspend(
        &self,
        state: Data<&AppState>,
        ctx: Platform,
        id: Path<String>,
        body: JsonBody<Suspend>,
    ) -> ApiResult<Json<Suspended>> {
        let id = path_id(&id, Tenant::NAME)?;
        let mut errors = FieldErrors::new();
        reason_required(&mut errors, "reason", &body.0.reason);
        errors.finish()?;
        let (actor, reason) = (ctx.principal.actor(), body.0.reason.trim().to_string());
        let out = state
            .db
            .write(move |tx| {
                let before = get::<Tenant>(tx, Scope::AnyTenant, &id)?;
                if matches!(before.status.as_str(), "suspended" | "cancelled") {
                    return Err(conflict(format!("Tenant is already {}", before.status)));
                }
                tx.execute_cached(
                    "UPDATE tenants SET status = 'suspended', status_before_suspend = ?2, suspended_reason = ?3, updated_at = ?4
                      WHERE id = ?1",
                    params![id, before.status, reason, now()],
                )?;
                let after = get::<Tenant>(tx, Scope::AnyTenant, &id)?;
                let entry = Entry::new(Some(&id), "tenant.suspended", "tenant", &id).before(&before).after(&after);
                audit::store::record(tx, &actor, entry.reason(Some(&reason)))?;
                events::record(tx, Some(&id), "tenant.suspended", &json!({ "tenantId": id, "reason": reason }))?;
                Ok(Suspended { tenant_id: id, status: after.status, agents_paused: 0 })
            })
            .await?;
        Ok(Json(out))
    }

    /// Reinstate a suspended tenant
    ///
    /// Restores the state the suspension interrupted.
    #[oai(path = "/tenants/:id/reinstate", method = "post")]
    async fn reinstate(
        &self,
        state: Data<&AppState>,
        ctx: Platform,
        id: Path<String>,
        body: MaybeJsonBody<Reinstate>,
    ) -> ApiResult<Json<Reinstated>> {
        let id = path_id(&id, Tenant::NAME)?;
        let note = body.into_inner().unwrap_or_default().note;
        let actor = ctx.principal.actor();
        let out = state
            .db
            .write(move |tx| {
                let before = get::<Tenant>(tx, Scope::AnyTenant, &id)?;
                if before.status != "suspended" {
                    return Err(conflict(format!("Tenant is {}, not suspended", before.status)));
                }
                let previous: Option<String> =
                    tx.query_row_cached("SELECT status_before_suspend FROM tenants WHERE id = ?1", [&id], |r| r.get(0))?;
                let restored = previous.filter(|p| p != "suspended").unwrap_or_else(|| "active".into());
                tx.execute_cached(
                    "UPDATE tenants SET status = ?2, status_before_suspend = NULL, suspended_reason = NULL, updated_at = ?3
                      WHERE id = ?1",
                    params![id, restored, now()],
                )?;
                let after = get::<Tenant>(tx, Scope::AnyTenant, &id)?;
                let entry = Entry::new(Some(&id), "tenant.reinstated", "tenant", &id).before(&before).after(&after);
                audit::store::record(tx, &actor, entry.reason(note.as_deref()))?;
                events::record(tx, Some(&id), "tenant.reinstated", &json!({ "tenantId": id }))?;
                Ok(Reinstated { tenant_id: id, status: after.status, agents_resumed: 0 })
            })
            .await?;
        Ok(Json(out))
    }

    /// Impersonate a tenant, read-only
    ///
    /// A token for this tenant only, valid 30 minutes: any non-GET request with it is 403
    /// `read_only_token`; every request with it is audited and recorded as a content read the
    /// tenant can see.
    #[oai(path = "/tenants/:id/impersonate", method = "post")]
    async fn impersonate(
        &self,
        state: Data<&AppState>,
        ctx: Platform,
        id: Path<String>,
    ) -> ApiResult<Json<Impersonation>> {
        let id = path_id(&id, Tenant::NAME)?;
        let actor = ctx.principal.actor();
        let claims = crate::crypto::impersonation::Claims {
            tid: id.clone(),
            sub: ctx.principal.user_id.clone().or(ctx.principal.token_id.clone()),
            label: ctx.principal.label.clone(),
            exp: Utc::now().timestamp() + crate::crypto::impersonation::LIFETIME_SECS,
            jti: crate::db::new_id(),
        };
        let expires_at = format_time(chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(Utc::now));
        let jti = claims.jti.clone();
        state
            .db
            .write(move |tx| {
                get::<Tenant>(tx, Scope::AnyTenant, &id)?;
                let mut entry = Entry::new(Some(&id), "tenant.impersonated", "tenant", &id);
                entry.after = Some(json!({ "tokenId": jti, "readOnly": true }));
                audit::store::record(tx, &actor, entry).map(|_| ())
            })
            .await?;
        let token = crate::crypto::impersonation::issue(&state.master_key, &claims);
        let base = state.config.server.public_url.trim_end_matches('/');
        Ok(Json(Impersonation {
            dashboard_url: format!("{base}/#/impersonate?token={token}"),
            impersonation_token: token,
            expires_at,
        }))
    }

    /// Override a tenant's billing
    ///
    /// `extend_trial` (days), `apply_discount` (percent), `mark_paid` (invoice id) or
    /// `change_plan` (plan id or code). `reason` is required and audited.
    #[oai(path = "/tenants/:id/billing/override", method = "post")]
    async fn billing_override(
        &self,
        state: Data<&AppState>,
        ctx: Platform,
        id: Path<String>,
        body: JsonBody<Override>,
    ) -> ApiResult<Json<OverrideResult>> {
        let id = path_id(&id, Tenant::NAME)?;
        let b = body.0;
        let mut errors = FieldErrors::new();
        reason_required(&mut errors, "reason", &b.reason);
        let int = b.value.as_i64();
        match b.action {
            OverrideAction::ExtendTrial if !int.is_some_and(|d| (1..=365).contains(&d)) => {
                errors.add("value", "must be a number of days, 1 to 365")
            }
            OverrideAction::ApplyDiscount if !int.is_some_and(|p| (0..=100).contains(&p)) => {
                errors.add("value", "must be a percent, 0 to 100")
            }
            OverrideAction::MarkPaid | OverrideAction::ChangePlan if !b.value.is_string() => {
                errors.add("value", "must be a string")
            }
            _ => {}
        }
        errors.finish()?;
        let actor = ctx.principal.actor();
        let out = state
            .db
            .write(move |tx| {
                let before = get::<Tenant>(tx, Scope::AnyTenant, &id)?;
                let applied = apply_override(tx, &before, b.action, &b.value)?;
                let mut entry = Entry::new(Some(&id), "billing.override", "tenant", &id).reason(Some(b.reason.trim()));
                entry.after = Some(json!({ "action": b.action_name(), "value": b.value, "applied": applied }));
                audit::store::record(tx, &actor, entry)?;
                Ok(OverrideResult { tenant_id: id, action: b.action, applied })
            })
            .await?;
        Ok(Json(out))
    }
}

impl Override {
    fn action_name(&self) -> &'static str {
        match self.action {
            OverrideAction::ExtendTrial => "extend_trial",
            OverrideAction::ApplyDiscount => "apply_discount",
            OverrideAction::MarkPaid => "mark_paid",
            OverrideAction::ChangePlan => "change_plan",
        }
    }
}

fn apply_override(tx: &Connection, tenant: &Tenant, action: OverrideAction, value: &Value) -> Result<Value, ApiError> {
    let id = tenant.id.as_str();
    let ts = now();
    match action {
        OverrideAction::ExtendTrial => {
            let days = value.as_i64().unwrap_or(0);
            let current: Option<String> =
                tx.query_row_cached("SELECT trial_ends_at FROM tenants WHERE id = ?1", [id], |r| r.get(0))?;
            let from = current
                .and_then(|c| chrono::DateTime::parse_from_rfc3339(&c).ok())
                .map(|c| c.with_timezone(&Utc))
                .filter(|c| *c > Utc::now())
                .unwrap_or_else(Utc::now);
            let ends = format_time(from + chrono::Duration::days(days));
            // A trial that had expired comes back.
            tx.execute_cached(
                "UPDATE tenants SET trial_ends_at = ?2, updated_at = ?3,
                        status = CASE WHEN status = 'suspended' AND status_before_suspend = 'trial' THEN 'trial'
                                      WHEN status = 'onboarding' THEN 'trial' ELSE status END
                  WHERE id = ?1",
                params![id, ends, ts],
            )?;
            Ok(json!({ "trialEndsAt": ends }))
        }
        OverrideAction::ApplyDiscount => {
            let pct = value.as_i64().unwrap_or(0);
            tx.execute_cached(
                "UPDATE subscriptions SET discount_percent = ?2, updated_at = ?3 WHERE tenant_id = ?1 AND status <> 'cancelled'",
                params![id, pct, ts],
            )?;
            Ok(json!({ "discountPercent": pct }))
        }
        OverrideAction::MarkPaid => {
            let invoice = value.as_str().unwrap_or_default();
            let owned = get::<invoices::Invoice>(tx, Scope::Tenant(id), invoice)
                .map_err(|_| ApiError::field("value", "no such invoice for this tenant"))?;
            let after = invoices::store::set_status(tx, &owned.id, "paid", Some("manual override"))?;
            tx.execute_cached(
                "UPDATE tenants SET payment_status = 'current', updated_at = ?2 WHERE id = ?1",
                params![id, ts],
            )?;
            Ok(json!({ "invoiceId": after.id, "number": after.number, "status": after.status }))
        }
        OverrideAction::ChangePlan => {
            let plan = plans::store::find(tx, value.as_str().unwrap_or_default())?
                .ok_or_else(|| ApiError::field("value", "no such plan"))?;
            store::update(
                tx,
                id,
                store::Changes {
                    name: None,
                    domain: None,
                    plan_id: Some(&plan.id),
                    status: None,
                    spend_cap_usd: None,
                    feature_flags: None,
                },
            )?;
            Ok(json!({ "planId": plan.id, "plan": plan.code }))
        }
    }
}

/// Grants the tenant's plan credits (at activation and each billing cycle).
pub fn grant_plan_credits(tx: &Connection, tenant: &str, actor: &str) -> Result<(), ApiError> {
    let credits: i64 = tx.query_row_cached(
        "SELECT p.included_credits_minor FROM tenants t JOIN plans p ON p.id = t.plan_id WHERE t.id = ?1",
        [tenant],
        |r| r.get(0),
    )?;
    if credits > 0 {
        billing::store::append(
            tx,
            tenant,
            billing::store::Change {
                kind: "grant",
                amount_minor: credits,
                note: "plan credits",
                reference: None,
                actor_label: actor,
            },
        )?;
    }
    Ok(())
}
