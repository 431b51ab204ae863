//! Invoices (`GET /platform/invoices` with `totals`) and the daily billing cycle that issues the
//! next invoice of each active subscription on its `nextBillingDate` and expires trials.

pub mod cycle;
pub mod store;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rusqlite::Row;

use crate::db::list::{Extra, Filter, FilterKind, Resource, Scope, Sort, aggregate};
use crate::domains::billing::money;
use crate::http::auth::Platform;
use crate::http::list::{ListParams, Listed, ListedWithTotals};
use crate::http::respond::{ApiResult, path_id};
use crate::http::tags::Tag;
use crate::state::AppState;

pub const STATUSES: &[&str] = &["pending", "paid", "failed", "void"];

/// An invoice.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct Invoice {
    pub id: String,
    pub tenant_id: String,
    pub tenant_name: String,
    pub subscription_id: Option<String>,
    pub plan_id: Option<String>,
    /// The plan's code.
    pub plan: Option<String>,
    /// `INV-<year>-<000001>`, numbered per year.
    pub number: String,
    /// `subscription`, `topup` or `adjustment`.
    #[oai(rename = "type")]
    pub kind: String,
    /// `pending`, `paid`, `failed` or `void`.
    pub status: String,
    pub amount_minor: i64,
    /// With the currency's symbol and grouping, e.g. `₹2,499.00`.
    pub amount_formatted: String,
    pub currency: String,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub due_at: String,
    pub paid_at: Option<String>,
    pub payment_ref: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource for Invoice {
    const NAME: &'static str = "Invoice";
    const FROM: &'static str = "invoices i JOIN tenants t ON t.id = i.tenant_id LEFT JOIN plans p ON p.id = i.plan_id";
    const COUNTED: bool = true;
    const TABLE: &'static str = "invoices";
    const COLUMNS: &'static str = "i.id, i.tenant_id, t.name, i.subscription_id, i.plan_id, p.code, i.number, i.type, i.status, \
        i.amount_minor, i.currency, i.period_start, i.period_end, i.due_at, i.paid_at, i.payment_ref, i.created_at, i.updated_at";
    const ID: &'static str = "i.id";
    const CREATED: &'static str = "i.created_at";
    const TENANT: Option<&'static str> = Some("i.tenant_id");
    const SORTS: &'static [Sort] = &[
        Sort { param: "createdAt", column: "i.created_at" },
        Sort { param: "updatedAt", column: "i.updated_at" },
        Sort { param: "number", column: "i.number" },
        Sort { param: "dueAt", column: "i.due_at" },
        Sort { param: "amountMinor", column: "i.amount_minor" },
    ];
    const FILTERS: &'static [Filter] = &[
        Filter { param: "tenantId", column: "i.tenant_id", kind: FilterKind::Uuid },
        Filter { param: "status", column: "i.status", kind: FilterKind::Enum(STATUSES) },
        Filter { param: "plan", column: "p.code", kind: FilterKind::Text },
        Filter { param: "type", column: "i.type", kind: FilterKind::Enum(&["subscription", "topup", "adjustment"]) },
    ];
    const SEARCH: &'static [&'static str] = &["i.number", "t.name"];

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        let amount: i64 = row.get(9)?;
        let currency: String = row.get(10)?;
        Ok(Invoice {
            id: row.get(0)?,
            tenant_id: row.get(1)?,
            tenant_name: row.get(2)?,
            subscription_id: row.get(3)?,
            plan_id: row.get(4)?,
            plan: row.get(5)?,
            number: row.get(6)?,
            kind: row.get(7)?,
            status: row.get(8)?,
            amount_minor: amount,
            amount_formatted: money::format(amount, &currency),
            currency,
            period_start: row.get(11)?,
            period_end: row.get(12)?,
            due_at: row.get(13)?,
            paid_at: row.get(14)?,
            payment_ref: row.get(15)?,
            created_at: row.get(16)?,
            updated_at: row.get(17)?,
        })
    }
}

/// Sums over every invoice the filters select.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct InvoiceTotals {
    pub total_amount_minor: i64,
    pub count_paid: i64,
    pub count_failed: i64,
    pub count_pending: i64,
}

pub struct InvoicesApi;

#[OpenApi(prefix_path = "/api/v1/platform", tag = "Tag::Platform")]
impl InvoicesApi {
    /// List invoices
    ///
    /// Filters `tenantId`, `status`, `plan`, `type`, `startDate`, `endDate`; `search` matches the
    /// number and tenant name. `totals` sums every matching invoice, not just this page.
    #[oai(path = "/invoices", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        _ctx: Platform,
        q: ListParams<Invoice>,
    ) -> ApiResult<ListedWithTotals<Invoice, InvoiceTotals>> {
        let q = q.into_inner();
        state
            .db
            .read(move |c| {
                let page = crate::db::list::list::<Invoice>(c, Scope::AnyTenant, &q, Extra::default())?;
                let totals = aggregate::<Invoice, _>(
                    c,
                    Scope::AnyTenant,
                    &q,
                    Extra::default(),
                    "COALESCE(SUM(i.amount_minor), 0), \
                     COALESCE(SUM(CASE WHEN i.status = 'paid' THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN i.status = 'failed' THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN i.status = 'pending' THEN 1 ELSE 0 END), 0)",
                    |r| {
                        Ok(InvoiceTotals {
                            total_amount_minor: r.get(0)?,
                            count_paid: r.get(1)?,
                            count_failed: r.get(2)?,
                            count_pending: r.get(3)?,
                        })
                    },
                )?;
                Ok(ListedWithTotals { listed: Listed::new(&q, page), totals })
            })
            .await
    }

    /// Get an invoice
    #[oai(path = "/invoices/:id", method = "get")]
    async fn get(&self, state: Data<&AppState>, _ctx: Platform, id: Path<String>) -> ApiResult<Json<Invoice>> {
        let id = path_id(&id, Invoice::NAME)?;
        Ok(Json(state.db.fetch::<Invoice>(None, id).await?))
    }
}
