/**
 * Key rotation reaches event subscription secrets too (`connections rekey`), and a delivery whose
 * subscription secret cannot be decrypted fails at once with a clear reason instead of staying
 * pending and being retried for hours.
 */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventDeliveries, eventSubscriptions } from '../../src/db/schema/index.ts';
import { eventDeliverHandler } from '../../src/events/deliver.ts';
import { rekeySubscriptionSecrets, subscriptionSecret } from '../../src/events/subscriptions.ts';
import { createKeyring, encryptJson } from '../../src/security/encryption.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('event subscription secrets and key rotation', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  const subscribe = async (sealed: string) => {
    const [row] = await database.db.insert(eventSubscriptions).values({ url: 'https://hooks.example.com/in', eventTypes: ['model.promoted'], secretEncrypted: sealed, createdBy: 'test' }).returning();
    if (!row) throw new Error('no subscription');
    return row;
  };

  it('rekey re-seals subscription secrets with the current key; the old key is then no longer needed', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const row = await subscribe(encryptJson(createKeyring(oldKey), { secret: 'whsec_rotate_me' }));
    expect(await rekeySubscriptionSecrets(database.db, createKeyring(newKey, [oldKey]))).toBe(1);
    expect(await rekeySubscriptionSecrets(database.db, createKeyring(newKey, [oldKey]))).toBe(0);
    const [stored] = await database.db.select().from(eventSubscriptions).where(eq(eventSubscriptions.id, row.id));
    expect(subscriptionSecret(createKeyring(newKey), stored ?? row)).toBe('whsec_rotate_me');
  });

  it('a delivery whose secret cannot be decrypted is failed with the reason, not retried', async () => {
    const row = await subscribe(encryptJson(createKeyring(randomBytes(32)), { secret: 'whsec_lost_key' }));
    const [delivery] = await database.db.insert(eventDeliveries).values({ subscriptionId: row.id, eventType: 'model.promoted', payload: { type: 'model.promoted' } }).returning();
    if (!delivery) throw new Error('no delivery');
    const deps = { ...testDeps(database, null), queue: null as never };
    await expect(eventDeliverHandler(deps)({ deliveryId: delivery.id }, { id: 'job', signal: new AbortController().signal, retryCount: 0 })).resolves.toBeUndefined();
    const [after] = await database.db.select().from(eventDeliveries).where(eq(eventDeliveries.id, delivery.id));
    expect(after?.status).toBe('failed');
    expect(after?.lastError).toMatch(/^the subscription's signing secret cannot be decrypted: sealed with key \w+, which is not configured/);
  });
});
