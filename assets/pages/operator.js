// Platform operator pages: dashboard, tenants (list, create, detail with lifecycle actions and
// impersonation), users across tenants, plans, LLM providers, invoices, billing events.
import { html, useState } from '../lib.js';
import { get, post, patch, all, count, request, list } from '../api.js';
import { ResourcePage, ResourceList } from '../resource.js';
import { Link } from '../router.js';
import { useSession, can } from '../session.js';
import {
  useAsync, Loading, ErrorBox, Badge, DefList, PageHead, FormDialog, JsonView, Table, confirmDialog, notify,
} from '../components.js';
import { fmtDate, fmtMoney, humanize } from '../format.js';
import { TenantAuditSection } from './audit.js';
import { PROVIDERS } from './tenant.js';

const TENANT_STATUSES = ['onboarding', 'trial', 'active', 'suspended', 'cancelled'];
const planIdOptions = async () => (await all('/platform/plans', { sort: 'priceMinor' })).map((p) => ({ value: p.id, label: `${p.name} (${p.code})` }));
const planCodeOptions = async () => (await all('/platform/plans', { sort: 'priceMinor' })).map((p) => ({ value: p.code, label: p.name }));

// Tenant names for rows that only carry a tenantId (looked up once per id).
const tenantNames = new Map();
function TenantLink({ id }) {
  const { data } = useAsync(async () => {
    if (!tenantNames.has(id)) tenantNames.set(id, get(`/platform/tenants/${id}`).then((t) => t.name, () => null));
    return tenantNames.get(id);
  }, [id]);
  return html`<${Link} href=${`/tenants/${id}`}>${data || `${id.slice(0, 8)}…`}<//>`;
}

// --- Dashboard ---------------------------------------------------------------------------------

async function probe(path) {
  try {
    const r = await request('GET', path, { quiet401: true });
    return { ok: true, body: r.data };
  } catch (e) {
    return { ok: false, body: e.details || e.message, status: e.status };
  }
}

export function Dashboard() {
  const d = useAsync(async () => {
    const settled = await Promise.allSettled([
      probe('/healthz'),
      probe('/readyz'),
      count('/platform/tenants'),
      ...['active', 'onboarding', 'trial', 'suspended'].map((s) => count('/platform/tenants', { status: s })),
      count('/platform/users'),
      count('/platform/users', { status: 'suspended' }),
      list('/platform/invoices', { limit: 1, status: 'pending' }),
      all('/platform/llm-providers'),
      list('/platform/audit-log', { limit: 8, sort: '-createdAt' }),
    ]);
    const v = settled.map((s) => (s.status === 'fulfilled' ? s.value : null));
    return {
      health: v[0], ready: v[1], tenants: v[2], active: v[3], onboarding: v[4], trial: v[5], suspended: v[6],
      users: v[7], suspendedUsers: v[8], pendingInvoices: v[9], providers: v[10], audit: v[11],
    };
  }, []);
  const x = d.data;
  const card = (label, value, href) => (href
    ? html`<${Link} class="card card-link" href=${href}><span class="card-label">${label}</span><span class="card-value">${value ?? '—'}</span><//>`
    : html`<div class="card"><p class="card-label">${label}</p><p class="card-value">${value ?? '—'}</p></div>`);
  return html`<section class="page">
    <${PageHead} title="Dashboard" intro="The appliance at a glance.">
      <button type="button" class="btn" onClick=${d.reload}>Refresh</button>
    <//>
    ${d.error && html`<${ErrorBox} error=${d.error} onRetry=${d.reload} />`}
    ${!x && d.loading && html`<${Loading} />`}
    ${x && html`
      <h2>Health</h2>
      <div class="cards">
        <div class="card"><p class="card-label">Process (<code>/healthz</code>)</p>
          <p class="card-value"><${Badge} value=${x.health?.ok ? 'ok' : 'down'} /></p>
          <p class="small muted">${x.health?.body?.version && `version ${x.health.body.version}`}</p></div>
        <div class="card"><p class="card-label">Database (<code>/readyz</code>)</p>
          <p class="card-value"><${Badge} value=${x.ready?.ok ? 'ready' : 'not ready'} /></p>
          <p class="small muted">${x.ready?.body?.schemaVersion && `schema ${x.ready.body.schemaVersion}`}</p></div>
        <div class="card"><p class="card-label">LLM providers</p>
          <p class="card-value">${x.providers ? x.providers.length : '—'}</p>
          <p class="small muted">${x.providers && Object.entries(x.providers.reduce((m, p) => ({ ...m, [p.status]: (m[p.status] || 0) + 1 }), {})).map(([s, n]) => `${n} ${s}`).join(', ')}</p></div>
      </div>
      <h2>Tenants and users</h2>
      <div class="cards">
        ${card('Tenants', x.tenants, '/tenants')}
        ${card('Active', x.active, '/tenants?status=active')}
        ${card('Onboarding', x.onboarding, '/tenants?status=onboarding')}
        ${card('Trial', x.trial, '/tenants?status=trial')}
        ${card('Suspended', x.suspended, '/tenants?status=suspended')}
        ${card('Users', x.users, '/users')}
        ${card('Suspended users', x.suspendedUsers, '/users?status=suspended')}
        ${card('Pending invoices', x.pendingInvoices?.total, '/invoices?status=pending')}
      </div>
      ${x.pendingInvoices?.body?.totals && html`<p class="muted small">Invoices: ${x.pendingInvoices.body.totals.countPaid} paid, ${x.pendingInvoices.body.totals.countFailed} failed.</p>`}
      <h2>Recent changes</h2>
      ${x.audit?.items?.length ? html`<${Table} caption="Recent changes" columns=${[
        { key: 'createdAt', label: 'Time', render: (r) => fmtDate(r.createdAt) },
        { key: 'actorLabel', label: 'Actor' },
        { key: 'action', label: 'Action', render: (r) => html`<code>${r.action}</code>` },
        { key: 'targetType', label: 'Target', render: (r) => humanize(r.targetType) },
      ]} rows=${x.audit.items} />
      <p><${Link} href="/audit-log">Whole audit log<//></p>` : html`<p class="muted">No changes yet.</p>`}
    `}
  </section>`;
}

// --- Tenants -----------------------------------------------------------------------------------

const tenantFields = [
  { name: 'displayName', label: 'Tenant name', required: true },
  { name: 'planId', label: 'Plan', type: 'select', required: true, options: planIdOptions, errorKeys: ['customPlanName', 'customRegionId', 'plan'] },
  { name: 'domain', label: 'Domain', hint: 'Optional; derived from the name when empty.' },
  { name: 'firstName', label: 'Admin first name', required: true },
  { name: 'lastName', label: 'Admin last name', required: true },
  { name: 'email', label: 'Admin email', type: 'email', required: true, autocomplete: 'off' },
  { name: 'password', label: 'Admin password', type: 'password', required: true, hint: 'At least 8 characters.' },
  { name: 'legalName', label: 'Legal name' },
  { name: 'billingName', label: 'Billing name' },
  { name: 'billingAddress', label: 'Billing address' },
  { name: 'billingCity', label: 'City' },
  { name: 'billingState', label: 'State' },
  { name: 'billingPostal', label: 'Postal code' },
  { name: 'billingCountry', label: 'Billing country' },
  { name: 'gstin', label: 'GSTIN' },
  { name: 'phone', label: 'Phone', type: 'tel' },
];

const tenants = {
  title: 'Tenants',
  singular: 'tenant',
  api: '/platform/tenants',
  sort: '-createdAt',
  search: 'Name or domain',
  intro: 'Every workspace on this appliance.',
  perms: { create: 'platform:tenants' },
  filters: [
    { name: 'status', label: 'Status', options: TENANT_STATUSES },
    { name: 'plan', label: 'Plan', options: planCodeOptions },
  ],
  columns: [
    { key: 'name', label: 'Name', render: (r) => html`<${Link} href=${`/tenants/${r.id}`}><strong>${r.name}</strong><//>` },
    { key: 'domain', label: 'Domain' },
    { key: 'plan', label: 'Plan' },
    { key: 'status', label: 'Status', render: (r) => html`<${Badge} value=${r.status} />` },
    { key: 'paymentStatus', label: 'Payment', render: (r) => html`<${Badge} value=${r.paymentStatus} />` },
    { key: 'userCount', label: 'Users', className: 'num' },
    { key: 'createdAt', label: 'Created', render: (r) => fmtDate(r.createdAt) },
  ],
  fields: tenantFields,
  nameOf: (r) => r.name || r.tenantName,
};

export const TenantsPage = () => html`<${ResourcePage} desc=${tenants} />`;

const invoiceColumns = [
  { key: 'number', label: 'Number', render: (r) => html`<code>${r.number}</code>` },
  { key: 'tenantName', label: 'Tenant', render: (r) => html`<${Link} href=${`/tenants/${r.tenantId}`}>${r.tenantName}<//>` },
  { key: 'plan', label: 'Plan' },
  { key: 'type', label: 'Type', render: (r) => humanize(r.type) },
  { key: 'status', label: 'Status', render: (r) => html`<${Badge} value=${r.status} />` },
  { key: 'amountFormatted', label: 'Amount', className: 'num' },
  { key: 'dueAt', label: 'Due', render: (r) => fmtDate(r.dueAt) },
  { key: 'paidAt', label: 'Paid', render: (r) => fmtDate(r.paidAt) },
];

const invoices = {
  title: 'Invoices',
  singular: 'invoice',
  api: '/platform/invoices',
  sort: '-createdAt',
  search: 'Number or tenant name',
  nameOf: (r) => r.number,
  filters: [
    { name: 'status', label: 'Status', options: ['pending', 'paid', 'failed'] },
    { name: 'type', label: 'Type', options: ['subscription', 'usage', 'one_time'] },
    { name: 'plan', label: 'Plan', options: planCodeOptions },
  ],
  columns: invoiceColumns,
  header: (data) => data?.body?.totals && html`<p class="totals">Matching invoices: total
    <strong>${fmtMoney(data.body.totals.totalAmountMinor, data.items[0]?.currency || 'INR')}</strong> ·
    ${data.body.totals.countPaid} paid · ${data.body.totals.countPending} pending · ${data.body.totals.countFailed} failed</p>`,
};

export const InvoicesPage = () => html`<${ResourcePage} desc=${invoices} />`;

export function TenantDetail({ params }) {
  const session = useSession();
  const id = params.id;
  const t = useAsync(() => get(`/platform/tenants/${id}`), [id]);
  const [dialog, setDialog] = useState(null);
  const [tick, setTick] = useState(0);
  const x = t.data;
  const refresh = () => { t.reload(); setTick((n) => n + 1); };
  const close = () => setDialog(null);
  const writable = can(session, 'platform:tenants');

  const formAction = (title, fields, submitLabel, run, done, extra = {}) => setDialog(html`<${FormDialog} title=${title} fields=${fields} submitLabel=${submitLabel} onClose=${close} ...${extra}
    onSubmit=${async (b) => { const r = await run(b); close(); notify(done(r)); refresh(); }} />`);

  const activate = async () => {
    if (!await confirmDialog({ title: 'Activate tenant?', message: `Activate “${x.name}”? Billing starts now: the plan's credits are granted and the next billing date is set.`, confirmLabel: 'Activate' })) return;
    try { const r = await patch(`/platform/tenants/${id}/activate`, { isActive: true }); notify(r.message || 'Tenant activated'); refresh(); } catch (e) { notify(e.message, 'error'); }
  };
  const suspend = () => formAction(`Suspend “${x.name}”`, [{ name: 'reason', label: 'Reason', type: 'textarea', required: true, hint: 'Recorded in the audit log. The tenant’s users can no longer log in and its tokens stop working.' }],
    'Suspend tenant', (b) => post(`/platform/tenants/${id}/suspend`, b), (r) => `Tenant suspended (${r.agentsPaused} agents paused)`);
  const reinstate = () => formAction(`Reinstate “${x.name}”`, [{ name: 'note', label: 'Note', type: 'textarea' }],
    'Reinstate tenant', (b) => post(`/platform/tenants/${id}/reinstate`, b), (r) => `Tenant reinstated (status ${r.status})`);
  const edit = () => formAction(`Edit “${x.name}”`, [
    { name: 'name', label: 'Name', required: true },
    { name: 'domain', label: 'Domain' },
    { name: 'plan', label: 'Plan', type: 'select', options: planCodeOptions },
    { name: 'spendCapUsd', label: 'Monthly spend cap (USD)', type: 'number', hint: 'Empty: no cap.' },
  ], 'Save changes', (b) => (Object.keys(b).length ? patch(`/platform/tenants/${id}`, b) : null), () => 'Tenant saved', { mode: 'edit', initial: x });
  const override = () => formAction(`Billing override for “${x.name}”`, [
    { name: 'action', label: 'Action', type: 'select', required: true, options: [
      { value: 'extend_trial', label: 'Extend trial (days)' },
      { value: 'apply_discount', label: 'Apply discount (percent)' },
      { value: 'mark_paid', label: 'Mark invoice paid (invoice id)' },
      { value: 'change_plan', label: 'Change plan (plan id or code)' },
    ] },
    { name: 'value', label: 'Value', required: true },
    { name: 'reason', label: 'Reason', type: 'textarea', required: true },
  ], 'Apply override', (b) => {
    const body = { ...b };
    if (['extend_trial', 'apply_discount'].includes(b.action) && b.value !== undefined && /^-?\d+$/.test(b.value)) body.value = Number(b.value);
    return post(`/platform/tenants/${id}/billing/override`, body);
  }, (r) => `Override ${humanize(r.action)} applied`);
  const impersonate = async () => {
    if (!await confirmDialog({ title: 'Impersonate tenant?', message: `View “${x.name}” as its admin, read-only, for 30 minutes? Every request is audited and shown to the tenant's admins.`, confirmLabel: 'Impersonate' })) return;
    try {
      const r = await post(`/platform/tenants/${id}/impersonate`);
      session.actions.impersonate(r.impersonationToken, { tenantId: id, expiresAt: r.expiresAt });
    } catch (e) { notify(e.message, 'error'); }
  };

  const userAction = (u, verb) => formAction(`${humanize(verb)} ${u.email}`, [{ name: 'reason', label: 'Reason', type: 'textarea', required: verb === 'suspend' }],
    `${humanize(verb)} user`, (b) => post(`/platform/users/${u.id}/${verb}`, b), () => `User ${u.email}: ${verb === 'suspend' ? 'suspended' : 'reinstated'}`);

  const tenantInvoices = { ...invoices, subtitle: 'Invoices', search: false, filters: invoices.filters.slice(0, 2), columns: invoiceColumns.filter((c) => c.key !== 'tenantName'), header: null };

  return html`<section class="page">
    <p class="crumbs"><${Link} href="/tenants">Tenants<//> /</p>
    ${t.error && html`<${ErrorBox} error=${t.error} onRetry=${t.reload} />`}
    ${!x && t.loading && html`<${Loading} />`}
    ${x && html`
      <${PageHead} title=${x.name} intro=${html`<${Badge} value=${x.status} /> · plan <strong>${x.plan}</strong> · ${x.userCount} users`}>
        ${writable && x.status === 'onboarding' && html`<button type="button" class="btn btn-primary" onClick=${activate}>Activate</button>`}
        ${writable && x.status === 'suspended' && html`<button type="button" class="btn btn-primary" onClick=${reinstate}>Reinstate</button>`}
        ${writable && !['suspended', 'cancelled'].includes(x.status) && html`<button type="button" class="btn btn-danger-outline" onClick=${suspend}>Suspend</button>`}
        ${writable && html`<button type="button" class="btn" onClick=${edit}>Edit</button>`}
        ${writable && html`<button type="button" class="btn" onClick=${override}>Billing override</button>`}
        ${writable && html`<button type="button" class="btn" onClick=${impersonate}>Impersonate</button>`}
      <//>
      <div class="two-col">
        <div class="panel"><h2>Tenant</h2><${DefList} items=${[
          ['Id', html`<code>${x.id}</code>`], ['Domain', x.domain], ['Status', html`<${Badge} value=${x.status} />`],
          ['Deployment', x.deploymentMode], ['Spend cap', x.spendCapUsd != null ? `${x.spendCapUsd} USD / month` : 'none'],
          ['Trial ends', x.trialEndsAt && fmtDate(x.trialEndsAt)], ['Created', fmtDate(x.createdAt)], ['Updated', fmtDate(x.updatedAt)],
        ]} /></div>
        <div class="panel"><h2>Billing</h2><${DefList} items=${[
          ['Plan', x.plan], ['Payment status', html`<${Badge} value=${x.paymentStatus} />`],
          ['Subscription', x.subscription && html`<${Badge} value=${x.subscription.status} />`],
          ['Next billing date', x.billing?.nextBillingDate && fmtDate(x.billing.nextBillingDate)],
          ['Last payment', x.billing?.lastPaymentMinor != null ? `${fmtMoney(x.billing.lastPaymentMinor, x.billing.balance?.currency)} on ${fmtDate(x.billing.lastPaymentDate)}` : null],
          ['Discount', x.billing?.discountPercent ? `${x.billing.discountPercent} %` : null],
          ['Credit balance', x.billing?.balance?.balanceFormatted],
        ]} /></div>
        <div class="panel"><h2>Usage</h2><${DefList} items=${[
          ['This month', fmtMoney(x.usage?.monthlyUsageMinor, x.billing?.balance?.currency)],
          ['Environments', x.usage?.environmentCount], ['Models', x.usage?.modelCount], ['API tokens', x.usage?.apiTokenCount],
        ]} /></div>
        <div class="panel"><h2>Billing profile</h2><${DefList} items=${[
          ['Legal name', x.billingProfile?.legalName], ['Billing name', x.billingProfile?.billingName], ['GSTIN', x.billingProfile?.gstin],
          ['Address', [x.billingProfile?.billingAddress, x.billingProfile?.billingCity, x.billingProfile?.billingState, x.billingProfile?.billingPostal, x.billingProfile?.billingCountry].filter(Boolean).join(', ')],
          ['Phone', x.billingProfile?.phone],
        ]} /></div>
      </div>
      <h2>Users</h2>
      <${Table} caption="Users of this tenant" columns=${[
        { key: 'email', label: 'Email' }, { key: 'name', label: 'Name' },
        { key: 'role', label: 'Role', render: (u) => html`<${Badge} value=${u.role} />` },
        { key: 'status', label: 'Status', render: (u) => html`<${Badge} value=${u.status} />` },
        { key: 'lastLoginAt', label: 'Last login', render: (u) => fmtDate(u.lastLoginAt) },
      ]} rows=${x.users || []} rowActions=${writable ? (u) => (u.status === 'suspended'
        ? html`<button type="button" class="btn btn-small" aria-label=${`Reinstate ${u.email}`} onClick=${() => userAction(u, 'reinstate')}>Reinstate</button>`
        : html`<button type="button" class="btn btn-small btn-danger-outline" aria-label=${`Suspend ${u.email}`} onClick=${() => userAction(u, 'suspend')}>Suspend</button>`) : null} />
      <${ResourceList} key=${`inv${tick}`} desc=${tenantInvoices} baseQuery=${{ tenantId: id }} />
      <${TenantAuditSection} key=${`audit${tick}`} tenantId=${id} />
    `}
    ${dialog}
  </section>`;
}

// --- Users across tenants ----------------------------------------------------------------------

const platformUsers = {
  title: 'Users',
  singular: 'user',
  api: '/platform/users',
  sort: '-createdAt',
  search: 'Email or name',
  intro: 'Users of every tenant, and the platform operators.',
  nameOf: (r) => r.email,
  filters: [
    { name: 'role', label: 'Role', options: ['super_admin', 'admin', 'member', 'guest'] },
    { name: 'status', label: 'Status', options: ['active', 'invited', 'suspended', 'deactivated'] },
  ],
  columns: [
    { key: 'email', label: 'Email', render: (r) => html`<strong>${r.email}</strong>` },
    { key: 'name', label: 'Name' },
    { key: 'tenantId', label: 'Tenant', render: (r) => (r.tenantId ? html`<${TenantLink} id=${r.tenantId} />` : html`<span class="muted">platform</span>`) },
    { key: 'role', label: 'Role', render: (r) => html`<${Badge} value=${r.role} />` },
    { key: 'status', label: 'Status', render: (r) => html`<${Badge} value=${r.status} />` },
    { key: 'lastLoginAt', label: 'Last login', render: (r) => fmtDate(r.lastLoginAt) },
  ],
  actions: [
    {
      label: 'Suspend', danger: true, perm: 'platform:users', show: (r) => r.status !== 'suspended',
      form: (r) => ({ title: `Suspend ${r.email}`, submitLabel: 'Suspend user', fields: [{ name: 'reason', label: 'Reason', type: 'textarea', required: true, hint: 'Their sessions end at once.' }] }),
      run: (r, b) => post(`/platform/users/${r.id}/suspend`, b),
      doneMessage: (r) => `${r.email} suspended`,
    },
    {
      label: 'Reinstate', perm: 'platform:users', show: (r) => r.status === 'suspended',
      form: (r) => ({ title: `Reinstate ${r.email}`, submitLabel: 'Reinstate user', fields: [{ name: 'reason', label: 'Reason', type: 'textarea' }] }),
      run: (r, b) => post(`/platform/users/${r.id}/reinstate`, b),
      doneMessage: (r) => `${r.email} reinstated`,
    },
  ],
};
export const PlatformUsersPage = () => html`<${ResourcePage} desc=${platformUsers} />`;

// --- Plans -------------------------------------------------------------------------------------

const plans = {
  title: 'Plans',
  singular: 'plan',
  api: '/platform/plans',
  sort: 'priceMinor',
  search: false,
  intro: 'Prices are in minor units of the currency (paise, cents).',
  perms: { create: 'platform:plans', update: 'platform:plans' },
  filters: [
    { name: 'cycle', label: 'Cycle', options: ['monthly', 'quarterly', 'yearly'] },
    { name: 'isCustom', label: 'Kind', options: [{ value: 'false', label: 'Standard' }, { value: 'true', label: 'Custom' }] },
  ],
  columns: [
    { key: 'name', label: 'Name', render: (r) => html`<strong>${r.name}</strong> <code class="small">${r.code}</code>` },
    { key: 'priceMinor', label: 'Price', className: 'num', render: (r) => fmtMoney(r.priceMinor, r.currency) },
    { key: 'cycle', label: 'Cycle', render: (r) => humanize(r.cycle) },
    { key: 'includedCreditsMinor', label: 'Included credits', className: 'num', render: (r) => fmtMoney(r.includedCreditsMinor, r.currency) },
    { key: 'rateLimitPerMinute', label: 'Rate limit / min', className: 'num' },
    { key: 'features', label: 'Features' },
  ],
  fields: [
    { name: 'code', label: 'Code', required: true, createOnly: true, hint: 'Short identifier, e.g. “pro-2026”.' },
    { name: 'name', label: 'Name', required: true },
    { name: 'priceMinor', label: 'Price (minor units)', type: 'number', required: true, step: 1 },
    { name: 'currency', label: 'Currency', placeholder: 'INR' },
    { name: 'cycle', label: 'Cycle', type: 'select', options: ['monthly', 'quarterly', 'yearly'] },
    { name: 'includedCreditsMinor', label: 'Included credits (minor units)', type: 'number', step: 1 },
    { name: 'rateLimitPerMinute', label: 'Rate limit per minute', type: 'number', step: 1 },
    { name: 'description', label: 'Description', type: 'textarea' },
    { name: 'features', label: 'Features', type: 'lines', hint: 'One per line.' },
  ],
  toBody: (b, mode) => (mode === 'create' && !b.features ? { ...b, features: [] } : b),
};
export const PlansPage = () => html`<${ResourcePage} desc=${plans} />`;

// --- LLM providers -----------------------------------------------------------------------------

const providers = {
  title: 'LLM providers',
  singular: 'provider',
  api: '/platform/llm-providers',
  sort: 'name',
  search: 'Name or base URL',
  intro: 'Platform providers whose models tenants may use by plan. Health is checked on a schedule.',
  perms: { create: 'platform:llm', update: 'platform:llm', delete: 'platform:llm' },
  filters: [
    { name: 'type', label: 'Type', options: PROVIDERS },
    { name: 'status', label: 'Health', options: ['healthy', 'degraded', 'unreachable', 'unknown', 'disabled'] },
  ],
  columns: [
    { key: 'name', label: 'Name', render: (r) => html`<strong>${r.name}</strong>` },
    { key: 'type', label: 'Type', render: (r) => html`<${Badge} value=${r.type} />` },
    { key: 'status', label: 'Health', render: (r) => html`<${Badge} value=${r.status} />${r.lastError && html`<span class="small muted block">${r.lastError}</span>`}` },
    { key: 'baseUrl', label: 'Base URL', render: (r) => html`<span class="mono small break">${r.baseUrl}</span>` },
    { key: 'models', label: 'Models', render: (r) => (r.models || []).map((m) => m.name || m.id).join(', ') || '—' },
    { key: 'lastCheckedAt', label: 'Checked', render: (r) => html`${fmtDate(r.lastCheckedAt)}${r.lastLatencyMs != null && html` <span class="muted small">(${r.lastLatencyMs} ms)</span>`}` },
    { key: 'hasApiKey', label: 'API key', render: (r) => (r.hasApiKey ? 'stored' : 'none') },
  ],
  fields: [
    { name: 'name', label: 'Name', required: true },
    { name: 'type', label: 'Type', type: 'select', required: true, options: PROVIDERS },
    { name: 'baseUrl', label: 'Base URL', type: 'url', hint: 'Defaults to the provider’s public API (required for custom).' },
    { name: 'apiKey', label: 'API key', writeOnly: true, hasKey: 'hasApiKey' },
    { name: 'status', label: 'Status', type: 'select', options: ['active', 'disabled'] },
    { name: 'models', label: 'Models', type: 'json', required: true, default: '[]', rows: 6, hint: 'JSON: [{"id": "gpt-4o-mini", "name": "GPT-4o mini", "availableOnPlans": ["pro"]}]' },
  ],
  toInitial: (r) => ({ ...r, status: r.enabled ? 'active' : 'disabled' }),
  toBody: (b, mode) => (mode === 'create' && b.models === undefined ? { ...b, models: [] } : b),
  actions: [{
    label: 'Check now',
    perm: 'platform:llm',
    run: (r) => post(`/platform/llm-providers/${r.id}/check`),
    doneMessage: (r, res) => `${r.name}: ${res.status}${res.lastError ? ` (${res.lastError})` : ''}`,
    doneKind: (r, res) => (res.status === 'healthy' ? 'ok' : 'error'),
  }],
};
export const ProvidersPage = () => html`<${ResourcePage} desc=${providers} />`;

// --- Billing events ----------------------------------------------------------------------------

const billingEvents = {
  title: 'Billing events',
  singular: 'event',
  api: '/platform/billing/events',
  sort: '-createdAt',
  search: false,
  intro: 'Events received from the payment provider’s webhook, each stored once, with what was done.',
  empty: 'No payment-provider events received yet.',
  filters: [
    { name: 'eventType', label: 'Event type', type: 'text', placeholder: 'payment.captured' },
    { name: 'outcome', label: 'Outcome', type: 'text', placeholder: 'applied' },
  ],
  columns: [
    { key: 'createdAt', label: 'Received', render: (r) => fmtDate(r.createdAt) },
    { key: 'eventType', label: 'Type', render: (r) => html`<code>${r.eventType}</code>` },
    { key: 'outcome', label: 'Outcome', render: (r) => html`<${Badge} value=${r.outcome} />` },
    { key: 'tenantId', label: 'Tenant', render: (r) => (r.tenantId ? html`<${TenantLink} id=${r.tenantId} />` : '—') },
    { key: 'detail', label: 'Detail' },
    { key: 'payload', label: 'Payload', render: (r) => html`<details><summary>Show<span class="sr-only"> payload of ${r.eventId}</span></summary><${JsonView} value=${r.payload} /></details>` },
  ],
};
export const BillingEventsPage = () => html`<${ResourcePage} desc=${billingEvents} />`;
