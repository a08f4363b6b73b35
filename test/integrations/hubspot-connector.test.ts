/**
 * The HubSpot connector against the loopback sandbox, through the real @hubspot/api-client:
 * inbox threads and tickets harvested exactly (5,000 in one run), resume from any cursor, touched
 * conversations picked up exactly, ties of many records at one timestamp, the search cap, truncated
 * messages and `since`. No database: batches are collected in memory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hubspotConnector, type HubSpotCursor } from '../../integrations/hubspot/connector.ts';
import { conversationRefFor, createHubSpotSandbox, FILE_ID_BASE, FOLLOW_UP_BODY, SANDBOX_DEFAULTS, type HubSpotSandboxOptions } from '../../integrations/hubspot/sandbox/index.ts';
import { generateSupportThreads, type SandboxThread, type SandboxTurnKind } from '../../integrations/sandbox-kit/data.ts';
import type { Connector, Conversation, Cursor, HarvestBatch } from '../../integrations/types.ts';

const SEED = 11;
const TOKEN = { type: 'private_app', accessToken: SANDBOX_DEFAULTS.privateAppToken } as const;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

/** HubSpot's real limits are on in the sandbox by default; these tests of the harvest's results lift them. */
async function startSandbox(options: HubSpotSandboxOptions = {}) {
  const sandbox = createHubSpotSandbox({ seed: SEED, conversations: 60, rateLimits: false, ...options });
  const { url, close } = await sandbox.listen();
  closers.push(close);
  return { sandbox, url };
}

async function collect(connector: Connector, cursor: Cursor | null = null): Promise<HarvestBatch[]> {
  const batches: HarvestBatch[] = [];
  for await (const batch of connector.harvest(cursor)) batches.push(batch);
  return batches;
}

function idsOf(batches: HarvestBatch[]): string[] {
  return batches.flatMap((batch) => batch.conversations.map((c) => c.sourceId));
}

function conversationsOf(batches: HarvestBatch[]): Map<string, Conversation> {
  return new Map(batches.flatMap((batch) => batch.conversations.map((c) => [c.sourceId, c] as const)));
}

const sorted = (ids: Iterable<string>) => [...ids].sort();
const normalize = (text: string) => text.replace(/\s+/g, ' ').trim();
const EXPECTED_ROLE: Record<SandboxTurnKind, { role: string; visibility: string }> = {
  customer: { role: 'customer', visibility: 'public' },
  agent: { role: 'agent', visibility: 'public' },
  internal: { role: 'agent', visibility: 'internal' },
  bot: { role: 'bot', visibility: 'public' },
};
const TICKET_STATUS = { new: 'new', pending: 'pending', open: 'open', solved: 'closed', closed: 'closed' } as const;
const TICKET_PRIORITY = { low: 'low', normal: 'medium', high: 'high', urgent: 'urgent' } as const;

function expectMatches(conversation: Conversation | undefined, thread: SandboxThread) {
  expect(conversation, `conversation ${thread.number}`).toBeDefined();
  if (!conversation) return;
  const isTicket = thread.number % 2 === 0;
  const isChat = thread.number % 4 === 1;
  expect(conversation).toMatchObject({
    source: 'hubspot',
    subject: isChat ? null : thread.subject,
    status: isTicket ? TICKET_STATUS[thread.status] : thread.status === 'solved' || thread.status === 'closed' ? 'closed' : 'open',
    priority: isTicket ? TICKET_PRIORITY[thread.priority] : null,
    channel: isChat ? 'chat' : 'email',
    language: 'en',
    deleted: false,
  });
  expect(conversation.requester).toMatchObject({ name: thread.customer.name, email: thread.customer.email });
  expect(conversation.assignee?.name).toBe(thread.agent.name);
  if (isTicket) {
    expect(conversation.tags).toEqual([thread.category]);
    expect(conversation.customFields).toMatchObject({ support_intent: thread.intent, hs_pipeline: '0' });
  }
  expect(conversation.messages.map((m) => ({ role: m.authorRole, visibility: m.visibility }))).toEqual(thread.turns.map((turn) => EXPECTED_ROLE[turn.kind]));
  expect(conversation.messages.map((m) => normalize(m.body))).toEqual(thread.turns.map((turn) => normalize(turn.body)));
  expect(conversation.messages.map((m) => m.createdAt.getTime())).toEqual(thread.turns.map((turn) => turn.at.getTime()));
  const attachment = isTicket ? `file-${FILE_ID_BASE + thread.number}` : `screenshot-${thread.number}.png`;
  expect(conversation.messages[0]?.attachments).toEqual(thread.number % 7 === 0 ? [attachment] : []);
  for (const [index, turn] of thread.turns.entries()) {
    const author = conversation.messages[index]?.author;
    if (turn.kind === 'agent' || turn.kind === 'internal') expect(author?.name).toBe(thread.agent.name);
    if (turn.kind === 'customer') expect(author).toMatchObject({ name: thread.customer.name, email: thread.customer.email });
  }
}

describe('hubspot connector: harvest', () => {
  it('harvests every inbox thread and ticket with its messages, roles, visibility and fields', async () => {
    const { url, sandbox } = await startSandbox({ conversations: 300 });
    const connector = hubspotConnector.create({ baseUrl: url, pageSize: 50, ticketProperties: ['support_intent'] }, TOKEN, { batchSize: 40 });
    const batches = await collect(connector);

    expect(batches.every((batch) => batch.conversations.length <= 40)).toBe(true);
    expect(idsOf(batches)).toHaveLength(300);
    const harvested = conversationsOf(batches);
    for (const thread of generateSupportThreads({ seed: SEED, count: 300 })) expectMatches(harvested.get(conversationRefFor(thread.number)), thread);
    // Threads first, then tickets: no batch mixes them.
    const kinds = batches.map((batch) => new Set(batch.conversations.map((c) => c.sourceId.split(':')[0])));
    expect(kinds.every((kind) => kind.size === 1)).toBe(true);
    expect(sandbox.store.requestLog.every((entry) => entry.status === 200)).toBe(true);
  });

  it('harvests 5,000 conversations exactly, every message once', async () => {
    const { url, sandbox } = await startSandbox({ conversations: 5_000 });
    const connector = hubspotConnector.create({ baseUrl: url }, TOKEN, { batchSize: 100 });
    const started = performance.now();
    const batches = await collect(connector);
    const seconds = (performance.now() - started) / 1000;

    const ids = idsOf(batches);
    expect(ids).toHaveLength(5_000);
    expect(new Set(ids).size).toBe(5_000);
    expect(batches.every((batch) => batch.conversations.length <= 100)).toBe(true);
    expect(batches.reduce((sum, batch) => sum + batch.conversations.reduce((n, c) => n + c.messages.length, 0), 0)).toBe(sandbox.store.messageCount);
    const expected = generateSupportThreads({ seed: SEED, count: 5_000 }).map((thread) => conversationRefFor(thread.number));
    expect(sorted(ids)).toEqual(sorted(expected));
    console.info(`hubspot sandbox: 5,000 conversations in ${seconds.toFixed(1)}s, ${sandbox.store.requestLog.length} requests`);
  });

  it('resumes from any cursor it yielded, repeating nothing and losing nothing', async () => {
    const { url } = await startSandbox({ conversations: 130 });
    const connector = hubspotConnector.create({ baseUrl: url, pageSize: 30 }, TOKEN, { batchSize: 20 });
    const batches = await collect(connector);
    const all = idsOf(batches);
    expect(all).toHaveLength(130);

    const lastThreadBatch = batches.findLastIndex((batch) => batch.conversations[0]?.sourceId.startsWith('thread:'));
    for (const stop of [0, 1, lastThreadBatch, lastThreadBatch + 1, batches.length - 2]) {
      const before = idsOf(batches.slice(0, stop + 1));
      const resumed = idsOf(await collect(connector, batches[stop]?.cursor ?? null));
      expect(sorted([...before, ...resumed]), `resume after batch ${stop}`).toEqual(sorted(all));
    }
    // The cursor survives a JSON round trip (it is stored in Postgres).
    const middle = JSON.parse(JSON.stringify(batches[3]?.cursor)) as HubSpotCursor;
    expect(idsOf(await collect(connector, middle))).toEqual(all.slice(idsOf(batches.slice(0, 4)).length));
  });

  it('picks up exactly the touched threads and tickets from the final cursor', async () => {
    const { url, sandbox } = await startSandbox({ conversations: 80 });
    const connector = hubspotConnector.create({ baseUrl: url }, TOKEN);
    const first = await collect(connector);
    const final = first.at(-1)?.cursor ?? null;
    const before = conversationsOf(first);
    expect(idsOf(await collect(connector, final))).toEqual([]);

    const touched = sandbox.store.touch(10);
    const second = await collect(connector, final);
    expect(sorted(idsOf(second))).toEqual(sorted(touched));
    const changed = conversationsOf(second);
    for (const id of touched) {
      expect(changed.get(id)?.messages.length).toBe((before.get(id)?.messages.length ?? 0) + 1);
      expect(changed.get(id)?.messages.at(-1)).toMatchObject({ authorRole: 'customer', visibility: 'public', body: FOLLOW_UP_BODY });
    }

    // Right after, only tickets changed within the search-index look-back (2 minutes) come again, unchanged.
    const third = conversationsOf(await collect(connector, second.at(-1)?.cursor ?? null));
    expect(sorted(third.keys())).toEqual(sorted(touched.filter((id) => id.startsWith('ticket:'))));
    for (const [id, conversation] of third) expect(conversation).toEqual(changed.get(id));
  });

  it('walks more than a page of records that share one timestamp, from any cursor', async () => {
    const { url, sandbox } = await startSandbox({ conversations: 60 });
    const connector = hubspotConnector.create({ baseUrl: url, pageSize: 7 }, TOKEN, { batchSize: 3 });
    const final = (await collect(connector)).at(-1)?.cursor ?? null;

    // A bulk edit: 20 threads and 20 tickets at the same millisecond, four pages' worth each.
    const at = new Date();
    const touched = [...sandbox.store.touchThreads(20, at), ...sandbox.store.touchTickets(20, at)];
    const batches = await collect(connector, final);
    const ids = idsOf(batches);
    expect(ids).toHaveLength(40);
    expect(sorted(ids)).toEqual(sorted(touched));
    // Tickets at one timestamp were walked by id; threads by HubSpot's paging token.
    const log = sandbox.store.requestLog;
    expect(log.some((entry) => JSON.stringify(entry.body).includes('"sorts":[{"propertyName":"hs_object_id","direction":"ASCENDING"}]'))).toBe(true);
    expect(log.some((entry) => entry.path.endsWith('/threads') && entry.query.includes('after='))).toBe(true);
    for (const stop of [2, 6, 9, 12]) {
      const resumed = idsOf(await collect(connector, batches[stop]?.cursor ?? null));
      const rest = new Set(resumed);
      for (const id of idsOf(batches.slice(0, stop + 1))) rest.add(id);
      // Tickets within the look-back may come again; nothing may be missing.
      expect(sorted(rest), `resume after batch ${stop}`).toEqual(sorted(touched));
      expect(resumed.filter((id) => id.startsWith('thread:')).length).toBe(new Set(resumed.filter((id) => id.startsWith('thread:'))).size);
    }
  });

  it('harvests more tickets than the search cap allows in one query', async () => {
    const { url, sandbox } = await startSandbox({ conversations: 120, searchResultCap: 25 });
    const connector = hubspotConnector.create({ baseUrl: url, pageSize: 10 }, TOKEN, { batchSize: 10 });
    const ids = idsOf(await collect(connector));
    expect(ids.filter((id) => id.startsWith('ticket:'))).toHaveLength(60);
    expect(new Set(ids).size).toBe(120);
    expect(sandbox.store.requestLog.filter((entry) => entry.status !== 200)).toEqual([]);
  });

  it('reads the original content of truncated messages', async () => {
    const { url, sandbox } = await startSandbox({ conversations: 20, truncateAt: 120 });
    const harvested = conversationsOf(await collect(hubspotConnector.create({ baseUrl: url }, TOKEN)));
    for (const thread of generateSupportThreads({ seed: SEED, count: 20 })) {
      expect(harvested.get(conversationRefFor(thread.number))?.messages.map((m) => normalize(m.body))).toEqual(thread.turns.map((turn) => normalize(turn.body)));
    }
    expect(sandbox.store.requestLog.filter((entry) => entry.path.endsWith('/original-content')).length).toBeGreaterThan(5);
  });

  it('maps a visitor who is no contact, welcome messages, and skips item types it does not know', async () => {
    const { url, sandbox } = await startSandbox({ conversations: 2 });
    const [thread] = sandbox.store.threads.values();
    if (!thread) throw new Error('the sandbox has no thread');
    thread.associatedContactId = '999000999';
    const welcomeAt = new Date(thread.createdAt.getTime() - 1000);
    const base = { createdAt: welcomeAt, createdBy: 'S-hubspot', text: 'Hi! How can we help?', richText: null, subject: null, direction: null, recipientActorId: null, attachments: [] };
    sandbox.store.addMessage(thread, { ...base, type: 'WELCOME_MESSAGE' });
    sandbox.store.addMessage(thread, { ...base, type: 'THREAD_STATUS_CHANGE', newStatus: 'OPEN' });
    const conversation = conversationsOf(await collect(hubspotConnector.create({ baseUrl: url }, TOKEN))).get(`thread:${thread.id}`);
    const customer = sandbox.store.actors.get(sandbox.store.customerActorOf(thread));
    expect(conversation?.requester).toEqual({ id: customer?.id, name: customer?.name, email: customer?.email });
    expect(conversation?.organizationId).toBeNull();
    expect(conversation?.messages[0]).toMatchObject({ authorRole: 'system', author: null, visibility: 'public', body: 'Hi! How can we help?' });
    expect(conversation?.messages.filter((m) => m.authorRole === 'system')).toHaveLength(1);
  });

  it('starts at `since` when there is no cursor', async () => {
    const { url } = await startSandbox({ conversations: 40 });
    const threads = generateSupportThreads({ seed: SEED, count: 40 });
    const since = new Date(threads[24]?.updatedAt ?? 0);
    const connector = hubspotConnector.create({ baseUrl: url }, TOKEN, { since });
    const expected = threads.filter((t) => t.updatedAt.getTime() >= since.getTime()).map((t) => conversationRefFor(t.number));
    expect(sorted(idsOf(await collect(connector)))).toEqual(sorted(expected));
  });

  it('stops between requests when the signal aborts', async () => {
    const { url, sandbox } = await startSandbox({ conversations: 60 });
    const connector = hubspotConnector.create({ baseUrl: url }, TOKEN, { batchSize: 10 });
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
