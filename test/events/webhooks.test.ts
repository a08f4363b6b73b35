import { createHmac, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { eventDeliveries, fineTuningJobs } from '../../src/db/schema/index.ts';
import { configureEventQueue, sweepOutbox } from '../../src/events/deliver.ts';
import { emitEvent } from '../../src/events/emit.ts';
import { registerHandlers } from '../../src/jobs/handlers.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { fail } from '../../src/training/outcomes.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { startReceiver, waitFor, type Receiver } from './receiver.ts';

/** The README's verification, written out independently of src/events/signature.ts. */
function verify(secret: string, received: { headers: { id: string; timestamp: string; signature: string }; body: string }): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${received.headers.id}.${received.headers.timestamp}.${received.body}`).digest('base64');
  return received.headers.signature.split(' ').includes(`v1,${expected}`);
}

describe('outgoing signed webhooks', () => {
  let database: TestDatabase;
  let queue: Queue;
  let app: ReturnType<typeof createApp>;
  let strictApp: ReturnType<typeof createApp>;
  let token: string;
  let receiver: Receiver;
  const { log, lines } = captureLogger();
  const env = { EVENTS_ALLOW_PRIVATE_URLS: 'true', EVENTS_RETRY_LIMIT: '3', EVENTS_RETRY_DELAY_SECONDS: '1', EVENTS_RETRY_DELAY_MAX_SECONDS: '1' };

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log });
    const deps = { ...testDeps(database, queue, env), log };
    await configureEventQueue(queue, deps.config);
    app = createApp(deps);
    strictApp = createApp({ ...deps, config: { ...deps.config, EVENTS_ALLOW_PRIVATE_URLS: false } });
    await registerHandlers({ ...deps, queue }, ['events.deliver'], 2);
    token = (await createToken(database.db, 'events', 'test')).token;
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await queue?.stop({ timeoutMs: 5_000 });
    await receiver?.close();
    await database?.drop();
  });

  const api = async (method: string, path: string, body?: unknown, on = app) => {
    const response = await on.request(`/api/v1${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: response.status, text: await response.clone().text(), json: (await response.json()) as Record<string, any> };
  };
  const subscribe = async (events: string[], url = receiver.url) => {
    const created = await api('POST', '/event-subscriptions', { url, events });
    expect(created.status, created.text).toBe(201);
    return { id: created.json.id as string, secret: created.json.secret as string };
  };
  const emit = (type: 'drift.detected' | 'model.promoted', subjectId: string) =>
    database.db.transaction((tx) => emitEvent(tx, { type, subjectId, data: { task: 'reply' } }, { queue }));
  const delivery = async (subscriptionId: string) => (await database.db.select().from(eventDeliveries).where(eq(eventDeliveries.subscriptionId, subscriptionId)))[0];
  const settled = (subscriptionId: string) => waitFor(async () => {
    const row = await delivery(subscriptionId);
    return row && row.status !== 'pending' ? row : null;
  }, 'a settled delivery');

  it('delivers a signed event that verifies with the documented algorithm; the secret is shown once', async () => {
    const { id, secret } = await subscribe(['model.promoted']);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    await emit('model.promoted', 'model-1');
    const row = await settled(id);
    expect(row.status).toBe('delivered');
    const got = receiver.received.filter((r) => r.headers.id === row.id);
    expect(got).toHaveLength(1);
    expect(verify(secret, got[0]!)).toBe(true);
    expect(verify(`whsec_${randomBytes(32).toString('base64')}`, got[0]!)).toBe(false);
    // What the README tells receivers to run: the standardwebhooks package accepts it as sent.
    const { id: webhookId, timestamp, signature } = got[0]!.headers;
    expect(new Webhook(secret).verify(got[0]!.body, { 'webhook-id': webhookId, 'webhook-timestamp': timestamp, 'webhook-signature': signature })).toMatchObject({ type: 'model.promoted' });
    expect(JSON.parse(got[0]!.body)).toMatchObject({ type: 'model.promoted', data: { subjectId: 'model-1', task: 'reply' } });

    const listed = await api('GET', '/event-subscriptions');
    const one = await api('GET', `/event-subscriptions/${id}`);
    const deliveries = await api('GET', `/event-subscriptions/${id}/deliveries`);
    expect(deliveries.json.data[0]).toMatchObject({ id: row.id, status: 'delivered', attempts: 1, lastStatus: 204 });
    for (const response of [listed, one, deliveries]) {
      expect(response.text).not.toContain(secret);
      expect(response.text).not.toContain('whsec_');
    }
    expect(JSON.stringify(lines())).not.toContain(secret.slice(6));
    expect(await api('DELETE', `/event-subscriptions/${id}`).then((r) => r.status)).toBe(200);
  });

  it('retries with backoff while the receiver is down and delivers once it is up, with one stable webhook-id', async () => {
    const { id, secret } = await subscribe(['drift.detected']);
    await receiver.down();
    await emit('drift.detected', 'report-1');
    const failedOnce = await waitFor(async () => {
      const row = await delivery(id);
      return row && row.attempts >= 2 ? row : null;
    }, 'two failed attempts');
    expect(failedOnce.status).toBe('pending');
    // No socket error text (ECONNREFUSED, …) reaches the API: it would make deliveries a port scanner.
    expect(failedOnce.lastError).toBe('the request failed (no HTTP response)');
    expect(failedOnce.nextAttemptAt).not.toBeNull();
    await receiver.up();
    const row = await settled(id);
    expect(row.status).toBe('delivered');
    expect(row.attempts).toBeGreaterThanOrEqual(3);
    const got = receiver.received.filter((r) => r.headers.id === row.id);
    expect(got).toHaveLength(1);
    expect(verify(secret, got[0]!)).toBe(true);
    await api('DELETE', `/event-subscriptions/${id}`);
  });

  it('keeps retrying a non-2xx answer up to the limit, then marks the delivery failed', async () => {
    const { id } = await subscribe(['drift.detected']);
    receiver.answer(500);
    await emit('drift.detected', 'report-2');
    const row = await settled(id);
    receiver.answer(204);
    expect(row).toMatchObject({ status: 'failed', attempts: 4, lastStatus: 500, lastError: 'HTTP 500' });
    const attempts = receiver.received.filter((r) => r.headers.id === row.id);
    expect(attempts.map((r) => r.answered)).toEqual([500, 500, 500, 500]);
    expect(new Set(attempts.map((r) => r.headers.id)).size).toBe(1);
    await api('DELETE', `/event-subscriptions/${id}`);
  });

  it('emits run.finished when a fine-tuning job fails, in its transaction; the sweep sends deliveries emitted without a queue', async () => {
    const { id } = await subscribe(['run.finished']);
    const [job] = await database.db.insert(fineTuningJobs).values({ backend: 'local', model: 'tiny', method: 'lora', hyperparameters: {}, seed: 1, task: 'reply', createdBy: 'test' }).returning();
    // No queue: what the CLI does; the outbox row waits for the sweep.
    await database.db.transaction((tx) => fail(tx, { queue: null }, job!, { code: 'boom', message: 'broken', param: null }));
    expect((await delivery(id))?.enqueuedAt).toBeNull();
    expect(await sweepOutbox(database.db, queue)).toBe(1);
    const row = await settled(id);
    expect(row.status).toBe('delivered');
    const body = JSON.parse(receiver.received.find((r) => r.headers.id === row.id)!.body);
    expect(body).toMatchObject({ type: 'run.finished', data: { subjectId: job!.id, status: 'failed', task: 'reply' } });
    await api('DELETE', `/event-subscriptions/${id}`);
  });

  it('refuses non-http(s) URLs, and private or loopback addresses unless EVENTS_ALLOW_PRIVATE_URLS is set', async () => {
    for (const url of ['http://127.0.0.1:9/x', 'http://localhost/x', 'http://10.1.2.3/x', 'http://169.254.169.254/latest', 'http://[::1]/x', 'http://[::ffff:192.168.0.1]/x', 'http://[::127.0.0.1]/x', 'http://[2002:7f00:1::1]/x', 'http://[2001::1]/x', 'http://[fec0::1]/x']) {
      const refused = await api('POST', '/event-subscriptions', { url, events: ['run.finished'] }, strictApp);
      expect(refused.status, url).toBe(400);
      expect(refused.json.error.message).toMatch(/private|internal|loopback/);
    }
    for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'http://user:pw@example.com/']) {
      expect((await api('POST', '/event-subscriptions', { url, events: ['run.finished'] })).status, url).toBe(400);
    }
    expect((await api('POST', '/event-subscriptions', { url: receiver.url, events: ['nope'] })).status).toBe(400);
  });
});
