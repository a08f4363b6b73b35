/**
 * Records verified, parsed deliveries and enqueues their work, in ONE transaction:
 * `INSERT … ON CONFLICT DO NOTHING RETURNING` tells us which deliveries are new (neither their
 * delivery id nor, for Zendesk, their signature seen before for the connection), and only those
 * enqueue draft.generate and triage.apply (pg-boss, inside the same transaction). A replay, even one
 * racing the original in another transaction, waits on the primary key and then inserts nothing and
 * enqueues nothing; a rollback drops the deliveries and their jobs together, so the vendor's retry
 * does the work.
 *
 * Group commit: deliveries arriving while a transaction is in flight are gathered into the next
 * one (up to MAX_BATCH), so a burst costs one commit per batch instead of one per request. Each
 * request still answers only after its own delivery is committed. Rows are inserted in key order so
 * two concurrent batches always lock in the same order (no deadlocks). Text reaches the database
 * without U+0000 (withoutNul); should a batch still fail, each of its requests is written again on
 * its own, so one poisoned delivery fails only itself, not the others that shared its commit.
 */
import type { Db, Tx } from '../db/client.ts';
import { webhookDeliveries } from '../db/schema/index.ts';
import { withoutNul } from '../db/without-nul.ts';
import type { JobPayload } from '../queue/jobs.ts';
import type { Queue } from '../queue/queue.ts';
import { webhookJobs } from './metrics.ts';
import type { Source, WebhookEvent } from '../../integrations/types.ts';

const WORK = ['draft.generate', 'triage.apply'] as const;
const MAX_BATCH = 256;
/** Transactions in flight at once; the rest of the pool stays free for the API. */
const MAX_IN_FLIGHT = 4;

export interface IngestResult {
  accepted: number;
  duplicates: number;
  jobs: number;
}

interface Pending {
  connectionId: string;
  vendor: Source;
  events: WebhookEvent[];
  resolve(result: IngestResult): void;
  reject(error: unknown): void;
}

export interface Ingester {
  ingest(connectionId: string, vendor: Source, events: WebhookEvent[]): Promise<IngestResult>;
}

const keyOf = (connectionId: string, deliveryId: string) => `${connectionId}\u0000${deliveryId}`;

/** Writes one batch; returns, per pending request, what it got. */
async function writeBatch(db: Db, queue: Queue, batch: Pending[]): Promise<IngestResult[]> {
  // The first request in the batch to carry a key owns it; later ones (replays) are duplicates.
  const owner = new Map<string, { index: number; event: WebhookEvent; vendor: Source; connectionId: string }>();
  batch.forEach((pending, index) => {
    for (const event of pending.events) {
      const key = keyOf(pending.connectionId, event.deliveryId);
      if (!owner.has(key)) owner.set(key, { index, event: withoutNul(event), vendor: pending.vendor, connectionId: pending.connectionId });
    }
  });
  const rows = [...owner.values()]
    .map(({ connectionId, vendor, event }) => ({ connectionId, deliveryId: event.deliveryId, vendor, event: event.event, sourceId: event.sourceId, signature: event.signature ?? null }))
    .sort((a, b) => (a.connectionId === b.connectionId ? (a.deliveryId < b.deliveryId ? -1 : 1) : a.connectionId < b.connectionId ? -1 : 1));

  const results = batch.map(() => ({ accepted: 0, duplicates: 0, jobs: 0 }));
  await db.transaction(async (tx: Tx) => {
    const inserted = await tx
      .insert(webhookDeliveries)
      .values(rows)
      // No target: a clash on either key (delivery id, or Zendesk's signature) makes it a replay.
      .onConflictDoNothing()
      .returning({ connectionId: webhookDeliveries.connectionId, deliveryId: webhookDeliveries.deliveryId });
    const fresh = new Set(inserted.map((row) => keyOf(row.connectionId, row.deliveryId)));
    // Both jobs of a ticket take the same payload; the queues key them by ticket (src/queue/policies.ts).
    const tickets: Array<{ payload: JobPayload<'draft.generate'> }> = [];
    for (const [key, { index, event, vendor, connectionId }] of owner) {
      if (!fresh.has(key) || !event.actionable || event.sourceId === null) continue;
      tickets.push({ payload: { connectionId, sourceId: event.sourceId, deliveryId: event.deliveryId.slice(0, 200) } });
      for (const name of WORK) webhookJobs.inc({ vendor, job: name });
      const result = results[index];
      if (result) result.jobs += WORK.length;
    }
    // One statement per queue.
    for (const name of WORK) await queue.sendMany(name, tickets, { tx });
    batch.forEach((pending, index) => {
      const result = results[index];
      if (!result) return;
      for (const event of pending.events) {
        const key = keyOf(pending.connectionId, event.deliveryId);
        if (fresh.has(key) && owner.get(key)?.index === index) {
          result.accepted++;
          fresh.delete(key);
        } else result.duplicates++;
      }
    });
  });
  return results;
}

/**
 * A whole batch in one commit; if that fails and the batch has more than one request, each request
 * alone, so only the one that cannot be written gets the error.
 */
async function writeIsolated(db: Db, queue: Queue, batch: Pending[]): Promise<Array<IngestResult | { error: unknown }>> {
  try {
    return await writeBatch(db, queue, batch);
  } catch (error) {
    if (batch.length === 1) return [{ error }];
    const results: Array<IngestResult | { error: unknown }> = [];
    // One at a time: a second failure would otherwise take the pool's other clients too.
    for (const pending of batch) {
      try {
        results.push(...(await writeBatch(db, queue, [pending])));
      } catch (single) {
        results.push({ error: single });
      }
    }
    return results;
  }
}

export function createIngester(db: Db, queue: Queue): Ingester {
  const pending: Pending[] = [];
  let inFlight = 0;
  let scheduled = false;

  const flush = async () => {
    scheduled = false;
    while (pending.length && inFlight < MAX_IN_FLIGHT) {
      const batch = pending.splice(0, MAX_BATCH);
      inFlight++;
      void writeIsolated(db, queue, batch)
        .then(
          (results) =>
            batch.forEach((item, index) => {
              const result = results[index] ?? { accepted: 0, duplicates: 0, jobs: 0 };
              if ('error' in result) item.reject(result.error);
              else item.resolve(result);
            }),
          (error: unknown) => batch.forEach((item) => item.reject(error)),
        )
        .finally(() => {
          inFlight--;
          if (pending.length) void flush();
        });
    }
  };

  return {
    ingest(connectionId, vendor, events) {
      return new Promise<IngestResult>((resolve, reject) => {
        pending.push({ connectionId, vendor, events, resolve, reject });
        // setImmediate: requests parsed in the same turn of the event loop share a transaction.
        if (!scheduled && inFlight < MAX_IN_FLIGHT) {
          scheduled = true;
          setImmediate(() => void flush());
        }
      });
    },
  };
}
