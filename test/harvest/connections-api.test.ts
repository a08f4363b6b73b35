import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { createSalesforceSandbox } from '../../integrations/salesforce/sandbox/index.ts';
import { createZendeskSandbox, SANDBOX_DEFAULTS } from '../../integrations/zendesk/sandbox/index.ts';
import { createApp } from '../../src/app.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { connections } from '../../src/db/schema/index.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { decryptJson } from '../../src/security/encryption.ts';
import { credentialsPlace } from '../../src/connections/open.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';

describe('connections API', () => {
  let database: TestDatabase;
  let queue: Queue;
  let deps: ReturnType<typeof testDeps>;
  let app: ReturnType<typeof createApp>;
  let headers: Record<string, string>;
  const zendesk = createZendeskSandbox({ seed: 2, tickets: 20 });
  let zendeskServer: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    deps = testDeps(database, queue, { VENDOR_ALLOWED_HOSTS: '127.0.0.1' });
    app = createApp(deps);
    headers = { Authorization: `Bearer ${(await createToken(database.db, 'api', 'test')).token}`, 'Content-Type': 'application/json' };
    zendeskServer = await zendesk.listen();
  });
  afterAll(async () => {
    await zendeskServer.close();
    await queue.stop({ timeoutMs: 1_000 });
    await database.drop();
  });

  const post = (path: string, body: unknown) => app.request(path, { method: 'POST', headers, body: JSON.stringify(body) });
  const connectionCount = async () => Number((await database.db.execute<{ n: string }>(sql`SELECT count(*)::text AS n FROM connections`)).rows[0]?.n);
  let connectionUrlCase = 0;
  const vendorCredentials: Record<string, Record<string, unknown>> = {
    zendesk: { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: 'tok' },
    salesforce: { type: 'oauth', accessToken: 'tok' },
    hubspot: { type: 'private_app', accessToken: 'tok' },
    slack: { type: 'bot_token', token: 'xoxb-tok' },
    intercom: { type: 'access_token', accessToken: 'tok' },
    email: { type: 'oauth2', username: 'officer@company.example', accessToken: 'tok', refreshToken: 'refresh', clientId: 'client' },
  };
  const zendeskBody = (name: string, token: string = SANDBOX_DEFAULTS.apiToken) => ({
    vendor: 'zendesk',
    name,
    settings: { baseUrl: zendeskServer.url },
    credentials: { type: 'api_token', email: SANDBOX_DEFAULTS.email, token },
  });

  it('limits URL settings to the vendors\' https domains unless VENDOR_ALLOWED_HOSTS names the host', async () => {
    const strict = createApp({ ...deps, config: { ...deps.config, VENDOR_ALLOWED_HOSTS: [] } });
    const attempt = (vendor: string, settings: Record<string, unknown>, on = strict) =>
      on.request('/api/v1/connections', { method: 'POST', headers, body: JSON.stringify({ vendor, name: `u-${connectionUrlCase++}`, settings, credentials: vendorCredentials[vendor] }) });
    const before = await connectionCount();
    const refused: Array<[string, Record<string, unknown>]> = [
      ['zendesk', { baseUrl: zendeskServer.url }],
      ['zendesk', { baseUrl: 'http://acme.zendesk.com' }],
      ['zendesk', { baseUrl: 'https://acme.zendesk.com.attacker.example' }],
      ['zendesk', { baseUrl: 'https://evilzendesk.com' }],
      ['zendesk', { baseUrl: 'https://169.254.169.254/latest' }],
      ['salesforce', { instanceUrl: 'https://acme.my.salesforce.com', loginUrl: 'https://10.0.0.5' }],
      ['hubspot', { baseUrl: 'https://internal.corp' }],
      ['slack', { channels: ['C0123ABCD'], apiUrl: 'http://127.0.0.1:9/api/' }],
      ['intercom', { baseUrl: 'https://intercom.io.internal' }],
      // The token endpoint receives the refresh token and the client secret.
      ['email', { host: 'imap.gmail.com', oauthTokenUrl: 'https://oauth2.googleapis.com.attacker.example/token' }],
      ['email', { host: 'imap.gmail.com', oauthTokenUrl: 'http://169.254.169.254/token' }],
    ];
    for (const [vendor, settings] of refused) {
      const response = await attempt(vendor, settings);
      expect(response.status, JSON.stringify(settings)).toBe(400);
      expect(await response.text()).toMatch(/must be https on .*VENDOR_ALLOWED_HOSTS/);
    }
    expect(await connectionCount()).toBe(before);
    const accepted: Array<[string, Record<string, unknown>]> = [
      ['zendesk', { baseUrl: 'https://acme.zendesk.com' }],
      ['zendesk', { subdomain: 'acme' }],
      ['salesforce', { instanceUrl: 'https://acme.my.salesforce.com', loginUrl: 'https://login.salesforce.com' }],
      ['hubspot', { baseUrl: 'https://api.hubapi.com' }],
      ['slack', { channels: ['C0123ABCD'], apiUrl: 'https://slack.com/api/' }],
      ['intercom', { baseUrl: 'https://api.eu.intercom.io' }],
      ['email', { host: 'imap.gmail.com', oauthTokenUrl: 'https://oauth2.googleapis.com/token' }],
      ['email', { host: 'outlook.office365.com', oauthTokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token' }],
      ['email', { host: 'imap.example.com' }],
    ];
    for (const [vendor, settings] of accepted) expect((await attempt(vendor, settings)).status, JSON.stringify(settings)).toBe(201);
    // The operator's setting allows a named host, over http too (the loopback sandboxes).
    expect((await attempt('zendesk', { baseUrl: zendeskServer.url }, app)).status).toBe(201);
    await database.db.execute(sql`DELETE FROM connections WHERE name LIKE 'u-%'`);
  });

  it('rejects bad input with a clear 400 and creates nothing, never echoing a secret', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...zendeskBody('x'), vendor: 'freshdesk' }, /unsupported vendor .*freshdesk/],
      [{ ...zendeskBody('x'), settings: {} }, /settings/],
      [{ ...zendeskBody('x'), credentials: { type: 'api_token', email: 'not-an-email', token: 'super-secret-value' } }, /credentials\.email/],
      [{ ...zendeskBody('bad name!') }, /name/],
      [{ ...zendeskBody('x'), schedule: 'every tuesday' }, /schedule/],
      [{ ...zendeskBody('x'), extra: true }, /extra|unrecognized/i],
    ];
    for (const [body, message] of cases) {
      const response = await post('/api/v1/connections', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const text = await response.text();
      expect(text, text).toMatch(message);
      expect(text).not.toContain('super-secret-value');
    }
    expect(await connectionCount()).toBe(0);
  });

  it('stores credentials encrypted and never returns them', async () => {
    const created = await post('/api/v1/connections', zendeskBody('zd-api'));
    expect(created.status).toBe(201);
    const body = (await created.json()) as { id: string; credentials: { type: string; fields: string[] } };
    expect(body.credentials).toEqual({ type: 'api_token', fields: ['email', 'token'] });

    const [row] = await database.db.select().from(connections).where(eq(connections.id, body.id));
    expect(row?.credentialsEncrypted).not.toContain(SANDBOX_DEFAULTS.apiToken);
    expect(decryptJson(deps.keyring, row?.credentialsEncrypted ?? '', credentialsPlace(body.id))).toMatchObject({ token: SANDBOX_DEFAULTS.apiToken });

    for (const path of ['/api/v1/connections', `/api/v1/connections/${body.id}`, `/api/v1/connections/zd-api`]) {
      const text = await (await app.request(path, { headers })).text();
      expect(text).toContain('zd-api');
      expect(text).not.toContain(SANDBOX_DEFAULTS.apiToken);
    }
    expect(JSON.stringify(captureLogger().lines())).not.toContain(SANDBOX_DEFAULTS.apiToken);
    expect((await post('/api/v1/connections', zendeskBody('zd-api'))).status).toBe(400); // name taken
  });

  it('tests a connection against the vendor, changing nothing', async () => {
    const good = await (await post('/api/v1/connections/zd-api/test', {})).json();
    expect(good).toEqual({ ok: true, detail: expect.stringContaining('as Tuneloop Integration (admin)') });
    await post('/api/v1/connections', zendeskBody('zd-wrong', 'wrong-token'));
    const bad = (await (await post('/api/v1/connections/zd-wrong/test', {})).json()) as { ok: boolean; detail: string };
    expect(bad.ok).toBe(false);
    expect(bad.detail).toMatch(/Zendesk rejected the credentials \(401\)/);
    expect(bad.detail).not.toContain('wrong-token');
  });

  it('starts one harvest per connection through the queue, and reports it', async () => {
    const first = await post('/api/v1/connections/zd-api/harvests', {});
    expect(first.status).toBe(202);
    const run = (await first.json()) as { id: string; status: string };
    const second = await post('/api/v1/connections/zd-api/harvests', {});
    expect(second.status).toBe(200);
    expect(((await second.json()) as { id: string }).id).toBe(run.id);
    const shown = await app.request(`/api/v1/harvests/${run.id}`, { headers });
    expect(shown.status).toBe(200);
    expect(((await shown.json()) as { status: string }).status).toBe('queued');
    expect((await app.request('/api/v1/harvests/not-a-uuid', { headers })).status).toBe(400);
    expect((await app.request(`/api/v1/harvests/${crypto.randomUUID()}`, { headers })).status).toBe(404);
    const cancelled = await post(`/api/v1/harvests/${run.id}/cancel`, {});
    expect(((await cancelled.json()) as { status: string }).status).toBe('cancelled');
  });

  it('registers a cron schedule with pg-boss and removes it with the connection', async () => {
    const created = await post('/api/v1/connections', { ...zendeskBody('zd-scheduled'), schedule: '*/15 * * * *' });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await queue.scheduleKeys('harvest.run'))).toContain(id);
    const deleted = await app.request(`/api/v1/connections/${id}`, { method: 'DELETE', headers });
    expect(deleted.status).toBe(200);
    expect((await queue.scheduleKeys('harvest.run'))).not.toContain(id);
    expect((await app.request(`/api/v1/connections/${id}`, { headers })).status).toBe(404);
  });

  it('refreshes an expired Salesforce OAuth token during a harvest and stores the new one, encrypted', async () => {
    const salesforce = createSalesforceSandbox({ seed: 4, cases: 30 });
    const server = await salesforce.listen();
    try {
      const { accessToken, refreshToken } = salesforce.auth.authorize();
      const c = salesforce.credentials;
      const created = await post('/api/v1/connections', {
        vendor: 'salesforce',
        name: 'sf-oauth',
        settings: { instanceUrl: server.url },
        credentials: { type: 'oauth', accessToken, refreshToken, clientId: c.clientId, clientSecret: c.clientSecret },
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      salesforce.auth.expireAccessTokens();

      const { executeRun } = await import('../../src/harvest/execute.ts');
      const { createRun } = await import('../../src/harvest/runs.ts');
      const { run } = await createRun(database.db, id, 'manual', null);
      const done = await executeRun({ ...deps, batchSize: 50 }, run.id, { lastAttempt: true });
      expect(done?.status, done?.error ?? '').toBe('succeeded');
      expect(done?.conversationsCreated).toBe(30);
      const [row] = await database.db.select().from(connections).where(eq(connections.id, id));
      const stored = decryptJson(deps.keyring, row?.credentialsEncrypted ?? '', credentialsPlace(id)) as { accessToken: string; refreshToken: string };
      expect(stored.accessToken).not.toBe(accessToken);
      expect(stored.refreshToken).toBe(refreshToken);

      salesforce.auth.revoke(refreshToken);
      salesforce.auth.expireAccessTokens();
      const again = await createRun(database.db, id, 'manual', null);
      const failed = await executeRun({ ...deps, batchSize: 50 }, again.run.id, { lastAttempt: true });
      expect(failed?.status).toBe('failed');
      expect(failed?.error).toMatch(/refresh|reconnect|expired|revoked/i);
    } finally {
      await server.close();
    }
  });
});
