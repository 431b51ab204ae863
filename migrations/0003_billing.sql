-- 0003: invoices, the credit ledger, payments, payment-provider events, the event outbox,
-- and the billing fields of tenants and subscriptions.

ALTER TABLE tenants ADD COLUMN low_balance_threshold_minor INTEGER NOT NULL DEFAULT 10000;
ALTER TABLE tenants ADD COLUMN payment_status TEXT NOT NULL DEFAULT 'current';
ALTER TABLE tenants ADD COLUMN trial_ends_at TEXT;
ALTER TABLE subscriptions ADD COLUMN discount_percent INTEGER NOT NULL DEFAULT 0;

-- Invoice numbers run per year: INV-2026-000001.
CREATE TABLE invoice_counters (
    year  INTEGER PRIMARY KEY,
    last  INTEGER NOT NULL
);

CREATE TABLE invoices (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    subscription_id  TEXT REFERENCES subscriptions (id) ON DELETE SET NULL,
    plan_id          TEXT REFERENCES plans (id),
    number           TEXT NOT NULL UNIQUE,
    type             TEXT NOT NULL,
    status           TEXT NOT NULL,
    amount_minor     INTEGER NOT NULL,
    currency         TEXT NOT NULL,
    period_start     TEXT,
    period_end       TEXT,
    due_at           TEXT NOT NULL,
    paid_at          TEXT,
    payment_ref      TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX invoices_created ON invoices (created_at, id);
CREATE INDEX invoices_tenant ON invoices (tenant_id, created_at, id);

-- The credit ledger: the balance is always the sum of a tenant's rows.
CREATE TABLE ledger (
    id                   TEXT PRIMARY KEY,
    tenant_id            TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind                 TEXT NOT NULL,
    amount_minor         INTEGER NOT NULL,
    balance_after_minor  INTEGER NOT NULL,
    currency             TEXT NOT NULL,
    note                 TEXT NOT NULL DEFAULT '',
    reference            TEXT,
    actor_label          TEXT NOT NULL DEFAULT '',
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX ledger_tenant ON ledger (tenant_id, created_at, id);

CREATE TABLE payments (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT REFERENCES tenants (id) ON DELETE SET NULL,
    invoice_id       TEXT REFERENCES invoices (id) ON DELETE SET NULL,
    provider_ref     TEXT NOT NULL,
    amount_minor     INTEGER NOT NULL,
    currency         TEXT NOT NULL,
    status           TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX payments_tenant ON payments (tenant_id, created_at);

-- Events received from the payment provider, each stored once by its id.
CREATE TABLE billing_events (
    id           TEXT PRIMARY KEY,
    event_id     TEXT NOT NULL UNIQUE,
    event_type   TEXT NOT NULL,
    tenant_id    TEXT,
    invoice_id   TEXT,
    outcome      TEXT NOT NULL,
    detail       TEXT,
    payload      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX billing_events_created ON billing_events (created_at, id);

-- Domain events (billing.low_balance, …) waiting for delivery to webhook subscribers.
CREATE TABLE events (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT,
    type          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    delivered_at  TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX events_tenant ON events (tenant_id, created_at);
