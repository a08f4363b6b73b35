/**
 * The Intercom connector, write-back and webhook against the loopback sandbox, through the official
 * intercom-client SDK: harvest at ⌈N/150⌉ + N requests, resume from any cursor, the rate limit read
 * from its headers (never a call over it), 5xx, cut-off answers, records deleted between search and
 * read, notes at most once per marker, triage as tags, and signed deliveries. No database.
 */
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createIntercomConnector, type IntercomConnectorOptions } from '../../integrations/intercom/connector.ts';
import { API_ADMIN, createIntercomSandbox, FOLLOW_UP_BODY, SANDBOX_DEFAULTS, type IntercomSandboxOptions } from '../../integrations/intercom/sandbox/index.ts';
import { intercomWebhook, signIntercom } from '../../integrations/intercom/webhook.ts';
import { IntercomWriteBack } from '../../integrations/intercom/write-back.ts';
import { VendorError, type Connector, type Conversation, type Cursor, type HarvestBatch, type InboundRequest } from '../../integrations/types.ts';

const CREDENTIALS = { type: 'access_token', accessToken: SANDBOX_DEFAULTS.accessToken } as const;
const FAST_RETRY: IntercomConnectorOptions = { retryPolicy: { baseDelayMs: 2, maxDelayMs: 20 } };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

async function startSandbox(options: IntercomSandboxOptions = {}) {
  const sandbox = createIntercomSandbox({ seed: 5, conversations: 300, ...options });
  const { url, close } = await sandbox.listen();
  closers.push(close);
  return { sandbox, url };
}

async function collect(connector: Connector, cursor: Cursor | null = null): Promise<HarvestBatch[]> {
  const batches: HarvestBatch[] = [];
  for await (const batch of connector.harvest(cursor)) batches.push(batch);
  return batches;
}

const conversationsOf = (batches: HarvestBatch[]) => {
  const byId = new Map<string, Conversation>();
  for (const batch of batches) for (const conversation of batch.conversations) byId.set(conversation.sourceId, conversation);
  return byId;
};
const requestsOf = (batches: HarvestBatch[]) => batches.reduce((sum, batch) => sum + (batch.requests ?? 0), 0);
const messagesOf = (byId: Map<string, Conversation>) => [...byId.values()].reduce((sum, c) => sum + c.messages.length, 0);

describe('Intercom harvest', () => {
  it('reads every conversation whole at ⌈N/150⌉ + N requests, pacing itself by the rate-limit headers', async () => {
    // A short window, so the 300 reads cross several of them: the client must wait, never be refused.
    const { sandbox, url } = await startSandbox({ limits: { perWindow: 120, windowMs: 1_000 } });
    const connector = createIntercomConnector({ baseUrl: url }, CREDENTIALS, { ...FAST_RETRY, batchSize: 40 });
    const batches = await collect(connector);
    const byId = conversationsOf(batches);
    expect(byId.size).toBe(300);
    expect(messagesOf(byId)).toBe(sandbox.store.messageCount);
    expect(requestsOf(batches)).toBe(Math.ceil(300 / 150) + 300);
    expect(sandbox.store.requestLog.length).toBe(requestsOf(batches));
    expect(sandbox.store.overLimit).toEqual([]);
    expect(sandbox.store.violations).toEqual([]);
    const searches = sandbox.store.requestLog.filter((entry) => entry.path === '/conversations/search');
    expect(searches[0]?.body).toMatchObject({ sort: { field: 'updated_at', order: 'ascending' }, pagination: { per_page: 150 } });
    expect(sandbox.store.requestLog.filter((entry) => entry.path !== '/conversations/search').every((entry) => entry.query === '?display_as=plaintext')).toBe(true);

    const sample = byId.get('14');
    const stored = sandbox.store.conversations.get('14');
    expect(sample?.messages[0]).toMatchObject({ sourceId: `source:${stored?.source.id}`, authorRole: 'customer', visibility: 'public' });
    expect(sample?.messages[0]?.author?.email).toBe(sandbox.store.contacts.get(stored?.contactId ?? '')?.email);
    const notes = [...byId.values()].flatMap((c) => c.messages).filter((m) => m.visibility === 'internal');
    expect(notes.length).toBeGreaterThan(0);
    expect(notes.every((m) => m.authorRole === 'agent' && m.author?.email?.endsWith('@support.example-shop.com'))).toBe(true);
    expect([...byId.values()].flatMap((c) => c.messages).some((m) => m.authorRole === 'bot')).toBe(true);
  });

  it('resumes from any batch cursor without losing or repeating, and a poll brings only what changed', async () => {
    const { sandbox, url } = await startSandbox({ rateLimits: false });
    const connector = createIntercomConnector({ baseUrl: url }, CREDENTIALS, { ...FAST_RETRY, batchSize: 25 });
    const full = await collect(connector);
    const all = conversationsOf(full);
    const middle = full[5];
    if (!middle) throw new Error('expected more batches');
    const before = conversationsOf(full.slice(0, 6));
    const rest = conversationsOf(await collect(connector, middle.cursor));
    expect(new Set([...before.keys(), ...rest.keys()])).toEqual(new Set(all.keys()));
    expect([...before.keys()].filter((id) => rest.has(id))).toEqual([]);

    const last = full.at(-1)?.cursor ?? null;
    expect(conversationsOf(await collect(connector, last)).size).toBe(0);
    const touched = sandbox.touchConversations(4);
    const poll = conversationsOf(await collect(connector, last));
    expect([...poll.keys()].sort()).toEqual([...touched].sort());
    expect(poll.get(touched[0] ?? '')?.messages.at(-1)?.body).toBe(FOLLOW_UP_BODY);
  });

  it('retries 5xx, cut-off answers and injected 429s without calling before the reset', async () => {
    const { sandbox, url } = await startSandbox({ conversations: 200, rateLimitEvery: 70, errorBurst: 2, partialBodies: 2 });
    const batches = await collect(createIntercomConnector({ baseUrl: url }, CREDENTIALS, { ...FAST_RETRY, readConcurrency: 1 }));
    expect(conversationsOf(batches).size).toBe(200);
    expect(sandbox.store.requestLog.filter((entry) => entry.status === 429).length).toBeGreaterThan(1);
    expect(sandbox.store.violations).toEqual([]);
    expect(requestsOf(batches)).toBe(sandbox.store.requestLog.length);
  });

  it('with reads in parallel, calls nothing new after a 429 until its reset: only calls already sent arrive early', async () => {
    const { sandbox, url } = await startSandbox({ conversations: 200, rateLimitEvery: 70, errorBurst: 2, partialBodies: 2 });
    const concurrency = 4;
    const batches = await collect(createIntercomConnector({ baseUrl: url }, CREDENTIALS, { ...FAST_RETRY, readConcurrency: concurrency }));
    expect(conversationsOf(batches).size).toBe(200);
    const injected = sandbox.store.requestLog.filter((entry) => entry.status === 429).length - sandbox.store.violations.length;
    expect(injected).toBeGreaterThan(1);
    // Each early arrival was already on the wire when the 429 was answered (at most concurrency − 1
    // per 429); it got a 429 itself and was read again after the reset.
    expect(sandbox.store.violations.length).toBeLessThanOrEqual((concurrency - 1) * injected);
    expect(requestsOf(batches)).toBe(sandbox.store.requestLog.length);
  });

  it('skips, and counts, conversations deleted between the search and their read', async () => {
    const { sandbox, url } = await startSandbox({ conversations: 200, deleteAfterSearch: 1 });
    const warnings: Array<Record<string, unknown>> = [];
    const log = { debug: () => undefined, info: () => undefined, warn: (obj: object, msg?: string) => void warnings.push({ ...obj, msg }) };
    const batches: HarvestBatch[] = [];
    for await (const batch of createIntercomConnector({ baseUrl: url }, CREDENTIALS, FAST_RETRY).harvest(null, { log })) batches.push(batch);
    // Two search pages, each of which lost its first conversation before it was read.
    expect(conversationsOf(batches).size).toBe(198);
    expect(new Set(conversationsOf(batches).keys())).toEqual(new Set(sandbox.store.conversations.keys()));
    expect(warnings).toContainEqual(expect.objectContaining({ vendor: 'intercom', skipped: 2 }));
  });

  it('fails clearly on a wrong token, without retrying', async () => {
    const { sandbox, url } = await startSandbox();
    const connector = createIntercomConnector({ baseUrl: url }, { type: 'access_token', accessToken: 'wrong' }, FAST_RETRY);
    const error = await collect(connector).then(() => null, (thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(VendorError);
    expect((error as VendorError).kind).toBe('auth');
    expect((error as VendorError).message).toMatch(/Intercom rejected the access token \(401\)/);
    expect((error as VendorError).message).not.toContain('wrong');
    expect(sandbox.store.requestLog).toHaveLength(1);
    expect(await connector.test()).toMatchObject({ ok: false });
    expect(await createIntercomConnector({ baseUrl: url }, CREDENTIALS).test()).toMatchObject({ ok: true, detail: expect.stringContaining('Tuneloop Integration') });
  });
});

describe('Intercom write-back', () => {
  it('posts a draft as an internal note once per marker, even when the answer is lost', async () => {
    const { sandbox, url } = await startSandbox({ rateLimits: false });
    const writeBack = new IntercomWriteBack({ baseUrl: url, adminId: API_ADMIN.id }, CREDENTIALS, FAST_RETRY);
    const marker = 'tuneloop-draft:abc123';
    // The reply is stored, but its answer is cut off: the retry finds the note instead of posting again.
    sandbox.setFaults({ partialBodies: 1 });
    const posted = await writeBack.postInternalNote('21', `Suggested reply\n\n${marker}`, marker);
    expect(sandbox.store.requestLog.map((entry) => `${entry.method} ${entry.path}`)).toEqual(['POST /conversations/21/reply', 'GET /conversations/21']);
    const conversation = sandbox.store.conversations.get('21');
    const notes = conversation?.parts.filter((part) => part.partType === 'note' && part.body?.includes(marker)) ?? [];
    expect(notes).toHaveLength(1);
    expect(posted.noteId).toBe(notes[0]?.id);
    expect(await writeBack.findNote('21', marker)).toBe(notes[0]?.id);
    expect(notes[0]?.author).toEqual({ type: 'admin', id: sandbox.store.apiAdminId });
    const reply = sandbox.store.requestLog.find((entry) => entry.path === '/conversations/21/reply');
    expect(reply?.body).toMatchObject({ message_type: 'note', type: 'admin', admin_id: sandbox.store.apiAdminId });
    expect((await writeBack.fetchTicket('21')).messages.some((m) => m.visibility === 'internal' && m.body.includes(marker))).toBe(true);
  });

  it('writes triage as tags, adding only the missing ones', async () => {
    const { sandbox, url } = await startSandbox({ rateLimits: false });
    const writeBack = new IntercomWriteBack({ baseUrl: url }, CREDENTIALS, FAST_RETRY);
    const existing = sandbox.store.tags.get(sandbox.store.conversations.get('8')?.tagIds[0] ?? '')?.name ?? '';
    const outcome = await writeBack.applyTriage('8', { tags: ['Refund request', existing], priority: 'high', fields: { confidence: '0.9' } });
    expect(outcome.applied).toEqual(['tag:Refund request']);
    expect(outcome.skipped).toEqual(expect.arrayContaining([expect.stringMatching(/^priority/), expect.stringMatching(/^confidence/)]));
    const names = sandbox.store.conversations.get('8')?.tagIds.map((id) => sandbox.store.tags.get(id)?.name);
    expect(names).toContain('Refund request');
    const again = await writeBack.applyTriage('8', { tags: ['refund request'], fields: {} });
    expect(again).toEqual({ applied: [], skipped: ['tags: already on the conversation'] });
    expect(writeBack.unsupported()).toBeNull();
    await expect(writeBack.fetchTicket('999999')).rejects.toMatchObject({ kind: 'not_found' });
  });
});

describe('Intercom webhooks', () => {
  function inbound(body: string, headers: Record<string, string>): InboundRequest {
    return { method: 'POST', url: 'https://hub.example/webhooks/intercom/x', header: (name) => headers[name.toLowerCase()], body: new TextEncoder().encode(body) };
  }

  it('verifies X-Hub-Signature (HMAC-SHA1 of the raw body) and parses the sandbox\'s signed deliveries', async () => {
    const received: Array<{ body: string; signature: string | undefined }> = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: request.headers['x-hub-signature'] as string | undefined });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const { sandbox, url } = await startSandbox({ rateLimits: false });
    sandbox.subscribe({ url: `http://127.0.0.1:${port}/hook`, clientSecret: SANDBOX_DEFAULTS.clientSecret, topics: ['conversation.user.replied', 'conversation.user.created', 'conversation.admin.noted'] });
    const [touched] = sandbox.touchConversations(1);
    const started = sandbox.startConversation({ name: 'Ada Lovelace', email: 'ada@example.org', body: 'My order never arrived.' });
    await new IntercomWriteBack({ baseUrl: url }, CREDENTIALS).postInternalNote(started.id, 'note tuneloop-draft:x1', 'tuneloop-draft:x1');
    await sandbox.flushDeliveries();
    expect(received).toHaveLength(3);

    const events = received.map(({ body, signature }) => {
      const request = inbound(body, { 'x-hub-signature': signature ?? '' });
      expect(intercomWebhook.verify(request, SANDBOX_DEFAULTS.clientSecret, Date.now())).toEqual({ ok: true });
      return intercomWebhook.events(request, JSON.parse(body))?.[0];
    });
    expect(events.map((event) => [event?.event, event?.sourceId, event?.actionable])).toEqual([
      ['conversation.user.replied', touched, true],
      ['conversation.user.created', started.id, true],
      // tuneloop's own note must not set off more work.
      ['conversation.admin.noted', started.id, false],
    ]);
    expect(new Set(events.map((event) => event?.deliveryId)).size).toBe(3);

    const first = received[0];
    if (!first) throw new Error('no delivery');
    const tampered = inbound(first.body.replace('conversation.user.replied', 'conversation.user.created'), { 'x-hub-signature': first.signature ?? '' });
    expect(intercomWebhook.verify(tampered, SANDBOX_DEFAULTS.clientSecret, Date.now())).toEqual({ ok: false, reason: 'mismatch' });
    expect(intercomWebhook.verify(inbound(first.body, {}), SANDBOX_DEFAULTS.clientSecret, Date.now())).toEqual({ ok: false, reason: 'missing' });
    expect(intercomWebhook.verify(inbound(first.body, { 'x-hub-signature': signIntercom('other-secret', first.body) }), SANDBOX_DEFAULTS.clientSecret, Date.now())).toEqual({ ok: false, reason: 'mismatch' });
    expect(intercomWebhook.events(inbound('{}', {}), { type: 'notification_event', id: 'notif_1', topic: 'ping', data: { item: { type: 'ping' } } })).toEqual([
      { deliveryId: 'intercom:notif_1', event: 'ping', sourceId: null, actionable: false },
    ]);
    expect(intercomWebhook.events(inbound('{}', {}), { hello: 'world' })).toBeNull();
  });
});
