/**
 * The HubSpot connector through the hub's harvest engine into Postgres: 5,000 inbox threads and
 * tickets stored exactly once with all their messages, a re-run stores nothing, touched
 * conversations update exactly those (and the search look-back that follows stores nothing),
 * 429s obeyed, and a wrong token fails clearly without moving the cursor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createHubSpotSandbox, SANDBOX_DEFAULTS, type HubSpotSandbox } from '../../integrations/hubspot/sandbox/index.ts';
import { connections } from '../../src/db/schema/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection, counts, harvestNow, storedSnapshot } from '../support/harvest.ts';

const CONVERSATIONS = 5_000;
const credentials = { type: 'private_app', accessToken: SANDBOX_DEFAULTS.privateAppToken };

describe('harvest from the HubSpot sandbox into Postgres', () => {
  let database: TestDatabase;
  let sandbox: HubSpotSandbox;
  let server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
    // Four harvests in a row would wait out HubSpot's 190 calls per 10 seconds; the limits have their own tests.
    sandbox = createHubSpotSandbox({ seed: 9, conversations: CONVERSATIONS, rateLimits: false });
    server = await sandbox.listen();
  });
  afterAll(async () => {
    await server.close();
    await database.drop();
  });

  it('stores exactly 5,000 conversations with all messages; a re-run stores nothing; 10 touched update exactly 10', async () => {
    const connection = await addConnection(database, { vendor: 'hubspot', name: 'hs-5000', settings: { baseUrl: server.url, ticketProperties: ['support_intent'] }, credentials });

    const first = await harvestNow(database, connection.id);
    expect(first?.status).toBe('succeeded');
    expect(first?.conversationsCreated).toBe(CONVERSATIONS);
    expect(await counts(database, connection.id)).toEqual({ conversations: CONVERSATIONS, messages: sandbox.store.messageCount });
    // Every request the sandbox answered is counted on the run (the formula has its own test).
    expect(first?.vendorRequests).toBe(sandbox.store.requestLog.length);

    const again = await harvestNow(database, connection.id);
    expect(again).toMatchObject({ status: 'succeeded', conversationsCreated: 0, conversationsUpdated: 0, messagesWritten: 0 });

    const touched = sandbox.store.touch(10);
    const before = await storedSnapshot(database, connection.id);
    const third = await harvestNow(database, connection.id);
    expect(third).toMatchObject({ status: 'succeeded', conversationsCreated: 0, conversationsUpdated: 10 });
    const after = await storedSnapshot(database, connection.id);
    const changed = [...after].filter(([id, value]) => before.get(id) !== value).map(([id]) => id);
    expect(changed.sort()).toEqual([...touched].sort());
    expect(await counts(database, connection.id)).toEqual({ conversations: CONVERSATIONS, messages: sandbox.store.messageCount });

    // The next run looks back two minutes for tickets the search index had not caught up with: the
    // five touched tickets come again, unchanged, and nothing is written.
    const fourth = await harvestNow(database, connection.id);
    expect(fourth).toMatchObject({ status: 'succeeded', conversationsCreated: 0, conversationsUpdated: 0, messagesWritten: 0 });
  });

  it('completes under injected 429s without ever calling before Retry-After', async () => {
    const small = createHubSpotSandbox({ seed: 3, conversations: 150, rateLimitEvery: 7, retryAfterSeconds: 0.05 });
    const smallServer = await small.listen();
    try {
      const connection = await addConnection(database, { vendor: 'hubspot', name: 'hs-429', settings: { baseUrl: smallServer.url }, credentials });
      const run = await harvestNow(database, connection.id);
      expect(run?.status).toBe('succeeded');
      expect((await counts(database, connection.id)).conversations).toBe(150);
      expect(small.store.requestLog.filter((entry) => entry.status === 429).length).toBeGreaterThan(5);
      expect(small.store.violations).toEqual([]);
    } finally {
      await smallServer.close();
    }
  });

  it('fails clearly on a wrong token and keeps the cursor where it was', async () => {
    const connection = await addConnection(database, { vendor: 'hubspot', name: 'hs-wrong', settings: { baseUrl: server.url }, credentials: { type: 'private_app', accessToken: 'wrong-token-0815' } });
    const run = await harvestNow(database, connection.id);
    expect(run?.status).toBe('failed');
    expect(run?.error).toMatch(/HubSpot rejected the access token \(401\)/);
    expect(run?.error).not.toContain('wrong-token-0815');
    const [row] = await database.db.select().from(connections).where(eq(connections.id, connection.id));
    expect(row?.cursor).toBeNull();
    expect((await counts(database, connection.id)).conversations).toBe(0);
  });
});
