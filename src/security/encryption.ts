/**
 * AES-256-GCM for secrets at rest. Each value records which key sealed it
 * (`v2.<key id>.<iv>.<tag>.<ciphertext>`), so keys can be rotated: put the old key in
 * TUNELOOP_ENCRYPTION_KEYS_PREVIOUS, the new one in TUNELOOP_ENCRYPTION_KEY, then run
 * `tuneloop connections rekey` (the hub also re-seals what needs it at start, src/security/reseal.ts).
 *
 * Each value is bound to its place (table, column, row id) as GCM additional data: someone who can
 * write to the database cannot copy one connection's sealed credentials or a subscription's secret
 * into another row and have the hub use them there. `v1` values (sealed before the binding) still
 * open, without it, until the re-seal pass rewrites them as `v2`.
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

/** Where a sealed value is stored; bound into the ciphertext, so it opens only there. */
export interface SealPlace {
  table: string;
  column: string;
  rowId: string;
}

export function placeOf(table: string, column: string, rowId: string): SealPlace {
  return { table, column, rowId };
}

function additionalData(place: SealPlace): Buffer {
  return Buffer.from(`tuneloop\u0000${place.table}\u0000${place.column}\u0000${place.rowId}`, 'utf8');
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

export function encryptJson(keyring: Keyring, value: unknown, place: SealPlace): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyring.current, iv);
  cipher.setAAD(additionalData(place));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return ['v2', keyId(keyring.current), iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
}

export function decryptJson(keyring: Keyring, sealed: string, place: SealPlace): unknown {
  const [version, id, iv, tag, ciphertext] = sealed.split('.');
  if ((version !== 'v1' && version !== 'v2') || !id || !iv || !tag || ciphertext === undefined) throw new DecryptionError('unrecognised encrypted value');
  const key = keyring.byId.get(id);
  if (!key) throw new DecryptionError(`sealed with key ${id}, which is not configured (set TUNELOOP_ENCRYPTION_KEYS_PREVIOUS)`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    // v1 predates the binding: it opens anywhere until the re-seal pass rewrites it.
    if (version === 'v2') decipher.setAAD(additionalData(place));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
    return JSON.parse(plain.toString('utf8'));
  } catch {
    throw new DecryptionError(`the value in ${place.table}.${place.column} could not be decrypted: wrong key, tampered, or copied from another row`);
  }
}

/** True when the value must be sealed again: another key, or the old unbound format. */
export function needsReseal(keyring: Keyring, sealed: string): boolean {
  const [version, id] = sealed.split('.');
  return version !== 'v2' || id !== keyId(keyring.current);
}
