/**
 * The webhook findings of the security review, fixed: Zendesk's replay key is the decoded digest
 * (strict base64, so no second spelling of one signature is new); Salesforce bearer deliveries have
 * a replay window; HubSpot events of another portal are dropped; an unknown connection is refused
 * before its body is read and cannot crowd real endpoints out of the cache; old delivery records
 * are pruned.
 */
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connections, webhookDeliveries } from '../../src/db/schema/index.ts';
import { webhookRoutes } from '../../src/web/webhooks.ts';
import { EndpointCache } from '../../src/webhooks/secrets.ts';
import { pruneDeliveries } from '../../src/webhooks/prune.ts';
import { sign } from '../support/sign.ts';
import { deliveryCount, hubspotRequest, jobCounts, salesforceRequest, startHub, webhookConnection, zendeskRequest, type Hub } from './helpers.ts';

describe('webhook hardening', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('Zendesk: another spelling of a signature is refused, and the same digest under a new invocation id is a replay', async () => {
    const { id, secret } = await webhookConnection(hub, 'zendesk');
    const body = JSON.stringify({ type: 'zen:event-type:ticket.created', detail: { id: '91' } });
    const timestamp = new Date().toISOString();
    const signature = sign.zendesk(secret, timestamp, body);
    const post = (init: RequestInit) => hub.app.request(`/webhooks/zendesk/${id}`, init);
    expect(await (await post(zendeskRequest(secret, body, { timestamp, signature }))).json()).toMatchObject({ accepted: 1 });
    // Same bytes once decoded: unpadded, url-safe letters, other unused bits (HTTP already trims whitespace).
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const lastBits = `${signature.slice(0, 42)}${alphabet[alphabet.indexOf(signature.charAt(42)) ^ 1]}=`;
    expect(Buffer.from(lastBits, 'base64')).toEqual(Buffer.from(signature, 'base64'));
    for (const alias of [signature.slice(0, -1), `${signature}AA`, signature.replaceAll('+', '-').replaceAll('/', '_'), lastBits]) {
      if (alias === signature) continue;
      expect((await post(zendeskRequest(secret, body, { timestamp, signature: alias }))).status).toBe(401);
    }
    expect(await (await post(zendeskRequest(secret, body, { timestamp, signature, invocationId: randomUUID() }))).json()).toMatchObject({ accepted: 0, duplicates: 1 });
    const stored = await hub.database.db.select({ signature: webhookDeliveries.signature }).from(webhookDeliveries).where(eq(webhookDeliveries.connectionId, id));
    expect(stored).toEqual([{ signature: Buffer.from(signature, 'base64').toString('hex') }]);
  });

  it('Salesforce bearer mode: a body whose timestamp is over a day old, or missing, is refused as stale', async () => {
    const { id, secret } = await webhookConnection(hub, 'salesforce');
    const body = (timestamp: string) => JSON.stringify({ id: '5003000000D8cuIAAR', event: 'case.created', timestamp });
    const post = (text: string) => hub.app.request(`/webhooks/salesforce/${id}`, salesforceRequest(secret, text, { bearer: true }));
    expect((await post(body(new Date(Date.now() - 25 * 3600_000).toISOString()))).status).toBe(401);
    expect((await post(JSON.stringify({ id: '5003000000D8cuIAAR', event: 'case.created' }))).status).toBe(401);
    expect((await post(body(new Date().toISOString()))).status).toBe(200);
    expect(await deliveryCount(hub, id)).toBe(1);
  });

  it('HubSpot: with the connection\'s portalId set, events of another portal are dropped', async () => {
    const { id, secret } = await webhookConnection(hub, 'hubspot');
    await hub.database.db.update(connections).set({ settings: { portalId: 62515 } }).where(eq(connections.id, id));
    const url = `http://localhost/webhooks/hubspot/${id}`;
    const event = (portalId: number, objectId: number) => ({ eventId: objectId, subscriptionId: 1, portalId, appId: 1, occurredAt: Date.now(), subscriptionType: 'ticket.creation', attemptNumber: 0, objectId });
    const body = JSON.stringify([event(62515, 1), event(99999, 2), event(62515, 3)]);
    expect(await (await hub.app.request(`/webhooks/hubspot/${id}`, hubspotRequest(secret, url, body))).json()).toEqual({ ok: true, accepted: 2, duplicates: 0 });
    expect(await jobCounts(hub, id)).toEqual({ 'draft.generate': 2, 'triage.apply': 2 });
  });

  it('an unknown connection is refused before its body is read, and made-up ids cannot crowd out real endpoints', async () => {
    const { id, secret } = await webhookConnection(hub, 'zendesk');
    const endpoints = new EndpointCache(hub.database.db, hub.deps.keyring);
    const routes = webhookRoutes(hub.deps, { endpoints });
    let pulled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled = true;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    }, { highWaterMark: 0 });
    const refused = await routes.request(`/zendesk/${randomUUID()}`, { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(refused.status).toBe(401);
    expect(pulled).toBe(false);

    const real = JSON.stringify({ type: 'zen:event-type:ticket.created', detail: { id: '92' } });
    expect((await routes.request(`/zendesk/${id}`, zendeskRequest(secret, real))).status).toBe(200);
    for (let i = 0; i < 1_500; i++) await endpoints.get(randomUUID());
    expect(endpoints.size).toEqual({ endpoints: 1, misses: 1_000 });
  });

  it('delivery records older than the retention are pruned; newer ones and pending outgoing ones stay', async () => {
    const { id } = await webhookConnection(hub, 'zendesk');
    await hub.database.db.insert(webhookDeliveries).values([
      { connectionId: id, deliveryId: 'old', vendor: 'zendesk', event: 'ticket.created', receivedAt: sql`now() - interval '31 days'` },
      { connectionId: id, deliveryId: 'new', vendor: 'zendesk', event: 'ticket.created' },
    ]);
    const pruned = await pruneDeliveries(hub.database.db, 30);
    expect(pruned.inbound).toBeGreaterThanOrEqual(1);
    const left = await hub.database.db.select({ deliveryId: webhookDeliveries.deliveryId }).from(webhookDeliveries).where(eq(webhookDeliveries.connectionId, id));
    expect(left).toEqual([{ deliveryId: 'new' }]);
  });

  it('every route has a body limit: an oversized body is a 413 before anything else', async () => {
    const big = 'x'.repeat(hub.deps.config.HTTP_BODY_LIMIT_BYTES + 1);
    for (const path of ['/api/v1/tokens', '/slack/events', '/healthz']) {
      const response = await hub.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(big.length) }, body: big });
      expect(response.status, path).toBe(413);
    }
  });
});
