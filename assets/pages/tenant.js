// Tenant (workspace) pages. Most are a description for the generic ResourcePage.
import { html, useState } from '../lib.js';
import { get, all, count, post } from '../api.js';
import { ResourcePage, ResourceList } from '../resource.js';
import { Link } from '../router.js';
import { useSession, can } from '../session.js';
import {
  useAsync, Loading, ErrorBox, Badge, PageHead, SecretOnce, FormDialog, Table, JsonView, notify,
} from '../components.js';
import { fmtDate, fmtMoney, humanize } from '../format.js';

// Options for selects, loaded from the API (module-level so the short cache in useOptions works).
export const environmentOptions = async () => (await all('/environments', { sort: 'name' })).map((e) => ({ value: e.id, label: e.name }));
export const modelOptions = async () => (await all('/models', { sort: 'name' })).map((m) => ({ value: m.id, label: `${m.name} (${m.provider})` }));
export const entityTypeOptions = async () => (await all('/workflow-entity-types', { sort: 'name' })).map((t) => ({ value: t.id, label: t.name }));

const TENANT_ROLES = ['admin', 'member', 'guest'];
export const PROVIDERS = [
  { value: 'openai', label: 'OpenAI-compatible' },
  { value: 'anthropic', label: 'Anthropic' },
  { value: 'ollama', label: 'Ollama' },
  { value: 'custom', label: 'Custom' },
];
const created = { key: 'createdAt', label: 'Created', render: (r) => fmtDate(r.createdAt) };
const updated = { key: 'updatedAt', label: 'Updated', render: (r) => fmtDate(r.updatedAt) };

// --- Environments ------------------------------------------------------------------------------

export const environments = {
  title: 'Environments',
  singular: 'environment',
  api: '/environments',
  sort: '-createdAt',
  search: 'Name or description',
  intro: 'Separate sets of variables and workflows, e.g. development, staging, production.',
  perms: { create: 'environments:write', update: 'environments:write', delete: 'environments:write' },
  columns: [
    { key: 'name', label: 'Name', render: (r) => html`<strong>${r.name}</strong>` },
    { key: 'description', label: 'Description' },
    created,
    updated,
  ],
  fields: [
    { name: 'name', label: 'Name', required: true },
    { name: 'description', label: 'Description', type: 'textarea' },
  ],
  deleteNote: 'Its variables and workflows go with it. This cannot be undone.',
};

// --- Variables ---------------------------------------------------------------------------------

export const variables = {
  title: 'Variables',
  singular: 'variable',
  api: '/variables',
  sort: 'name',
  search: 'Name or description',
  intro: 'Values are encrypted at rest and write-only: they are never shown again after saving.',
  perms: { create: 'variables:write', update: 'variables:write', delete: 'variables:write' },
  filters: [{ name: 'environmentId', label: 'Environment', options: environmentOptions }],
  columns: [
    { key: 'name', label: 'Name', render: (r) => html`<code>${r.name}</code>` },
    { key: 'environmentId', label: 'Environment', render: (r) => html`<${EnvName} id=${r.environmentId} />` },
    { key: 'description', label: 'Description' },
    { key: 'hasValue', label: 'Value', render: (r) => (r.hasValue ? html`<span class="secret-mask" aria-label="value stored">••••••</span>` : html`<span class="muted">not set</span>`) },
    updated,
  ],
  fields: [
    { name: 'environmentId', label: 'Environment', type: 'select', required: true, options: environmentOptions },
    { name: 'name', label: 'Name', required: true },
    { name: 'value', label: 'Value', writeOnly: true, hasKey: 'hasValue', hint: 'Stored encrypted; never shown again.' },
    { name: 'description', label: 'Description', type: 'textarea' },
  ],
};

const envNames = new Map();
function EnvName({ id }) {
  const { data } = useAsync(async () => {
    if (!envNames.has(id)) envNames.set(id, get(`/environments/${id}`).then((e) => e.name, () => id));
    return envNames.get(id);
  }, [id]);
  return data || html`<span class="muted">…</span>`;
}

// --- Models ------------------------------------------------------------------------------------

export const models = {
  title: 'Models',
  singular: 'model',
  api: '/models',
  sort: 'name',
  search: 'Name, description or model name',
  intro: 'LLM endpoints of this workspace. Credentials are write-only and encrypted at rest.',
  perms: { create: 'entities:create', update: 'entities:update', delete: 'entities:delete' },
  filters: [{ name: 'provider', label: 'Provider', options: PROVIDERS }],
  columns: [
    { key: 'name', label: 'Name', render: (r) => html`<strong>${r.name}</strong>` },
    { key: 'provider', label: 'Provider', render: (r) => html`<${Badge} value=${r.provider} />` },
    { key: 'modelName', label: 'Model', render: (r) => html`<code>${r.modelName}</code>` },
    { key: 'modelUrl', label: 'URL', render: (r) => html`<span class="mono small break">${r.modelUrl}</span>` },
    { key: 'hasToken', label: 'Credentials', render: (r) => [r.hasToken && 'token', r.hasClientKey && 'client key', r.hasSecretKey && 'secret key'].filter(Boolean).join(', ') || html`<span class="muted">none</span>` },
  ],
  fields: [
    { name: 'name', label: 'Name', required: true },
    { name: 'provider', label: 'Provider', type: 'select', required: true, options: PROVIDERS },
    { name: 'modelUrl', label: 'Endpoint URL', type: 'url', required: true, placeholder: 'https://api.openai.com/v1' },
    { name: 'modelName', label: 'Model name', required: true, placeholder: 'gpt-4o-mini' },
    { name: 'token', label: 'API token', writeOnly: true, hasKey: 'hasToken' },
    { name: 'clientKey', label: 'Client key', writeOnly: true, hasKey: 'hasClientKey' },
    { name: 'secretKey', label: 'Secret key', writeOnly: true, hasKey: 'hasSecretKey' },
    { name: 'inputPriceUsdPerMtok', label: 'Input price (USD / M tokens)', type: 'number' },
    { name: 'outputPriceUsdPerMtok', label: 'Output price (USD / M tokens)', type: 'number' },
    { name: 'description', label: 'Description', type: 'textarea' },
  ],
  header: () => html`<${SystemModels} />`,
  actions: [{
    label: 'Test',
    perm: 'entities:read',
    run: (row) => post(`/models/${row.id}/test`),
    doneMessage: (row, r) => (r.ok ? `“${row.name}” answered (HTTP ${r.status}, ${r.latencyMs} ms)` : `“${row.name}” failed: ${r.error || `HTTP ${r.status}`}`),
    doneKind: (row, r) => (r.ok ? 'ok' : 'error'),
  }],
};

/** Platform provider models this workspace's plan may use (GET /system-models/visible). */
function SystemModels() {
  const { data, error } = useAsync(() => get('/system-models/visible'), []);
  if (error || !data || data.length === 0) return null;
  return html`<details class="panel">
    <summary>Platform models available on your plan (${data.length})</summary>
    <${Table} caption="Platform models" columns=${[
      { key: 'modelName', label: 'Model', render: (m) => html`${m.modelName} <code class="small">${m.modelId}</code>` },
      { key: 'providerName', label: 'Provider', render: (m) => html`${m.providerName} <${Badge} value=${m.providerType} />` },
      { key: 'providerStatus', label: 'Health', render: (m) => html`<${Badge} value=${m.providerStatus} />` },
    ]} rows=${data.map((m) => ({ ...m, id: `${m.providerId}/${m.modelId}` }))} />
  </details>`;
}

// --- Workflow entity types, entities, workflows -----------------------------------------------

export const entityTypes = {
  title: 'Entity types',
  singular: 'entity type',
  api: '/workflow-entity-types',
  sort: 'name',
  search: false,
  intro: 'Kinds of workflow entities. Event, Prompt, Action and Result are built in.',
  perms: { create: 'entities:create', update: 'entities:update', delete: 'entities:delete' },
  filters: [{ name: 'builtin', label: 'Built in', options: [{ value: 'true', label: 'Built in' }, { value: 'false', label: 'Custom' }] }],
  columns: [
    { key: 'name', label: 'Name', render: (r) => html`<strong>${r.name}</strong>` },
    { key: 'description', label: 'Description' },
    { key: 'builtin', label: 'Built in', render: (r) => (r.builtin ? 'yes' : 'no') },
    updated,
  ],
  fields: [
    { name: 'name', label: 'Name', required: true },
    { name: 'description', label: 'Description', type: 'textarea' },
  ],
  canEdit: (r) => !r.builtin,
  canDelete: (r) => !r.builtin,
};

const CONDITION_HINT = 'JSON: a group {"type":"group","operator":"AND","conditions":[...]} or a rule {"type":"rule","field":"message.type","comparison":"equals","value":"x"}.';

export const workflowEntities = {
  title: 'Workflow entities',
  singular: 'entity',
  api: '/workflow-entities',
  sort: 'name',
  search: 'Name or description',
  intro: 'Steps of workflows: a condition tree and arguments with {{message.x}} placeholders.',
  perms: { create: 'entities:create', update: 'entities:update', delete: 'entities:delete' },
  filters: [{ name: 'workflowEntityTypeId', label: 'Type', options: entityTypeOptions }],
  columns: [
    { key: 'name', label: 'Name', render: (r) => html`<strong>${r.name}</strong>` },
    { key: 'entityType', label: 'Type', render: (r) => r.entityType?.name },
    { key: 'description', label: 'Description' },
    { key: 'arguments', label: 'Arguments', render: (r) => (r.arguments || []).map((a) => a.argumentName).join(', ') || '—' },
    updated,
  ],
  fields: [
    { name: 'name', label: 'Name', required: true },
    { name: 'workflowEntityTypeId', label: 'Type', type: 'select', required: true, options: entityTypeOptions },
    { name: 'description', label: 'Description', type: 'textarea' },
    { name: 'condition', label: 'Condition', type: 'json', hint: CONDITION_HINT },
    { name: 'arguments', label: 'Arguments', type: 'json', default: '[]', rows: 4, hint: 'JSON: [{"argumentName":"to","argumentValue":"{{message.email}}","argumentDescription":"recipient"}]' },
    { name: 'script', label: 'Script', type: 'textarea' },
    { name: 'tfCondition', label: 'TF condition' },
  ],
  toBody: (b, mode) => (mode === 'create' && b.arguments === undefined ? { ...b, arguments: [] } : b),
  deleteNote: 'An entity used by a workflow cannot be deleted.',
  actions: [{
    label: 'Evaluate',
    perm: 'entities:read',
    form: (row) => ({
      title: `Evaluate “${row.name}”`,
      submitLabel: 'Evaluate',
      fields: [{ name: 'message', label: 'Sample message (JSON)', type: 'json', required: true, default: '{\n  "type": "example"\n}', rows: 8 }],
    }),
    run: (row, body) => post(`/workflow-entities/${row.id}/evaluate`, body),
    doneMessage: (row, r) => `“${row.name}” evaluates to ${r.result}${r.arguments?.length ? `; arguments: ${r.arguments.map((a) => `${a.argumentName}=${a.value}`).join(', ')}` : ''}`,
  }],
};

const entityOptions = async () => (await all('/workflow-entities', { sort: 'name' })).map((e) => ({ value: e.id, label: `${e.name} (${e.entityType?.name || 'entity'})` }));

const workflowFields = [
  { name: 'name', label: 'Name', required: true },
  { name: 'environmentId', label: 'Environment', type: 'select', required: true, options: environmentOptions },
  { name: 'description', label: 'Description', type: 'textarea' },
  {
    name: 'workflowData', label: 'Workflow data', type: 'json', required: true, rows: 10,
    hint: 'JSON: {"root": node}, node {name, entityId, entityType, presentation, children}; every entityId must be a workflow entity of this workspace.',
  },
];

export const workflows = {
  title: 'Workflows',
  singular: 'workflow',
  api: '/workflows',
  sort: 'name',
  search: 'Name or description',
  intro: 'Trees of workflow entities, per environment.',
  perms: { create: 'workflows:write', update: 'workflows:write', delete: 'workflows:write' },
  filters: [{ name: 'environmentId', label: 'Environment', options: environmentOptions }],
  columns: [
    { key: 'name', label: 'Name', render: (r) => html`<strong>${r.name}</strong>` },
    { key: 'environmentId', label: 'Environment', render: (r) => html`<${EnvName} id=${r.environmentId} />` },
    { key: 'nodeCount', label: 'Nodes' },
    { key: 'description', label: 'Description' },
    { key: 'workflowData', label: 'Tree', render: (r) => html`<details><summary>Show<span class="sr-only"> tree of ${r.name}</span></summary><${JsonView} value=${r.workflowData} /></details>` },
    updated,
  ],
  // Creating: pick the root entity (the tree can be edited as JSON afterwards), or give the JSON.
  fields: [
    ...workflowFields.slice(0, 3),
    { name: 'rootEntityId', label: 'Root entity', type: 'select', options: entityOptions, hint: 'The first step; or give the whole tree as JSON below.' },
    { ...workflowFields[3], required: false },
  ],
  editFields: workflowFields,
  toBody: async (b, mode) => {
    if (mode !== 'create') return b;
    const { rootEntityId, ...body } = b;
    if (body.workflowData === undefined && rootEntityId) {
      const e = await get(`/workflow-entities/${rootEntityId}`);
      body.workflowData = { root: { name: e.name, entityId: e.id, entityType: e.entityType?.name, children: [] } };
    }
    return body;
  },
};

// --- Prompts -----------------------------------------------------------------------------------

export const prompts = {
  title: 'Prompts',
  singular: 'prompt',
  api: '/prompts',
  sort: 'title',
  search: 'Title or content',
  nameOf: (r) => r.title,
  perms: { create: 'prompts:write', update: 'prompts:write', delete: 'prompts:write' },
  filters: [
    { name: 'modelId', label: 'Model', options: modelOptions },
    { name: 'outputFormat', label: 'Output format', options: ['text', 'json'] },
  ],
  columns: [
    { key: 'title', label: 'Title', render: (r) => html`<strong>${r.title}</strong>` },
    { key: 'model', label: 'Model', render: (r) => r.model?.name || '—' },
    { key: 'outputFormat', label: 'Output', render: (r) => html`<${Badge} value=${r.outputFormat} />` },
    { key: 'content', label: 'Content', render: (r) => html`<span class="clip">${r.content}</span>` },
    updated,
  ],
  fields: [
    { name: 'title', label: 'Title', required: true },
    { name: 'modelId', label: 'Model', type: 'select', options: modelOptions },
    { name: 'outputFormat', label: 'Output format', type: 'select', options: ['text', 'json'], default: 'text' },
    { name: 'content', label: 'Content', type: 'textarea', required: true, rows: 6 },
    { name: 'outputTemplate', label: 'Output template', type: 'textarea' },
  ],
};

// --- Users and tokens --------------------------------------------------------------------------

export const users = {
  title: 'Users',
  singular: 'user',
  api: '/users',
  sort: 'email',
  search: 'Email or name',
  nameOf: (r) => r.email,
  perms: { create: 'users:write', update: 'users:write', delete: 'users:write' },
  filters: [
    { name: 'role', label: 'Role', options: TENANT_ROLES },
    { name: 'status', label: 'Status', options: ['active', 'invited', 'suspended', 'deactivated'] },
  ],
  columns: [
    { key: 'email', label: 'Email', render: (r) => html`<strong>${r.email}</strong>` },
    { key: 'name', label: 'Name' },
    { key: 'role', label: 'Role', render: (r) => html`<${Badge} value=${r.role} />` },
    { key: 'status', label: 'Status', render: (r) => html`<${Badge} value=${r.status} />` },
    { key: 'lastLoginAt', label: 'Last login', render: (r) => fmtDate(r.lastLoginAt) },
  ],
  fields: [
    { name: 'email', label: 'Email', type: 'email', required: true, createOnly: true },
    { name: 'name', label: 'Name' },
    { name: 'role', label: 'Role', type: 'select', options: TENANT_ROLES, default: 'member' },
    { name: 'password', label: 'Password', type: 'password', writeOnly: true, hint: 'At least 8 characters. Without one the user is “invited” and cannot log in yet.' },
  ],
  editFields: [
    { name: 'name', label: 'Name' },
    { name: 'role', label: 'Role', type: 'select', options: TENANT_ROLES, required: true },
    { name: 'status', label: 'Status', type: 'select', options: ['active', 'suspended', 'deactivated'], required: true },
    { name: 'password', label: 'New password', type: 'password', writeOnly: true },
  ],
};

export const tokens = {
  title: 'API tokens',
  singular: 'token',
  api: '/tokens',
  sort: '-createdAt',
  search: false,
  intro: 'Tokens for automation: send them as “Authorization: Bearer <token>”. A token is shown once, when it is created.',
  perms: { create: 'tokens:write', delete: 'tokens:write' },
  filters: [{ name: 'role', label: 'Role', options: TENANT_ROLES }],
  columns: [
    { key: 'name', label: 'Name', render: (r) => html`<strong>${r.name}</strong>` },
    { key: 'prefix', label: 'Prefix', render: (r) => html`<code>${r.prefix}…</code>` },
    { key: 'role', label: 'Role', render: (r) => html`<${Badge} value=${r.role} />` },
    { key: 'status', label: 'Status', render: (r) => html`<${Badge} value=${r.revokedAt ? 'revoked' : (r.expiresAt && new Date(r.expiresAt) < new Date() ? 'expired' : 'active')} />` },
    { key: 'expiresAt', label: 'Expires', render: (r) => (r.expiresAt ? fmtDate(r.expiresAt) : 'never') },
    { key: 'lastUsedAt', label: 'Last used', render: (r) => fmtDate(r.lastUsedAt) },
    created,
  ],
  fields: [
    { name: 'name', label: 'Name', required: true },
    { name: 'role', label: 'Role', type: 'select', options: TENANT_ROLES, placeholder: 'Your own role' },
    { name: 'expiresAt', label: 'Expires', type: 'datetime-local', hint: 'Leave empty for a token that does not expire.' },
  ],
  editFields: null,
  deleteLabel: 'Revoke',
  canDelete: (r) => !r.revokedAt,
  deleteNote: 'Requests with it stop working at once.',
  created: (t, done) => html`<${SecretOnce} title=${`New token “${t.name}”`} secret=${t.token} onDone=${done} />`,
};

// --- Billing -----------------------------------------------------------------------------------

const transactions = {
  title: 'Transactions',
  subtitle: 'Transactions',
  singular: 'transaction',
  api: '/billing/transactions',
  sort: '-createdAt',
  search: false,
  filters: [{ name: 'kind', label: 'Kind', options: ['topup', 'usage', 'grant', 'adjustment'] }],
  empty: 'No credit transactions yet.',
  columns: [
    { key: 'createdAt', label: 'Time', render: (r) => fmtDate(r.createdAt) },
    { key: 'kind', label: 'Kind', render: (r) => html`<${Badge} value=${r.kind} />` },
    { key: 'amountFormatted', label: 'Amount', className: 'num' },
    { key: 'balanceAfterMinor', label: 'Balance after', className: 'num', render: (r) => fmtMoney(r.balanceAfterMinor, r.currency) },
    { key: 'note', label: 'Note' },
    { key: 'actorLabel', label: 'By' },
  ],
};

export function BillingPage() {
  const session = useSession();
  const bal = useAsync(() => get('/billing/balance'), []);
  const [topup, setTopup] = useState(false);
  const [tick, setTick] = useState(0);
  const currency = bal.data?.currency || 'INR';
  return html`<section class="page">
    <${PageHead} title="Billing" intro="Credits of this workspace, in the plan's currency. Every change is a transaction.">
      ${can(session, 'billing:write') && html`<button type="button" class="btn btn-primary" onClick=${() => setTopup(true)}>Top up credits</button>`}
    <//>
    ${bal.error && html`<${ErrorBox} error=${bal.error} onRetry=${bal.reload} />`}
    ${!bal.data && bal.loading && html`<${Loading} />`}
    ${bal.data && html`<div class="cards">
      <div class="card"><p class="card-label">Balance</p><p class="card-value">${bal.data.balanceFormatted}</p></div>
      <div class="card"><p class="card-label">Low-balance threshold</p><p class="card-value">${fmtMoney(bal.data.lowBalanceThresholdMinor, currency)}</p></div>
    </div>`}
    <${ResourceList} key=${tick} desc=${transactions} />
    ${topup && html`<${FormDialog} title="Top up credits" submitLabel="Top up"
      fields=${[
        { name: 'amount', label: `Amount (${currency})`, type: 'number', required: true, errorKeys: ['amountMinor'], step: '0.01' },
        { name: 'note', label: 'Note' },
      ]}
      onClose=${() => setTopup(false)}
      onSubmit=${async (b) => {
        const body = { note: b.note };
        if (b.amount !== undefined) body.amountMinor = Math.round(b.amount * 100);
        await post('/billing/topup', body, { headers: { 'Idempotency-Key': crypto.randomUUID() } });
        setTopup(false);
        notify('Credits topped up');
        bal.reload();
        setTick((t) => t + 1);
      }} />`}
  </section>`;
}

// --- Overview and roles ------------------------------------------------------------------------

export function TenantOverview() {
  const session = useSession();
  const areas = [
    ['Environments', '/environments', 'environments:read'],
    ['Variables', '/variables', 'variables:read'],
    ['Models', '/models', 'entities:read'],
    ['Prompt templates', '/prompt-templates', 'entities:read'],
    ['Prompts', '/prompts', 'prompts:read'],
    ['Workflows', '/workflows', 'workflows:read'],
    ['Users', '/users', 'users:read'],
    ['API tokens', '/tokens', 'tokens:read'],
  ].filter(([, , p]) => can(session, p));
  const counts = useAsync(() => Promise.all(areas.map(([, path]) => count(path).catch(() => null))), []);
  const t = session.tenant || {};
  return html`<section class="page">
    <${PageHead} title=${t.name || 'Workspace'} intro=${html`Plan <strong>${t.plan || '—'}</strong> · status <${Badge} value=${t.status} /> · you are <${Badge} value=${session.role} />`} />
    ${counts.error && html`<${ErrorBox} error=${counts.error} />`}
    <div class="cards">
      ${areas.map(([label, path], i) => html`<${Link} class="card card-link" href=${path}>
        <span class="card-label">${label}</span>
        <span class="card-value">${counts.data ? (counts.data[i] ?? '—') : '…'}</span>
      <//>`)}
    </div>
  </section>`;
}

export function RolesPage() {
  const { data, error, loading, reload } = useAsync(() => get('/roles'), []);
  const perms = data ? [...new Set(data.flatMap((r) => r.permissions))] : [];
  return html`<section class="page">
    <${PageHead} title="Roles" intro="What each role may do. The server checks every request against this matrix." />
    ${error && html`<${ErrorBox} error=${error} onRetry=${reload} />`}
    ${loading && !data && html`<${Loading} />`}
    ${data && html`<${Table} caption="Roles and permissions"
      columns=${[{ key: 'perm', label: 'Permission', render: (r) => html`<code>${r.perm}</code>` },
        ...data.map((role) => ({ key: role.name, label: humanize(role.name), className: 'center', render: (r) => (role.permissions.includes(r.perm) ? html`<span aria-label="yes">✓</span>` : html`<span class="muted" aria-label="no">–</span>`) }))]}
      rows=${perms.map((p) => ({ id: p, perm: p }))} />
      <ul class="plain">${data.map((r) => html`<li><strong>${humanize(r.name)}</strong>: ${r.description}</li>`)}</ul>`}
  </section>`;
}

export const EnvironmentsPage = () => html`<${ResourcePage} desc=${environments} />`;
export const VariablesPage = () => html`<${ResourcePage} desc=${variables} />`;
export const ModelsPage = () => html`<${ResourcePage} desc=${models} />`;
export const EntityTypesPage = () => html`<${ResourcePage} desc=${entityTypes} />`;
export const WorkflowEntitiesPage = () => html`<${ResourcePage} desc=${workflowEntities} />`;
export const WorkflowsPage = () => html`<${ResourcePage} desc=${workflows} />`;
export const PromptsPage = () => html`<${ResourcePage} desc=${prompts} />`;
export const UsersPage = () => html`<${ResourcePage} desc=${users} />`;
export const TokensPage = () => html`<${ResourcePage} desc=${tokens} />`;
