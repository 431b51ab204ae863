// The generic resource page: a list with search, filters and pagination, and create / edit /
// delete / custom actions in dialogs — all driven by a small description object, so a resource
// page is mostly its columns and form fields. See pages/tenant.js for many examples.
//
// desc = {
//   title, singular, api,                 // "Environments", "environment", "/environments"
//   intro?, empty?,                       // texts
//   search?: placeholder | false, filters?: [{name, label, options}], sort?, limit?
//   columns: [{key, label, render?(row)}],
//   fields?: [...Form fields] (create), editFields?: [...] (defaults to fields minus createOnly)
//   perms: {read?, create?, update?, delete?}  // permission names from GET /me
//   toBody?(body, mode, item) → body sent to the API
//   created?(result) → element shown above the list after a create (e.g. a token shown once)
//   actions?: [{label, perm?, show?(row), danger?, confirm?(row) → {title, message, confirmLabel},
//               form?(row) → {title, fields, submitLabel, initial}, run(row, body) → result,
//               done?(result, row, helpers)}]
//   nameOf?(row), canDelete?(row), canEdit?(row), deleteNote?
// }
import { html, useState, useEffect } from './lib.js';
import { list, post, patch, del } from './api.js';
import { useLocation, navigate, withQuery } from './router.js';
import { useSession, can } from './session.js';
import {
  useAsync, Loading, Empty, ErrorBox, Table, Pagination, Filters, FormDialog, PageHead,
  confirmDialog, notify,
} from './components.js';
import { humanize } from './format.js';

/** List state (limit, offset, search, filters) in the URL query (bound) or in component state. */
export function useListParams(bound, desc) {
  const loc = useLocation();
  const [local, setLocal] = useState({});
  const src = bound ? loc.query : local;
  const names = (desc.filters || []).map((f) => f.name);
  const params = {
    limit: Math.min(200, Number(src.limit) || desc.limit || 25),
    offset: Math.max(0, Number(src.offset) || 0),
    search: src.search || '',
  };
  for (const n of names) params[n] = src[n] || '';
  const update = (change) => {
    const next = { ...params, ...change };
    if (next.offset === 0) delete next.offset;
    if (next.limit === (desc.limit || 25)) delete next.limit;
    if (bound) navigate(withQuery(loc.path, next), { replace: true });
    else setLocal(next);
  };
  return [params, update];
}

export function ResourcePage({ desc }) {
  return html`<section class="page">
    <${ResourceList} desc=${desc} bound=${true} heading=${true} />
  </section>`;
}

/** The list with its dialogs. `baseQuery` adds fixed filters; `heading` renders the page head. */
export function ResourceList({ desc, bound = false, heading = false, baseQuery = {} }) {
  const session = useSession();
  const [params, setParams] = useListParams(bound, desc);
  const [dialog, setDialog] = useState(null);
  const [created, setCreated] = useState(null);
  const perms = desc.perms || {};
  const canCreate = !!desc.fields && can(session, perms.create);
  const canUpdate = !!(desc.editFields || desc.fields) && can(session, perms.update);
  const canDelete = can(session, perms.delete);

  const query = { sort: desc.sort, ...baseQuery, limit: params.limit, offset: params.offset };
  if (desc.search !== false && params.search) query.search = params.search;
  for (const f of desc.filters || []) if (params[f.name]) query[f.name] = params[f.name];
  const key = JSON.stringify(query);
  const { data, error, loading, reload } = useAsync(() => list(desc.api, query), [desc.api, key]);

  // Deleting the last row of a later page: step back a page.
  useEffect(() => {
    if (data && data.items.length === 0 && params.offset > 0 && data.total > 0) {
      setParams({ offset: Math.max(0, (Math.ceil(data.total / params.limit) - 1) * params.limit) });
    }
  }, [data]);

  const name = (row) => (desc.nameOf ? desc.nameOf(row) : row.name || row.title || row.email || row.id);
  const singular = desc.singular || 'item';
  const toBody = (body, mode, item) => (desc.toBody ? desc.toBody(body, mode, item) : body);

  const openCreate = () => setDialog({
    title: `New ${singular}`,
    fields: desc.fields,
    mode: 'create',
    initial: desc.createInitial || {},
    submitLabel: `Create ${singular}`,
    onSubmit: async (body) => {
      const result = await post(desc.api, await toBody(body, 'create'));
      setDialog(null);
      notify(`${humanize(singular)} “${name(result) || ''}” created`);
      if (desc.created) setCreated(result);
      if (desc.afterCreate) desc.afterCreate(result);
      reload();
    },
  });

  const openEdit = (row) => setDialog({
    title: `Edit ${singular} “${name(row)}”`,
    fields: desc.editFields || desc.fields.filter((f) => !f.createOnly),
    mode: 'edit',
    initial: desc.toInitial ? desc.toInitial(row) : row,
    submitLabel: 'Save changes',
    onSubmit: async (body) => {
      const b = await toBody(body, 'edit', row);
      if (Object.keys(b).length === 0) { setDialog(null); return; }
      await patch(`${desc.api}/${encodeURIComponent(row.id)}`, b);
      setDialog(null);
      notify(`${humanize(singular)} “${name(row)}” saved`);
      reload();
    },
  });

  const remove = async (row) => {
    const ok = await confirmDialog({
      title: `Delete ${singular}?`,
      message: `Delete ${singular} “${name(row)}”? ${desc.deleteNote || 'This cannot be undone.'}`,
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!ok) return;
    try {
      await del(`${desc.api}/${encodeURIComponent(row.id)}`);
      notify(`${humanize(singular)} “${name(row)}” deleted`);
      reload();
    } catch (err) {
      notify(`Could not delete: ${err.message}`, 'error');
    }
  };

  const runAction = async (a, row) => {
    if (a.form) {
      const spec = a.form(row);
      setDialog({
        ...spec,
        mode: spec.mode || 'create',
        onSubmit: async (body) => {
          const result = await a.run(row, body);
          setDialog(null);
          notify(a.doneMessage ? a.doneMessage(row, result) : `${a.label}: done`, a.doneKind?.(row, result));
          a.done?.(result, row, { reload, setCreated });
          reload();
        },
      });
      return;
    }
    if (a.confirm) {
      const c = a.confirm(row);
      const ok = await confirmDialog({ danger: a.danger, confirmLabel: a.label, ...c });
      if (!ok) return;
    }
    try {
      const result = await a.run(row);
      notify(a.doneMessage ? a.doneMessage(row, result) : `${a.label}: done`, a.doneKind?.(row, result));
      a.done?.(result, row, { reload, setCreated });
      reload();
    } catch (err) {
      notify(`${a.label} failed: ${err.message}`, 'error');
    }
  };

  const actions = (desc.actions || []).filter((a) => !a.perm || can(session, a.perm));
  const rowActions = (canUpdate || canDelete || actions.length)
    ? (row) => html`
      ${actions.filter((a) => !a.show || a.show(row)).map((a) => html`<button type="button" class=${a.danger ? 'btn btn-small btn-danger-outline' : 'btn btn-small'}
          onClick=${() => runAction(a, row)} aria-label=${`${a.label} ${name(row)}`}>${a.label}</button>`)}
      ${canUpdate && (!desc.canEdit || desc.canEdit(row)) && html`<button type="button" class="btn btn-small" onClick=${() => openEdit(row)} aria-label=${`Edit ${name(row)}`}>Edit</button>`}
      ${canDelete && (!desc.canDelete || desc.canDelete(row)) && html`<button type="button" class="btn btn-small btn-danger-outline" onClick=${() => remove(row)} aria-label=${`${desc.deleteLabel || 'Delete'} ${name(row)}`}>${desc.deleteLabel || 'Delete'}</button>`}`
    : null;

  const createButton = canCreate && html`<button type="button" class="btn btn-primary" onClick=${openCreate}>New ${singular}</button>`;
  const hasFilter = !!params.search || (desc.filters || []).some((f) => params[f.name]);

  return html`<div class="resource">
    ${heading
      ? html`<${PageHead} title=${desc.title} intro=${desc.intro}>${createButton}<//>`
      : (createButton || desc.subtitle) && html`<div class="section-head">${desc.subtitle && html`<h2>${desc.subtitle}</h2>`}${createButton}</div>`}
    ${created && desc.created(created, () => setCreated(null))}
    ${desc.header && desc.header(data)}
    <${Filters} search=${desc.search === false ? false : (desc.search || true)} filters=${desc.filters || []} values=${params} onChange=${setParams} />
    ${error && html`<${ErrorBox} error=${error} onRetry=${reload} />`}
    ${!data && loading && html`<${Loading} />`}
    ${data && data.items.length === 0 && !loading && html`<${Empty}>${hasFilter ? 'Nothing matches these filters.' : (desc.empty || `No ${desc.title.toLowerCase()} yet.`)}<//>`}
    ${data && data.items.length > 0 && html`<div class=${loading ? 'stale' : ''} aria-busy=${loading ? 'true' : 'false'}>
      <${Table} caption=${desc.title} columns=${desc.columns} rows=${data.items} rowActions=${rowActions} />
    </div>`}
    ${data && data.total > 0 && html`<${Pagination} total=${data.total} exact=${data.exact} pageSize=${data.items.length} limit=${params.limit} offset=${params.offset} onChange=${setParams} />`}
    ${dialog && html`<${FormDialog} ...${dialog} wide=${dialog.fields.length > 4} onClose=${() => setDialog(null)} />`}
  </div>`;
}
