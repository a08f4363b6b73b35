/**
 * The Salesforce connector against the loopback sandbox through the real jsforce client: full
 * harvest, resume from any cursor, incremental changes, query-locator paging, rate limits, 5xx
 * bursts, the daily API limit, malformed answers and cancellation.
 */
import { describe, expect, it } from 'vitest';
import type { SandboxTurnKind } from '../../integrations/sandbox-kit/data.ts';
import type { Conversation } from '../../integrations/types.ts';
import { collect, connectorFor, conversationsOf, failureOf, memoryLog, normalize, passwordCredentials, startSandbox, type Sandbox } from './salesforce-helpers.ts';

const EXPECTED: Record<SandboxTurnKind, { role: string; visibility: string }> = {
  customer: { role: 'customer', visibility: 'public' },
  agent: { role: 'agent', visibility: 'public' },
  internal: { role: 'agent', visibility: 'internal' },
  bot: { role: 'bot', visibility: 'public' },
};

function expectMatchesSandbox(sandbox: Sandbox, conversations: Conversation[]): void {
  const byId = new Map(conversations.map((c) => [c.sourceId, c]));
  expect(byId.size).toBe(sandbox.store.threads.length);
  for (const { caseId, thread } of sandbox.store.threads) {
    const conversation = byId.get(caseId);
    expect(conversation, `case of thread ${thread.number}`).toBeDefined();
    expect(conversation!.subject).toBe(thread.subject);
    expect(conversation!.requester).toMatchObject({ name: thread.customer.name, email: thread.customer.email });
    expect(conversation!.assignee).toMatchObject({ name: thread.agent.name, email: thread.agent.email });
    expect(conversation!.messages.map((m) => ({ role: m.authorRole, visibility: m.visibility }))).toEqual(thread.turns.map((t) => EXPECTED[t.kind]));
    expect(conversation!.messages.map((m) => normalize(m.body))).toEqual(thread.turns.map((t) => normalize(t.body)));
    conversation!.messages.forEach((message, i) => {
      const turn = thread.turns[i]!;
      if (turn.kind === 'customer') expect(message.author?.email).toBe(thread.customer.email);
      if (turn.kind === 'agent' || turn.kind === 'internal') expect(message.author).toMatchObject({ name: thread.agent.name, email: thread.agent.email });
      if (turn.kind === 'bot') expect(message.author).toBeNull();
    });
  }
}

describe('salesforce connector: harvest', () => {
  it('harvests 300 cases with their emails, internal notes, roles and visibility (SOAP login)', async () => {
    const { sandbox, url } = await startSandbox({ cases: 300 });
    const batches = await collect(connectorFor(url, passwordCredentials(sandbox)));
    // The last batch is the scan of emails and comments that changed on their own: none here.
    expect(batches.map((b) => b.conversations.length)).toEqual([200, 100, 0]);
    expectMatchesSandbox(sandbox, conversationsOf(batches));
    const web = conversationsOf(batches).find((c) => c.channel === 'web')!;
    expect(web.messages[0]!.sourceId).toBe(`${web.sourceId}:description`);
    expect(batches.at(-1)!.cursor).toEqual({ systemModstamp: expect.any(String), lastId: expect.stringMatching(/^500/), children: { emails: expect.any(String), comments: expect.any(String) } });
    expect(sandbox.store.violations).toEqual([]);
  });

  it('logs in with the OAuth username-password flow when a client id and secret are set', async () => {
    const { sandbox, url } = await startSandbox({ cases: 20 });
    const conversations = conversationsOf(await collect(connectorFor(url, passwordCredentials(sandbox, true))));
    expect(conversations).toHaveLength(20);
    expect(sandbox.store.requestLog.filter((r) => r.path === '/services/oauth2/token')).toHaveLength(1);
    expect(sandbox.store.requestLog.some((r) => r.path.startsWith('/services/Soap'))).toBe(false);
  });

  it('resumes from a mid-stream cursor with the rest and nothing twice', async () => {
    const { sandbox, url } = await startSandbox({ cases: 300 });
    const connector = connectorFor(url, passwordCredentials(sandbox), { batchSize: 40 });
    const first = await collect(connector);
    // 300 cases in batches of 40, then the (empty) scan of emails and comments.
    expect(first).toHaveLength(9);
    const resumed = await collect(connectorFor(url, passwordCredentials(sandbox), { batchSize: 40 }), first[2]!.cursor);
    const before = conversationsOf(first.slice(0, 3)).map((c) => c.sourceId);
    const after = conversationsOf(resumed).map((c) => c.sourceId);
    expect(after).toEqual(conversationsOf(first.slice(3)).map((c) => c.sourceId));
    expect(new Set([...before, ...after]).size).toBe(300);
    // The cursor survives a JSON round trip, as it does in Postgres.
    const fromJson = await collect(connector, JSON.parse(JSON.stringify(first[6]!.cursor)));
    expect(conversationsOf(fromJson).map((c) => c.sourceId)).toEqual(conversationsOf(first.slice(7)).map((c) => c.sourceId));
  });

  it('after touchCases(10), resuming yields exactly those 10 with their new email', async () => {
    const { sandbox, url } = await startSandbox({ cases: 120 });
    const connector = connectorFor(url, passwordCredentials(sandbox));
    const cursor = (await collect(connector)).at(-1)!.cursor;
    const touched = sandbox.store.touchCases(10);
    const batches = await collect(connector, cursor);
    // The touched cases come once by their own SystemModstamp, and again because their new emails
    // are younger than the scans' one-minute look-back: repeats the hub stores as no-ops.
    const conversations = new Map(conversationsOf(batches).map((c) => [c.sourceId, c]));
    expect([...conversations.keys()].sort()).toEqual([...touched].sort());
    for (const conversation of conversations.values()) {
      expect(conversation.messages.at(-1)).toMatchObject({ authorRole: 'customer', body: 'Any news on this? I am still waiting for an answer.' });
    }
    const again = new Map(conversationsOf(await collect(connector, batches.at(-1)!.cursor)).map((c) => [c.sourceId, c]));
    for (const [id, conversation] of again) expect(conversation).toEqual(conversations.get(id));
  });

  it('sees new and deleted cases on the next run', async () => {
    const { sandbox, url } = await startSandbox({ cases: 30 });
    const connector = connectorFor(url, passwordCredentials(sandbox));
    const cursor = (await collect(connector)).at(-1)!.cursor;
    const deleted = sandbox.store.threads[4]!.caseId;
    sandbox.store.deleteCase(deleted);
    const added = sandbox.store.addCase();
    // Each comes by its Case's SystemModstamp, and again by its children's (repeats are no-ops).
    const conversations = [...new Map(conversationsOf(await collect(connector, cursor)).map((c) => [c.sourceId, c])).values()];
    expect(conversations.map((c) => [c.sourceId, c.deleted])).toEqual([
      [deleted, true],
      [added, false],
    ]);
    expect(conversations[1]!.messages.length).toBeGreaterThan(0);
  });

  it('starts at `since` when there is no cursor', async () => {
    const { sandbox, url } = await startSandbox({ cases: 50 });
    const all = conversationsOf(await collect(connectorFor(url, passwordCredentials(sandbox))));
    const since = all[30]!.updatedAt;
    const later = conversationsOf(await collect(connectorFor(url, passwordCredentials(sandbox), { since })));
    expect(later.map((c) => c.sourceId)).toEqual(all.filter((c) => c.updatedAt >= since).map((c) => c.sourceId));
  });

  it('follows nextRecordsUrl when pages are smaller than a batch', async () => {
    const { sandbox, url } = await startSandbox({ cases: 150, pageSize: 25 });
    const conversations = conversationsOf(await collect(connectorFor(url, passwordCredentials(sandbox), { batchSize: 100 })));
    expectMatchesSandbox(sandbox, conversations);
    const locatorCalls = sandbox.store.requestLog.filter((r) => /\/query(All)?\/01g[A-Za-z0-9]{15}-\d+$/.test(r.path));
    // Pages of 25 within queries of 101 (one more than a batch keeps) and then 50: four locators, then one.
    expect(locatorCalls.length).toBe(5);
    expect(locatorCalls.every((r) => r.status === 200)).toBe(true);
  });
});

describe('salesforce connector: limits and failures', () => {
  it('backs off on 503 SERVER_UNAVAILABLE, which carries no Retry-After, and completes', async () => {
    const { sandbox, url } = await startSandbox({ cases: 120, rateLimitEvery: 3, rateLimitStyle: 'unavailable' });
    const log = memoryLog();
    const conversations = conversationsOf(await collect(connectorFor(url, passwordCredentials(sandbox), { batchSize: 20, log, retryPolicy: { baseDelayMs: 5, maxDelayMs: 20 } })));
    expectMatchesSandbox(sandbox, conversations);
    const refused = sandbox.store.requestLog.filter((r) => r.status === 503);
    expect(refused.length).toBeGreaterThanOrEqual(3);
    expect(sandbox.store.violations).toEqual([]);
    expect(log.lines.filter((l) => l.level === 'warn' && /retrying/.test(l.msg ?? ''))).toHaveLength(refused.length);
  });

  it('backs off and retries 403 REQUEST_LIMIT_EXCEEDED over the concurrency limit', async () => {
    const { sandbox, url } = await startSandbox({ cases: 80, rateLimitEvery: 3 });
    const conversations = conversationsOf(await collect(connectorFor(url, passwordCredentials(sandbox), { batchSize: 10 })));
    expect(conversations).toHaveLength(80);
    expect(sandbox.store.requestLog.filter((r) => r.status === 403).length).toBeGreaterThanOrEqual(2);
  });

  it('survives a burst of 500s and of HTML 503 pages', async () => {
    const { sandbox, url } = await startSandbox({ cases: 60, errorBurst: { count: 3, after: 2 } });
    const connector = connectorFor(url, passwordCredentials(sandbox), { batchSize: 20 });
    expect(conversationsOf(await collect(connector))).toHaveLength(60);
    sandbox.setFaults({ errorBurst: { count: 2, status: 503 } });
    expect(conversationsOf(await collect(connector))).toHaveLength(60);
    expect(sandbox.store.requestLog.filter((r) => r.status >= 500)).toHaveLength(5);
  });

  it('gives up after the retry budget with a transient error', async () => {
    const { sandbox, url } = await startSandbox({ cases: 10, errorBurst: { count: 50 } });
    const error = await failureOf(collect(connectorFor(url, passwordCredentials(sandbox), { retryPolicy: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } })));
    expect(error.kind).toBe('transient');
    expect(error.message).toMatch(/HTTP 500, UNKNOWN_EXCEPTION/);
  });

  it('stops at the daily API limit without hammering, with an actionable message', async () => {
    const { sandbox, url } = await startSandbox({ cases: 100, apiLimit: 8 });
    const error = await failureOf(collect(connectorFor(url, passwordCredentials(sandbox), { batchSize: 10, slowDownMs: 1 })));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/^REQUEST_LIMIT_EXCEEDED: daily API limit reached \(8\/8/);
    expect(sandbox.store.requestLog.filter((r) => r.status === 403)).toHaveLength(1);
  });

  it('slows down and warns once usage passes 90% of the daily limit', async () => {
    // The harvest makes five calls (four pages and the child scan): the fourth already sees 90 %.
    const { sandbox, url } = await startSandbox({ cases: 40, apiLimit: 1000, apiUsage: 897 });
    const log = memoryLog();
    const conversations = conversationsOf(await collect(connectorFor(url, passwordCredentials(sandbox), { batchSize: 10, log, slowDownMs: 1 })));
    expect(conversations).toHaveLength(40);
    const warnings = log.lines.filter((l) => l.level === 'warn' && /above 90%/.test(l.msg ?? ''));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.obj).toMatchObject({ used: 900, max: 1000 });
  });

  it.each(['html', 'missing-fields'] as const)('reports %s answers as malformed', async (malformed) => {
    const { sandbox, url } = await startSandbox({ cases: 10, malformed });
    const error = await failureOf(collect(connectorFor(url, passwordCredentials(sandbox))));
    expect(error.kind).toBe('malformed');
    expect(error.message).toMatch(/Salesforce returned an unexpected Case/);
  });

  it('stops when the harvest is cancelled', async () => {
    const { sandbox, url } = await startSandbox({ cases: 100 });
    const controller = new AbortController();
    const seen: number[] = [];
    const run = (async () => {
      for await (const batch of connectorFor(url, passwordCredentials(sandbox), { batchSize: 10 }).harvest(null, { signal: controller.signal })) {
        seen.push(batch.conversations.length);
        controller.abort(new Error('stop'));
      }
    })();
    await expect(run).rejects.toThrow('stop');
    expect(seen).toEqual([10]);
  });
});
