/**
 * Event subscriptions: create (the signing secret is returned once, then only its sealed form is
 * kept), list, remove, and a subscription's deliveries. The public view never holds the secret.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { recordAudit } from '../audit.ts';
import type { Tx } from '../db/client.ts';
import { eventDeliveries, eventSubscriptions } from '../db/schema/index.ts';
import { decryptJson, encryptJson, placeOf, type Keyring, type SealPlace } from '../security/encryption.ts';
import { resealRows, type ResealResult } from '../security/reseal.ts';
import { EVENT_TYPES } from './emit.ts';
import { newSecret } from './signature.ts';
import { checkEventUrl } from './url-guard.ts';
import { afterRow } from '../db/keyset.ts';

export type SubscriptionRow = typeof eventSubscriptions.$inferSelect;
export type DeliveryRow = typeof eventDeliveries.$inferSelect;

export const NewSubscription = z
  .object({
    url: z.string().trim().min(1).max(2000),
    events: z.array(z.enum(EVENT_TYPES)).min(1, 'name at least one event type').max(EVENT_TYPES.length),
  })
  .strict();
export type NewSubscription = z.infer<typeof NewSubscription>;

/** Where a subscription's sealed signing secret lives: it opens on that row only. */
export function subscriptionSecretPlace(subscriptionId: string): SealPlace {
  return placeOf('event_subscriptions', 'secret_encrypted', subscriptionId);
}

export function publicSubscription(row: SubscriptionRow) {
  return { id: row.id, url: row.url, events: row.eventTypes, active: row.active, createdBy: row.createdBy, createdAt: row.createdAt };
}

export function publicDelivery(row: DeliveryRow) {
  return {
    id: row.id,
    subscriptionId: row.subscriptionId,
    event: row.eventType,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt : null,
    lastStatus: row.lastStatus,
    lastError: row.lastError,
    createdAt: row.createdAt,
    deliveredAt: row.deliveredAt,
    payload: row.payload,
  };
}

/** Validates and stores; returns the row and the plain secret, which is never readable again. */
export async function createSubscription(db: Tx, keyring: Keyring, input: NewSubscription, options: { actor: string; allowPrivate: boolean }): Promise<{ subscription: SubscriptionRow; secret: string }> {
  const url = await checkEventUrl(input.url, { allowPrivate: options.allowPrivate });
  const secret = newSecret();
  // The id is chosen here because the sealed secret is bound to it.
  const id = randomUUID();
  return db.transaction(async (tx) => {
    const [subscription] = await tx
      .insert(eventSubscriptions)
      .values({ id, url: url.toString(), eventTypes: [...new Set(input.events)], secretEncrypted: encryptJson(keyring, { secret }, subscriptionSecretPlace(id)), createdBy: options.actor })
      .returning();
    if (!subscription) throw new Error('subscription insert returned nothing');
    await recordAudit(tx, { actor: options.actor, action: 'event_subscription.created', subjectType: 'event_subscription', subjectId: subscription.id, details: { url: subscription.url, events: subscription.eventTypes } });
    return { subscription, secret };
  });
}

export function subscriptionSecret(keyring: Keyring, row: Pick<SubscriptionRow, 'id' | 'secretEncrypted'>): string {
  const opened = z.object({ secret: z.string().min(1) }).parse(decryptJson(keyring, row.secretEncrypted, subscriptionSecretPlace(row.id)));
  return opened.secret;
}

export async function listSubscriptions(db: Tx): Promise<SubscriptionRow[]> {
  return db.select().from(eventSubscriptions).orderBy(desc(eventSubscriptions.createdAt));
}

export async function getSubscription(db: Tx, id: string): Promise<SubscriptionRow | null> {
  const [row] = await db.select().from(eventSubscriptions).where(eq(eventSubscriptions.id, id));
  return row ?? null;
}

/** Deletes the subscription and its deliveries (pending ones are not sent). */
export async function removeSubscription(db: Tx, id: string, actor: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [removed] = await tx.delete(eventSubscriptions).where(eq(eventSubscriptions.id, id)).returning();
    if (!removed) return false;
    await recordAudit(tx, { actor, action: 'event_subscription.removed', subjectType: 'event_subscription', subjectId: id, details: { url: removed.url } });
    return true;
  });
}

/** Newest first; `afterId` pages after that delivery. */
export async function listDeliveries(db: Tx, subscriptionId: string, limit = 50, afterId?: string): Promise<DeliveryRow[]> {
  const after = afterId ? afterRow(eventDeliveries, eventDeliveries.createdAt, eventDeliveries.id, afterId) : undefined;
  return db.select().from(eventDeliveries).where(and(eq(eventDeliveries.subscriptionId, subscriptionId), after)).orderBy(desc(eventDeliveries.createdAt), desc(eventDeliveries.id)).limit(limit);
}

/** Re-seals every subscription's signing secret with the current key (run with `connections rekey`). */
export async function rekeySubscriptionSecrets(db: Tx, keyring: Keyring): Promise<ResealResult> {
  const rows = await db.select({ id: eventSubscriptions.id, sealed: eventSubscriptions.secretEncrypted }).from(eventSubscriptions);
  return resealRows(keyring, rows, subscriptionSecretPlace, async (id, sealed, previous) => {
    const updated = await db
      .update(eventSubscriptions)
      .set({ secretEncrypted: sealed })
      .where(and(eq(eventSubscriptions.id, id), eq(eventSubscriptions.secretEncrypted, previous)))
      .returning({ id: eventSubscriptions.id });
    return updated.length > 0;
  });
}
