/**
 * U+0000 is valid in JSON and refused by PostgreSQL text and jsonb. A correctly signed Zendesk
 * delivery carrying one is stored without it (not a 500 that Zendesk retries forever); a batch that
 * still fails to commit fails only the request that poisoned it; our own API refuses NUL with a 400.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createToken } from '../../src/auth/tokens.ts';
import { parseUpload, UploadValidationError } from '../../src/datasets/upload/parse.ts';
import { createIngester } from '../../src/webhooks/ingest.ts';
import { deliveryCount, jobCounts, startHub, webhookConnection, zendeskRequest, type Hub } from './helpers.ts';

describe('NUL characters in inbound text', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('a signed Zendesk event whose type holds U+0000 is stored without it, and its neighbours in the same commit too', async () => {
    const { id, secret } = await webhookConnection(hub, 'zendesk');
    const body = (ticket: string, type = 'zen:event-type:ticket.created') => JSON.stringify({ type, account_id: 1, detail: { id: ticket } });
    const poisoned = body('71', 'zen:event-type:ticket.created\u0000\u0000x');
    // Sent together, so the group commit gathers them into one transaction.
    const responses = await Promise.all([
      hub.app.request(`/webhooks/zendesk/${id}`, zendeskRequest(secret, body('70'))),
      hub.app.request(`/webhooks/zendesk/${id}`, zendeskRequest(secret, poisoned)),
      hub.app.request(`/webhooks/zendesk/${id}`, zendeskRequest(secret, body('72'))),
    ]);
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(await deliveryCount(hub, id)).toBe(3);
    const events = await hub.database.db.execute<{ event: string }>(sql`SELECT event FROM webhook_deliveries WHERE connection_id = ${id} AND source_id = '71'`);
    expect(events.rows).toEqual([{ event: 'ticket.createdx' }]);
  });

  it('a batch that cannot commit fails only the request that broke it', async () => {
    const { id } = await webhookConnection(hub, 'zendesk');
    if (!hub.queue) throw new Error('no queue');
    const ingester = createIngester(hub.database.db, hub.queue);
    const event = (deliveryId: string, sourceId: string) => [{ deliveryId, event: 'ticket.created', sourceId, actionable: true }];
    // A connection that does not exist breaks the foreign key, and with it the shared transaction.
    const results = await Promise.allSettled([
      ingester.ingest(id, 'zendesk', event('d-1', '81')),
      ingester.ingest(randomUUID(), 'zendesk', event('d-2', '82')),
      ingester.ingest(id, 'zendesk', event('d-3', '83')),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await deliveryCount(hub, id)).toBe(2);
    expect(await jobCounts(hub, id)).toEqual({ 'draft.generate': 2, 'triage.apply': 2 });
  });

  it('the API refuses a JSON body holding U+0000 with a 400, and stores nothing', async () => {
    const { token } = await createToken(hub.database.db, 'nul-test', 'test');
    const post = (body: unknown) =>
      hub.app.request('/api/v1/datasets', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    for (const body of [{ name: 'nul-a', task: 'reply', config: { 'k\u0000': 1 } }, { name: 'nul-b', task: 'reply', config: { note: 'a\u0000b' } }]) {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: { code: 'invalid_request', message: 'json: text must not contain the NUL character (U+0000)' } });
    }
    const stored = await hub.database.db.execute<{ count: number }>(sql`SELECT count(*)::int AS count FROM datasets WHERE name LIKE 'nul-%'`);
    expect(stored.rows[0]?.count).toBe(0);
  });

  it('an upload row holding U+0000 is refused with its line number', () => {
    const file = [JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] }), JSON.stringify({ messages: [{ role: 'user', content: 'x\u0000' }, { role: 'assistant', content: 'y' }] })].join('\n');
    try {
      parseUpload('reply', 'jsonl', file);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UploadValidationError);
      expect((error as UploadValidationError).problems).toEqual([{ line: 2, message: 'messages.0.content: content must not contain the NUL character (U+0000)' }]);
    }
  });
});
