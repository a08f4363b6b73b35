/**
 * AES-256-GCM for vendor credentials at rest. Each value records which key sealed it
 * (`v1.<key id>.<iv>.<tag>.<ciphertext>`), so keys can be rotated: put the old key in
 * TUNELOOP_ENCRYPTION_KEYS_PREVIOUS, the new one in TUNELOOP_ENCRYPTION_KEY, then run
 * `tuneloop connections rekey`.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Keyring {
  /** Seals new values. */
  current: Buffer;
  /** Opens values sealed by any of these (current included). */
  byId: Map<string, Buffer>;
}

export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

export function createKeyring(current: Buffer, previous: Buffer[] = []): Keyring {
  for (const key of [current, ...previous]) if (key.length !== 32) throw new Error('encryption keys must be 32 bytes');
  return { current, byId: new Map([current, ...previous].map((key) => [keyId(key), key])) };
}

/** The configured key, else one generated once into TUNELOOP_HOME (fine for one machine; set it for replicas). */
export function loadKeyring(options: { key?: string; previousKeys?: string; home: string }): Keyring {
  const previous = (options.previousKeys ?? '')
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean)
    .map((value) => Buffer.from(value, 'base64'));
  if (options.key) return createKeyring(Buffer.from(options.key, 'base64'), previous);
  const file = join(options.home, 'encryption-key');
  if (!existsSync(file)) {
    mkdirSync(options.home, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return createKeyring(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'), previous);
}

export function encryptJson(keyring: Keyring, value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyring.current, iv);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return ['v1', keyId(keyring.current), iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
}

export function decryptJson(keyring: Keyring, sealed: string): unknown {
  const [version, id, iv, tag, ciphertext] = sealed.split('.');
  if (version !== 'v1' || !id || !iv || !tag || ciphertext === undefined) throw new DecryptionError('unrecognised encrypted value');
  const key = keyring.byId.get(id);
  if (!key) throw new DecryptionError(`sealed with key ${id}, which is not configured (set TUNELOOP_ENCRYPTION_KEYS_PREVIOUS)`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
    return JSON.parse(plain.toString('utf8'));
  } catch {
    throw new DecryptionError('credentials could not be decrypted: wrong key or tampered value');
  }
}

export function sealedWithCurrentKey(keyring: Keyring, sealed: string): boolean {
  return sealed.split('.')[1] === keyId(keyring.current);
}
