/**
 * The Slack connector against the loopback sandbox, through the real @slack/web-api WebClient:
 * full harvest across channels, resume from any cursor, incremental polls (new threads, new
 * replies to old threads, edited parents), rate limits, 5xx bursts, tokens, scopes, unreachable
 * hosts and malformed answers. No database: batches are collected in memory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateSupportThreads, type SandboxTurnKind } from '../../integrations/sandbox-kit/data.ts';
import { createSlackConnector, SlackCursor, slackConnector, type SlackConnectorOptions } from '../../integrations/slack/connector.ts';
import { createSlackSandbox, DEFAULT_CHANNELS, DEFAULT_SCOPES, FOLLOW_UP_TEXT, LEGACY_BOT, SANDBOX_BOT_TOKEN, SUPPORT_GROUP_ID, type SlackSandboxOptions } from '../../integrations/slack/sandbox/index.ts';
import { VendorError, type Connector, type Conversation, type Cursor, type HarvestBatch } from '../../integrations/types.ts';
import { READ_CONCURRENCY } from '../../integrations/slack/client.ts';

const SEED = 11;
const CHANNELS = DEFAULT_CHANNELS.map((channel) => channel.id);
const BOT_TOKEN = { type: 'bot_token', token: SANDBOX_BOT_TOKEN } as const;
/** Fast backoff for 5xx; Retry-After is still honoured exactly. */
const FAST_RETRY: SlackConnectorOptions = { retryPolicy: { baseDelayMs: 2, maxDelayMs: 20 } };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

async function startSandbox(options: SlackSandboxOptions = {}) {
  const sandbox = createSlackSandbox({ seed: SEED, threads: 60, ...options });
  const { apiUrl, close } = await sandbox.listen();
  closers.push(close);
  return { sandbox, apiUrl };
}

function connectorFor(apiUrl: string, settings: Partial<Parameters<typeof slackConnector.create>[0]> = {}, options: SlackConnectorOptions = {}): Connector {
  return createSlackConnector({ channels: CHANNELS, apiUrl, agentUserGroup: SUPPORT_GROUP_ID, ...settings }, BOT_TOKEN, options);
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
const ROLE: Record<Exclude<SandboxTurnKind, 'internal'>, string> = { customer: 'customer', agent: 'agent', bot: 'bot' };

describe('slack connector: harvest', () => {
  it('harvests 5,000 threads across three channels exactly, with roles, bodies, files and people', async () => {
    const THREADS = 5_000;
    const { apiUrl, sandbox } = await startSandbox({ threads: THREADS });
    const batches = await collect(connectorFor(apiUrl, {}, { batchSize: 100 }));

    expect(batches.every((batch) => batch.conversations.length <= 100)).toBe(true);
    // Every call is counted, each in the batch that followed it.
    expect(batches.reduce((sum, batch) => sum + (batch.requests ?? 0), 0)).toBe(sandbox.store.requestLog.length);
    const harvested = conversationsOf(batches);
    expect(harvested.size).toBe(THREADS);
    // Threads are keyed by channel and the parent's creation time, which the generator fixes.
    const byStart = new Map([...harvested.values()].map((c) => [`${c.customFields.slackChannel}@${c.createdAt.getTime()}`, c]));
    for (const thread of generateSupportThreads({ seed: SEED, count: THREADS })) {
      const channel = CHANNELS[(thread.number - 1) % CHANNELS.length];
      const conversation = byStart.get(`${channel}@${thread.turns[0]?.at.getTime()}`);
      expect(conversation, `thread ${thread.number}`).toBeDefined();
      if (!conversation) continue;
      const turns = thread.turns.filter((turn) => turn.kind !== 'internal');
      expect(conversation.sourceId).toMatch(new RegExp(`^${channel}:\\d{10}\\.\\d{6}$`));
      expect(conversation).toMatchObject({ source: 'slack', channel: 'slack', language: 'en', deleted: false, subject: null });
      expect(conversation.requester).toEqual({ id: expect.stringMatching(/^U/), name: thread.customer.name, email: thread.customer.email });
      expect(conversation.assignee?.name).toBe(thread.agent.name);
      expect(conversation.messages.map((m) => m.authorRole)).toEqual(turns.map((turn) => ROLE[turn.kind as keyof typeof ROLE]));
      expect(conversation.messages.map((m) => normalize(m.body))).toEqual(turns.map((turn) => normalize(turn.body)));
      expect(conversation.messages.map((m) => m.createdAt.getTime())).toEqual(turns.map((turn) => turn.at.getTime()));
      expect(conversation.messages.every((m) => m.visibility === 'public')).toBe(true);
      expect(conversation.messages[0]?.attachments).toEqual(thread.number % 7 === 0 ? [`screenshot-${thread.number}.png`] : []);
      const bot = conversation.messages.find((m) => m.authorRole === 'bot');
      if (bot) expect(bot.author?.name).toBe(thread.number % 2 === 0 ? 'Support Bot' : LEGACY_BOT.username);
    }

    // One replies call per thread, one users.info per person, pages of 200 per channel; all sequential, none refused.
    const log = sandbox.store.requestLog;
    const calls = (method: string) => log.filter((entry) => entry.method === method).length;
    expect(calls('conversations.replies')).toBe(THREADS);
    expect(calls('usergroups.users.list')).toBe(1);
    const people = new Set([...harvested.values()].flatMap((c) => c.messages.flatMap((m) => (m.author?.id.startsWith('U') ? [m.author.id] : []))));
    expect(calls('users.info')).toBe(people.size);
    const topLevel = [...sandbox.store.channels.values()].reduce((sum, channel) => sum + Math.ceil(channel.topLevel.length / 200), 0);
    expect(calls('conversations.history')).toBe(topLevel);
    expect(log.every((entry) => entry.status === 200 && entry.error === null)).toBe(true);
  });

  it('resumes from any cursor it yielded without losing threads', async () => {
    const { apiUrl } = await startSandbox({ threads: 150 });
    const connector = connectorFor(apiUrl, { pageSize: 20 }, { batchSize: 8 });
    const batches = await collect(connector);
    expect(conversationsOf(batches).size).toBe(150);

    // Mid-page (re-reads the page), at a page's end, and after the first channel completed.
    const states = (batch: HarvestBatch) => Object.values(SlackCursor.parse(batch.cursor).channels);
    const midPage = batches.findIndex((batch) => states(batch).some((state) => state.pass?.before === null));
    const pageEnd = batches.findIndex((batch) => states(batch).some((state) => typeof state.pass?.before === 'string'));
    const channelDone = batches.findIndex((batch) => SlackCursor.parse(batch.cursor).channels[CHANNELS[0] ?? '']?.repliesAfter !== undefined);
    for (const stop of [midPage, pageEnd, channelDone, batches.length - 3]) {
      expect(stop, 'cursor kinds present').toBeGreaterThanOrEqual(0);
      const seen = new Set(batches.slice(0, stop + 1).flatMap((batch) => batch.conversations.map((c) => c.sourceId)));
      const resumed = conversationsOf(await collect(connector, batches[stop]?.cursor ?? null));
      expect(resumed.size, `resume after batch ${stop} re-reads at most a page`).toBeLessThan(150 - seen.size + 20);
      for (const id of resumed.keys()) seen.add(id);
      expect(seen.size, `resume after batch ${stop}`).toBe(150);
    }
  });

  it('re-harvests exactly the threads with new replies, new threads and edited parents', async () => {
    const { apiUrl, sandbox } = await startSandbox({ threads: 90 });
    const connector = connectorFor(apiUrl);
    const first = await collect(connector);
    const final = first.at(-1)?.cursor ?? null;
    const before = conversationsOf(first);
    expect(before.size).toBe(90);
    expect(conversationsOf(await collect(connector, final)).size).toBe(0);

    // The oldest thread of the first channel gets an answer from its customer.
    const [oldest] = sandbox.store.threadIds().sort((a, b) => Number(a.split(':')[1]) - Number(b.split(':')[1]));
    const [channel = '', ts = ''] = (oldest ?? '').split(':');
    const customer = before.get(oldest ?? '')?.requester?.id ?? '';
    sandbox.store.addReply(channel, ts, { user: customer, text: FOLLOW_UP_TEXT });
    let log = sandbox.store.requestLog.length;
    const replied = conversationsOf(await collect(connector, final));
    expect([...replied.keys()]).toEqual([oldest]);
    expect(replied.get(oldest ?? '')?.messages.length).toBe((before.get(oldest ?? '')?.messages.length ?? 0) + 1);
    expect(replied.get(oldest ?? '')?.messages.at(-1)).toMatchObject({ authorRole: 'customer', body: FOLLOW_UP_TEXT });
    expect(sandbox.store.requestLog.slice(log).filter((entry) => entry.method === 'conversations.replies').length).toBe(1);

    // A new thread with a mention, a link and escaped characters; an edited parent in another channel.
    const agent = [...before.values()][0]?.assignee;
    const fresh = sandbox.store.addMessage(CHANNELS[1] ?? '', { user: customer, text: `Hi <@${agent?.id}>, is <https://shop.example/faq|the FAQ> right about "A & B"?` });
    const edited = sandbox.store.threadIds().find((id) => id.startsWith(CHANNELS[2] ?? '')) ?? '';
    sandbox.store.editMessage(CHANNELS[2] ?? '', edited.split(':')[1] ?? '', 'Corrected: my order number is 123456.');
    log = sandbox.store.requestLog.length;
    const changed = conversationsOf(await collect(connector, final));
    expect([...changed.keys()].sort()).toEqual([oldest, `${CHANNELS[1]}:${fresh.ts}`, edited].sort());
    expect(changed.get(`${CHANNELS[1]}:${fresh.ts}`)?.messages[0]?.body).toBe(`Hi @${agent?.name}, is the FAQ (https://shop.example/faq) right about "A & B"?`);
    expect(changed.get(edited)?.messages[0]?.body).toBe('Corrected: my order number is 123456.');
    expect(changed.get(edited)?.updatedAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('counts members of agentUserIds as agents without a user group', async () => {
    const { apiUrl, sandbox } = await startSandbox({ threads: 12, scopes: DEFAULT_SCOPES.filter((scope) => scope !== 'usergroups:read') });
    const agentIds = sandbox.store.userGroups.get(SUPPORT_GROUP_ID)?.users ?? [];
    const [chosen] = agentIds;
    const harvested = conversationsOf(await collect(connectorFor(apiUrl, { agentUserGroup: undefined, agentUserIds: chosen ? [chosen] : [] })));
    const messages = [...harvested.values()].flatMap((c) => c.messages);
    expect(messages.filter((m) => m.authorRole === 'agent').every((m) => m.author?.id === chosen)).toBe(true);
    expect(messages.some((m) => m.authorRole === 'agent')).toBe(true);
    expect(messages.some((m) => m.authorRole === 'customer' && agentIds.includes(m.author?.id ?? ''))).toBe(true);
    expect(sandbox.store.requestLog.some((entry) => entry.method === 'usergroups.users.list')).toBe(false);
  });

  it('starts at `since` when there is no cursor', async () => {
    const { apiUrl } = await startSandbox({ threads: 45 });
    const threads = generateSupportThreads({ seed: SEED, count: 45 });
    const since = threads[29]?.createdAt ?? new Date(0);
    const harvested = conversationsOf(await collect(connectorFor(apiUrl, {}, { since })));
    expect(harvested.size).toBe(threads.filter((thread) => thread.createdAt >= since).length);
    expect([...harvested.values()].every((c) => c.createdAt >= since)).toBe(true);
  });

  it('stops between requests when the signal aborts', async () => {
    const { apiUrl, sandbox } = await startSandbox({ threads: 60 });
    const controller = new AbortController();
    let requestsAtAbort = 0;
    const run = (async () => {
      for await (const _batch of connectorFor(apiUrl, {}, { batchSize: 5 }).harvest(null, { signal: controller.signal })) {
        requestsAtAbort = sandbox.store.requestLog.length;
        controller.abort(new Error('operator stopped the harvest'));
      }
    })();
    await expect(run).rejects.toThrow('operator stopped the harvest');
    expect(sandbox.store.requestLog.length).toBe(requestsAtAbort);
  });
});

describe('slack connector: rate limits and outages', () => {
  it('survives a 429 storm without calling before any Retry-After', async () => {
    const { apiUrl, sandbox } = await startSandbox({ threads: 20, rateLimitEvery: 9 });
    const harvested = conversationsOf(await collect(connectorFor(apiUrl)));
    expect(harvested.size).toBe(20);
    const refused = sandbox.store.requestLog.filter((entry) => entry.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(4);
    // Only calls already on the wire when the first 429 came (threads are read a few at once until
    // then, one at a time after it) can arrive early; each got a 429 itself and was read again.
    expect(sandbox.store.violations.length).toBeLessThanOrEqual(READ_CONCURRENCY - 1);
  });

  it('keeps within per-method tier quotas by waiting out each Retry-After', async () => {
    const tierLimits = { windowSeconds: 1, perWindow: { 1: 1, 2: 5, 3: 20, 4: 20, special: 5 } };
    const { apiUrl, sandbox } = await startSandbox({ threads: 30, tierLimits });
    expect(conversationsOf(await collect(connectorFor(apiUrl))).size).toBe(30);
    expect(sandbox.store.requestLog.filter((entry) => entry.status === 429).length).toBeGreaterThan(0);
    expect(sandbox.store.violations.length).toBeLessThanOrEqual(READ_CONCURRENCY - 1);
  });

  it('gives up on endless 429s after a bounded number of calls, never early', async () => {
    const { apiUrl, sandbox } = await startSandbox({ threads: 3, rateLimitEvery: 1 });
    const error = await failureOf(collect(connectorFor(apiUrl, {}, { retryPolicy: { maxAttempts: 3 } })));
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 1000 });
    expect(sandbox.store.requestLog.length).toBe(3);
    expect(sandbox.store.violations).toEqual([]);
  });

  it('survives a burst of 5xx answers mid-harvest', async () => {
    const { apiUrl, sandbox } = await startSandbox({ threads: 40 });
    const batches: HarvestBatch[] = [];
    for await (const batch of connectorFor(apiUrl, {}, { ...FAST_RETRY, batchSize: 10 }).harvest(null)) {
      if (batches.length === 0) sandbox.setFaults({ errorBurst: 4, errorStatus: 503 });
      batches.push(batch);
    }
    expect(conversationsOf(batches).size).toBe(40);
    expect(sandbox.store.requestLog.filter((entry) => entry.status === 503).length).toBe(4);
  });

  it('gives up on a long outage with a transient error', async () => {
    const { apiUrl } = await startSandbox({ threads: 3, errorBurst: 100, errorStatus: 502 });
    const error = await failureOf(collect(connectorFor(apiUrl, {}, { retryPolicy: { maxAttempts: 3, baseDelayMs: 1 } })));
    expect(error.kind).toBe('transient');
    expect(error.message).toContain('Slack is unavailable (502)');
  });
});

describe('slack connector: tokens, scopes and channels', () => {
  it('reports a wrong token as an auth error without the token', async () => {
    const { apiUrl } = await startSandbox({ threads: 3 });
    const connector = slackConnector.create({ channels: CHANNELS, apiUrl }, { type: 'bot_token', token: 'xoxb-not-the-token-123' });
    const error = await failureOf(collect(connector));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('Slack rejected the bot token (invalid_auth)');
    expect(error.message).toContain('Bot User OAuth Token');
    expect(error.message).not.toContain('not-the-token-123');
    const result = await connector.test();
    expect(result).toEqual({ ok: false, detail: expect.stringContaining('Slack rejected the bot token (invalid_auth)') });
    expect(result.detail).not.toContain('not-the-token-123');
  });

  it('explains a revoked token', async () => {
    const { apiUrl, sandbox } = await startSandbox({ threads: 3 });
    sandbox.revokeToken();
    const error = await failureOf(collect(connectorFor(apiUrl)));
    expect(error.message).toContain('(token_revoked)');
    expect(error.message).toContain('uninstalled');
  });

  it('tests a good connection and names the scopes it lacks', async () => {
    const { apiUrl, sandbox } = await startSandbox({ threads: 1 });
    const host = new URL(apiUrl).host;
    expect(await connectorFor(apiUrl).test()).toEqual({ ok: true, detail: `connected to Example Shop Support (${host}) as tuneloop` });
    sandbox.setScopes(['chat:write', 'channels:history']);
    const result = await connectorFor(apiUrl).test();
    expect(result.ok).toBe(false);
    expect(result.detail).toContain('lacks scopes: users:read, usergroups:read');
  });

  it.each([
    ['channels:history', CHANNELS[0], 'read the history of channel C0SUPPORT01 (conversations.history)'],
    ['groups:history', CHANNELS[2], 'read the history of channel C0VIPSUPP01 (conversations.history)'],
    ['users:read', CHANNELS[0], 'look up user'],
    ['usergroups:read', CHANNELS[0], 'list the members of user group S0SUPPORT01'],
  ])('names the missing scope %s', async (scope, channel, what) => {
    const { apiUrl } = await startSandbox({ threads: 6, scopes: DEFAULT_SCOPES.filter((granted) => granted !== scope) });
    const error = await failureOf(collect(connectorFor(apiUrl, { channels: [channel ?? ''] })));
    expect(error.kind).toBe('forbidden');
    expect(error.message).toContain(`lacks the "${scope}" scope needed to ${what}`);
    expect(error.message).toContain('Bot Token Scopes');
  });

  it('says to invite the bot into a public channel and cannot see a private one', async () => {
    const { apiUrl } = await startSandbox({ threads: 6, botNotIn: [CHANNELS[1] ?? '', CHANNELS[2] ?? ''] });
    const notIn = await failureOf(collect(connectorFor(apiUrl, { channels: [CHANNELS[1] ?? ''] })));
    expect(notIn).toMatchObject({ kind: 'forbidden', message: expect.stringContaining('the bot is not a member of channel C0SUPPORT02') });
    expect(notIn.message).toContain('/invite');
    const hidden = await failureOf(collect(connectorFor(apiUrl, { channels: [CHANNELS[2] ?? ''] })));
    expect(hidden).toMatchObject({ kind: 'not_found', message: expect.stringContaining('Slack channel C0VIPSUPP01 was not found') });
  });

  it('reports a refused connection and a wrong apiUrl', async () => {
    const { apiUrl } = await startSandbox({ threads: 1 });
    const wrongPath = await failureOf(collect(connectorFor(apiUrl.replace(/\/api\/$/, '/nope/'))));
    expect(wrongPath).toMatchObject({ kind: 'not_found', message: expect.stringContaining('check apiUrl') });
    await closers.pop()?.();
    const refused = await failureOf(collect(connectorFor(apiUrl, {}, { retryPolicy: { maxAttempts: 2, baseDelayMs: 1 } })));
    expect(refused.kind).toBe('network');
    expect(refused.message).toBe(`connection refused by ${new URL(apiUrl).host}: is the Slack apiUrl right?`);
  });
});

describe('slack connector: malformed answers', () => {
  it('reports HTML where JSON was expected', async () => {
    const { apiUrl } = await startSandbox({ threads: 3, malformed: 'html' });
    const error = await failureOf(collect(connectorFor(apiUrl)));
    expect(error.kind).toBe('malformed');
    expect(error.message).toContain("is not the Web API's JSON");
  });

  it('names the missing fields', async () => {
    const { apiUrl } = await startSandbox({ threads: 3, malformed: 'missing-fields' });
    const error = await failureOf(collect(connectorFor(apiUrl)));
    expect(error.kind).toBe('malformed');
    expect(error.message).toContain('read the history of channel C0SUPPORT01');
    expect(error.message).toContain('messages[0].ts');
  });
});

describe('slack connector: settings and credentials', () => {
  it('validates channel ids, user ids, the API URL and the token kind', () => {
    const { settingsSchema, credentialsSchema } = slackConnector;
    expect(settingsSchema.safeParse({ channels: [] }).success).toBe(false);
    expect(settingsSchema.safeParse({ channels: ['#support'] }).success).toBe(false);
    expect(settingsSchema.safeParse({ channels: ['C0123ABCD'], agentUserGroup: 'S0123', agentUserIds: ['U0123'] }).success).toBe(true);
    expect(settingsSchema.safeParse({ channels: ['C0123ABCD'], agentUserIds: ['support-team'] }).success).toBe(false);
    expect(settingsSchema.safeParse({ channels: ['C0123ABCD'], apiUrl: 'not a url' }).success).toBe(false);
    expect(settingsSchema.safeParse({ channels: ['C0123ABCD'], pageSize: 1000 }).success).toBe(false);
    expect(credentialsSchema.safeParse(BOT_TOKEN).success).toBe(true);
    expect(credentialsSchema.safeParse({ type: 'bot_token', token: 'xoxp-a-user-token' }).success).toBe(false);
  });

  it('rejects a cursor it did not write', async () => {
    const connector = slackConnector.create({ channels: ['C0123ABCD'] }, BOT_TOKEN);
    await expect(collect(connector, { afterCursor: 'x' })).rejects.toThrow('not a Slack harvest cursor');
  });
});
