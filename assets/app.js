// The application shell: session (login, logout, impersonation), navigation by role, routing.
import { html, render, useState, useEffect, useRef } from './lib.js';
import { auth, get, post } from './api.js';
import { useLocation, navigate, match, Link } from './router.js';
import { SessionContext, isOperator, can } from './session.js';
import { Loading, ErrorBox, ConfirmHost, ToastHost, notify, Badge, clearOptionCache } from './components.js';
import { fmtDate } from './format.js';
import { LoginPage } from './pages/auth.js';
import {
  Dashboard, TenantsPage, TenantDetail, PlatformUsersPage, PlansPage, ProvidersPage, InvoicesPage, BillingEventsPage,
} from './pages/operator.js';
import {
  TenantOverview, EnvironmentsPage, VariablesPage, ModelsPage, EntityTypesPage, WorkflowEntitiesPage, WorkflowsPage,
  PromptsPage, UsersPage, TokensPage, BillingPage, RolesPage,
} from './pages/tenant.js';
import { PromptTemplatesPage, PromptTemplateDetail } from './pages/templates.js';
import { TenantAuditPage, PlatformAuditPage, ContentReadsPage } from './pages/audit.js';

const IMPERSONATION_KEY = 'admin-appliance.impersonation';
// Set while this browser has logged in: without it, start on the login page without asking the
// server (GET /auth/session answers 401 when logged out, which browsers log as a console error).
const SESSION_HINT_KEY = 'admin-appliance.session';

// Navigation: sections of routes; `perm` hides a route (and its link) from who may not read it.
const OPERATOR_NAV = [
  {
    section: 'Platform',
    routes: [
      { path: '/', label: 'Dashboard', page: Dashboard },
      { path: '/tenants', label: 'Tenants', page: TenantsPage },
      { path: '/tenants/:id', page: TenantDetail },
      { path: '/users', label: 'Users', page: PlatformUsersPage },
      { path: '/plans', label: 'Plans', page: PlansPage },
      { path: '/llm-providers', label: 'LLM providers', page: ProvidersPage },
    ],
  },
  {
    section: 'Billing',
    routes: [
      { path: '/invoices', label: 'Invoices', page: InvoicesPage },
      { path: '/billing-events', label: 'Billing events', page: BillingEventsPage },
    ],
  },
  {
    section: 'Security',
    routes: [
      { path: '/audit-log', label: 'Audit log', page: PlatformAuditPage },
      { path: '/roles', label: 'Roles', page: RolesPage },
    ],
  },
];

const TENANT_NAV = [
  {
    section: 'Workspace',
    routes: [
      { path: '/', label: 'Overview', page: TenantOverview },
      { path: '/environments', label: 'Environments', page: EnvironmentsPage, perm: 'environments:read' },
      { path: '/variables', label: 'Variables', page: VariablesPage, perm: 'variables:read' },
    ],
  },
  {
    section: 'AI',
    routes: [
      { path: '/models', label: 'Models', page: ModelsPage, perm: 'entities:read' },
      { path: '/prompt-templates', label: 'Prompt templates', page: PromptTemplatesPage, perm: 'entities:read' },
      { path: '/prompt-templates/:id', page: PromptTemplateDetail, perm: 'entities:read' },
      { path: '/prompts', label: 'Prompts', page: PromptsPage, perm: 'prompts:read' },
    ],
  },
  {
    section: 'Workflows',
    routes: [
      { path: '/workflows', label: 'Workflows', page: WorkflowsPage, perm: 'workflows:read' },
      { path: '/workflow-entities', label: 'Entities', page: WorkflowEntitiesPage, perm: 'entities:read' },
      { path: '/entity-types', label: 'Entity types', page: EntityTypesPage, perm: 'entities:read' },
    ],
  },
  {
    section: 'Administration',
    routes: [
      { path: '/users', label: 'Users', page: UsersPage, perm: 'users:read' },
      { path: '/tokens', label: 'API tokens', page: TokensPage, perm: 'tokens:read' },
      { path: '/billing', label: 'Billing', page: BillingPage, perm: 'billing:read' },
      { path: '/audit-log', label: 'Audit log', page: TenantAuditPage, perm: 'audit:read' },
      { path: '/content-reads', label: 'Operator access', page: ContentReadsPage, perm: 'audit:read' },
      { path: '/roles', label: 'Roles', page: RolesPage },
    ],
  },
];

function navFor(session) {
  const nav = isOperator(session) ? OPERATOR_NAV : TENANT_NAV;
  return nav
    .map((s) => ({ ...s, routes: s.routes.filter((r) => !r.perm || can(session, r.perm)) }))
    .filter((s) => s.routes.length);
}

function NotFound() {
  return html`<section class="page"><h1 tabIndex="-1" class="page-title">Page not found</h1>
    <p>There is no such page, or your role cannot see it.</p><p><${Link} href="/">Go to the start page<//></p></section>`;
}

function Shell({ session, onLogout }) {
  const loc = useLocation(() => {
    setMenuOpen(false);
    // Move focus to the new page's heading so keyboard and screen-reader users land on it.
    setTimeout(() => (document.querySelector('.page-title') || document.getElementById('main'))?.focus(), 0);
  });
  const [menuOpen, setMenuOpen] = useState(false);
  const nav = navFor(session);
  let page = NotFound;
  let params = {};
  for (const s of nav) {
    for (const r of s.routes) {
      const m = match(r.path, loc.path);
      if (m) { page = r.page; params = m; break; }
    }
    if (page !== NotFound) break;
  }
  const active = (path) => (path === '/' ? loc.path === '/' : loc.path === path || loc.path.startsWith(`${path}/`));
  const Page = page;
  const who = session.user?.email || session.tokenName || 'API token';
  return html`<div class=${menuOpen ? 'shell menu-open' : 'shell'}>
    <a class="skip-link" href="#main">Skip to content</a>
    <header class="topbar">
      <button type="button" class="btn nav-toggle" aria-expanded=${menuOpen ? 'true' : 'false'} aria-controls="sidenav" onClick=${() => setMenuOpen(!menuOpen)}>Menu</button>
      <${Link} href="/" class="brand">admin-appliance<//>
      <span class="context">${isOperator(session) ? 'Platform' : session.tenant?.name}</span>
      <span class="who"><span class="who-email">${who}</span> <${Badge} value=${session.role} /></span>
      ${session.readOnly
        ? html`<button type="button" class="btn btn-small" onClick=${session.actions.endImpersonation}>End impersonation</button>`
        : html`<button type="button" class="btn btn-small" onClick=${onLogout}>Log out</button>`}
    </header>
    ${session.readOnly && html`<div class="banner" role="status">
      Viewing <strong>${session.tenant?.name}</strong> as an operator, read-only${session.expiresAt ? html`, until ${fmtDate(session.expiresAt)}` : ''}. Every request is audited.
    </div>`}
    <nav id="sidenav" class="sidenav" aria-label="Main">
      ${nav.map((s) => html`<div class="nav-section">
        <h2 class="nav-heading">${s.section}</h2>
        <ul>${s.routes.filter((r) => r.label).map((r) => html`<li>
          <${Link} href=${r.path} aria-current=${active(r.path) ? 'page' : undefined}>${r.label}<//>
        </li>`)}</ul>
      </div>`)}
    </nav>
    <main id="main" tabIndex="-1"><${Page} key=${loc.path} params=${params} /></main>
  </div>`;
}

function App() {
  const [session, setSession] = useState(undefined); // undefined: loading; null: logged out
  const [bootError, setBootError] = useState(null);
  const [notice, setNotice] = useState(null);
  const sessionRef = useRef(null);
  sessionRef.current = session;

  const fromInfo = (info, extra = {}) => ({ ...info, ...extra });

  async function boot() {
    setBootError(null);
    clearOptionCache();
    // A dashboard link from POST /platform/tenants/{id}/impersonate: /#/impersonate?token=...
    const m = location.hash.match(/^#\/impersonate\?(.*)$/);
    if (m) {
      const token = new URLSearchParams(m[1]).get('token');
      if (token) sessionStorage.setItem(IMPERSONATION_KEY, JSON.stringify({ token }));
      history.replaceState(null, '', '/');
    }
    const imp = JSON.parse(sessionStorage.getItem(IMPERSONATION_KEY) || 'null');
    if (imp?.token) {
      auth.setBearer(imp.token);
      try {
        const me = await get('/me', undefined, { quiet401: true });
        setSession(fromInfo(me, { readOnly: true, expiresAt: imp.expiresAt, returnTo: imp.tenantId }));
        return;
      } catch {
        sessionStorage.removeItem(IMPERSONATION_KEY);
        auth.setBearer(null);
        setNotice('The impersonation ended (it lasts 30 minutes).');
      }
    }
    if (!localStorage.getItem(SESSION_HINT_KEY)) { setSession(null); return; }
    try {
      const info = await get('/auth/session', undefined, { quiet401: true });
      auth.setCsrf(info.csrfToken);
      setSession(fromInfo(info));
    } catch (e) {
      if (e.status === 401) { localStorage.removeItem(SESSION_HINT_KEY); setSession(null); } else setBootError(e);
    }
  }

  useEffect(() => {
    auth.onUnauthorized(() => {
      const s = sessionRef.current;
      if (s?.readOnly) {
        sessionStorage.removeItem(IMPERSONATION_KEY);
        auth.setBearer(null);
        notify('The impersonation ended.', 'error');
        boot();
        return;
      }
      if (s) {
        localStorage.removeItem(SESSION_HINT_KEY);
        auth.setCsrf(null);
        setNotice('Your session ended. Please log in again.');
        setSession(null);
      }
    });
    boot();
  }, []);

  const onLogin = (info) => {
    clearOptionCache();
    localStorage.setItem(SESSION_HINT_KEY, '1');
    auth.setCsrf(info.csrfToken);
    setNotice(null);
    setSession(fromInfo(info));
    // Stay on a deep link if there was one; otherwise the role's start page.
    if (location.pathname !== '/') navigate(location.pathname + location.search, { replace: true });
    setTimeout(() => document.querySelector('.page-title')?.focus(), 0);
  };

  const onLogout = async () => {
    try { await post('/auth/logout'); } catch { /* the session is gone either way */ }
    localStorage.removeItem(SESSION_HINT_KEY);
    auth.setCsrf(null);
    setNotice('You have logged out.');
    setSession(null);
    navigate('/', { replace: true });
  };

  const actions = {
    impersonate(token, { tenantId, expiresAt }) {
      sessionStorage.setItem(IMPERSONATION_KEY, JSON.stringify({ token, tenantId, expiresAt }));
      setSession(undefined); // no page of the old session may load while switching
      navigate('/', { replace: false });
      boot();
    },
    endImpersonation() {
      const s = sessionRef.current;
      sessionStorage.removeItem(IMPERSONATION_KEY);
      auth.setBearer(null);
      setSession(undefined);
      navigate(s?.returnTo ? `/tenants/${s.returnTo}` : '/');
      boot();
    },
  };

  let body;
  if (bootError) {
    body = html`<main id="main" class="login"><div class="login-card"><h1>admin-appliance</h1>
      <${ErrorBox} error=${bootError} onRetry=${boot} /></div></main>`;
  } else if (session === undefined) {
    body = html`<main id="main" class="login"><${Loading} label="Starting…" /></main>`;
  } else if (session === null) {
    body = html`<${LoginPage} onLogin=${onLogin} notice=${notice} />`;
  } else {
    body = html`<${Shell} session=${{ ...session, actions }} onLogout=${onLogout} />`;
  }
  const value = session ? { ...session, actions } : null;
  return html`<${SessionContext.Provider} value=${value}>
    ${body}
    <${ConfirmHost} />
    <${ToastHost} />
  <//>`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);