/**
 * The deliverer: one `events.deliver` job per outbox row. It POSTs the stored payload, signed, with
 * a 10 s timeout; only a 2xx counts. Anything else is recorded on the row and thrown, so pg-boss
 * retries it with exponential backoff (configureEventQueue); the last failure marks it failed.
 * The webhook-id is the delivery id, the same on every attempt, so receivers can drop duplicates.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { fetch, type Dispatcher } from 'undici';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { eventDeliveries, eventSubscriptions } from '../db/schema/index.ts';
import type { HubDeps } from '../deps.ts';
import type { JobHandler, Queue } from '../queue/queue.ts';
import { signedHeaders } from './signature.ts';
import { DecryptionError } from '../security/encryption.ts';
import { subscriptionSecret } from './subscriptions.ts';
import { guardedAgent } from './guarded-dispatcher.ts';
import { checkLiteralEventUrl, EventUrlError } from './url-guard.ts';

export const DELIVERY_TIMEOUT_MS = 10_000;

export class DeliveryError extends Error {
  override name = 'DeliveryError';
}

/** Retry settings of the `events.deliver` queue; applies to jobs sent from now on. */
export async function configureEventQueue(queue: Queue, config: Pick<Config, 'EVENTS_RETRY_LIMIT' | 'EVENTS_RETRY_DELAY_SECONDS' | 'EVENTS_RETRY_DELAY_MAX_SECONDS'>): Promise<void> {
  await queue.configureRetries('events.deliver', {
    retryLimit: config.EVENTS_RETRY_LIMIT,
    retryDelay: config.EVENTS_RETRY_DELAY_SECONDS,
    retryBackoff: true,
    retryDelayMax: config.EVENTS_RETRY_DELAY_MAX_SECONDS,
  });
  // Deliveries emitted without a queue (CLI, registry calls with a bare db) are sent by this sweep.
  await queue.schedule('events.sweep', '* * * * *', {}, 'events.sweep');
}

/**
 * What a failed request records. The row's last_error is shown to API callers, so socket error text
 * (ECONNREFUSED vs a timeout vs a TLS failure on some internal port) never goes there: it would make
 * deliveries a port scanner. Only our own guard's refusal, which says nothing about the network, is kept.
 */
function failureText(error: unknown): string {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current instanceof EventUrlError) return current.message;
    if (current.name === 'TimeoutError') return 'timed out after 10 s';
  }
  return 'the request failed (no HTTP response)';
}

async function post(url: URL, headers: Record<string, string>, body: string, dispatcher: Dispatcher | undefined): Promise<{ status: number | null; error: string | null }> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'tuneloop-webhooks/1', ...headers },
      body,
      // A redirect could point anywhere, internal addresses included: it counts as a failure.
      redirect: 'manual',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      ...(dispatcher ? { dispatcher } : {}),
    });
    await response.body?.cancel();
    return { status: response.status, error: response.status >= 200 && response.status < 300 ? null : `HTTP ${response.status}` };
  } catch (error) {
    return { status: null, error: failureText(error) };
  }
}

/** The delay pg-boss will wait before retry n (0-based), without its jitter: for next_attempt_at. */
function backoffSeconds(config: Config, retry: number): number {
  return Math.min(config.EVENTS_RETRY_DELAY_MAX_SECONDS, Math.max(config.EVENTS_RETRY_DELAY_SECONDS, 1) * 2 ** Math.min(16, retry));
}

export function eventDeliverHandler(deps: HubDeps): JobHandler<'events.deliver'> {
  const { db } = deps.database;
  const log = deps.log.child({ module: 'events' });
  // Connects only to checked public addresses unless private URLs are allowed (tests, closed networks).
  const dispatcher = deps.config.EVENTS_ALLOW_PRIVATE_URLS ? undefined : guardedAgent();
  return async ({ deliveryId }, job) => {
    const [row] = await db
      .select({ delivery: eventDeliveries, subscription: eventSubscriptions })
      .from(eventDeliveries)
      .innerJoin(eventSubscriptions, eq(eventSubscriptions.id, eventDeliveries.subscriptionId))
      .where(eq(eventDeliveries.id, deliveryId));
    // Removed subscription (cascade) or already settled: nothing to send.
    if (!row || row.delivery.status !== 'pending') return;
    const attempt = row.delivery.attempts + 1;
    const body = JSON.stringify(row.delivery.payload);
    let result: { status: number | null; error: string | null };
    let secret: string;
    try {
      secret = subscriptionSecret(deps.keyring, row.subscription);
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      // No retry can help: the key that sealed it is not configured (or the value was altered).
      await db
        .update(eventDeliveries)
        .set({ attempts: attempt, lastStatus: null, lastError: `the subscription's signing secret cannot be decrypted: ${error.message}`, status: 'failed', nextAttemptAt: null })
        .where(and(eq(eventDeliveries.id, deliveryId), eq(eventDeliveries.status, 'pending')));
      log.error({ deliveryId, subscriptionId: row.subscription.id }, 'event delivery failed: the signing secret cannot be decrypted (rotate with `connections rekey` while the old key is in TUNELOOP_ENCRYPTION_KEYS_PREVIOUS)');
      return;
    }
    try {
      // Host names are resolved and checked once, by the dispatcher, at connect time; literals here.
      const url = checkLiteralEventUrl(row.subscription.url, { allowPrivate: deps.config.EVENTS_ALLOW_PRIVATE_URLS });
      result = await post(url, signedHeaders(secret, row.delivery.id, body), body, dispatcher);
    } catch (error) {
      if (!(error instanceof EventUrlError)) throw error;
      result = { status: null, error: error.message };
    }
    if (result.error === null) {
      await markDelivered(db, deliveryId, attempt, result.status);
      log.info({ deliveryId, event: row.delivery.eventType, attempt }, 'event delivered');
      return;
    }
    const last = job.retryCount >= deps.config.EVENTS_RETRY_LIMIT;
    await db
      .update(eventDeliveries)
      .set({
        attempts: attempt,
        lastStatus: result.status,
        lastError: result.error,
        status: last ? 'failed' : 'pending',
        nextAttemptAt: last ? null : new Date(Date.now() + backoffSeconds(deps.config, job.retryCount) * 1000),
      })
      .where(and(eq(eventDeliveries.id, deliveryId), eq(eventDeliveries.status, 'pending')));
    log.warn({ deliveryId, event: row.delivery.eventType, attempt, status: result.status, error: result.error, final: last }, last ? 'event delivery failed for good' : 'event delivery failed; will retry');
    if (!last) throw new DeliveryError(`delivery ${deliveryId} attempt ${attempt}: ${result.error}`);
  };
}

async function markDelivered(db: Db, deliveryId: string, attempt: number, status: number | null): Promise<void> {
  await db
    .update(eventDeliveries)
    .set({ status: 'delivered', attempts: attempt, lastStatus: status, lastError: null, deliveredAt: new Date(), nextAttemptAt: null })
    .where(and(eq(eventDeliveries.id, deliveryId), eq(eventDeliveries.status, 'pending')));
}

/** Sends a job for every pending delivery that has none yet; claiming and sending share a transaction. */
export async function sweepOutbox(db: Db, queue: Queue): Promise<number> {
  return db.transaction(async (tx) => {
    const claimed = await tx
      .update(eventDeliveries)
      .set({ enqueuedAt: new Date() })
      .where(and(eq(eventDeliveries.status, 'pending'), isNull(eventDeliveries.enqueuedAt)))
      .returning({ id: eventDeliveries.id });
    for (const row of claimed) await queue.send('events.deliver', { deliveryId: row.id }, { tx });
    return claimed.length;
  });
}

export function eventSweepHandler(deps: HubDeps): JobHandler<'events.sweep'> {
  return async () => {
    const sent = await sweepOutbox(deps.database.db, deps.queue);
    if (sent) deps.log.info({ sent }, 'outbox sweep sent deliveries');
  };
}
