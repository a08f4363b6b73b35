import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createToken, revokeToken } from '../../src/auth/tokens.ts';
import { apiTokens, auditEvents, dashboardSessions } from '../../src/db/schema/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { testDeps } from '../support/app.ts';
import { cookiesOf, csrfOf, form, login } from './support.ts';

describe('dashboard log-in, sessions and CSRF', () => {
  let database: TestDatabase;
  let app: ReturnType<typeof createApp>;
  let token: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = createApp(testDeps(database, null, { DASHBOARD_SESSION_MINUTES: '30' }));
    token = (await createToken(database.db, 'ops', 'test')).token;
  });
  afterAll(async () => {
    await database.drop();
  });

  it('sends a page without a session to the login page, remembering where it was going', async () => {
    const response = await app.request('/?since=week');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/?since=week')}`);
    const htmx = await app.request('/', { headers: { 'HX-Request': 'true' } });
    expect(htmx.status).toBe(401);
    expect(htmx.headers.get('hx-redirect')).toBe('/login');
  });

  it('logs in with a token: HttpOnly, SameSite=Strict session cookie that expires; Secure behind TLS', async () => {
    const page = await app.request('https://hub.example/login');
    const html = await page.text();
    expect(html).toContain('<label for="field-token">API token</label>');
    const response = await app.request('https://hub.example/login', {
      method: 'POST',
      body: form({ token, _csrf: csrfOf(html), next: '/models' }).body,
      headers: { ...form({}).headers, cookie: `tl_login_csrf=${cookiesOf(page).tl_login_csrf}` },
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/models');
    const line = response.headers.getSetCookie().find((value) => value.startsWith('tl_session='));
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/SameSite=Strict/);
    expect(line).toMatch(/Secure/);
    expect(line).toMatch(/Max-Age=1800/);
    const plain = await login(app, token);
    expect(plain.cookie).not.toContain(token);
    const overview = await plain.get('/');
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain('ops · admin');
    const [row] = await database.db.select().from(dashboardSessions).limit(1);
    expect(row?.hash).not.toContain(plain.cookie.split('=')[1]);
  });

  it('refuses a wrong token with the error next to the field, and opens no session', async () => {
    const before = (await database.db.select().from(dashboardSessions)).length;
    const page = await app.request('/login');
    const response = await app.request('/login', {
      method: 'POST',
      body: form({ token: 'tl_' + 'x'.repeat(43), _csrf: csrfOf(await page.text()) }).body,
      headers: { ...form({}).headers, cookie: `tl_login_csrf=${cookiesOf(page).tl_login_csrf}` },
    });
    expect(response.status).toBe(401);
    const html = await response.text();
    expect(html).toMatch(/aria-invalid="true"[^>]*aria-describedby="field-token-error"/);
    expect(html).toContain('this token is unknown, revoked or expired');
    expect(cookiesOf(response).tl_session).toBeUndefined();
    expect((await database.db.select().from(dashboardSessions)).length).toBe(before);
  });

  it('refuses a login form without its CSRF token (403)', async () => {
    const response = await app.request('/login', { method: 'POST', ...form({ token }) });
    expect(response.status).toBe(403);
    expect(cookiesOf(response).tl_session).toBeUndefined();
  });

  it('answers 403 and changes nothing when a form has no or a wrong CSRF token', async () => {
    const browser = await login(app, token);
    for (const csrf of [null, 'forged']) {
      const response = await browser.post('/logout', {}, { csrf });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('nothing was changed');
      expect((await browser.get('/')).status).toBe(200);
    }
  });

  it('logs out: the session is gone and the cookie no longer opens pages', async () => {
    const browser = await login(app, token);
    const response = await browser.post('/logout', {});
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login?bye');
    expect((await browser.get('/')).status).toBe(303);
    const audit = await database.db.select().from(auditEvents).where(eq(auditEvents.action, 'dashboard.logout'));
    expect(audit.length).toBeGreaterThan(0);
  });

  it('ends sessions that expired and sessions whose token was revoked', async () => {
    const expiring = await login(app, token);
    await database.db.update(dashboardSessions).set({ expiresAt: new Date(Date.now() - 1000) });
    expect((await expiring.get('/')).status).toBe(303);

    const other = await createToken(database.db, 'temp', 'test');
    const browser = await login(app, other.token);
    expect((await browser.get('/')).status).toBe(200);
    await revokeToken(database.db, 'temp', 'test');
    const response = await browser.get('/');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login');

    const brief = await createToken(database.db, 'brief', 'test', { roles: ['viewer'] });
    const viewer = await login(app, brief.token);
    expect(await (await viewer.get('/')).text()).toContain('brief · viewer');
    await database.db.update(apiTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiTokens.id, brief.info.id));
    expect((await viewer.get('/')).status).toBe(303);
  });

  it('serves htmx and uPlot from node_modules, and pages under a strict Content-Security-Policy', async () => {
    const htmx = await app.request('/assets/htmx.min.js');
    expect(htmx.status).toBe(200);
    expect(await htmx.text()).toContain('htmx');
    expect((await app.request('/assets/uplot.min.js')).status).toBe(200);
    expect((await app.request('/assets/nope.js')).status).toBe(404);
    const page = await app.request('/login');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).not.toMatch(/<script>(?!<\/script>)/);
  });
});
