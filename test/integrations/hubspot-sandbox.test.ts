/**
 * The HubSpot sandbox on its own, through app.request (no sockets): HubSpot's auth and scope
 * errors, thread and message listing and paging, the CRM search (operators, one sort, the result
 * cap), batch reads with 207, rate limits with their headers and 429 policy bodies, Retry-After
 * policing, notes, OAuth refresh and truncated messages, as HubSpot documents them (https://developers.hubspot.com/docs/api/overview).
 */
import { describe, expect, it } from 'vitest';
import { createHubSpotSandbox, SANDBOX_DEFAULTS, type HubSpotSandbox } from '../../integrations/hubspot/sandbox/index.ts';

const BEARER = `Bearer ${SANDBOX_DEFAULTS.privateAppToken}`;

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

async function call(sandbox: HubSpotSandbox, path: string, init: RequestInit = {}, authorization: string | null = BEARER): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (authorization) headers.set('Authorization', authorization);
  if (init.body && !headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  const response = await sandbox.app.request(`http://127.0.0.1${path}`, { ...init, headers });
  const text = await response.text();
  const json: unknown = response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : { text };
  return { status: response.status, headers: response.headers, json: json as Record<string, unknown> };
}

const search = (sandbox: HubSpotSandbox, body: unknown, authorization?: string) => call(sandbox, '/crm/v3/objects/tickets/search', { method: 'POST', body: JSON.stringify(body) }, authorization);
const results = (answer: Answer) => answer.json.results as Record<string, unknown>[];
const THREADS = '/conversations/v3/conversations/threads';
const BY_LATEST = `${THREADS}?sort=latestMessageTimestamp&latestMessageTimestampAfter=2000-01-01T00:00:00Z`;

describe('hubspot sandbox: auth and scopes', () => {
  it("answers 401 with HubSpot's error bodies", async () => {
    const sandbox = createHubSpotSandbox({ conversations: 2, oauthTokens: ['good'] });
    const none = await call(sandbox, THREADS, {}, null);
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION', correlationId: expect.any(String) });
    expect((await call(sandbox, THREADS, {}, 'Bearer nope')).json.category).toBe('INVALID_AUTHENTICATION');
    expect((await call(sandbox, THREADS, {}, 'Bearer good')).status).toBe(200);
    sandbox.setOAuthToken('good', 'expired');
    const expired = await call(sandbox, THREADS, {}, 'Bearer good');
    expect([expired.status, expired.json.category]).toEqual([401, 'EXPIRED_AUTHENTICATION']);
    sandbox.setOAuthToken('good', 'revoked');
    expect((await call(sandbox, THREADS, {}, 'Bearer good')).json.message).toContain('revoked');
  });

  it('answers 403 MISSING_SCOPES naming the scope each endpoint needs', async () => {
    const sandbox = createHubSpotSandbox({ conversations: 2, scopes: ['tickets'] });
    const threads = await call(sandbox, THREADS);
    expect(threads.status).toBe(403);
    expect(threads.json).toMatchObject({ category: 'MISSING_SCOPES', errors: [{ context: { requiredGranularScopes: ['conversations.read'] } }] });
    expect((await search(sandbox, {})).status).toBe(200);
    const emails = await call(sandbox, '/crm/v3/objects/emails/batch/read', { method: 'POST', body: JSON.stringify({ inputs: [] }) });
    expect(emails.json).toMatchObject({ category: 'MISSING_SCOPES', errors: [{ context: { requiredGranularScopes: ['sales-email-read'] } }] });
  });
});

describe('hubspot sandbox: conversations', () => {
  it('lists threads by latestMessageTimestamp (inclusive, oldest first) and pages through each once', async () => {
    const sandbox = createHubSpotSandbox({ conversations: 50 });
    expect((await call(sandbox, `${THREADS}?sort=latestMessageTimestamp`)).status).toBe(400);
    const seen: string[] = [];
    let path: string | null = `${BY_LATEST}&limit=7`;
    while (path) {
      const page = await call(sandbox, path);
      seen.push(...results(page).map((thread) => String(thread.latestMessageTimestamp)));
      const next = (page.json.paging as { next?: { link: string } } | undefined)?.next;
      path = next ? next.link : null;
    }
    expect(seen).toHaveLength(25);
    expect(seen).toEqual([...seen].sort());
    const [first] = [...sandbox.store.threads.values()].sort((a, b) => a.latestMessageTimestamp.getTime() - b.latestMessageTimestamp.getTime());
    const inclusive = await call(sandbox, `${THREADS}?sort=latestMessageTimestamp&latestMessageTimestampAfter=${first?.latestMessageTimestamp.toISOString()}&limit=1`);
    expect(results(inclusive)[0]?.id).toBe(first?.id);
  });

  it('lists messages newest first by default, every item type, with truncation and original content', async () => {
    const sandbox = createHubSpotSandbox({ conversations: 6, truncateAt: 40 });
    const thread = [...sandbox.store.threads.values()].find((t) => t.status === 'CLOSED' && t.messages.some((m) => m.type === 'COMMENT')) ?? [...sandbox.store.threads.values()][0];
    const newest = results(await call(sandbox, `${THREADS}/${thread?.id}/messages`));
    const oldest = results(await call(sandbox, `${THREADS}/${thread?.id}/messages?sort=createdAt`));
    expect(newest.map((m) => m.id)).toEqual([...oldest].reverse().map((m) => m.id));
    expect(oldest[0]).toMatchObject({ type: 'MESSAGE', direction: 'INCOMING', truncationStatus: 'TRUNCATED' });
    expect(new Set(oldest.map((m) => m.type))).toContain('ASSIGNMENT');
    const original = await call(sandbox, `${THREADS}/${thread?.id}/messages/${String(oldest[0]?.id)}/original-content`);
    expect(String(original.json.text).length).toBeGreaterThan(40);
    const actors = await call(sandbox, '/conversations/v3/conversations/actors/batch/read', { method: 'POST', body: JSON.stringify({ inputs: [thread?.assignedTo, 'A-1'] }) });
    expect(actors.status).toBe(207);
    expect(actors.json).toMatchObject({ status: 'COMPLETE', results: [{ type: 'AGENT', id: thread?.assignedTo }], numErrors: 1 });
  });
});

describe('hubspot sandbox: CRM search and objects', () => {
  it('filters, sorts by one rule, and refuses what HubSpot refuses', async () => {
    // HubSpot's five searches a second would refuse some of these calls; this test is about what search returns.
    const sandbox = createHubSpotSandbox({ conversations: 40, searchResultCap: 12, rateLimits: false });
    const tickets = [...sandbox.store.objects.tickets.values()];
    const pivot = tickets[5]?.properties.hs_lastmodifieddate ?? '';
    const gte = await search(sandbox, { filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(Date.parse(pivot)) }] }], limit: 100 });
    expect(gte.json.total).toBe(tickets.filter((t) => (t.properties.hs_lastmodifieddate ?? '') >= pivot).length);
    const inList = await search(sandbox, { filterGroups: [{ filters: [{ propertyName: 'hs_object_id', operator: 'IN', values: [tickets[0]?.id, tickets[1]?.id] }] }] });
    expect(inList.json.total).toBe(2);
    expect((await search(sandbox, { limit: 201 })).status).toBe(400);
    expect((await search(sandbox, { sorts: ['createdate', 'subject'] })).status).toBe(400);
    const lastPage = await search(sandbox, { limit: 10, after: '10', sorts: [{ propertyName: 'createdate', direction: 'ASCENDING' }] });
    expect([results(lastPage).length, lastPage.json.paging]).toEqual([2, { next: { after: '12' } }]);
    const pastCap = await search(sandbox, { limit: 10, after: '12' });
    expect([pastCap.status, pastCap.json.category]).toEqual([400, 'VALIDATION_ERROR']);
  });

  it('returns records with equal sort values in an order unrelated to their ids', async () => {
    const sandbox = createHubSpotSandbox({ conversations: 40 });
    sandbox.store.touchTickets(20, new Date('2026-01-01T00:00:00Z'));
    const answer = await search(sandbox, { filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'EQ', value: String(Date.parse('2026-01-01T00:00:00Z')) }] }], sorts: ['hs_lastmodifieddate'], limit: 20 });
    const ids = results(answer).map((ticket) => Number(ticket.id));
    expect(ids).toHaveLength(20);
    expect(ids).not.toEqual([...ids].sort((a, b) => a - b));
  });

  it('reads a ticket with associations, batch reads with 207, and creates notes', async () => {
    const sandbox = createHubSpotSandbox({ conversations: 4 });
    const [ticket] = sandbox.store.objects.tickets.values();
    const read = await call(sandbox, `/crm/v3/objects/tickets/${ticket?.id}?properties=subject,hs_pipeline_stage&associations=emails,contacts`);
    expect(read.json).toMatchObject({ id: ticket?.id, properties: { subject: ticket?.properties.subject, hs_pipeline_stage: expect.any(String) } });
    const emailIds = ((read.json.associations as { emails: { results: { id: string; type: string }[] } }).emails.results).map((a) => a.id);
    expect(emailIds.length).toBeGreaterThan(0);
    const batch = await call(sandbox, '/crm/v3/objects/emails/batch/read', { method: 'POST', body: JSON.stringify({ inputs: [...emailIds, '1'].map((id) => ({ id })), properties: ['hs_email_direction'] }) });
    expect(batch.status).toBe(207);
    expect(results(batch)).toHaveLength(emailIds.length);

    const noTimestamp = await call(sandbox, '/crm/v3/objects/notes', { method: 'POST', body: JSON.stringify({ properties: { hs_note_body: 'x' } }) });
    expect(noTimestamp.status).toBe(400);
    const before = ticket?.updatedAt.getTime() ?? 0;
    const note = await call(sandbox, '/crm/v3/objects/notes', {
      method: 'POST',
      body: JSON.stringify({ properties: { hs_note_body: '<p>Draft</p>', hs_timestamp: new Date().toISOString() }, associations: [{ to: { id: ticket?.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 228 }] }] }),
    });
    expect(note.status).toBe(201);
    expect(ticket?.associations.notes).toContain(note.json.id);
    expect(ticket?.updatedAt.getTime()).toBeGreaterThan(before);
  });
});

describe('hubspot sandbox: rate limits', () => {
  it('reports and enforces the rolling window, the search limit and the daily limit', async () => {
    const sandbox = createHubSpotSandbox({ conversations: 2, limits: { enforce: true, perInterval: 2, intervalMs: 60_000, searchPerWindow: 1, searchWindowMs: 60_000, daily: 5 } });
    const first = await call(sandbox, THREADS);
    expect(Object.fromEntries([...first.headers].filter(([name]) => name.startsWith('x-hubspot')))).toEqual({
      'x-hubspot-ratelimit-interval-milliseconds': '60000',
      'x-hubspot-ratelimit-max': '2',
      'x-hubspot-ratelimit-remaining': '1',
      'x-hubspot-ratelimit-daily': '5',
      'x-hubspot-ratelimit-daily-remaining': '4',
    });
    const searched = await search(sandbox, {});
    expect(searched.headers.get('x-hubspot-ratelimit-remaining')).toBeNull();
    const secondly = await search(sandbox, {});
    expect([secondly.status, secondly.json.policyName]).toEqual([429, 'SECONDLY']);
    expect(Number(secondly.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(sandbox.store.violations).toEqual([]);
    // Coming back before the Retry-After is recorded as a violation.
    const early = await call(sandbox, THREADS);
    expect(early.status).toBe(429);
    expect(sandbox.store.violations).toHaveLength(1);
  });

  it('answers a daily limit with policy DAILY and no Retry-After', async () => {
    const sandbox = createHubSpotSandbox({ conversations: 2, limits: { enforce: true, daily: 1 } });
    expect((await call(sandbox, THREADS)).status).toBe(200);
    const daily = await call(sandbox, THREADS);
    expect([daily.status, daily.json.policyName, daily.json.errorType, daily.headers.get('retry-after')]).toEqual([429, 'DAILY', 'RATE_LIMIT', null]);
  });

  it('injects 429 TEN_SECONDLY_ROLLING answers and polices their Retry-After', async () => {
    const sandbox = createHubSpotSandbox({ conversations: 2, rateLimitEvery: 2, retryAfterSeconds: 30 });
    expect((await call(sandbox, THREADS)).status).toBe(200);
    const limited = await call(sandbox, THREADS);
    expect([limited.status, limited.json.policyName, limited.headers.get('retry-after')]).toEqual([429, 'TEN_SECONDLY_ROLLING', '30']);
    expect((await call(sandbox, THREADS)).status).toBe(429);
    expect(sandbox.store.violations).toHaveLength(1);
  });
});

describe('hubspot sandbox: OAuth', () => {
  it('renews access tokens with the refresh token and introspects tokens', async () => {
    const sandbox = createHubSpotSandbox({ conversations: 2 });
    const form = (fields: Record<string, string>) => ({ method: 'POST', body: new URLSearchParams(fields).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    const good = { grant_type: 'refresh_token', client_id: SANDBOX_DEFAULTS.clientId, client_secret: SANDBOX_DEFAULTS.clientSecret, refresh_token: SANDBOX_DEFAULTS.refreshToken };
    const renewed = await call(sandbox, '/oauth/v1/token', form(good), null);
    expect(renewed.json).toMatchObject({ token_type: 'bearer', refresh_token: SANDBOX_DEFAULTS.refreshToken, expires_in: 1800 });
    expect((await call(sandbox, THREADS, {}, `Bearer ${String(renewed.json.access_token)}`)).status).toBe(200);
    const bad = await call(sandbox, '/oauth/v1/token', form({ ...good, refresh_token: 'unknown' }), null);
    expect([bad.status, bad.json.status]).toEqual([400, 'BAD_REFRESH_TOKEN']);
    const info = await call(sandbox, `/oauth/v1/access-tokens/${String(renewed.json.access_token)}`, {}, null);
    expect(info.json).toMatchObject({ hub_id: SANDBOX_DEFAULTS.portalId, scopes: expect.arrayContaining(['conversations.read', 'tickets']) });
    const privateApp = await call(sandbox, '/oauth/v2/private-apps/get/access-token-info', { method: 'POST', body: JSON.stringify({ tokenKey: SANDBOX_DEFAULTS.privateAppToken }) }, null);
    expect(privateApp.json).toMatchObject({ hubId: SANDBOX_DEFAULTS.portalId });
  });
});
