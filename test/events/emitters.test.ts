import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventDeliveries } from '../../src/db/schema/index.ts';
import { emitEvent } from '../../src/events/emit.ts';
import { createSubscription } from '../../src/events/subscriptions.ts';
import { isInternalAddress } from '../../src/events/url-guard.ts';
import { raiseAlerts } from '../../src/serving/compliance/alerts/alerts.ts';
import type { Policy } from '../../src/serving/compliance/policies/schema.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { createConnection, storeConversations } from '../models/drift-support.ts';

/** Where events come from: written in the emitter's transaction, to matching subscriptions only. */
describe('event emitters', () => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;

  beforeAll(async () => {
    database = await createTestDatabase();
    deps = testDeps(database, null);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('writes one delivery per matching active subscription, and none when the transaction rolls back', async () => {
    const alerts = await createSubscription(database.db, deps.keyring, { url: 'http://127.0.0.1:9/a', events: ['alert.raised'] }, { actor: 'test', allowPrivate: true });
    const drift = await createSubscription(database.db, deps.keyring, { url: 'http://127.0.0.1:9/b', events: ['drift.detected', 'alert.raised'] }, { actor: 'test', allowPrivate: true });
    await database.db
      .transaction(async (tx) => {
        await emitEvent(tx, { type: 'drift.detected', subjectId: 'r1', data: {} });
        throw new Error('the change failed');
      })
      .catch(() => undefined);
    expect(await database.db.$count(eventDeliveries)).toBe(0);

    await database.db.transaction((tx) => emitEvent(tx, { type: 'drift.detected', subjectId: 'r2', data: {} }));
    expect(await database.db.$count(eventDeliveries, eq(eventDeliveries.subscriptionId, drift.subscription.id))).toBe(1);
    expect(await database.db.$count(eventDeliveries, eq(eventDeliveries.subscriptionId, alerts.subscription.id))).toBe(0);
  });

  it('emits alert.raised with the policy and where it matched, never the evidence', async () => {
    const connectionId = await createConnection(database.db, 'desk');
    await storeConversations(database.db, connectionId, [{ text: 'my card is 4111 1111 1111 1111', intent: 'payment' }], new Date(), 'card');
    const [message] = await database.db.query.messages.findMany({ limit: 1 });
    const policy = { id: 'no-card-numbers', version: 3, severity: 'high' } as Policy;
    const [alert] = await database.db.transaction((tx) => raiseAlerts(tx, null, { id: message!.id, conversationId: message!.conversationId }, [{ policy, evidence: [{ start: 11, end: 30, excerpt: '4111 1111 1111 1111', kind: 'card' }] }]));
    const rows = await database.db.select().from(eventDeliveries).where(eq(eventDeliveries.eventType, 'alert.raised'));
    expect(rows).toHaveLength(2);
    expect(rows[0]?.payload).toMatchObject({ type: 'alert.raised', data: { subjectId: alert!.id, policyId: 'no-card-numbers', policyVersion: 3, severity: 'high', messageId: message!.id } });
    expect(JSON.stringify(rows.map((row) => row.payload))).not.toContain('4111');
  });

  it('classifies internal addresses, IPv4-mapped IPv6 included', () => {
    for (const address of ['127.0.0.1', '10.0.0.8', '172.31.255.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:c0a8:1', 'not-an-ip']) {
      expect(isInternalAddress(address), address).toBe(true);
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8', '::ffff:808:808']) expect(isInternalAddress(address), address).toBe(false);
  });
});
