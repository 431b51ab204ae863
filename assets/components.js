// Shared building blocks: loading/empty/error states, tables, pagination, filters, forms with
// field errors, dialogs, confirmations, toasts, copy buttons. Pages compose these.
import { html, useState, useEffect, useRef, useCallback } from './lib.js';
import { ApiError } from './api.js';
import { fmtValue, humanize } from './format.js';

let uid = 0;
/** A stable unique id for labels and aria attributes. */
export function useId(prefix = 'id') {
  const ref = useRef(null);
  if (ref.current === null) ref.current = `${prefix}-${++uid}`;
  return ref.current;
}

/** Run an async loader; returns {data, error, loading, reload}. Stale answers are dropped. */
export function useAsync(fn, deps) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const n = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    Promise.resolve()
      .then(fn)
      .then(
        (data) => { if (n === seq.current) setState({ data, error: null, loading: false }); },
        (error) => { if (n === seq.current) setState((s) => ({ data: s.data, error, loading: false })); },
      );
  }, deps);
  useEffect(() => { run(); return () => { seq.current++; }; }, [run]);
  return { ...state, reload: run };
}

export function Loading({ label = 'Loading…' }) {
  return html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>${label}</p>`;
}

export function Empty({ children }) {
  return html`<div class="empty" role="status">${children || 'Nothing here yet.'}</div>`;
}

export function ErrorBox({ error, onRetry }) {
  if (!error) return null;
  const msg = error.message || String(error);
  return html`<div class="alert alert-error" role="alert">
    <p><strong>${msg}</strong></p>
    ${(error.code || error.requestId) && html`<p class="muted small">
      ${error.code && html`<code>${error.code}</code>`}${error.requestId && html` · request <code>${error.requestId}</code>`}</p>`}
    ${onRetry && html`<button type="button" class="btn btn-small" onClick=${onRetry}>Try again</button>`}
  </div>`;
}

export function Badge({ value }) {
  if (value === null || value === undefined || value === '') return html`<span class="muted">—</span>`;
  const v = String(value);
  return html`<span class=${`badge badge-${v.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`}>${humanize(v)}</span>`;
}

/** Key–value list for detail views. */
export function DefList({ items }) {
  return html`<dl class="deflist">${items.filter(Boolean).map(([k, v]) => html`<div><dt>${k}</dt><dd>${v === undefined || v === null || v === '' ? '—' : v}</dd></div>`)}</dl>`;
}

export function JsonView({ value }) {
  if (value === null || value === undefined) return html`<span class="muted">—</span>`;
  return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
}

// ---------------------------------------------------------------------------------------------
// Toasts

let pushToast = () => {};
/** Show a short message in the live region at the bottom of the screen. */
export function notify(message, kind = 'ok') {
  pushToast({ id: ++uid, message, kind });
}

export function ToastHost() {
  const [items, setItems] = useState([]);
  pushToast = (t) => {
    setItems((xs) => [...xs, t]);
    setTimeout(() => setItems((xs) => xs.filter((x) => x.id !== t.id)), 5000);
  };
  return html`<div class="toasts" role="status" aria-live="polite">
    ${items.map((t) => html`<div key=${t.id} class=${`toast toast-${t.kind}`}>${t.message}</div>`)}
  </div>`;
}

// ---------------------------------------------------------------------------------------------
// Dialogs

/** A modal <dialog>: focus is kept inside, Escape closes, focus returns to the opener. */
export function Dialog({ title, onClose, children, wide }) {
  const ref = useRef(null);
  const titleId = useId('dlg');
  useEffect(() => {
    const opener = document.activeElement;
    const d = ref.current;
    if (d && !d.open) d.showModal();
    const first = d?.querySelector('[autofocus], input:not([type=hidden]):not([disabled]), select, textarea, button.btn-primary');
    first?.focus();
    return () => { if (opener && document.contains(opener)) opener.focus(); };
  }, []);
  const onCancel = (e) => { e.preventDefault(); onClose(); };
  return html`<dialog ref=${ref} class=${wide ? 'dialog dialog-wide' : 'dialog'} aria-labelledby=${titleId} onCancel=${onCancel}>
    <div class="dialog-head">
      <h2 id=${titleId}>${title}</h2>
      <button type="button" class="btn-icon" aria-label="Close" onClick=${onClose}>×</button>
    </div>
    <div class="dialog-body">${children}</div>
  </dialog>`;
}

let openConfirm = null;
/**
 * Ask before a destructive or important action. Resolves true / false.
 * confirmDialog({title, message, confirmLabel, danger})
 */
export function confirmDialog(opts) {
  return new Promise((resolve) => (openConfirm ? openConfirm({ ...opts, resolve }) : resolve(window.confirm(opts.message))));
}

export function ConfirmHost() {
  const [c, setC] = useState(null);
  openConfirm = setC;
  if (!c) return null;
  const done = (v) => { setC(null); c.resolve(v); };
  return html`<${Dialog} title=${c.title || 'Are you sure?'} onClose=${() => done(false)}>
    <p>${c.message}</p>
    <div class="form-actions">
      <button type="button" class=${c.danger ? 'btn btn-danger' : 'btn btn-primary'} autofocus onClick=${() => done(true)}>${c.confirmLabel || 'Confirm'}</button>
      <button type="button" class="btn" onClick=${() => done(false)}>Cancel</button>
    </div>
  <//>`;
}

// ---------------------------------------------------------------------------------------------
// Copy to clipboard

export function CopyButton({ text, label = 'Copy' }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      // Clipboard API unavailable (plain http on a LAN address): copy through a selected textarea.
      const ta = document.createElement('textarea');
      ta.value = text;
      ta.setAttribute('readonly', '');
      ta.style.position = 'fixed';
      ta.style.opacity = '0';
      document.body.appendChild(ta);
      ta.select();
      try { ok = document.execCommand('copy'); } catch { ok = false; }
      ta.remove();
    }
    setDone(ok ? 'Copied' : 'Select and copy it by hand');
    setTimeout(() => setDone(false), 3000);
  };
  return html`<button type="button" class="btn btn-small" onClick=${copy}>${label}</button>
    <span class="copy-status" role="status">${done || ''}</span>`;
}

/** A secret shown once (a new token), with a copy button and a warning. */
export function SecretOnce({ title, secret, onDone }) {
  return html`<div class="alert alert-secret" role="region" aria-label=${title}>
    <p><strong>${title}</strong> — copy it now: it is shown only this once.</p>
    <div class="secret-row">
      <input class="mono secret-value" type="text" readonly value=${secret} aria-label="Secret value" onFocus=${(e) => e.target.select()} />
      <${CopyButton} text=${secret} />
    </div>
    ${onDone && html`<button type="button" class="btn btn-small" onClick=${onDone}>I have copied it</button>`}
  </div>`;
}

// ---------------------------------------------------------------------------------------------
// Tables and pagination

/**
 * columns: [{key, label, render?(row)}]; rowActions?(row) → buttons for the last column.
 */
export function Table({ columns, rows, caption, rowActions, rowKey = 'id' }) {
  // Explicit roles: narrow windows restyle the table as stacked cards (display: block), which
  // would otherwise drop its table semantics for assistive technology.
  return html`<div class="table-wrap"><table class="table" role="table">
    ${caption && html`<caption class="sr-only">${caption}</caption>`}
    <thead role="rowgroup"><tr role="row">
      ${columns.map((c) => html`<th scope="col" role="columnheader" class=${c.className || ''}>${c.label}</th>`)}
      ${rowActions && html`<th scope="col" role="columnheader" class="col-actions"><span class="sr-only">Actions</span></th>`}
    </tr></thead>
    <tbody role="rowgroup">
      ${rows.map((r, i) => html`<tr key=${r[rowKey] ?? i} role="row">
        ${columns.map((c) => html`<td role="cell" class=${c.className || ''}><span class="cell-label" aria-hidden="true">${c.label}</span><span class="cell-value">${c.render ? c.render(r) : fmtValue(r[c.key])}</span></td>`)}
        ${rowActions && html`<td role="cell" class="col-actions"><div class="row-actions">${rowActions(r)}</div></td>`}
      </tr>`)}
    </tbody>
  </table></div>`;
}

const PAGE_SIZES = [10, 25, 50, 100];

export function Pagination({ total, limit, offset, onChange, exact = true, pageSize }) {
  const sizeId = useId('pagesize');
  if (total === undefined) return null;
  const page = Math.floor(offset / limit) + 1;
  // An inexact (capped) total: keep going while pages come back full.
  const pages = exact ? Math.max(1, Math.ceil(total / limit)) : (pageSize === limit ? page + 1 : page);
  const of = exact ? `${total}` : `${total}+`;
  return html`<nav class="pagination" aria-label="Pagination">
    <span class="pagination-info">${total === 0 ? 'No results' : `${offset + 1}–${exact ? Math.min(offset + limit, total) : offset + (pageSize ?? limit)} of ${of}`}</span>
    <button type="button" class="btn btn-small" disabled=${page <= 1} onClick=${() => onChange({ offset: Math.max(0, offset - limit) })}>‹ Previous</button>
    <span aria-current="page">Page ${page}${exact ? ` of ${pages}` : ''}</span>
    <button type="button" class="btn btn-small" disabled=${page >= pages} onClick=${() => onChange({ offset: offset + limit })}>Next ›</button>
    <label for=${sizeId} class="pagesize">Per page</label>
    <select id=${sizeId} value=${limit} onChange=${(e) => onChange({ limit: Number(e.target.value), offset: 0 })}>
      ${PAGE_SIZES.map((n) => html`<option value=${n}>${n}</option>`)}
    </select>
  </nav>`;
}

/** Search box (applied on Enter / the Search button) and select filters (applied on change). */
export function Filters({ search, filters = [], values, onChange }) {
  const [text, setText] = useState(values.search || '');
  const sid = useId('search');
  useEffect(() => setText(values.search || ''), [values.search]);
  const active = !!values.search || filters.some((f) => values[f.name]);
  if (!search && filters.length === 0) return null;
  return html`<form class="filters" role="search" onSubmit=${(e) => { e.preventDefault(); onChange({ search: text.trim(), offset: 0 }); }}>
    ${search && html`<div class="filter">
      <label for=${sid}>Search</label>
      <div class="search-row">
        <input id=${sid} type="search" value=${text} placeholder=${typeof search === 'string' ? search : ''} onInput=${(e) => setText(e.target.value)} />
        <button type="submit" class="btn">Search</button>
      </div>
    </div>`}
    ${filters.map((f) => html`<${FilterSelect} key=${f.name} f=${f} value=${values[f.name] || ''} onChange=${(v) => onChange({ [f.name]: v, offset: 0 })} />`)}
    ${active && html`<div class="filter filter-clear"><button type="button" class="btn btn-link" onClick=${() => {
      setText('');
      onChange(Object.fromEntries([['search', ''], ['offset', 0], ...filters.map((f) => [f.name, ''])]));
    }}>Clear filters</button></div>`}
  </form>`;
}

function FilterSelect({ f, value, onChange }) {
  const id = useId('filter');
  const options = useOptions(f.options);
  if (f.type === 'text') {
    return html`<div class="filter"><label for=${id}>${f.label}</label>
      <input id=${id} value=${value} onChange=${(e) => onChange(e.target.value.trim())} placeholder=${f.placeholder || ''} /></div>`;
  }
  return html`<div class="filter"><label for=${id}>${f.label}</label>
    <select id=${id} value=${value} onChange=${(e) => onChange(e.target.value)}>
      <option value="">All</option>
      ${(options || []).map((o) => html`<option value=${o.value}>${o.label}</option>`)}
    </select></div>`;
}

// ---------------------------------------------------------------------------------------------
// Forms

const optionCache = new Map();
/** Forget loaded select options (on logout or a switch of identity). */
export function clearOptionCache() { optionCache.clear(); }
/** Options of a select: an array of strings / {value,label}, or an async loader (cached briefly). */
export function useOptions(options) {
  const isFn = typeof options === 'function';
  const [loaded, setLoaded] = useState(isFn ? optionCache.get(options)?.value : null);
  useEffect(() => {
    if (!isFn) return;
    let live = true;
    const c = optionCache.get(options);
    const fresh = c && Date.now() - c.at < 5000;
    if (!fresh) {
      Promise.resolve(options()).then((v) => {
        optionCache.set(options, { value: v, at: Date.now() });
        if (live) setLoaded(v);
      }, () => live && setLoaded([]));
    } else setLoaded(c.value);
    return () => { live = false; };
  }, [options]);
  const raw = isFn ? loaded : options;
  if (!raw) return isFn ? null : [];
  return raw.map((o) => (typeof o === 'object' ? o : { value: o, label: humanize(o) }));
}

function initialValue(f, v) {
  if (f.writeOnly) return f.type === 'checkbox' ? false : '';
  if (v === undefined || v === null) return f.type === 'checkbox' ? !!f.default : (f.default ?? '');
  if (f.type === 'json') return JSON.stringify(v, null, 2);
  if (f.type === 'lines') return Array.isArray(v) ? v.join('\n') : String(v);
  if (f.type === 'checkbox') return !!v;
  if (f.type === 'datetime-local' && v) return String(v).slice(0, 16);
  return String(v);
}

// Form value → JSON value; throws Error(message) for a value the API could not take.
function convert(f, v) {
  switch (f.type) {
    case 'checkbox': return !!v;
    case 'number': {
      if (v === '' || v === null || v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error('must be a number');
      return n;
    }
    case 'json': {
      if (!String(v).trim()) return undefined;
      try { return JSON.parse(v); } catch (e) { throw new Error(`is not valid JSON (${e.message})`); }
    }
    case 'lines': return String(v).split('\n').map((s) => s.trim()).filter(Boolean);
    case 'datetime-local': return v ? new Date(v).toISOString() : undefined;
    default: return v === '' ? undefined : v;
  }
}

function fieldFor(fields, key) {
  const root = String(key).split(/[.[]/)[0];
  return fields.find((f) => f.name === key || f.name === root || (f.errorKeys || []).includes(key) || (f.errorKeys || []).includes(root));
}

/**
 * A form with labelled fields and the API's field errors shown next to each field.
 * fields: [{name, label, type, required, options, hint, writeOnly, placeholder, autocomplete,
 *           showIf(values), errorKeys, full}]
 * mode 'create' sends every non-empty value; 'edit' sends only the changed ones (PATCH is partial),
 * an emptied field as "" (text) or null (others), and a write-only field only when typed.
 * onSubmit(body, values) may throw an ApiError: its details.fields land next to the fields.
 */
export function Form({ fields, initial = {}, mode = 'create', onSubmit, submitLabel = 'Save', onCancel, children, busyLabel = 'Saving…' }) {
  const [values, setValues] = useState(() => Object.fromEntries(fields.map((f) => [f.name, initialValue(f, initial[f.name])])));
  const [errors, setErrors] = useState({});
  const [formError, setFormError] = useState(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef(null);
  const mounted = useRef(true);
  const prefix = useId('form');
  useEffect(() => () => { mounted.current = false; }, []);

  const visible = fields.filter((f) => !f.showIf || f.showIf(values));

  const focusFirst = (errs) => setTimeout(() => {
    const name = visible.find((f) => errs[f.name])?.name;
    if (name) formRef.current?.querySelector(`[name="${name}"]`)?.focus();
  }, 0);

  const submit = async (e) => {
    e.preventDefault();
    if (busy) return;
    const body = {};
    const errs = {};
    for (const f of visible) {
      if (f.readOnly) continue;
      let v;
      try { v = convert(f, values[f.name]); } catch (x) { errs[f.name] = x.message; continue; }
      // Required and empty: say so here (the server would too, but not for every field).
      if (f.required && !f.writeOnly && f.type !== 'checkbox' && (v === undefined || (typeof v === 'string' && !v.trim()))
          && !(mode === 'edit' && f.createOnly)) {
        errs[f.name] = 'is required';
        continue;
      }
      if (mode === 'edit') {
        if (f.writeOnly) { if (v !== undefined && v !== '') body[f.name] = v; continue; }
        let before;
        try { before = convert(f, initialValue(f, initial[f.name])); } catch { before = undefined; }
        if (JSON.stringify(v) === JSON.stringify(before)) continue;
        body[f.name] = v === undefined ? (f.type === 'text' || f.type === 'textarea' || !f.type ? '' : null) : v;
      } else if (v !== undefined) {
        body[f.name] = v;
      }
    }
    setErrors(errs);
    setFormError(null);
    if (Object.keys(errs).length) { focusFirst(errs); return; }
    setBusy(true);
    try {
      await onSubmit(body, values);
    } catch (err) {
      if (!mounted.current) return;
      const fe = {};
      const unmatched = {};
      if (err instanceof ApiError) {
        for (const [k, msg] of Object.entries(err.fields || {})) {
          const f = fieldFor(visible, k);
          if (f) fe[f.name] = fe[f.name] ? `${fe[f.name]}; ${msg}` : (k === f.name ? msg : `${k}: ${msg}`);
          else unmatched[k] = msg;
        }
        // Some conflicts (e.g. a taken email) come without details.fields: put the message next
        // to the field it names, if one of the form's fields is named in it.
        if (!Object.keys(err.fields || {}).length && err.status === 409) {
          const f = visible.find((x) => new RegExp(`\\b${x.name}\\b`, 'i').test(err.message));
          if (f) fe[f.name] = err.message;
        }
      }
      setErrors(fe);
      setFormError({ error: err, unmatched, matched: Object.keys(fe).length });
      focusFirst(fe);
    } finally {
      if (mounted.current) setBusy(false);
    }
  };

  const set = (name) => (v) => setValues((s) => ({ ...s, [name]: v }));
  return html`<form ref=${formRef} class="form" noValidate onSubmit=${submit}>
    ${formError && html`<div class="alert alert-error" role="alert">
      <p><strong>${formError.matched && !Object.keys(formError.unmatched).length
        ? 'Please correct the highlighted fields.'
        : (formError.error.message || String(formError.error))}</strong></p>
      ${Object.entries(formError.unmatched).map(([k, m]) => html`<p class="small"><code>${k}</code>: ${m}</p>`)}
      ${formError.error.requestId && html`<p class="muted small">request <code>${formError.error.requestId}</code></p>`}
    </div>`}
    <div class="form-grid">
      ${visible.map((f) => html`<${Field} key=${f.name} f=${f} prefix=${prefix} value=${values[f.name]} error=${errors[f.name]} onChange=${set(f.name)} mode=${mode} initial=${initial} />`)}
    </div>
    ${children}
    <div class="form-actions">
      <button type="submit" class="btn btn-primary" disabled=${busy}>${busy ? busyLabel : submitLabel}</button>
      ${onCancel && html`<button type="button" class="btn" onClick=${onCancel}>Cancel</button>`}
    </div>
  </form>`;
}

export function Field({ f, prefix, value, error, onChange, mode, initial = {} }) {
  const id = `${prefix}-${f.name}`;
  const errId = `${id}-err`;
  const hintId = `${id}-hint`;
  const options = useOptions(f.options);
  let hint = f.hint;
  if (f.writeOnly && mode === 'edit') {
    const has = f.hasKey ? initial[f.hasKey] : undefined;
    hint = `${has === true ? 'A value is stored. ' : has === false ? 'No value stored. ' : ''}Leave blank to keep it; it is never shown again.`;
  }
  const describedBy = [error && errId, hint && hintId].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: f.name,
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': describedBy,
    'aria-required': f.required ? 'true' : undefined,
    disabled: f.readOnly || (mode === 'edit' && f.createOnly),
  };
  let control;
  if (f.type === 'textarea' || f.type === 'json' || f.type === 'lines') {
    control = html`<textarea ...${common} class=${f.type === 'json' ? 'mono' : ''} rows=${f.rows || (f.type === 'json' ? 6 : 3)} value=${value} onInput=${(e) => onChange(e.target.value)}></textarea>`;
  } else if (f.type === 'select') {
    control = html`<select ...${common} value=${value} onChange=${(e) => onChange(e.target.value)}>
      <option value="">${options === null ? 'Loading…' : (f.placeholder || (f.required ? 'Choose…' : '— none —'))}</option>
      ${(options || []).map((o) => html`<option value=${o.value}>${o.label}</option>`)}
    </select>`;
  } else if (f.type === 'checkbox') {
    control = html`<input type="checkbox" ...${common} checked=${!!value} onChange=${(e) => onChange(e.target.checked)} />`;
  } else {
    const type = f.writeOnly && !f.type ? 'password' : (f.type || 'text');
    control = html`<input type=${type} ...${common} value=${value} placeholder=${f.placeholder || ''}
      autocomplete=${f.autocomplete || (f.writeOnly || type === 'password' ? 'new-password' : 'off')}
      step=${f.type === 'number' ? (f.step || 'any') : undefined}
      onInput=${(e) => onChange(e.target.value)} />`;
  }
  const cls = ['field', error && 'has-error', f.type === 'checkbox' && 'field-check', (f.full || ['textarea', 'json', 'lines'].includes(f.type)) && 'field-full'].filter(Boolean).join(' ');
  return html`<div class=${cls}>
    <label for=${id}>${f.label}${f.required && html`<span class="req" aria-hidden="true"> *</span>`}</label>
    ${control}
    ${hint && html`<p class="hint" id=${hintId}>${hint}</p>`}
    ${error && html`<p class="field-error" id=${errId}>${error}</p>`}
  </div>`;
}

/** A button that opens a dialog holding a form; `onDone(result)` after a successful submit. */
export function FormDialog({ title, fields, initial, mode, submitLabel, onSubmit, onClose, wide, intro }) {
  return html`<${Dialog} title=${title} onClose=${onClose} wide=${wide}>
    ${intro && html`<p class="intro">${intro}</p>`}
    <${Form} fields=${fields} initial=${initial} mode=${mode} submitLabel=${submitLabel} onCancel=${onClose} onSubmit=${onSubmit} />
  <//>`;
}

/** Page header: title, optional intro and actions. */
export function PageHead({ title, intro, children }) {
  useEffect(() => { document.title = `${title} · admin-appliance`; }, [title]);
  return html`<header class="page-head">
    <div><h1 tabIndex="-1" class="page-title">${title}</h1>${intro && html`<p class="intro">${intro}</p>`}</div>
    ${children && html`<div class="page-actions">${children}</div>`}
  </header>`;
}
