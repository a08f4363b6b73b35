/**
 * Credentials at rest: tampering and unknown keys are detected; each value is bound to its row
 * (a sealed value copied to another row, column or table does not open); key rotation and the
 * old unbound format (v1) are re-sealed by one pass over every encrypted column.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialsPlace } from '../../src/connections/open.ts';
import { connectorFor, createConnection, findConnection, listConnections, rekeyConnections } from '../../src/connections/store.ts';
import { connections, webhookEndpoints } from '../../src/db/schema/index.ts';
import { createKeyring, decryptJson, DecryptionError, encryptJson, placeOf } from '../../src/security/encryption.ts';
import { resealAll } from '../../src/security/reseal-all.ts';
import { loadEndpoint, saveEndpoint, webhookSecretPlace } from '../../src/webhooks/secrets.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { sealV1 } from '../support/legacy-seal.ts';

describe('credentials at rest', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  const zendesk = (name: string, token: string) => ({ vendor: 'zendesk', name, settings: { subdomain: 'acme' }, credentials: { type: 'api_token', email: 'a@example.com', token }, schedule: null });

  it('detects tampering and unknown keys', () => {
    const keyring = createKeyring(randomBytes(32));
    const place = placeOf('connections', 'credentials_encrypted', randomUUID());
    const sealed = encryptJson(keyring, { token: 'abc' }, place);
    expect(sealed.startsWith('v2.')).toBe(true);
    expect(decryptJson(keyring, sealed, place)).toEqual({ token: 'abc' });
    const parts = sealed.split('.');
    parts[4] = `${parts[4]?.slice(0, -2)}AA`;
    expect(() => decryptJson(keyring, parts.join('.'), place)).toThrow(DecryptionError);
    expect(() => decryptJson(createKeyring(randomBytes(32)), sealed, place)).toThrow(/not configured/);
  });

  it('binds each value to its table, column and row', () => {
    const keyring = createKeyring(randomBytes(32));
    const id = randomUUID();
    const sealed = encryptJson(keyring, { token: 'abc' }, placeOf('connections', 'credentials_encrypted', id));
    for (const elsewhere of [placeOf('connections', 'credentials_encrypted', randomUUID()), placeOf('connections', 'other_column', id), placeOf('event_subscriptions', 'credentials_encrypted', id)]) {
      expect(() => decryptJson(keyring, sealed, elsewhere)).toThrow(/could not be decrypted: wrong key, tampered, or copied from another row/);
    }
  });

  it("a connection's sealed credentials copied onto another connection do not open there", async () => {
    const keyring = createKeyring(randomBytes(32));
    const victim = await createConnection(database.db, keyring, zendesk(`victim-${randomUUID().slice(0, 6)}`, 'tok-victim'), 'test', { allowedHosts: [] });
    const attacker = await createConnection(database.db, keyring, zendesk(`attacker-${randomUUID().slice(0, 6)}`, 'tok-attacker'), 'test', { allowedHosts: [] });
    await database.db.update(connections).set({ credentialsEncrypted: victim.credentialsEncrypted }).where(eq(connections.id, attacker.id));
    const copied = await findConnection(database.db, attacker.id);
    if (!copied) throw new Error('no connection');
    expect(() => connectorFor(database.db, keyring, copied)).toThrow(DecryptionError);
    // The victim's own row still opens.
    expect(() => connectorFor(database.db, keyring, victim)).not.toThrow();

    // The same for webhook secrets: one connection's secret copied onto another's endpoint.
    await saveEndpoint(database.db, keyring, { connectionId: victim.id, secret: 'victim-secret' }, 'test');
    await saveEndpoint(database.db, keyring, { connectionId: attacker.id, secret: 'attacker-secret' }, 'test');
    const [victimEndpoint] = await database.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.connectionId, victim.id));
    await database.db.update(webhookEndpoints).set({ secretEncrypted: victimEndpoint?.secretEncrypted ?? '' }).where(eq(webhookEndpoints.connectionId, attacker.id));
    await expect(loadEndpoint(database.db, keyring, attacker.id)).rejects.toThrow(DecryptionError);
    expect((await loadEndpoint(database.db, keyring, victim.id))?.secret).toBe('victim-secret');
    await database.db.delete(connections);
  });

  it('rotates keys: old values open with the previous key until rekeyed with the new one', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    await createConnection(database.db, createKeyring(oldKey), zendesk('rotate-me', 'tok-1'), 'test', { allowedHosts: [] });
    const rotating = createKeyring(newKey, [oldKey]);
    expect(await rekeyConnections(database.db, rotating, 'test')).toEqual({ resealed: 1, unreadable: [] });
    expect(await rekeyConnections(database.db, rotating, 'test')).toEqual({ resealed: 0, unreadable: [] });
    const [row] = await listConnections(database.db);
    if (!row) throw new Error('no connection');
    expect(decryptJson(createKeyring(newKey), row.credentialsEncrypted, credentialsPlace(row.id))).toMatchObject({ token: 'tok-1' });
    expect(() => decryptJson(createKeyring(oldKey), row.credentialsEncrypted, credentialsPlace(row.id))).toThrow(DecryptionError);
    await database.db.delete(connections);
  });

  it('values sealed before the row binding (v1) are read once and re-sealed bound to their rows; unreadable ones are reported', async () => {
    const keyring = createKeyring(randomBytes(32));
    const legacy = await createConnection(database.db, keyring, zendesk('legacy', 'tok-legacy'), 'test', { allowedHosts: [] });
    const lost = await createConnection(database.db, keyring, zendesk('lost', 'tok-lost'), 'test', { allowedHosts: [] });
    await database.db.update(connections).set({ credentialsEncrypted: sealV1(keyring, { type: 'api_token', email: 'a@example.com', token: 'tok-legacy' }) }).where(eq(connections.id, legacy.id));
    await database.db.update(connections).set({ credentialsEncrypted: sealV1(createKeyring(randomBytes(32)), { token: 'gone' }) }).where(eq(connections.id, lost.id));
    await saveEndpoint(database.db, keyring, { connectionId: legacy.id, secret: 'x' }, 'test');
    await database.db.update(webhookEndpoints).set({ secretEncrypted: sealV1(keyring, 'legacy-webhook-secret') }).where(eq(webhookEndpoints.connectionId, legacy.id));

    // The old format still opens (the migration path) …
    expect((await loadEndpoint(database.db, keyring, legacy.id))?.secret).toBe('legacy-webhook-secret');
    const result = await resealAll(database.db, keyring, 'test');
    expect(result.connections).toEqual({ resealed: 1, unreadable: [lost.id] });
    expect(result.webhookSecrets).toEqual({ resealed: 1, unreadable: [] });

    // … and is bound to its row afterwards.
    const row = await findConnection(database.db, legacy.id);
    const [endpoint] = await database.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.connectionId, legacy.id));
    expect(row?.credentialsEncrypted.startsWith('v2.')).toBe(true);
    expect(endpoint?.secretEncrypted.startsWith('v2.')).toBe(true);
    expect(decryptJson(keyring, row?.credentialsEncrypted ?? '', credentialsPlace(legacy.id))).toMatchObject({ token: 'tok-legacy' });
    expect(decryptJson(keyring, endpoint?.secretEncrypted ?? '', webhookSecretPlace(legacy.id))).toBe('legacy-webhook-secret');
    // A second pass has nothing left to do but still names the row no key opens.
    const again = await resealAll(database.db, keyring, 'test');
    expect(again.connections).toEqual({ resealed: 0, unreadable: [lost.id] });
    expect(again.webhookSecrets.resealed).toBe(0);
    await database.db.delete(connections);
  });
});
