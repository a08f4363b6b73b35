/**
 * The HubSpot connector when things go wrong, against the loopback sandbox: 429 storms with and
 * without Retry-After, HubSpot's enforced limits (paced by its headers), the daily limit, 5xx
 * bursts and outages, bad and expired tokens, OAuth renewal, missing scopes, unreachable hosts,
 * malformed answers; plus the connection test, settings, and posting a note on a ticket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHubSpotConnector, createTicketNote, hubspotConnector, type HubSpotCredentials } from '../../integrations/hubspot/connector.ts';
import { createHubSpotSandbox, SANDBOX_DEFAULTS, type HubSpotSandboxOptions } from '../../integrations/hubspot/sandbox/index.ts';
import { VendorError, type Connector, type Cursor, type HarvestBatch } from '../../integrations/types.ts';

const TOKEN = { type: 'private_app', accessToken: SANDBOX_DEFAULTS.privateAppToken } as const;
const FAST_RETRY = { retryPolicy: { baseDelayMs: 2, maxDelayMs: 20 } };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

/** HubSpot's real limits are on in the sandbox by default; tests of other faults lift them (limits: { enforce } turns them back on). */
async function startSandbox(options: HubSpotSandboxOptions = {}) {
  const sandbox = createHubSpotSandbox({ seed: 5, conversations: 40, rateLimits: false, ...options });
  const { url, close } = await sandbox.listen();
  closers.push(close);
  return { sandbox, url };
}

async function collect(connector: Connector, cursor: Cursor | null = null): Promise<HarvestBatch[]> {
  const batches: HarvestBatch[] = [];
  for await (const batch of connector.harvest(cursor)) batches.push(batch);
  return batches;
}

const count = (batches: HarvestBatch[]) => new Set(batches.flatMap((batch) => batch.conversations.map((c) => c.sourceId))).size;

async function failureOf(promise: Promise<unknown>): Promise<VendorError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(VendorError);
  return error as VendorError;
}

describe('hubspot connector: rate limits and outages', () => {
  it('completes a 429 storm with Retry-After without arriving before any of them', async () => {
    const { url, sandbox } = await startSandbox({ conversations: 100, rateLimitEvery: 5, retryAfterSeconds: 0.05 });
    const batches = await collect(hubspotConnector.create({ baseUrl: url }, TOKEN));
    expect(count(batches)).toBe(100);
    // Tickets no longer cost a read each, so the harvest makes fewer calls (and meets fewer 429s).
    expect(sandbox.store.requestLog.filter((entry) => entry.status === 429).length).toBeGreaterThanOrEqual(10);
    expect(sandbox.store.violations).toEqual([]);
  });

  it('waits out the rolling window when 429s carry no Retry-After', async () => {
    const { url, sandbox } = await startSandbox({ conversations: 30, rateLimitEvery: 4, retryAfterSeconds: 0.05, omitRetryAfter: true, limits: { intervalMs: 80 } });
    const waits: unknown[] = [];
    const log = { debug: () => undefined, info: () => undefined, warn: (entry: object) => void waits.push((entry as { delayMs?: unknown }).delayMs) };
    const batches = await collect(hubspotConnector.create({ baseUrl: url }, TOKEN, { log }));
    expect(count(batches)).toBe(30);
    // The 429s name the TEN_SECONDLY_ROLLING policy and its window (X-HubSpot-RateLimit-Interval-Milliseconds).
    expect(new Set(waits)).toEqual(new Set([80]));
    expect(sandbox.store.requestLog.filter((entry) => entry.status === 429).length).toBeGreaterThanOrEqual(5);
    expect(sandbox.store.violations).toEqual([]);
  });

  it("paces itself by HubSpot's rate-limit headers under enforced limits", async () => {
    const limits = { enforce: true, perInterval: 12, intervalMs: 120, searchPerWindow: 2, searchWindowMs: 60 };
    const { url, sandbox } = await startSandbox({ conversations: 40, limits });
    const batches = await collect(hubspotConnector.create({ baseUrl: url, pageSize: 5 }, TOKEN));
    expect(count(batches)).toBe(40);
    const refused = sandbox.store.requestLog.filter((entry) => entry.status === 429);
    // The rolling window is never exceeded (the remaining-calls header says when to wait); the
    // search limit sends no headers, so its 429s are waited out, never hammered.
    expect(refused.filter((entry) => !entry.path.endsWith('/search'))).toEqual([]);
    expect(sandbox.store.violations).toEqual([]);
  });

  it('stops at the daily limit with a clear error and no retries', async () => {
    const { url, sandbox } = await startSandbox({ conversations: 20, limits: { enforce: true, daily: 8 } });
    const error = await failureOf(collect(createHubSpotConnector({ baseUrl: url }, TOKEN, FAST_RETRY)));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("HubSpot's daily API limit for this app is used up (429 DAILY)");
    expect(sandbox.store.requestLog.filter((entry) => entry.status === 429)).toHaveLength(1);
    expect(sandbox.store.violations).toEqual([]);
  });

  it('survives bursts of 5xx answers mid-harvest', async () => {
    const { url, sandbox } = await startSandbox({ conversations: 50 });
    const connector = createHubSpotConnector({ baseUrl: url }, TOKEN, { ...FAST_RETRY, batchSize: 10 });
    const batches: HarvestBatch[] = [];
    for await (const batch of connector.harvest(null)) {
      if (batches.length === 0) sandbox.setFaults({ errorBurst: 3, errorStatus: 503 });
      // After the last thread batch: the ticket phase's first calls meet the 502s.
      if (batches.length === 2) sandbox.setFaults({ errorBurst: 2, errorStatus: 502 });
      batches.push(batch);
    }
    expect(count(batches)).toBe(50);
    expect(sandbox.store.requestLog.filter((entry) => entry.status >= 500).map((entry) => entry.status)).toEqual([503, 503, 503, 502, 502]);
  });

  it('gives up on a long outage with a transient error', async () => {
    const { url } = await startSandbox({ conversations: 4, errorBurst: 100, errorStatus: 504 });
    const error = await failureOf(collect(createHubSpotConnector({ baseUrl: url }, TOKEN, { retryPolicy: { maxAttempts: 3, baseDelayMs: 1 } })));
    expect(error.kind).toBe('transient');
    expect(error.message).toContain('HubSpot is unavailable (504)');
  });
});

describe('hubspot connector: tokens and scopes', () => {
  it('reports a wrong private app token as an auth error without the token', async () => {
    const { url } = await startSandbox({ conversations: 4 });
    const connector = hubspotConnector.create({ baseUrl: url }, { type: 'private_app', accessToken: 'wrong-token-4711' });
    const error = await failureOf(collect(connector));
    expect(error).toMatchObject({ kind: 'auth', status: 401 });
    expect(error.message).toContain('HubSpot rejected the access token (401)');
    expect(error.message).toContain('Private Apps');
    expect(error.message).not.toContain('wrong-token-4711');
    const result = await connector.test();
    expect(result.ok).toBe(false);
    expect(result.detail).toContain('HubSpot rejected the access token (401)');
    expect(result.detail).not.toContain('wrong-token-4711');
  });

  it('names the missing scope, in the harvest and in the connection test', async () => {
    const { url } = await startSandbox({ conversations: 4, scopes: ['tickets', 'sales-email-read', 'crm.objects.contacts.read'] });
    const connector = hubspotConnector.create({ baseUrl: url }, TOKEN);
    const error = await failureOf(collect(connector));
    expect(error).toMatchObject({ kind: 'forbidden', status: 403 });
    expect(error.message).toMatch(/^missing scope conversations\.read \(403\) to list inbox threads/);
    expect(await connector.test()).toEqual({ ok: false, detail: expect.stringContaining('missing scope conversations.read (inbox threads and their messages)') });

    const noEmails = await startSandbox({ conversations: 4, scopes: ['conversations.read', 'tickets', 'crm.objects.contacts.read'] });
    const emailError = await failureOf(collect(hubspotConnector.create({ baseUrl: noEmails.url }, TOKEN)));
    // The first call that needs it now finds the tickets' emails (v4 associations), before reading them.
    expect(emailError.message).toMatch(/^missing scope sales-email-read \(403\) to (read|find the) emails/);
  });

  it('keeps ticket owners as ids when the owners scope is missing', async () => {
    const { url } = await startSandbox({ conversations: 4, scopes: ['conversations.read', 'tickets', 'sales-email-read', 'crm.objects.contacts.read'] });
    const batches = await collect(hubspotConnector.create({ baseUrl: url }, TOKEN));
    const ticket = batches.flatMap((batch) => batch.conversations).find((c) => c.sourceId.startsWith('ticket:'));
    expect(ticket?.assignee).toEqual({ id: expect.any(String), name: null, email: null });
  });

  it('tests a good connection, and a token from another portal', async () => {
    const { url } = await startSandbox({ conversations: 1 });
    const host = new URL(url).host;
    expect(await hubspotConnector.create({ baseUrl: url }, TOKEN).test()).toEqual({ ok: true, detail: `connected to HubSpot account ${SANDBOX_DEFAULTS.portalId} on ${host} with every scope the harvest needs` });
    expect(await hubspotConnector.create({ baseUrl: url, portalId: 99 }, TOKEN).test()).toEqual({ ok: false, detail: `the token belongs to HubSpot account ${SANDBOX_DEFAULTS.portalId}, not to the configured portal 99` });
  });

  it('renews an expired OAuth token once and hands the new one to the hub', async () => {
    const { url, sandbox } = await startSandbox({ conversations: 20, oauthTokens: ['old-access-token'] });
    sandbox.setOAuthToken('old-access-token', 'expired');
    const credentials: HubSpotCredentials = { type: 'oauth', accessToken: 'old-access-token', refreshToken: SANDBOX_DEFAULTS.refreshToken, clientId: SANDBOX_DEFAULTS.clientId, clientSecret: SANDBOX_DEFAULTS.clientSecret };
    const saved: Record<string, unknown>[] = [];
    const connector = hubspotConnector.create({ baseUrl: url }, credentials, { onCredentialsRefreshed: async (c) => void saved.push(c) });
    expect(count(await collect(connector))).toBe(20);
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ type: 'oauth', refreshToken: SANDBOX_DEFAULTS.refreshToken, clientId: SANDBOX_DEFAULTS.clientId });
    expect(saved[0]?.accessToken).not.toBe('old-access-token');
    expect(hubspotConnector.credentialsSchema.safeParse(saved[0]).success).toBe(true);
    expect(sandbox.store.requestLog.filter((entry) => entry.path === '/oauth/v1/token')).toHaveLength(1);
    expect((await connector.test()).ok).toBe(true);
  });

  it('explains an expired OAuth token that cannot be renewed', async () => {
    const { url, sandbox } = await startSandbox({ conversations: 4, oauthTokens: ['short-lived'] });
    sandbox.setOAuthToken('short-lived', 'expired');
    const expired = await failureOf(collect(hubspotConnector.create({ baseUrl: url }, { type: 'oauth', accessToken: 'short-lived' })));
    expect(expired.message).toContain('The OAuth access token is expired and could not be renewed: reconnect HubSpot');
    const wrongSecret = { type: 'oauth', accessToken: 'short-lived', refreshToken: SANDBOX_DEFAULTS.refreshToken, clientId: SANDBOX_DEFAULTS.clientId, clientSecret: 'not-the-secret' } as const;
    const refused = await failureOf(collect(hubspotConnector.create({ baseUrl: url }, wrongSecret)));
    expect(refused.kind).toBe('auth');
    expect(refused.message).toContain('HubSpot refused to renew the OAuth access token (400)');
    expect(refused.message).not.toContain('not-the-secret');
  });

  it('names a host that does not resolve and a refused connection', async () => {
    // .invalid never resolves (RFC 2606), so this never leaves the machine.
    const unresolvable = hubspotConnector.create({ baseUrl: 'http://tuneloop-sandbox.invalid' }, TOKEN);
    expect(await unresolvable.test()).toEqual({ ok: false, detail: 'host not found: tuneloop-sandbox.invalid' });
    const { url } = await startSandbox({ conversations: 1 });
    await closers.pop()?.();
    const refused = await failureOf(collect(createHubSpotConnector({ baseUrl: url }, TOKEN, { retryPolicy: { maxAttempts: 2, baseDelayMs: 1 } })));
    expect(refused.kind).toBe('network');
    expect(refused.message).toBe(`connection refused by ${new URL(url).host}: is the HubSpot base URL right?`);
  });
});

describe('hubspot connector: malformed answers', () => {
  it('reports HTML where JSON was expected', async () => {
    const { url } = await startSandbox({ conversations: 4, malformed: 'html' });
    const error = await failureOf(collect(hubspotConnector.create({ baseUrl: url }, TOKEN)));
    expect(error.kind).toBe('malformed');
    expect(error.message).toContain('with text/html instead of JSON (status 200)');
  });

  it('names missing fields', async () => {
    const { url } = await startSandbox({ conversations: 4, malformed: 'missing-fields' });
    const error = await failureOf(collect(hubspotConnector.create({ baseUrl: url }, TOKEN)));
    expect(error.kind).toBe('malformed');
    expect(error.message).toContain('list inbox threads');
    expect(error.message).toMatch(/results\[0\]\.(id|createdAt)/);
  });

  it('retries JSON cut off part-way, and reports it when it stays cut off', async () => {
    const { url, sandbox } = await startSandbox({ conversations: 4, malformed: 'bad-json' });
    const error = await failureOf(collect(createHubSpotConnector({ baseUrl: url }, TOKEN, { retryPolicy: { maxAttempts: 3, baseDelayMs: 1 } })));
    expect(error.kind).toBe('transient');
    expect(error.message).toContain('said it was JSON but was cut off or could not be parsed');
    expect(sandbox.store.requestLog).toHaveLength(3);
    sandbox.setFaults({ malformed: null });
    expect(count(await collect(createHubSpotConnector({ baseUrl: url }, TOKEN, FAST_RETRY)))).toBe(4);
  });

  it('reports a malformed CRM answer read through the SDK', async () => {
    // One thread, then the tickets: the fault starts once the thread is harvested.
    const { url, sandbox } = await startSandbox({ conversations: 2 });
    const connector = hubspotConnector.create({ baseUrl: url }, TOKEN, { batchSize: 1 });
    const failure = (async () => {
      for await (const batch of connector.harvest(null)) if (batch.conversations[0]?.sourceId.startsWith('thread:')) sandbox.setFaults({ malformed: 'missing-fields' });
    })();
    const error = await failureOf(failure);
    expect(error.message).toMatch(/^HubSpot's answer to search tickets modified since .* is missing or has unexpected fields: results\[0\]\.id/);
  });
});

describe('hubspot connector: settings, cursors, notes', () => {
  it('validates settings and both credential kinds', () => {
    const { settingsSchema, credentialsSchema } = hubspotConnector;
    expect(settingsSchema.safeParse({}).success).toBe(true);
    expect(settingsSchema.parse({ portalId: '4412345', ticketProperties: 'support_intent, hs_ticket_category' })).toEqual({ portalId: 4412345, ticketProperties: ['support_intent', 'hs_ticket_category'] });
    expect(settingsSchema.safeParse({ baseUrl: 'not a url' }).success).toBe(false);
    expect(settingsSchema.safeParse({ pageSize: 500 }).success).toBe(false);
    expect(settingsSchema.safeParse({ subdomain: 'acme' }).success).toBe(false);
    expect(settingsSchema.safeParse({ ticketProperties: ['Bad Name'] }).success).toBe(false);
    expect(credentialsSchema.safeParse(TOKEN).success).toBe(true);
    expect(credentialsSchema.safeParse({ type: 'oauth', accessToken: 'a', refreshToken: 'r', clientId: 'c', clientSecret: 's' }).success).toBe(true);
    expect(credentialsSchema.safeParse({ type: 'private_app', token: 'x' }).success).toBe(false);
    expect(credentialsSchema.safeParse({ type: 'api_key', accessToken: 'x' }).success).toBe(false);
  });

  it('rejects a cursor it did not write', async () => {
    const connector = hubspotConnector.create({}, TOKEN);
    await expect(collect(connector, { afterCursor: 'abc' })).rejects.toThrow('not a HubSpot harvest cursor');
  });

  it('posts a draft as a note on the ticket, which the next harvest brings as an internal message', async () => {
    const { url, sandbox } = await startSandbox({ conversations: 6 });
    const connector = hubspotConnector.create({ baseUrl: url }, TOKEN);
    const final = (await collect(connector)).at(-1)?.cursor ?? null;
    const ticketId = [...sandbox.store.objects.tickets.keys()][0] ?? '';
    const { id } = await createTicketNote({ baseUrl: url }, TOKEN, { ticketId, text: 'Draft reply:\nYour refund is on its way.' });
    expect(sandbox.store.objects.notes.get(id)?.associations.tickets).toEqual([ticketId]);

    const next = (await collect(connector, final)).flatMap((batch) => batch.conversations);
    expect(next.map((c) => c.sourceId)).toEqual([`ticket:${ticketId}`]);
    expect(next[0]?.messages.at(-1)).toMatchObject({ sourceId: `note:${id}`, visibility: 'internal', body: 'Draft reply:\nYour refund is on its way.' });
  });
});
