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
