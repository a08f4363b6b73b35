/**
 * The Intercom connector through the hub's harvest engine into Postgres: 5,000 conversations stored
 * exactly once with all their messages at ⌈N/150⌉ + N requests (recorded on the run), a re-run
 * stores nothing, touched conversations update exactly those, and a wrong token fails clearly
 * without moving the cursor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createIntercomSandbox, SANDBOX_DEFAULTS, type IntercomSandbox } from '../../integrations/intercom/sandbox/index.ts';
import { connections } from '../../src/db/schema/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection, counts, harvestNow, storedSnapshot } from '../support/harvest.ts';

const CONVERSATIONS = 5_000;
const credentials = { type: 'access_token', accessToken: SANDBOX_DEFAULTS.accessToken };

describe('harvest from the Intercom sandbox into Postgres', () => {
  let database: TestDatabase;
  let sandbox: IntercomSandbox;
  let server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
    // Three harvests of 5,000 in a row would wait out Intercom's 10-second windows; the limits have their own test.
    sandbox = createIntercomSandbox({ seed: 9, conversations: CONVERSATIONS, rateLimits: false });
    server = await sandbox.listen();
  });
  afterAll(async () => {
    await server.close();
    await database.drop();
  });

  it('stores exactly 5,000 conversations with all messages at ⌈N/150⌉ + N requests; a re-run stores nothing; 10 touched update exactly 10', async () => {
    const connection = await addConnection(database, { vendor: 'intercom', name: 'ic-5000', settings: { baseUrl: server.url }, credentials });
    const first = await harvestNow(database, connection.id);
    expect(first?.status, first?.error ?? '').toBe('succeeded');
    expect(first?.conversationsCreated).toBe(CONVERSATIONS);
    expect(await counts(database, connection.id)).toEqual({ conversations: CONVERSATIONS, messages: sandbox.store.messageCount });
    expect(first?.vendorRequests).toBe(Math.ceil(CONVERSATIONS / 150) + CONVERSATIONS);

    const again = await harvestNow(database, connection.id);
    expect(again).toMatchObject({ status: 'succeeded', conversationsCreated: 0, conversationsUpdated: 0, messagesWritten: 0 });

    const touched = sandbox.touchConversations(10);
    const before = await storedSnapshot(database, connection.id);
    const third = await harvestNow(database, connection.id);
    expect(third).toMatchObject({ status: 'succeeded', conversationsCreated: 0, conversationsUpdated: 10 });
    const after = await storedSnapshot(database, connection.id);
    const changed = [...after].filter(([id, value]) => before.get(id) !== value).map(([id]) => id);
    expect(changed.sort()).toEqual([...touched].sort());
  });

  it('fails clearly on a wrong token and keeps the cursor where it was', async () => {
    const connection = await addConnection(database, { vendor: 'intercom', name: 'ic-wrong', settings: { baseUrl: server.url }, credentials: { ...credentials, accessToken: 'wrong-token' } });
    const run = await harvestNow(database, connection.id);
    expect(run?.status).toBe('failed');
    expect(run?.error).toMatch(/Intercom rejected the access token \(401\)/);
    expect(run?.error).not.toContain('wrong-token');
    const [row] = await database.db.select().from(connections).where(eq(connections.id, connection.id));
    expect(row?.cursor).toBeNull();
  });
});
