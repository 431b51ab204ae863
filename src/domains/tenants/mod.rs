//! Tenants (`/platform/tenants`): create (tenant in `onboarding`, its admin user and its
//! subscription, in one transaction), list, get, update.

pub mod lifecycle;
pub mod store;

use crate::db::Cached;
use std::collections::BTreeMap;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object, OpenApi};
use rusqlite::Row;
use serde::Deserialize;

use crate::db::list::{Extra, Filter, FilterKind, Resource, Scope, Sort, get, list};
use crate::domains::audit::{self, Entry};
use crate::domains::plans::store as plans;
use crate::domains::users::{User, store as users};
use crate::http::auth::Platform;
use crate::http::body::JsonBody;
use crate::http::error::{ApiError, FieldErrors};
use crate::http::list::{ListParams, ListQuery, Listed};
use crate::http::perms::Role;
use crate::http::respond::{ApiResult, Created, path_id};
use crate::http::tags::Tag;
use crate::http::validate;
use crate::state::AppState;

pub const STATUSES: &[&str] = &["onboarding", "trial", "active", "suspended", "cancelled"];

/// A tenant as other resources mention it.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct TenantRef {
    pub id: String,
    pub name: String,
    pub status: String,
    pub plan_id: String,
    /// The plan's code, e.g. `pro`.
    pub plan: String,
}

/// A tenant.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub plan_id: String,
    /// The plan's code.
    pub plan: String,
    /// `onboarding` (usable; billing waits for activation), `trial`, `active`, `suspended`, `cancelled`.
    pub status: String,
    pub spend_cap_usd: Option<f64>,
    pub feature_flags: BTreeMap<String, bool>,
    pub deployment_mode: String,
    pub user_count: i64,
    /// `current`, `overdue` (a payment failed) or `cancelled`.
    pub payment_status: String,
    pub trial_ends_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource for Tenant {
    const NAME: &'static str = "Tenant";
    const FROM: &'static str = "tenants t JOIN plans p ON p.id = t.plan_id";
    const COLUMNS: &'static str = "t.id, t.name, t.domain, t.plan_id, p.code, t.status, t.spend_cap_usd, t.feature_flags, \
        t.deployment_mode, (SELECT COUNT(*) FROM users u WHERE u.tenant_id = t.id), t.payment_status, t.trial_ends_at, \
        t.created_at, t.updated_at";
    const ID: &'static str = "t.id";
    const CREATED: &'static str = "t.created_at";
    const TENANT: Option<&'static str> = None;
    const SORTS: &'static [Sort] = &[
        Sort { param: "createdAt", column: "t.created_at" },
        Sort { param: "updatedAt", column: "t.updated_at" },
        Sort { param: "name", column: "t.name" },
        Sort { param: "domain", column: "t.domain" },
    ];
    const FILTERS: &'static [Filter] = &[
        Filter { param: "status", column: "t.status", kind: FilterKind::Enum(STATUSES) },
        Filter { param: "plan", column: "p.code", kind: FilterKind::Text },
        Filter { param: "planId", column: "t.plan_id", kind: FilterKind::Uuid },
        Filter {
            param: "paymentStatus",
            column: "t.payment_status",
            kind: FilterKind::Enum(&["current", "overdue", "cancelled"]),
        },
    ];
    const SEARCH: &'static [&'static str] = &["t.name", "t.domain"];

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(Tenant {
            id: row.get(0)?,
            name: row.get(1)?,
            domain: row.get(2)?,
            plan_id: row.get(3)?,
            plan: row.get(4)?,
            status: row.get(5)?,
            spend_cap_usd: row.get(6)?,
            feature_flags: serde_json::from_str(&row.get::<_, String>(7)?).unwrap_or_default(),
            deployment_mode: row.get(8)?,
            user_count: row.get(9)?,
            payment_status: row.get(10)?,
            trial_ends_at: row.get(11)?,
            created_at: row.get(12)?,
            updated_at: row.get(13)?,
        })
    }
}

/// Tax and billing details of a tenant.
#[derive(Debug, Clone, Default, Object)]
#[oai(rename_all = "camelCase")]
pub struct BillingProfile {
    pub legal_name: Option<String>,
    pub gstin: Option<String>,
    /// Whether TDS is deducted from payments.
    pub tds_deduction: bool,
    pub billing_name: Option<String>,
    pub billing_address: Option<String>,
    pub billing_city: Option<String>,
    pub billing_state: Option<String>,
    pub billing_country: Option<String>,
    pub billing_postal: Option<String>,
    pub phone: Option<String>,
    pub country: Option<String>,
}

/// A tenant's subscription to its plan.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct Subscription {
    pub id: String,
    pub plan_id: String,
    /// `pending` until the tenant is activated, then `active`.
    pub status: String,
    pub start_date: Option<String>,
    pub billing_activated_on: Option<String>,
    pub billing_start_date: Option<String>,
    pub next_billing_date: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A tenant with its billing profile, subscription and users.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct TenantDetail {
    #[oai(flatten)]
    pub tenant: Tenant,
    pub billing_profile: BillingProfile,
    pub subscription: Option<Subscription>,
    pub billing: BillingSummary,
    pub usage: Usage,
    /// The tenant's first 100 users.
    pub users: Vec<User>,
}

/// What a tenant uses.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct Usage {
    /// Credit spent on usage (LLM calls) this month, in minor units.
    pub monthly_usage_minor: i64,
    pub environment_count: i64,
    pub model_count: i64,
    pub api_token_count: i64,
}

/// Where a tenant's billing stands.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct BillingSummary {
    pub subscription_id: Option<String>,
    pub next_billing_date: Option<String>,
    pub last_payment_minor: Option<i64>,
    pub last_payment_date: Option<String>,
    /// `current`, `overdue` or `cancelled`.
    pub payment_status: String,
    pub discount_percent: i64,
    pub balance: crate::domains::billing::Balance,
}

#[derive(Debug, Clone, Copy, Enum, Deserialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Cycle {
    Monthly,
    Quarterly,
    Yearly,
}

impl Cycle {
    pub fn as_str(self) -> &'static str {
        match self {
            Cycle::Monthly => "monthly",
            Cycle::Quarterly => "quarterly",
            Cycle::Yearly => "yearly",
        }
    }
}

/// Create a tenant with its first admin user. A plan is required: `planId`, or
/// `customPlanName` + `customRegionId` for a custom plan.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTenant {
    /// Brand / display name.
    pub display_name: String,
    /// The admin user's first name.
    pub first_name: String,
    pub last_name: String,
    /// The admin user's email; unused across the platform.
    pub email: String,
    /// The admin user's password, at least 8 characters.
    #[oai(write_only)]
    pub password: String,
    /// A plan's id or code (`free`, `pro`, `agency`, `enterprise`).
    #[serde(default)]
    pub plan_id: Option<String>,
    #[serde(default)]
    pub custom_plan_name: Option<String>,
    #[serde(default)]
    pub custom_region_id: Option<String>,
    /// Price in minor units of the currency.
    #[serde(default)]
    pub custom_price: Option<i64>,
    #[serde(default)]
    pub custom_cycle: Option<Cycle>,
    /// Preferred domain slug; made unique if taken. Defaults to one made from the name.
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub gstin: Option<String>,
    #[serde(default)]
    pub tds_deduction: Option<bool>,
    #[serde(default)]
    pub billing_name: Option<String>,
    #[serde(default)]
    pub billing_address: Option<String>,
    #[serde(default)]
    pub billing_city: Option<String>,
    #[serde(default)]
    pub billing_state: Option<String>,
    #[serde(default)]
    pub billing_country: Option<String>,
    #[serde(default)]
    pub billing_postal: Option<String>,
    #[serde(default)]
    pub legal_name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

/// The created tenant.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct CreatedTenant {
    pub tenant_id: String,
    pub tenant_name: String,
    pub domain: String,
    pub status: String,
    /// The admin user.
    pub user_id: String,
    pub email: String,
    pub plan_id: String,
    pub subscription_id: String,
    /// The first invoice (pending, due in 7 days).
    pub invoice_id: String,
    pub invoice_number: String,
}

/// Change a tenant; absent fields stay as they are.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateTenant {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
    /// A plan's id or code.
    #[serde(default)]
    pub plan: Option<String>,
    /// `active`, `suspended` or `cancelled`.
    #[serde(default)]
    pub status: Option<String>,
    /// Monthly spend cap in USD; `null` removes it.
    #[serde(default)]
    pub spend_cap_usd: MaybeUndefined<f64>,
    #[serde(default)]
    pub feature_flags: Option<BTreeMap<String, bool>>,
}

fn validate_domain(errors: &mut FieldErrors, d: &str) {
    let ok = !d.is_empty()
        && d.len() <= 63
        && d.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && !d.starts_with('-');
    if !ok {
        errors.add("domain", "must be 1-63 lower-case letters, digits, '-' or '.'");
    }
}

pub struct TenantsApi;

#[OpenApi(prefix_path = "/api/v1/platform", tag = "Tag::Platform")]
impl TenantsApi {
    /// List tenants
    ///
    /// Filters: `status`, `plan` (code), `planId`, `paymentStatus` (`current`, `overdue`, `cancelled`);
    /// `search` matches name and domain.
    #[oai(path = "/tenants", method = "get")]
    async fn list(&self, state: Data<&AppState>, _ctx: Platform, q: ListParams<Tenant>) -> ApiResult<Listed<Tenant>> {
        state.db.page(None, q.into_inner(), Extra::default()).await
    }

    /// Create a tenant
    ///
    /// Creates the tenant in `onboarding` (fully usable by its users; billing waits for
    /// activation), its admin user and its subscription, in one transaction. 400 without a
    /// plan, 409 when the email is taken.
    #[oai(path = "/tenants", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        ctx: Platform,
        body: JsonBody<CreateTenant>,
    ) -> ApiResult<Created<CreatedTenant>> {
        let b = body.0;
        let mut errors = FieldErrors::new();
        validate::name(&mut errors, "displayName", &b.display_name, 200);
        validate::name(&mut errors, "firstName", &b.first_name, 100);
        validate::name(&mut errors, "lastName", &b.last_name, 100);
        validate::email(&mut errors, "email", &b.email);
        validate::password(&mut errors, "password", &b.password);
        if let Some(d) = &b.domain {
            validate_domain(&mut errors, d);
        }
        let custom = b.custom_plan_name.is_some() || b.custom_region_id.is_some();
        match (&b.plan_id, custom) {
            (None, false) => errors.add("planId", "a plan is required: planId, or customPlanName with customRegionId"),
            (Some(_), true) => errors.add("planId", "give planId or a custom plan, not both"),
            (None, true) => {
                match &b.custom_plan_name {
                    Some(n) => validate::name(&mut errors, "customPlanName", n, 100),
                    None => errors.add("customPlanName", "is required with customRegionId"),
                }
                match &b.custom_region_id {
                    Some(r) => validate::name(&mut errors, "customRegionId", r, 100),
                    None => errors.add("customRegionId", "is required with customPlanName"),
                }
                if b.custom_price.is_some_and(|p| p < 0) {
                    errors.add("customPrice", "must be 0 or more");
                }
            }
            (Some(_), false) => {}
        }
        for (field, value) in [
            ("gstin", &b.gstin),
            ("billingName", &b.billing_name),
            ("billingAddress", &b.billing_address),
            ("billingCity", &b.billing_city),
            ("billingState", &b.billing_state),
            ("billingCountry", &b.billing_country),
            ("billingPostal", &b.billing_postal),
            ("legalName", &b.legal_name),
            ("phone", &b.phone),
            ("country", &b.country),
        ] {
            validate::text(&mut errors, field, value.as_deref(), 500);
        }
        errors.finish()?;
        let password_hash = crate::crypto::password::hash(b.password.clone()).await?;
        let actor = ctx.principal.actor();
        let created = state
            .db
            .write(move |tx| {
                let plan = match &b.plan_id {
                    Some(p) => plans::find(tx, p)?.ok_or_else(|| ApiError::field("planId", "no such plan"))?,
                    None => plans::insert_custom(
                        tx,
                        plans::NewCustomPlan {
                            name: b.custom_plan_name.as_deref().unwrap_or_default().trim(),
                            region_id: b.custom_region_id.as_deref().unwrap_or_default().trim(),
                            price_minor: b.custom_price.unwrap_or(0),
                            cycle: b.custom_cycle.unwrap_or(Cycle::Monthly).as_str(),
                        },
                    )?,
                };
                let billing = BillingProfile {
                    legal_name: b.legal_name.clone(),
                    gstin: b.gstin.clone(),
                    tds_deduction: b.tds_deduction.unwrap_or(false),
                    billing_name: b.billing_name.clone(),
                    billing_address: b.billing_address.clone(),
                    billing_city: b.billing_city.clone(),
                    billing_state: b.billing_state.clone(),
                    billing_country: b.billing_country.clone(),
                    billing_postal: b.billing_postal.clone(),
                    phone: b.phone.clone(),
                    country: b.country.clone(),
                };
                let name = b.display_name.trim();
                let domain = store::free_domain(tx, b.domain.as_deref(), name)?;
                let (tenant_id, subscription_id) = store::insert(
                    tx,
                    store::NewTenant { name, domain: &domain, plan_id: &plan.id, billing: &billing },
                )?;
                crate::domains::workflow_entity_types::ensure_builtin(tx, &tenant_id)?;
                let full_name = format!("{} {}", b.first_name.trim(), b.last_name.trim());
                let user = users::insert(
                    tx,
                    users::NewUser {
                        tenant_id: Some(&tenant_id),
                        email: &b.email,
                        name: &full_name,
                        role: Role::Admin,
                        status: "active",
                        password_hash: Some(password_hash),
                    },
                )?;
                let tenant = get::<Tenant>(tx, Scope::AnyTenant, &tenant_id)?;
                audit::store::record(
                    tx,
                    &actor,
                    Entry::new(Some(&tenant_id), "tenant.created", "tenant", &tenant_id).after(&tenant),
                )?;
                audit::store::record(
                    tx,
                    &actor,
                    Entry::new(Some(&tenant_id), "user.created", "user", &user.id).after(&user),
                )?;
                let invoice = crate::domains::invoices::store::insert(
                    tx,
                    crate::domains::invoices::store::NewInvoice {
                        tenant_id: &tenant_id,
                        subscription_id: Some(&subscription_id),
                        plan_id: Some(&plan.id),
                        kind: "subscription",
                        amount_minor: plan.price_minor,
                        currency: &plan.currency,
                        period_start: None,
                        period_end: None,
                        due_in_days: 7,
                    },
                )?;
                audit::store::record(
                    tx,
                    &actor,
                    Entry::new(Some(&tenant_id), "invoice.issued", "invoice", &invoice.id).after(&invoice),
                )?;
                Ok(CreatedTenant {
                    tenant_id,
                    tenant_name: tenant.name,
                    domain: tenant.domain,
                    status: tenant.status,
                    user_id: user.id,
                    email: user.email,
                    plan_id: plan.id,
                    subscription_id,
                    invoice_id: invoice.id,
                    invoice_number: invoice.number,
                })
            })
            .await?;
        Ok(Created::at(format!("/api/v1/platform/tenants/{}", created.tenant_id), created))
    }

    /// Get a tenant
    ///
    /// With its billing profile, subscription and users.
    #[oai(path = "/tenants/:id", method = "get")]
    async fn get(&self, state: Data<&AppState>, _ctx: Platform, id: Path<String>) -> ApiResult<Json<TenantDetail>> {
        let id = path_id(&id, Tenant::NAME)?;
        let detail = state
            .db
            .read(move |c| {
                let tenant = get::<Tenant>(c, Scope::AnyTenant, &id)?;
                let q = ListQuery::parse::<User>(
                    "",
                    vec![("limit".into(), "100".into()), ("sort".into(), "createdAt".into())],
                )?;
                let users = list::<User>(c, Scope::Tenant(&id), &q, Extra::default())?.items;
                let subscription = store::subscription(c, &id)?;
                let last = crate::domains::billing::store::last_payment(c, &id)?;
                let discount: i64 = c.query_row_cached(
                    "SELECT COALESCE(MAX(discount_percent), 0) FROM subscriptions WHERE tenant_id = ?1 AND status <> 'cancelled'",
                    [&id],
                    |r| r.get(0),
                )?;
                let billing = BillingSummary {
                    subscription_id: subscription.as_ref().map(|s| s.id.clone()),
                    next_billing_date: subscription.as_ref().and_then(|s| s.next_billing_date.clone()),
                    last_payment_minor: last.as_ref().map(|l| l.0),
                    last_payment_date: last.map(|l| l.1),
                    payment_status: tenant.payment_status.clone(),
                    discount_percent: discount,
                    balance: crate::domains::billing::balance_of(c, &id)?,
                };
                let count = |table: &str| -> Result<i64, ApiError> {
                    let extra = if table == "api_tokens" { " AND revoked_at IS NULL AND kind = 'standard'" } else { "" };
                    Ok(c.query_row_cached(&format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = ?1{extra}"), [&id], |r| r.get(0))?)
                };
                let usage = Usage {
                    monthly_usage_minor: crate::domains::billing::store::usage_this_month(c, &id)?,
                    environment_count: count("environments")?,
                    model_count: count("models")?,
                    api_token_count: count("api_tokens")?,
                };
                Ok(TenantDetail { billing_profile: store::billing_profile(c, &id)?, subscription, billing, usage, tenant, users })
            })
            .await?;
        Ok(Json(detail))
    }

    /// Update a tenant
    ///
    /// Name, domain, plan, status, spend cap, feature flags. Partial: only the fields given
    /// change. Suspending blocks the tenant's logins and tokens (403 `tenant_suspended`).
    #[oai(path = "/tenants/:id", method = "patch", method = "put")]
    async fn update(
        &self,
        state: Data<&AppState>,
        ctx: Platform,
        id: Path<String>,
        body: JsonBody<UpdateTenant>,
    ) -> ApiResult<Json<Tenant>> {
        update_tenant(&state, ctx, &id, body.0).await
    }
}

async fn update_tenant(state: &AppState, ctx: Platform, raw_id: &str, b: UpdateTenant) -> ApiResult<Json<Tenant>> {
    let id = path_id(raw_id, Tenant::NAME)?;
    let mut errors = FieldErrors::new();
    if let Some(n) = &b.name {
        validate::name(&mut errors, "name", n, 200);
    }
    if let Some(d) = &b.domain {
        validate_domain(&mut errors, d);
    }
    if let Some(s) = &b.status
        && !["active", "suspended", "cancelled"].contains(&s.as_str())
    {
        errors.add("status", "must be one of: active, suspended, cancelled");
    }
    if let MaybeUndefined::Value(cap) = b.spend_cap_usd
        && (cap < 0.0 || !cap.is_finite())
    {
        errors.add("spendCapUsd", "must be 0 or more");
    }
    errors.finish()?;
    let actor = ctx.principal.actor();
    let tenant = state
        .db
        .write(move |tx| {
            let before = get::<Tenant>(tx, Scope::AnyTenant, &id)?;
            let plan_id = match &b.plan {
                Some(p) => Some(plans::find(tx, p)?.ok_or_else(|| ApiError::field("plan", "no such plan"))?.id),
                None => None,
            };
            if let Some(d) = &b.domain
                && d != &before.domain
                && store::free_domain(tx, Some(d), "")? != *d
            {
                return Err(ApiError::taken("domain", "already taken", "This domain is taken"));
            }
            let spend_cap_usd = match b.spend_cap_usd {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(v) => Some(Some(v)),
            };
            let feature_flags = b.feature_flags.as_ref().map(|f| serde_json::to_string(f).unwrap_or_default());
            let after = store::update(
                tx,
                &id,
                store::Changes {
                    name: b.name.as_deref().map(str::trim),
                    domain: b.domain.as_deref(),
                    plan_id: plan_id.as_deref(),
                    status: b.status.as_deref(),
                    spend_cap_usd,
                    feature_flags,
                },
            )?;
            let action = match (before.status.as_str(), after.status.as_str()) {
                (a, "suspended") if a != "suspended" => "tenant.suspended",
                ("suspended", b) if b != "suspended" => "tenant.reinstated",
                _ => "tenant.updated",
            };
            audit::store::record(
                tx,
                &actor,
                Entry::new(Some(&id), action, "tenant", &id).before(&before).after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(Json(tenant))
}
