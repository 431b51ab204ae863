// Fetch wrapper for the appliance's public API: same origin, cookie session with the CSRF token
// on unsafe methods (or a Bearer token while impersonating), JSON in and out, and errors turned
// into ApiError objects that carry the field errors of `details.fields`.

const BASE = '/api/v1';
const SAFE = new Set(['GET', 'HEAD']);

let csrfToken = null;
let bearer = null;
let unauthorizedHandler = null;

export const auth = {
  setCsrf(token) { csrfToken = token || null; },
  setBearer(token) { bearer = token || null; },
  get bearer() { return bearer; },
  /** Called on a 401 from any request made after login (the session expired or was ended). */
  onUnauthorized(fn) { unauthorizedHandler = fn; },
};

export class ApiError extends Error {
  constructor({ status, code, message, fields, details, requestId, retryAfter }) {
    super(message || `Request failed (${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || 'error';
    this.fields = fields || {};
    this.details = details;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
  }
}

function queryString(query) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === '') continue;
    p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

// The API answers {"error": "message", "code", "details": {"fields": {...}}, "requestId"};
// the nested form {"error": {"code", "message", "details"}} is accepted as well.
function toError(res, body) {
  let code, message, details;
  let requestId = res.headers.get('x-request-id') || undefined;
  if (body && typeof body === 'object') {
    const e = body.error;
    if (e && typeof e === 'object') {
      ({ code, message, details } = e);
    } else {
      code = body.code;
      message = typeof e === 'string' ? e : body.message;
      details = body.details;
    }
    requestId = body.requestId || requestId;
  } else if (typeof body === 'string' && body) {
    message = body.slice(0, 300);
  }
  const retryAfter = res.headers.get('retry-after');
  if (res.status === 429 && retryAfter) message = `${message || 'Too many requests'}. Try again in ${retryAfter} s.`;
  const fields = details && typeof details === 'object' && details.fields && typeof details.fields === 'object'
    ? details.fields : {};
  return new ApiError({ status: res.status, code, message, fields, details, requestId, retryAfter });
}

function url(path) {
  if (path.startsWith('/api/') || path === '/healthz' || path === '/readyz') return path;
  return BASE + path;
}

async function send(method, path, { body, query, headers } = {}) {
  const h = { Accept: 'application/json', ...(headers || {}) };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (bearer) h.Authorization = `Bearer ${bearer}`;
  else if (csrfToken && !SAFE.has(method)) h['X-CSRF-Token'] = csrfToken;
  try {
    return await fetch(url(path) + queryString(query), {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError({ status: 0, code: 'network_error', message: 'The appliance could not be reached. Check the connection and try again.' });
  }
}

async function parse(res) {
  const text = await res.text();
  if (!text) return null;
  try { return JSON.parse(text); } catch { return text; }
}

/**
 * One request. Returns {status, data, headers}; throws ApiError for any non-2xx answer.
 * `opts.quiet401` keeps a 401 from ending the session (used by login and the session probe).
 */
export async function request(method, path, opts = {}) {
  let res = await send(method, path, opts);
  // A stale CSRF token (another tab logged in again): fetch the current one and retry once.
  if (res.status === 403 && !bearer && !SAFE.has(method)) {
    const body = await parse(res.clone());
    if (body && (body.code === 'csrf_failed' || body.error?.code === 'csrf_failed')) {
      const s = await send('GET', '/auth/session');
      if (s.ok) {
        const info = await parse(s);
        if (info?.csrfToken) csrfToken = info.csrfToken;
        res = await send(method, path, opts);
      }
    }
  }
  const data = await parse(res);
  if (!res.ok) {
    const err = toError(res, data);
    if (res.status === 401 && !opts.quiet401 && unauthorizedHandler) unauthorizedHandler(err);
    throw err;
  }
  return { status: res.status, data, headers: res.headers };
}

export const get = async (path, query, opts) => (await request('GET', path, { ...opts, query })).data;
export const post = async (path, body, opts) => (await request('POST', path, { ...opts, body: body ?? {} })).data;
export const patch = async (path, body, opts) => (await request('PATCH', path, { ...opts, body: body ?? {} })).data;
export const del = async (path, opts) => (await request('DELETE', path, opts)).data;

/** A list endpoint: {items, total, pagination, body} with the total from X-Total-Count. */
export async function list(path, query) {
  const r = await request('GET', path, { query });
  const body = r.data || {};
  const items = Array.isArray(body) ? body : (body.data || []);
  const header = r.headers.get('x-total-count');
  const total = header !== null ? Number(header) : (body.pagination?.total ?? items.length);
  // Large filtered lists may count only up to a cap: then `total` means "at least".
  const exact = r.headers.get('x-total-count-exact') !== 'false' && body.pagination?.totalExact !== false;
  return { items, total, exact, pagination: body.pagination, body };
}

/** Just the number of rows of a list endpoint (one row fetched, X-Total-Count read). */
export async function count(path, query = {}) {
  return (await list(path, { ...query, limit: 1 })).total;
}

/** Every row of a small list (for select options): pages of 200, at most `max` rows. */
export async function all(path, query = {}, max = 1000) {
  const out = [];
  for (let offset = 0; offset < max; offset += 200) {
    const r = await list(path, { ...query, limit: 200, offset });
    out.push(...r.items);
    if (out.length >= r.total || r.items.length === 0) break;
  }
  return out;
}
