//! Plans (`/platform/plans`): `free`, `pro`, `agency` and `enterprise` exist from the start;
//! custom plans are made when a tenant is created with one.

pub mod store;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rusqlite::Row;

use poem_openapi::types::MaybeUndefined;
use serde::Deserialize;

use crate::db::list::{Extra, Filter, FilterKind, Resource, Sort};
use crate::domains::audit::{self, Entry};
use crate::domains::tenants::Cycle;
use crate::http::auth::Platform;
use crate::http::body::JsonBody;
use crate::http::error::ApiError;
use crate::http::error::FieldErrors;
use crate::http::list::{ListParams, Listed};
use crate::http::respond::ApiResult;
use crate::http::respond::Created;
use crate::http::tags::Tag;
use crate::http::validate;
use crate::state::AppState;

/// A billing plan.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct Plan {
    pub id: String,
    /// `free`, `pro`, `agency`, `enterprise`, or `custom-…`.
    pub code: String,
    pub name: String,
    pub description: String,
    /// Price per cycle in minor units of `currency` (paise for INR).
    pub price_minor: i64,
    pub currency: String,
    /// `monthly`, `quarterly` or `yearly`.
    pub cycle: String,
    /// Credits granted each cycle, in minor units.
    pub included_credits_minor: i64,
    /// Overrides the configured per-principal rate limit when set.
    pub rate_limit_per_minute: Option<i64>,
    pub features: Vec<String>,
    pub is_custom: bool,
    pub region_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource for Plan {
    const NAME: &'static str = "Plan";
    const FROM: &'static str = "plans";
    const COLUMNS: &'static str = "id, code, name, description, price_minor, currency, cycle, included_credits_minor, \
        rate_limit_per_minute, features, is_custom, region_id, created_at, updated_at";
    const ID: &'static str = "id";
    const CREATED: &'static str = "created_at";
    const TENANT: Option<&'static str> = None;
    const SORTS: &'static [Sort] = &[
        Sort { param: "createdAt", column: "created_at" },
        Sort { param: "updatedAt", column: "updated_at" },
        Sort { param: "name", column: "name" },
        Sort { param: "priceMinor", column: "price_minor" },
    ];
    const FILTERS: &'static [Filter] = &[
        Filter { param: "cycle", column: "cycle", kind: FilterKind::Enum(&["monthly", "quarterly", "yearly"]) },
        Filter { param: "isCustom", column: "is_custom", kind: FilterKind::Bool },
        Filter { param: "code", column: "code", kind: FilterKind::Text },
    ];
    const SEARCH: &'static [&'static str] = &["name", "code"];
    const DEFAULT_SORT: &'static str = "priceMinor";

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(Plan {
            id: row.get(0)?,
            code: row.get(1)?,
            name: row.get(2)?,
            description: row.get(3)?,
            price_minor: row.get(4)?,
            currency: row.get(5)?,
            cycle: row.get(6)?,
            included_credits_minor: row.get(7)?,
            rate_limit_per_minute: row.get(8)?,
            features: serde_json::from_str(&row.get::<_, String>(9)?).unwrap_or_default(),
            is_custom: crate::db::flag(row.get(10)?),
            region_id: row.get(11)?,
            created_at: row.get(12)?,
            updated_at: row.get(13)?,
        })
    }
}

/// Create a plan.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreatePlan {
    /// Lower-case letters, digits and `-`; unique.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Price per cycle in minor units.
    pub price_minor: i64,
    /// ISO 4217 code (default INR).
    #[serde(default)]
    pub currency: Option<String>,
    /// `monthly` (default), `quarterly` or `yearly`.
    #[serde(default)]
    pub cycle: Option<Cycle>,
    #[serde(default)]
    pub included_credits_minor: Option<i64>,
    #[serde(default)]
    pub rate_limit_per_minute: Option<i64>,
    #[serde(default)]
    pub features: Vec<String>,
}

/// Change a plan; absent fields stay, `rateLimitPerMinute: null` removes the override.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdatePlan {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub price_minor: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub cycle: Option<Cycle>,
    #[serde(default)]
    pub included_credits_minor: Option<i64>,
    #[serde(default)]
    pub rate_limit_per_minute: MaybeUndefined<i64>,
    #[serde(default)]
    pub features: Option<Vec<String>>,
}

fn check_amounts(
    errors: &mut FieldErrors,
    price: Option<i64>,
    credits: Option<i64>,
    rate: Option<i64>,
    currency: Option<&str>,
) {
    if price.is_some_and(|p| p < 0) {
        errors.add("priceMinor", "must be 0 or more");
    }
    if credits.is_some_and(|c| c < 0) {
        errors.add("includedCreditsMinor", "must be 0 or more");
    }
    if rate.is_some_and(|r| !(1..=1_000_000).contains(&r)) {
        errors.add("rateLimitPerMinute", "must be between 1 and 1000000");
    }
    if currency.is_some_and(|c| c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_uppercase())) {
        errors.add("currency", "must be a 3-letter ISO 4217 code such as INR");
    }
}

pub struct PlansApi;

#[OpenApi(prefix_path = "/api/v1/platform", tag = "Tag::Platform")]
impl PlansApi {
    /// List plans
    #[oai(path = "/plans", method = "get")]
    async fn list(&self, state: Data<&AppState>, _ctx: Platform, q: ListParams<Plan>) -> ApiResult<Listed<Plan>> {
        state.db.page(None, q.into_inner(), Extra::default()).await
    }

    /// Create a plan
    #[oai(path = "/plans", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        ctx: Platform,
        body: JsonBody<CreatePlan>,
    ) -> ApiResult<Created<Plan>> {
        let b = body.0;
        let mut errors = FieldErrors::new();
        if b.code.is_empty()
            || b.code.len() > 50
            || !b.code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            errors.add("code", "must be 1-50 lower-case letters, digits or -");
        }
        validate::name(&mut errors, "name", &b.name, 100);
        validate::text(&mut errors, "description", b.description.as_deref(), 2000);
        check_amounts(
            &mut errors,
            Some(b.price_minor),
            b.included_credits_minor,
            b.rate_limit_per_minute,
            b.currency.as_deref(),
        );
        errors.finish()?;
        let actor = ctx.principal.actor();
        let plan = state
            .db
            .write(move |tx| {
                let p = store::insert(
                    tx,
                    store::PlanFields {
                        code: Some(&b.code),
                        name: Some(b.name.trim()),
                        description: b.description.as_deref(),
                        price_minor: Some(b.price_minor),
                        currency: b.currency.as_deref(),
                        cycle: b.cycle.map(Cycle::as_str),
                        included_credits_minor: b.included_credits_minor,
                        rate_limit_per_minute: Some(b.rate_limit_per_minute),
                        features: Some(&b.features),
                    },
                )?;
                audit::store::record(tx, &actor, Entry::new(None, "plan.created", "plan", &p.id).after(&p))?;
                Ok(p)
            })
            .await?;
        Ok(Created::at(format!("/api/v1/platform/plans/{}", plan.id), plan))
    }

    /// Update a plan
    ///
    /// Partial. Price changes apply to invoices issued from now on.
    #[oai(path = "/plans/:id", method = "patch")]
    async fn update(
        &self,
        state: Data<&AppState>,
        ctx: Platform,
        id: Path<String>,
        body: JsonBody<UpdatePlan>,
    ) -> ApiResult<Json<Plan>> {
        let b = body.0;
        let mut errors = FieldErrors::new();
        if let Some(n) = &b.name {
            validate::name(&mut errors, "name", n, 100);
        }
        validate::text(&mut errors, "description", b.description.as_deref(), 2000);
        check_amounts(
            &mut errors,
            b.price_minor,
            b.included_credits_minor,
            b.rate_limit_per_minute.value().copied(),
            b.currency.as_deref(),
        );
        errors.finish()?;
        let actor = ctx.principal.actor();
        let raw = id.0;
        let plan = state
            .db
            .write(move |tx| {
                let before = store::find(tx, &raw)?.ok_or_else(|| ApiError::not_found(Plan::NAME))?;
                let rate = match b.rate_limit_per_minute {
                    MaybeUndefined::Undefined => None,
                    MaybeUndefined::Null => Some(None),
                    MaybeUndefined::Value(v) => Some(Some(v)),
                };
                let after = store::update(
                    tx,
                    &before.id,
                    store::PlanFields {
                        code: None,
                        name: b.name.as_deref().map(str::trim),
                        description: b.description.as_deref(),
                        price_minor: b.price_minor,
                        currency: b.currency.as_deref(),
                        cycle: b.cycle.map(Cycle::as_str),
                        included_credits_minor: b.included_credits_minor,
                        rate_limit_per_minute: rate,
                        features: b.features.as_deref(),
                    },
                )?;
                audit::store::record(
                    tx,
                    &actor,
                    Entry::new(None, "plan.updated", "plan", &after.id).before(&before).after(&after),
                )?;
                Ok(after)
            })
            .await?;
        Ok(Json(plan))
    }

    /// Get a plan by id or code
    #[oai(path = "/plans/:id", method = "get")]
    async fn get(&self, state: Data<&AppState>, _ctx: Platform, id: Path<String>) -> ApiResult<Json<Plan>> {
        let id = id.0;
        let plan = state.db.read(move |c| store::find(c, &id)).await?;
        plan.map(Json).ok_or_else(|| ApiError::not_found(Plan::NAME))
    }
}
