/**
 * A vendor message carrying U+0000 (valid in JSON, refused by PostgreSQL text and jsonb) must not
 * stop a harvest: it is stored without the NUL, everything else in the batch with it.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createZendeskSandbox, SANDBOX_DEFAULTS } from '../../integrations/zendesk/sandbox/index.ts';
import { conversations, messages } from '../../src/db/schema/index.ts';
import { withoutNul } from '../../src/db/without-nul.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection, harvestNow } from '../support/harvest.ts';

describe('NUL characters from a vendor', () => {
  let database: TestDatabase;
  const zendesk = createZendeskSandbox({ seed: 61, tickets: 3 });
  let server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await zendesk.listen();
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('stores the conversation without them, and the rest of the batch too', async () => {
    const ticket = zendesk.store.addTicket({ subject: 'Broken\u0000 attachment', body: 'Here is the file:\u0000\u0000 PK\u0003\u0004 garbage', requester: { name: 'Nul\u0000 Person', email: 'nul@example.org' } });
    const connection = await addConnection(database, { vendor: 'zendesk', name: 'zd', settings: { baseUrl: server.url }, credentials: { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken } });
    expect((await harvestNow(database, connection.id))?.status).toBe('succeeded');
    const stored = await database.db.select().from(conversations).where(eq(conversations.connectionId, connection.id));
    expect(stored).toHaveLength(4);
    const hostile = stored.find((row) => row.sourceId === String(ticket.id));
    expect(hostile?.subject).toBe('Broken attachment');
    expect(hostile?.requester?.name).toBe('Nul Person');
    const [message] = await database.db.select({ body: messages.body }).from(messages).where(eq(messages.conversationId, hostile?.id ?? 0));
    expect(message?.body).toBe('Here is the file: PK\u0003\u0004 garbage');
  });

  it('returns values without a NUL as they are', () => {
    const clean = { a: ['x', { b: 'y' }], at: new Date(0) };
    expect(withoutNul(clean)).toBe(clean);
    expect(withoutNul({ a: ['x\u0000'], at: clean.at })).toEqual({ a: ['x'], at: clean.at });
  });
});
