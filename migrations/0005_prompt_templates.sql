-- 0005: versioned prompt templates, their history, model prices and the record of LLM calls.

ALTER TABLE models ADD COLUMN input_price_usd_per_mtok REAL NOT NULL DEFAULT 0;
ALTER TABLE models ADD COLUMN output_price_usd_per_mtok REAL NOT NULL DEFAULT 0;

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
