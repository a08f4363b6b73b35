/**
 * Key rotation reaches event subscription secrets too (`connections rekey`), and a delivery whose
 * subscription secret cannot be decrypted (lost key, or a secret copied from another row) fails at
 * once with a clear reason instead of staying pending and being retried for hours.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventDeliveries, eventSubscriptions } from '../../src/db/schema/index.ts';
import { eventDeliverHandler } from '../../src/events/deliver.ts';
import { rekeySubscriptionSecrets, subscriptionSecret, subscriptionSecretPlace } from '../../src/events/subscriptions.ts';
import { createKeyring, encryptJson } from '../../src/security/encryption.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { sealV1 } from '../support/legacy-seal.ts';

describe('event subscription secrets and key rotation', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  /** A subscription whose secret is sealed by `seal` for the row's id. */
  const subscribe = async (seal: (id: string) => string) => {
    const id = randomUUID();
    const [row] = await database.db.insert(eventSubscriptions).values({ id, url: 'https://hooks.example.com/in', eventTypes: ['model.promoted'], secretEncrypted: seal(id), createdBy: 'test' }).returning();
    if (!row) throw new Error('no subscription');
    return row;
  };

  const keyring = createKeyring(randomBytes(32));
  const deliverOnce = async (subscriptionId: string) => {
    const [delivery] = await database.db.insert(eventDeliveries).values({ subscriptionId, eventType: 'model.promoted', payload: { type: 'model.promoted' } }).returning();
    if (!delivery) throw new Error('no delivery');
    const deps = { ...testDeps(database, null), keyring, queue: null as never };
    await expect(eventDeliverHandler(deps)({ deliveryId: delivery.id }, { id: 'job', signal: new AbortController().signal, retryCount: 0 })).resolves.toBeUndefined();
    const [after] = await database.db.select().from(eventDeliveries).where(eq(eventDeliveries.id, delivery.id));
    return after;
  };

  it('rekey re-seals subscription secrets with the current key; the old key is then no longer needed', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const row = await subscribe((id) => encryptJson(createKeyring(oldKey), { secret: 'whsec_rotate_me' }, subscriptionSecretPlace(id)));
    expect((await rekeySubscriptionSecrets(database.db, createKeyring(newKey, [oldKey]))).resealed).toBe(1);
    expect((await rekeySubscriptionSecrets(database.db, createKeyring(newKey, [oldKey]))).resealed).toBe(0);
    const [stored] = await database.db.select().from(eventSubscriptions).where(eq(eventSubscriptions.id, row.id));
    expect(subscriptionSecret(createKeyring(newKey), stored ?? row)).toBe('whsec_rotate_me');
  });

  it('a delivery whose secret cannot be decrypted is failed with the reason, not retried', async () => {
    const row = await subscribe((id) => encryptJson(createKeyring(randomBytes(32)), { secret: 'whsec_lost_key' }, subscriptionSecretPlace(id)));
    const after = await deliverOnce(row.id);
    expect(after?.status).toBe('failed');
    expect(after?.lastError).toMatch(/^the subscription's signing secret cannot be decrypted: sealed with key \w+, which is not configured/);
  });

  it("a subscription secret copied from another subscription's row does not open: its delivery fails with the reason", async () => {
    const victim = await subscribe((id) => encryptJson(keyring, { secret: 'whsec_victim' }, subscriptionSecretPlace(id)));
    const copy = await subscribe(() => victim.secretEncrypted);
    expect(subscriptionSecret(keyring, victim)).toBe('whsec_victim');
    expect(() => subscriptionSecret(keyring, copy)).toThrow(/copied from another row/);
    const after = await deliverOnce(copy.id);
    expect(after?.status).toBe('failed');
    expect(after?.lastError).toMatch(/^the subscription's signing secret cannot be decrypted: the value in event_subscriptions.secret_encrypted could not be decrypted/);
  });

  it('a secret sealed before the row binding (v1) still opens and is re-sealed bound to its row', async () => {
    const row = await subscribe(() => sealV1(keyring, { secret: 'whsec_legacy' }));
    expect(subscriptionSecret(keyring, row)).toBe('whsec_legacy');
    expect((await rekeySubscriptionSecrets(database.db, keyring)).resealed).toBeGreaterThanOrEqual(1);
    const [stored] = await database.db.select().from(eventSubscriptions).where(eq(eventSubscriptions.id, row.id));
    expect(stored?.secretEncrypted.startsWith('v2.')).toBe(true);
    expect(subscriptionSecret(keyring, stored ?? row)).toBe('whsec_legacy');
  });
});
