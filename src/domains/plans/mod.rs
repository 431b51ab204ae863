//! Plans (`/platform/plans`): `free`, `pro`, `agency` and `enterprise` exist from the start;
//! custom plans are made when a tenant is created with one.

pub mod store;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rusqlite::Row;

use crate::db::list::{Extra, Filter, FilterKind, Resource, Sort};
use crate::http::auth::Platform;
use crate::http::error::ApiError;
use crate::http::list::{ListParams, Listed};
use crate::http::respond::ApiResult;
use crate::http::tags::Tag;
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

pub struct PlansApi;

#[OpenApi(prefix_path = "/api/v1/platform", tag = "Tag::Platform")]
impl PlansApi {
    /// List plans
    #[oai(path = "/plans", method = "get")]
    async fn list(&self, state: Data<&AppState>, _ctx: Platform, q: ListParams<Plan>) -> ApiResult<Listed<Plan>> {
        state.db.page(None, q.into_inner(), Extra::default()).await
    }

    /// Get a plan by id or code
    #[oai(path = "/plans/:id", method = "get")]
    async fn get(&self, state: Data<&AppState>, _ctx: Platform, id: Path<String>) -> ApiResult<Json<Plan>> {
        let id = id.0;
        let plan = state.db.read(move |c| store::find(c, &id)).await?;
        plan.map(Json).ok_or_else(|| ApiError::not_found(Plan::NAME))
    }
}
