//! The tenant's credit ledger: `GET /billing/balance`, `POST /billing/topup`,
//! `GET /billing/transactions`. Amounts are integer minor units of the plan's currency; every
//! change is a ledger row, so the balance is always the sum of the transactions.

pub mod money;
pub mod store;

use poem::web::Data;
use poem_openapi::{Object, OpenApi};
use rusqlite::Row;
use serde::Deserialize;

use crate::db::list::{Extra, Filter, FilterKind, Resource, Sort};
use crate::domains::audit::{self, Entry};
use crate::http::auth::Tenant;
use crate::http::body::JsonBody;
use crate::http::error::FieldErrors;
use crate::http::list::{ListParams, Listed};
use crate::http::perms::perm;
use crate::http::respond::{ApiResult, Created};
use crate::http::tags::Tag;
use crate::http::validate;
use crate::state::AppState;

pub const KINDS: &[&str] = &["topup", "usage", "grant", "adjustment"];

/// One change of the tenant's credit.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct Transaction {
    pub id: String,
    pub tenant_id: String,
    /// `topup`, `usage` (LLM calls), `grant` (plan credits) or `adjustment`.
    pub kind: String,
    /// Signed: credits are positive, debits negative.
    pub amount_minor: i64,
    pub amount_formatted: String,
    pub balance_after_minor: i64,
    pub currency: String,
    pub note: String,
    pub reference: Option<String>,
    /// Who made the change.
    pub actor_label: String,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource for Transaction {
    const NAME: &'static str = "Transaction";
    const FROM: &'static str = "ledger";
    const COUNTED: bool = true;
    const COLUMNS: &'static str = "id, tenant_id, kind, amount_minor, balance_after_minor, currency, note, reference, \
        actor_label, created_at, updated_at";
    const ID: &'static str = "id";
    const CREATED: &'static str = "created_at";
    const TENANT: Option<&'static str> = Some("tenant_id");
    const SORTS: &'static [Sort] = &[
        Sort { param: "createdAt", column: "created_at" },
        Sort { param: "updatedAt", column: "updated_at" },
        Sort { param: "amountMinor", column: "amount_minor" },
        Sort { param: "note", column: "note" },
    ];
    const FILTERS: &'static [Filter] = &[Filter { param: "kind", column: "kind", kind: FilterKind::Enum(KINDS) }];
    const SEARCH: &'static [&'static str] = &["note"];

    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        let amount: i64 = row.get(3)?;
        let currency: String = row.get(5)?;
        Ok(Transaction {
            id: row.get(0)?,
            tenant_id: row.get(1)?,
            kind: row.get(2)?,
            amount_minor: amount,
            amount_formatted: money::format(amount, &currency),
            balance_after_minor: row.get(4)?,
            currency,
            note: row.get(6)?,
            reference: row.get(7)?,
            actor_label: row.get(8)?,
            created_at: row.get(9)?,
            updated_at: row.get(10)?,
        })
    }
}

/// The tenant's credit.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct Balance {
    pub balance_minor: i64,
    pub currency: String,
    pub balance_formatted: String,
    /// Falling below this emits `billing.low_balance`.
    pub low_balance_threshold_minor: i64,
}

/// Add credit.
#[derive(Debug, Object, Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TopUp {
    /// Positive, in minor units (paise for INR).
    pub amount_minor: i64,
    #[serde(default)]
    pub note: Option<String>,
}

/// A completed top-up and the balance after it.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct TopUpResult {
    pub transaction: Transaction,
    pub balance: Balance,
}

/// Largest single top-up: ten million units of the currency.
const MAX_TOPUP: i64 = 1_000_000_000;

pub fn balance_of(conn: &rusqlite::Connection, tenant: &str) -> Result<Balance, crate::http::error::ApiError> {
    let (currency, threshold) = store::settings(conn, tenant)?;
    let minor = store::balance(conn, tenant)?;
    Ok(Balance {
        balance_minor: minor,
        balance_formatted: money::format(minor, &currency),
        currency,
        low_balance_threshold_minor: threshold,
    })
}

pub struct BillingApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Billing")]
impl BillingApi {
    /// The tenant's credit balance
    #[oai(path = "/billing/balance", method = "get")]
    async fn balance(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::BillingRead>,
    ) -> ApiResult<poem_openapi::payload::Json<Balance>> {
        let tenant = ctx.tenant_id;
        Ok(poem_openapi::payload::Json(state.db.read(move |c| balance_of(c, &tenant)).await?))
    }

    /// Top up the tenant's credit
    ///
    /// Admins only. Send an `Idempotency-Key` so a retried top-up is applied once.
    #[oai(path = "/billing/topup", method = "post")]
    async fn topup(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::BillingWrite>,
        body: JsonBody<TopUp>,
    ) -> ApiResult<Created<TopUpResult>> {
        let b = body.0;
        let mut errors = FieldErrors::new();
        if b.amount_minor <= 0 {
            errors.add("amountMinor", "must be greater than 0");
        } else if b.amount_minor > MAX_TOPUP {
            errors.add("amountMinor", format!("must be at most {MAX_TOPUP}"));
        }
        validate::text(&mut errors, "note", b.note.as_deref(), 500);
        errors.finish()?;
        let (actor, tenant) = (ctx.actor(), ctx.tenant_id);
        let result = state
            .db
            .write(move |tx| {
                let t = store::append(
                    tx,
                    &tenant,
                    store::Change {
                        kind: "topup",
                        amount_minor: b.amount_minor,
                        note: b.note.as_deref().unwrap_or(""),
                        reference: None,
                        actor_label: &actor.label,
                    },
                )?;
                audit::store::record(
                    tx,
                    &actor,
                    Entry::new(Some(&tenant), "billing.topup", "transaction", &t.id).after(&t),
                )?;
                Ok(TopUpResult { transaction: t, balance: balance_of(tx, &tenant)? })
            })
            .await?;
        Ok(Created::at(format!("/api/v1/billing/transactions/{}", result.transaction.id), result))
    }

    /// Get one credit transaction
    #[oai(path = "/billing/transactions/:id", method = "get")]
    async fn transaction(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::BillingRead>,
        id: poem_openapi::param::Path<String>,
    ) -> ApiResult<poem_openapi::payload::Json<Transaction>> {
        let id = crate::http::respond::path_id(&id, Transaction::NAME)?;
        Ok(poem_openapi::payload::Json(state.db.fetch::<Transaction>(Some(ctx.tenant_id), id).await?))
    }

    /// List the tenant's credit transactions
    ///
    /// Filter `kind`; newest first.
    #[oai(path = "/billing/transactions", method = "get")]
    async fn transactions(
        &self,
        state: Data<&AppState>,
        ctx: Tenant<perm::BillingRead>,
        q: ListParams<Transaction>,
    ) -> ApiResult<Listed<Transaction>> {
        state.db.page(Some(ctx.tenant_id), q.into_inner(), Extra::default()).await
    }
}
