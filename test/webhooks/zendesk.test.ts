import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { registry } from '../../src/metrics.ts';
import { deliveryCount, jobCounts, startHub, webhookConnection, zendeskRequest, type Hub } from './helpers.ts';

const ONE_OF_EACH = { 'draft.generate': 1, 'triage.apply': 1 };

describe('POST /webhooks/zendesk/:connectionId', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(async () => {
    await hub?.close();
  });

  const ticketCreated = (ticketId = 4242) => JSON.stringify({ tuneloop: 1, event: 'ticket.created', ticket_id: String(ticketId) });
  const post = (connectionId: string, init: RequestInit) => hub.app.request(`/webhooks/zendesk/${connectionId}`, init);

  it('accepts a signed delivery without a bearer token and enqueues one job of each kind', async () => {
    const { id, secret } = await webhookConnection(hub, 'zendesk');
    const response = await post(id, zendeskRequest(secret, ticketCreated()));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, accepted: 1, duplicates: 0 });
    expect(await jobCounts(hub, id)).toEqual(ONE_OF_EACH);
  });

  it('does the work once for the same delivery replayed 10 times, one after another and concurrently', async () => {
    const { id, secret } = await webhookConnection(hub, 'zendesk');
    const invocationId = `01J${randomUUID().replaceAll('-', '').slice(0, 20)}`;
    const init = () => zendeskRequest(secret, ticketCreated(7), { invocationId });
    for (let i = 0; i < 10; i++) expect((await post(id, init())).status).toBe(200);
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => post(id, init())));
    expect(concurrent.map((response) => response.status)).toEqual(Array(10).fill(200));
    expect(await jobCounts(hub, id)).toEqual(ONE_OF_EACH);
    expect(await deliveryCount(hub, id)).toBe(1);
  });

  it('a fresh delivery that races its own replays from the start still enqueues once', async () => {
    const { id, secret } = await webhookConnection(hub, 'zendesk');
    const invocationId = randomUUID();
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(id, zendeskRequest(secret, ticketCreated(8), { invocationId }))));
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as Array<{ accepted: number }>;
    expect(bodies.filter((body) => body.accepted === 1)).toHaveLength(1);
    expect(await jobCounts(hub, id)).toEqual(ONE_OF_EACH);
  });

  it('two hub replicas (separate apps, separate transactions) racing the same delivery enqueue once', async () => {
    const { id, secret } = await webhookConnection(hub, 'zendesk');
    const replica = createApp(hub.deps);
    const invocationId = randomUUID();
    const init = () => zendeskRequest(secret, ticketCreated(9), { invocationId });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? replica : hub.app).request(`/webhooks/zendesk/${id}`, init())),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(await jobCounts(hub, id)).toEqual(ONE_OF_EACH);
    expect(await deliveryCount(hub, id)).toBe(1);
  });

  it('a captured delivery re-sent under a new invocation id (not signed by Zendesk) is still a replay', async () => {
    const { id, secret } = await webhookConnection(hub, 'zendesk');
    const original = zendeskRequest(secret, ticketCreated(10), { invocationId: 'inv-original' });
    expect((await post(id, original)).status).toBe(200);
    const headers = { ...(original.headers as Record<string, string>), 'x-zendesk-webhook-invocation-id': 'inv-forged' };
    const replay = await post(id, { ...original, headers });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ ok: true, accepted: 0, duplicates: 1 });
    expect(await jobCounts(hub, id)).toEqual(ONE_OF_EACH);
  });

  it('answers 401 to a bad or missing signature and stores nothing', async () => {
    const { id, secret } = await webhookConnection(hub, 'zendesk');
    const forged = zendeskRequest('not-the-secret', ticketCreated());
    expect((await post(id, forged)).status).toBe(401);
    const tampered = zendeskRequest(secret, ticketCreated());
    expect((await post(id, { ...tampered, body: ticketCreated(999) })).status).toBe(401);
    const unsigned = zendeskRequest(secret, ticketCreated());
    delete (unsigned.headers as Record<string, string>)['x-zendesk-webhook-signature'];
    expect((await post(id, unsigned)).status).toBe(401);
    expect(await jobCounts(hub, id)).toEqual({});
    expect(await deliveryCount(hub, id)).toBe(0);
  });

  it('answers the same 401 for unknown connections, other vendors and non-ids (existence is not revealed)', async () => {
    const { secret } = await webhookConnection(hub, 'zendesk');
    const hubspot = await webhookConnection(hub, 'hubspot');
    const answers = await Promise.all([
      post(randomUUID(), zendeskRequest(secret, ticketCreated())),
      post(hubspot.id, zendeskRequest(hubspot.secret, ticketCreated())),
      post('not-a-uuid', zendeskRequest(secret, ticketCreated())),
    ]);
    const bodies = await Promise.all(answers.map((r) => r.text()));
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401]);
    expect(new Set(bodies).size).toBe(1);
  });

  it('answers 401 to a correctly signed delivery older (or newer) than 5 minutes', async () => {
    const { id, secret } = await webhookConnection(hub, 'zendesk');
    const old = new Date(Date.now() - 5 * 60_000 - 1_000).toISOString();
    const future = new Date(Date.now() + 6 * 60_000).toISOString();
    expect((await post(id, zendeskRequest(secret, ticketCreated(), { timestamp: old }))).status).toBe(401);
    expect((await post(id, zendeskRequest(secret, ticketCreated(), { timestamp: future }))).status).toBe(401);
    const fine = new Date(Date.now() - 4 * 60_000).toISOString();
    expect((await post(id, zendeskRequest(secret, ticketCreated(), { timestamp: fine }))).status).toBe(200);
    expect(await jobCounts(hub, id)).toEqual(ONE_OF_EACH);
  });

  it('answers 400 to signed but malformed bodies and enqueues nothing', async () => {
    const { id, secret } = await webhookConnection(hub, 'zendesk');
    for (const body of ['{not json', '{"tuneloop":1,"event":"ticket.created"}', '[]', '{"tuneloop":1,"event":"ticket.deleted","ticket_id":"1"}', '']) {
      const response = await post(id, zendeskRequest(secret, body));
      expect(response.status, body).toBe(400);
    }
    expect((await post(id, zendeskRequest(secret, ticketCreated(), { invocationId: 'bad id with spaces' }))).status).toBe(400);
    expect(await jobCounts(hub, id)).toEqual({});
    expect(await deliveryCount(hub, id)).toBe(0);
  });

  it('answers 413 to a body over 1 MiB, declared or streamed, and enqueues nothing', async () => {
    const { id, secret } = await webhookConnection(hub, 'zendesk');
    const huge = JSON.stringify({ tuneloop: 1, event: 'ticket.created', ticket_id: '1', pad: 'x'.repeat(1024 * 1024) });
    expect((await post(id, zendeskRequest(secret, huge))).status).toBe(413);
    // No Content-Length: a stream that only turns out too large while being read.
    const init = zendeskRequest(secret, huge);
    const stream = new Blob([huge]).stream();
    const streamed = await post(id, { ...init, body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await jobCounts(hub, id)).toEqual({});
  });

  it('records Zendesk event-subscription deliveries and only acts on created / comment_added', async () => {
    const { id, secret } = await webhookConnection(hub, 'zendesk');
    const event = (type: string) => JSON.stringify({ type: `zen:event-type:${type}`, account_id: 1, detail: { id: '55' } });
    expect((await post(id, zendeskRequest(secret, event('ticket.comment_added')))).status).toBe(200);
    expect((await post(id, zendeskRequest(secret, event('ticket.status_changed')))).status).toBe(200);
    expect(await jobCounts(hub, id)).toEqual(ONE_OF_EACH);
    expect(await deliveryCount(hub, id)).toBe(2);
  });

  it('counts deliveries by vendor and outcome in /metrics', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(/tuneloop_webhook_deliveries_total\{vendor="zendesk",outcome="accepted"\} \d+/);
    expect(text).toMatch(/tuneloop_webhook_deliveries_total\{vendor="zendesk",outcome="unauthorized"\} \d+/);
    expect(text).toMatch(/tuneloop_webhook_deliveries_total\{vendor="zendesk",outcome="duplicate"\} \d+/);
  });
});
