/**
 * A value sealed the way the hub sealed them before row binding (`v1`, AES-256-GCM without
 * additional data), written out here so the migration path can be tested against real old values.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { keyId, type Keyring } from '../../src/security/encryption.ts';

export function sealV1(keyring: Keyring, value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyring.current, iv);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return ['v1', keyId(keyring.current), iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
}
