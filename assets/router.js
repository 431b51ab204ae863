// A small History-API router: the server answers index.html for any extension-less path that is
// not under /api/, so client-side routes survive a reload and can be bookmarked.
import { html, useState, useEffect } from './lib.js';

const listeners = new Set();

function current() {
  return { path: location.pathname, query: Object.fromEntries(new URLSearchParams(location.search)) };
}

export function navigate(to, { replace = false } = {}) {
  if (to === location.pathname + location.search) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', to);
  listeners.forEach((fn) => fn(current(), { replace }));
}

window.addEventListener('popstate', () => listeners.forEach((fn) => fn(current(), { replace: true })));

/** The current location: {path, query}; re-renders on navigation. */
export function useLocation(onChange) {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const fn = (l, info) => { setLoc(l); onChange?.(l, info); };
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, []);
  return loc;
}

/** Build "path?query" from a query object, dropping empty values. */
export function withQuery(path, query) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

/** Match "/tenants/:id" against a path; returns the params or null. */
export function match(pattern, path) {
  const a = pattern.split('/').filter(Boolean);
  const b = path.split('/').filter(Boolean);
  if (a.length !== b.length) return null;
  const params = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith(':')) params[a[i].slice(1)] = decodeURIComponent(b[i]);
    else if (a[i] !== b[i]) return null;
  }
  return params;
}

/** A real link (keyboard, middle-click, copy address all work) that navigates in place. */
export function Link({ href, children, ...rest }) {
  const onClick = (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return html`<a href=${href} onClick=${onClick} ...${rest}>${children}</a>`;
}
