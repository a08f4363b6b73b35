/**
 * Records verified, parsed deliveries and enqueues their work, all in ONE transaction:
 * `INSERT … ON CONFLICT DO NOTHING RETURNING` tells us which deliveries are new, and only those
 * enqueue draft.generate and triage.apply (pg-boss `send` with `{ tx }`). A replay, even one racing
 * the original on another connection, loses on the primary key and enqueues nothing; a rollback
 * drops the delivery and its jobs together, so the vendor's retry will do the work.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { webhookDeliveries } from '../db/schema/index.ts';
import type { JobName } from '../queue/jobs.ts';
import type { Queue } from '../queue/queue.ts';
import { webhookJobs } from './metrics.ts';
import type { WebhookEvent } from './payloads.ts';
import type { WebhookVendor } from './secrets.ts';

const WORK: readonly JobName[] = ['draft.generate', 'triage.apply'];

export interface IngestResult {
  accepted: number;
  duplicates: number;
  jobs: number;
}

export async function ingestDeliveries(db: Db, queue: Queue, connectionId: string, vendor: WebhookVendor, events: WebhookEvent[]): Promise<IngestResult> {
  // The same delivery id twice in one body (HubSpot batches) counts once.
  const unique = [...new Map(events.map((event) => [event.deliveryId, event])).values()];
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(webhookDeliveries)
      .values(unique.map((event) => ({ connectionId, deliveryId: event.deliveryId, vendor, event: event.event, sourceId: event.sourceId })))
      .onConflictDoNothing({ target: [webhookDeliveries.connectionId, webhookDeliveries.deliveryId] })
      .returning({ deliveryId: webhookDeliveries.deliveryId });
    const fresh = new Set(inserted.map((row) => row.deliveryId));
    let jobs = 0;
    for (const event of unique) {
      if (!fresh.has(event.deliveryId) || !event.actionable || event.sourceId === null) continue;
      for (const name of WORK) {
        await queue.send(name, { connectionId, sourceId: event.sourceId, deliveryId: event.deliveryId.slice(0, 200) }, { tx, singletonKey: `${connectionId}:${event.deliveryId}`.slice(0, 500) });
        webhookJobs.inc({ vendor, job: name });
        jobs++;
      }
    }
    return { accepted: fresh.size, duplicates: unique.length - fresh.size, jobs };
  });
}

/** Deletes delivery records older than `days` (the dedup window); returns how many. */
export async function pruneDeliveries(db: Db, days = 30): Promise<number> {
  const result = await db.execute(sql`DELETE FROM ${webhookDeliveries} WHERE ${webhookDeliveries.receivedAt} < now() - make_interval(days => ${days})`);
  return result.rowCount ?? 0;
}
