/**
 * The Zendesk connector against the loopback sandbox, through the real node-zendesk client:
 * full harvest, resume from any cursor, incremental polls, rate limits, 5xx bursts, auth failures,
 * unreachable hosts and malformed answers. No database: batches are collected in memory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateSupportThreads, type SandboxTurnKind } from '../../integrations/sandbox-kit/data.ts';
import { htmlToText } from '../../integrations/common/html-to-text.ts';
import { createZendeskConnector, endpointUriFor, zendeskConnector, type ZendeskConnectorOptions } from '../../integrations/zendesk/connector.ts';
import { authorRole } from '../../integrations/zendesk/map.ts';
import { ZendeskComment, ZendeskTicket } from '../../integrations/zendesk/schemas.ts';
import { createZendeskSandbox, SANDBOX_DEFAULTS, type ZendeskSandboxOptions } from '../../integrations/zendesk/sandbox/index.ts';
import { FOLLOW_UP_BODY } from '../../integrations/zendesk/sandbox/store.ts';
import { VendorError, type Connector, type Conversation, type Cursor, type HarvestBatch } from '../../integrations/types.ts';

const SEED = 7;
const API_TOKEN = { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken } as const;
/** Fast backoff for transient failures; Retry-After is still honoured exactly. */
const FAST_RETRY: ZendeskConnectorOptions = { retryPolicy: { baseDelayMs: 2, maxDelayMs: 20 } };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

/**
 * The sandbox keeps Zendesk's real limits (10 export calls a minute) unless told otherwise; these
 * tests harvest many times in a row, so they lift them. The limits have tests of their own below.
 */
async function startSandbox(options: ZendeskSandboxOptions = {}) {
  const sandbox = createZendeskSandbox({ seed: SEED, tickets: 60, rateLimits: false, ...options });
  const { url, close } = await sandbox.listen();
  closers.push(close);
  return { sandbox, url };
}

async function collect(connector: Connector, cursor: Cursor | null = null): Promise<HarvestBatch[]> {
  const batches: HarvestBatch[] = [];
  for await (const batch of connector.harvest(cursor)) batches.push(batch);
  return batches;
}

function conversationsOf(batches: HarvestBatch[]): Map<string, Conversation> {
  const byId = new Map<string, Conversation>();
  for (const batch of batches) for (const conversation of batch.conversations) byId.set(conversation.sourceId, conversation);
  return byId;
}

async function failureOf(promise: Promise<unknown>): Promise<VendorError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(VendorError);
  return error as VendorError;
}

const normalize = (text: string) => text.replace(/\s+/g, ' ').trim();
const EXPECTED_ROLE: Record<SandboxTurnKind, { role: string; visibility: string }> = {
  customer: { role: 'customer', visibility: 'public' },
  agent: { role: 'agent', visibility: 'public' },
  internal: { role: 'agent', visibility: 'internal' },
  bot: { role: 'bot', visibility: 'public' },
};

describe('zendesk connector: harvest', () => {
  it('harvests every ticket with its messages, roles, visibility and fields', async () => {
    const { url, sandbox } = await startSandbox({ tickets: 300 });
    const connector = zendeskConnector.create({ baseUrl: url, perPage: 120 }, API_TOKEN, { batchSize: 50 });
    const batches = await collect(connector);

    expect(batches.every((batch) => batch.conversations.length <= 50)).toBe(true);
    const harvested = conversationsOf(batches);
    const threads = generateSupportThreads({ seed: SEED, count: 300 });
    expect(harvested.size).toBe(300);
    for (const thread of threads) {
      const conversation = harvested.get(String(thread.number));
      expect(conversation, `ticket ${thread.number}`).toBeDefined();
      if (!conversation) continue;
      expect(conversation).toMatchObject({ source: 'zendesk', subject: thread.subject, status: thread.status, priority: thread.priority, language: 'en', deleted: false });
      expect(conversation.tags).toContain(thread.intent);
      expect(Object.values(conversation.customFields)).toContain(thread.intent);
      expect(conversation.requester).toEqual({ id: expect.any(String), name: thread.customer.name, email: thread.customer.email });
      expect(conversation.messages.map((m) => ({ role: m.authorRole, visibility: m.visibility }))).toEqual(thread.turns.map((turn) => EXPECTED_ROLE[turn.kind]));
      expect(conversation.messages.map((m) => normalize(m.body))).toEqual(thread.turns.map((turn) => normalize(turn.body)));
      // Zendesk timestamps have whole seconds.
      expect(conversation.messages.map((m) => m.createdAt.getTime())).toEqual(thread.turns.map((turn) => Math.floor(turn.at.getTime() / 1000) * 1000));
      expect(conversation.messages[0]?.attachments).toEqual(thread.number % 7 === 0 ? [`screenshot-${thread.number}.png`] : []);
      const agentMessage = conversation.messages.find((m) => m.authorRole === 'agent');
      expect(agentMessage?.author?.name).toBe(thread.agent.name);
    }
    // One ticket export call per page, one ticket event export call per 1000 updates (each comment
    // here is an update), no comments call per ticket, plus show_many for authors the export does
    // not side-load (the bot); all sequential, none refused.
    const log = sandbox.store.requestLog;
    const updates = [...sandbox.store.tickets.values()].reduce((sum, ticket) => sum + ticket.comments.length, 0);
    expect(log.filter((entry) => entry.path.includes('/incremental/tickets/cursor')).length).toBe(3);
    expect(log.filter((entry) => entry.path.includes('/incremental/ticket_events')).length).toBe(Math.ceil(updates / 1000));
    expect(log.filter((entry) => entry.path.endsWith('/comments.json')).length).toBe(0);
    expect(log.filter((entry) => entry.path.includes('/users/show_many')).length).toBe(1);
    expect(log.every((entry) => entry.status === 200)).toBe(true);
    expect(batches.reduce((sum, batch) => sum + (batch.requests ?? 0), 0)).toBe(log.length);
  });

  it('resumes from any cursor it yielded without losing tickets', async () => {
    const { url } = await startSandbox({ tickets: 130 });
    const connector = zendeskConnector.create({ baseUrl: url, perPage: 50 }, API_TOKEN, { batchSize: 20 });
    const batches = await collect(connector);
    expect(conversationsOf(batches).size).toBe(130);

    // A cursor inside a page (re-reads that page) and one at a page boundary (the page's after_cursor).
    const pageBoundary = batches.findIndex((batch) => 'afterCursor' in batch.cursor);
    for (const stop of [1, pageBoundary, 4]) {
      const seen = new Set(batches.slice(0, stop + 1).flatMap((batch) => batch.conversations.map((c) => c.sourceId)));
      const resumed = conversationsOf(await collect(connector, batches[stop]?.cursor ?? null));
      for (const id of resumed.keys()) seen.add(id);
      expect(seen.size, `resume after batch ${stop}`).toBe(130);
    }
  });

  it('picks up exactly the touched tickets from the final cursor', async () => {
    const { url, sandbox } = await startSandbox({ tickets: 80 });
    const connector = zendeskConnector.create({ baseUrl: url }, API_TOKEN);
    const first = await collect(connector);
    const final = first.at(-1)?.cursor ?? null;
    const before = conversationsOf(first);

    expect(conversationsOf(await collect(connector, final)).size).toBe(0);

    const touched = sandbox.store.touchTickets(10);
    const second = await collect(connector, final);
    const changed = conversationsOf(second);
    expect([...changed.keys()].sort()).toEqual(touched.map(String).sort());
    for (const id of touched) {
      const conversation = changed.get(String(id));
      expect(conversation?.messages.length).toBe((before.get(String(id))?.messages.length ?? 0) + 1);
      expect(conversation?.messages.at(-1)).toMatchObject({ authorRole: 'customer', visibility: 'public', body: FOLLOW_UP_BODY });
    }

    sandbox.store.deleteTicket(touched[0] ?? 1);
    const third = conversationsOf(await collect(connector, second.at(-1)?.cursor ?? null));
    expect([...third.values()].map((c) => ({ id: c.sourceId, deleted: c.deleted, status: c.status, messages: c.messages.length }))).toEqual([
      { id: String(touched[0]), deleted: true, status: 'deleted', messages: 0 },
    ]);
  });

  it('starts at `since` when there is no cursor', async () => {
    const { url, sandbox } = await startSandbox({ tickets: 40 });
    const threads = generateSupportThreads({ seed: SEED, count: 40 });
    const since = new Date(threads[29]?.updatedAt ?? 0);
    const connector = zendeskConnector.create({ baseUrl: url }, API_TOKEN, { since });
    const harvested = conversationsOf(await collect(connector));
    const expected = threads.filter((t) => Math.floor(t.updatedAt.getTime() / 1000) >= Math.floor(since.getTime() / 1000)).map((t) => String(t.number));
    expect([...harvested.keys()].sort()).toEqual(expected.sort());
    expect(sandbox.store.requestLog[0]?.query).toContain(`start_time=${Math.floor(since.getTime() / 1000)}`);
  });

  it('stops between requests when the signal aborts', async () => {
    const { url, sandbox } = await startSandbox({ tickets: 60 });
    const connector = zendeskConnector.create({ baseUrl: url }, API_TOKEN, { batchSize: 10 });
    const controller = new AbortController();
    const seen: number[] = [];
    let requestsAtAbort = 0;
    const run = (async () => {
      for await (const batch of connector.harvest(null, { signal: controller.signal })) {
        seen.push(batch.conversations.length);
        requestsAtAbort = sandbox.store.requestLog.length;
        controller.abort(new Error('operator stopped the harvest'));
      }
    })();
    await expect(run).rejects.toThrow('operator stopped the harvest');
    expect(seen).toEqual([10]);
    expect(sandbox.store.requestLog.length).toBe(requestsAtAbort);
  });
});

describe('zendesk connector: rate limits and outages', () => {
  it('completes under a 429 every 5 requests without arriving before any Retry-After', async () => {
    const { url, sandbox } = await startSandbox({ tickets: 100, rateLimitEvery: 5, retryAfterSeconds: 0.05 });
    // Small pages, so the harvest makes enough calls to meet the injected 429s.
    const connector = zendeskConnector.create({ baseUrl: url, perPage: 5 }, API_TOKEN);
    const harvested = conversationsOf(await collect(connector));
    expect(harvested.size).toBe(100);
    expect(sandbox.store.requestLog.filter((entry) => entry.status === 429).length).toBeGreaterThanOrEqual(5);
    expect(sandbox.store.violations).toEqual([]);
  });

  it('survives a burst of 5xx answers mid-harvest', async () => {
    const { url, sandbox } = await startSandbox({ tickets: 50 });
    const connector = createZendeskConnector({ baseUrl: url, perPage: 10 }, API_TOKEN, { ...FAST_RETRY, batchSize: 10 });
    const batches: HarvestBatch[] = [];
    for await (const batch of connector.harvest(null)) {
      if (batches.length === 0) sandbox.setFaults({ errorBurst: 4, errorStatus: 503 });
      batches.push(batch);
    }
    expect(conversationsOf(batches).size).toBe(50);
    expect(sandbox.store.requestLog.filter((entry) => entry.status === 503).length).toBe(4);
  });

  it('gives up on a long outage with a transient error', async () => {
    const { url } = await startSandbox({ tickets: 5, errorBurst: 100, errorStatus: 502 });
    const connector = createZendeskConnector({ baseUrl: url }, API_TOKEN, { retryPolicy: { maxAttempts: 3, baseDelayMs: 1 } });
    const error = await failureOf(collect(connector));
    expect(error.kind).toBe('transient');
    expect(error.message).toContain('Zendesk is unavailable (502)');
  });
});

describe('zendesk connector: credentials and hosts', () => {
  it('reports wrong API credentials as an auth error without the token', async () => {
    const { url } = await startSandbox({ tickets: 5 });
    const wrong = { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: 'not-the-token-123' } as const;
    const connector = zendeskConnector.create({ baseUrl: url }, wrong);
    const error = await failureOf(collect(connector));
    expect(error.kind).toBe('auth');
    expect(error.status).toBe(401);
    expect(error.message).toContain('Zendesk rejected the credentials (401)');
    expect(error.message).toContain("Couldn't authenticate you");
    expect(error.message).not.toContain('not-the-token-123');

    const result = await connector.test();
    expect(result.ok).toBe(false);
    expect(result.detail).toContain('Zendesk rejected the credentials (401)');
    expect(result.detail).not.toContain('not-the-token-123');
  });

  it('tests a good connection with the user name', async () => {
    const { url } = await startSandbox({ tickets: 1 });
    const result = await zendeskConnector.create({ baseUrl: url }, API_TOKEN).test();
    expect(result).toEqual({ ok: true, detail: `connected to ${new URL(url).host} as Tuneloop Integration (admin)` });
  });

  it('harvests with OAuth and explains revoked and expired tokens', async () => {
    const { url, sandbox } = await startSandbox({ tickets: 20, oauthTokens: ['oauth-good-token'] });
    const connector = zendeskConnector.create({ baseUrl: url }, { type: 'oauth', accessToken: 'oauth-good-token' });
    expect(conversationsOf(await collect(connector)).size).toBe(20);

    sandbox.setFaults({ expireTokens: true });
    const expired = await failureOf(collect(connector));
    expect(expired.kind).toBe('auth');
    expect(expired.message).toContain('OAuth access token is expired, revoked or invalid');
    expect(expired.message).not.toContain('oauth-good-token');

    sandbox.setFaults({ expireTokens: false });
    sandbox.setOAuthToken('oauth-good-token', 'revoked');
    const result = await connector.test();
    expect(result.ok).toBe(false);
    expect(result.detail).toContain('Zendesk rejected the credentials (401)');
    expect(result.detail).toContain('reconnect Zendesk');
  });

  it('explains a missing admin permission (403)', async () => {
    const { url } = await startSandbox({ tickets: 5, role: 'agent' });
    const connector = zendeskConnector.create({ baseUrl: url }, API_TOKEN);
    const error = await failureOf(collect(connector));
    expect(error.kind).toBe('forbidden');
    expect(error.message).toContain('missing permission (403)');
    const result = await connector.test();
    expect(result).toEqual({ ok: false, detail: expect.stringContaining('needs a Zendesk admin') });
  });

  it('names a host that does not resolve', async () => {
    // .invalid never resolves (RFC 2606), so this never leaves the machine.
    const connector = zendeskConnector.create({ baseUrl: 'http://tuneloop-sandbox.invalid' }, API_TOKEN);
    expect(await connector.test()).toEqual({ ok: false, detail: 'host not found: tuneloop-sandbox.invalid' });
  });

  it('reports a refused connection as a network error after bounded retries', async () => {
    const { url } = await startSandbox({ tickets: 1 });
    await closers.pop()?.();
    const connector = createZendeskConnector({ baseUrl: url }, API_TOKEN, { retryPolicy: { maxAttempts: 2, baseDelayMs: 1 } });
    const error = await failureOf(collect(connector));
    expect(error.kind).toBe('network');
    expect(error.message).toBe(`connection refused by ${new URL(url).host}: is the Zendesk base URL right?`);
  });
});

describe('zendesk connector: malformed answers', () => {
  it('reports HTML where JSON was expected', async () => {
    const { url } = await startSandbox({ tickets: 5, malformed: 'html' });
    const error = await failureOf(collect(zendeskConnector.create({ baseUrl: url }, API_TOKEN)));
    expect(error.kind).toBe('malformed');
    expect(error.message).toContain('with text/html instead of JSON (status 200)');
  });

  it('names the missing fields', async () => {
    const { url } = await startSandbox({ tickets: 5, malformed: 'missing-fields' });
    const error = await failureOf(collect(zendeskConnector.create({ baseUrl: url }, API_TOKEN)));
    expect(error.kind).toBe('malformed');
    expect(error.message).toContain('list changed tickets (incremental export)');
    expect(error.message).toMatch(/tickets\[0\]\.(id|updated_at)/);
  });
});

describe('zendesk connector: settings and credentials', () => {
  it('needs a subdomain or a base URL and knows both credential kinds', () => {
    const { settingsSchema, credentialsSchema } = zendeskConnector;
    expect(settingsSchema.safeParse({}).success).toBe(false);
    expect(settingsSchema.safeParse({ subdomain: 'acme' }).success).toBe(true);
    expect(settingsSchema.safeParse({ subdomain: 'acme.zendesk.com' }).success).toBe(false);
    expect(settingsSchema.safeParse({ baseUrl: 'not a url' }).success).toBe(false);
    expect(settingsSchema.safeParse({ baseUrl: 'http://127.0.0.1:4010', perPage: 500 }).success).toBe(true);
    expect(settingsSchema.safeParse({ subdomain: 'acme', perPage: 5000 }).success).toBe(false);
    expect(credentialsSchema.safeParse(API_TOKEN).success).toBe(true);
    expect(credentialsSchema.safeParse({ type: 'oauth', accessToken: 'x' }).success).toBe(true);
    expect(credentialsSchema.safeParse({ type: 'oauth', token: 'x' }).success).toBe(false);
    expect(credentialsSchema.safeParse({ type: 'api_token', email: 'nobody', token: 'x' }).success).toBe(false);
  });

  it('rejects a cursor it did not write', async () => {
    const connector = zendeskConnector.create({ subdomain: 'acme' }, API_TOKEN);
    await expect(collect(connector, { offset: 3 })).rejects.toThrow('not a Zendesk harvest cursor');
  });
});

describe('zendesk mapping', () => {
  const ticket = ZendeskTicket.parse({ id: 1, status: 'open', requester_id: 10, created_at: '2025-01-06T08:00:00Z', updated_at: '2025-01-06T09:00:00Z' });
  const comment = (fields: Record<string, unknown>) =>
    ZendeskComment.parse({ id: 5, author_id: 20, public: true, body: 'x', created_at: '2025-01-06T08:00:00Z', ...fields });

  it('tells customers, agents, bots and the system apart', () => {
    const agent = { id: 20, name: 'Sam', role: 'agent' };
    expect(authorRole(comment({}), { id: 20, name: 'Ann', role: 'end-user' }, ticket)).toBe('customer');
    expect(authorRole(comment({}), { ...agent, role: 'admin' }, ticket)).toBe('agent');
    expect(authorRole(comment({ via: { channel: 'rule', source: { rel: 'trigger' } } }), agent, ticket)).toBe('bot');
    expect(authorRole(comment({ via: { channel: 'answer_bot_for_agents' } }), agent, ticket)).toBe('bot');
    expect(authorRole(comment({ via: { channel: 'system' } }), agent, ticket)).toBe('system');
    expect(authorRole(comment({ author_id: -1 }), undefined, ticket)).toBe('system');
    expect(authorRole(comment({ author_id: 10 }), undefined, ticket)).toBe('customer');
    expect(authorRole(comment({ author_id: 99 }), undefined, ticket)).toBe('agent');
  });

  it('turns comment HTML into text', () => {
    expect(htmlToText('<div class="zd-comment"><p>Hi Ann,</p><p>Steps:<ul><li>Log&nbsp;in</li><li>Open &quot;Orders&quot;</li></ul></p><p>Thanks &amp; bye<br>Sam &#8211; Support</p></div>')).toBe(
      'Hi Ann,\n\nSteps:\n\n- Log in\n- Open "Orders"\n\nThanks & bye\nSam – Support',
    );
    expect(htmlToText('<style>p{}</style><p>a\n   b</p>')).toBe('a b');
  });

  it('builds the API root from the subdomain or the base URL', () => {
    expect(endpointUriFor({ subdomain: 'Acme' })).toBe('https://acme.zendesk.com/api/v2');
    expect(endpointUriFor({ baseUrl: 'http://127.0.0.1:4010/' })).toBe('http://127.0.0.1:4010/api/v2');
    expect(endpointUriFor({ subdomain: 'acme', baseUrl: 'http://127.0.0.1:4010/api/v2' })).toBe('http://127.0.0.1:4010/api/v2');
  });
});
