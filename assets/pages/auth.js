// The login page. A successful login gives the session cookie (HttpOnly, set by the server) and
// the CSRF token, which api.js then sends as X-CSRF-Token on every unsafe request.
import { html, useEffect } from '../lib.js';
import { post } from '../api.js';
import { Form } from '../components.js';

const FIELDS = [
  { name: 'email', label: 'Email', type: 'email', required: true, autocomplete: 'username', full: true },
  { name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'current-password', full: true },
];

export function LoginPage({ onLogin, notice }) {
  useEffect(() => { document.title = 'Log in · admin-appliance'; }, []);
  return html`<main id="main" class="login">
    <div class="login-card">
      <h1>admin-appliance</h1>
      <p class="muted">Log in to manage the platform or your workspace.</p>
      ${notice && html`<div class="alert alert-info" role="status">${notice}</div>`}
      <${Form} fields=${FIELDS} submitLabel="Log in" busyLabel="Logging in…"
        onSubmit=${async (body) => onLogin(await post('/auth/login', body, { quiet401: true }))} />
      <p class="muted small">API reference: <a href="/api/docs">/api/docs</a></p>
    </div>
  </main>`;
}
