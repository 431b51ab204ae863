// Audit log lists (tenant, whole platform, one tenant for operators) and platform content reads.
import { html, useState } from '../lib.js';
import { ResourcePage, ResourceList } from '../resource.js';
import { JsonView, Dialog, DefList } from '../components.js';
import { fmtDate, humanize } from '../format.js';

const ACTOR_TYPES = ['human', 'agent', 'token', 'system'];

function Changes({ row }) {
  const [open, setOpen] = useState(false);
  return html`<button type="button" class="btn btn-small" onClick=${() => setOpen(true)} aria-label=${`Details of ${row.action} at ${fmtDate(row.createdAt)}`}>Details</button>
    ${open && html`<${Dialog} title=${row.action} wide=${true} onClose=${() => setOpen(false)}>
      <${DefList} items=${[
        ['Time', fmtDate(row.createdAt)],
        ['Actor', `${row.actorLabel} (${row.actorType})`],
        ['Target', html`${humanize(row.targetType)} <code>${row.targetId || '—'}</code>`],
        ['Reason', row.reason],
        ['Request', row.requestId && html`<code>${row.requestId}</code>`],
        ['Sequence', row.seq],
        ['Hash', html`<code class="break">${row.hash}</code>`],
      ]} />
      <div class="changes-grid">
        <div><h3>Before</h3><${JsonView} value=${row.before} /></div>
        <div><h3>After</h3><${JsonView} value=${row.after} /></div>
      </div>
    <//>`}`;
}

export function auditDesc(api, title = 'Audit log') {
  return {
    title,
    singular: 'record',
    api,
    sort: '-createdAt',
    search: false,
    intro: 'Every change, newest first. Records are append-only and hash-chained.',
    empty: 'No audit records yet.',
    filters: [
      { name: 'action', label: 'Action', type: 'text', placeholder: 'e.g. environment.created' },
      { name: 'actorType', label: 'Actor type', options: ACTOR_TYPES },
      { name: 'targetType', label: 'Target type', type: 'text', placeholder: 'e.g. environment' },
    ],
    columns: [
      { key: 'createdAt', label: 'Time', render: (r) => html`<time class="nowrap" datetime=${r.createdAt}>${fmtDate(r.createdAt)}</time>` },
      { key: 'actorLabel', label: 'Actor', render: (r) => html`${r.actorLabel} <span class="muted small">(${r.actorType})</span>` },
      { key: 'action', label: 'Action', render: (r) => html`<code class="nowrap">${r.action}</code>` },
      { key: 'targetType', label: 'Target', render: (r) => html`${humanize(r.targetType)} ${r.targetId && html`<span class="muted small mono">${r.targetId.slice(0, 8)}…</span>`}` },
      { key: 'reason', label: 'Reason' },
      { key: 'changes', label: 'Changes', render: (r) => html`<${Changes} row=${r} />` },
    ],
  };
}

const tenantAudit = auditDesc('/audit-log');
const platformAudit = auditDesc('/platform/audit-log', 'Platform audit log');

export const TenantAuditPage = () => html`<${ResourcePage} desc=${tenantAudit} />`;
export const PlatformAuditPage = () => html`<${ResourcePage} desc=${platformAudit} />`;

/** One tenant's audit log inside the operator's tenant detail page. */
export function TenantAuditSection({ tenantId }) {
  const desc = { ...auditDesc(`/platform/tenants/${tenantId}/audit-log`), subtitle: 'Audit log' };
  return html`<${ResourceList} desc=${desc} />`;
}

const contentReads = {
  title: 'Operator access',
  singular: 'read',
  api: '/me/content-reads',
  sort: '-createdAt',
  search: false,
  intro: 'Every read of this workspace’s content by a platform operator: who, when, what, and the reason given.',
  empty: 'No platform operator has read this workspace’s content.',
  filters: [{ name: 'resourceType', label: 'Resource type', type: 'text' }],
  columns: [
    { key: 'createdAt', label: 'Time', render: (r) => fmtDate(r.createdAt) },
    { key: 'actorLabel', label: 'Operator' },
    { key: 'method', label: 'Request', render: (r) => html`<code>${r.method} ${r.path}</code>` },
    { key: 'resourceType', label: 'Resource', render: (r) => humanize(r.resourceType) },
    { key: 'reason', label: 'Reason' },
  ],
};
export const ContentReadsPage = () => html`<${ResourcePage} desc=${contentReads} />`;
