import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../support/sign.ts';
import { deliveryCount, hubspotRequest, jobCounts, salesforceRequest, startHub, webhookConnection, type Hub } from './helpers.ts';

describe('POST /webhooks/hubspot/:connectionId (signature v3) and /webhooks/salesforce/:connectionId', () => {
  let hub: Hub;
  let baseUrl: string;
  let server: Server;
  beforeAll(async () => {
    hub = await startHub();
    // A real listening hub: the v3 signature covers the URL HubSpot called, host and port included.
    baseUrl = await new Promise<string>((resolve) => {
      server = serve({ fetch: hub.app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => resolve(`http://127.0.0.1:${info.port}`)) as Server;
    });
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await hub?.close();
  });

  const hubspotEvent = (eventId: number, subscriptionType: string, objectId: number, extra: Record<string, unknown> = {}) => ({
    eventId,
    subscriptionId: 1,
    portalId: 62515,
    appId: 54321,
    occurredAt: Date.now(),
    subscriptionType,
    attemptNumber: 0,
    objectId,
    changeSource: 'CRM',
    ...extra,
  });

  it('HubSpot: a signed batch enqueues per actionable event, once, however often it is replayed', async () => {
    const { id, secret } = await webhookConnection(hub, 'hubspot');
    const url = `${baseUrl}/webhooks/hubspot/${id}`;
    const body = JSON.stringify([
      hubspotEvent(1001, 'ticket.creation', 11),
      hubspotEvent(1002, 'ticket.propertyChange', 11, { propertyName: 'hs_pipeline_stage', propertyValue: '2' }),
      hubspotEvent(1003, 'conversation.newMessage', 77, { messageId: 'm1', messageType: 'MESSAGE' }),
      hubspotEvent(1004, 'conversation.newMessage', 77, { messageId: 'm2', messageType: 'COMMENT' }),
    ]);
    const first = await fetch(url, hubspotRequest(secret, url, body));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ ok: true, accepted: 4, duplicates: 0 });
    const replays = await Promise.all(Array.from({ length: 10 }, () => fetch(url, hubspotRequest(secret, url, body))));
    expect(replays.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(await jobCounts(hub, id)).toEqual({ 'draft.generate': 2, 'triage.apply': 2 });
    expect(await deliveryCount(hub, id)).toBe(4);
  });

  it('HubSpot: a signature over another URL, a stale timestamp or a v1-only request is 401; a bad body 400', async () => {
    const { id, secret } = await webhookConnection(hub, 'hubspot');
    const url = `${baseUrl}/webhooks/hubspot/${id}`;
    const body = JSON.stringify([hubspotEvent(2001, 'ticket.creation', 12)]);
    expect((await fetch(url, hubspotRequest(secret, `${baseUrl}/webhooks/hubspot/${randomUUID()}`, body))).status).toBe(401);
    expect((await fetch(url, hubspotRequest(secret, url, body, { timestampMs: Date.now() - 5 * 60_000 - 1_000 }))).status).toBe(401);
    const v1 = await fetch(url, { method: 'POST', headers: { 'x-hubspot-signature-version': 'v1', 'x-hubspot-signature': 'ab'.repeat(32) }, body });
    expect(v1.status).toBe(401);
    expect((await fetch(url, hubspotRequest(secret, url, JSON.stringify({ eventId: 1 })))).status).toBe(400);
    expect(await jobCounts(hub, id)).toEqual({});
    expect(await deliveryCount(hub, id)).toBe(0);
  });

  it('HubSpot: behind a TLS proxy the forwarded scheme and host are what was signed', async () => {
    const { id, secret } = await webhookConnection(hub, 'hubspot');
    const publicUrl = `https://hub.example.com/webhooks/hubspot/${id}`;
    const body = JSON.stringify([hubspotEvent(3001, 'ticket.creation', 13)]);
    const init = hubspotRequest(secret, publicUrl, body);
    const response = await fetch(`${baseUrl}/webhooks/hubspot/${id}`, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), 'x-forwarded-proto': 'https', 'x-forwarded-host': 'hub.example.com' },
    });
    expect(response.status).toBe(200);
  });

  const caseBody = (event: string, timestamp: string) => JSON.stringify({ id: '5003000000D8cuIAAR', event, timestamp });

  it('Salesforce: HMAC-signed and bearer deliveries; replays of the same id + timestamp do nothing twice', async () => {
    const { id, secret } = await webhookConnection(hub, 'salesforce');
    const url = `${baseUrl}/webhooks/salesforce/${id}`;
    const created = caseBody('case.created', '2026-11-25T15:00:00.000Z');
    for (let i = 0; i < 3; i++) expect((await fetch(url, salesforceRequest(secret, created))).status).toBe(200);
    // Bearer deliveries are refused once their body's timestamp is a day old (no replay after pruning).
    const comment = caseBody('comment.added', new Date().toISOString());
    const results = await Promise.all(Array.from({ length: 10 }, () => fetch(url, salesforceRequest(secret, comment, { bearer: true }))));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect((await fetch(url, salesforceRequest(secret, caseBody('case.updated', '2026-11-25T15:06:00.000Z')))).status).toBe(200);
    // Two actionable deliveries about one case, none run yet: one job per queue (one per ticket queued, src/queue/policies.ts).
    expect(await jobCounts(hub, id)).toEqual({ 'draft.generate': 1, 'triage.apply': 1 });
    expect(await deliveryCount(hub, id)).toBe(3);
  });

  it('Salesforce: wrong secret, wrong bearer, stale timestamp → 401; malformed → 400; nothing enqueued', async () => {
    const { id, secret } = await webhookConnection(hub, 'salesforce');
    const url = `${baseUrl}/webhooks/salesforce/${id}`;
    const body = caseBody('case.created', '2026-11-25T15:00:00.000Z');
    expect((await fetch(url, salesforceRequest('wrong', body))).status).toBe(401);
    expect((await fetch(url, salesforceRequest(`${secret}x`, body, { bearer: true }))).status).toBe(401);
    expect((await fetch(url, { method: 'POST', body })).status).toBe(401);
    expect((await fetch(url, salesforceRequest(secret, body, { timestampS: Math.floor(Date.now() / 1000) - 301 }))).status).toBe(401);
    const ts = String(Math.floor(Date.now() / 1000));
    const reused = await fetch(url, { method: 'POST', headers: { 'x-tuneloop-timestamp': ts, 'x-tuneloop-signature': sign.salesforce(secret, ts, 'other body') }, body });
    expect(reused.status).toBe(401);
    expect((await fetch(url, salesforceRequest(secret, JSON.stringify({ id: 'nope', event: 'case.created', timestamp: 'yesterday' })))).status).toBe(400);
    expect(await jobCounts(hub, id)).toEqual({});
    expect(await deliveryCount(hub, id)).toBe(0);
  });
});
