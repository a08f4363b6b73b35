/**
 * Webhook signing secrets, sealed with the credentials keyring, one per connection
 * (webhook_endpoints). Lookups on the hot path go through a small in-process cache so a burst of
 * deliveries does not decrypt on every request; a rotated secret is picked up within CACHE_MS.
 * Ids that name no endpoint are remembered apart, in a smaller map, so a flood of made-up ids can
 * neither evict the real endpoints nor grow memory.
 */
import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { recordAudit } from '../audit.ts';
import type { Tx } from '../db/client.ts';
import { connections, webhookEndpoints } from '../db/schema/index.ts';
import { decryptJson, encryptJson, placeOf, type Keyring, type SealPlace } from '../security/encryption.ts';
import { resealRows, type ResealResult } from '../security/reseal.ts';

export interface WebhookEndpoint {
  connectionId: string;
  vendor: string;
  secret: string;
  vendorWebhookId: string | null;
  vendorTriggerId: string | null;
  /** The connection's (plain) settings, e.g. HubSpot's portalId. */
  settings: unknown;
}

/** Where a connection's sealed webhook secret lives (keyed by the connection): it opens there only. */
export function webhookSecretPlace(connectionId: string): SealPlace {
  return placeOf('webhook_endpoints', 'secret_encrypted', connectionId);
}

/** 32 random bytes, base64url: for Salesforce (we choose the secret) and tests. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export async function loadEndpoint(db: Tx, keyring: Keyring, connectionId: string): Promise<WebhookEndpoint | null> {
  const [row] = await db
    .select({ vendor: connections.vendor, settings: connections.settings, sealed: webhookEndpoints.secretEncrypted, webhookId: webhookEndpoints.vendorWebhookId, triggerId: webhookEndpoints.vendorTriggerId })
    .from(webhookEndpoints)
    .innerJoin(connections, eq(connections.id, webhookEndpoints.connectionId))
    .where(eq(webhookEndpoints.connectionId, connectionId));
  if (!row) return null;
  const opened = decryptJson(keyring, row.sealed, webhookSecretPlace(connectionId));
  if (typeof opened !== 'string') throw new Error('webhook secret is not a string');
  return { connectionId, vendor: row.vendor, secret: opened, vendorWebhookId: row.webhookId, vendorTriggerId: row.triggerId, settings: row.settings };
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
    secretEncrypted: encryptJson(keyring, input.secret, webhookSecretPlace(input.connectionId)),
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
export async function rekeyWebhookSecrets(db: Tx, keyring: Keyring): Promise<ResealResult> {
  const rows = await db.select({ id: webhookEndpoints.connectionId, sealed: webhookEndpoints.secretEncrypted }).from(webhookEndpoints);
  return resealRows(keyring, rows, webhookSecretPlace, async (id, sealed, previous) => {
    const updated = await db
      .update(webhookEndpoints)
      .set({ secretEncrypted: sealed, updatedAt: sql`now()` })
      .where(and(eq(webhookEndpoints.connectionId, id), eq(webhookEndpoints.secretEncrypted, previous)))
      .returning({ id: webhookEndpoints.connectionId });
    return updated.length > 0;
  });
}

const CACHE_MS = 10_000;
const CACHE_MAX = 10_000;
const MISSES_MAX = 1_000;

/** A bounded map: the oldest entry goes first. */
function remember<V>(map: Map<string, { value: V; expires: number }>, max: number, key: string, value: V, expires: number): void {
  map.delete(key);
  if (map.size >= max) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
  map.set(key, { value, expires });
}

/** connectionId → endpoint (or null: none), for CACHE_MS. */
export class EndpointCache {
  private readonly entries = new Map<string, { value: WebhookEndpoint; expires: number }>();
  private readonly misses = new Map<string, { value: null; expires: number }>();

  constructor(
    private readonly db: Tx,
    private readonly keyring: Keyring,
    private readonly ttlMs = CACHE_MS,
  ) {}

  /** How many ids are remembered, endpoints and misses: for tests. */
  get size(): { endpoints: number; misses: number } {
    return { endpoints: this.entries.size, misses: this.misses.size };
  }

  async get(connectionId: string, now = Date.now()): Promise<WebhookEndpoint | null> {
    const hit = this.entries.get(connectionId) ?? this.misses.get(connectionId);
    if (hit && hit.expires > now) return hit.value;
    const value = await loadEndpoint(this.db, this.keyring, connectionId);
    if (value) {
      this.misses.delete(connectionId);
      remember(this.entries, CACHE_MAX, connectionId, value, now + this.ttlMs);
    } else {
      this.entries.delete(connectionId);
      remember(this.misses, MISSES_MAX, connectionId, null, now + this.ttlMs);
    }
    return value;
  }
}
