-- 0002: encrypted variables, tenant models, platform LLM providers.

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
