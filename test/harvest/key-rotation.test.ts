import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection, listConnections, rekeyConnections } from '../../src/connections/store.ts';
import { createKeyring, decryptJson, DecryptionError, encryptJson } from '../../src/security/encryption.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('credentials at rest', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('detects tampering and unknown keys', () => {
    const keyring = createKeyring(randomBytes(32));
    const sealed = encryptJson(keyring, { token: 'abc' });
    expect(decryptJson(keyring, sealed)).toEqual({ token: 'abc' });
    const parts = sealed.split('.');
    parts[4] = `${parts[4]?.slice(0, -2)}AA`;
    expect(() => decryptJson(keyring, parts.join('.'))).toThrow(DecryptionError);
    expect(() => decryptJson(createKeyring(randomBytes(32)), sealed)).toThrow(/not configured/);
  });

  it('rotates keys: old values open with the previous key until rekeyed with the new one', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    await createConnection(database.db, createKeyring(oldKey), { vendor: 'zendesk', name: 'rotate-me', settings: { subdomain: 'acme' }, credentials: { type: 'api_token', email: 'a@example.com', token: 'tok-1' }, schedule: null }, 'test', { allowedHosts: [] });
    const rotating = createKeyring(newKey, [oldKey]);
    expect(await rekeyConnections(database.db, rotating, 'test')).toBe(1);
    expect(await rekeyConnections(database.db, rotating, 'test')).toBe(0);
    const [row] = await listConnections(database.db);
    expect(decryptJson(createKeyring(newKey), row?.credentialsEncrypted ?? '')).toMatchObject({ token: 'tok-1' });
    expect(() => decryptJson(createKeyring(oldKey), row?.credentialsEncrypted ?? '')).toThrow(DecryptionError);
  });
});
