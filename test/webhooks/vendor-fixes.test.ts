/**
 * Inbound webhooks as the real vendors send them, through the hub: HubSpot deduplicated on a key
 * that is unique (its eventId is not), generic `object.*` events accepted, ids the write-back
 * understands (`ticket:<id>`, `thread:<id>`); Zendesk comment_added events for private or agent
 * comments (tuneloop's own note among them) recorded but not acted on; Intercom's X-Hub-Signature
 * deliveries acted on once per notification id.
 */
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createIntercomSandbox } from '../../integrations/intercom/sandbox/index.ts';
import { signIntercom } from '../../integrations/intercom/webhook.ts';
import { deliveryCount, hubspotRequest, jobCounts, startHub, webhookConnection, zendeskRequest, type Hub } from './helpers.ts';

describe('vendor webhooks as the real APIs send them', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(async () => {
    await hub?.close();
  });

  const jobSourceIds = async (connectionId: string) => {
    const rows = await hub.database.db.execute<{ source_id: string }>(sql`SELECT DISTINCT data->>'sourceId' AS source_id FROM pgboss.job WHERE data->>'connectionId' = ${connectionId} ORDER BY 1`);
    return rows.rows.map((row) => row.source_id);
  };

  it('HubSpot: events sharing an eventId are each taken once; generic object.creation on a ticket is a ticket creation', async () => {
    const { id, secret } = await webhookConnection(hub, 'hubspot');
    const url = `http://localhost/webhooks/hubspot/${id}`;
    const occurredAt = Date.now();
    const event = (objectId: number, extra: Record<string, unknown>) => ({ eventId: 100, subscriptionId: 7, portalId: 62515, appId: 54321, occurredAt, attemptNumber: 0, objectId, changeSource: 'CRM', ...extra });
    const body = JSON.stringify([
      event(11, { subscriptionType: 'ticket.creation' }),
      // The same eventId for another ticket: HubSpot documents eventId as not unique.
      event(12, { subscriptionType: 'ticket.creation' }),
      event(13, { subscriptionType: 'object.creation', objectTypeId: '0-5', subscriptionId: 8 }),
      event(14, { subscriptionType: 'object.creation', objectTypeId: '0-1', subscriptionId: 9 }),
      event(77, { subscriptionType: 'conversation.newMessage', subscriptionId: 10, messageId: 'm1', messageType: 'MESSAGE' }),
    ]);
    const first = await hub.app.request(`/webhooks/hubspot/${id}`, hubspotRequest(secret, url, body));
    expect(await first.json()).toEqual({ ok: true, accepted: 5, duplicates: 0 });
    // A retry carries the same events with a higher attemptNumber: nothing new.
    const retry = body.replaceAll('"attemptNumber":0', '"attemptNumber":1');
    expect(await (await hub.app.request(`/webhooks/hubspot/${id}`, hubspotRequest(secret, url, retry))).json()).toEqual({ ok: true, accepted: 0, duplicates: 5 });
    expect(await deliveryCount(hub, id)).toBe(5);
    expect(await jobCounts(hub, id)).toEqual({ 'draft.generate': 4, 'triage.apply': 4 });
    expect(await jobSourceIds(id)).toEqual(['thread:77', 'ticket:11', 'ticket:12', 'ticket:13']);
  });

  it('Zendesk: comment_added is acted on for a customer\'s public comment, not for a private note or an agent\'s reply', async () => {
    const { id, secret } = await webhookConnection(hub, 'zendesk');
    const comment = (ticket: string, isPublic: boolean, isStaff: boolean) =>
      JSON.stringify({ type: 'zen:event-type:ticket.comment_added', account_id: 1, detail: { id: ticket }, event: { comment: { id: `c${ticket}`, body: 'text', is_public: isPublic, author: { id: '9', is_staff: isStaff, name: 'Someone' } } } });
    for (const body of [comment('61', true, false), comment('62', false, true), comment('63', true, true), comment('64', false, false)]) {
      expect((await hub.app.request(`/webhooks/zendesk/${id}`, zendeskRequest(secret, body))).status).toBe(200);
    }
    expect(await deliveryCount(hub, id)).toBe(4);
    expect(await jobSourceIds(id)).toEqual(['61']);
  });

  it('Intercom: a signed notification is acted on once, however often Intercom retries it; a bad signature is 401', async () => {
    const { id, secret } = await webhookConnection(hub, 'intercom');
    // Intercom's side: the sandbox signs and sends its deliveries; a capture server hands them to the hub.
    const received: Array<{ body: string; signature: string }> = [];
    const capture = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(request.headers['x-hub-signature']) });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
    const address = capture.address();
    const sandbox = createIntercomSandbox({ conversations: 3, rateLimits: false });
    try {
      sandbox.subscribe({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`, clientSecret: secret, topics: ['conversation.user.replied'] });
      sandbox.touchConversations(1);
      await sandbox.flushDeliveries();
    } finally {
      await new Promise((resolve) => capture.close(resolve));
    }
    const [delivery] = received;
    if (!delivery) throw new Error('no delivery');
    const post = (body: string, signature: string) => hub.app.request(`/webhooks/intercom/${id}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature': signature }, body });
    expect(await (await post(delivery.body, delivery.signature)).json()).toEqual({ ok: true, accepted: 1, duplicates: 0 });
    const retried = delivery.body.replace('"delivery_attempts":1', '"delivery_attempts":2');
    expect(await (await post(retried, signIntercom(secret, retried))).json()).toEqual({ ok: true, accepted: 0, duplicates: 1 });
    expect((await post(delivery.body, signIntercom('not-the-secret', delivery.body))).status).toBe(401);
    expect((await post(delivery.body, '')).status).toBe(401);
    expect(await jobCounts(hub, id)).toEqual({ 'draft.generate': 1, 'triage.apply': 1 });
  });
});
