// Browser tests of the embedded admin UI: the real binary on a temporary data dir and a free
// loopback port, Debian's chromium driven by playwright-core. Any request that does not go to the
// appliance, any console error and any page error fails the run. On failure a screenshot, the
// page's HTML and the server log are kept under tests/ui/artifacts/.
//
//   cd tests/ui && npm ci && npm test
//
// Environment: ADMIN_APPLIANCE_BIN (the binary; default $CARGO_TARGET_DIR/debug/admin-appliance,
// else target/debug/admin-appliance), CHROMIUM (default /usr/bin/chromium).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(repo, process.env.CARGO_TARGET_DIR) : path.join(repo, 'target');
const BIN = process.env.ADMIN_APPLIANCE_BIN || path.join(targetDir, 'debug', 'admin-appliance');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.join(here, 'artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const STEP_TIMEOUT = 10_000; // every wait for the page
const START_TIMEOUT = 60_000; // the server's first start (debug build: Argon2 is slow)

const OPERATOR = { email: 'operator@example.com', password: 'operator-pass-1' };
const ADMIN = { email: 'ada@acme.example', password: 'correct-horse-9' };
const GUEST = { email: 'guest@acme.example', password: 'guest-pass-123' };
const TENANT = 'Acme Robotics';

let server; let serverLog = ''; let dataDir; let origin;
let browser; let context; let page;
const external = []; // requests that tried to leave the appliance
const consoleErrors = []; // console errors and page errors
let failed = false;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function waitHealthy(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}:\n${serverLog}`);
    try {
      const r = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the server did not become ready within ${ms} ms:\n${serverLog}`);
}

async function keepArtifacts(name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const base = path.join(ARTIFACTS, name.replace(/[^a-z0-9]+/gi, '-').toLowerCase());
  try { await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 5000 }); } catch { /* page gone */ }
  try { fs.writeFileSync(`${base}.html`, await page.content()); } catch { /* page gone */ }
  fs.writeFileSync(path.join(ARTIFACTS, 'server.log'), serverLog);
  fs.writeFileSync(path.join(ARTIFACTS, 'console.log'), consoleErrors.join('\n'));
}

/** A test step: skipped after an earlier failure; on failure keeps a screenshot. */
function step(name, fn) {
  it(name, { timeout: 90_000 }, async (t) => {
    if (failed) { t.skip('an earlier step failed'); return; }
    try {
      await fn();
      assert.deepEqual(external, [], 'requests left the appliance');
      assert.deepEqual(consoleErrors, [], 'the page logged errors');
    } catch (e) {
      failed = true;
      await keepArtifacts(name);
      throw e;
    }
  });
}

// --- helpers on the page ---------------------------------------------------------------------

const heading = (text) => page.getByRole('heading', { level: 1, name: text });

async function login({ email, password }) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

async function logout() {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
}

async function nav(label) {
  const link = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true });
  await link.click();
  await page.waitForFunction((l) => document.querySelector('[aria-current="page"]')?.textContent === l, label);
}

/** fetch() from the page with the session cookie and CSRF token, as the UI does. */
async function apiFromPage(method, url, body) {
  return page.evaluate(async ({ method, url, body }) => {
    const s = await (await fetch('/api/v1/auth/session')).json();
    const r = await fetch(url, {
      method,
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrfToken },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: await r.json() };
  }, { method, url, body });
}

// --- setup -----------------------------------------------------------------------------------

describe('admin UI in a real browser', { timeout: 600_000 }, () => {
  before(async () => {
    assert.ok(fs.existsSync(BIN), `binary not found: ${BIN} (run cargo build first)`);
    assert.ok(fs.existsSync(CHROMIUM), `chromium not found: ${CHROMIUM} (apt-get install chromium)`);
    fs.rmSync(ARTIFACTS, { recursive: true, force: true });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'admin-appliance-ui-'));
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    server = spawn(BIN, ['serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`], {
      env: {
        ...process.env,
        ADMIN_APPLIANCE_ADMIN_EMAIL: OPERATOR.email,
        ADMIN_APPLIANCE_ADMIN_PASSWORD: OPERATOR.password,
        ADMIN_APPLIANCE_SERVER__PUBLIC_URL: origin,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout.on('data', (d) => { serverLog += d; });
    server.stderr.on('data', (d) => { serverLog += d; });
    await waitHealthy(origin, START_TIMEOUT);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
    context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    // Route every request: only the appliance's origin may be reached.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url === origin || url.startsWith(`${origin}/`)) return route.continue();
      external.push(url);
      return route.abort('blockedbyclient');
    });
    page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
    page.setDefaultNavigationTimeout(STEP_TIMEOUT);
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      // Chromium logs every 4xx answer as "Failed to load resource"; the tests provoke some on
      // purpose (a field error is a 400). Those from the API are expected; anything else is not.
      const where = m.location()?.url || '';
      if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()) && where.startsWith(`${origin}/api/`)) return;
      consoleErrors.push(`console: ${m.text()} (${where})`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  });

  after(async () => {
    await browser?.close().catch(() => {});
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => { const t = setTimeout(() => { server.kill('SIGKILL'); r(); }, 10_000); server.once('exit', () => { clearTimeout(t); r(); }); });
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  // --- the walk-through ----------------------------------------------------------------------

  step('serves the app with its assets from the binary', async () => {
    const r = await fetch(`${origin}/tenants/some-client-route`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /text\/html/);
    const js = await fetch(`${origin}/app.js`);
    assert.match(js.headers.get('content-type'), /javascript/);
    const etag = js.headers.get('etag');
    assert.ok(etag, 'ETag on assets');
    assert.equal((await fetch(`${origin}/app.js`, { headers: { 'If-None-Match': etag } })).status, 304);
    assert.equal((await fetch(`${origin}/app.js`, { method: 'HEAD' })).status, 200);
    const api = await fetch(`${origin}/api/v1/no-such-thing`);
    assert.equal(api.status, 404);
    assert.match(api.headers.get('content-type'), /json/);
  });

  step('operator logs in and sees the dashboard', async () => {
    await page.goto(origin);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await login(OPERATOR);
    await heading('Dashboard').waitFor();
    await page.getByText('Tenants and users').waitFor();
  });

  step('operator gets field errors next to the fields, then creates a tenant', async () => {
    await nav('Tenants');
    await heading('Tenants').waitFor();
    await page.getByRole('button', { name: 'New tenant' }).click();
    const dialog = page.getByRole('dialog', { name: 'New tenant' });
    await dialog.getByLabel('Tenant name').fill(TENANT);
    await dialog.getByLabel('Plan').selectOption({ label: 'Pro (pro)' });
    await dialog.getByLabel('Admin first name').fill('Ada');
    await dialog.getByLabel('Admin last name').fill('Lovelace');
    await dialog.getByLabel('Admin email').fill('not-an-email');
    await dialog.getByLabel('Admin password').fill('short');
    await dialog.getByRole('button', { name: 'Create tenant' }).click();
    // The API's details.fields, shown next to (and linked to) their inputs.
    const email = dialog.getByLabel('Admin email');
    await dialog.locator('.field-error').first().waitFor();
    assert.equal(await email.getAttribute('aria-invalid'), 'true');
    const errId = (await email.getAttribute('aria-describedby')).split(' ')[0];
    assert.match(await dialog.locator(`[id="${errId}"]`).textContent(), /valid email/);
    assert.equal(await dialog.getByLabel('Admin password').getAttribute('aria-invalid'), 'true');

    await email.fill(ADMIN.email);
    await dialog.getByLabel('Admin password').fill(ADMIN.password);
    await dialog.getByRole('button', { name: 'Create tenant' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('link', { name: TENANT }).waitFor();
  });

  step('operator searches, opens the tenant and activates it', async () => {
    await page.getByRole('searchbox', { name: 'Search' }).fill('robot');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/search=robot/);
    await page.getByRole('link', { name: TENANT }).click();
    await heading(TENANT).waitFor();
    await page.getByRole('button', { name: 'Activate' }).click();
    await page.getByRole('dialog', { name: 'Activate tenant?' }).getByRole('button', { name: 'Activate' }).click();
    await page.locator('.page-head .badge-active').waitFor();
  });

  step('operator impersonates the tenant, read-only, and comes back', async () => {
    await page.getByRole('button', { name: 'Impersonate' }).click();
    await page.getByRole('dialog', { name: 'Impersonate tenant?' }).getByRole('button', { name: 'Impersonate' }).click();
    await page.getByText(/as an operator, read-only/).waitFor();
    await heading(TENANT).waitFor();
    await nav('Environments');
    await heading('Environments').waitFor();
    await page.getByText('No environments yet.').waitFor();
    assert.equal(await page.locator('main').getByRole('button', { name: /^New/ }).count(), 0);
    await page.getByRole('button', { name: 'End impersonation' }).click();
    await heading(TENANT).waitFor();
    await page.getByRole('button', { name: 'Suspend', exact: true }).waitFor();
    await logout();
  });

  step('tenant admin creates an environment', async () => {
    await login(ADMIN);
    await heading(TENANT).waitFor();
    await nav('Environments');
    await heading('Environments').waitFor();
    await page.getByRole('button', { name: 'New environment' }).click();
    const dialog = page.getByRole('dialog', { name: 'New environment' });
    await dialog.getByLabel('Name').fill('production');
    await dialog.getByLabel('Description').fill('Live traffic');
    await dialog.getByRole('button', { name: 'Create environment' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'production', exact: true }).waitFor();
  });

  step('a taken name is reported next to the field', async () => {
    await page.getByRole('button', { name: 'New environment' }).click();
    const dialog = page.getByRole('dialog', { name: 'New environment' });
    await dialog.getByLabel('Name').fill('production');
    await dialog.getByRole('button', { name: 'Create environment' }).click();
    await dialog.locator('.field-error').getByText(/already taken/).waitFor();
    assert.equal(await dialog.getByLabel('Name').getAttribute('aria-invalid'), 'true');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  step('tenant admin stores a secret variable, never shown again', async () => {
    await nav('Variables');
    await page.getByRole('button', { name: 'New variable' }).click();
    const dialog = page.getByRole('dialog', { name: 'New variable' });
    await dialog.getByLabel('Environment').selectOption({ label: 'production' });
    await dialog.getByLabel('Name').fill('API_KEY');
    await dialog.getByLabel('Value').fill('s3cret-value-42');
    await dialog.getByRole('button', { name: 'Create variable' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'API_KEY', exact: true }).waitFor();
    await page.getByLabel('value stored').waitFor();
    await page.getByRole('button', { name: 'Edit API_KEY' }).click();
    const edit = page.getByRole('dialog', { name: /Edit variable/ });
    assert.equal(await edit.getByLabel('Value').inputValue(), '');
    await edit.getByText('A value is stored.', { exact: false }).waitFor();
    await edit.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await page.content().then((h) => h.includes('s3cret-value-42')), false);
  });

  step('tenant admin versions a prompt template and renders it', async () => {
    await nav('Prompt templates');
    await page.getByRole('button', { name: 'New template' }).click();
    const dialog = page.getByRole('dialog', { name: 'New template' });
    await dialog.getByLabel('Name').fill('greeting');
    await dialog.getByLabel('Prompt text').fill('Hello {{name}}!');
    await dialog.getByRole('button', { name: 'Create template' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'greeting' }).click();
    await heading('greeting').waitFor();
    await page.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog', { name: /Edit/ });
    await edit.getByLabel('Prompt text').fill('Hi {{name}}, welcome!');
    await edit.getByRole('button', { name: 'Save as new version' }).click();
    await edit.waitFor({ state: 'detached' });
    await page.locator('.deflist').getByText('2', { exact: true }).waitFor();
    await page.getByRole('cell', { name: 'Hello {{name}}!', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Execute' }).click();
    const run = page.getByRole('dialog', { name: /Execute/ });
    await run.getByLabel('Values (JSON)').fill('{"name": "Ada"}');
    await run.getByRole('button', { name: 'Execute' }).click();
    await run.waitFor({ state: 'detached' });
    await page.getByRole('region', { name: 'Result' }).getByText('Hi Ada, welcome!').waitFor();
  });

  step('tenant admin creates a token, shown once with a copy button', async () => {
    await nav('API tokens');
    await page.getByRole('button', { name: 'New token' }).click();
    const dialog = page.getByRole('dialog', { name: 'New token' });
    await dialog.getByLabel('Name').fill('ci-deploy');
    await dialog.getByRole('button', { name: 'Create token' }).click();
    await dialog.waitFor({ state: 'detached' });
    const secretBox = page.getByRole('region', { name: /New token/ });
    const secret = await secretBox.getByRole('textbox', { name: 'Secret value' }).inputValue();
    assert.ok(secret.length > 20, `a token secret: ${secret}`);
    await secretBox.getByRole('button', { name: 'Copy' }).click();
    await secretBox.getByText('Copied', { exact: true }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    // The secret works (checked from here, not from the page).
    const me = await fetch(`${origin}/api/v1/me`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(me.status, 200);
    await page.getByRole('cell', { name: 'ci-deploy', exact: true }).waitFor();
    // Shown once: gone after a reload.
    await page.reload();
    await page.getByRole('cell', { name: 'ci-deploy', exact: true }).waitFor();
    assert.equal(await page.getByText(secret).count(), 0);
    assert.equal(await page.locator(`input[value="${secret}"]`).count(), 0);
  });

  step('tenant admin finds both in the audit log', async () => {
    await nav('Audit log');
    await heading('Audit log').waitFor();
    await page.getByRole('cell', { name: 'environment.created', exact: true }).waitFor();
    await page.getByRole('cell', { name: 'token.created', exact: true }).waitFor();
    await page.getByLabel('Action').fill('token.created');
    await page.getByLabel('Action').press('Enter');
    await page.waitForURL(/action=token.created/);
    await page.waitForFunction(() => !document.body.innerText.includes('environment.created'), null, { timeout: STEP_TIMEOUT });
    await page.getByRole('cell', { name: 'token.created', exact: true }).waitFor();
  });

  step('a guest sees no create, edit or delete controls', async () => {
    const r = await apiFromPage('POST', '/api/v1/users', { email: GUEST.email, name: 'Gus Guest', role: 'guest', password: GUEST.password });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await logout();
    await login(GUEST);
    await heading(TENANT).waitFor();
    const links = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    assert.ok(links.includes('Environments'));
    assert.ok(!links.includes('API tokens') && !links.includes('Audit log'), `guest nav: ${links}`);
    await nav('Environments');
    await page.getByRole('cell', { name: 'production', exact: true }).waitFor();
    const main = page.locator('main');
    assert.equal(await main.getByRole('button', { name: /^(New|Edit|Delete|Revoke)\b/ }).count(), 0);
    await nav('Variables');
    await heading('Variables').waitFor();
    assert.equal(await main.getByRole('button', { name: /^(New|Edit|Delete)\b/ }).count(), 0);
  });

  step('the layout works in a narrow window, by keyboard', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    const toggle = page.getByRole('button', { name: 'Menu' });
    await toggle.waitFor();
    assert.equal(await page.locator('#sidenav').isVisible(), false);
    await toggle.focus();
    await page.keyboard.press('Enter');
    await page.locator('#sidenav').waitFor({ state: 'visible' });
    await nav('Environments');
    assert.equal(await page.locator('#sidenav').isVisible(), false, 'the menu closes after navigating');
    await page.getByRole('cell', { name: 'production', exact: true }).waitFor();
    await page.setViewportSize({ width: 1366, height: 768 });
    await logout();
  });
});
