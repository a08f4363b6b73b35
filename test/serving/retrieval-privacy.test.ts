/**
 * Retrieval without leaks (issue 20): a draft for a ticket of connection A is grounded only on A's
 * resolved conversations, even when connection B holds a closer match, and the retrieved texts are
 * scrubbed before they enter the prompt. Real Postgres and pg-boss, the Zendesk sandbox through the
 * real SDK, a loopback OpenAI-protocol model server that records every prompt.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conversation, Message } from '../../integrations/types.ts';
import { createZendeskSandbox, SANDBOX_DEFAULTS } from '../../integrations/zendesk/sandbox/index.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { loadConfig } from '../../src/config.ts';
import { scrubExamples } from '../../src/datasets/prompts/retrieved-examples.ts';
import { similarResolved } from '../../src/datasets/prompts/retrieval.ts';
import { models } from '../../src/db/schema/index.ts';
import type { HubDeps } from '../../src/deps.ts';
import { storeBatch } from '../../src/harvest/store-batch.ts';
import { HANDLERS } from '../../src/jobs/handlers.ts';
import { forgetServingState } from '../../src/models/registry/registry.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeModelServer, type FakeModelServer } from '../support/fake-model-server.ts';
import { addConnection, testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';

const at = (n: number) => new Date(Date.UTC(2025, 0, 1, 10, n));
const person = (id: string, name: string, email: string) => ({ id, name, email });
const message = (n: number, authorRole: Message['authorRole'], body: string, author: Message['author'] = null): Message => ({ sourceId: String(n), authorRole, author, visibility: 'public', body, createdAt: at(n), attachments: [] });
const resolved = (sourceId: string, messages: Message[], requester: Conversation['requester'] = null): Conversation => ({
  source: 'zendesk',
  sourceId,
  subject: `Ticket ${sourceId}`,
  status: 'solved',
  priority: null,
  channel: null,
  language: 'en',
  tags: [],
  customFields: {},
  requester,
  assignee: null,
  organizationId: null,
  createdAt: at(0),
  updatedAt: at(10),
  deleted: false,
  messages,
});

// A's example: about the same problem, full of personal data (a known requester, an email, a phone).
const A_REQUESTER = person('u1', 'Gudrun Wexelberg', 'gudrun.wexelberg@example.org');
const A_QUESTION = 'Hi, my espresso machine order 881 arrived with a cracked water tank. Please call me on +49 170 5550123 or write to gudrun.wexelberg@example.org. Gudrun Wexelberg';
const A_ANSWER = 'Dear Gudrun, sorry about the cracked water tank: a replacement espresso machine tank ships today.';
// B's example: word for word the ticket being drafted, hence a closer match.
const B_QUESTION = 'My espresso machine arrived with a cracked water tank, I want a replacement tank. Zephyrine Quastorf';
const B_ANSWER = 'Zephyrine, B-only answer: we sent a replacement tank by courier BQX-7731.';

describe('retrieval stays within the connection and is scrubbed', () => {
  let database: TestDatabase;
  let queue: Queue;
  let deps: HubDeps;
  let model: FakeModelServer;
  const zendesk = createZendeskSandbox({ seed: 31, tickets: 0 });
  let closeZendesk: () => Promise<void>;
  let connectionA = '';
  let connectionB = '';

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    model = await startFakeModelServer({ reply: () => 'A replacement tank is on its way.' });
    const zd = await zendesk.listen();
    closeZendesk = zd.close;
    const config = loadConfig({ DATABASE_URL: database.url, INFERENCE_BASE_URL: model.url, INFERENCE_MAX_RETRIES: '0' });
    deps = { database, queue, log: captureLogger().log, config, keyring: testKeyring(), artifacts: openArtifactStore(config) };
    const credentials = { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken };
    connectionA = (await addConnection(database, { vendor: 'zendesk', name: 'zd-a', settings: { baseUrl: zd.url }, credentials })).id;
    connectionB = (await addConnection(database, { vendor: 'zendesk', name: 'zd-b', settings: { baseUrl: zd.url }, credentials })).id;
    await database.db.transaction((tx) => storeBatch(tx, connectionA, null, { conversations: [resolved('a-1', [message(1, 'customer', A_QUESTION, A_REQUESTER), message(2, 'agent', A_ANSWER)], A_REQUESTER)], cursor: {} }));
    await database.db.transaction((tx) => storeBatch(tx, connectionB, null, { conversations: [resolved('b-1', [message(1, 'customer', B_QUESTION), message(2, 'agent', B_ANSWER)])], cursor: {} }));
    await database.db.insert(models).values({ task: 'reply', backend: 'local', baseModel: 'base', status: 'production' });
    forgetServingState(database.db, 'reply');
  });
  afterAll(async () => {
    await queue?.stop({ timeoutMs: 2_000 });
    await model?.close();
    await closeZendesk?.();
    await database?.drop();
  });

  it('searches only the connections asked for; none asked for finds nothing', async () => {
    const text = 'espresso machine cracked water tank replacement';
    expect((await similarResolved(database.db, { connectionIds: [connectionB], text })).map((e) => e.answer)).toEqual([B_ANSWER]);
    expect((await similarResolved(database.db, { connectionIds: [connectionA], text })).map((e) => e.answer)).toEqual([A_ANSWER]);
    expect(await similarResolved(database.db, { connectionIds: [], text })).toEqual([]);
  });

  it('scrubs a retrieved example: the example conversation\'s people in every spelling, emails, phones', async () => {
    const [example] = scrubExamples(await similarResolved(database.db, { connectionIds: [connectionA], text: 'espresso cracked tank' }));
    const all = `${example?.question}\n${example?.answer}`;
    for (const leak of ['Gudrun', 'Wexelberg', 'gudrun.wexelberg@example.org', '5550123']) expect(all).not.toContain(leak);
    expect(example?.question).toContain('[EMAIL_1]');
    expect(example?.question).toContain('[PHONE_1]');
    expect(example?.answer).toMatch(/^Dear \[NAME_1\], sorry about the cracked water tank/);
  });

  it('a draft for a ticket of A has A\'s scrubbed example in its prompt and nothing of B', async () => {
    const ticket = zendesk.store.addTicket({ subject: 'Cracked tank', body: 'My espresso machine arrived with a cracked water tank, I want a replacement tank.', requester: { name: 'Ann Customer', email: 'ann@example.org' } });
    await queue.send('draft.generate', { connectionId: connectionA, sourceId: String(ticket.id), deliveryId: randomUUID() });
    const handler = HANDLERS['draft.generate']?.(deps);
    if (!handler) throw new Error('no draft.generate handler');
    expect(await queue.drain('draft.generate', handler)).toEqual({ completed: 1, failed: [] });
    const prompt = JSON.stringify(model.chats.at(-1)?.messages ?? []);
    expect(prompt).toContain('a replacement espresso machine tank ships today');
    for (const leak of ['Zephyrine', 'Quastorf', 'BQX-7731', 'B-only', 'Gudrun', 'Wexelberg', 'gudrun.wexelberg', '5550123']) expect(prompt).not.toContain(leak);
  });
});
