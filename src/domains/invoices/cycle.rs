//! The daily billing cycle: each active subscription whose `nextBillingDate` has come gets its
//! invoice (and its plan's credits), and the date moves on by the plan's cycle; trials past
//! their end are suspended. Suspended tenants are not billed.

use crate::db::Cached;
use chrono::{DateTime, Months, Utc};
use rusqlite::{Connection, params};

use crate::db::format_time;
use crate::domains::audit::{self, Actor, Entry};
use crate::http::error::ApiError;

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub invoices_issued: usize,
    pub trials_expired: usize,
}

fn months(cycle: &str) -> u32 {
    match cycle {
        "quarterly" => 3,
        "yearly" => 12,
        _ => 1,
    }
}

/// The first instant of the month after `t`.
pub fn first_of_next_month(t: DateTime<Utc>) -> DateTime<Utc> {
    let start = t.date_naive().with_day0(0).unwrap_or(t.date_naive());
    let next = start.checked_add_months(Months::new(1)).unwrap_or(start);
    next.and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or(t)
}

use chrono::Datelike;

/// A subscription whose billing date has come.
struct Due {
    subscription: String,
    tenant: String,
    plan: String,
    next: String,
    price: i64,
    currency: String,
    discount: i64,
    cycle: String,
}

/// Runs the cycle as of `now`, in the caller's transaction.
pub fn run(tx: &Connection, now: DateTime<Utc>) -> Result<Report, ApiError> {
    let mut report = Report::default();
    let due: Vec<Due> = {
        let mut stmt = tx.prepare(
            "SELECT s.id, s.tenant_id, s.plan_id, s.next_billing_date, p.price_minor, p.currency, s.discount_percent, p.cycle
               FROM subscriptions s JOIN tenants t ON t.id = s.tenant_id JOIN plans p ON p.id = s.plan_id
              WHERE s.status = 'active' AND t.status = 'active' AND s.next_billing_date IS NOT NULL
                AND s.next_billing_date <= ?1",
        )?;
        let rows = stmt.query_map([format_time(now)], |r| {
            Ok(Due {
                subscription: r.get(0)?,
                tenant: r.get(1)?,
                plan: r.get(2)?,
                next: r.get(3)?,
                price: r.get(4)?,
                currency: r.get(5)?,
                discount: r.get(6)?,
                cycle: r.get(7)?,
            })
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let system = Actor::system("billing-cycle");
    for Due { subscription: sub, tenant, plan, next, price, currency, discount, cycle } in due {
        let mut start = DateTime::parse_from_rfc3339(&next).map_err(ApiError::internal)?.with_timezone(&Utc);
        // Catch up on missed cycles, a bounded number of them.
        for _ in 0..24 {
            if start > now {
                break;
            }
            let end = start.checked_add_months(Months::new(months(&cycle))).unwrap_or(start);
            let amount = price * (100 - discount.clamp(0, 100)) / 100;
            let invoice = super::store::insert(
                tx,
                super::store::NewInvoice {
                    tenant_id: &tenant,
                    subscription_id: Some(&sub),
                    plan_id: Some(&plan),
                    kind: "subscription",
                    amount_minor: amount,
                    currency: &currency,
                    period_start: Some(&format_time(start)),
                    period_end: Some(&format_time(end)),
                    due_in_days: 7,
                },
            )?;
            audit::store::record(
                tx,
                &system,
                Entry::new(Some(&tenant), "invoice.issued", "invoice", &invoice.id).after(&invoice),
            )?;
            crate::domains::tenants::lifecycle::grant_plan_credits(tx, &tenant, "billing-cycle")?;
            report.invoices_issued += 1;
            start = end;
        }
        tx.execute_cached(
            "UPDATE subscriptions SET next_billing_date = ?2, updated_at = ?3 WHERE id = ?1",
            params![sub, format_time(start), format_time(now)],
        )?;
    }
    let expired: Vec<String> = {
        let mut stmt = tx.prepare(
            "SELECT id FROM tenants WHERE status = 'trial' AND trial_ends_at IS NOT NULL AND trial_ends_at <= ?1",
        )?;
        let rows = stmt.query_map([format_time(now)], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    for tenant in expired {
        tx.execute_cached(
            "UPDATE tenants SET status = 'suspended', status_before_suspend = 'trial', suspended_reason = 'trial expired',
                    updated_at = ?2 WHERE id = ?1",
            params![tenant, format_time(now)],
        )?;
        let mut entry = Entry::new(Some(&tenant), "tenant.trial_expired", "tenant", &tenant);
        entry.reason = Some("trial expired");
        audit::store::record(tx, &system, entry)?;
        report.trials_expired += 1;
    }
    Ok(report)
}
