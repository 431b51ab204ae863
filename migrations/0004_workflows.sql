-- 0004: workflow entity types, workflow entities, workflows, prompts.

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
