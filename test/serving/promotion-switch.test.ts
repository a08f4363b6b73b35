/**
 * A promotion changes what agents get, without a restart: the worker (its own database handle, as
 * another process would have) drafts with model A, the registry promotes B from the "CLI" (another
 * handle), and once the worker's one-second cache of the production model has passed its next draft
 * comes from B; a rollback brings A back the same way. Real Postgres, the Zendesk sandbox through
 * its SDK, and a loopback OpenAI-protocol server answering as the model it is asked for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createZendeskSandbox, SANDBOX_DEFAULTS } from '../../integrations/zendesk/sandbox/index.ts';
import { loadConfig } from '../../src/config.ts';
import { connectDatabase, type Database } from '../../src/db/client.ts';
import { models } from '../../src/db/schema/index.ts';
import { HANDLERS } from '../../src/jobs/handlers.ts';
import { promote, rollback } from '../../src/models/registry/promotion.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeModelServer, type FakeModelServer } from '../support/fake-model-server.ts';
import { addConnection, testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';

/** Longer than the registry's per-process cache of the production model (1 s). */
const CACHE_PASSED_MS = 1_100;

describe('promotion and rollback switch the drafts without a restart', () => {
  let database: TestDatabase;
  let worker: Database;
  let server: FakeModelServer;
  const zendesk = createZendeskSandbox({ seed: 31, tickets: 2 });
  let closeZendesk: () => Promise<void>;
  let connectionId = '';

  beforeAll(async () => {
    database = await createTestDatabase();
    worker = connectDatabase(database.url, { max: 4 });
    server = await startFakeModelServer({ baseModels: ['model-a', 'model-b'], reply: (body) => `Draft written by ${body.model}: we will look into order 42 today.` });
    const zd = await zendesk.listen();
    closeZendesk = zd.close;
    connectionId = (await addConnection(database, { vendor: 'zendesk', name: 'zd', settings: { baseUrl: zd.url }, credentials: { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken } })).id;
  });
  afterAll(async () => {
    await worker?.close();
    await server?.close();
    await closeZendesk?.();
    await database?.drop();
  });

  it('drafts come from the model in production at the time', async () => {
    const config = loadConfig({ DATABASE_URL: database.url, INFERENCE_BASE_URL: server.url, INFERENCE_MAX_RETRIES: '0' });
    const draft = HANDLERS['draft.generate']?.({ database: worker, queue: null as never, log: captureLogger().log, config, keyring: testKeyring(), artifacts: openArtifactStore(config) });
    if (!draft) throw new Error('no draft.generate handler');
    const job = { id: 'j', signal: new AbortController().signal, retryCount: 0 };
    const draftFor = async () => {
      const ticket = zendesk.store.addTicket({ subject: 'Where is order 42?', body: 'Hi, my order 42 has not arrived yet. Can you check?', requester: { name: 'Ann Customer', email: 'ann@example.org' } });
      await draft({ connectionId, sourceId: String(ticket.id) }, job);
      const notes = ticket.comments.filter((comment) => !comment.public && comment.body.includes('— tuneloop draft'));
      expect(notes).toHaveLength(1);
      return /written by (model-[ab])/.exec(notes[0]?.body ?? '')?.[1];
    };
    const [a, b] = await database.db.insert(models).values([{ task: 'reply', backend: 'local' as const, baseModel: 'model-a' }, { task: 'reply', backend: 'local' as const, baseModel: 'model-b' }]).returning();
    if (!a || !b) throw new Error('models not created');
    const cli = { actor: 'cli', force: true, reason: 'no evaluation in this test' };

    await promote(database.db, a.id, cli);
    expect(await draftFor()).toBe('model-a');

    await promote(database.db, b.id, cli);
    await new Promise((resolve) => setTimeout(resolve, CACHE_PASSED_MS));
    expect(await draftFor()).toBe('model-b');

    await rollback(database.db, 'reply', { actor: 'cli', reason: 'agents prefer A' });
    await new Promise((resolve) => setTimeout(resolve, CACHE_PASSED_MS));
    expect(await draftFor()).toBe('model-a');
    expect(server.chats.map((chat) => chat.model)).toEqual(['model-a', 'model-b', 'model-a']);
  });
});
