/**
 * Masking on the way to external models (issue 20): a prompt for an OpenAI-backed model leaves with
 * names, emails and phones replaced by placeholders, and the answer comes back with them restored,
 * echoed variants and JSON answers included. End to end through draft.generate: real Postgres and
 * pg-boss, the Zendesk sandbox through the real SDK, a loopback OpenAI-protocol server standing in
 * for OpenAI (OPENAI_BASE_URL) that records what left the hub.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createZendeskSandbox, SANDBOX_DEFAULTS } from '../../integrations/zendesk/sandbox/index.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { loadConfig } from '../../src/config.ts';
import { models } from '../../src/db/schema/index.ts';
import type { HubDeps } from '../../src/deps.ts';
import { HANDLERS } from '../../src/jobs/handlers.ts';
import { createInferenceClient, type ServedModel } from '../../src/models/inference/client.ts';
import { maskPrompt, restoreAnswer, shouldMask } from '../../src/models/inference/masking.ts';
import { inferenceMasked } from '../../src/models/inference/metrics.ts';
import { forgetServingState } from '../../src/models/registry/registry.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../support/fake-model-server.ts';
import { addConnection, testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';

const PROVIDER_MODEL = 'ft:gpt-4o-mini-2024-07-18:acme::masked1';
const EMAIL = 'wilhelmina.okonkwo@example.org';
const PHONE = '+49 30 5550 1987';
const NAME = 'Wilhelmina Okonkwo';

describe('maskPrompt and restoreAnswer', () => {
  it('numbers after the placeholders already in the prompt and restores only its own', () => {
    const masked = maskPrompt(
      [
        { role: 'system', content: 'Similar resolved conversation: [NAME_1] asked about [EMAIL_2].' },
        { role: 'user', content: `Hi, I am ${NAME}, mail ${EMAIL} or call ${PHONE}.` },
      ],
      [{ name: NAME, email: EMAIL }],
    );
    const sent = masked.messages.map((m) => m.content).join('\n');
    for (const leak of ['Wilhelmina', 'Okonkwo', EMAIL, '5550']) expect(sent).not.toContain(leak);
    expect(masked.messages[0]?.content).toBe('Similar resolved conversation: [NAME_1] asked about [EMAIL_2].');
    expect(masked.messages[1]?.content).toBe('Hi, I am [NAME_2], mail [EMAIL_3] or call [PHONE_1].');
    expect(masked.counts).toMatchObject({ NAME: 1, EMAIL: 1, PHONE: 1 });

    const answer = 'Dear [ NAME_2 ], we wrote to {EMAIL_3} and will call <PHONE_1>; NAME_2 and [NAME_1] and {{EMAIL_3}} too.';
    expect(restoreAnswer(answer, masked.values)).toBe(`Dear ${NAME}, we wrote to ${EMAIL} and will call ${PHONE}; ${NAME} and [NAME_1] and ${EMAIL} too.`);
  });

  it('escapes restored values inside a JSON answer', () => {
    const masked = maskPrompt([{ role: 'user', content: 'Signed, "Quirin \\ Obermaier"' }], [{ name: 'Quirin Obermaier' }]);
    const placeholder = [...masked.values.keys()][0] ?? '';
    expect(placeholder).toBe('[NAME_1]');
    const restored = restoreAnswer(JSON.stringify({ summary: `customer ${placeholder}` }), new Map([[placeholder, 'Quirin "Q" Obermaier']]), { json: true });
    expect(JSON.parse(restored)).toEqual({ summary: 'customer Quirin "Q" Obermaier' });
  });

  it('MASK_PROMPTS: external masks OpenAI models only, all masks every model, off none; a bad value stops the config', () => {
    expect([shouldMask('external', { backend: 'openai' }), shouldMask('external', { backend: 'local' })]).toEqual([true, false]);
    expect([shouldMask('all', { backend: 'local' }), shouldMask('off', { backend: 'openai' })]).toEqual([true, false]);
    expect(loadConfig({}).MASK_PROMPTS).toBe('external');
    expect(() => loadConfig({ MASK_PROMPTS: 'sometimes' })).toThrow(/MASK_PROMPTS/);
  });
});

describe('drafts with an external model: masked on the way out, restored on the way back', () => {
  let database: TestDatabase;
  let queue: Queue;
  let deps: HubDeps;
  let openai: FakeModelServer;
  let local: FakeModelServer;
  const zendesk = createZendeskSandbox({ seed: 41, tickets: 0 });
  let closeZendesk: () => Promise<void>;
  let connectionId = '';

  // Answers as a model that saw placeholders would: it echoes them, loosely.
  const reply = (body: ChatBody) => {
    const user = body.messages.findLast((m) => m.role === 'user')?.content ?? '';
    const name = /\[NAME_\d+\]/.exec(user)?.[0] ?? 'there';
    const email = /\[EMAIL_\d+\]/.exec(user)?.[0] ?? '';
    return `Hello ${name.replace('[', '{').replace(']', '}')}, we have sent the label to ${email}.`;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    openai = await startFakeModelServer({ baseModels: [PROVIDER_MODEL], reply });
    local = await startFakeModelServer({ reply });
    const zd = await zendesk.listen();
    closeZendesk = zd.close;
    const config = loadConfig({ DATABASE_URL: database.url, OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: 'sk-test-masking', INFERENCE_BASE_URL: local.url, INFERENCE_MAX_RETRIES: '0' });
    deps = { database, queue, log: captureLogger().log, config, keyring: testKeyring(), artifacts: openArtifactStore(config) };
    connectionId = (await addConnection(database, { vendor: 'zendesk', name: 'zd-mask', settings: { baseUrl: zd.url }, credentials: { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken } })).id;
    await database.db.insert(models).values({ task: 'reply', backend: 'openai', baseModel: 'gpt-4o-mini-2024-07-18', providerModel: PROVIDER_MODEL, status: 'production' });
    forgetServingState(database.db, 'reply');
  });
  afterAll(async () => {
    await queue?.stop({ timeoutMs: 2_000 });
    await openai?.close();
    await local?.close();
    await closeZendesk?.();
    await database?.drop();
  });

  it('what reaches OpenAI holds no name, email or phone; the posted note has them back', async () => {
    const before = (await inferenceMasked.get()).values.filter((v) => v.labels.backend === 'openai').reduce((sum, v) => sum + v.value, 0);
    const ticket = zendesk.store.addTicket({
      subject: 'Return label',
      body: `Hello, please send the return label for order 5521 to ${EMAIL}. You can also call me on ${PHONE}. Thanks, ${NAME}`,
      requester: { name: NAME, email: EMAIL },
    });
    await queue.send('draft.generate', { connectionId, sourceId: String(ticket.id), deliveryId: randomUUID() });
    const handler = HANDLERS['draft.generate']?.(deps);
    if (!handler) throw new Error('no draft.generate handler');
    expect(await queue.drain('draft.generate', handler)).toEqual({ completed: 1, failed: [] });

    const sent = JSON.stringify(openai.chats.at(-1)?.messages ?? []);
    expect(openai.chats.at(-1)?.model).toBe(PROVIDER_MODEL);
    for (const leak of ['Wilhelmina', 'Okonkwo', 'okonkwo', EMAIL, '5550 1987', '1987']) expect(sent).not.toContain(leak);
    expect(sent).toContain('[EMAIL_');
    const note = ticket.comments.find((c) => !c.public && c.body.includes('— tuneloop draft'));
    expect(note?.body).toContain(`Hello ${NAME}, we have sent the label to ${EMAIL}.`);
    const after = (await inferenceMasked.get()).values.filter((v) => v.labels.backend === 'openai').reduce((sum, v) => sum + v.value, 0);
    expect(after - before).toBeGreaterThanOrEqual(3);
  });

  it('a local model gets the prompt as it is with the default setting, masked with MASK_PROMPTS=all', async () => {
    const model: ServedModel = { id: randomUUID(), task: 'reply', backend: 'local', baseModel: 'base', adapterPath: null, modelPath: null, providerModel: null };
    const prompt = [{ role: 'user' as const, content: `I am ${NAME}, write to ${EMAIL}` }];
    const plain = createInferenceClient({ config: loadConfig({ INFERENCE_BASE_URL: local.url, INFERENCE_MAX_RETRIES: '0' }), log: captureLogger().log });
    await plain.complete(model, prompt, { knownPeople: [{ name: NAME, email: EMAIL }] });
    expect(local.chats.at(-1)?.messages.at(-1)?.content).toBe(`I am ${NAME}, write to ${EMAIL}`);

    const masking = createInferenceClient({ config: loadConfig({ INFERENCE_BASE_URL: local.url, INFERENCE_MAX_RETRIES: '0', MASK_PROMPTS: 'all' }), log: captureLogger().log });
    const result = await masking.complete(model, prompt, { knownPeople: [{ name: NAME, email: EMAIL }] });
    expect(local.chats.at(-1)?.messages.at(-1)?.content).toBe('I am [NAME_1], write to [EMAIL_1]');
    expect(result.text).toBe(`Hello ${NAME}, we have sent the label to ${EMAIL}.`);
  });
});
