/**
 * The dashboard in headless Chromium (Debian's `chromium`, driven by playwright-core) against a real
 * hub: PostgreSQL, pg-boss with the real job handlers, the Zendesk sandbox, the gpu-worker training
 * a tiny model on the CPU. An operator harvests, builds a dataset, starts a run and watches its loss
 * curve grow, sees the evaluation and promotes; a compliance officer resolves an alert with its
 * evidence; a viewer sees no action buttons and gets 403 from the API. Every page is screenshotted
 * under test-output/dashboard/. Skipped, saying why, where there is no Chromium or no python3.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { and, eq, sql } from 'drizzle-orm';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createZendeskSandbox, SANDBOX_DEFAULTS } from '../../integrations/zendesk/sandbox/index.ts';
import { createApp } from '../../src/app.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { complianceAlerts, models } from '../../src/db/schema/index.ts';
import { registerHandlers } from '../../src/jobs/handlers.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { ensureWorkerVenv, fastHyperparameters, pythonMissing, tinyModel } from '../training/support.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = join(ROOT, 'test-output', 'dashboard');
const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const skip = !CHROMIUM ? "Chromium is not installed (Debian: apt-get install chromium; or set CHROMIUM_PATH)" : pythonMissing();
if (skip) console.warn(`skipping the dashboard browser tests: ${skip}`);

describe.skipIf(skip)('dashboard in headless Chromium', () => {
  let database: TestDatabase;
  let queue: Queue;
  let server: ServerType;
  let base = '';
  let browser: Browser;
  let closeSandbox: () => Promise<void>;
  let sandboxUrl = '';
  let model = '';
  const tokens: Record<string, string> = {};
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-e2e-'));
  let shot = 0;

  beforeAll(async () => {
    ensureWorkerVenv();
    model = tinyModel();
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    database = await createTestDatabase();
    const { log } = captureLogger();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log });
    const deps = { ...testDeps(database, queue, { TUNELOOP_HOME: home, EVALUATION_MAX_EXAMPLES: '4', EVALUATION_MAX_NEW_TOKENS: '8', VENDOR_ALLOWED_HOSTS: '127.0.0.1' }), log };
    await registerHandlers({ ...deps, queue }, ['harvest.run', 'dataset.build', 'finetune.train', 'model.evaluate', 'compliance.scan'], 2);
    const app = createApp(deps);
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
        base = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
    const sandbox = await createZendeskSandbox({ seed: 7, tickets: 150, rateLimits: false }).listen(0);
    sandboxUrl = sandbox.url;
    closeSandbox = sandbox.close;
    for (const role of ['admin', 'operator', 'compliance', 'viewer'] as const) tokens[role] = (await createToken(database.db, `${role}-e2e`, 'test', { roles: [role] })).token;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  }, 20 * 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await closeSandbox?.();
    await queue?.stop({ timeoutMs: 5_000 });
    await database?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  const screenshot = async (page: Page, name: string) => {
    shot += 1;
    await page.screenshot({ path: join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  };

  const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

  const loginAs = async (role: string): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('API token').fill(tokens[role] ?? '');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${base}/`);
    return page;
  };

  it('operator: harvest, dataset, a tiny CPU run with a growing loss curve, evaluation, promotion', async () => {
    const admin = await loginAs('admin');
    await screenshot(admin, 'overview-empty');
    await nav(admin, 'Connections').click();
    await admin.getByLabel('Vendor').selectOption('zendesk');
    await admin.getByLabel('Name').fill('zendesk-sandbox');
    await admin.getByLabel('Settings (JSON)').fill(JSON.stringify({ baseUrl: sandboxUrl }));
    await admin.getByLabel(/^Credentials/).fill(JSON.stringify({ type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken }));
    await admin.getByRole('button', { name: 'Add connection' }).click();
    await admin.waitForURL(/\/connections\/[0-9a-f-]{36}$/);
    const connectionUrl = admin.url();
    await admin.context().close();

    const page = await loginAs('operator');
    await page.goto(connectionUrl);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect.poll(() => page.locator('#test-result').textContent()).toMatch(/^Works/);
    await page.getByRole('button', { name: 'Harvest now' }).click();
    await page.locator('tr[data-harvest] .status-succeeded').waitFor({ timeout: 120_000 });
    expect(Number(await page.locator('tr[data-harvest] td.num').first().textContent())).toBeGreaterThan(0);
    await screenshot(page, 'connection');

    await nav(page, 'Datasets').click();
    await page.getByLabel('Name').fill('replies');
    await page.getByLabel('Task').selectOption('reply');
    await page.getByRole('button', { name: 'Create dataset' }).click();
    await page.getByRole('button', { name: 'Build a new version' }).click();
    // The list reloads itself while a version builds.
    await page.locator('#dataset-replies .status-ready').waitFor({ timeout: 120_000 });
    await screenshot(page, 'datasets');
    await page.getByRole('link', { name: 'replies v1' }).click();
    await expect.poll(() => page.getByRole('table', { name: 'examples per split' }).textContent()).toMatch(/train\d+/);
    await screenshot(page, 'dataset-version');

    await nav(page, 'Runs').click();
    await page.getByLabel('Base model').fill(model);
    await page.getByLabel(/^Hyperparameters/).fill(JSON.stringify(fastHyperparameters({ max_steps: 16, eval_every_steps: 4, max_seq_length: 1024 })));
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    // The curve grows while it trains: first a point, later more, from the live stream.
    const points = async () => Number((await page.locator('#loss-chart').getAttribute('data-points')) ?? 0);
    await expect
      .poll(points, { timeout: 180_000 })
      .toBeGreaterThan(0)
      .catch(async (error: unknown) => {
        await screenshot(page, 'run-stuck');
        const events = await database.db.execute(sql`SELECT type, message FROM fine_tuning_events ORDER BY id`);
        throw new Error(`no loss point: ${JSON.stringify(events.rows).slice(0, 3000)}`, { cause: error });
      });
    const first = await points();
    await screenshot(page, 'run-training');
    await expect.poll(points, { timeout: 180_000 }).toBeGreaterThan(first);
    await page.locator('.status-succeeded').first().waitFor({ timeout: 180_000 });
    await expect.poll(async () => Number((await page.locator('#loss-chart').getAttribute('data-eval-points')) ?? 0)).toBeGreaterThan(0);
    await expect(page.locator('text=★ best').count()).resolves.toBe(1);
    await screenshot(page, 'run-finished');

    await page.locator('a[href^="/models/"]').first().click();
    // A finished run queues its evaluation; where it has not, the operator asks for one.
    const evaluate = page.getByRole('button', { name: 'Evaluate on the test split' });
    if (await evaluate.count()) await evaluate.click();
    // The page reloads itself while the evaluation runs.
    await page.locator('#evaluation table').waitFor({ timeout: 180_000 });
    await expect(page.locator('#gate h2').textContent()).resolves.toMatch(/Gate: (may be promoted|blocked)/);
    await screenshot(page, 'model-evaluation');
    if (await page.getByRole('button', { name: 'Force promote' }).count()) {
      await page.getByRole('button', { name: 'Force promote' }).click();
      // A forced promotion without a reason: the error next to the field, nothing changed.
      await expect(page.locator('#field-reason-error').textContent()).resolves.toContain('needs a reason');
      await page.getByLabel(/^Reason/).fill('tiny test model: accepted by the e2e test');
      await page.getByRole('button', { name: 'Force promote' }).click();
    } else {
      await page.getByRole('button', { name: 'Promote', exact: true }).click();
    }
    await page.locator('main .status-production').first().waitFor();
    const [promoted] = await database.db.select().from(models).where(eq(models.status, 'production'));
    expect(promoted?.task).toBe('reply');
    await nav(page, 'Models').click();
    await screenshot(page, 'models');
    await nav(page, 'Overview').click();
    await screenshot(page, 'overview');
    await nav(page, 'Runs').click();
    await screenshot(page, 'runs');
    await page.context().close();
  }, 600_000);

  it('compliance: sees an alert with its evidence highlighted, resolves it, and finds it in the audit log', async () => {
    await expect.poll(async () => (await database.db.select().from(complianceAlerts)).length, { timeout: 60_000 }).toBeGreaterThan(0);
    const page = await loginAs('compliance');
    await nav(page, 'Alerts').click();
    await page.getByLabel('State').selectOption('open');
    await page.waitForURL(/status=open/);
    await screenshot(page, 'alerts');
    await page.locator('tbody a[href^="/alerts/"]').first().click();
    const id = page.url().split('/').pop() ?? '';
    expect(await page.locator('pre.evidence mark').count()).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByLabel(/^Note/).fill('customer data was pasted by mistake; removed');
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.locator('main .status-resolved').first().waitFor();
    await screenshot(page, 'alert-resolved');
    const [alert] = await database.db.select().from(complianceAlerts).where(and(eq(complianceAlerts.id, id)));
    expect(alert?.status).toBe('resolved');
    expect(alert?.transitions.at(-1)).toMatchObject({ to: 'resolved', actor: 'token:compliance-e2e', note: 'customer data was pasted by mistake; removed' });
    await nav(page, 'Audit log').click();
    await page.getByLabel('Action (starts with)').fill('alert.');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page.locator('main tbody').textContent()).resolves.toContain('alert.resolved');
    await screenshot(page, 'audit');
    await page.context().close();
  }, 180_000);

  it('viewer: sees the pages without a single action button, and the API answers 403', async () => {
    const page = await loginAs('viewer');
    const [production] = await database.db.select().from(models).where(eq(models.status, 'production'));
    for (const path of ['/', '/connections', '/datasets', '/runs', '/models', `/models/${production?.id}`]) {
      await page.goto(`${base}${path}`);
      const buttons = await page.locator('main button, main form[method="post"]').count();
      expect(buttons, path).toBe(0);
    }
    await screenshot(page, 'viewer-model');
    expect(await nav(page, 'Alerts').count()).toBe(0);
    const response = await fetch(`${base}/api/v1/models/rollback`, { method: 'POST', headers: { Authorization: `Bearer ${tokens.viewer}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ task: 'reply' }) });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: 'forbidden', message: 'this needs the operator role' } });
    // The same refusal from the dashboard itself, with the session's CSRF token: nothing changes.
    const csrf = (await page.locator('input[name="_csrf"]').first().getAttribute('value')) ?? '';
    const refused = await page.request.post(`${base}/models/rollback`, { form: { task: 'reply', _csrf: csrf } });
    expect(refused.status()).toBe(403);
    expect((await database.db.select().from(models).where(eq(models.status, 'production'))).map((m) => m.id)).toEqual([production?.id]);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/login\?bye/);
    await screenshot(page, 'login');
    await page.context().close();
  }, 120_000);
});
