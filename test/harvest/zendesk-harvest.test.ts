import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createZendeskSandbox, SANDBOX_DEFAULTS, type ZendeskSandbox } from '../../integrations/zendesk/sandbox/index.ts';
import { connections } from '../../src/db/schema/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection, counts, harvestNow, storedSnapshot } from '../support/harvest.ts';

const TICKETS = 5_000;

describe('harvest from the Zendesk sandbox into Postgres', () => {
  let database: TestDatabase;
  let sandbox: ZendeskSandbox;
  let server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
    // Three harvests in a row would wait out Zendesk's 10 export calls a minute; the limits have their own test.
    sandbox = createZendeskSandbox({ seed: 7, tickets: TICKETS, rateLimits: false });
    server = await sandbox.listen();
  });
  afterAll(async () => {
    await server.close();
    await database.drop();
  });

  const credentials = { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken };
  const sandboxComments = () => [...sandbox.store.tickets.values()].reduce((sum, ticket) => sum + ticket.comments.length, 0);

  it('stores exactly 5,000 conversations with all messages; a re-run stores nothing; 10 changed tickets update exactly 10', async () => {
    const connection = await addConnection(database, { vendor: 'zendesk', name: 'zd-5000', settings: { baseUrl: server.url }, credentials });

    const first = await harvestNow(database, connection.id);
    expect(first?.status).toBe('succeeded');
    expect(first?.conversationsCreated).toBe(TICKETS);
    expect(await counts(database, connection.id)).toEqual({ conversations: TICKETS, messages: sandboxComments() });
    // ⌈N/1000⌉ ticket export pages + ⌈updates/1000⌉ ticket event pages (each comment an update) +
    // one show_many for the authors the export does not side-load (the bot), and nothing per ticket.
    expect(first?.vendorRequests).toBe(Math.ceil(TICKETS / 1000) + Math.ceil(sandboxComments() / 1000) + 1);
    expect(first?.vendorRequests).toBe(sandbox.store.requestLog.length);

    const again = await harvestNow(database, connection.id);
    expect(again).toMatchObject({ status: 'succeeded', conversationsCreated: 0, conversationsUpdated: 0, messagesWritten: 0 });

    const touched = sandbox.store.touchTickets(10);
    const before = await storedSnapshot(database, connection.id);
    const third = await harvestNow(database, connection.id);
    expect(third).toMatchObject({ status: 'succeeded', conversationsCreated: 0, conversationsUpdated: 10 });
    const after = await storedSnapshot(database, connection.id);
    const changed = [...after].filter(([id, value]) => before.get(id) !== value).map(([id]) => Number(id));
    expect(changed.sort((a, b) => a - b)).toEqual([...touched].sort((a, b) => a - b));
    expect(await counts(database, connection.id)).toEqual({ conversations: TICKETS, messages: sandboxComments() });
  });

  it('completes under injected 429s without ever calling before Retry-After', async () => {
    const small = createZendeskSandbox({ seed: 3, tickets: 150, rateLimitEvery: 2, retryAfterSeconds: 0.2 });
    const smallServer = await small.listen();
    try {
      const connection = await addConnection(database, { vendor: 'zendesk', name: 'zd-429', settings: { baseUrl: smallServer.url }, credentials });
      const run = await harvestNow(database, connection.id);
      expect(run?.status).toBe('succeeded');
      expect((await counts(database, connection.id)).conversations).toBe(150);
      expect(small.store.requestLog.filter((entry) => entry.status === 429).length).toBeGreaterThanOrEqual(2);
      expect(small.store.violations).toEqual([]);
    } finally {
      await smallServer.close();
    }
  });

  it('fails clearly on wrong credentials and keeps the cursor where it was', async () => {
    const connection = await addConnection(database, {
      vendor: 'zendesk',
      name: 'zd-wrong',
      settings: { baseUrl: server.url },
      credentials: { ...credentials, token: 'wrong-token' },
    });
    const run = await harvestNow(database, connection.id);
    expect(run?.status).toBe('failed');
    expect(run?.error).toMatch(/Zendesk rejected the credentials \(401\)/);
    expect(run?.error).not.toContain('wrong-token');
    const [row] = await database.db.select().from(connections).where(eq(connections.id, connection.id));
    expect(row?.cursor).toBeNull();
    expect((await counts(database, connection.id)).conversations).toBe(0);
  });

  it('fails clearly when nothing answers at the configured address', async () => {
    const connection = await addConnection(database, { vendor: 'zendesk', name: 'zd-nohost', settings: { baseUrl: 'http://127.0.0.1:1' }, credentials });
    const run = await harvestNow(database, connection.id);
    expect(run?.status).toBe('failed');
    expect(run?.error).toMatch(/127\.0\.0\.1:1/);
    expect(run?.error).toMatch(/refused|unreachable|could not connect/i);
  });
});
