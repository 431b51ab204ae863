-- admin-appliance: the whole schema. Written to be accepted by SQLite and PostgreSQL alike:
-- ids (UUIDv7) and timestamps (RFC 3339 UTC text, fixed width) come from the application,
-- JSON is kept as TEXT, booleans as 0/1 INTEGER.

CREATE TABLE schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    applied_at  TEXT NOT NULL
);

-- Small key/value facts about this installation (e.g. the master key check value).
CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE plans (
    id                      TEXT PRIMARY KEY,
    code                    TEXT NOT NULL UNIQUE,
    name                    TEXT NOT NULL,
    description             TEXT NOT NULL DEFAULT '',
    price_minor             INTEGER NOT NULL DEFAULT 0,
    currency                TEXT NOT NULL DEFAULT 'INR',
    cycle                   TEXT NOT NULL DEFAULT 'monthly',
    included_credits_minor  INTEGER NOT NULL DEFAULT 0,
    rate_limit_per_minute   INTEGER,
    features                TEXT NOT NULL DEFAULT '[]',
    is_custom               INTEGER NOT NULL DEFAULT 0,
    region_id               TEXT,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE INDEX plans_created ON plans (created_at, id);

CREATE TABLE tenants (
    id                      TEXT PRIMARY KEY,
    name                    TEXT NOT NULL,
    domain                  TEXT NOT NULL UNIQUE,
    plan_id                 TEXT NOT NULL REFERENCES plans (id),
    status                  TEXT NOT NULL,
    status_before_suspend   TEXT,
    suspended_reason        TEXT,
    spend_cap_usd           REAL,
    feature_flags           TEXT NOT NULL DEFAULT '{}',
    deployment_mode         TEXT NOT NULL DEFAULT 'shared',
    legal_name              TEXT,
    gstin                   TEXT,
    tds_deduction           INTEGER NOT NULL DEFAULT 0,
    billing_name            TEXT,
    billing_address         TEXT,
    billing_city            TEXT,
    billing_state           TEXT,
    billing_country         TEXT,
    billing_postal          TEXT,
    phone                   TEXT,
    country                 TEXT,
    low_balance_threshold_minor INTEGER NOT NULL DEFAULT 10000,
    payment_status          TEXT NOT NULL DEFAULT 'current',
    trial_ends_at           TEXT,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE INDEX tenants_created ON tenants (created_at, id);
CREATE INDEX tenants_status ON tenants (status, created_at);
CREATE INDEX tenants_name ON tenants (name, id);

CREATE TABLE subscriptions (
    id                    TEXT PRIMARY KEY,
    tenant_id             TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    plan_id               TEXT NOT NULL REFERENCES plans (id),
    status                TEXT NOT NULL,
    start_date            TEXT,
    billing_activated_on  TEXT,
    billing_start_date    TEXT,
    next_billing_date     TEXT,
    discount_percent      INTEGER NOT NULL DEFAULT 0,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE INDEX subscriptions_tenant ON subscriptions (tenant_id);

-- Users; platform operators (super_admin) have no tenant. Emails are stored lower-cased and
-- unique across the platform.
CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL DEFAULT '',
    role           TEXT NOT NULL,
    status         TEXT NOT NULL,
    password_hash  TEXT,
    last_login_at  TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX users_tenant ON users (tenant_id, created_at, id);
CREATE INDEX users_created ON users (created_at, id);

-- Login sessions; the id is the SHA-256 of the cookie value, never the value itself.
CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- API tokens: only the SHA-256 of the secret is kept. tenant_id NULL = platform token.
CREATE TABLE api_tokens (
    id                   TEXT PRIMARY KEY,
    tenant_id            TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    name                 TEXT NOT NULL,
    role                 TEXT NOT NULL,
    kind                 TEXT NOT NULL DEFAULT 'standard',
    prefix               TEXT NOT NULL,
    token_hash           TEXT NOT NULL UNIQUE,
    created_by_user_id   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_by_token_id  TEXT,
    expires_at           TEXT,
    last_used_at         TEXT,
    revoked_at           TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id, created_at, id);

CREATE TABLE environments (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE INDEX environments_tenant_created ON environments (tenant_id, created_at, id);

-- Append-only, hash-chained audit log: hash = SHA-256(prev_hash | canonical record).
CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    seq          INTEGER NOT NULL UNIQUE,
    tenant_id    TEXT,
    actor_type   TEXT NOT NULL,
    actor_id     TEXT,
    actor_label  TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    TEXT,
    before_json  TEXT,
    after_json   TEXT,
    reason       TEXT,
    request_id   TEXT,
    created_at   TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, created_at, id);
CREATE INDEX audit_log_created ON audit_log (created_at, id);

-- Reads of tenant content by platform principals, listed to the tenant's admins.
CREATE TABLE content_reads (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    actor_type     TEXT NOT NULL,
    actor_id       TEXT,
    actor_label    TEXT NOT NULL DEFAULT '',
    method         TEXT NOT NULL,
    path           TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    resource_id    TEXT,
    reason         TEXT,
    request_id     TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX content_reads_tenant ON content_reads (tenant_id, created_at, id);

-- Stored POST responses for Idempotency-Key replays (kept 24 h).
CREATE TABLE idempotency_keys (
    principal_key     TEXT NOT NULL,
    idem_key          TEXT NOT NULL,
    fingerprint       TEXT NOT NULL,
    state             TEXT NOT NULL,
    status_code       INTEGER,
    response_headers  TEXT,
    response_body     TEXT,
    created_at        TEXT NOT NULL,
    PRIMARY KEY (principal_key, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Secrets (migration 0002). Sealed columns hold AES-256-GCM values (`v1.<kid>.<base64>`).
CREATE TABLE variables (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    environment_id  TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    value_sealed    TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (environment_id, name)
);
CREATE INDEX variables_tenant_created ON variables (tenant_id, created_at, id);

CREATE TABLE models (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    provider           TEXT NOT NULL,
    model_url          TEXT NOT NULL,
    model_name         TEXT NOT NULL,
    token_sealed       TEXT,
    client_key_sealed  TEXT,
    secret_key_sealed  TEXT,
    input_price_usd_per_mtok   REAL NOT NULL DEFAULT 0,
    output_price_usd_per_mtok  REAL NOT NULL DEFAULT 0,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE INDEX models_tenant_created ON models (tenant_id, created_at, id);

CREATE TABLE llm_providers (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    type             TEXT NOT NULL,
    api_key_sealed   TEXT,
    base_url         TEXT NOT NULL,
    models           TEXT NOT NULL DEFAULT '[]',
    enabled          INTEGER NOT NULL DEFAULT 1,
    status           TEXT NOT NULL DEFAULT 'unknown',
    last_checked_at  TEXT,
    last_latency_ms  INTEGER,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX llm_providers_created ON llm_providers (created_at, id);

-- Billing (migration 0003).
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

-- Workflow authoring (migration 0004).
CREATE TABLE workflow_entity_types (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    builtin      INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE INDEX workflow_entity_types_tenant ON workflow_entity_types (tenant_id, created_at, id);

CREATE TABLE workflow_entities (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    entity_type_id  TEXT NOT NULL REFERENCES workflow_entity_types (id),
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    condition_json  TEXT,
    script          TEXT,
    tf_condition    TEXT,
    arguments_json  TEXT NOT NULL DEFAULT '[]',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX workflow_entities_tenant ON workflow_entities (tenant_id, created_at, id);

CREATE TABLE workflows (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    environment_id  TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    workflow_data   TEXT NOT NULL,
    node_count      INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX workflows_tenant ON workflows (tenant_id, created_at, id);

-- Which entities each workflow uses (kept on save), for usage counts and `entity_in_use`.
CREATE TABLE workflow_entity_refs (
    workflow_id  TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    entity_id    TEXT NOT NULL REFERENCES workflow_entities (id),
    tenant_id    TEXT NOT NULL,
    PRIMARY KEY (workflow_id, entity_id)
);
CREATE INDEX workflow_entity_refs_entity ON workflow_entity_refs (entity_id);

CREATE TABLE prompts (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    model_id         TEXT REFERENCES models (id) ON DELETE SET NULL,
    title            TEXT NOT NULL,
    content          TEXT NOT NULL,
    output_format    TEXT NOT NULL DEFAULT 'text',
    output_template  TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX prompts_tenant ON prompts (tenant_id, created_at, id);

-- Prompt templates (migration 0005).
CREATE TABLE prompt_templates (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    environment_id    TEXT REFERENCES environments (id) ON DELETE SET NULL,
    model_id          TEXT REFERENCES models (id) ON DELETE SET NULL,
    name              TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    prompt_text       TEXT NOT NULL,
    variables         TEXT NOT NULL DEFAULT '{}',
    variable_sets     TEXT NOT NULL DEFAULT '[]',
    version           INTEGER NOT NULL DEFAULT 1,
    raw_sentiment     TEXT,
    result_sentiment  TEXT,
    last_output       TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX prompt_templates_tenant ON prompt_templates (tenant_id, created_at, id);

-- The whole state of a template before each update.
CREATE TABLE prompt_template_versions (
    id           TEXT PRIMARY KEY,
    template_id  TEXT NOT NULL REFERENCES prompt_templates (id) ON DELETE CASCADE,
    tenant_id    TEXT NOT NULL,
    version      INTEGER NOT NULL,
    snapshot     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (template_id, version)
);
CREATE INDEX prompt_template_versions_template ON prompt_template_versions (template_id, version);

CREATE TABLE llm_calls (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    model_id       TEXT,
    source_type    TEXT NOT NULL,
    source_id      TEXT,
    provider       TEXT NOT NULL,
    model_name     TEXT NOT NULL,
    input_tokens   INTEGER NOT NULL DEFAULT 0,
    output_tokens  INTEGER NOT NULL DEFAULT 0,
    cost_usd       REAL NOT NULL DEFAULT 0,
    cost_minor     INTEGER NOT NULL DEFAULT 0,
    duration_ms    INTEGER NOT NULL,
    status         TEXT NOT NULL,
    error          TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX llm_calls_tenant ON llm_calls (tenant_id, created_at, id);

-- Row counts kept per table and tenant by triggers, so that an unfiltered list's total is one
-- row read instead of a COUNT over every row of the tenant. tenant_id '' stands for rows without
-- a tenant (platform users and tokens). Filtered lists still count their rows (capped).
CREATE TABLE row_counts (
    table_name  TEXT NOT NULL,
    tenant_id   TEXT NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (table_name, tenant_id)
);

INSERT INTO row_counts (table_name, tenant_id, n)
    SELECT 'environments', COALESCE(tenant_id, ''), COUNT(*) FROM environments GROUP BY COALESCE(tenant_id, '');
CREATE TRIGGER environments_count_insert AFTER INSERT ON environments BEGIN
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('environments', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER environments_count_delete AFTER DELETE ON environments BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'environments' AND tenant_id = COALESCE(OLD.tenant_id, '');
END;
CREATE TRIGGER environments_count_move AFTER UPDATE OF tenant_id ON environments WHEN COALESCE(OLD.tenant_id, '') <> COALESCE(NEW.tenant_id, '') BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'environments' AND tenant_id = COALESCE(OLD.tenant_id, '');
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('environments', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;

INSERT INTO row_counts (table_name, tenant_id, n)
    SELECT 'variables', COALESCE(tenant_id, ''), COUNT(*) FROM variables GROUP BY COALESCE(tenant_id, '');
CREATE TRIGGER variables_count_insert AFTER INSERT ON variables BEGIN
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('variables', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER variables_count_delete AFTER DELETE ON variables BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'variables' AND tenant_id = COALESCE(OLD.tenant_id, '');
END;
CREATE TRIGGER variables_count_move AFTER UPDATE OF tenant_id ON variables WHEN COALESCE(OLD.tenant_id, '') <> COALESCE(NEW.tenant_id, '') BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'variables' AND tenant_id = COALESCE(OLD.tenant_id, '');
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('variables', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;

INSERT INTO row_counts (table_name, tenant_id, n)
    SELECT 'models', COALESCE(tenant_id, ''), COUNT(*) FROM models GROUP BY COALESCE(tenant_id, '');
CREATE TRIGGER models_count_insert AFTER INSERT ON models BEGIN
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('models', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER models_count_delete AFTER DELETE ON models BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'models' AND tenant_id = COALESCE(OLD.tenant_id, '');
END;
CREATE TRIGGER models_count_move AFTER UPDATE OF tenant_id ON models WHEN COALESCE(OLD.tenant_id, '') <> COALESCE(NEW.tenant_id, '') BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'models' AND tenant_id = COALESCE(OLD.tenant_id, '');
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('models', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;

INSERT INTO row_counts (table_name, tenant_id, n)
    SELECT 'users', COALESCE(tenant_id, ''), COUNT(*) FROM users GROUP BY COALESCE(tenant_id, '');
CREATE TRIGGER users_count_insert AFTER INSERT ON users BEGIN
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('users', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER users_count_delete AFTER DELETE ON users BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'users' AND tenant_id = COALESCE(OLD.tenant_id, '');
END;
CREATE TRIGGER users_count_move AFTER UPDATE OF tenant_id ON users WHEN COALESCE(OLD.tenant_id, '') <> COALESCE(NEW.tenant_id, '') BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'users' AND tenant_id = COALESCE(OLD.tenant_id, '');
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('users', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;

INSERT INTO row_counts (table_name, tenant_id, n)
    SELECT 'api_tokens', COALESCE(tenant_id, ''), COUNT(*) FROM api_tokens GROUP BY COALESCE(tenant_id, '');
CREATE TRIGGER api_tokens_count_insert AFTER INSERT ON api_tokens BEGIN
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('api_tokens', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER api_tokens_count_delete AFTER DELETE ON api_tokens BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'api_tokens' AND tenant_id = COALESCE(OLD.tenant_id, '');
END;
CREATE TRIGGER api_tokens_count_move AFTER UPDATE OF tenant_id ON api_tokens WHEN COALESCE(OLD.tenant_id, '') <> COALESCE(NEW.tenant_id, '') BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'api_tokens' AND tenant_id = COALESCE(OLD.tenant_id, '');
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('api_tokens', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;

INSERT INTO row_counts (table_name, tenant_id, n)
    SELECT 'audit_log', COALESCE(tenant_id, ''), COUNT(*) FROM audit_log GROUP BY COALESCE(tenant_id, '');
CREATE TRIGGER audit_log_count_insert AFTER INSERT ON audit_log BEGIN
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('audit_log', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER audit_log_count_delete AFTER DELETE ON audit_log BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'audit_log' AND tenant_id = COALESCE(OLD.tenant_id, '');
END;
CREATE TRIGGER audit_log_count_move AFTER UPDATE OF tenant_id ON audit_log WHEN COALESCE(OLD.tenant_id, '') <> COALESCE(NEW.tenant_id, '') BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'audit_log' AND tenant_id = COALESCE(OLD.tenant_id, '');
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('audit_log', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;

INSERT INTO row_counts (table_name, tenant_id, n)
    SELECT 'content_reads', COALESCE(tenant_id, ''), COUNT(*) FROM content_reads GROUP BY COALESCE(tenant_id, '');
CREATE TRIGGER content_reads_count_insert AFTER INSERT ON content_reads BEGIN
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('content_reads', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER content_reads_count_delete AFTER DELETE ON content_reads BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'content_reads' AND tenant_id = COALESCE(OLD.tenant_id, '');
END;
CREATE TRIGGER content_reads_count_move AFTER UPDATE OF tenant_id ON content_reads WHEN COALESCE(OLD.tenant_id, '') <> COALESCE(NEW.tenant_id, '') BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'content_reads' AND tenant_id = COALESCE(OLD.tenant_id, '');
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('content_reads', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;

INSERT INTO row_counts (table_name, tenant_id, n)
    SELECT 'workflow_entities', COALESCE(tenant_id, ''), COUNT(*) FROM workflow_entities GROUP BY COALESCE(tenant_id, '');
CREATE TRIGGER workflow_entities_count_insert AFTER INSERT ON workflow_entities BEGIN
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('workflow_entities', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER workflow_entities_count_delete AFTER DELETE ON workflow_entities BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'workflow_entities' AND tenant_id = COALESCE(OLD.tenant_id, '');
END;
CREATE TRIGGER workflow_entities_count_move AFTER UPDATE OF tenant_id ON workflow_entities WHEN COALESCE(OLD.tenant_id, '') <> COALESCE(NEW.tenant_id, '') BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'workflow_entities' AND tenant_id = COALESCE(OLD.tenant_id, '');
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('workflow_entities', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;

INSERT INTO row_counts (table_name, tenant_id, n)
    SELECT 'workflows', COALESCE(tenant_id, ''), COUNT(*) FROM workflows GROUP BY COALESCE(tenant_id, '');
CREATE TRIGGER workflows_count_insert AFTER INSERT ON workflows BEGIN
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('workflows', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER workflows_count_delete AFTER DELETE ON workflows BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'workflows' AND tenant_id = COALESCE(OLD.tenant_id, '');
END;
CREATE TRIGGER workflows_count_move AFTER UPDATE OF tenant_id ON workflows WHEN COALESCE(OLD.tenant_id, '') <> COALESCE(NEW.tenant_id, '') BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'workflows' AND tenant_id = COALESCE(OLD.tenant_id, '');
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('workflows', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;

INSERT INTO row_counts (table_name, tenant_id, n)
    SELECT 'prompts', COALESCE(tenant_id, ''), COUNT(*) FROM prompts GROUP BY COALESCE(tenant_id, '');
CREATE TRIGGER prompts_count_insert AFTER INSERT ON prompts BEGIN
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('prompts', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER prompts_count_delete AFTER DELETE ON prompts BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'prompts' AND tenant_id = COALESCE(OLD.tenant_id, '');
END;
CREATE TRIGGER prompts_count_move AFTER UPDATE OF tenant_id ON prompts WHEN COALESCE(OLD.tenant_id, '') <> COALESCE(NEW.tenant_id, '') BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'prompts' AND tenant_id = COALESCE(OLD.tenant_id, '');
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('prompts', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;

INSERT INTO row_counts (table_name, tenant_id, n)
    SELECT 'prompt_templates', COALESCE(tenant_id, ''), COUNT(*) FROM prompt_templates GROUP BY COALESCE(tenant_id, '');
CREATE TRIGGER prompt_templates_count_insert AFTER INSERT ON prompt_templates BEGIN
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('prompt_templates', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER prompt_templates_count_delete AFTER DELETE ON prompt_templates BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'prompt_templates' AND tenant_id = COALESCE(OLD.tenant_id, '');
END;
CREATE TRIGGER prompt_templates_count_move AFTER UPDATE OF tenant_id ON prompt_templates WHEN COALESCE(OLD.tenant_id, '') <> COALESCE(NEW.tenant_id, '') BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'prompt_templates' AND tenant_id = COALESCE(OLD.tenant_id, '');
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('prompt_templates', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;

INSERT INTO row_counts (table_name, tenant_id, n)
    SELECT 'ledger', COALESCE(tenant_id, ''), COUNT(*) FROM ledger GROUP BY COALESCE(tenant_id, '');
CREATE TRIGGER ledger_count_insert AFTER INSERT ON ledger BEGIN
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('ledger', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER ledger_count_delete AFTER DELETE ON ledger BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'ledger' AND tenant_id = COALESCE(OLD.tenant_id, '');
END;
CREATE TRIGGER ledger_count_move AFTER UPDATE OF tenant_id ON ledger WHEN COALESCE(OLD.tenant_id, '') <> COALESCE(NEW.tenant_id, '') BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'ledger' AND tenant_id = COALESCE(OLD.tenant_id, '');
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('ledger', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;

INSERT INTO row_counts (table_name, tenant_id, n)
    SELECT 'invoices', COALESCE(tenant_id, ''), COUNT(*) FROM invoices GROUP BY COALESCE(tenant_id, '');
CREATE TRIGGER invoices_count_insert AFTER INSERT ON invoices BEGIN
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('invoices', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER invoices_count_delete AFTER DELETE ON invoices BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'invoices' AND tenant_id = COALESCE(OLD.tenant_id, '');
END;
CREATE TRIGGER invoices_count_move AFTER UPDATE OF tenant_id ON invoices WHEN COALESCE(OLD.tenant_id, '') <> COALESCE(NEW.tenant_id, '') BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'invoices' AND tenant_id = COALESCE(OLD.tenant_id, '');
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('invoices', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;

INSERT INTO row_counts (table_name, tenant_id, n)
    SELECT 'llm_calls', COALESCE(tenant_id, ''), COUNT(*) FROM llm_calls GROUP BY COALESCE(tenant_id, '');
CREATE TRIGGER llm_calls_count_insert AFTER INSERT ON llm_calls BEGIN
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('llm_calls', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER llm_calls_count_delete AFTER DELETE ON llm_calls BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'llm_calls' AND tenant_id = COALESCE(OLD.tenant_id, '');
END;
CREATE TRIGGER llm_calls_count_move AFTER UPDATE OF tenant_id ON llm_calls WHEN COALESCE(OLD.tenant_id, '') <> COALESCE(NEW.tenant_id, '') BEGIN
    UPDATE row_counts SET n = n - 1 WHERE table_name = 'llm_calls' AND tenant_id = COALESCE(OLD.tenant_id, '');
    INSERT INTO row_counts (table_name, tenant_id, n) VALUES ('llm_calls', COALESCE(NEW.tenant_id, ''), 1)
        ON CONFLICT (table_name, tenant_id) DO UPDATE SET n = n + 1;
END;
