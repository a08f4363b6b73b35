/**
 * Webhook signing secrets, sealed with the credentials keyring, one per connection
 * (webhook_endpoints). Lookups on the hot path go through a small in-process cache so a burst of
 * deliveries does not decrypt on every request; a rotated secret is picked up within CACHE_MS.
 */
import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { recordAudit } from '../audit.ts';
import type { Tx } from '../db/client.ts';
import { connections, webhookEndpoints } from '../db/schema/index.ts';
import { decryptJson, encryptJson, sealedWithCurrentKey, type Keyring } from '../security/encryption.ts';

export interface WebhookEndpoint {
  connectionId: string;
  vendor: string;
  secret: string;
  vendorWebhookId: string | null;
  vendorTriggerId: string | null;
}

/** 32 random bytes, base64url: for Salesforce (we choose the secret) and tests. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export async function loadEndpoint(db: Tx, keyring: Keyring, connectionId: string): Promise<WebhookEndpoint | null> {
  const [row] = await db
    .select({ vendor: connections.vendor, sealed: webhookEndpoints.secretEncrypted, webhookId: webhookEndpoints.vendorWebhookId, triggerId: webhookEndpoints.vendorTriggerId })
    .from(webhookEndpoints)
    .innerJoin(connections, eq(connections.id, webhookEndpoints.connectionId))
    .where(eq(webhookEndpoints.connectionId, connectionId));
  if (!row) return null;
  const opened = decryptJson(keyring, row.sealed);
  if (typeof opened !== 'string') throw new Error('webhook secret is not a string');
  return { connectionId, vendor: row.vendor, secret: opened, vendorWebhookId: row.webhookId, vendorTriggerId: row.triggerId };
}

/** Stores (or replaces) the connection's signing secret and what we registered at the vendor. */
export async function saveEndpoint(
  db: Tx,
  keyring: Keyring,
  input: { connectionId: string; secret: string; vendorWebhookId?: string | null; vendorTriggerId?: string | null },
  actor: string,
): Promise<void> {
  const values = {
    connectionId: input.connectionId,
    secretEncrypted: encryptJson(keyring, input.secret),
    ...(input.vendorWebhookId !== undefined ? { vendorWebhookId: input.vendorWebhookId } : {}),
    ...(input.vendorTriggerId !== undefined ? { vendorTriggerId: input.vendorTriggerId } : {}),
  };
  await db
    .insert(webhookEndpoints)
    .values(values)
    .onConflictDoUpdate({ target: webhookEndpoints.connectionId, set: { ...values, updatedAt: sql`now()` } });
  // Never the secret itself: only that it changed.
  await recordAudit(db, { actor, action: 'webhook.secret_set', subjectType: 'connection', subjectId: input.connectionId, details: { webhookId: input.vendorWebhookId ?? null } });
}

/** Re-seals every webhook secret with the current key (run with `connections rekey`). */
export async function rekeyWebhookSecrets(db: Tx, keyring: Keyring): Promise<number> {
  let changed = 0;
  for (const row of await db.select().from(webhookEndpoints)) {
    if (sealedWithCurrentKey(keyring, row.secretEncrypted)) continue;
    const resealed = encryptJson(keyring, decryptJson(keyring, row.secretEncrypted));
    await db.update(webhookEndpoints).set({ secretEncrypted: resealed, updatedAt: sql`now()` }).where(eq(webhookEndpoints.connectionId, row.connectionId));
    changed++;
  }
  return changed;
}

const CACHE_MS = 10_000;
const CACHE_MAX = 10_000;

/** connectionId → endpoint (or null: none), for CACHE_MS. Bounded: oldest entries go first. */
export class EndpointCache {
  private readonly entries = new Map<string, { value: WebhookEndpoint | null; expires: number }>();

  constructor(
    private readonly db: Tx,
    private readonly keyring: Keyring,
    private readonly ttlMs = CACHE_MS,
  ) {}

  async get(connectionId: string, now = Date.now()): Promise<WebhookEndpoint | null> {
    const hit = this.entries.get(connectionId);
    if (hit && hit.expires > now) return hit.value;
    const value = await loadEndpoint(this.db, this.keyring, connectionId);
    this.entries.delete(connectionId);
    if (this.entries.size >= CACHE_MAX) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(connectionId, { value, expires: now + this.ttlMs });
    return value;
  }
}
